// kuratchi-sdk as a team migrating to the operator runs it today, rebuilt for tests from the description in
// /work/shared/reference/kuratchi-do-protocol.md: the Worker upload of `ensureWorker` (§8), the HTTP client (§7) and
// its tokens (§4). Nothing here uses the gateway's own code (src/token.js and the like): a test that mints and sends
// the way the SDK does shows the gateway accepts what SDK deployments already hold, not what it would produce itself.
import { createHmac, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { requestWithHost } from "./cloudflare.mjs";

export const SDK_SCRIPT_NAME = "kuratchi-do-internal";
export const SDK_CLASS_NAME = "KuratchiDoInternal";
const TOKEN_TTL_MS = 30 * 24 * 60 * 60 * 1000;
const WORKER_SOURCE = readFileSync(new URL("./kuratchi-sdk-worker.js", import.meta.url), "utf8");

/** The multipart body `ensureWorker` sends: one `worker.js` module and the SDK's fixed metadata. */
export function sdkWorkerUpload(gatewayKey, { skipDoMigrations = false } = {}) {
  const bindings = [
    { type: "secret_text", name: "API_KEY", text: gatewayKey },
    { type: "durable_object_namespace", name: "DO", class_name: SDK_CLASS_NAME },
  ];
  const metadata = {
    bindings,
    main_module: "worker.js",
    compatibility_date: "2025-08-17",
    compatibility_flags: ["nodejs_compat"],
    placement: { mode: "smart" },
    ...(skipDoMigrations ? {} : { migrations: { new_sqlite_classes: [SDK_CLASS_NAME] } }),
  };
  const form = new FormData();
  form.append("worker.js", new Blob([WORKER_SOURCE], { type: "application/javascript+module" }), "worker.js");
  form.append("metadata", new Blob([JSON.stringify(metadata)], { type: "application/json" }));
  return form;
}

/**
 * `ensureWorker(gatewayKey)` against the (emulated) Cloudflare API `api` (a CloudflareApi): upload with the
 * new-class migration, and once more without it when Cloudflare says the class already exists (the SDK's only
 * retry), then enable workers.dev. Returns the upload answers, for tests that look at them.
 */
export async function ensureWorker(api, gatewayKey, scriptName = SDK_SCRIPT_NAME) {
  const uploads = [await api.upload(scriptName, sdkWorkerUpload(gatewayKey))];
  if (!isOk(uploads[0]) && /new-class migration|already depended on/.test(JSON.stringify(uploads[0].body))) {
    uploads.push(await api.upload(scriptName, sdkWorkerUpload(gatewayKey, { skipDoMigrations: true })));
  }
  const last = uploads.at(-1);
  if (!isOk(last)) throw new Error(`Failed to upload worker: ${last.status} ${JSON.stringify(last.body)}`);
  const subdomain = await api.enableSubdomain(scriptName);
  if (!isOk(subdomain)) {
    throw new Error(`Failed to enable workers.dev: ${subdomain.status} ${JSON.stringify(subdomain.body)}`);
  }
  return uploads;
}

function isOk(response) {
  return response.status >= 200 && response.status < 300;
}

/** An SDK token: `<db>.<32 hex>.<expiry ms>.<base64url HMAC-SHA256, unpadded>`, 30 days by default. */
export function mintSdkToken(databaseName, gatewayKey, options = {}) {
  const { ttlMs = TOKEN_TTL_MS, tokenId = randomBytes(16).toString("hex") } = options;
  const payload = `${databaseName}.${tokenId}.${Date.now() + ttlMs}`;
  return `${payload}.${createHmac("sha256", gatewayKey).update(payload).digest("base64url")}`;
}

/**
 * `createDatabase({databaseName, gatewayKey})`: ensureWorker on every call, a fresh token, then the SDK's
 * best-effort wait until `SELECT 1` answers. `connection` says where the SDK's client connects (see SdkClient).
 */
export async function createDatabase(api, connection, { databaseName, gatewayKey, timeoutMs = 30_000 }) {
  const uploads = await ensureWorker(api, gatewayKey, connection.scriptName);
  const token = mintSdkToken(databaseName, gatewayKey);
  const client = new SdkClient({ ...connection, databaseName, dbToken: token, gatewayKey });
  const deadline = Date.now() + timeoutMs;
  let ready = false;
  for (let pause = 25; !ready && Date.now() < deadline; pause = Math.min(pause * 2, 2000)) {
    ready = (await client.query("SELECT 1 as test")).success === true;
    if (!ready) await new Promise((resolve) => setTimeout(resolve, pause));
  }
  return { databaseName, token, ready, uploads };
}

/**
 * kuratchi-sdk's HTTP client. The SDK posts to `https://<scriptName>.<workersSubdomain>/api/<op>`; here the same
 * request, Host header included, goes to the emulator's workers.dev front at `workersUrl` (fetch cannot set Host).
 * The SDK methods answer as the SDK does (2xx: the body as is; otherwise {success: false, error: <body as text>});
 * `post` gives the status and parsed body, for tests that check them.
 */
export class SdkClient {
  constructor({ workersUrl, workersSubdomain, scriptName = SDK_SCRIPT_NAME, databaseName, dbToken, gatewayKey }) {
    Object.assign(this, { workersUrl, workersSubdomain, scriptName, databaseName });
    Object.defineProperty(this, "dbToken", { value: dbToken, enumerable: false });
    Object.defineProperty(this, "gatewayKey", { value: gatewayKey, enumerable: false });
    this.kv = {
      get: async (options) => decodeKvValue(await this.call("/api/kv/get", options)),
      put: (options) => this.call("/api/kv/put", options),
      delete: (options) => this.call("/api/kv/delete", options),
      list: (options = {}) => this.call("/api/kv/list", options),
    };
  }

  /** The same client for another token (or database). */
  with(changes) {
    const { workersUrl, workersSubdomain, scriptName, databaseName, dbToken, gatewayKey } = this;
    return new SdkClient({ workersUrl, workersSubdomain, scriptName, databaseName, dbToken, gatewayKey, ...changes });
  }

  async post(path, body) {
    const headers = { "Content-Type": "application/json", "x-db-name": this.databaseName };
    if (this.gatewayKey) headers.Authorization = `Bearer ${this.gatewayKey}`;
    if (this.dbToken) headers["x-db-token"] = this.dbToken;
    const host = `${this.scriptName}.${this.workersSubdomain}`;
    const { status, text } = await requestWithHost(this.workersUrl, host, path, {
      method: "POST",
      headers,
      body: JSON.stringify(body),
    });
    let parsed;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status, body: parsed, text };
  }

  async call(path, body) {
    try {
      const { status, body: parsed, text } = await this.post(path, body);
      if (status >= 200 && status < 300) return parsed;
      if (parsed !== undefined) return { success: false, error: JSON.stringify(parsed) };
      return { success: false, error: `API ${status}: ${text.slice(0, 200)}...` };
    } catch (error) {
      return { success: false, error: error.message };
    }
  }

  query(query, params = []) {
    return this.call("/api/run", { query, params });
  }

  exec(query) {
    return this.call("/api/exec", { query });
  }

  batch(batch) {
    return this.call("/api/batch", { batch });
  }

  raw(query, params, columnNames = false) {
    return this.call("/api/raw", { query, params, columnNames });
  }

  first(query, params, columnName) {
    return this.call("/api/first", { query, params, columnName });
  }
}

// The SDK's KV client hands base64 values back as bytes.
function decodeKvValue(result) {
  if (result?.success && result.encoding === "base64" && typeof result.value === "string") {
    return { ...result, value: new Uint8Array(Buffer.from(result.value, "base64")) };
  }
  return result;
}
