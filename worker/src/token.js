// Per-database tokens in the kuratchi-sdk format:
//   <database>.<id>.<expiresAtMs>.<signature>
//   signature = base64url(HMAC-SHA256(key = gateway key, message = "<database>.<id>.<expiresAtMs>")), no padding.
// This module runs unchanged in workerd and in Node (tests, benchmark), so it only uses Web Crypto.
import { isValidDatabaseName } from "./names.js";

export const TOKEN_ID_PATTERN = /^[0-9a-f]{32}$/;
// Canonical decimal only: the signature covers the exact text, so "0123" or "1e12" would be a second spelling
// of one expiry that kuratchi-sdk's own verifier (which re-stringifies the number) rejects.
const EXPIRY_PATTERN = /^[1-9][0-9]{0,15}$/;
// 32 bytes take 43 base64url characters; the last one carries 4 bits, so its 2 spare bits must be zero. Without
// this, four spellings of the last character would decode to the same MAC and one token would have four forms.
const SIGNATURE_PATTERN = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

export class TokenError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

const encoder = new TextEncoder();

/** Splits a token into its fields, checking each one's syntax. Needs no key. */
export function parseToken(token) {
  if (typeof token !== "string") throw malformed("Invalid token format");
  const parts = token.split(".");
  if (parts.length !== 4) {
    throw malformed("Invalid token format: expected <database>.<id>.<expiry>.<signature>");
  }
  if (parts.some((part) => part.length === 0)) throw malformed("Malformed token: empty field");
  const [databaseName, tokenId, expiry, signature] = parts;
  if (!isValidDatabaseName(databaseName)) throw malformed("Malformed token: invalid database name");
  if (!TOKEN_ID_PATTERN.test(tokenId)) throw malformed("Malformed token: id must be 32 lowercase hex digits");
  if (!EXPIRY_PATTERN.test(expiry)) throw malformed("Malformed token: expiry must be epoch milliseconds");
  if (!SIGNATURE_PATTERN.test(signature)) throw malformed("Malformed token: signature is not base64url HMAC-SHA256");
  return {
    databaseName,
    tokenId,
    expiresAt: Number(expiry),
    signedPart: `${databaseName}.${tokenId}.${expiry}`,
    signature,
  };
}

function malformed(message) {
  return new TokenError("malformed_token", message);
}

export function importSigningKey(gatewayKey) {
  return crypto.subtle.importKey("raw", encoder.encode(gatewayKey), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
    "verify",
  ]);
}

export async function signToken(signingKey, { databaseName, tokenId, expiresAt }) {
  const signedPart = `${databaseName}.${tokenId}.${expiresAt}`;
  const mac = await crypto.subtle.sign("HMAC", signingKey, encoder.encode(signedPart));
  return `${signedPart}.${base64UrlEncode(new Uint8Array(mac))}`;
}

export function randomTokenId() {
  return randomHex(16);
}

/** `byteCount` random bytes as lowercase hex. */
export function randomHex(byteCount) {
  const bytes = crypto.getRandomValues(new Uint8Array(byteCount));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Checks a token for `databaseName` against the signing keys (current first, then the one being rotated out).
 * Order: syntax, database, signature, expiry - so nothing about an unsigned token's expiry is revealed.
 * crypto.subtle.verify compares MACs in constant time.
 */
export async function verifyToken(token, { databaseName, signingKeys, now }) {
  const parsed = parseToken(token);
  if (parsed.databaseName !== databaseName) {
    throw new TokenError("token_db_mismatch", "Token db mismatch: the token was issued for another database");
  }
  const mac = base64UrlDecode(parsed.signature);
  const message = encoder.encode(parsed.signedPart);
  let signed = false;
  for (const key of signingKeys) {
    if (await crypto.subtle.verify("HMAC", key, mac, message)) {
      signed = true;
      break;
    }
  }
  if (!signed) throw new TokenError("invalid_signature", "Invalid token signature");
  if (parsed.expiresAt < now) throw new TokenError("token_expired", "Token expired");
  return { tokenId: parsed.tokenId, expiresAt: parsed.expiresAt };
}

/**
 * verifyToken for one set of signing keys, remembering the tokens it accepted (at most `capacity`, the oldest
 * forgotten first), so a token used again is not parsed and HMACed again. Only a token whose signature verified is
 * remembered, so a flood of made-up tokens cannot fill the memory, and a token counts as seen only when its whole text
 * is the same: its signed part finds the entry, and its signature is compared with the remembered one in constant
 * time. Expiry is checked on every use. Revocation is none of this: the database's object decides it for every request.
 * The answer is always verifyToken's; a new key set (a rotation) takes a new verifier, which remembers nothing.
 */
export class TokenVerifier {
  #signingKeys;
  #capacity;
  #accepted = new Map(); // signed part -> {databaseName, tokenId, expiresAt, signature}

  constructor(signingKeys, { capacity = 1024 } = {}) {
    this.#signingKeys = signingKeys;
    this.#capacity = capacity;
  }

  get size() {
    return this.#accepted.size;
  }

  /**
   * The answer for a token this verifier remembers, without awaiting anything: its result, or a TokenError for another
   * database or once it expired. null for a token it does not remember.
   */
  recall(token, { databaseName, now }) {
    const split = typeof token === "string" ? token.lastIndexOf(".") : -1;
    const seen = split > 0 ? this.#accepted.get(token.slice(0, split)) : undefined;
    if (seen === undefined || !sameText(seen.signature, token.slice(split + 1))) return null;
    // The same checks in verifyToken's order; the syntax and the signature were checked when it was remembered.
    if (seen.databaseName !== databaseName) {
      throw new TokenError("token_db_mismatch", "Token db mismatch: the token was issued for another database");
    }
    if (seen.expiresAt < now) {
      this.#accepted.delete(token.slice(0, split));
      throw new TokenError("token_expired", "Token expired");
    }
    return { tokenId: seen.tokenId, expiresAt: seen.expiresAt };
  }

  async verify(token, check) {
    const recalled = this.recall(token, check);
    if (recalled !== null) return recalled;
    const verified = await verifyToken(token, { ...check, signingKeys: this.#signingKeys });
    if (this.#accepted.size >= this.#capacity) this.#accepted.delete(this.#accepted.keys().next().value);
    const split = token.lastIndexOf(".");
    this.#accepted.set(token.slice(0, split), {
      databaseName: check.databaseName,
      ...verified,
      signature: token.slice(split + 1),
    });
    return verified;
  }
}

/** Whether two strings are equal, in a time that depends on their lengths only. */
function sameText(a, b) {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

/** Bytes (an iterable of 0-255) as standard base64, with padding. */
export function base64Encode(bytes) {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Standard base64 as bytes; throws on text atob refuses. */
export function base64Decode(text) {
  // A plain loop: Uint8Array.from(string, mapper) walks the string's iterator and took most of a token check's time.
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export function base64UrlEncode(bytes) {
  return base64Encode(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function base64UrlDecode(text) {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  return base64Decode(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
}
