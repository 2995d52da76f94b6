// The first touch of a database's storage (src/takeover.js), on an in-memory storage holding what came before: keys
// a kuratchi-sdk app wrote under the reserved prefix, and the earlier v1alpha1 gateway's layout, whole or in pieces.
// test/emulator/kuratchi-sdk-migration.test.mjs does the same end to end, with storage the SDK's Worker wrote.
import assert from "node:assert/strict";
import { test } from "node:test";
import { RESERVED, RESERVED_PREFIX, REVOKED_PREFIX } from "../src/reserved.js";
import { SDK_KEYS_PREFIX, takeOverStorage } from "../src/takeover.js";
import { MemoryStorage } from "./support/memory-storage.mjs";

const OWNER = { uid: "uid-1", namespace: "team", name: "db" };

// `historyColumns`: the columns of migrations_history, as the takeover's one SQL question finds them.
function storageWith(entries, { historyColumns = [] } = {}) {
  const kv = new MemoryStorage();
  for (const [key, value] of Object.entries(entries)) kv.put(key, value);
  const sql = { exec: () => ({ toArray: () => (historyColumns.includes("checksum") ? [{ 1: 1 }] : []) }) };
  return { kv, sql, transactionSync: (run) => run() };
}

const reservedKeys = (kv) => kv.list({ prefix: RESERVED_PREFIX }).map(([key]) => key);
const tenantEntries = (kv) => kv.list({}).filter(([key]) => !key.startsWith(RESERVED_PREFIX));

test("keys an app wrote under the reserved prefix move out to where it can read them; the marker cannot be forged", () => {
  const storage = storageWith({
    [RESERVED.gateway]: 1,
    [RESERVED.owner]: { ...OWNER, since: 1 },
    [RESERVED.epoch]: "0000000000000000",
    [`${REVOKED_PREFIX}${"ab".repeat(16)}`]: { revokedAt: 1, notAfter: null },
    [`${RESERVED_PREFIX}anything`]: "app data",
  });
  takeOverStorage(storage);
  assert.deepEqual(reservedKeys(storage.kv), [RESERVED.gateway]);
  assert.equal(typeof storage.kv.get(RESERVED.gateway), "bigint");
  assert.equal(storage.kv.get("__kuratchi-anything"), "app data");
  assert.equal(storage.kv.get("__kuratchi-epoch"), "0000000000000000");
  assert.equal(SDK_KEYS_PREFIX.length, RESERVED_PREFIX.length, "a moved key is no longer than it was");

  // Once marked, the storage is the gateway's: what it writes there later is never moved.
  storage.kv.put(RESERVED.epoch, "1111111111111111");
  takeOverStorage(storage);
  assert.equal(storage.kv.get(RESERVED.epoch), "1111111111111111");
});

test("a value that cannot be stored again under its new name is dropped; the takeover still completes", () => {
  const storage = storageWith({ [`${RESERVED_PREFIX}huge`]: "x".repeat(100), [`${RESERVED_PREFIX}small`]: "ok" });
  storage.kv.refuse = (value) => typeof value === "string" && value.length >= 100;
  takeOverStorage(storage);
  assert.deepEqual(reservedKeys(storage.kv), [RESERVED.gateway]);
  assert.equal(storage.kv.get(`${SDK_KEYS_PREFIX}huge`), undefined);
  assert.equal(storage.kv.get(`${SDK_KEYS_PREFIX}small`), "ok");
});

test("the earlier gateway's layout is carried over, with only the fields it wrote", () => {
  const revokedId = "cd".repeat(16);
  const storage = storageWith({
    "meta:epoch": "0123456789abcdef",
    "meta:owner": { ...OWNER, since: 1764000000000, junk: [[[["deep"]]]] },
    "meta:storageId": "f".repeat(32),
    "meta:provisionedAt": 1764000000000,
    [`revoked:${revokedId}`]: { revokedAt: 1764000000000, notAfter: 1865000000000, extra: "dropped" },
  });
  takeOverStorage(storage);
  const { kv } = storage;
  assert.equal(kv.get(RESERVED.epoch), "0123456789abcdef");
  assert.deepEqual(kv.get(RESERVED.owner), { ...OWNER, since: 1764000000000 });
  assert.equal(kv.get(RESERVED.storageId), "f".repeat(32));
  assert.equal(kv.get(RESERVED.provisionedAt), 1764000000000);
  assert.deepEqual(kv.get(REVOKED_PREFIX + revokedId), { revokedAt: 1764000000000, notAfter: 1865000000000 });
  assert.deepEqual(tenantEntries(kv), [], "nothing of the old layout is left for the tenant");
});

test("pieces of that layout without what it always wrote beside them stay the app's", () => {
  const storage = storageWith({
    // An owner or retainedBy never stood without an epoch; a provisioning time never without a storage id.
    "meta:owner": { ...OWNER, since: 1 },
    "meta:retainedBy": { ...OWNER, at: 1 },
    "meta:provisionedAt": 1730000000000,
    "meta:epoch": "not-an-epoch",
    "revoked:short": { revokedAt: 1 },
    [`revoked:${"ef".repeat(16)}`]: true,
  });
  const before = storage.kv.list({});
  takeOverStorage(storage);
  assert.deepEqual(reservedKeys(storage.kv), [RESERVED.gateway]);
  assert.deepEqual(tenantEntries(storage.kv), before);
});

test("an owner of that layout beyond Kubernetes' limits, or without its time, is not an owner", () => {
  for (const owner of [{ ...OWNER, since: "yesterday" }, { ...OWNER, name: "n".repeat(254), since: 1 }, { uid: "u", since: 1 }]) {
    const storage = storageWith({ "meta:epoch": "0123456789abcdef", "meta:owner": owner });
    takeOverStorage(storage);
    assert.equal(storage.kv.get(RESERVED.owner), undefined, JSON.stringify(owner));
    assert.deepEqual(storage.kv.get("meta:owner"), owner);
  }
});

test("a read of storage with nothing to take over writes nothing", () => {
  const storage = storageWith({ "app-key": 1 });
  takeOverStorage(storage, { writeMarker: false });
  assert.deepEqual(storage.kv.list({}), [["app-key", 1]]);
  storage.kv.put("meta:epoch", "0123456789abcdef");
  takeOverStorage(storage, { writeMarker: false });
  assert.equal(typeof storage.kv.get(RESERVED.gateway), "bigint", "earlier state is taken over by a read too");
});

test("a provisioning time alone is the earlier gateway's only beside its migrations_history (with checksum)", () => {
  // Its first release wrote no storage id; only it adds the checksum column (kuratchi-sdk's table has none).
  const ours = storageWith({ "meta:provisionedAt": 1764000000000 }, { historyColumns: ["id", "tag", "created_at", "checksum"] });
  takeOverStorage(ours);
  assert.equal(ours.kv.get(RESERVED.provisionedAt), 1764000000000);
  const sdks = storageWith({ "meta:provisionedAt": 1764000000000 }, { historyColumns: ["id", "tag", "created_at"] });
  takeOverStorage(sdks);
  assert.equal(sdks.kv.get(RESERVED.provisionedAt), undefined);
  assert.equal(sdks.kv.get("meta:provisionedAt"), 1764000000000);
});
