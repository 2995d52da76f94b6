// The token codec against the shared vectors, in Node (the Worker runs the same module in workerd; auth.test.mjs
// checks the deployed Worker against the same file).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import {
  TokenError,
  TokenVerifier,
  importSigningKey,
  parseToken,
  randomTokenId,
  signToken,
  verifyToken,
} from "../src/token.js";

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

describe("TokenVerifier: verifyToken with a memory of the tokens it accepted", () => {
  const [v] = vectors.valid;
  const options = { databaseName: v.databaseName, now: 0 };
  const verifierFor = async (key, capacity) => new TokenVerifier([await importSigningKey(key)], { capacity });
  const answer = (promise) =>
    promise.then(
      (verified) => ({ verified }),
      (error) => ({ code: error.code, message: error.message }),
    );

  test("gives verifyToken's answer for every vector, the first time and once the valid ones are remembered", async () => {
    const verifiers = new Map();
    for (const round of [1, 2]) {
      for (const vector of [...vectors.valid, ...vectors.invalid]) {
        if (!verifiers.has(vector.key)) verifiers.set(vector.key, await verifierFor(vector.key));
        const key = await importSigningKey(vector.key);
        const check = { databaseName: vector.databaseName, now: vector.now ?? 0 };
        assert.deepEqual(
          await answer(verifiers.get(vector.key).verify(vector.token, check)),
          await answer(verifyToken(vector.token, { ...check, signingKeys: [key] })),
          `round ${round}: ${vector.description ?? vector.databaseName}`,
        );
      }
    }
  });

  test("a remembered token is still refused for another database, and once it expired", async () => {
    const verifier = await verifierFor(v.key);
    await verifier.verify(v.token, options);
    assert.equal(verifier.size, 1);
    await assert.rejects(verifier.verify(v.token, { ...options, databaseName: "other" }), { code: "token_db_mismatch" });
    await assert.rejects(verifier.verify(v.token, { ...options, now: v.expiresAt + 1 }), { code: "token_expired" });
    assert.equal(verifier.size, 0, "an expired token is forgotten");
  });

  test("the signed part of a remembered token with another signature is refused", async () => {
    const verifier = await verifierFor(v.key);
    await verifier.verify(v.token, options);
    const at = v.token.length - 5;
    const tampered = v.token.slice(0, at) + (v.token[at] === "A" ? "B" : "A") + v.token.slice(at + 1);
    await assert.rejects(verifier.verify(tampered, options), { code: "invalid_signature" });
    await assert.rejects(verifier.verify(`${v.token}A`, options), { code: "malformed_token" });
    await assert.rejects(verifier.verify(v.token.slice(0, -1), options), { code: "malformed_token" });
    assert.equal(verifier.size, 1);
  });

  test("only accepted tokens are remembered, and no more than its capacity", async () => {
    const verifier = await verifierFor("bound-key", 3);
    const key = await importSigningKey("bound-key");
    const other = await importSigningKey("someone-elses-key");
    for (let i = 0; i < 100; i++) {
      const forged = await signToken(other, { databaseName: "acme", tokenId: randomTokenId(), expiresAt: 2e12 });
      await assert.rejects(verifier.verify(forged, { databaseName: "acme", now: 0 }));
      await assert.rejects(verifier.verify(`acme.${randomTokenId()}.2000000000000.${"A".repeat(43)}`, { databaseName: "acme", now: 0 }));
    }
    assert.equal(verifier.size, 0);
    const tokens = [];
    for (let i = 0; i < 10; i++) {
      tokens.push(await signToken(key, { databaseName: "acme", tokenId: randomTokenId(), expiresAt: 2e12 }));
      await verifier.verify(tokens[i], { databaseName: "acme", now: 0 });
      assert.ok(verifier.size <= 3);
    }
    assert.equal(verifier.size, 3);
    // A forgotten token is verified again, not refused.
    assert.ok(await verifier.verify(tokens[0], { databaseName: "acme", now: 0 }));
  });
});
