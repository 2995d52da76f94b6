// Cloudflare's global API limit: a fixed number of requests per window per token. Once a token is over the limit
// every call is refused with 429 until its window ends, as Cloudflare blocks for the rest of the five minutes.
export class RateLimiter {
  constructor({ limit, windowSeconds, now = Date.now }) {
    this.now = now;
    this.configure({ limit, windowSeconds });
  }

  configure({ limit, windowSeconds }) {
    if (!(Number.isSafeInteger(limit) && limit > 0)) throw new Error("rate limit must be a positive integer");
    if (!(windowSeconds > 0)) throw new Error("rate-limit window must be a positive number of seconds");
    this.limit = limit;
    this.windowMs = windowSeconds * 1000;
    this.windows = new Map();
  }

  /** Counts one request for `key`: {allowed, remaining, resetSeconds}. */
  take(key) {
    const now = this.now();
    let window = this.windows.get(key);
    if (!window || now >= window.start + this.windowMs) {
      window = { start: now, count: 0 };
      this.windows.set(key, window);
    }
    window.count++;
    const resetSeconds = Math.max(1, Math.ceil((window.start + this.windowMs - now) / 1000));
    return { allowed: window.count <= this.limit, remaining: Math.max(0, this.limit - window.count), resetSeconds };
  }

  headers({ remaining, resetSeconds }) {
    return {
      ratelimit: `"default";r=${remaining};t=${resetSeconds}`,
      "ratelimit-policy": `"default";q=${this.limit};w=${this.windowMs / 1000}`,
    };
  }
}
