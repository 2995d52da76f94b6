// The emulator: a Cloudflare API v4 server for the subset the operator uses, and a workers.dev front that routes
// requests to uploaded scripts running in workerd. See README.md beside this file.
import { createHash } from "node:crypto";
import { once } from "node:events";
import http from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { ApiError, envelope, errorEnvelope, errors, paginate } from "./cloudflare.js";
import { Faults } from "./faults.js";
import { RateLimiter } from "./ratelimit.js";
import { kvNamespaces, queues, r2Buckets } from "./resources.js";
import { ScriptRuntimes, runtimeKey } from "./runtimes.js";
import { SCRIPT_NAME_PATTERN, planUpload, readUpload, scriptResult, scriptSettings } from "./scripts.js";
import { StateStore } from "./state.js";

const API_BASE = "/client/v4";
const ACCOUNT_ID_PATTERN = /^[0-9a-f]{32}$/;
const SUBDOMAIN_PATTERN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const MAX_JSON_BYTES = 1024 * 1024;
const MAX_CALLS_KEPT = 100_000;
const HOP_BY_HOP = new Set(["host", "connection", "keep-alive", "transfer-encoding", "content-length", "upgrade"]);

export async function startEmulator(config) {
  const emulator = new Emulator(config);
  await emulator.listen();
  return emulator;
}

class Emulator {
  constructor({
    host = "127.0.0.1",
    port = 0,
    workersPort = 0,
    dataDir,
    apiTokens,
    accountIds,
    subdomain,
    rateLimit = 1200,
    rateWindowSeconds = 300,
    maxScriptBytes = 10 * 1024 * 1024,
    log = (line) => process.stderr.write(`${line}\n`),
  }) {
    if (!dataDir) throw new Error("a data directory is required");
    if (!apiTokens?.length) throw new Error("at least one API token is required");
    if (!accountIds?.length || accountIds.some((id) => !ACCOUNT_ID_PATTERN.test(id))) {
      throw new Error("account ids must be 32 lowercase hex characters");
    }
    if (!SUBDOMAIN_PATTERN.test(subdomain ?? "")) throw new Error("the workers.dev subdomain must be a DNS label");
    Object.assign(this, { host, port, workersPort, dataDir, maxScriptBytes, log });
    this.tokens = new Set(apiTokens);
    this.accountIds = accountIds;
    this.store = new StateStore(dataDir, { accountIds, subdomain });
    this.runtimes = new ScriptRuntimes({ dataDir, logRuntime: (script, line) => log(`[${script}] ${line}`) });
    this.rateLimiter = new RateLimiter({ limit: rateLimit, windowSeconds: rateWindowSeconds });
    this.faults = new Faults();
    this.calls = [];
    this.seq = 0;
    this.routes = apiRoutes(this);
  }

  async listen() {
    this.apiServer = http.createServer((req, res) => this.serveApi(req, res).catch((error) => this.lastResort(res, error)));
    this.workersServer = http.createServer((req, res) =>
      this.serveWorkers(req, res).catch((error) => this.lastResort(res, error)),
    );
    this.apiServer.listen(this.port, this.host);
    this.workersServer.listen(this.workersPort, this.host);
    await Promise.all([once(this.apiServer, "listening"), once(this.workersServer, "listening")]);
    const printable = this.host === "0.0.0.0" || this.host === "::" ? "127.0.0.1" : this.host;
    this.apiUrl = `http://${printable}:${this.apiServer.address().port}${API_BASE}`;
    this.workersUrl = `http://${printable}:${this.workersServer.address().port}`;
  }

  /** What a test or the local mode needs to use this emulator; printed as one JSON line by main.js. */
  describe() {
    const [accountId] = this.accountIds;
    return {
      apiUrl: this.apiUrl,
      workersUrl: this.workersUrl,
      accountId,
      accountIds: this.accountIds,
      subdomain: this.store.account(accountId).subdomain,
      dataDir: this.dataDir,
    };
  }

  async close() {
    for (const server of [this.apiServer, this.workersServer]) {
      server.close();
      server.closeAllConnections();
    }
    await this.runtimes.closeAll();
  }

  // A handler that throws must not take the process down with it (an unhandled rejection ends Node): the request
  // gets a 500 and the emulator keeps serving the others.
  lastResort(res, error) {
    const apiError = internalError(error, this.log);
    if (res.headersSent) res.destroy();
    else sendJson(res, apiError.status, errorEnvelope(apiError));
  }

  record(target, method, path, status) {
    this.calls.push({ seq: ++this.seq, at: new Date().toISOString(), target, method, path, status });
    if (this.calls.length > MAX_CALLS_KEPT) this.calls.splice(0, this.calls.length - MAX_CALLS_KEPT);
  }

  async serveApi(req, res) {
    const url = new URL(req.url, "http://emulator");
    if (url.pathname.startsWith("/__emulator/")) return this.serveControl(req, res, url);
    const path = url.pathname.startsWith(`${API_BASE}/`) ? url.pathname.slice(API_BASE.length) : null;
    const logPath = path ?? url.pathname;
    let status = 500;
    try {
      if (path === null) throw errors.noRoute(url.pathname);
      const faulted = await this.injectFault("api", req, res, path);
      if (faulted !== null) {
        status = faulted;
        return;
      }
      const { body, status: okStatus = 200, headers = {}, raw } = await this.dispatch(req, url, path);
      status = okStatus;
      if (raw !== undefined) {
        res.writeHead(status, { "content-type": raw.contentType, ...headers });
        res.end(raw.body);
      } else {
        sendJson(res, status, body, headers);
      }
    } catch (error) {
      const apiError = error instanceof ApiError ? error : internalError(error, this.log);
      status = apiError.status;
      sendJson(res, apiError.status, errorEnvelope(apiError), apiError.headers);
    } finally {
      this.record("api", req.method, logPath, status);
    }
  }

  /**
   * Applies an injected fault, if one matches `path`. Returns the status it answered with (0 when it dropped the
   * connection), or null when the call should go on (no fault, or latency only).
   */
  async injectFault(target, req, res, path) {
    const fault = this.faults.take(target, req.method, path);
    if (!fault) return null;
    if (fault.latencyMs > 0) await sleep(fault.latencyMs);
    if (fault.kind === "drop") {
      req.socket.destroy();
      return 0;
    }
    if (fault.kind !== "status") return null;
    const retryAfter = fault.retryAfter ?? (fault.status === 429 ? 1 : undefined);
    const headers = retryAfter === undefined ? {} : { "retry-after": String(retryAfter) };
    const error =
      fault.status === 429
        ? errors.rateLimited(retryAfter)
        : new ApiError(fault.status, fault.status >= 500 ? 10002 : 10000, `Injected fault: HTTP ${fault.status}`);
    if (target === "api") sendJson(res, fault.status, errorEnvelope(error), headers);
    else sendJson(res, fault.status, { success: false, error: error.message, code: "injected_fault" }, headers);
    return fault.status;
  }

  async dispatch(req, url, path) {
    const token = bearer(req);
    const verifying = /^\/(user|accounts\/[^/]+)\/tokens\/verify$/.test(path);
    if (token === null) throw verifying ? errors.invalidApiToken() : errors.missingAuth();
    if (!this.tokens.has(token)) throw verifying ? errors.invalidApiToken() : errors.badToken();
    const limit = this.rateLimiter.take(token);
    const limitHeaders = this.rateLimiter.headers(limit);
    if (!limit.allowed) {
      const error = errors.rateLimited(limit.resetSeconds);
      error.headers = { ...limitHeaders, ...error.headers };
      throw error;
    }

    const match = matchRoute(this.routes, req.method, path);
    const account = match.params.account === undefined ? undefined : this.resolveAccount(match.params.account, path);
    const context = {
      req,
      query: url.searchParams,
      params: match.params,
      accountId: match.params.account,
      account,
      token,
      bytes: () => readBody(req, this.maxScriptBytes + MAX_JSON_BYTES),
      json: async () => parseJson(await readBody(req, MAX_JSON_BYTES)),
    };
    const answer = await match.handler(context);
    if (req.method !== "GET") this.store.save();
    return { ...answer, headers: { ...limitHeaders, ...answer.headers } };
  }

  resolveAccount(accountId, path) {
    if (!ACCOUNT_ID_PATTERN.test(accountId)) throw errors.noRoute(`${API_BASE}${path}`);
    const account = this.store.account(accountId);
    if (!account) throw errors.unknownAccount();
    return account;
  }

  // workers.dev: "<script>.<subdomain>.workers.dev" by Host header, or "/<script>/..." on the workers base URL
  // for the first account (a local app cannot always set Host).
  async serveWorkers(req, res) {
    const url = new URL(req.url, "http://workers");
    const target = this.findScript(req.headers.host ?? "", url.pathname);
    const logPath = target ? `/${target.scriptName}${target.path}` : url.pathname;
    if (!target?.record?.subdomain.enabled) {
      this.record("workers", req.method, logPath, 404);
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
      return res.end("There is nothing here yet. No Worker is enabled at this workers.dev address.\n");
    }
    const faulted = await this.injectFault("workers", req, res, logPath);
    if (faulted !== null) return this.record("workers", req.method, logPath, faulted);
    try {
      const body = ["GET", "HEAD"].includes(req.method) ? undefined : await readBody(req, 200 * 1024 * 1024);
      const response = await this.forward(target, req, body, url.search);
      const headers = {};
      response.headers.forEach((value, name) => {
        if (!HOP_BY_HOP.has(name) && name !== "content-encoding") headers[name] = value;
      });
      res.writeHead(response.status, headers);
      if (response.body) for await (const chunk of response.body) res.write(chunk);
      res.end();
      this.record("workers", req.method, logPath, response.status);
    } catch (error) {
      this.log(`workers.dev request to ${target.scriptName} failed: ${error.message}`);
      this.record("workers", req.method, logPath, 502);
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain; charset=utf-8" });
      res.end("Worker unavailable\n");
    }
  }

  findScript(hostHeader, pathname) {
    const host = hostHeader.replace(/:\d+$/, "").toLowerCase();
    for (const [accountId, account] of this.store.accounts()) {
      const suffix = `.${account.subdomain}.workers.dev`;
      if (host.endsWith(suffix)) {
        const scriptName = host.slice(0, -suffix.length);
        return { accountId, scriptName, record: account.scripts.get(scriptName), path: pathname };
      }
    }
    const match = /^\/([^/]+)(\/.*)?$/.exec(pathname);
    if (!match) return null;
    const [accountId] = this.accountIds;
    return {
      accountId,
      scriptName: match[1],
      record: this.store.account(accountId).scripts.get(match[1]),
      path: match[2] ?? "/",
    };
  }

  // A request that reaches a runtime while it is being replaced can find its connection closed; it is sent once
  // more after the replacement, as Cloudflare would keep serving during a deploy.
  async forward({ accountId, record, path }, req, body, search) {
    const headers = {};
    for (const [name, value] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(name)) headers[name] = value;
    for (let attempt = 0; ; attempt++) {
      const current = this.store.account(accountId).scripts.get(record.id) ?? record;
      const base = await this.runtimes.url(accountId, current);
      try {
        return await fetch(new URL(path + search, base), { method: req.method, headers, body, redirect: "manual" });
      } catch (error) {
        if (attempt > 0) throw error;
        await this.runtimes.exclusive(runtimeKey(accountId, record.id), () => {});
      }
    }
  }

  async serveControl(req, res, url) {
    try {
      const result = await controlRoute(this, req, url);
      sendJson(res, 200, envelope(result));
    } catch (error) {
      const apiError = error instanceof ApiError ? error : internalError(error, this.log);
      sendJson(res, apiError.status, errorEnvelope(apiError));
    }
  }
}

async function controlRoute(emulator, req, url) {
  const route = `${req.method} ${url.pathname}`;
  switch (route) {
    case "GET /__emulator/health":
      return { ok: true };
    case "GET /__emulator/faults":
      return emulator.faults.list();
    case "POST /__emulator/faults": {
      const body = parseJson(await readBody(req, MAX_JSON_BYTES));
      return (Array.isArray(body) ? body : [body]).map((spec) => emulator.faults.add(spec));
    }
    case "DELETE /__emulator/faults":
      emulator.faults.clear();
      return [];
    case "GET /__emulator/calls": {
      const since = Number(url.searchParams.get("since") ?? 0);
      const target = url.searchParams.get("target");
      return emulator.calls.filter((c) => c.seq > since && (!target || c.target === target));
    }
    case "DELETE /__emulator/calls":
      emulator.calls = [];
      return [];
    case "PUT /__emulator/rate-limit": {
      const { limit, windowSeconds } = parseJson(await readBody(req, MAX_JSON_BYTES));
      try {
        emulator.rateLimiter.configure({ limit, windowSeconds });
      } catch (error) {
        throw errors.badRequest(error.message);
      }
      return { limit, windowSeconds };
    }
    default:
      throw errors.noRoute(url.pathname);
  }
}

function apiRoutes(emulator) {
  const { store, runtimes } = emulator;
  const script = (context) => {
    const record = context.account.scripts.get(context.params.script);
    if (!record) throw errors.scriptNotFound();
    return record;
  };
  const tokenResult = (token) => ({
    body: envelope(
      { id: createHash("sha256").update(token).digest("hex").slice(0, 32), status: "active" },
      { messages: [{ code: 10000, message: "This API Token is valid and active", type: null }] },
    ),
  });
  const routes = {
    "GET /user/tokens/verify": ({ token }) => tokenResult(token),
    "GET /accounts/:account/tokens/verify": ({ token }) => tokenResult(token),

    "GET /accounts/:account/workers/subdomain": ({ account }) => {
      if (!account.subdomain) throw errors.subdomainNotSet();
      return { body: envelope({ subdomain: account.subdomain }) };
    },
    "PUT /accounts/:account/workers/subdomain": async ({ account, json }) => {
      const { subdomain } = await json();
      if (typeof subdomain !== "string" || !SUBDOMAIN_PATTERN.test(subdomain)) {
        throw errors.badRequest("subdomain must be a DNS label: lowercase letters, digits and '-'");
      }
      account.subdomain = subdomain;
      return { body: envelope({ subdomain }) };
    },

    "GET /accounts/:account/workers/scripts": ({ account }) => ({
      body: envelope([...account.scripts.values()].map((record) => ({ ...scriptResult(record), routes: null }))),
    }),
    "PUT /accounts/:account/workers/scripts/:script": async (context) => {
      const { account, accountId, params, req } = context;
      if (!SCRIPT_NAME_PATTERN.test(params.script)) throw errors.invalidScriptName();
      const { metadata, modules } = await readUpload(req.headers["content-type"], await context.bytes());
      return runtimes.exclusive(runtimeKey(accountId, params.script), async () => {
        const previous = account.scripts.get(params.script);
        const record = planUpload({
          scriptName: params.script,
          previous,
          metadata,
          modules,
          now: new Date().toISOString(),
          maxScriptBytes: emulator.maxScriptBytes,
        });
        record.startup_time_ms = await runtimes.deploy(accountId, record, previous);
        account.scripts.set(params.script, record);
        store.save();
        return { body: envelope(scriptResult(record)) };
      });
    },
    "GET /accounts/:account/workers/scripts/:script": (context) => {
      const record = script(context);
      const main = record.modules[0];
      return { raw: { contentType: "application/javascript+module", body: Buffer.from(main.base64, "base64") } };
    },
    "DELETE /accounts/:account/workers/scripts/:script": async (context) => {
      const { account, accountId, params } = context;
      script(context);
      await runtimes.exclusive(runtimeKey(accountId, params.script), () =>
        runtimes.remove(accountId, params.script, { deleteStorage: true }),
      );
      account.scripts.delete(params.script);
      return { body: envelope(null) };
    },
    "GET /accounts/:account/workers/scripts/:script/settings": (context) => ({
      body: envelope(scriptSettings(script(context))),
    }),
    "GET /accounts/:account/workers/scripts/:script/subdomain": (context) => ({ body: envelope(script(context).subdomain) }),
    "POST /accounts/:account/workers/scripts/:script/subdomain": async (context) => {
      const record = script(context);
      const { enabled, previews_enabled: previews } = await context.json();
      if (typeof enabled !== "boolean" || (previews !== undefined && typeof previews !== "boolean")) {
        throw errors.badRequest("enabled (and previews_enabled, if given) must be booleans");
      }
      if (!context.account.subdomain) throw errors.subdomainNotSet();
      record.subdomain = { enabled, previews_enabled: previews ?? record.subdomain.previews_enabled };
      return { body: envelope(record.subdomain) };
    },
    "DELETE /accounts/:account/workers/scripts/:script/subdomain": (context) => {
      const record = script(context);
      record.subdomain = { enabled: false, previews_enabled: false };
      return { body: envelope(record.subdomain) };
    },
    "GET /accounts/:account/workers/durable_objects/namespaces": ({ account, query }) => ({
      body: paginate(
        [...account.scripts.values()].flatMap((record) =>
          Object.entries(record.classes).map(([className, cls]) => ({
            id: cls.namespace_id,
            name: `${record.id}_${className}`,
            script: record.id,
            class: className,
            use_sqlite: cls.sqlite,
          })),
        ),
        query,
      ),
    }),

    "POST /accounts/:account/storage/kv/namespaces": async ({ account, json }) => ({
      body: kvNamespaces.create(account, await json()),
    }),
    "GET /accounts/:account/storage/kv/namespaces": ({ account, query }) => ({ body: kvNamespaces.list(account, query) }),
    "GET /accounts/:account/storage/kv/namespaces/:id": ({ account, params }) => ({
      body: kvNamespaces.get(account, params.id),
    }),
    "PUT /accounts/:account/storage/kv/namespaces/:id": async ({ account, params, json }) => ({
      body: kvNamespaces.rename(account, params.id, await json()),
    }),
    "DELETE /accounts/:account/storage/kv/namespaces/:id": ({ account, params }) => ({
      body: kvNamespaces.delete(account, params.id),
    }),

    "POST /accounts/:account/r2/buckets": async ({ account, json, req }) => ({
      body: r2Buckets.create(account, await json(), req.headers["cf-r2-jurisdiction"]),
    }),
    "GET /accounts/:account/r2/buckets": ({ account, query }) => ({ body: r2Buckets.list(account, query) }),
    "GET /accounts/:account/r2/buckets/:name": ({ account, params }) => ({ body: r2Buckets.get(account, params.name) }),
    "DELETE /accounts/:account/r2/buckets/:name": ({ account, params }) => ({
      body: r2Buckets.delete(account, params.name),
    }),

    "POST /accounts/:account/queues": async ({ account, json }) => ({ body: queues.create(account, await json()) }),
    "GET /accounts/:account/queues": ({ account, query }) => ({ body: queues.list(account, query) }),
    "GET /accounts/:account/queues/:id": ({ account, params }) => ({ body: queues.get(account, params.id) }),
    "DELETE /accounts/:account/queues/:id": ({ account, params }) => ({ body: queues.delete(account, params.id) }),
  };
  return Object.entries(routes).map(([route, handler]) => {
    const [method, pattern] = route.split(" ");
    const names = [];
    const regex = new RegExp(
      `^${pattern.replace(/:([a-z]+)/g, (_, name) => {
        names.push(name);
        return "([^/]+)";
      })}$`,
    );
    return { method, regex, names, handler };
  });
}

function matchRoute(routes, method, path) {
  let pathMatched = false;
  for (const route of routes) {
    const match = route.regex.exec(path);
    if (!match) continue;
    pathMatched = true;
    if (route.method !== method) continue;
    let params;
    try {
      params = Object.fromEntries(route.names.map((name, i) => [name, decodeURIComponent(match[i + 1])]));
    } catch {
      throw errors.noRoute(`${API_BASE}${path}`);
    }
    return { handler: route.handler, params };
  }
  throw pathMatched ? errors.methodNotAllowed() : errors.noRoute(`${API_BASE}${path}`);
}

function bearer(req) {
  const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "");
  return match ? match[1] : null;
}

async function readBody(req, limit) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) throw new ApiError(413, 10027, `Request body is larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function parseJson(bytes) {
  try {
    return JSON.parse(bytes.toString("utf8") || "null") ?? {};
  } catch {
    throw errors.badRequest("The request body is not valid JSON");
  }
}

function sendJson(res, status, body, headers = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

function internalError(error, log) {
  log(`internal error: ${error?.stack ?? error}`);
  return errors.internal();
}
