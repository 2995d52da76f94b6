// The gateway driven exactly as kuratchi-sdk's clients drive it (reference: kuratchi-do-protocol.md §5, §7, §10):
// the SDK's headers and bodies, both client generations (Era A: the five SQL calls; Era B: the same plus kv), SDK
// tokens minted the SDK's way, and every answer field the SDK reads. Where the gateway answers differently on
// purpose, the test says so and why (README, "Compatibility with kuratchi-sdk").
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { requestJson, startGateway } from "./support/gateway.mjs";
import { SdkClient, mintSdkToken } from "./support/kuratchi-sdk.mjs";

// A key as a person might choose it for kuratchi-sdk: spaces (inner and leading) and symbols.
const KEY = " correct horse battery staple: 4 words & $ymbols!";
const names = JSON.parse(readFileSync(new URL("vectors/names.json", import.meta.url), "utf8"));
let gateway;

before(async () => {
  gateway = await startGateway({ apiKey: KEY });
});
after(() => gateway?.dispose());

// The SDK's client, sending with fetch as the SDK does (straight to the gateway here, not through a workers.dev front).
class DirectSdkClient extends SdkClient {
  async post(path, body) {
    const headers = { "Content-Type": "application/json", "x-db-name": this.databaseName };
    if (this.gatewayKey) headers.Authorization = `Bearer ${this.gatewayKey}`;
    if (this.dbToken) headers["x-db-token"] = this.dbToken;
    const answer = await requestJson(new URL(path, gateway.url), { method: "POST", headers, body: JSON.stringify(body) });
    const json = typeof answer.body !== "string";
    return { status: answer.status, body: json ? answer.body : undefined, text: json ? JSON.stringify(answer.body) : answer.body };
  }
}

/**
 * kuratchi-sdk's client for `databaseName`, holding the gateway key and an SDK-minted token, as SDK apps do; null
 * leaves a credential out, as a client configured without it does.
 */
function sdk(databaseName, { gatewayKey = KEY, dbToken = mintSdkToken(databaseName, KEY) } = {}) {
  return new DirectSdkClient({ databaseName, dbToken, gatewayKey });
}

function adminPath(name, suffix = "") {
  return `/admin/databases/${encodeURIComponent(name)}${suffix}`;
}

describe("the five SQL calls, as both client generations send them", () => {
  test("query, exec, batch, raw and first answer {success: true, results} in the shapes the SDK reads", async () => {
    const db = sdk("shop");
    assert.deepEqual(
      (await db.exec("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, price REAL); INSERT INTO items VALUES (1, 'apple', 1.5)"))
        .success,
      true,
    );
    const inserted = await db.query("INSERT INTO items (id, name, price) VALUES (?, ?, ?)", [2, "pear", 2.25]);
    assert.equal(inserted.success, true);
    assert.deepEqual(inserted.results, []);

    const rows = await db.query("SELECT id, name FROM items ORDER BY id");
    assert.deepEqual(rows.results, [
      { id: 1, name: "apple" },
      { id: 2, name: "pear" },
    ]);

    const batch = await db.batch([
      { query: "UPDATE items SET price = ? WHERE id = ?", params: [3, 1] },
      { query: "SELECT price FROM items WHERE id = 1" },
    ]);
    assert.equal(batch.success, true);
    assert.deepEqual(batch.results, [[], [{ price: 3 }]]);

    // The SDK's raw sends columnNames: false by default; rows come back as value arrays.
    assert.deepEqual((await db.raw("SELECT id, name FROM items ORDER BY id", [])).results, [
      [1, "apple"],
      [2, "pear"],
    ]);
    assert.deepEqual((await db.first("SELECT name FROM items WHERE id = ?", [2])).results, { name: "pear" });
    assert.equal((await db.first("SELECT name FROM items WHERE id = ?", [2], "name")).results, "pear");
  });

  test("the SDK's header forms: gateway key plus token (Era A and B), and the token alone", async () => {
    const token = mintSdkToken("forms", KEY);
    assert.equal((await sdk("forms", { dbToken: token }).query("SELECT 1 AS one")).results[0].one, 1);
    // A client built without gatewayKey sends x-db-token alone.
    assert.equal((await sdk("forms", { dbToken: token, gatewayKey: null }).query("SELECT 1 AS one")).success, true);
  });

  test("a refusal is non-2xx JSON, which the SDK's client turns into {success: false, error: <body>}", async () => {
    const wrongKey = await sdk("forms", { gatewayKey: KEY.trim() }).query("SELECT 1");
    assert.equal(wrongKey.success, false);
    assert.equal(JSON.parse(wrongKey.error).error, "Invalid or missing gateway key");
    const expired = await sdk("forms", { dbToken: mintSdkToken("forms", KEY, { ttlMs: -1000 }) }).query("SELECT 1");
    assert.equal(JSON.parse(expired.error).error, "Token expired");
    const otherDb = await sdk("forms", { dbToken: mintSdkToken("other", KEY) }).query("SELECT 1");
    assert.match(JSON.parse(otherDb.error).error, /^Token db mismatch/);
  });
});

describe("gateway keys", () => {
  test("a key with spaces works in the SDK's `Bearer <key>` form, including a leading space", async () => {
    const db = sdk("keys");
    const { status } = await db.post("/api/run", { query: "SELECT 1" });
    assert.equal(status, 200);
    const admin = await gateway.admin("GET", adminPath("keys"));
    assert.equal(admin.status, 200, JSON.stringify(admin.body));
  });

  test("spaces put before a key that has none are tolerated, as before keys with spaces were", async () => {
    const plain = await startGateway({ apiKey: "plain-key-without-spaces-0123456789" });
    try {
      const response = await fetch(new URL("/api/run", plain.url), {
        method: "POST",
        headers: {
          authorization: "Bearer   plain-key-without-spaces-0123456789",
          "x-db-token": mintSdkToken("spaces", "plain-key-without-spaces-0123456789"),
          "x-db-name": "spaces",
        },
        body: JSON.stringify({ query: "SELECT 1" }),
      });
      assert.equal(response.status, 200);
    } finally {
      await plain.dispose();
    }
  });

  test("anything but the exact key is refused: trimmed, one space more, same length", async () => {
    for (const wrong of [KEY.trim(), ` ${KEY}`, `${KEY.slice(0, -1)}?`, KEY.toUpperCase()]) {
      const { status, body } = await sdk("keys", { gatewayKey: wrong }).post("/api/run", { query: "SELECT 1" });
      assert.equal(status, 401, JSON.stringify(wrong));
      assert.equal(body.code, "invalid_gateway_key");
      assert.equal((await gateway.admin("GET", adminPath("keys"), undefined, wrong)).status, 401);
    }
  });
});

describe("database names", () => {
  test("every name kuratchi-sdk can form a token for works: token, x-db-name and admin path", async () => {
    for (const name of names.valid) {
      const db = sdk(name);
      const made = await db.exec("CREATE TABLE IF NOT EXISTS t (v TEXT); INSERT INTO t VALUES ('x')");
      assert.equal(made.success, true, `${JSON.stringify(name)}: ${made.error}`);
      const info = await gateway.admin("GET", adminPath(name));
      assert.equal(info.status, 200, JSON.stringify(name));
      assert.deepEqual(info.body.tables, ["t"], JSON.stringify(name));
    }
  });

  test("names differing only in case are two databases, as they were for kuratchi-sdk", async () => {
    await sdk("Tenant").exec("CREATE TABLE upper_only (x)");
    assert.deepEqual((await gateway.info("Tenant")).tables, ["upper_only"]);
    assert.deepEqual((await gateway.info("tenant")).tables, []);
  });

  test("names outside the rule are refused with the rule, on every path", async () => {
    // "" and "." cannot be a path segment: URL parsing removes them before a request is sent.
    for (const name of names.invalid.filter((n) => n !== "" && n !== ".")) {
      const info = await gateway.admin("GET", adminPath(name));
      assert.equal(info.status, 400, JSON.stringify(name));
      assert.equal(info.body.code, "invalid_database_name");
      assert.match(info.body.error, /printable ASCII/);
    }
    // A header cannot carry control characters or anything beyond Latin-1; those that travel are refused too.
    for (const name of [".", "ac.me", "acme.", "x".repeat(256), "café"]) {
      const response = await fetch(new URL("/api/run", gateway.url), {
        method: "POST",
        headers: { authorization: `Bearer ${KEY}`, "x-db-token": mintSdkToken("acme", KEY), "x-db-name": name },
        body: JSON.stringify({ query: "SELECT 1" }),
      });
      assert.equal(response.status, 400, JSON.stringify(name));
      assert.equal((await response.json()).code, "invalid_database_name");
    }
  });
});

describe("booleans", () => {
  test("a database that starts empty stores JSON booleans as 1/0, and the SDK ORM's filters find them", async () => {
    const db = sdk("flags");
    await db.exec("CREATE TABLE users (id TEXT PRIMARY KEY, active INTEGER)");
    await db.query("INSERT INTO users (id, active) VALUES (?, ?), (?, ?)", ["a", true, "b", false]);
    assert.deepEqual((await db.query("SELECT id, active, typeof(active) AS type FROM users ORDER BY id")).results, [
      { id: "a", active: 1, type: "integer" },
      { id: "b", active: 0, type: "integer" },
    ]);
    // where({active: true}) is `active = ?` with a JSON true.
    assert.deepEqual((await db.query("SELECT id FROM users WHERE active = ?", [true])).results, [{ id: "a" }]);
    assert.deepEqual((await db.query("SELECT id FROM users WHERE active = ?", [false])).results, [{ id: "b" }]);
    assert.deepEqual((await db.query("SELECT id FROM users WHERE active")).results, [{ id: "a" }]);
    assert.equal((await gateway.info("flags")).booleans, "integer");
  });
});

describe("migrations_history made by kuratchi-sdk (tag and created_at, no checksum)", () => {
  const SDK_HISTORY = "CREATE TABLE IF NOT EXISTS migrations_history (id INTEGER PRIMARY KEY AUTOINCREMENT, tag TEXT NOT NULL UNIQUE, created_at INTEGER)";

  test("GET answers before any PUT, and PUT applies only what the SDK has not", async () => {
    const db = sdk("sdk-history");
    // The SDK's applyMigrations: create the table, read the tags, apply each new tag in one batch with its row.
    assert.equal((await db.exec(SDK_HISTORY)).success, true);
    assert.deepEqual((await db.query("SELECT tag FROM migrations_history")).results, []);
    const applied = await db.batch([
      { query: "CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, email TEXT)" },
      { query: "INSERT INTO migrations_history (tag, created_at) VALUES (?, ?)", params: ["initial", 1735689600000] },
    ]);
    assert.equal(applied.success, true);

    const info = await gateway.admin("GET", adminPath("sdk-history"));
    assert.equal(info.status, 200, JSON.stringify(info.body));
    assert.deepEqual(info.body.migrations, [{ id: "initial", appliedAt: 1735689600000 }]);
    assert.equal(info.body.version, "initial");
    assert.equal(info.body.historyMissing, false);

    const put = await gateway.admin("PUT", adminPath("sdk-history"), {
      migrations: [
        { id: "initial", sql: "CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, email TEXT)" },
        { id: "m0002", sql: "ALTER TABLE users ADD COLUMN name TEXT" },
      ],
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.deepEqual(put.body.applied, ["m0002"]);

    // The SDK's client keeps running its own migrations on every client(): its statements still work.
    assert.equal((await db.exec(SDK_HISTORY)).success, true);
    assert.deepEqual((await db.query("SELECT tag FROM migrations_history ORDER BY id")).results, [
      { tag: "initial" },
      { tag: "m0002" },
    ]);
    const next = await db.batch([
      { query: "CREATE INDEX IF NOT EXISTS users_email ON users(email)" },
      { query: "INSERT INTO migrations_history (tag, created_at) VALUES (?, ?)", params: ["m0003", Date.now()] },
    ]);
    assert.equal(next.success, true, next.error);
    assert.equal((await gateway.info("sdk-history")).version, "m0003");
  });
});

describe("deliberate differences", () => {
  test("first with no row answers null (the SDK's Worker answered 500)", async () => {
    const db = sdk("differences");
    await db.exec("CREATE TABLE empty (x)");
    const first = await db.first("SELECT x FROM empty", []);
    assert.equal(first.success, true);
    assert.equal(first.results, null);
  });

  test("a SQL error is a 400 with SQLite's message (the SDK's Worker answered 500)", async () => {
    const { status, body } = await sdk("differences").post("/api/run", { query: "SELECT * FROM missing" });
    assert.equal(status, 400);
    assert.deepEqual({ success: body.success, code: body.code, sqliteCode: body.sqliteCode }, {
      success: false,
      code: "sql_error",
      sqliteCode: "SQLITE_ERROR",
    });
    assert.match(body.error, /no such table: missing/);
  });

  test("raw with columnNames: true puts the column names first (the SDK's Worker ignored the flag)", async () => {
    const db = sdk("differences");
    await db.exec("CREATE TABLE IF NOT EXISTS pair (a, b); INSERT INTO pair VALUES (1, 2)");
    assert.deepEqual((await db.raw("SELECT a, b FROM pair", [], true)).results, [["a", "b"], [1, 2]]);
  });

  test("the gateway key alone opens no database", async () => {
    const { status, body } = await sdk("differences", { dbToken: null }).post("/api/run", { query: "SELECT 1" });
    assert.equal(status, 401);
    assert.equal(body.code, "missing_token");
  });
});

describe("kv, as kuratchi-sdk's later client calls it", () => {
  test("put and get: a JSON value, text and bytes come back as stored, with the encoding the SDK client decodes", async () => {
    const kv = sdk("kv-shapes").kv;
    assert.deepEqual(await kv.put({ key: "settings", value: { theme: "dark", seats: 5 } }), { success: true });
    assert.deepEqual(await kv.put({ key: "greeting", value: "hello", encoding: "text" }), { success: true });
    assert.deepEqual(await kv.put({ key: "avatar", value: Buffer.from([0, 1, 254, 255]).toString("base64"), encoding: "base64" }), {
      success: true,
    });

    assert.deepEqual(await kv.get({ key: "settings" }), { success: true, value: { theme: "dark", seats: 5 }, metadata: null, encoding: "json" });
    assert.deepEqual(await kv.get({ key: "greeting", type: "text" }), { success: true, value: "hello", metadata: null, encoding: "text" });
    const avatar = await kv.get({ key: "avatar", type: "arrayBuffer" });
    assert.deepEqual([avatar.encoding, [...avatar.value]], ["base64", [0, 1, 254, 255]]);
    const textAsBytes = await kv.get({ key: "greeting", type: "arrayBuffer" });
    assert.equal(Buffer.from(textAsBytes.value).toString("utf8"), "hello");
    assert.deepEqual(await kv.get({ key: "absent" }), { success: true, value: null, metadata: null, encoding: "json" });
  });

  test("delete says whether the key was there", async () => {
    const kv = sdk("kv-delete").kv;
    await kv.put({ key: "k", value: 1 });
    assert.deepEqual(await kv.delete({ key: "k" }), { success: true, deleted: true });
    assert.deepEqual(await kv.delete({ key: "k" }), { success: true, deleted: false });
    assert.equal((await kv.get({ key: "k" })).value, null);
  });

  test("metadata and expiry, which kuratchi-sdk's Worker dropped, are kept and listed", async () => {
    const kv = sdk("kv-meta").kv;
    const expiration = Math.floor(Date.now() / 1000) + 3600;
    await kv.put({ key: "session", value: "s1", encoding: "text", metadata: { user: "ann" }, expiration });
    await kv.put({ key: "short", value: 1, expirationTtl: 120 });
    assert.deepEqual((await kv.get({ key: "session", withMetadata: true })).metadata, { user: "ann" });
    const { keys } = await kv.list({});
    assert.deepEqual(keys[0], { name: "session", expiration, metadata: { user: "ann" } });
    assert.equal(keys[1].name, "short");
    assert.ok(Math.abs(keys[1].expiration - (Math.floor(Date.now() / 1000) + 120)) <= 2);
    // A later put without metadata replaces it, as in Workers KV.
    await kv.put({ key: "session", value: "s2", encoding: "text" });
    assert.equal((await kv.get({ key: "session", withMetadata: true })).metadata, null);
  });

  test("list pages with a cursor, in order or reversed, within a prefix and a range", async () => {
    const kv = sdk("kv-list").kv;
    const all = Array.from({ length: 25 }, (_, i) => `item:${String(i).padStart(2, "0")}`);
    for (const key of all) await kv.put({ key, value: key });
    await kv.put({ key: "other", value: 0 });

    const seen = [];
    let page = { cursor: null, list_complete: false };
    while (!page.list_complete) {
      page = await kv.list({ prefix: "item:", limit: 10, ...(page.cursor ? { cursor: page.cursor } : {}) });
      assert.equal(page.success, true);
      assert.equal(page.list_complete, page.cursor === null);
      seen.push(...page.keys.map((k) => k.name));
    }
    assert.deepEqual(seen, all);

    const reversed = await kv.list({ prefix: "item:", limit: 3, reverse: true });
    assert.deepEqual(reversed.keys.map((k) => k.name), ["item:24", "item:23", "item:22"]);
    const next = await kv.list({ prefix: "item:", limit: 3, reverse: true, cursor: reversed.cursor });
    assert.deepEqual(next.keys.map((k) => k.name), ["item:21", "item:20", "item:19"]);

    const range = await kv.list({ start: "item:05", end: "item:08" });
    assert.deepEqual(range.keys.map((k) => k.name), ["item:05", "item:06", "item:07"]);
    const after = await kv.list({ startAfter: "item:23" });
    assert.deepEqual(after.keys.map((k) => k.name), ["item:24", "other"]);
  });

  test("the gateway's reserved keys are out of reach: refused by name, skipped by list, unreadable from SQL", async () => {
    const db = sdk("kv-reserved");
    await db.kv.put({ key: "_", value: "below the reserved range" });
    await db.kv.put({ key: "zz", value: "above it" });
    await gateway.admin("POST", adminPath("kv-reserved", "/revocations"), { tokenIds: ["ab".repeat(16)] });

    for (const call of [
      () => db.kv.get({ key: "__kuratchi:epoch" }),
      () => db.kv.put({ key: "__kuratchi:epoch", value: "0000000000000000" }),
      () => db.kv.delete({ key: `__kuratchi:revoked:${"ab".repeat(16)}` }),
    ]) {
      const { success, error } = await call();
      assert.equal(success, false);
      assert.equal(JSON.parse(error).code, "reserved_key");
    }
    // Every range that could hold them: whole, reversed, a prefix of the reserved prefix, and starting inside it.
    for (const options of [{}, { reverse: true }, { prefix: "__" }, { start: "__kuratchi:", limit: 1 }]) {
      const names = (await db.kv.list(options)).keys.map((k) => k.name);
      assert.ok(!names.some((name) => name.startsWith("__kuratchi:")), `${JSON.stringify(options)}: ${names}`);
    }
    assert.deepEqual((await db.kv.list({})).keys.map((k) => k.name), ["_", "zz"]);
    assert.deepEqual((await db.kv.list({ start: "__kuratchi:", limit: 1 })).keys.map((k) => k.name), ["zz"]);

    const sql = await db.post("/api/run", { query: "SELECT key FROM _cf_KV" });
    assert.equal(sql.status, 400);
    assert.equal(sql.body.sqliteCode, "SQLITE_AUTH");
  });

  test("kv takes the same token checks as SQL: a revoked token and another database's token are refused", async () => {
    const token = mintSdkToken("kv-auth", KEY);
    const db = sdk("kv-auth", { dbToken: token });
    assert.equal((await db.kv.put({ key: "k", value: 1 })).success, true);
    await gateway.admin("POST", adminPath("kv-auth", "/revocations"), { tokenIds: [token.split(".")[1]] });
    assert.equal(JSON.parse((await db.kv.get({ key: "k" })).error).code, "token_revoked");
    const other = sdk("kv-auth", { dbToken: mintSdkToken("kv-other", KEY) });
    assert.equal(JSON.parse((await other.kv.get({ key: "k" })).error).code, "token_db_mismatch");
  });

  test("bad requests are refused with what to fix; a missing key with kuratchi-sdk's own message", async () => {
    const kv = sdk("kv-bad").kv;
    const refusals = [
      [kv.get({}), "Key is required"],
      [kv.put({ key: "k" }), "value is required"],
      [kv.put({ key: "k", value: "%%", encoding: "base64" }), "value must be standard base64 (with padding) with encoding 'base64'"],
      [kv.put({ key: "k", value: "AAH", encoding: "base64" }), "value must be standard base64 (with padding) with encoding 'base64'"],
      [kv.put({ key: "k", value: 1, expirationTtl: 10 }), "the expiry must be at least 60 seconds in the future"],
      [kv.put({ key: "k", value: 1, expiration: 1, expirationTtl: 60 }), "give expiration or expirationTtl, not both"],
      [kv.put({ key: "k", value: 1, metadata: { big: "x".repeat(1100) } }), "metadata is larger than 1024 bytes as JSON"],
      [kv.put({ key: "x".repeat(2035), value: 1, expirationTtl: 60 }), "key is longer than 2034 bytes"],
      [kv.put({ key: "x".repeat(2049), value: 1 }), "key is longer than 2048 bytes"],
      [kv.get({ key: "x".repeat(2049) }), "key is longer than 2048 bytes"],
      [kv.put({ key: "\uD800secret", value: 1 }), "key must be Unicode text (it holds a lone surrogate)"],
      [kv.list({ prefix: "\uDFFF" }), "prefix must be Unicode text (it holds a lone surrogate)"],
      [kv.put({ key: "k", value: JSON.parse("[".repeat(300) + "]".repeat(300)) }), "value is nested deeper than 256 levels"],
      [kv.put({ key: "k", value: 1, metadata: JSON.parse("[".repeat(257) + "]".repeat(257)) }), "metadata is nested deeper than 256 levels"],
      [kv.list({ limit: 0 }), "limit must be a whole number from 1 to 1000"],
      [kv.list({ cursor: "%%" }), "cursor is not one this gateway returned"],
    ];
    for (const [call, message] of refusals) {
      const { success, error } = await call;
      assert.equal(success, false, message);
      assert.equal(JSON.parse(error).error, message);
    }
  });

  test("a wipe erases the tenant's keys with its tables", async () => {
    const db = sdk("kv-wipe");
    await db.kv.put({ key: "k", value: 1, metadata: { m: 1 } });
    assert.equal((await gateway.admin("DELETE", adminPath("kv-wipe"))).body.deleted, true);
    assert.equal((await db.kv.get({ key: "k" })).value, null);
    assert.deepEqual((await db.kv.list({})).keys, []);
  });
});
