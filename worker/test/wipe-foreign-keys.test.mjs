// No schema a tenant builds keeps its database from being wiped: a DELETE and a retire with wipe, which deletion with
// deletionPolicy: Delete, the operator's finalizer and namespace deletion wait for, drop every table whatever the
// foreign keys between them would do, and foreign keys hold again afterwards.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startGateway } from "./support/gateway.mjs";

const KEY = "wipe-foreign-keys-test-key";
const ANN = { uid: "6f1c2b9e-0001-4c55-9a57-1a2b3c4d5e6f", namespace: "team-a", name: "ann-db" };
const BOB = { uid: "6f1c2b9e-0002-4c55-9a57-1a2b3c4d5e6f", namespace: "team-b", name: "bob-db" };
const PARENT = "CREATE TABLE parent (id INTEGER PRIMARY KEY); INSERT INTO parent VALUES (1), (2);";
// Each schema makes the ON DELETE action that dropping a referenced table runs fail. The tenant's exec runs in one
// transaction, so defer_foreign_keys lets rows reference rows inserted after them.
const SCHEMAS = {
  "ON DELETE SET NULL on a NOT NULL column":
    PARENT +
    "CREATE TABLE child (pid INTEGER NOT NULL REFERENCES parent(id) ON DELETE SET NULL); INSERT INTO child VALUES (1);",
  "rows of one table referencing each other, ON DELETE SET NULL on a NOT NULL column":
    "CREATE TABLE t (id INTEGER PRIMARY KEY, parent INTEGER NOT NULL REFERENCES t(id) ON DELETE SET NULL); " +
    "PRAGMA defer_foreign_keys = ON; INSERT INTO t VALUES (1, 2), (2, 1);",
  "two tables referencing each other, ON DELETE SET NULL on NOT NULL columns":
    "CREATE TABLE a (id INTEGER PRIMARY KEY, b INTEGER NOT NULL REFERENCES b(id) ON DELETE SET NULL); " +
    "CREATE TABLE b (id INTEGER PRIMARY KEY, a INTEGER NOT NULL REFERENCES a(id) ON DELETE SET NULL); " +
    "PRAGMA defer_foreign_keys = ON; INSERT INTO a VALUES (1, 1); INSERT INTO b VALUES (1, 1);",
  "ON DELETE SET DEFAULT to a value a CHECK refuses":
    PARENT +
    "CREATE TABLE child (pid INTEGER DEFAULT 0 CHECK (pid > 0) REFERENCES parent(id) ON DELETE SET DEFAULT); " +
    "INSERT INTO child VALUES (1);",
  "ON DELETE SET DEFAULT into a UNIQUE column":
    PARENT +
    "CREATE TABLE child (pid INTEGER DEFAULT 7 UNIQUE REFERENCES parent(id) ON DELETE SET DEFAULT); " +
    "INSERT INTO child VALUES (1), (2);",
  "ON DELETE SET DEFAULT to a value a STRICT table refuses":
    PARENT +
    "CREATE TABLE child (pid INTEGER DEFAULT 'none' REFERENCES parent(id) ON DELETE SET DEFAULT) STRICT; " +
    "INSERT INTO child VALUES (1);",
  "ON DELETE CASCADE into a table whose trigger raises":
    PARENT +
    "CREATE TABLE child (pid INTEGER REFERENCES parent(id) ON DELETE CASCADE); INSERT INTO child VALUES (1); " +
    "CREATE TRIGGER keep BEFORE DELETE ON child BEGIN SELECT RAISE(ABORT, 'children stay'); END;",
  "ON DELETE CASCADE deeper than SQLite's trigger depth":
    "CREATE TABLE t (id INTEGER PRIMARY KEY, previous INTEGER REFERENCES t(id) ON DELETE CASCADE); " +
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) " +
    "INSERT INTO t SELECT i, nullif(i - 1, 0) FROM n;",
};
// Each wipe, with its answer, and the claim that makes the database usable again.
const WIPES = {
  "DELETE /admin/databases/{name}": {
    wipe: (name) => gateway.admin("DELETE", `/admin/databases/${name}`),
    answer: { success: true, deleted: true },
    next: ANN,
  },
  "a retire with wipe": {
    wipe: (name) => gateway.retire(name, ANN, true),
    answer: { success: true, retired: true, wiped: true },
    next: BOB,
  },
};
// Fails only when foreign keys are off: no row of p has id 42.
const ORPHAN =
  "CREATE TABLE IF NOT EXISTS p (id INTEGER PRIMARY KEY); " +
  "CREATE TABLE IF NOT EXISTS c (pid INTEGER REFERENCES p(id)); INSERT INTO c VALUES (42)";

let gateway;
before(async () => {
  gateway = await startGateway({ apiKey: KEY });
});
after(() => gateway?.dispose());

async function claim(databaseName, owner) {
  const response = await gateway.provision(databaseName, [], { owner });
  assert.equal(response.status, 200, JSON.stringify(response.body));
}

async function build(databaseName, query) {
  const response = await gateway.tenant("exec", databaseName, { query });
  assert.equal(response.status, 200, `${query}: ${JSON.stringify(response.body)}`);
}

function assertOrphanRefused(response) {
  assert.equal(response.status, 400, JSON.stringify(response.body));
  assert.match(response.body.error, /^FOREIGN KEY constraint failed/);
}

for (const [schema, query] of Object.entries(SCHEMAS)) {
  for (const [how, { wipe, answer }] of Object.entries(WIPES)) {
    test(`${how} wipes a database with ${schema}`, async () => {
      const name = `${how.startsWith("DELETE") ? "deleted" : "retired"}-${Object.keys(SCHEMAS).indexOf(schema)}`;
      await claim(name, ANN);
      await build(name, query);
      const wiped = await wipe(name);
      assert.equal(wiped.status, 200, JSON.stringify(wiped.body));
      assert.deepEqual(wiped.body, answer);
      assert.deepEqual((await gateway.info(name)).tables, []);
    });
  }
}

for (const [how, { wipe, next }] of Object.entries(WIPES)) {
  test(`foreign keys hold again for the next owner after ${how}`, async () => {
    const name = `enforced-after-${how.startsWith("DELETE") ? "delete" : "retire"}`;
    await claim(name, ANN);
    await build(name, SCHEMAS["ON DELETE SET NULL on a NOT NULL column"]);
    assert.equal((await wipe(name)).status, 200);
    await claim(name, next);
    assertOrphanRefused(await gateway.tenant("exec", name, { query: ORPHAN }));
    assert.deepEqual((await gateway.tenant("run", name, { query: "PRAGMA foreign_keys" })).body.results, [
      { foreign_keys: 1 },
    ]);
  });
}

test("tenant SQL sent while a wipe runs has its foreign keys checked", async () => {
  await claim("concurrent", ANN);
  await build("concurrent", SCHEMAS["ON DELETE CASCADE deeper than SQLite's trigger depth"]);
  const token = await gateway.issueToken("concurrent", { epoch: (await gateway.info("concurrent")).epoch });
  const orphans = Array.from({ length: 20 }, () => gateway.data("exec", "concurrent", { query: ORPHAN }, token));
  const [wiped, ...answers] = await Promise.all([gateway.admin("DELETE", "/admin/databases/concurrent"), ...orphans]);
  assert.equal(wiped.status, 200, JSON.stringify(wiped.body));
  for (const answer of answers) assertOrphanRefused(answer);
});
