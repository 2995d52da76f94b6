// An in-memory stand-in for a Durable Object's synchronous KV storage (ctx.storage.kv), for unit tests that choose
// the time and the keys: keys in UTF-8 byte order, list's options and its refusal of start with startAfter, as in
// workerd. `refuse(value)` makes put throw for values the test says cannot be stored (too large, too deep).
const encoder = new TextEncoder();
export function compareBytes(a, b) {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

/** The sync KV API's list semantics (start inclusive, startAfter and end exclusive, prefix, reverse, limit). */
export class MemoryStorage {
  constructor() {
    this.map = new Map();
    this.asked = new Set();
  }
  get(key) {
    this.asked.add(key);
    return this.map.get(key);
  }
  put(key, value) {
    if (this.refuse?.(value)) throw new Error("string or blob too big: SQLITE_TOOBIG");
    this.map.set(key, value);
  }
  delete(key) {
    this.asked.add(key);
    return this.map.delete(key);
  }
  list({ start, startAfter, end, prefix, reverse, limit } = {}) {
    if (start !== undefined && startAfter !== undefined) {
      throw new TypeError("list() cannot be called with both start and startAfter values.");
    }
    let keys = [...this.map.keys()].sort(compareBytes).filter(
      (k) =>
        (start === undefined || compareBytes(k, start) >= 0) &&
        (startAfter === undefined || compareBytes(k, startAfter) > 0) &&
        (end === undefined || compareBytes(k, end) < 0) &&
        (prefix === undefined || k.startsWith(prefix)),
    );
    if (reverse) keys.reverse();
    if (limit !== undefined) keys = keys.slice(0, limit);
    return keys.map((k) => [k, this.map.get(k)]);
  }
}
