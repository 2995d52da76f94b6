// Every data-plane endpoint against the Worker in workerd: results, errors, atomicity, isolation, limits.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startGateway } from "./support/gateway.mjs";

const KEY = "data-plane-test-key";
const MAX_BODY = 64 * 1024;
let gateway;

before(async () => {
  gateway = await startGateway({ apiKey: KEY, maxBodyBytes: MAX_BODY });
  await gateway.sql("shop", "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, price REAL, data BLOB)");
  await gateway.sql("shop", "INSERT INTO items (id, name, price) VALUES (1, 'apple', 1.5), (2, 'pear', 2.25)");
});
after(() => gateway?.dispose());

async function data(operation, body, databaseName = "shop") {
  return gateway.data(operation, databaseName, body, await gateway.issueToken(databaseName));
}

test("run returns rows as objects and meta counts", async () => {
  const response = await data("run", { query: "SELECT id, name FROM items WHERE price > ? ORDER BY id", params: [1] });
  assert.equal(response.status, 200);
  assert.deepEqual(response.body, {
    success: true,
    results: [
      { id: 1, name: "apple" },
      { id: 2, name: "pear" },
    ],
    meta: { rowsRead: 2, rowsWritten: 0 },
  });
  const write = await data("run", { query: "UPDATE items SET price = price WHERE id = ?", params: [1] });
  assert.equal(write.body.meta.rowsWritten, 1);
  assert.deepEqual(write.body.results, []);
});

test("SQL that is not Unicode text is refused: a name with a lone surrogate could never be dropped again", async () => {
  const create = await data("exec", { query: 'CREATE TABLE "\uD800t" (x)' });
  assert.equal(create.status, 400);
  assert.equal(create.body.error, "query must be Unicode text (it holds a lone surrogate)");
  const batch = await data("batch", { batch: [{ query: "SELECT 1" }, { query: 'CREATE TABLE "\uDFFF" (x)' }] });
  assert.deepEqual([batch.status, batch.body.index], [400, 1]);
  const migration = await gateway.provision("shop", [{ id: "0001_bad", sql: 'CREATE TABLE "\uD800m" (x)' }]);
  assert.equal(migration.status, 400);
  assert.match(migration.body.error, /lone surrogate/);
});

test("exec runs several statements atomically and returns the last one's rows", async () => {
  const response = await data("exec", { query: "CREATE TABLE e (x); INSERT INTO e VALUES (1); SELECT x FROM e" });
  assert.equal(response.status, 200);
  assert.deepEqual(response.body.results, [{ x: 1 }]);

  const failing = await data("exec", { query: "INSERT INTO e VALUES (2); INSERT INTO nope VALUES (3)" });
  assert.equal(failing.status, 400);
  assert.deepEqual(await gateway.sql("shop", "SELECT count(*) AS n FROM e"), [{ n: 1 }]);

  const withParams = await data("exec", { query: "SELECT ?", params: [1] });
  assert.equal(withParams.status, 400);
  assert.equal(withParams.body.code, "invalid_request");
});

test("raw returns value arrays, with the column names first when asked", async () => {
  const query = "SELECT id, name FROM items ORDER BY id";
  assert.deepEqual((await data("raw", { query })).body.results, [
    [1, "apple"],
    [2, "pear"],
  ]);
  assert.deepEqual((await data("raw", { query, columnNames: true })).body.results, [
    ["id", "name"],
    [1, "apple"],
    [2, "pear"],
  ]);
});

test("first returns one row, one value, or null when there is no row", async () => {
  const query = "SELECT id, name FROM items WHERE id = ?";
  assert.deepEqual((await data("first", { query, params: [2] })).body.results, { id: 2, name: "pear" });
  assert.equal((await data("first", { query, params: [2], columnName: "name" })).body.results, "pear");
  const none = await data("first", { query, params: [99] });
  assert.equal(none.status, 200);
  assert.equal(none.body.results, null);
  const unknown = await data("first", { query, params: [2], columnName: "nope" });
  assert.equal(unknown.status, 400);
  assert.equal(unknown.body.code, "invalid_request");
});

test("first with a columnName the row lacks is 400, also for names inherited by every object", async () => {
  for (const columnName of ["constructor", "toString", "__proto__", "hasOwnProperty", "valueOf"]) {
    const response = await data("first", { query: "SELECT id, name FROM items WHERE id = 1", columnName });
    assert.equal(response.status, 400, `${columnName}: ${JSON.stringify(response.body)}`);
    assert.equal(response.body.code, "invalid_request");
  }
  const named = await data("first", { query: "SELECT 'value' AS constructor", columnName: "constructor" });
  assert.equal(named.body.results, "value", "a real column of that name is found");
});

test("batch returns each statement's rows in order", async () => {
  const response = await data("batch", {
    batch: [
      { query: "INSERT INTO items (id, name) VALUES (?, ?)", params: [10, "fig"] },
      { query: "SELECT name FROM items WHERE id = ?", params: [10] },
      { query: "DELETE FROM items WHERE id = 10" },
    ],
  });
  assert.equal(response.status, 200);
  assert.deepEqual(response.body.results, [[], [{ name: "fig" }], []]);
});

test("batch is atomic: a failing third statement leaves nothing of the first two", async () => {
  const response = await data("batch", {
    batch: [
      { query: "INSERT INTO items (id, name) VALUES (20, 'kiwi')" },
      { query: "UPDATE items SET price = 99 WHERE id = 1" },
      { query: "INSERT INTO items (id, name) VALUES (21, 'apple')" },
    ],
  });
  assert.equal(response.status, 400);
  assert.equal(response.body.code, "sql_error");
  assert.equal(response.body.index, 2);
  assert.match(response.body.error, /^statement 2: UNIQUE constraint failed: items\.name/);
  assert.equal(response.body.sqliteCode, "SQLITE_CONSTRAINT");
  assert.deepEqual(await gateway.sql("shop", "SELECT count(*) AS n FROM items WHERE id = 20"), [{ n: 0 }]);
  assert.deepEqual(await gateway.sql("shop", "SELECT price FROM items WHERE id = 1"), [{ price: 1.5 }]);
});

test("blobs round-trip as {$blob: base64}, booleans bind as 1/0", async () => {
  const bytes = Buffer.from([0, 1, 2, 254, 255]);
  const insert = await data("run", {
    query: "INSERT INTO items (id, name, data, price) VALUES (30, 'blob', ?, ?)",
    params: [{ $blob: bytes.toString("base64") }, true],
  });
  assert.equal(insert.status, 200, JSON.stringify(insert.body));
  const row = (await data("first", { query: "SELECT data, price, typeof(data) AS t FROM items WHERE id = 30" })).body
    .results;
  assert.deepEqual(row, { data: { $blob: bytes.toString("base64") }, price: 1, t: "blob" });
  const raw = (await data("raw", { query: "SELECT data FROM items WHERE id = 30" })).body.results;
  assert.deepEqual(raw, [[{ $blob: bytes.toString("base64") }]]);
});

test("SQL errors are 400 with SQLite's message", async () => {
  const response = await data("run", { query: "SELEC 1" });
  assert.equal(response.status, 400);
  assert.deepEqual(response.body, {
    success: false,
    error: 'near "SELEC": syntax error at offset 0: SQLITE_ERROR',
    code: "sql_error",
    sqliteCode: "SQLITE_ERROR",
  });
  const missing = await data("run", { query: "SELECT * FROM nope" });
  assert.match(missing.body.error, /no such table: nope/);
});

test("bad bodies are 400 with what to fix", async () => {
  const cases = [
    [{}, /query must be a non-empty SQL string/],
    [{ query: "SELECT ?", params: "x" }, /params must be an array/],
    [{ query: "SELECT ?", params: [{ a: 1 }] }, /params\[0\] must be a string, number, boolean, null/],
    [{ query: "SELECT ?", params: [{ $blob: "***" }] }, /not valid base64/],
  ];
  for (const [body, message] of cases) {
    const response = await data("run", body);
    assert.equal(response.status, 400);
    assert.equal(response.body.code, "invalid_request");
    assert.match(response.body.error, message);
  }
  const notArray = await data("batch", { batch: [] });
  assert.equal(notArray.status, 400);
  const badItem = await data("batch", { batch: [{ query: "SELECT 1" }, { query: "" }] });
  assert.equal(badItem.body.index, 1);

  const token = await gateway.issueToken("shop");
  for (const body of ["not json", "[1,2]", "null"]) {
    const response = await fetch(new URL("/api/run", gateway.url), {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "x-db-name": "shop" },
      body,
    });
    assert.equal(response.status, 400);
    assert.equal((await response.json()).code, "invalid_json");
  }
});

test("a body over the limit is 413, declared or streamed", async () => {
  const token = await gateway.issueToken("shop");
  const big = JSON.stringify({ query: `SELECT '${"x".repeat(MAX_BODY)}'` });
  const declared = await fetch(new URL("/api/run", gateway.url), {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "x-db-name": "shop" },
    body: big,
  });
  assert.equal(declared.status, 413);
  assert.equal((await declared.json()).code, "body_too_large");

  // The gateway answers 413 as soon as the stream passes the limit and closes; undici may still be writing the rest
  // and then reports the reset instead of the answer. Only that transport race is tried again: any answer must be 413.
  let streamed;
  for (let attempt = 1; !streamed; attempt++) {
    try {
      streamed = await fetch(new URL("/api/run", gateway.url), {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "x-db-name": "shop" },
        body: new Blob([big]).stream(),
        duplex: "half",
      });
    } catch (e) {
      if (!(e instanceof TypeError) || attempt >= 5) throw e;
    }
  }
  assert.equal(streamed.status, 413);
});

test("unknown paths are 404, wrong methods 405 with Allow", async () => {
  const token = await gateway.issueToken("shop");
  const unknown = await gateway.data("nope", "shop", {}, token);
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.code, "not_found");
  const root = await fetch(gateway.url);
  assert.equal(root.status, 404);

  const get = await fetch(new URL("/api/run", gateway.url), { headers: { authorization: `Bearer ${token}` } });
  assert.equal(get.status, 405);
  assert.equal(get.headers.get("allow"), "POST");
  assert.equal((await get.json()).code, "method_not_allowed");
  const post = await fetch(new URL("/health", gateway.url), { method: "POST" });
  assert.equal(post.status, 405);
});

test("two databases never see each other's tables", async () => {
  await gateway.sql("tenant-a", "CREATE TABLE secrets (v TEXT)");
  await gateway.sql("tenant-a", "INSERT INTO secrets VALUES ('a-only')");
  const fromB = await data("run", { query: "SELECT * FROM secrets" }, "tenant-b");
  assert.equal(fromB.status, 400);
  assert.match(fromB.body.error, /no such table: secrets/);
  assert.deepEqual(await gateway.sql("tenant-a", "SELECT v FROM secrets"), [{ v: "a-only" }]);
});

test("health answers without auth and says nothing else", async () => {
  const response = await fetch(new URL("/health", gateway.url));
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { success: true, status: "ok" });
});
