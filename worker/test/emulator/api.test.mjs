// The emulated Cloudflare API: authentication, envelopes, KV namespaces, R2 buckets and Queues.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { emulatorPerFile } from "./support.mjs";

const emulator = emulatorPerFile();

function assertError(response, status, code) {
  assert.equal(response.status, status, JSON.stringify(response.body));
  assert.equal(response.body.success, false);
  assert.equal(response.body.result, null);
  assert.deepEqual(response.body.messages, []);
  assert.equal(response.body.errors[0].code, code);
  assert.equal(typeof response.body.errors[0].message, "string");
}

describe("authentication and routing", () => {
  test("a missing token is 401, a wrong one 403, both code 10000", async () => {
    assertError(await emulator.api.call("GET", `${emulator.api.accountPath}/workers/scripts`, undefined, { token: null }), 401, 10000);
    assertError(await emulator.api.call("GET", `${emulator.api.accountPath}/workers/scripts`, undefined, { token: "wrong" }), 403, 10000);
  });

  test("an unknown account is 403; a malformed account id is 7003", async () => {
    assertError(await emulator.api.call("GET", "/accounts/ffffffffffffffffffffffffffffffff/workers/scripts"), 403, 10000);
    assertError(await emulator.api.call("GET", "/accounts/not-an-id/workers/scripts"), 404, 7003);
  });

  test("unknown routes are 7003; a known route with the wrong method is 405", async () => {
    assertError(await emulator.api.call("GET", "/nothing/here"), 404, 7003);
    assertError(await emulator.api.call("PATCH", `${emulator.api.accountPath}/workers/scripts`), 405, 10000);
  });

  test("token verify, user and account forms; an invalid token is code 1000", async () => {
    for (const path of ["/user/tokens/verify", `${emulator.api.accountPath}/tokens/verify`]) {
      const ok = await emulator.api.call("GET", path);
      assert.equal(ok.status, 200);
      assert.equal(ok.body.result.status, "active");
      assert.match(ok.body.result.id, /^[0-9a-f]{32}$/);
      assert.equal(ok.body.messages[0].message, "This API Token is valid and active");
      assertError(await emulator.api.call("GET", path, undefined, { token: "nope" }), 401, 1000);
    }
  });

  test("the account's workers.dev subdomain can be read and changed", async () => {
    assert.deepEqual((await emulator.api.call("GET", `${emulator.api.accountPath}/workers/subdomain`)).body.result, {
      subdomain: "test-account",
    });
    assertError(await emulator.api.call("PUT", `${emulator.api.accountPath}/workers/subdomain`, { subdomain: "Not Valid" }), 400, 10001);
    assert.equal((await emulator.api.call("PUT", `${emulator.api.accountPath}/workers/subdomain`, { subdomain: "renamed" })).status, 200);
    assert.equal((await emulator.api.call("GET", `${emulator.api.accountPath}/workers/subdomain`)).body.result.subdomain, "renamed");
    await emulator.api.call("PUT", `${emulator.api.accountPath}/workers/subdomain`, { subdomain: "test-account" });
  });

  test("a malformed JSON body is a 400 envelope", async () => {
    const response = await fetch(`${emulator.api.info.apiUrl}${emulator.api.accountPath}/storage/kv/namespaces`, {
      method: "POST",
      headers: { authorization: `Bearer ${emulator.api.token}`, "content-type": "application/json" },
      body: "{not json",
    });
    assert.equal(response.status, 400);
    assert.equal((await response.json()).errors[0].code, 10001);
  });
});

describe("KV namespaces", () => {
  const path = () => `${emulator.api.accountPath}/storage/kv/namespaces`;

  test("create, get, rename, delete; a duplicate title is 400/10014; unknown is 404", async () => {
    const created = await emulator.api.call("POST", path(), { title: "sessions" });
    assert.equal(created.status, 200);
    assert.match(created.body.result.id, /^[0-9a-f]{32}$/);
    assert.deepEqual(created.body.result, { id: created.body.result.id, title: "sessions", supports_url_encoding: true });
    assertError(await emulator.api.call("POST", path(), { title: "sessions" }), 400, 10014);

    const id = created.body.result.id;
    assert.equal((await emulator.api.call("GET", `${path()}/${id}`)).body.result.title, "sessions");
    assert.equal((await emulator.api.call("PUT", `${path()}/${id}`, { title: "sessions-2" })).body.result.title, "sessions-2");
    assert.deepEqual((await emulator.api.call("DELETE", `${path()}/${id}`)).body.result, {});
    assertError(await emulator.api.call("GET", `${path()}/${id}`), 404, 10013);
    assert.equal((await emulator.api.call("POST", path(), { title: "sessions" })).status, 200, "the title is free again");
  });

  test("pagination: page and per_page with result_info", async () => {
    for (let i = 0; i < 25; i++) await emulator.api.call("POST", path(), { title: `page-test-${String(i).padStart(2, "0")}` });
    const total = (await emulator.api.call("GET", `${path()}?per_page=1000`)).body.result_info.total_count;
    const seen = [];
    for (let page = 1; ; page++) {
      const response = await emulator.api.call("GET", `${path()}?per_page=10&page=${page}&order=title`);
      const info = response.body.result_info;
      assert.equal(info.per_page, 10);
      assert.equal(info.page, page);
      assert.equal(info.count, response.body.result.length);
      assert.equal(info.total_count, total);
      seen.push(...response.body.result.map((ns) => ns.title));
      if (page >= info.total_pages) break;
    }
    assert.equal(seen.length, total);
    assert.deepEqual(seen, [...seen].sort());
    assert.equal((await emulator.api.call("GET", path())).body.result_info.per_page, 20, "default page size");
    assertError(await emulator.api.call("GET", `${path()}?per_page=0`), 400, 10001);
  });
});

describe("R2 buckets", () => {
  const path = () => `${emulator.api.accountPath}/r2/buckets`;

  test("create, get, delete; existing is 409/10004; invalid name 10005; missing 404/10006", async () => {
    const created = await emulator.api.call("POST", path(), { name: "tenant-assets", locationHint: "weur" });
    assert.equal(created.status, 200);
    assert.equal(created.body.result.name, "tenant-assets");
    assert.equal(created.body.result.location, "WEUR");
    assertError(await emulator.api.call("POST", path(), { name: "tenant-assets" }), 409, 10004);
    for (const name of ["ab", "UPPER", "-lead", "trail-", "x".repeat(64)]) {
      assertError(await emulator.api.call("POST", path(), { name }), 400, 10005);
    }
    assert.equal((await emulator.api.call("GET", `${path()}/tenant-assets`)).status, 200);
    assert.equal((await emulator.api.call("DELETE", `${path()}/tenant-assets`)).status, 200);
    assertError(await emulator.api.call("GET", `${path()}/tenant-assets`), 404, 10006);
    assertError(await emulator.api.call("DELETE", `${path()}/tenant-assets`), 404, 10006);
  });

  test("cursor pagination returns every bucket once, in name order", async () => {
    const names = Array.from({ length: 13 }, (_, i) => `bucket-${String(i).padStart(2, "0")}`);
    for (const name of names) await emulator.api.call("POST", path(), { name });
    const seen = [];
    let cursor = "";
    do {
      const response = await emulator.api.call("GET", `${path()}?per_page=5${cursor ? `&cursor=${cursor}` : ""}`);
      assert.ok(response.body.result.buckets.length <= 5);
      seen.push(...response.body.result.buckets.map((b) => b.name));
      cursor = response.body.result_info.cursor;
    } while (cursor);
    assert.deepEqual(seen, names);
    const filtered = await emulator.api.call("GET", `${path()}?name_contains=-1`);
    assert.deepEqual(filtered.body.result.buckets.map((b) => b.name), ["bucket-10", "bucket-11", "bucket-12"]);
  });
});

describe("Queues", () => {
  const path = () => `${emulator.api.accountPath}/queues`;

  test("create, get and delete by id; a taken name is 11009; unknown id 10104; bad id 10107", async () => {
    const created = await emulator.api.call("POST", path(), { queue_name: "jobs" });
    assert.equal(created.status, 200);
    const queue = created.body.result;
    assert.match(queue.queue_id, /^[0-9a-f]{32}$/);
    assert.equal(queue.queue_name, "jobs");
    assertError(await emulator.api.call("POST", path(), { queue_name: "jobs" }), 409, 11009);
    assert.match((await emulator.api.call("POST", path(), { queue_name: "jobs" })).body.errors[0].message, /'jobs' is already taken/);

    assert.equal((await emulator.api.call("GET", `${path()}/${queue.queue_id}`)).body.result.queue_name, "jobs");
    const deleted = await emulator.api.call("DELETE", `${path()}/${queue.queue_id}`);
    assert.equal(deleted.status, 200);
    assert.deepEqual(deleted.body, { success: true, errors: [], messages: [] });
    assertError(await emulator.api.call("GET", `${path()}/${queue.queue_id}`), 404, 10104);
    assertError(await emulator.api.call("GET", `${path()}/not-hex`), 400, 10107);
  });

  test("list pages with page and per_page", async () => {
    for (let i = 0; i < 7; i++) await emulator.api.call("POST", path(), { queue_name: `q-${i}` });
    const first = await emulator.api.call("GET", `${path()}?per_page=5`);
    const second = await emulator.api.call("GET", `${path()}?per_page=5&page=2`);
    assert.equal(first.body.result.length, 5);
    assert.equal(second.body.result.length, 2);
    assert.equal(first.body.result_info.total_count, 7);
  });
});
