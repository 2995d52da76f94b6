// The control plane's ownership contract: claims, adoption, the token epoch, retire, and the reserved state that
// tenant SQL cannot reach and no wipe removes.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startGateway } from "./support/gateway.mjs";

const KEY = "claims-test-key";
const SELECT_ONE = { query: "SELECT 1 AS one" };
const USERS = { id: "0001_users", sql: "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);" };
const POSTS = { id: "0002_posts", sql: "CREATE TABLE posts (id INTEGER PRIMARY KEY, body TEXT);" };
const ANN = { uid: "6f1c2b9e-0001-4c55-9a57-1a2b3c4d5e6f", namespace: "team-a", name: "ann-db" };
const BOB = { uid: "6f1c2b9e-0002-4c55-9a57-1a2b3c4d5e6f", namespace: "team-b", name: "bob-db" };
const CAT = { uid: "6f1c2b9e-0003-4c55-9a57-1a2b3c4d5e6f", namespace: "team-a", name: "cat-db" };

let gateway;
before(async () => {
  gateway = await startGateway({ apiKey: KEY });
});
after(() => gateway?.dispose());

function assertRefused(response, status, code) {
  assert.equal(response.status, status, JSON.stringify(response.body));
  assert.equal(response.body.success, false);
  assert.equal(response.body.code, code);
}

async function claim(databaseName, owner, { migrations = [USERS], adopt } = {}) {
  const response = await gateway.provision(databaseName, migrations, { owner, ...(adopt ? { adopt } : {}) });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body;
}

async function runWith(databaseName, options) {
  return gateway.data("run", databaseName, SELECT_ONE, await gateway.issueToken(databaseName, options));
}

test("a claim records the owner and a new epoch, and answers with the storage id", async () => {
  const claimed = await claim("claimed", ANN);
  assert.deepEqual(claimed.applied, ["0001_users"]);
  assert.match(claimed.epoch, /^[0-9a-f]{16}$/);
  assert.match(claimed.storageId, /^[0-9a-f]{32}$/);
  assert.equal(claimed.adopted, false);
  const info = await gateway.info("claimed");
  assert.deepEqual(info.owner, ANN);
  assert.equal(info.epoch, claimed.epoch);
  assert.equal(info.storageId, claimed.storageId);
  assert.equal(info.retainedBy, null);
  assert.equal(info.historyMissing, false);

  const again = await claim("claimed", ANN, { migrations: [USERS, POSTS] });
  assert.deepEqual(again.applied, ["0002_posts"]);
  assert.equal(again.epoch, claimed.epoch, "the same owner claims nothing new");
});

test("a second owner is refused with 409 database_owned and nothing changes", async () => {
  const first = await claim("owned", ANN);
  const before = await gateway.info("owned");
  const refused = await gateway.provision("owned", [USERS, POSTS], { owner: BOB, adopt: "any" });
  assertRefused(refused, 409, "database_owned");
  assert.equal(refused.body.error, "Database is managed by another resource");
  const text = JSON.stringify(refused.body);
  for (const revealed of [ANN.uid, ANN.namespace, ANN.name, first.epoch, first.storageId]) {
    assert.ok(!text.includes(revealed), text);
  }
  assert.deepEqual(await gateway.info("owned"), before);
});

test("data created outside the operator is refused without adopt=any, then adopted once", async () => {
  await gateway.sql("sdk-made", "CREATE TABLE notes (body TEXT)");
  await gateway.sql("sdk-made", "INSERT INTO notes VALUES ('mine')");
  for (const adopt of [undefined, "none", "sameNamespace"]) {
    const refused = await gateway.provision("sdk-made", [USERS], { owner: ANN, ...(adopt ? { adopt } : {}) });
    assertRefused(refused, 409, "database_exists");
    assert.equal(refused.body.origin, "unmanaged");
    assert.equal(refused.body.sameNamespace, false);
  }
  const refusedInfo = await gateway.info("sdk-made");
  assert.equal(refusedInfo.owner, null);
  assert.equal(refusedInfo.epoch, null);
  assert.equal(refusedInfo.storageId, null);
  assert.deepEqual(refusedInfo.tables, ["notes"]);

  const adopted = await claim("sdk-made", ANN, { adopt: "any" });
  assert.equal(adopted.adopted, true);
  assert.equal((await claim("sdk-made", ANN)).adopted, false, "only the claiming call adopts");
  assertRefused(await runWith("sdk-made"), 401, "token_revoked");
  assert.deepEqual(await sqlWithEpoch("sdk-made", "SELECT body FROM notes"), [{ body: "mine" }]);
});

async function sqlWithEpoch(databaseName, query) {
  const { epoch } = await gateway.info(databaseName);
  const response = await gateway.data("run", databaseName, { query }, await gateway.issueToken(databaseName, { epoch }));
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body.results;
}

test("retained data is adopted with sameNamespace only from the retaining namespace, and with any", async () => {
  await claim("kept", ANN);
  await sqlWithEpoch("kept", "INSERT INTO users (email) VALUES ('ann@acme.io')");
  assert.deepEqual((await gateway.retire("kept", ANN, false)).body, { success: true, retired: true, wiped: false });
  const retained = await gateway.info("kept");
  assert.equal(retained.owner, null);
  const { at, ...retainedBy } = retained.retainedBy;
  assert.deepEqual(retainedBy, ANN);
  assert.ok(Number.isInteger(at));

  for (const [owner, adopt, sameNamespace] of [
    [BOB, "sameNamespace", false],
    [BOB, undefined, false],
    [CAT, undefined, true],
    [CAT, "none", true],
  ]) {
    const refused = await gateway.provision("kept", [USERS], { owner, ...(adopt ? { adopt } : {}) });
    assertRefused(refused, 409, "database_exists");
    assert.equal(refused.body.origin, "retained");
    assert.equal(refused.body.sameNamespace, sameNamespace);
  }
  assert.deepEqual(await gateway.info("kept"), retained, "refused claims change nothing");

  const adopted = await claim("kept", CAT, { adopt: "sameNamespace" });
  assert.equal(adopted.adopted, true);
  assert.equal(adopted.storageId, retained.storageId);
  const info = await gateway.info("kept");
  assert.deepEqual(info.owner, CAT);
  assert.equal(info.retainedBy, null);
  assert.deepEqual(await sqlWithEpoch("kept", "SELECT email FROM users"), [{ email: "ann@acme.io" }]);

  await gateway.retire("kept", CAT, false);
  assert.equal((await claim("kept", BOB, { adopt: "any" })).adopted, true, "any adopts across namespaces");
});

test("sameNamespaceOrUnmanaged adopts data made outside the operator or kept by its own namespace, never another's", async () => {
  // An installation's admin database claims with it: a tenant that held the name and kept its data (tables and
  // triggers of its own making) cannot hand it over.
  await claim("planted", BOB);
  await sqlWithEpoch("planted", "INSERT INTO users (email) VALUES ('bob@evil.io')");
  await gateway.retire("planted", BOB, false);
  const planted = await gateway.info("planted");
  const refused = await gateway.provision("planted", [USERS], { owner: ANN, adopt: "sameNamespaceOrUnmanaged" });
  assertRefused(refused, 409, "database_exists");
  assert.equal(refused.body.origin, "retained");
  assert.equal(refused.body.sameNamespace, false);
  assert.deepEqual(await gateway.info("planted"), planted, "a refused claim changes nothing");

  await claim("own", ANN);
  await sqlWithEpoch("own", "INSERT INTO users (email) VALUES ('ann@acme.io')");
  await gateway.retire("own", ANN, false);
  assert.equal((await claim("own", CAT, { adopt: "sameNamespaceOrUnmanaged" })).adopted, true, "its namespace's");

  await gateway.sql("sdk-admin", "CREATE TABLE organizations (id TEXT)");
  assert.equal((await claim("sdk-admin", ANN, { adopt: "sameNamespaceOrUnmanaged" })).adopted, true, "kuratchi-sdk's");
});

test("tokens whose id lacks the epoch are refused once the database is claimed", async () => {
  assert.equal((await runWith("epoch-db")).status, 200, "an unclaimed database takes any token id");
  const provisioned = await gateway.provision("epoch-db", [USERS]);
  assert.equal(provisioned.body.epoch, null, "a provision without owner claims nothing");
  assert.equal((await runWith("epoch-db")).status, 200);

  const { epoch } = await claim("epoch-db", ANN, { adopt: "any" });
  const refused = await runWith("epoch-db");
  assertRefused(refused, 401, "token_revoked");
  assert.equal(refused.body.error, "Token revoked: it was issued for an earlier owner or storage of this database");
  assert.equal((await runWith("epoch-db", { epoch })).status, 200);
  assert.equal((await gateway.provision("epoch-db", [USERS])).body.epoch, epoch, "a provision without owner keeps it");
});

for (const wipe of [true, false]) {
  test(`every token issued before a retire (wipe: ${wipe}) is refused afterwards, also after a new claim`, async () => {
    const name = `retired-${wipe}`;
    const unprefixed = await gateway.issueToken(name);
    const { epoch } = await claim(name, ANN);
    const issued = await gateway.issueToken(name, { epoch });
    assert.equal((await gateway.data("run", name, SELECT_ONE, issued)).status, 200);

    assert.equal((await gateway.retire(name, ANN, wipe)).status, 200);
    for (const token of [issued, unprefixed]) {
      assertRefused(await gateway.data("run", name, SELECT_ONE, token), 401, "token_revoked");
    }

    const again = await claim(name, ANN, { adopt: "any" });
    assert.notEqual(again.epoch, epoch);
    for (const token of [issued, unprefixed]) {
      assertRefused(await gateway.data("run", name, SELECT_ONE, token), 401, "token_revoked");
    }
    assert.equal((await runWith(name, { epoch: again.epoch })).status, 200);
  });
}

test("revocations survive DELETE and retire", async () => {
  const revokedId = "ab".repeat(16);
  await gateway.provision("revoked-db", [USERS]);
  await gateway.admin("POST", "/admin/databases/revoked-db/revocations", { tokenIds: [revokedId] });
  assert.equal((await gateway.admin("DELETE", "/admin/databases/revoked-db")).body.deleted, true);
  assert.equal((await gateway.info("revoked-db")).revokedTokens, 1);
  const refused = await runWith("revoked-db", { tokenId: revokedId });
  assertRefused(refused, 401, "token_revoked");
  assert.equal(refused.body.error, "Token revoked");

  const { epoch } = await claim("revoked-db", ANN);
  const epochId = epoch + "cd".repeat(8);
  await gateway.admin("POST", "/admin/databases/revoked-db/revocations", { tokenIds: [epochId] });
  await gateway.retire("revoked-db", ANN, false);
  await claim("revoked-db", ANN, { adopt: "any" });
  await gateway.retire("revoked-db", ANN, true);
  assert.equal((await gateway.info("revoked-db")).revokedTokens, 2);
});

test("a retire by a non-owner, or a second retire, answers 409 not_owner and wipes nothing", async () => {
  await gateway.sql("unclaimed-retire", "CREATE TABLE t (v)");
  const unclaimed = await gateway.retire("unclaimed-retire", ANN, true);
  assertRefused(unclaimed, 409, "not_owner");
  assert.equal(unclaimed.body.error, "This resource does not manage the database");
  assert.deepEqual((await gateway.info("unclaimed-retire")).tables, ["t"]);

  await claim("guarded", ANN);
  const before = await gateway.info("guarded");
  assertRefused(await gateway.retire("guarded", BOB, true), 409, "not_owner");
  assertRefused(await gateway.retire("guarded", { ...BOB, uid: ANN.uid.toUpperCase() }, true), 409, "not_owner");
  assert.deepEqual(await gateway.info("guarded"), before);

  assert.deepEqual((await gateway.retire("guarded", ANN, true)).body, { success: true, retired: true, wiped: true });
  const retired = await gateway.info("guarded");
  assertRefused(await gateway.retire("guarded", ANN, true), 409, "not_owner");
  assert.deepEqual(await gateway.info("guarded"), retired);
});

test("tenant SQL cannot read or change any reserved key", async () => {
  const { epoch } = await claim("sealed", ANN);
  await gateway.retire("sealed", ANN, false);
  const again = await claim("sealed", ANN, { adopt: "any" });
  await gateway.admin("POST", "/admin/databases/sealed/revocations", { tokenIds: ["ef".repeat(16)] });
  const before = await gateway.info("sealed");
  assert.deepEqual(before.owner, ANN);
  assert.equal(before.epoch, again.epoch);
  const token = await gateway.issueToken("sealed", { epoch: again.epoch });
  for (const query of [
    "SELECT key, value FROM _cf_KV",
    "SELECT count(*) FROM _cf_KV WHERE key = 'meta:epoch'",
    "UPDATE _cf_KV SET value = NULL WHERE key = 'meta:epoch'",
    `UPDATE _cf_KV SET value = '"${epoch}"' WHERE key = 'meta:epoch'`,
    "DELETE FROM _cf_KV WHERE key IN ('meta:owner', 'meta:storageId', 'meta:provisionedAt')",
    "INSERT INTO _cf_KV (key, value) VALUES ('meta:retainedBy', '{}')",
    "DROP TABLE _cf_KV",
    "ALTER TABLE _cf_KV RENAME TO stolen",
    "CREATE TABLE _cf_epoch (v)",
  ]) {
    const attempt = await gateway.data("exec", "sealed", { query }, token);
    assertRefused(attempt, 400, "sql_error");
    assert.equal(attempt.body.sqliteCode, "SQLITE_AUTH", query);
  }
  assert.deepEqual(await gateway.info("sealed"), before);
});

test("DELETE wipes every tenant object and keeps the owner, the epoch and retainedBy", async () => {
  const schema = {
    id: "0001_everything",
    sql: [
      "CREATE TABLE parents (id INTEGER PRIMARY KEY)",
      "CREATE TABLE children (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES parents(id))",
      "CREATE INDEX children_parent ON children(parent)",
      "CREATE VIEW family AS SELECT * FROM parents JOIN children ON children.parent = parents.id",
      "CREATE TRIGGER parents_audit AFTER INSERT ON parents BEGIN SELECT 1; END",
      "CREATE VIRTUAL TABLE docs USING fts5(body)",
      'CREATE TABLE "_CF_lookalike" (v)',
      "INSERT INTO parents VALUES (1)",
      "INSERT INTO children VALUES (1, 1)",
      "INSERT INTO docs VALUES ('text')",
    ].join(";\n"),
  };
  const claimed = await claim("wiped", ANN, { migrations: [schema] });
  const deleted = await gateway.admin("DELETE", "/admin/databases/wiped");
  assert.deepEqual(deleted.body, { success: true, deleted: true });

  const info = await gateway.info("wiped");
  assert.deepEqual(info.tables, []);
  assert.equal(info.provisioned, false);
  assert.equal(info.storageId, null);
  assert.deepEqual(info.owner, ANN);
  assert.equal(info.epoch, claimed.epoch);
  const left = await sqlWithEpoch("wiped", "SELECT type, name FROM sqlite_master WHERE name NOT GLOB 'sqlite_*' AND name NOT GLOB '_cf_*'");
  assert.deepEqual(left, []);
  assert.equal((await gateway.admin("DELETE", "/admin/databases/wiped")).body.deleted, false);

  const again = await claim("wiped", ANN, { migrations: [schema] });
  assert.deepEqual(again.applied, ["0001_everything"], "the owner provisions again from scratch");
  assert.equal(again.epoch, claimed.epoch);
  assert.equal(again.adopted, false);

  await gateway.retire("wiped", ANN, false);
  await gateway.admin("DELETE", "/admin/databases/wiped");
  const { at, ...retainedBy } = (await gateway.info("wiped")).retainedBy;
  assert.deepEqual(retainedBy, ANN);
  assert.equal((await claim("wiped", BOB)).adopted, false, "nothing is left to adopt");
});

test("storageId is stable across PUTs, kept by a retire without wipe, and new after a wipe", async () => {
  const first = await claim("storage", ANN);
  assert.equal((await claim("storage", ANN, { migrations: [USERS, POSTS] })).storageId, first.storageId);
  assert.equal((await gateway.provision("storage", [USERS])).body.storageId, first.storageId);

  await gateway.retire("storage", ANN, false);
  assert.equal((await gateway.info("storage")).storageId, first.storageId);
  assert.equal((await claim("storage", ANN, { adopt: "sameNamespace" })).storageId, first.storageId);

  await gateway.retire("storage", ANN, true);
  assert.equal((await gateway.info("storage")).storageId, null);
  const afterRetire = await claim("storage", ANN);
  assert.notEqual(afterRetire.storageId, first.storageId);

  await gateway.admin("DELETE", "/admin/databases/storage");
  const afterDelete = await claim("storage", ANN);
  assert.match(afterDelete.storageId, /^[0-9a-f]{32}$/);
  assert.notEqual(afterDelete.storageId, afterRetire.storageId);
});

test("GET never creates storage", async () => {
  const expected = {
    provisioned: false,
    tables: [],
    migrations: [],
    version: null,
    revokedTokens: 0,
    storageId: null,
    epoch: null,
    owner: null,
    retainedBy: null,
    booleans: null,
    historyMissing: false,
  };
  for (let i = 0; i < 2; i++) {
    const { success, sizeBytes, ...info } = await gateway.info("only-read");
    assert.deepEqual(info, expected);
  }
  const claimed = await claim("only-read", ANN);
  assert.equal(claimed.adopted, false, "nothing was there to adopt");
});

test("the claim stands when a migration fails, and the failure carries storageId, epoch and owner", async () => {
  const bad = { id: "0002_bad", sql: "INSERT INTO missing VALUES (1)" };
  const failed = await gateway.provision("half", [USERS, bad], { owner: ANN });
  assertRefused(failed, 400, "migration_failed");
  assert.match(failed.body.storageId, /^[0-9a-f]{32}$/);
  assert.match(failed.body.epoch, /^[0-9a-f]{16}$/);
  assert.deepEqual(failed.body.owner, ANN);
  const info = await gateway.info("half");
  assert.deepEqual(info.owner, ANN);
  assert.equal(info.epoch, failed.body.epoch);
  assert.equal(info.storageId, failed.body.storageId);

  const changed = await gateway.provision("half", [{ ...USERS, sql: `${USERS.sql} ` }], { owner: ANN });
  assertRefused(changed, 409, "migration_changed");
  assert.equal(changed.body.epoch, failed.body.epoch);
  assert.deepEqual(changed.body.owner, ANN);
});

test("bad claim and retire bodies are 400 invalid_request; retire takes only POST", async () => {
  const path = "/admin/databases/bad-claims";
  for (const claimFields of [
    { owner: "ann" },
    { owner: [] },
    { owner: { ...ANN, uid: "" } },
    { owner: { ...ANN, uid: "u".repeat(129) } },
    { owner: { ...ANN, namespace: "n".repeat(64) } },
    { owner: { ...ANN, name: "n".repeat(254) } },
    { owner: { namespace: ANN.namespace, name: ANN.name } },
    { owner: { ...ANN, name: 7 } },
    { owner: ANN, adopt: "all" },
    { owner: ANN, adopt: true },
  ]) {
    assertRefused(await gateway.admin("PUT", path, { migrations: [], ...claimFields }), 400, "invalid_request");
  }
  const longest = { uid: "u".repeat(128), namespace: "n".repeat(63), name: "n".repeat(253) };
  assert.equal((await gateway.provision("bad-claims", [], { owner: longest })).status, 200);
  for (const body of [{ owner: longest }, { owner: longest, wipe: "yes" }, { wipe: true }, { owner: null, wipe: false }]) {
    assertRefused(await gateway.admin("POST", `${path}/retire`, body), 400, "invalid_request");
  }
  assert.equal((await gateway.info("bad-claims")).owner.uid, longest.uid, "nothing was retired");
  const get = await gateway.admin("GET", `${path}/retire`);
  assertRefused(get, 405, "method_not_allowed");
  assert.equal(get.headers.get("allow"), "POST");
});
