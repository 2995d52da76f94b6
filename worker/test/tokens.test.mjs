// The token codec against the shared vectors, in Node (the Worker runs the same module in workerd; auth.test.mjs
// checks the deployed Worker against the same file).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { TokenError, importSigningKey, parseToken, signToken, verifyToken } from "../src/token.js";

const vectors = JSON.parse(readFileSync(new URL("vectors/tokens.json", import.meta.url), "utf8"));

test("every valid vector signs to the expected token byte for byte and verifies", async () => {
  for (const v of vectors.valid) {
    const key = await importSigningKey(v.key);
    const token = await signToken(key, v);
    assert.equal(token, v.token, `signing ${v.databaseName}`);
    const verified = await verifyToken(v.token, { databaseName: v.databaseName, signingKeys: [key], now: 0 });
    assert.deepEqual(verified, { tokenId: v.tokenId, expiresAt: v.expiresAt });
  }
});

test("id and expiry are readable without the key", () => {
  const [v] = vectors.valid;
  const parsed = parseToken(v.token);
  assert.equal(parsed.databaseName, v.databaseName);
  assert.equal(parsed.tokenId, v.tokenId);
  assert.equal(parsed.expiresAt, v.expiresAt);
});

test("every invalid vector is refused with its reason", async () => {
  assert.ok(vectors.invalid.length >= 15);
  for (const v of vectors.invalid) {
    const key = await importSigningKey(v.key);
    await assert.rejects(
      verifyToken(v.token, { databaseName: v.databaseName, signingKeys: [key], now: v.now }),
      (error) => error instanceof TokenError && error.code === v.reason,
      v.description,
    );
  }
});

test("a token verifies under the previous key during a rotation", async () => {
  const [v] = vectors.valid;
  const current = await importSigningKey("the-new-key");
  const previous = await importSigningKey(v.key);
  const options = { databaseName: v.databaseName, now: 0 };
  await assert.rejects(verifyToken(v.token, { ...options, signingKeys: [current] }), { code: "invalid_signature" });
  assert.equal((await verifyToken(v.token, { ...options, signingKeys: [current, previous] })).tokenId, v.tokenId);
});

test("error messages never contain the token", async () => {
  const key = await importSigningKey("k");
  for (const v of vectors.invalid) {
    const error = await verifyToken(v.token, { databaseName: v.databaseName, signingKeys: [key], now: v.now }).catch(
      (e) => e,
    );
    const signature = v.token.split(".").at(-1);
    assert.ok(!error.message.includes(v.token), v.description);
    if (signature.length > 0) assert.ok(!error.message.includes(signature), v.description);
  }
});
