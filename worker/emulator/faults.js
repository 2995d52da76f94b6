// Faults injected by tests through /__emulator/faults: fail the next N matching calls with a status, delay them,
// or drop the connection. A fault matches a target ("api" for the Cloudflare API, "workers" for workers.dev
// traffic), a method ("*" for any) and a path pattern where "*" is one path segment and "**" anything.
// API paths are relative to /client/v4; workers paths are "/<script>/<path>".
import { errors } from "./cloudflare.js";

const KINDS = ["status", "latency", "drop"];

export class Faults {
  constructor() {
    this.active = [];
    this.nextId = 1;
  }

  add(spec) {
    if (spec === null || typeof spec !== "object") throw errors.badRequest("A fault must be a JSON object");
    const { target = "api", method = "*", path = "/**", count = 1, kind, status, retryAfter, latencyMs = 0 } = spec;
    if (!["api", "workers"].includes(target)) throw errors.badRequest("target must be 'api' or 'workers'");
    if (typeof method !== "string" || typeof path !== "string" || !path.startsWith("/")) {
      throw errors.badRequest("method must be a string and path a pattern starting with '/'");
    }
    if (!Number.isSafeInteger(count) || count < 1) throw errors.badRequest("count must be a positive integer");
    if (!KINDS.includes(kind)) throw errors.badRequest(`kind must be one of ${KINDS.join(", ")}`);
    if (kind === "status" && !(Number.isSafeInteger(status) && status >= 400 && status <= 599)) {
      throw errors.badRequest("a status fault needs a 4xx or 5xx 'status'");
    }
    if (retryAfter !== undefined && !(Number.isSafeInteger(retryAfter) && retryAfter >= 0)) {
      throw errors.badRequest("retryAfter must be whole seconds");
    }
    if (!(Number.isFinite(latencyMs) && latencyMs >= 0 && latencyMs <= 600_000)) {
      throw errors.badRequest("latencyMs must be between 0 and 600000");
    }
    const fault = {
      id: this.nextId++,
      target,
      method: method.toUpperCase(),
      path,
      remaining: count,
      kind,
      status,
      retryAfter,
      latencyMs,
      pattern: compile(path),
    };
    this.active.push(fault);
    return describe(fault);
  }

  /** The first active fault matching this call, counted as used; null if none. */
  take(target, method, path) {
    const fault = this.active.find(
      (f) => f.target === target && (f.method === "*" || f.method === method) && f.pattern.test(path),
    );
    if (!fault) return null;
    if (--fault.remaining === 0) this.active.splice(this.active.indexOf(fault), 1);
    return fault;
  }

  list() {
    return this.active.map(describe);
  }

  clear() {
    this.active = [];
  }
}

function describe({ pattern, ...fault }) {
  return fault;
}

function compile(path) {
  const escaped = path
    .split(/(\*\*|\*)/)
    .map((part) => (part === "**" ? ".*" : part === "*" ? "[^/]+" : part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${escaped}/?$`);
}
