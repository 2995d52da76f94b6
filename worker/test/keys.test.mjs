// The gateway's key sets, in Node: each request's secrets pick the set, so a rotation never reuses what an earlier set
// accepted. (isGatewayKey needs workerd's crypto.subtle.timingSafeEqual; auth.test.mjs covers it there.)
import assert from "node:assert/strict";
import { test } from "node:test";
import { gatewayKeys } from "../src/keys.js";
import { importSigningKey, randomTokenId, signToken } from "../src/token.js";

const tokenFor = async (key, databaseName = "acme") =>
  signToken(await importSigningKey(key), { databaseName, tokenId: randomTokenId(), expiresAt: Date.now() + 60_000 });
const verify = async (env, token) => (await gatewayKeys(env)).verifier.verify(token, { databaseName: "acme", now: Date.now() });

test("the same secrets give the same prepared set; other secrets another one", async () => {
  assert.equal(await gatewayKeys({ API_KEY: "same" }), await gatewayKeys({ API_KEY: "same" }));
  assert.notEqual(await gatewayKeys({ API_KEY: "same" }), await gatewayKeys({ API_KEY: "same", API_KEY_PREVIOUS: "old" }));
  assert.notEqual(await gatewayKeys({ API_KEY: "a", API_KEY_PREVIOUS: "b" }), await gatewayKeys({ API_KEY: "b", API_KEY_PREVIOUS: "a" }));
});

test("after a rotation a token of the old key works while it is the previous key, and not once it is gone", async () => {
  const token = await tokenFor("rotation-old");
  await verify({ API_KEY: "rotation-old" }, token);
  await verify({ API_KEY: "rotation-old" }, token); // remembered by the old set
  assert.ok(await verify({ API_KEY: "rotation-new", API_KEY_PREVIOUS: "rotation-old" }, token));
  await assert.rejects(verify({ API_KEY: "rotation-new" }, token), { code: "invalid_signature" });
  // An isolate handed the old secrets again would accept it again: the secrets decide, not what was seen.
  assert.ok(await verify({ API_KEY: "rotation-old" }, token));
});

test("a missing key is refused before anything is prepared", () => {
  for (const env of [{}, { API_KEY: "" }, { API_KEY: 42 }]) {
    assert.throws(() => gatewayKeys(env), { code: "gateway_not_configured" });
  }
});

test("prepared sets are bounded: a few other sets and the first is prepared anew", async () => {
  const first = await gatewayKeys({ API_KEY: "bound-first" });
  assert.equal(await gatewayKeys({ API_KEY: "bound-first" }), first);
  for (let i = 0; i < 4; i++) await gatewayKeys({ API_KEY: `bound-${i}` });
  assert.notEqual(await gatewayKeys({ API_KEY: "bound-first" }), first);
});

test("many distinct secrets keep working, each with its own keys", async () => {
  for (let i = 0; i < 50; i++) {
    const token = await tokenFor(`many-${i}`);
    assert.ok(await verify({ API_KEY: `many-${i}` }, token));
    if (i > 0) await assert.rejects(verify({ API_KEY: `many-${i - 1}` }, token), { code: "invalid_signature" });
  }
});
