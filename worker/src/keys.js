// The gateway keys a request may be checked against: API_KEY and, during a rotation, API_KEY_PREVIOUS.
// Importing an HMAC key costs more than verifying with it, so each set of keys is prepared once per isolate and reused,
// with the verifier that remembers the tokens it accepted under exactly those keys. Every request looks its set up by
// the secrets it has now, so after a rotation a key that is gone verifies nothing, and nothing it accepted is used.
import { HttpError } from "./http.js";
import { TokenVerifier, importSigningKey } from "./token.js";

const encoder = new TextEncoder();
// A re-upload with a new key starts a new isolate, so only a rotation ever puts a second entry here; the bound is for
// whatever else might hand one isolate varying secrets.
const MAX_KEY_SETS = 4;
const keySets = new Map(); // [current, previous] as JSON -> Promise of the prepared set

export function gatewayKeys(env) {
  if (typeof env.API_KEY !== "string" || env.API_KEY.length === 0) {
    throw new HttpError(500, "gateway_not_configured", "Gateway is not configured: the API_KEY secret is missing");
  }
  const secrets = [env.API_KEY];
  if (typeof env.API_KEY_PREVIOUS === "string" && env.API_KEY_PREVIOUS.length > 0) secrets.push(env.API_KEY_PREVIOUS);
  const id = JSON.stringify(secrets);
  let prepared = keySets.get(id);
  if (!prepared) {
    prepared = prepare(secrets);
    prepared.catch(() => keySets.delete(id));
    if (keySets.size >= MAX_KEY_SETS) keySets.clear();
    keySets.set(id, prepared);
  }
  return prepared;
}

async function prepare(secrets) {
  const signingKeys = await Promise.all(secrets.map(importSigningKey));
  const digests = await Promise.all(secrets.map((secret) => crypto.subtle.digest("SHA-256", encoder.encode(secret))));
  return {
    signingKeys,
    verifier: new TokenVerifier(signingKeys),
    // Compares digests, so neither the length nor a prefix of the key leaks through timing.
    async isGatewayKey(presented) {
      const digest = await crypto.subtle.digest("SHA-256", encoder.encode(presented));
      let match = false;
      for (const key of digests) match = crypto.subtle.timingSafeEqual(digest, key) || match;
      return match;
    },
  };
}
