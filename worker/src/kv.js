// The tenant's key-value store: kuratchi-sdk's /api/kv/{get,put,delete,list}, over the Durable Object's KV storage,
// where kuratchi-sdk's Worker kept it. Values are stored as that Worker stored them (a JSON value as is, text as a
// string, base64 as bytes), so the data of a database taken over from it reads the same.
//
// The gateway's own state lives in the same storage, under RESERVED_PREFIX: a tenant key there is refused and a list
// skips the whole range, so no request can read or change it. What kuratchi-sdk's Worker accepted but dropped (the
// storage has neither), per-key metadata and expiry, is kept beside the value under that prefix, and an expired key
// reads as absent; it is deleted when a request comes across it.
import { HttpError, invalidRequest, optionalBoolean, requireUnicodeText } from "./http.js";
import { base64Decode, base64Encode } from "./token.js";
import { KV_EXTRA_PREFIX as EXTRA_PREFIX, RESERVED_END, RESERVED_PREFIX, forEachInBatches } from "./reserved.js";

export const KV_OPERATIONS = ["kv/get", "kv/put", "kv/delete", "kv/list"];

// Cloudflare limits a Durable Object key to 2 KiB. A put with metadata or an expiry leaves room for the key kept
// beside the value, which adds EXTRA_PREFIX; a longer key has nothing beside it.
const MAX_STORED_KEY_BYTES = 2048;
const MAX_KEY_BYTES = MAX_STORED_KEY_BYTES - EXTRA_PREFIX.length;
// Workers KV's metadata limit, list page and shortest expiry.
const MAX_METADATA_BYTES = 1024;
// Deep enough for any document; far deeper nesting would overflow the serializer's stack (a 500).
const MAX_VALUE_DEPTH = 256;
const MAX_LIST_LIMIT = 1000;
const MIN_EXPIRATION_TTL_SECONDS = 60;
const GET_TYPES = ["json", "text", "arrayBuffer"];
const PUT_ENCODINGS = ["json", "text", "base64"];

const encoder = new TextEncoder();

/** Validates a KV request body (gateway side); `now` (ms) turns a relative expiry into an absolute one. */
export function parseKvRequest(operation, body, now) {
  switch (operation) {
    case "kv/get":
      return {
        key: requireKey(body.key, MAX_STORED_KEY_BYTES),
        type: oneOf(body.type, GET_TYPES, "type", "json"),
        withMetadata: optionalBoolean(body.withMetadata, "withMetadata"),
      };
    case "kv/put": {
      const encoding = oneOf(body.encoding, PUT_ENCODINGS, "encoding", "json");
      const metadata = parseMetadata(body.metadata);
      const expiration = parseExpiration(body, now);
      // Only a key that has something kept beside it needs room for that key.
      const plain = metadata === null && expiration === null;
      const key = requireKey(body.key, plain ? MAX_STORED_KEY_BYTES : MAX_KEY_BYTES);
      return { key, value: decodeValue(body, encoding), metadata, expiration };
    }
    case "kv/delete":
      return { key: requireKey(body.key, MAX_STORED_KEY_BYTES) };
    default:
      return parseList(body);
  }
}

function requireKey(key, maxBytes = MAX_KEY_BYTES) {
  // kuratchi-sdk's Worker answered an empty or missing key with exactly this message.
  if (typeof key !== "string" || key.length === 0) throw invalidRequest("Key is required");
  requireUnicodeText(key, "key");
  if (encoder.encode(key).length > maxBytes) throw invalidRequest(`key is longer than ${maxBytes} bytes`);
  if (key.startsWith(RESERVED_PREFIX)) {
    throw new HttpError(400, "reserved_key", `keys starting with '${RESERVED_PREFIX}' are reserved for the gateway`);
  }
  return key;
}

function requireShallow(value, name) {
  const pending = [[value, 1]];
  while (pending.length > 0) {
    const [item, depth] = pending.pop();
    if (item === null || typeof item !== "object") continue;
    if (depth > MAX_VALUE_DEPTH) throw invalidRequest(`${name} is nested deeper than ${MAX_VALUE_DEPTH} levels`);
    for (const child of Object.values(item)) pending.push([child, depth + 1]);
  }
  return value;
}

function decodeValue(body, encoding) {
  const { value } = body;
  if (value === undefined) throw invalidRequest("value is required");
  switch (encoding) {
    case "text":
      if (value !== null && typeof value === "object") throw invalidRequest("value must be text with encoding 'text'");
      return value === null ? "" : String(value);
    case "base64":
      // Strictly: atob also takes whitespace and missing padding, so one value would have several spellings.
      if (typeof value !== "string" || value.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) {
        throw invalidRequest("value must be standard base64 (with padding) with encoding 'base64'");
      }
      return base64Decode(value);
    default:
      return requireShallow(value, "value");
  }
}

function parseMetadata(metadata) {
  if (metadata === undefined || metadata === null) return null;
  requireShallow(metadata, "metadata");
  if (encoder.encode(JSON.stringify(metadata)).length > MAX_METADATA_BYTES) {
    throw invalidRequest(`metadata is larger than ${MAX_METADATA_BYTES} bytes as JSON`);
  }
  return metadata;
}

// Workers KV's two forms, in seconds: expiration (since the epoch) or expirationTtl (from now), at least 60 s ahead.
function parseExpiration({ expiration, expirationTtl }, now) {
  const given = (value) => value !== undefined && value !== null;
  if (given(expiration) && given(expirationTtl)) throw invalidRequest("give expiration or expirationTtl, not both");
  const nowSeconds = Math.floor(now / 1000);
  let at = null;
  if (given(expiration)) {
    if (!Number.isSafeInteger(expiration)) throw invalidRequest("expiration must be seconds since the epoch");
    at = expiration;
  } else if (given(expirationTtl)) {
    if (!Number.isSafeInteger(expirationTtl)) throw invalidRequest("expirationTtl must be a whole number of seconds");
    at = nowSeconds + expirationTtl;
  }
  if (at !== null && at < nowSeconds + MIN_EXPIRATION_TTL_SECONDS) {
    throw invalidRequest(`the expiry must be at least ${MIN_EXPIRATION_TTL_SECONDS} seconds in the future`);
  }
  return at;
}

function parseList(body) {
  const text = (name) => {
    const value = body[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "string") throw invalidRequest(`${name} must be a string`);
    return requireUnicodeText(value, name);
  };
  const limit = body.limit ?? MAX_LIST_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
    throw invalidRequest(`limit must be a whole number from 1 to ${MAX_LIST_LIMIT}`);
  }
  const start = text("start");
  const startAfter = text("startAfter");
  if (start !== undefined && startAfter !== undefined) throw invalidRequest("give start or startAfter, not both");
  const cursor = text("cursor");
  let after;
  if (cursor !== undefined) {
    try {
      after = new TextDecoder("utf-8", { fatal: true }).decode(base64Decode(cursor));
    } catch {
      throw invalidRequest("cursor is not one this gateway returned");
    }
  }
  return {
    prefix: text("prefix"),
    start,
    startAfter,
    end: text("end"),
    limit,
    reverse: optionalBoolean(body.reverse, "reverse"),
    after,
  };
}

function oneOf(value, allowed, name, fallback) {
  if (value === undefined || value === null) return fallback;
  if (!allowed.includes(value)) throw invalidRequest(`${name} must be one of ${allowed.join(", ")}`);
  return value;
}

/** The tenant's keys in a Durable Object's KV storage (object side). Every method is synchronous. */
export class TenantKv {
  constructor(storage) {
    this.storage = storage;
  }

  run(operation, request, now) {
    switch (operation) {
      case "kv/get":
        return this.get(request, now);
      case "kv/put":
        this.storage.put(request.key, request.value);
        if (request.metadata !== null || request.expiration !== null) {
          this.storage.put(extraKey(request.key), { metadata: request.metadata, expiration: request.expiration });
        } else if (extraKey(request.key) !== null) {
          this.storage.delete(extraKey(request.key));
        }
        return {};
      case "kv/delete": {
        const deleted = this.live(request.key, now) !== undefined;
        this.remove(request.key);
        return { deleted };
      }
      default:
        return this.list(request, now);
    }
  }

  get({ key, type, withMetadata }, now) {
    const entry = this.live(key, now);
    const metadata = withMetadata ? (entry?.extra?.metadata ?? null) : null;
    if (entry === undefined) return { value: null, metadata, encoding: type === "arrayBuffer" ? "base64" : type };
    const { value } = entry;
    if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
      const bytes = ArrayBuffer.isView(value)
        ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
        : new Uint8Array(value);
      return { value: base64Encode(bytes), metadata, encoding: "base64" };
    }
    if (typeof value === "string") {
      if (type === "arrayBuffer") return { value: base64Encode(encoder.encode(value)), metadata, encoding: "base64" };
      if (type === "text") return { value, metadata, encoding: "text" };
    }
    return { value, metadata, encoding: "json" };
  }

  /**
   * Keys in order, as Workers KV lists them, with the reserved range left out: the request's range is listed as the
   * part before the reserved prefix and the part after it. One key more than the limit tells whether more remain.
   */
  list({ prefix, start, startAfter, end, limit, reverse, after }, now) {
    let low = { start, startAfter };
    let high = end;
    if (after !== undefined) {
      if (reverse) high = high === undefined || compareKeys(after, high) < 0 ? after : high;
      else low = greaterStart(low, { startAfter: after });
    }
    const below = { ...low, end: high === undefined || compareKeys(RESERVED_PREFIX, high) < 0 ? RESERVED_PREFIX : high };
    const above = { ...greaterStart(low, { start: RESERVED_END }), end: high };
    const keys = [];
    const expired = [];
    for (const range of reverse ? [above, below] : [below, above]) {
      if (keys.length > limit) break;
      for (const [name] of this.storage.list({ ...range, prefix, reverse })) {
        const extra = this.extra(name);
        if (isExpired(extra, now)) {
          expired.push(name);
          continue;
        }
        keys.push({ name, extra });
        if (keys.length > limit) break;
      }
    }
    for (const name of expired) this.remove(name);
    const complete = keys.length <= limit;
    const page = keys.slice(0, limit).map(({ name, extra }) => ({
      name,
      ...(extra?.expiration ? { expiration: extra.expiration } : {}),
      ...(extra?.metadata !== undefined && extra?.metadata !== null ? { metadata: extra.metadata } : {}),
    }));
    return {
      keys: page,
      list_complete: complete,
      cursor: complete ? null : base64Encode(encoder.encode(page[page.length - 1].name)),
      cacheStatus: null,
    };
  }

  /** Whether the tenant has any key (an expired one counts until it is deleted). */
  any() {
    // One at a time: workerd allows a single open list iterator.
    return [{ end: RESERVED_PREFIX }, { start: RESERVED_END }].some(
      (range) => [...this.storage.list({ ...range, limit: 1 })].length > 0,
    );
  }

  /** Deletes every tenant key and what is kept beside it, a batch at a time (each value is loaded with its key). */
  clear() {
    const remove = (name) => this.storage.delete(name);
    forEachInBatches(this.storage, undefined, remove, { end: RESERVED_PREFIX });
    forEachInBatches(this.storage, undefined, remove, { start: RESERVED_END });
    forEachInBatches(this.storage, EXTRA_PREFIX, remove);
  }

  live(key, now) {
    const value = this.storage.get(key);
    if (value === undefined) return undefined;
    const extra = this.extra(key);
    if (isExpired(extra, now)) {
      this.remove(key);
      return undefined;
    }
    return { value, extra };
  }

  remove(key) {
    this.storage.delete(key);
    const beside = extraKey(key);
    if (beside !== null) this.storage.delete(beside);
  }

  /** What is kept beside a key's value, if anything; a key too long to have anything beside it has nothing. */
  extra(key) {
    const beside = extraKey(key);
    return beside === null ? undefined : this.storage.get(beside);
  }
}

function extraKey(key) {
  const beside = EXTRA_PREFIX + key;
  return encoder.encode(beside).length <= MAX_STORED_KEY_BYTES ? beside : null;
}

// Of two lower bounds, the one that starts later; startAfter x starts later than start x.
function greaterStart(a, b) {
  const bound = (r) => r.startAfter ?? r.start;
  if (bound(a) === undefined) return b;
  if (bound(b) === undefined) return a;
  const order = compareKeys(bound(a), bound(b));
  if (order === 0) return a.startAfter !== undefined ? a : b;
  return order > 0 ? { start: a.start, startAfter: a.startAfter } : b;
}

// The storage orders keys by their UTF-8 bytes, which is not JavaScript's order for every pair of strings.
function compareKeys(a, b) {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

function isExpired(extra, now) {
  return Boolean(extra?.expiration) && extra.expiration * 1000 <= now;
}
