// After a wipe, and for every new owner, a database is as fresh as a new one but for the reserved state: nothing a
// previous user wrote, or set in the connection, reaches whoever claims the name next.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startGateway } from "./support/gateway.mjs";

const KEY = "fresh-database-test-key";
const ACCOUNTS = {
  id: "0001_accounts",
  sql:
    "CREATE TABLE accounts (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL, " +
    "balance INTEGER CHECK (balance >= 0));\n" +
    "CREATE INDEX accounts_email ON accounts(email);",
};
const ANN = { uid: "6f1c2b9e-0001-4c55-9a57-1a2b3c4d5e6f", namespace: "team-a", name: "ann-db" };
const BOB = { uid: "6f1c2b9e-0002-4c55-9a57-1a2b3c4d5e6f", namespace: "team-b", name: "bob-db" };
const PRAGMAS = ["ignore_check_constraints", "legacy_alter_table", "recursive_triggers", "reverse_unordered_selects"];
// The attack: the next AUTOINCREMENT insert into migrations_history, the gateway's first, fails with SQLITE_FULL.
const POISON =
  "DROP TABLE IF EXISTS migrations_history; " +
  "INSERT INTO sqlite_sequence (name, seq) VALUES ('migrations_history', 9223372036854775807)";
// What a tenant can leave behind outside its tables, besides the poison: statistics, and rows of its own in SQLite's
// tables.
const DATA = [
  "INSERT INTO accounts (email, balance) VALUES ('ann@acme.io', 10), ('ann2@acme.io', 20)",
  "ANALYZE",
  "INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('secret', 'for-the-next-owner', '1 1')",
  "INSERT INTO sqlite_sequence (name, seq) VALUES ('secret', 42)",
];
// Every connection setting tenant SQL may change (case_sensitive_like cannot be read back: LIKE shows it).
const SETTINGS = ["case_sensitive_like", ...PRAGMAS].map((pragma) => `PRAGMA ${pragma} = ON`);

let gateway;
before(async () => {
  gateway = await startGateway({ apiKey: KEY });
});
after(() => gateway?.dispose());

function tenantSql(databaseName, query) {
  return gateway.tenant("exec", databaseName, { query });
}

async function tenantRows(databaseName, query) {
  const response = await tenantSql(databaseName, query);
  assert.equal(response.status, 200, `${query}: ${JSON.stringify(response.body)}`);
  return response.body.results;
}

async function claim(databaseName, owner, { migrations = [ACCOUNTS], adopt } = {}) {
  const response = await gateway.provision(databaseName, migrations, { owner, ...(adopt ? { adopt } : {}) });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body;
}

async function leaveBehind(databaseName, queries) {
  for (const query of queries) await tenantRows(databaseName, query);
}

/** All a tenant can read of its database: the schema, SQLite's tables, the connection settings, and the size. */
async function snapshot(databaseName) {
  const read = (query) => tenantRows(databaseName, query);
  return {
    schema: await read("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name"),
    sequence: await read("SELECT name, seq FROM sqlite_sequence ORDER BY name"),
    pragmas: await Promise.all(PRAGMAS.map((pragma) => read(`PRAGMA ${pragma}`))),
    likeIgnoresCase: await read("SELECT 'a' LIKE 'A' AS yes"),
    sizeBytes: (await gateway.info(databaseName)).sizeBytes,
  };
}

// Each way a database passes to a next owner without its data: the previous owner's SQL runs in between.
const HANDOVERS = {
  "a retire with wipe, then a new owner's claim": async (name, leave) => {
    await claim(name, ANN);
    await leave(name);
    assert.equal((await gateway.retire(name, ANN, true)).status, 200);
    return claim(name, BOB);
  },
  "an admin's DELETE, then the owner's PUT": async (name, leave) => {
    await claim(name, ANN);
    await leave(name);
    assert.equal((await gateway.admin("DELETE", `/admin/databases/${name}`)).status, 200);
    return claim(name, ANN);
  },
  "a claim of a database whose unmanaged user dropped its tables": async (name, leave) => {
    await gateway.sql(name, ACCOUNTS.sql);
    await leave(name);
    await gateway.sql(name, "DROP TABLE IF EXISTS accounts");
    return claim(name, BOB);
  },
};

for (const [handover, pass] of Object.entries(HANDOVERS)) {
  const slug = handover.replace(/[^a-z]+/g, "-").slice(0, 40);

  test(`a poisoned sqlite_sequence does not brick the next owner: PUT answers 200 after ${handover}`, async () => {
    const claimed = await pass(`poisoned-${slug}`, (name) => leaveBehind(name, [POISON]));
    assert.deepEqual(claimed.applied, ["0001_accounts"]);
    assert.deepEqual(await tenantRows(`poisoned-${slug}`, "SELECT name, seq FROM sqlite_sequence"), [
      { name: "migrations_history", seq: 1 },
    ]);
  });

  test(`nothing the previous owner left is readable after ${handover}: the database is a fresh one`, async () => {
    await claim(`fresh-twin-${slug}`, BOB);
    const fresh = await snapshot(`fresh-twin-${slug}`);
    await pass(`wiped-${slug}`, (name) => leaveBehind(name, [...DATA, POISON, ...SETTINGS]));
    assert.deepEqual(await snapshot(`wiped-${slug}`), fresh);
  });

  test(`pragmas the previous owner set are back to their defaults after ${handover}: CHECK constraints hold`, async () => {
    const name = `pragmas-${slug}`;
    await pass(name, (it) => leaveBehind(it, SETTINGS));
    const refused = await tenantSql(name, "INSERT INTO accounts (email, balance) VALUES ('bob@acme.io', -1)");
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.equal(refused.body.sqliteCode, "SQLITE_CONSTRAINT");
    assert.match(refused.body.error, /^CHECK constraint failed: balance >= 0/);
    assert.deepEqual(await tenantRows(name, "SELECT 'a' LIKE 'A' AS yes"), [{ yes: 1 }]);
    for (const pragma of PRAGMAS) {
      assert.deepEqual(await tenantRows(name, `PRAGMA ${pragma}`), [{ [pragma]: 0 }], pragma);
    }
  });
}

test("an owner who adopts retained data gets the data with the connection's pragmas back to their defaults", async () => {
  await claim("adopted-pragmas", ANN);
  await leaveBehind("adopted-pragmas", [...DATA, ...SETTINGS]);
  assert.equal((await gateway.retire("adopted-pragmas", ANN, false)).status, 200);
  assert.equal((await claim("adopted-pragmas", BOB, { adopt: "any" })).adopted, true);
  const refused = await tenantSql("adopted-pragmas", "UPDATE accounts SET balance = -1");
  assert.equal(refused.body.sqliteCode, "SQLITE_CONSTRAINT", JSON.stringify(refused.body));
  assert.deepEqual(await tenantRows("adopted-pragmas", "SELECT email FROM accounts ORDER BY id"), [
    { email: "ann@acme.io" },
    { email: "ann2@acme.io" },
  ]);
  assert.deepEqual(await tenantRows("adopted-pragmas", "SELECT 'a' LIKE 'A' AS yes"), [{ yes: 1 }]);
});

test("every connection setting tenant SQL can change is back to its default for the next owner", async () => {
  // Every SQLite pragma that takes a value: workerd's authorizer decides by name (and, for a boolean, by the value),
  // so one that a later workerd allows shows here.
  const candidates = [
    "analysis_limit", "application_id", "auto_vacuum", "automatic_index", "busy_timeout", "cache_size",
    "cache_spill", "case_sensitive_like", "cell_size_check", "checkpoint_fullfsync", "count_changes",
    "default_cache_size", "defer_foreign_keys", "empty_result_callbacks", "encoding", "foreign_keys",
    "full_column_names", "fullfsync", "hard_heap_limit", "ignore_check_constraints", "journal_mode",
    "journal_size_limit", "legacy_alter_table", "legacy_file_format", "locking_mode", "max_page_count", "mmap_size",
    "page_size", "query_only", "read_uncommitted", "recursive_triggers", "reverse_unordered_selects",
    "schema_version", "secure_delete", "short_column_names", "soft_heap_limit", "synchronous", "temp_store",
    "threads", "trusted_schema", "user_version", "wal_autocheckpoint", "writable_schema",
  ];
  await claim("settings", ANN);
  const allowed = [];
  for (const pragma of candidates) {
    const response = await tenantSql("settings", `PRAGMA ${pragma} = 1`);
    if (response.status === 200) allowed.push(pragma);
    else assert.equal(response.body.sqliteCode, "SQLITE_AUTH", `${pragma}: ${JSON.stringify(response.body)}`);
  }
  assert.deepEqual(allowed, ["case_sensitive_like", "defer_foreign_keys", "foreign_keys", ...PRAGMAS].sort());
  await leaveBehind("settings", ["PRAGMA foreign_keys = 0"]);

  assert.equal((await gateway.retire("settings", ANN, true)).status, 200);
  await claim("settings", BOB);
  // foreign_keys (on) does not change inside the transaction tenant SQL runs in; defer_foreign_keys ends with it.
  for (const [pragma, fresh] of [["foreign_keys", 1], ["defer_foreign_keys", 0], ...PRAGMAS.map((p) => [p, 0])]) {
    assert.deepEqual(await tenantRows("settings", `PRAGMA ${pragma}`), [{ [pragma]: fresh }], pragma);
  }
  assert.deepEqual(await tenantRows("settings", "SELECT 'a' LIKE 'A' AS yes"), [{ yes: 1 }]);
});
