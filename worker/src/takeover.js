// The first time this gateway touches a database's storage it makes everything under RESERVED_PREFIX its own, then
// marks the storage. Before, two kinds of state may be there:
// - kuratchi-sdk's Worker let any token holder write any KV key, the prefix included: such keys would pose as an
//   owner, an epoch or a revocation. They are the app's data, so they move out of the prefix, to SDK_KEYS_PREFIX plus
//   the rest of their name, where the app reads them like any other key. The two prefixes are the same length, so
//   a moved key and its value fit wherever they fitted before.
// - The earlier v1alpha1 gateway kept its state under meta:* and revoked:*. What it wrote is carried over, so an
//   upgrade keeps every claim, epoch and revocation (no token it refused works again). An entry is taken only with
//   the shape that gateway gave it and only beside what it always wrote with it (an owner beside an epoch, a
//   provisioning time beside a storage id or, from its first release, beside a migrations_history with the checksum
//   column only that gateway adds), and only its known fields are copied; anything else stays the app's.
//   (Only an app holding the gateway key could have written a whole such set, and that key already signs a token for
//   every database; an owner carried over is released by a retire with its uid, as GET shows it.)
import { RESERVED, RESERVED_PREFIX, REVOKED_PREFIX, forEachInBatches } from "./reserved.js";

// A BigInt: kuratchi-sdk's Worker stored only JSON values, strings and bytes, so no app can have written this value.
const MARKER = 1n;
// As long as RESERVED_PREFIX and below it in key order ('-' sorts before ':'), so outside the reserved range.
export const SDK_KEYS_PREFIX = "__kuratchi-";
// Kubernetes' limits for a uid, a namespace and an object name, as the control plane checks an owner.
const RESOURCE_FIELDS = { uid: 128, namespace: 63, name: 253 };

const isHex = (value, length) => typeof value === "string" && value.length === length && /^[0-9a-f]+$/.test(value);
const isTime = (value) => Number.isSafeInteger(value) && value > 0;

/**
 * Takes the storage over unless it already is this gateway's. `writeMarker` false (a read) changes nothing when there
 * is nothing to take over, so reading a database never creates its storage.
 */
export function takeOverStorage(storage, { writeMarker = true } = {}) {
  const { kv } = storage;
  if (typeof kv.get(RESERVED.gateway) === "bigint") return;
  if (!writeMarker && !holdsEarlierState(kv)) return;
  storage.transactionSync(() => {
    moveOut(kv);
    carryOver(kv, storage.sql);
    kv.put(RESERVED.gateway, MARKER);
  });
}

function holdsEarlierState(kv) {
  const any = (prefix) => [...kv.list({ prefix, limit: 1 })].length > 0;
  return any(RESERVED_PREFIX) || any("meta:") || any("revoked:");
}

function moveOut(kv) {
  forEachInBatches(kv, RESERVED_PREFIX, (key, value) => {
    const moved = SDK_KEYS_PREFIX + key.slice(RESERVED_PREFIX.length);
    if (kv.get(moved) === undefined) {
      try {
        kv.put(moved, value);
      } catch {
        // Too long a name, or a value too large or too deep to store again: it cannot stay where it would pose as
        // the gateway's state, and no request could have read it there.
      }
    }
    kv.delete(key);
  });
}

function carryOver(kv, sql) {
  const epoch = kv.get("meta:epoch");
  const storageId = kv.get("meta:storageId");
  const provisionedAt = kv.get("meta:provisionedAt");
  const carried = [];
  if (isHex(epoch, 16)) {
    carried.push(["meta:epoch", RESERVED.epoch, epoch]);
    const owner = resource(kv.get("meta:owner"), "since");
    if (owner !== null) carried.push(["meta:owner", RESERVED.owner, owner]);
    const retainedBy = resource(kv.get("meta:retainedBy"), "at");
    if (retainedBy !== null) carried.push(["meta:retainedBy", RESERVED.retainedBy, retainedBy]);
  }
  if (isHex(storageId, 32) && isTime(provisionedAt)) {
    carried.push(["meta:storageId", RESERVED.storageId, storageId], ["meta:provisionedAt", RESERVED.provisionedAt, provisionedAt]);
  } else if (isTime(provisionedAt) && storageId === undefined && historyHasChecksum(sql)) {
    carried.push(["meta:provisionedAt", RESERVED.provisionedAt, provisionedAt]);
  }
  for (const [from, to, value] of carried) {
    kv.put(to, value);
    kv.delete(from);
  }
  forEachInBatches(kv, "revoked:", (key, value) => {
    const tokenId = key.slice("revoked:".length);
    const notAfter = value?.notAfter ?? null;
    if (!isHex(tokenId, 32) || !isTime(value?.revokedAt) || !(notAfter === null || isTime(notAfter))) return;
    kv.put(REVOKED_PREFIX + tokenId, { revokedAt: value.revokedAt, notAfter });
    kv.delete(key);
  });
}

function historyHasChecksum(sql) {
  return sql
    .exec("SELECT 1 FROM pragma_table_xinfo('migrations_history') WHERE name = 'checksum'")
    .toArray().length > 0;
}

function resource(value, timeField) {
  if (value === null || typeof value !== "object" || !isTime(value[timeField])) return null;
  const fields = Object.entries(RESOURCE_FIELDS);
  const valid = fields.every(([field, limit]) => typeof value[field] === "string" && value[field].length > 0 && value[field].length <= limit);
  return valid ? { uid: value.uid, namespace: value.namespace, name: value.name, [timeField]: value[timeField] } : null;
}
