// Starts the gateway Worker from worker/src in the real workerd runtime (Miniflare), as the tests and the benchmark
// use it. The emulator loads uploaded scripts its own way; this harness is for the Worker alone.
import { readFileSync } from "node:fs";
import { Miniflare } from "miniflare";
import { importSigningKey, randomTokenId, signToken } from "../../src/token.js";

const workerDir = new URL("../../", import.meta.url);
export const manifest = JSON.parse(readFileSync(new URL("worker.json", workerDir), "utf8"));

/** The Worker's modules as worker.json lists them, entry first (the main module is the entry). */
export function workerModules(sourceDir = new URL("src/", workerDir)) {
  return manifest.modules.map((name) => ({
    type: "ESModule",
    path: name,
    contents: readFileSync(new URL(name, sourceDir), "utf8"),
  }));
}

export function gatewayOptions({ apiKey, previousKey, persistDir, maxBodyBytes, modules = workerModules() }) {
  const bindings = { API_KEY: apiKey };
  if (previousKey) bindings.API_KEY_PREVIOUS = previousKey;
  if (maxBodyBytes) bindings.MAX_BODY_BYTES = String(maxBodyBytes);
  return {
    modules,
    compatibilityDate: manifest.compatibilityDate,
    cf: false,
    port: 0,
    bindings,
    durableObjects: { [manifest.durableObject.binding]: { className: manifest.durableObject.className, useSQLite: true } },
    ...(persistDir ? { durableObjectsPersist: persistDir } : {}),
  };
}

export async function startGateway(options) {
  const mf = new Miniflare(gatewayOptions(options));
  let url;
  try {
    url = await mf.ready;
  } catch (error) {
    await mf.dispose().catch(() => {});
    throw error;
  }
  return new Gateway(mf, url, options.apiKey);
}

export class Gateway {
  constructor(mf, url, apiKey) {
    this.mf = mf;
    this.url = url;
    this.apiKey = apiKey;
  }

  /** A signed token; with `epoch`, its id starts with it, as the operator issues tokens for a claimed database. */
  async issueToken(
    databaseName,
    { ttlMs = 60_000, key = this.apiKey, epoch = "", tokenId = epoch + randomTokenId().slice(epoch.length), now = Date.now() } = {},
  ) {
    return signToken(await importSigningKey(key), { databaseName, tokenId, expiresAt: now + ttlMs });
  }

  /** POSTs a data-plane call; `auth` is the token (token-only form) or {gatewayKey, token} (kuratchi-sdk form). */
  async data(operation, databaseName, body, auth) {
    const headers = { "content-type": "application/json" };
    if (databaseName !== undefined) headers["x-db-name"] = databaseName;
    if (typeof auth === "string") headers.authorization = `Bearer ${auth}`;
    else if (auth) {
      if (auth.gatewayKey !== undefined) headers.authorization = `Bearer ${auth.gatewayKey}`;
      if (auth.token !== undefined) headers["x-db-token"] = auth.token;
    }
    return requestJson(this.resolve(`/api/${operation}`), { method: "POST", headers, body: JSON.stringify(body) });
  }

  /** A data-plane call as the database's tenant: with a token for its current epoch, as the operator issues them. */
  async tenant(operation, databaseName, body) {
    const { epoch } = await this.info(databaseName);
    return this.data(operation, databaseName, body, await this.issueToken(databaseName, { epoch: epoch ?? "" }));
  }

  /** Runs a query with a fresh token for the database and returns the parsed body, failing on a non-2xx. */
  async sql(databaseName, query, params = []) {
    const response = await this.data("run", databaseName, { query, params }, await this.issueToken(databaseName));
    if (response.status !== 200) throw new Error(`query failed: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body.results;
  }

  async admin(method, path, body, key = this.apiKey) {
    const headers = key === null ? {} : { authorization: `Bearer ${key}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    return requestJson(this.resolve(path), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  }

  /** `path` under the gateway's base URL, which may itself have a path (the emulator's /<script> form). */
  resolve(path) {
    return new URL(path.replace(/^\//, ""), this.url);
  }

  /** PUT /admin/databases/{name}; `claim` adds {owner, adopt} to the body. */
  provision(databaseName, migrations = [], claim = {}) {
    return this.admin("PUT", `/admin/databases/${databaseName}`, { migrations, ...claim });
  }

  retire(databaseName, owner, wipe) {
    return this.admin("POST", `/admin/databases/${databaseName}/retire`, { owner, wipe });
  }

  async info(databaseName) {
    const response = await this.admin("GET", `/admin/databases/${databaseName}`);
    if (response.status !== 200) throw new Error(`info failed: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body;
  }

  dispose() {
    return this.mf.dispose();
  }
}

/** fetch, with the body parsed as JSON when it is JSON: {status, headers, body}. */
export async function requestJson(url, init) {
  const response = await fetch(url, init);
  const text = await response.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: response.status, headers: response.headers, body };
}
