// The control plane: provisioning with migrations, info, revocation, deletion.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startGateway } from "./support/gateway.mjs";

const KEY = "admin-test-key";
let gateway;
before(async () => {
  gateway = await startGateway({ apiKey: KEY });
});
after(() => gateway?.dispose());

const USERS = { id: "0001_users", sql: "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);" };
const POSTS = {
  id: "0002_posts",
  sql: "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id), body TEXT);\nCREATE INDEX posts_user ON posts(user_id);",
};

test("provision applies pending migrations once, in order, and reports the version", async () => {
  const first = await gateway.provision("blog", [USERS]);
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.deepEqual(first.body.applied, ["0001_users"]);
  assert.equal(first.body.version, "0001_users");

  const second = await gateway.provision("blog", [USERS, POSTS]);
  assert.deepEqual(second.body.applied, ["0002_posts"]);
  assert.equal(second.body.version, "0002_posts");
  assert.deepEqual(
    second.body.migrations.map((m) => m.id),
    ["0001_users", "0002_posts"],
  );
  assert.ok(second.body.migrations.every((m) => Number.isInteger(m.appliedAt)));

  const again = await gateway.provision("blog", [USERS, POSTS]);
  assert.deepEqual(again.body.applied, []);
  assert.equal(again.body.version, "0002_posts");
  assert.deepEqual(await gateway.sql("blog", "SELECT tag FROM migrations_history ORDER BY id"), [
    { tag: "0001_users" },
    { tag: "0002_posts" },
  ]);
});

test("provision with no migrations marks the database provisioned", async () => {
  const response = await gateway.provision("empty-db");
  assert.equal(response.status, 200);
  assert.deepEqual(response.body.applied, []);
  assert.equal(response.body.version, null);
  assert.equal((await gateway.admin("GET", "/admin/databases/empty-db")).body.provisioned, true);
});

test("a failing migration rolls back alone; earlier ones stay and are reported", async () => {
  const bad = { id: "0002_bad", sql: "CREATE TABLE half (x); INSERT INTO missing VALUES (1);" };
  const response = await gateway.provision("failing", [USERS, bad, POSTS]);
  assert.equal(response.status, 400);
  assert.equal(response.body.code, "migration_failed");
  assert.equal(response.body.migration, "0002_bad");
  assert.deepEqual(response.body.applied, ["0001_users"]);
  assert.match(response.body.error, /^migration '0002_bad' failed: no such table: missing/);
  const info = (await gateway.admin("GET", "/admin/databases/failing")).body;
  assert.deepEqual(info.tables, ["migrations_history", "users"]);
  assert.equal(info.version, "0001_users");
});

test("an applied migration whose SQL changed is refused", async () => {
  await gateway.provision("edited", [USERS]);
  const edited = { ...USERS, sql: USERS.sql.replace("email", "mail") };
  const response = await gateway.provision("edited", [edited]);
  assert.equal(response.status, 409);
  assert.equal(response.body.code, "migration_changed");
  assert.equal(response.body.migration, "0001_users");
});

test("history written by a kuratchi-sdk client (no checksum column) is respected and upgraded", async () => {
  await gateway.sql(
    "legacy",
    "CREATE TABLE migrations_history (id INTEGER PRIMARY KEY AUTOINCREMENT, tag TEXT NOT NULL UNIQUE, created_at INTEGER)",
  );
  await gateway.sql("legacy", "INSERT INTO migrations_history (tag, created_at) VALUES ('0001_users', 1)");
  await gateway.sql("legacy", USERS.sql);
  const response = await gateway.provision("legacy", [USERS, POSTS]);
  assert.equal(response.status, 200, JSON.stringify(response.body));
  assert.deepEqual(response.body.applied, ["0002_posts"]);
});

test("a tenant who drops migrations_history gets 409 history_missing from PUT and 200 from GET", async () => {
  await gateway.provision("dropped", [USERS]);
  await gateway.sql("dropped", "DROP TABLE migrations_history");
  for (let i = 0; i < 2; i++) {
    const info = await gateway.admin("GET", "/admin/databases/dropped");
    assert.equal(info.status, 200, JSON.stringify(info.body));
    assert.equal(info.body.historyMissing, true);
    assert.deepEqual(info.body.migrations, []);
    assert.deepEqual(info.body.tables, ["users"]);

    const refused = await gateway.provision("dropped", [USERS, POSTS]);
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.equal(refused.body.code, "history_missing");
    assert.equal(
      refused.body.error,
      "migrations_history was dropped from this database; recreate it (columns tag, created_at, checksum) with the " +
        "applied migrations, or wipe the database",
    );
  }
  assert.deepEqual((await gateway.admin("GET", "/admin/databases/dropped")).body.tables, ["users"], "nothing re-applied");

  await gateway.sql("dropped", "CREATE TABLE migrations_history (id INTEGER PRIMARY KEY, tag TEXT, created_at INTEGER, checksum TEXT)");
  await gateway.sql("dropped", "INSERT INTO migrations_history (tag, created_at) VALUES ('0001_users', 1)");
  assert.equal((await gateway.admin("GET", "/admin/databases/dropped")).body.historyMissing, false);
  assert.deepEqual((await gateway.provision("dropped", [USERS, POSTS])).body.applied, ["0002_posts"]);
});

test("info reads a kuratchi-sdk migrations_history that has no checksum column", async () => {
  await gateway.sql(
    "sdk-history",
    "CREATE TABLE migrations_history (id INTEGER PRIMARY KEY AUTOINCREMENT, tag TEXT NOT NULL UNIQUE, created_at INTEGER)",
  );
  await gateway.sql("sdk-history", "INSERT INTO migrations_history (tag, created_at) VALUES ('0001_users', 1), ('0002_posts', 2)");
  const info = await gateway.admin("GET", "/admin/databases/sdk-history");
  assert.equal(info.status, 200, JSON.stringify(info.body));
  assert.deepEqual(info.body.migrations, [
    { id: "0001_users", appliedAt: 1 },
    { id: "0002_posts", appliedAt: 2 },
  ]);
  assert.equal(info.body.version, "0002_posts");
  assert.equal(info.body.historyMissing, false);
});

test("bad provision bodies are 400 with what to fix", async () => {
  const cases = [
    [{ migrations: "x" }, /migrations must be an array/],
    [{ migrations: [{ id: "", sql: "x" }] }, /migrations\[0\]\.id/],
    [{ migrations: [USERS, USERS] }, /appears more than once/],
    [{ migrations: [{ id: "0001", sql: "  " }] }, /migrations\[0\]\.sql/],
  ];
  for (const [body, message] of cases) {
    const response = await gateway.admin("PUT", "/admin/databases/bad-input", body);
    assert.equal(response.status, 400);
    assert.match(response.body.error, message);
  }
});

test("info lists tables, size in bytes and applied migrations; unprovisioned databases say so", async () => {
  const info = await gateway.admin("GET", "/admin/databases/blog");
  assert.equal(info.status, 200);
  assert.equal(info.body.provisioned, true);
  assert.deepEqual(info.body.tables, ["migrations_history", "posts", "users"]);
  assert.ok(info.body.sizeBytes >= 4096);
  assert.deepEqual(
    info.body.migrations.map((m) => m.id),
    ["0001_users", "0002_posts"],
  );

  const fresh = await gateway.admin("GET", "/admin/databases/never-seen");
  assert.equal(fresh.body.provisioned, false);
  assert.deepEqual(fresh.body.tables, []);
});

test("revocation is idempotent and validates its input", async () => {
  const path = "/admin/databases/blog/revocations";
  const id = "0123456789abcdef0123456789abcdef";
  assert.deepEqual((await gateway.admin("POST", path, { tokenIds: [id], notAfter: Date.now() + 60_000 })).body, {
    success: true,
    revoked: 1,
    alreadyRevoked: 0,
  });
  assert.equal((await gateway.admin("POST", path, { tokenIds: [id] })).body.alreadyRevoked, 1);
  for (const body of [{}, { tokenIds: [] }, { tokenIds: ["XYZ"] }, { tokenIds: [id], notAfter: "soon" }]) {
    assert.equal((await gateway.admin("POST", path, body)).status, 400, JSON.stringify(body));
  }
});

test("revocations past their token's expiry are dropped", async () => {
  const path = "/admin/databases/prune/revocations";
  await gateway.admin("POST", path, { tokenIds: ["11".repeat(16)], notAfter: Date.now() - 1 });
  await gateway.admin("POST", path, { tokenIds: ["22".repeat(16)], notAfter: Date.now() + 60_000 });
  assert.equal((await gateway.admin("GET", "/admin/databases/prune")).body.revokedTokens, 1);
});

test("delete wipes the data but not the revocations, and is idempotent", async () => {
  await gateway.provision("doomed", [USERS]);
  await gateway.sql("doomed", "INSERT INTO users (email) VALUES ('a@b.c')");
  await gateway.admin("POST", "/admin/databases/doomed/revocations", { tokenIds: ["dd".repeat(16)] });
  const deleted = await gateway.admin("DELETE", "/admin/databases/doomed");
  assert.equal(deleted.status, 200);
  assert.equal(deleted.body.deleted, true);
  const info = (await gateway.admin("GET", "/admin/databases/doomed")).body;
  assert.deepEqual(info.tables, []);
  assert.equal(info.provisioned, false);
  assert.equal(info.revokedTokens, 1);
  assert.equal((await gateway.admin("DELETE", "/admin/databases/doomed")).body.deleted, false);
  // A deleted database can be provisioned again from scratch.
  assert.deepEqual((await gateway.provision("doomed", [USERS])).body.applied, ["0001_users"]);
});

test("admin paths validate the name and the method", async () => {
  for (const name of ["a.b", "%20x", "x%20", "x".repeat(256), "%E2%9C%93", "tab%09x", "a%E9", "bad%ZZ"]) {
    const response = await gateway.admin("GET", `/admin/databases/${name}`);
    assert.equal(response.status, 400, name);
    assert.equal(response.body.code, "invalid_database_name");
  }
  const post = await gateway.admin("POST", "/admin/databases/blog", {});
  assert.equal(post.status, 405);
  assert.equal(post.headers.get("allow"), "GET, PUT, DELETE");
  assert.equal((await gateway.admin("GET", "/admin/databases/blog/revocations")).status, 405);
  assert.equal((await gateway.admin("GET", "/admin/nothing")).status, 404);
});
