// No SQLite error is an internal error: whatever tenant SQL left in a database, every call answers with what failed.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startGateway } from "./support/gateway.mjs";

const KEY = "sqlite-errors-test-key";
const USERS = { id: "0001_users", sql: "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);" };
const POSTS = { id: "0002_posts", sql: "CREATE TABLE posts (id INTEGER PRIMARY KEY, body TEXT);" };
const ANN = { uid: "6f1c2b9e-0001-4c55-9a57-1a2b3c4d5e6f", namespace: "team-a", name: "ann-db" };
const BOB = { uid: "6f1c2b9e-0002-4c55-9a57-1a2b3c4d5e6f", namespace: "team-b", name: "bob-db" };
// The largest AUTOINCREMENT value: the next insert into migrations_history fails with SQLITE_FULL.
const EXHAUST_HISTORY = "UPDATE sqlite_sequence SET seq = 9223372036854775807 WHERE name = 'migrations_history'";

let gateway;
before(async () => {
  gateway = await startGateway({ apiKey: KEY });
});
after(() => gateway?.dispose());

function assertSqlError(response, sqliteCode) {
  assert.equal(response.status, 400, JSON.stringify(response.body));
  assert.equal(response.body.success, false);
  assert.equal(response.body.code, "sql_error");
  assert.equal(response.body.sqliteCode, sqliteCode);
}

test("SQLITE_FULL, which resets the object, is 400 sql_error in the data plane and in PUT, and nothing is kept", async () => {
  assert.equal((await gateway.provision("full", [USERS], { owner: ANN })).status, 200);
  assert.equal((await gateway.tenant("exec", "full", { query: EXHAUST_HISTORY })).status, 200);
  const before = await gateway.info("full");

  const insert = await gateway.tenant("exec", "full", {
    query: "INSERT INTO users (email) VALUES ('a@b.c'); INSERT INTO migrations_history (tag) VALUES ('x')",
  });
  assertSqlError(insert, "SQLITE_FULL");
  assert.equal(insert.body.error, "database or disk is full: SQLITE_FULL");
  const users = await gateway.tenant("run", "full", { query: "SELECT count(*) AS n FROM users" });
  assert.deepEqual(users.body.results, [{ n: 0 }], "the insert before it was rolled back");

  assertSqlError(await gateway.provision("full", [USERS, POSTS], { owner: ANN }), "SQLITE_FULL");
  assert.deepEqual(await gateway.info("full"), before, "the migration was rolled back with its history row");

  assert.equal((await gateway.retire("full", ANN, false)).status, 200);
  const retained = await gateway.info("full");
  assertSqlError(await gateway.provision("full", [USERS, POSTS], { owner: BOB, adopt: "any" }), "SQLITE_FULL");
  assert.deepEqual(await gateway.info("full"), retained, "the claim was rolled back too");
});

test("a migrations_history the gateway cannot use is 409 history_missing from PUT and historyMissing in GET", async () => {
  const shapes = {
    "history-view": "CREATE VIEW migrations_history AS SELECT 'x' AS tag",
    "history-without-rowid": "CREATE TABLE migrations_history (tag TEXT PRIMARY KEY, created_at, checksum) WITHOUT ROWID",
    "history-virtual": "CREATE VIRTUAL TABLE migrations_history USING fts5(tag)",
  };
  for (const [name, shape] of Object.entries(shapes)) {
    assert.equal((await gateway.tenant("exec", name, { query: shape })).status, 200);
    for (const owner of [ANN, undefined]) {
      const info = await gateway.admin("GET", `/admin/databases/${name}`);
      assert.equal(info.status, 200, `${name}: ${JSON.stringify(info.body)}`);
      assert.equal(info.body.historyMissing, true);
      assert.deepEqual(info.body.migrations, []);

      const refused = await gateway.provision(name, [USERS], owner ? { owner, adopt: "any" } : {});
      assert.equal(refused.status, 409, `${name}: ${JSON.stringify(refused.body)}`);
      assert.equal(refused.body.code, "history_missing");
      assert.equal(
        refused.body.error,
        "migrations_history is not an ordinary table (it is a view, a virtual table or a WITHOUT ROWID table); " +
          "replace it with a table (columns tag, created_at, checksum) holding the applied migrations, or wipe the database",
      );
    }
    assert.deepEqual((await gateway.retire(name, ANN, true)).body, { success: true, retired: true, wiped: true });
    assert.equal((await gateway.provision(name, [USERS], { owner: ANN })).status, 200, "a wipe makes it usable again");
    assert.equal((await gateway.admin("DELETE", `/admin/databases/${name}`)).status, 200);
  }
});

test("a generated checksum column fails the migration (400), and is not added a second time", async () => {
  const shape = "CREATE TABLE migrations_history (tag TEXT, created_at, checksum AS ('x'))";
  assert.equal((await gateway.tenant("exec", "history-generated", { query: shape })).status, 200);
  const failed = await gateway.provision("history-generated", [USERS]);
  assert.equal(failed.status, 400, JSON.stringify(failed.body));
  assert.equal(failed.body.code, "migration_failed");
  assert.match(failed.body.error, /^migration '0001_users' failed: cannot INSERT into generated column "checksum"/);
  assert.equal((await gateway.admin("GET", "/admin/databases/history-generated")).status, 200);
});
