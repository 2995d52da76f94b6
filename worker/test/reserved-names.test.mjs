// The _cf_ prefix is workerd's: no tenant SQL may create a name there, where no wipe could reach it, nor a case
// variant of a table workerd has yet to create, which workerd would then take for its own.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startGateway, workerModules } from "./support/gateway.mjs";

const KEY = "reserved-names-test-key";
const NOTES = { id: "0001_notes", sql: "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);" };
const ANN = { uid: "6f1c2b9e-0001-4c55-9a57-1a2b3c4d5e6f", namespace: "team-a", name: "ann-db" };
const BOB = { uid: "6f1c2b9e-0002-4c55-9a57-1a2b3c4d5e6f", namespace: "team-b", name: "bob-db" };
// Each way SQL can create a reserved name, with the names it would create.
const HIDING = [
  ["ALTER TABLE notes RENAME TO _cf_notes", "_cf_notes"],
  ['alter table notes rename to "_cf_Notes"', "_cf_Notes"],
  ["ALTER TABLE notes RENAME TO [_cf_x]", "_cf_x"],
  [
    "CREATE VIRTUAL TABLE docs USING fts5(body); ALTER TABLE docs RENAME TO _cf",
    "_cf_data, _cf_idx, _cf_content, _cf_docsize, _cf_config",
  ],
  ["CREATE TABLE _CF_METADATA (v)", "_CF_METADATA"],
];

// An entry module in front of the Worker's own: its object counts the queries that read sqlite_master, the
// reserved-name check's cost, and adds how many a data-plane call made to the answer.
const COUNTING_ENTRY = `
import worker, { KuratchiDoInternal as Measured } from "./index.js";
export default worker;
export class KuratchiDoInternal extends Measured {
  constructor(ctx, env) {
    super(ctx, env);
    this.schemaReads = 0;
    const sql = this.sql;
    this.sql = {
      exec: (query, ...params) => {
        if (query.includes("sqlite_master")) this.schemaReads++;
        return sql.exec(query, ...params);
      },
      get databaseSize() {
        return sql.databaseSize;
      },
    };
  }
  execute(...args) {
    const before = this.schemaReads;
    const answer = super.execute(...args);
    return { ...answer, body: { ...answer.body, schemaReads: this.schemaReads - before } };
  }
}`;

let gateway;
let counting;
before(async () => {
  gateway = await startGateway({ apiKey: KEY });
  const modules = [{ type: "ESModule", path: "counting.js", contents: COUNTING_ENTRY }, ...workerModules()];
  counting = await startGateway({ apiKey: KEY, modules });
});
after(() => Promise.all([gateway?.dispose(), counting?.dispose()]));

function assertReserved(response, names, prefix = "") {
  assert.equal(response.status, 400, JSON.stringify(response.body));
  assert.equal(response.body.success, false);
  assert.equal(
    response.body.error,
    `${prefix}the _cf_ prefix is reserved for the platform's own tables; choose another name than ${names}`,
  );
}

async function reservedLeft(databaseName) {
  const response = await gateway.tenant("run", databaseName, {
    query: "SELECT name FROM sqlite_master WHERE lower(name) GLOB '_cf_*' ORDER BY name",
  });
  return response.body.results.map((row) => row.name);
}

test("a table cannot be hidden under the _cf_ prefix: 400 reserved_name, and nothing of the request is applied", async () => {
  await gateway.provision("hide", [NOTES], { owner: ANN });
  for (const [query, names] of HIDING) {
    const exec = await gateway.tenant("exec", "hide", { query: `INSERT INTO notes (body) VALUES ('kept?'); ${query}` });
    assertReserved(exec, names);
    assert.equal(exec.body.code, "reserved_name");

    const batch = await gateway.tenant("batch", "hide", {
      batch: [{ query: "INSERT INTO notes (body) VALUES ('kept?')" }, { query }, { query: "SELECT 1" }],
    });
    assertReserved(batch, names, "statement 1: ");
    assert.equal(batch.body.code, "reserved_name");
    assert.equal(batch.body.index, 1);
  }
  const notes = await gateway.tenant("run", "hide", { query: "SELECT count(*) AS n FROM notes" });
  assert.deepEqual(notes.body.results, [{ n: 0 }]);
  assert.deepEqual((await gateway.info("hide")).tables, ["migrations_history", "notes"]);
  assert.deepEqual(await reservedLeft("hide"), ["_cf_KV"], "workerd's own table is the only one");

  const mentions = await gateway.tenant("run", "hide", {
    query: "SELECT '_cf_notes' AS name, ? AS also",
    params: ["_CF_"],
  });
  assert.deepEqual(mentions.body.results, [{ name: "_cf_notes", also: "_CF_" }], "a mention alone is no name");
  const lookalike = await gateway.tenant("exec", "hide", {
    query: "CREATE TABLE _CF_lookalike (v); DROP TABLE _CF_lookalike",
  });
  assert.equal(lookalike.status, 200, "only the lowercase prefix and workerd's table names are reserved");
});

test("a migration that hides a table fails with migration_failed, the claim standing", async () => {
  for (const [index, [query, names]] of HIDING.entries()) {
    const name = `hide-migration-${index}`;
    const migration = { id: "0002_hide", sql: query };
    const failed = await gateway.provision(name, [NOTES, migration], { owner: ANN });
    assertReserved(failed, names, "migration '0002_hide' failed: ");
    assert.equal(failed.body.code, "migration_failed");
    assert.deepEqual(failed.body.applied, ["0001_notes"]);
    assert.deepEqual(failed.body.owner, ANN);
    assert.deepEqual(await reservedLeft(name), ["_cf_KV"]);
  }
});

test("after a wipe nothing hidden is left: the next owner's database is the size of a fresh one", async () => {
  await gateway.provision("fresh-size", [NOTES], { owner: BOB });
  const fresh = (await gateway.info("fresh-size")).sizeBytes;

  await gateway.provision("hidden-size", [NOTES], { owner: ANN });
  await gateway.tenant("exec", "hidden-size", {
    query:
      "CREATE TABLE stash (data BLOB); " +
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200) " +
      "INSERT INTO stash SELECT randomblob(1000) FROM n",
  });
  const hidden = await gateway.tenant("exec", "hidden-size", { query: "ALTER TABLE stash RENAME TO _cf_stash" });
  assertReserved(hidden, "_cf_stash");
  assert.deepEqual((await gateway.retire("hidden-size", ANN, true)).body, { success: true, retired: true, wiped: true });

  await gateway.provision("hidden-size", [NOTES], { owner: BOB });
  assert.equal((await gateway.info("hidden-size")).sizeBytes, fresh);
  assert.deepEqual(await reservedLeft("hidden-size"), ["_cf_KV"]);
});

// workerd creates _cf_KV with CREATE TABLE IF NOT EXISTS, which would take a tenant's _CF_KV for its own. The gateway
// writes its reserved state (the database's boolean encoding) before the first tenant statement, so _cf_KV is always
// there first and a tenant's _CF_KV cannot be made at all.
test("a tenant cannot make a _CF_KV before workerd's own _cf_KV, so the reserved state never reaches tenant SQL", async () => {
  const made = await gateway.tenant("exec", "shadow", {
    query: "CREATE TABLE _CF_KV (key TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID",
  });
  assert.equal(made.status, 400, JSON.stringify(made.body));
  assert.match(made.body.error, /^table _CF_KV already exists/);

  const revokedId = "ab".repeat(16);
  const revoked = await gateway.admin("POST", "/admin/databases/shadow/revocations", { tokenIds: [revokedId] });
  assert.equal(revoked.status, 200, JSON.stringify(revoked.body));
  const unrevoke = await gateway.tenant("exec", "shadow", { query: "DELETE FROM _CF_KV" });
  assert.equal(unrevoke.body.sqliteCode, "SQLITE_AUTH", JSON.stringify(unrevoke.body));
  const token = await gateway.issueToken("shadow", { tokenId: revokedId });
  assert.equal((await gateway.data("run", "shadow", { query: "SELECT 1" }, token)).body.code, "token_revoked");
});

test("statements on a column user_cfg that create and rename nothing run without reading sqlite_master", async () => {
  const settings = {
    id: "0001_settings",
    sql: "CREATE TABLE settings (id INTEGER PRIMARY KEY, user_cfg TEXT, is_cfo INTEGER, created_at INTEGER);",
  };
  assert.equal((await counting.provision("cfg", [settings])).status, 200);
  const insert = "INSERT INTO settings (user_cfg, is_cfo, created_at) VALUES (?, ?, ?)";
  const update = "UPDATE Settings SET USER_CFG = upper(user_cfg) WHERE is_cfo = 1 AND created_at < ?";
  const statements = Array.from({ length: 100 }, (_, i) =>
    i % 2 === 0 ? { query: insert, params: [`cfg-${i}`, i % 3, i] } : { query: update, params: [i] },
  );
  const batch = await counting.tenant("batch", "cfg", { batch: statements });
  assert.equal(batch.status, 200, JSON.stringify(batch.body));
  assert.equal(batch.body.schemaReads, 0);
  const count = "SELECT count(*) AS _CF_n FROM settings WHERE is_cfo = 1";
  const read = await counting.tenant("run", "cfg", { query: count });
  assert.deepEqual(read.body.results, [{ _CF_n: 16 }]);
  assert.equal(read.body.schemaReads, 0);

  const index = await counting.tenant("exec", "cfg", { query: "CREATE INDEX by_cfg ON settings(user_cfg)" });
  assert.equal(index.status, 200, JSON.stringify(index.body));
  assert.equal(index.body.schemaReads, 2, "a statement that creates a name is checked, before and after");
});
