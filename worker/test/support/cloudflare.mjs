// A small Cloudflare API client for the emulator's tests and the benchmark, and the gateway Worker upload built
// exactly as the operator builds it: modules from worker/src, the DO binding, the new_sqlite_classes migration and
// the API_KEY secret.
import { spawn } from "node:child_process";
import http from "node:http";
import { once } from "node:events";
import { manifest, requestJson, workerModules } from "./gateway.mjs";

export class CloudflareApi {
  constructor(info, token) {
    this.info = info;
    this.token = token;
  }

  get accountPath() {
    return `/accounts/${this.info.accountId}`;
  }

  async call(method, path, body, { token = this.token, headers = {} } = {}) {
    const init = { method, headers: { ...headers } };
    if (token !== null) init.headers.authorization = `Bearer ${token}`;
    if (body instanceof FormData) init.body = body;
    else if (body !== undefined) {
      init.headers["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return requestJson(this.info.apiUrl + path, init);
  }

  upload(scriptName, form) {
    return this.call("PUT", `${this.accountPath}/workers/scripts/${scriptName}`, form);
  }

  enableSubdomain(scriptName) {
    return this.call("POST", `${this.accountPath}/workers/scripts/${scriptName}/subdomain`, { enabled: true });
  }

  async calls(filter = {}) {
    const response = await fetch(new URL("/__emulator/calls", new URL(this.info.apiUrl)));
    return (await response.json()).result.filter(
      (c) => (!filter.method || c.method === filter.method) && (!filter.path || filter.path.test(c.path)),
    );
  }

  async control(method, path, body) {
    const response = await fetch(new URL(path, new URL(this.info.apiUrl)), {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() };
  }

  /** The base URL a client uses for a script on the workers.dev front (path form). */
  scriptUrl(scriptName) {
    return `${this.info.workersUrl}/${scriptName}`;
  }
}

/** The multipart upload of the gateway Worker. */
export function gatewayUpload({ apiKey, migrations = true, modules = workerModules(), extraMetadata = {} }) {
  const { binding, className } = manifest.durableObject;
  const metadata = {
    main_module: manifest.mainModule,
    compatibility_date: manifest.compatibilityDate,
    bindings: [
      { type: "durable_object_namespace", name: binding, class_name: className },
      { type: "secret_text", name: manifest.secrets.gatewayKey, text: apiKey },
    ],
    ...(migrations ? { migrations: { new_sqlite_classes: [className] } } : {}),
    ...extraMetadata,
  };
  const form = new FormData();
  form.append("metadata", new Blob([JSON.stringify(metadata)], { type: "application/json" }), "metadata.json");
  for (const module of modules) {
    form.append(module.path, new Blob([module.contents], { type: "application/javascript+module" }), module.path);
  }
  return form;
}

/** Starts `node emulator/main.js` as a child process and resolves with it and its ready line. */
export async function spawnEmulator(args, { env = process.env } = {}) {
  const child = spawn(process.execPath, [new URL("../../emulator/main.js", import.meta.url).pathname, "--quiet", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env,
  });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  let buffered = "";
  const info = await new Promise((resolve, reject) => {
    child.stdout.on("data", (chunk) => {
      buffered += chunk;
      if (buffered.includes("\n")) resolve(JSON.parse(buffered.split("\n")[0]));
    });
    child.on("exit", (code) => reject(new Error(`emulator exited with ${code}: ${stderr}`)));
  });
  return {
    child,
    info,
    stderr: () => stderr,
    async stop(signal = "SIGTERM") {
      if (child.exitCode !== null) return child.exitCode;
      child.kill(signal);
      const [code] = await once(child, "exit");
      return code;
    },
  };
}

/** Sends a request with a real Host header (undici's fetch drops a custom Host). */
export function requestWithHost(baseUrl, host, path, { method = "POST", headers = {}, body } = {}) {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: url.hostname, port: url.port, path, method, headers: { ...headers, host } },
      (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk) => (text += chunk));
        response.on("end", () => resolve({ status: response.statusCode, text }));
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}
