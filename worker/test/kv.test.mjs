// TenantKv's own rules, on an in-memory stand-in for the Durable Object's KV storage, where time and the key set are
// the test's to choose: expiry, and that a listing leaves out exactly the reserved range whatever the options.
// (test/kuratchi-sdk-compat.test.mjs runs the endpoints against workerd itself.)
import assert from "node:assert/strict";
import { test } from "node:test";
import { TenantKv, parseKvRequest } from "../src/kv.js";
import { RESERVED_PREFIX } from "../src/reserved.js";
import { MemoryStorage, compareBytes } from "./support/memory-storage.mjs";

const NOW = 1_800_000_000_000;
const list = (kv, body, now = NOW) => kv.run("kv/list", parseKvRequest("kv/list", body, now), now);

test("an expired key reads as absent, is deleted when met, and leaves list pages full", () => {
  const storage = new MemoryStorage();
  const kv = new TenantKv(storage);
  const put = (key, extra = {}) => kv.run("kv/put", parseKvRequest("kv/put", { key, value: key, ...extra }, NOW), NOW);
  put("a");
  put("b", { expirationTtl: 60 });
  put("c", { expiration: NOW / 1000 + 120, metadata: { keep: true } });
  put("d");

  const later = NOW + 90_000;
  assert.deepEqual(kv.run("kv/get", parseKvRequest("kv/get", { key: "b" }, later), later).value, null);
  assert.equal(storage.get("b"), undefined, "met after its expiry, the key is gone");
  assert.deepEqual(
    list(kv, { limit: 2 }, later).keys.map((k) => k.name),
    ["a", "c"],
  );
  const muchLater = NOW + 200_000;
  assert.deepEqual(list(kv, {}, muchLater).keys.map((k) => k.name), ["a", "d"]);
  assert.equal(storage.get(`${RESERVED_PREFIX}kv:c`), undefined, "what was kept beside it goes too");
  assert.equal(kv.run("kv/delete", { key: "c" }, muchLater).deleted, false);
});

test("a listing leaves out exactly the reserved range, for every combination of options", () => {
  const storage = new MemoryStorage();
  const kv = new TenantKv(storage);
  const tenantKeys = ["", "!", "_", "__", "__k", "__kuratchi", "__kuratchi;", "__kuratchj", "_a", "a", "z", "é", "\u{1F600}", "\uFFFF"]
    .filter((k) => k !== "")
    .flatMap((k) => [k, `${k}x`]);
  for (const key of tenantKeys) storage.put(key, 1);
  for (const key of ["gateway", "epoch", "revoked:ab", "kv:a"]) storage.put(RESERVED_PREFIX + key, 1);
  const expected = [...tenantKeys].sort(compareBytes);

  const bounds = [undefined, "_", "__kuratchi", RESERVED_PREFIX, `${RESERVED_PREFIX}m`, "__kuratchi;", "a", "\uFFFF"];
  const prefixes = [undefined, "_", "__kuratchi", "a"];
  let checked = 0;
  for (const low of bounds) {
    for (const lowKind of ["start", "startAfter"]) {
      if (low === undefined && lowKind === "startAfter") continue;
      for (const end of bounds) {
        for (const prefix of prefixes) {
          for (const reverse of [false, true]) {
            const options = { [lowKind]: low, end, prefix, reverse };
            let want = expected.filter(
              (k) =>
                (low === undefined || (lowKind === "start" ? compareBytes(k, low) >= 0 : compareBytes(k, low) > 0)) &&
                (end === undefined || compareBytes(k, end) < 0) &&
                (prefix === undefined || k.startsWith(prefix)),
            );
            if (reverse) want = want.reverse();
            // Page by 3 through the cursor: pages join up to the whole listing, in order.
            const got = [];
            let cursor;
            for (let pages = 0; pages < 50; pages++) {
              const page = list(kv, { ...options, limit: 3, ...(cursor ? { cursor } : {}) });
              got.push(...page.keys.map((k) => k.name));
              if (page.list_complete) break;
              cursor = page.cursor;
            }
            assert.deepEqual(got, want, JSON.stringify(options));
            checked++;
          }
        }
      }
    }
  }
  assert.ok(checked > 500, `${checked} combinations`);
});

test("keys under the reserved prefix are refused by name on every operation", () => {
  for (const operation of ["kv/get", "kv/put", "kv/delete"]) {
    assert.throws(
      () => parseKvRequest(operation, { key: `${RESERVED_PREFIX}epoch`, value: 1 }, NOW),
      (error) => error.code === "reserved_key",
    );
  }
});

test("a key with no room for metadata beside it is read, listed, written and deleted, without metadata", () => {
  const storage = new MemoryStorage();
  const kv = new TenantKv(storage);
  const long = "k".repeat(2040);
  storage.put(long, "from before");
  const get = kv.run("kv/get", parseKvRequest("kv/get", { key: long }, NOW), NOW);
  assert.equal(get.value, "from before");
  assert.deepEqual(list(kv, {}).keys, [{ name: long }]);
  // Written again without metadata it keeps its name; with metadata the key kept beside it would not fit.
  kv.run("kv/put", parseKvRequest("kv/put", { key: long, value: "again" }, NOW), NOW);
  assert.equal(storage.get(long), "again");
  assert.throws(() => parseKvRequest("kv/put", { key: long, value: 1, metadata: { m: 1 } }, NOW), /longer than 2034/);
  assert.equal(kv.run("kv/delete", parseKvRequest("kv/delete", { key: long }, NOW), NOW).deleted, true);
  assert.deepEqual([...storage.map.keys()], []);
  // No key longer than the storage's limit is ever asked for, the one kept beside a value included.
  assert.ok([...storage.asked].every((key) => new TextEncoder().encode(key).length <= 2048));
});
