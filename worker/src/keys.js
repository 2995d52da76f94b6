// The gateway keys a request may be checked against: API_KEY and, during a rotation, API_KEY_PREVIOUS.
// Importing an HMAC key costs more than verifying with it, so each key is imported once per isolate and reused.
import { HttpError } from "./http.js";
import { importSigningKey } from "./token.js";

const encoder = new TextEncoder();
const preparedKeys = new Map();

function prepare(secret) {
  let prepared = preparedKeys.get(secret);
  if (!prepared) {
    prepared = Promise.all([importSigningKey(secret), crypto.subtle.digest("SHA-256", encoder.encode(secret))]).then(
      ([signingKey, digest]) => ({ signingKey, digest }),
    );
    prepared.catch(() => preparedKeys.delete(secret));
    // A re-upload with a new key starts a new isolate, so only a rotation ever puts a second entry here.
    if (preparedKeys.size >= 4) preparedKeys.clear();
    preparedKeys.set(secret, prepared);
  }
  return prepared;
}

export async function gatewayKeys(env) {
  if (typeof env.API_KEY !== "string" || env.API_KEY.length === 0) {
    throw new HttpError(500, "gateway_not_configured", "Gateway is not configured: the API_KEY secret is missing");
  }
  const secrets = [env.API_KEY];
  if (typeof env.API_KEY_PREVIOUS === "string" && env.API_KEY_PREVIOUS.length > 0) secrets.push(env.API_KEY_PREVIOUS);
  const keys = await Promise.all(secrets.map(prepare));
  return {
    signingKeys: keys.map((k) => k.signingKey),
    // Compares digests, so neither the length nor a prefix of the key leaks through timing.
    async isGatewayKey(presented) {
      const digest = await crypto.subtle.digest("SHA-256", encoder.encode(presented));
      let match = false;
      for (const key of keys) match = crypto.subtle.timingSafeEqual(digest, key.digest) || match;
      return match;
    },
  };
}
