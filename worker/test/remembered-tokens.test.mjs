// What the gateway remembers of the tokens it accepted, so a token's later requests cost less: the verifier skips the
// HMAC of a token it verified (tokens.test.mjs, keys.test.mjs), and each database's object skips the two storage reads
// of a token id it admitted. Nothing remembered may outlive a revocation, a claim or a retire.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { startGateway, workerModules } from "./support/gateway.mjs";

const KEY = "remembered-tokens-key";
const SELECT_ONE = { query: "SELECT 1 AS one" };
const OWNER = { uid: "6f1c2b9e-0009-4c55-9a57-1a2b3c4d5e6f", namespace: "team-a", name: "memo-db" };

// The deployed Worker, plus a way to read how many token ids a database's object remembers.
const ENTRY = `
import { handleRequest } from "./gateway.js";
import { KuratchiDoInternal as Database } from "./database.js";
export class KuratchiDoInternal extends Database {
  rememberedTokens() {
    return this.acceptedTokens.size;
  }
}
export default {
  async fetch(request, env) {
    const remembered = /^\\/test\\/remembered\\/(.+)$/.exec(new URL(request.url).pathname);
    if (!remembered) return handleRequest(request, env);
    return Response.json(await env.DO.get(env.DO.idFromName(remembered[1])).rememberedTokens());
  },
};`;

let gateway;
before(async () => {
  gateway = await startGateway({
    apiKey: KEY,
    modules: [{ type: "ESModule", path: "test-entry.js", contents: ENTRY }, ...workerModules()],
  });
});
after(() => gateway?.dispose());

const remembered = async (databaseName) => (await fetch(gateway.resolve(`/test/remembered/${databaseName}`))).json();
const run = (databaseName, token) => gateway.data("run", databaseName, SELECT_ONE, token);

function assertRevoked(response) {
  assert.equal(response.status, 401, JSON.stringify(response.body));
  assert.equal(response.body.code, "token_revoked");
}

test("an object remembers the token ids it admitted, at most 64, and only accepted ones", async () => {
  const tokens = [];
  for (let i = 0; i < 70; i++) tokens.push(await gateway.issueToken("many-tokens"));
  for (const token of tokens) assert.equal((await run("many-tokens", token)).status, 200);
  assert.equal(await remembered("many-tokens"), 64);
  // A forgotten id is read from storage again and still works.
  assert.equal((await run("many-tokens", tokens[0])).status, 200);

  const revokedId = "ee".repeat(16);
  await gateway.admin("POST", "/admin/databases/revoked-first/revocations", { tokenIds: [revokedId] });
  const token = await gateway.issueToken("revoked-first", { tokenId: revokedId });
  for (let i = 0; i < 3; i++) assertRevoked(await run("revoked-first", token));
  assert.equal(await remembered("revoked-first"), 0);
});

test("every call of the control plane forgets them, whatever it changes", async () => {
  const name = "forgetting";
  const token = await gateway.issueToken(name);
  const calls = [
    () => gateway.info(name),
    () => gateway.provision(name, []),
    () => gateway.admin("POST", `/admin/databases/${name}/revocations`, { tokenIds: ["ff".repeat(16)] }),
    () => gateway.admin("DELETE", `/admin/databases/${name}`),
    () => gateway.retire(name, OWNER, false), // answers 409: not the owner
  ];
  for (const call of calls) {
    assert.equal((await run(name, token)).status, 200);
    assert.equal(await remembered(name), 1);
    await call();
    assert.equal(await remembered(name), 0, call.toString());
  }
});

test("a remembered token id is refused as soon as it is revoked, or a claim or a retire starts a new epoch", async () => {
  const revokedId = "ab".repeat(16);
  const revoked = await gateway.issueToken("memo-revoke", { tokenId: revokedId });
  for (let i = 0; i < 3; i++) assert.equal((await run("memo-revoke", revoked)).status, 200);
  await gateway.admin("POST", "/admin/databases/memo-revoke/revocations", { tokenIds: [revokedId] });
  assertRevoked(await run("memo-revoke", revoked));

  const beforeClaim = await gateway.issueToken("memo-claim");
  for (let i = 0; i < 3; i++) assert.equal((await run("memo-claim", beforeClaim)).status, 200);
  const claimed = await gateway.provision("memo-claim", [], { owner: OWNER, adopt: "any" });
  assert.equal(claimed.status, 200, JSON.stringify(claimed.body));
  assertRevoked(await run("memo-claim", beforeClaim));

  const ofEpoch = await gateway.issueToken("memo-claim", { epoch: claimed.body.epoch });
  for (let i = 0; i < 3; i++) assert.equal((await run("memo-claim", ofEpoch)).status, 200);
  assert.equal((await gateway.retire("memo-claim", OWNER, false)).status, 200);
  assertRevoked(await run("memo-claim", ofEpoch));
});

test("every call the gateway makes of a database's object but execute forgets the admitted ids first", () => {
  const gatewaySource = readFileSync(new URL("../src/gateway.js", import.meta.url), "utf8");
  const databaseSource = readFileSync(new URL("../src/database.js", import.meta.url), "utf8");
  const called = new Set([...gatewaySource.matchAll(/\bdatabase\.(\w+)\(/g)].map((m) => m[1]));
  assert.ok(called.has("execute") && called.size >= 6, [...called].join(", "));
  for (const method of called) {
    if (method === "execute") continue;
    const body = new RegExp(`\\n  (?:async )?${method}\\([^)]*\\) \\{\\n    this\\.forgetAcceptedTokens\\(\\);\\n`);
    assert.match(databaseSource, body, `${method} must call this.forgetAcceptedTokens() first`);
  }
});
