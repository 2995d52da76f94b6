// The auth matrix against the Worker running in workerd.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { startGateway } from "./support/gateway.mjs";

const KEY = "test-gateway-key-current";
const PREVIOUS = "test-gateway-key-previous";
const SELECT_ONE = { query: "SELECT 1 AS one" };
const vectors = JSON.parse(readFileSync(new URL("vectors/tokens.json", import.meta.url), "utf8"));

let gateway;
before(async () => {
  gateway = await startGateway({ apiKey: KEY, previousKey: PREVIOUS });
});
after(() => gateway?.dispose());

function assertRefused(response, status, code) {
  assert.equal(response.status, status, JSON.stringify(response.body));
  assert.equal(response.body.success, false);
  assert.equal(response.body.code, code);
  assert.equal(typeof response.body.error, "string");
}

describe("accepted forms", () => {
  test("token only, as Authorization: Bearer", async () => {
    const response = await gateway.data("run", "alpha", SELECT_ONE, await gateway.issueToken("alpha"));
    assert.equal(response.status, 200);
    assert.deepEqual(response.body.results, [{ one: 1 }]);
  });

  test("token only, as x-db-token", async () => {
    const response = await gateway.data("run", "alpha", SELECT_ONE, { token: await gateway.issueToken("alpha") });
    assert.equal(response.status, 200);
  });

  test("kuratchi-sdk form: gateway key as Bearer plus x-db-token", async () => {
    const response = await gateway.data("run", "alpha", SELECT_ONE, {
      gatewayKey: KEY,
      token: await gateway.issueToken("alpha"),
    });
    assert.equal(response.status, 200);
    assert.deepEqual(response.body.results, [{ one: 1 }]);
  });

  test("a token signed with the previous key, during a rotation", async () => {
    const token = await gateway.issueToken("alpha", { key: PREVIOUS });
    assert.equal((await gateway.data("run", "alpha", SELECT_ONE, token)).status, 200);
  });
});

describe("refused", () => {
  test("no credentials", async () => {
    assertRefused(await gateway.data("run", "alpha", SELECT_ONE, undefined), 401, "missing_credentials");
  });

  test("wrong gateway key in the kuratchi-sdk form", async () => {
    const response = await gateway.data("run", "alpha", SELECT_ONE, {
      gatewayKey: "not-the-key",
      token: await gateway.issueToken("alpha"),
    });
    assertRefused(response, 401, "invalid_gateway_key");
  });

  test("the gateway key alone does not open a database", async () => {
    assertRefused(await gateway.data("run", "alpha", SELECT_ONE, KEY), 401, "missing_token");
    assertRefused(await gateway.data("run", "alpha", SELECT_ONE, ` ${KEY}`), 401, "missing_token");
    assertRefused(await gateway.data("run", "alpha", SELECT_ONE, PREVIOUS), 401, "missing_token");
    // Said before anything about the database name, as when the key was compared before the token was checked.
    assertRefused(await gateway.data("run", undefined, SELECT_ONE, KEY), 401, "missing_token");
    assertRefused(await gateway.data("run", "a.b", SELECT_ONE, KEY), 401, "missing_token");
  });

  test("a non-Bearer Authorization header", async () => {
    const response = await fetch(new URL("/api/run", gateway.url), {
      method: "POST",
      headers: { authorization: "Basic Zm9vOmJhcg==", "x-db-name": "alpha" },
      body: JSON.stringify(SELECT_ONE),
    });
    assert.equal(response.status, 401);
    assert.equal((await response.json()).code, "invalid_authorization");
  });

  test("expired", async () => {
    const token = await gateway.issueToken("alpha", { ttlMs: -1000 });
    assertRefused(await gateway.data("run", "alpha", SELECT_ONE, token), 401, "token_expired");
  });

  test("token for another database", async () => {
    const token = await gateway.issueToken("beta");
    assertRefused(await gateway.data("run", "alpha", SELECT_ONE, token), 401, "token_db_mismatch");
  });

  test("tampered signature", async () => {
    const token = await gateway.issueToken("alpha");
    const at = token.length - 5;
    const tampered = token.slice(0, at) + (token[at] === "A" ? "B" : "A") + token.slice(at + 1);
    assertRefused(await gateway.data("run", "alpha", SELECT_ONE, tampered), 401, "invalid_signature");
  });

  test("signed with a key the gateway does not hold", async () => {
    const token = await gateway.issueToken("alpha", { key: "someone-elses-key" });
    assertRefused(await gateway.data("run", "alpha", SELECT_ONE, token), 401, "invalid_signature");
  });

  test("malformed: 3 or 5 fields, empty fields, non-numeric expiry", async () => {
    const token = await gateway.issueToken("alpha");
    const [db, id, exp, sig] = token.split(".");
    const malformed = [
      `${db}.${id}.${exp}`,
      `${token}.extra`,
      `${db}..${exp}.${sig}`,
      `${db}.${id}..${sig}`,
      `${db}.${id}.${exp}.`,
      `${db}.${id}.tomorrow.${sig}`,
    ];
    for (const bad of malformed) {
      assertRefused(await gateway.data("run", "alpha", SELECT_ONE, bad), 401, "malformed_token");
    }
  });

  test("revoked token, while a sibling token for the same database still works", async () => {
    const token = await gateway.issueToken("revoke-me", { tokenId: "aa".repeat(16) });
    const sibling = await gateway.issueToken("revoke-me", { tokenId: "bb".repeat(16) });
    assert.equal((await gateway.data("run", "revoke-me", SELECT_ONE, token)).status, 200);

    const revoke = await gateway.admin("POST", "/admin/databases/revoke-me/revocations", { tokenIds: ["aa".repeat(16)] });
    assert.equal(revoke.status, 200);
    assert.equal(revoke.body.revoked, 1);

    assertRefused(await gateway.data("run", "revoke-me", SELECT_ONE, token), 401, "token_revoked");
    assert.equal((await gateway.data("run", "revoke-me", SELECT_ONE, sibling)).status, 200);
  });

  test("a token the gateway remembers from many requests is refused as soon as it is revoked", async () => {
    const tokenId = "dd".repeat(16);
    const token = await gateway.issueToken("remembered", { tokenId });
    for (let i = 0; i < 5; i++) assert.equal((await gateway.data("run", "remembered", SELECT_ONE, token)).status, 200);
    await gateway.admin("POST", "/admin/databases/remembered/revocations", { tokenIds: [tokenId] });
    for (let i = 0; i < 3; i++) assertRefused(await gateway.data("run", "remembered", SELECT_ONE, token), 401, "token_revoked");
  });

  test("a remembered token is refused for another database and once it expired", async () => {
    const token = await gateway.issueToken("short-lived", { ttlMs: 1500 });
    assert.equal((await gateway.data("run", "short-lived", SELECT_ONE, token)).status, 200);
    assertRefused(await gateway.data("run", "alpha", SELECT_ONE, token), 401, "token_db_mismatch");
    await new Promise((resolve) => setTimeout(resolve, 1600));
    assertRefused(await gateway.data("run", "short-lived", SELECT_ONE, token), 401, "token_expired");
  });

  test("a revocation cannot be undone from SQL by another token of the same database", async () => {
    const revokedId = "cc".repeat(16);
    const token = await gateway.issueToken("tamper", { tokenId: revokedId });
    await gateway.admin("POST", "/admin/databases/tamper/revocations", { tokenIds: [revokedId] });
    const other = await gateway.issueToken("tamper");
    const attempt = await gateway.data("exec", "tamper", { query: "DELETE FROM _cf_KV" }, other);
    assertRefused(attempt, 400, "sql_error");
    assert.equal(attempt.body.sqliteCode, "SQLITE_AUTH");
    assertRefused(await gateway.data("run", "tamper", SELECT_ONE, token), 401, "token_revoked");
  });

  test("missing or invalid x-db-name", async () => {
    const token = await gateway.issueToken("alpha");
    assertRefused(await gateway.data("run", undefined, SELECT_ONE, token), 400, "missing_database_name");
    for (const name of ["a.b", "x".repeat(256), "ünï", "tab\tx"]) {
      const response = await fetch(new URL("/api/run", gateway.url), {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "x-db-name": name },
        body: JSON.stringify(SELECT_ONE),
      });
      assert.equal(response.status, 400, name);
      assert.equal((await response.json()).code, "invalid_database_name", name);
    }
  });

  test("admin paths need the gateway key; a database token is not enough", async () => {
    const token = await gateway.issueToken("alpha");
    assertRefused(await gateway.admin("GET", "/admin/databases/alpha", undefined, null), 401, "invalid_gateway_key");
    assertRefused(await gateway.admin("GET", "/admin/databases/alpha", undefined, token), 401, "invalid_gateway_key");
    assertRefused(await gateway.admin("GET", "/admin/databases/alpha", undefined, "wrong"), 401, "invalid_gateway_key");
    assert.equal((await gateway.admin("GET", "/admin/databases/alpha", undefined, PREVIOUS)).status, 200);
  });
});

test("the shared token vectors: valid ones are accepted, invalid ones refused with their reason", async (t) => {
  // The vectors' expiry times are fixed, so use a gateway holding the vectors' key and only vectors whose
  // verdict does not depend on the clock (the expired case is covered above).
  const vectorGateway = await startGateway({ apiKey: vectors.invalid[0].key });
  t.after(() => vectorGateway.dispose());
  const future = vectors.valid.filter((v) => v.key === vectors.invalid[0].key && v.expiresAt > Date.now());
  assert.ok(future.length > 0);
  for (const v of future) {
    assert.equal((await vectorGateway.data("run", v.databaseName, SELECT_ONE, v.token)).status, 200);
  }
  for (const v of vectors.invalid.filter((v) => v.reason !== "token_expired")) {
    const response = await fetch(new URL("/api/run", vectorGateway.url), {
      method: "POST",
      headers: { authorization: `Bearer ${v.token}`, "x-db-name": v.databaseName },
      body: JSON.stringify(SELECT_ONE),
    });
    const body = await response.json();
    const expected = v.databaseName === "Acme" ? "invalid_database_name" : v.reason;
    assert.equal(body.code, expected, v.description);
  }
});

test("no response ever contains a key or a token", async () => {
  const token = await gateway.issueToken("alpha");
  const responses = [
    await gateway.data("run", "alpha", SELECT_ONE, { gatewayKey: "wrong", token }),
    await gateway.data("run", "beta", SELECT_ONE, token),
    await gateway.data("run", "alpha", { query: `SELEC '${token}'` }, token),
    await gateway.data("run", "alpha", SELECT_ONE, KEY),
  ];
  for (const response of responses) {
    const text = JSON.stringify(response.body);
    assert.ok(!text.includes(KEY) && !text.includes(PREVIOUS), text);
    assert.ok(!text.includes(token.split(".")[3]), text);
  }
});
