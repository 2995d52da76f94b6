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

async function tenantSql(databaseName, query) {
  const { epoch } = await gateway.info(databaseName);
  const token = await gateway.issueToken(databaseName, { epoch: epoch ?? "" });
  return gateway.data("exec", databaseName, { query }, token);
}

function assertSqlError(response, sqliteCode) {
  assert.equal(response.status, 400, JSON.stringify(response.body));
  assert.equal(response.body.success, false);
  assert.equal(response.body.code, "sql_error");
  assert.equal(response.body.sqliteCode, sqliteCode);
}

test("SQLITE_FULL, which resets the object, is 400 sql_error in the data plane and in PUT, and nothing is kept", async () => {
  assert.equal((await gateway.provision("full", [USERS], { owner: ANN })).status, 200);
  assert.equal((await tenantSql("full", EXHAUST_HISTORY)).status, 200);
  const before = await gateway.info("full");

  const insert = await tenantSql("full", "INSERT INTO users (email) VALUES ('a@b.c'); INSERT INTO migrations_history (tag) VALUES ('x')");
  assertSqlError(insert, "SQLITE_FULL");
  assert.equal(insert.body.error, "database or disk is full: SQLITE_FULL");
  assert.deepEqual((await tenantSql("full", "SELECT count(*) AS n FROM users")).body.results, [{ n: 0 }]);

  assertSqlError(await gateway.provision("full", [USERS, POSTS], { owner: ANN }), "SQLITE_FULL");
  assert.deepEqual(await gateway.info("full"), before, "the migration was rolled back with its history row");

  assert.equal((await gateway.retire("full", ANN, false)).status, 200);
  const retained = await gateway.info("full");
  assertSqlError(await gateway.provision("full", [USERS, POSTS], { owner: BOB, adopt: "any" }), "SQLITE_FULL");
  assert.deepEqual(await gateway.info("full"), retained, "the claim was rolled back too");
});
