// TEST FIXTURE, not part of the gateway. A stand-in for the Worker that kuratchi-sdk (Era B, the template with KV
// endpoints) uploads as `kuratchi-do-internal`, written by us from the description in
// /work/shared/reference/kuratchi-do-protocol.md (§2-§6); no kuratchi-sdk code was copied. Its one job is to leave
// Durable Object storage exactly as an SDK deployment leaves it, so the migration tests start from a real "before"
// state. It therefore keeps the SDK's behaviour where that shapes the stored data or the answers, weaknesses
// included: JSON params go straight to sql.exec (a JSON `true` is stored as the TEXT 'true'), KV values are stored
// raw in ctx.storage.kv (the same _cf_KV table our gateway keeps its reserved state in), errors are 500 {error},
// the signature is compared as plain strings.
import { DurableObject } from "cloudflare:workers";

const CORS = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Methods": "POST, OPTIONS",
  "Access-Control-Allow-Headers": "Content-Type, Authorization, x-db-name, x-db-token",
  "Access-Control-Expose-Headers": "",
};

function json(body, status = 200) {
  return new Response(JSON.stringify(body), { status, headers: { ...CORS, "Content-Type": "application/json" } });
}

async function hmacBase64Url(key, message) {
  const encoder = new TextEncoder();
  const hmacKey = await crypto.subtle.importKey("raw", encoder.encode(key), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", hmacKey, encoder.encode(message)));
  return btoa(String.fromCharCode(...mac)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export default {
  async fetch(request, env) {
    if (request.method === "OPTIONS") return new Response(null, { status: 200, headers: CORS });
    if (request.method !== "POST") return json({ error: "Method not allowed" }, 405);
    if (request.headers.get("Authorization") !== `Bearer ${env.API_KEY}`) {
      return json({ error: "Invalid or missing gateway key" }, 401);
    }
    const token = request.headers.get("x-db-token");
    if (!token) return json({ error: "Missing x-db-token" }, 401);
    const dbName = request.headers.get("x-db-name");
    if (!dbName) return json({ error: "x-db-name required" }, 400);
    const parts = token.split(".");
    if (parts.length !== 4) return json({ error: "Invalid token format" }, 401);
    if (parts.some((part) => part === "")) return json({ error: "Malformed token" }, 401);
    const [tokenDb, rnd, expText, signature] = parts;
    if (tokenDb !== dbName) return json({ error: "Token db mismatch" }, 401);
    const expiresAt = Number(expText);
    if (!Number.isFinite(expiresAt) || expiresAt < Date.now()) return json({ error: "Token expired" }, 401);
    // The SDK signs the re-stringified number, so "0123" or "1e12" spellings of an expiry fail here, as there.
    if ((await hmacBase64Url(env.API_KEY, `${tokenDb}.${rnd}.${expiresAt}`)) !== signature) {
      return json({ error: "Invalid token signature" }, 401);
    }
    try {
      const url = new URL(request.url);
      url.pathname = `/do${url.pathname}`;
      const answer = await env.DO.get(env.DO.idFromName(dbName)).fetch(new Request(url, request));
      const headers = { ...CORS, "Content-Type": "application/json" };
      return new Response(answer.body, { status: answer.status, headers });
    } catch (error) {
      return json({ error: String(error) }, 500);
    }
  },
};

export class KuratchiDoInternal extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
  }

  async fetch(request) {
    if (request.method !== "POST") return json({ error: "Method not allowed" }, 405);
    try {
      const body = await request.json();
      const path = new URL(request.url).pathname;
      if (path.startsWith("/do/api/kv/")) return this.kv(path.slice("/do/api/kv/".length), body);
      const params = body.params ?? [];
      switch (path) {
        case "/do/api/run":
          return json({ success: true, results: this.sql.exec(body.query, ...params).toArray() });
        case "/do/api/exec":
          return json({ success: true, results: this.sql.exec(body.query).toArray() });
        case "/do/api/batch": {
          const results = this.ctx.storage.transactionSync(() =>
            body.batch.map((item) => this.sql.exec(item.query, ...(item.params ?? [])).toArray()),
          );
          await this.ctx.storage.sync();
          return json({ success: true, results });
        }
        case "/do/api/raw":
          // columnNames is accepted and ignored, as in the SDK.
          return json({ success: true, results: this.sql.exec(body.query, ...params).raw().toArray() });
        case "/do/api/first": {
          // one() throws unless there is exactly one row: no row is a 500, as in the SDK.
          const row = this.sql.exec(body.query, ...params).one();
          return json({ success: true, results: body.columnName ? row[body.columnName] : row });
        }
        default:
          return json({ error: "Invalid endpoint" }, 404);
      }
    } catch (error) {
      return json({ error: String(error) }, 500);
    }
  }

  // The synchronous KV API keeps no metadata or expiration: those options are accepted and dropped.
  kv(operation, body) {
    const kv = this.ctx.storage.kv;
    if (operation === "list") {
      const { prefix, start, end, limit, reverse } = body;
      const keys = [...kv.list({ prefix, start, end, limit, reverse })].map(([name]) => ({ name }));
      return json({ success: true, keys, list_complete: true, cursor: null, cacheStatus: null });
    }
    if (!body.key) return json({ success: false, error: "Key is required" }, 400);
    switch (operation) {
      case "put": {
        const encoding = body.encoding ?? "json";
        const value =
          encoding === "base64"
            ? Uint8Array.from(atob(body.value), (c) => c.charCodeAt(0))
            : encoding === "text"
              ? String(body.value)
              : body.value;
        kv.put(body.key, value);
        return json({ success: true });
      }
      case "get": {
        const value = kv.get(body.key);
        if (value instanceof Uint8Array || value instanceof ArrayBuffer) {
          const base64 = btoa(String.fromCharCode(...new Uint8Array(value)));
          return json({ success: true, value: base64, metadata: null, encoding: "base64" });
        }
        const encoding = typeof value === "string" ? "text" : "json";
        return json({ success: true, value: value ?? null, metadata: null, encoding });
      }
      case "delete":
        return json({ success: true, deleted: kv.delete(body.key) });
      default:
        return json({ error: "Invalid endpoint" }, 404);
    }
  }
}
