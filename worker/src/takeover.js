// The first time this gateway touches a database's storage it makes everything under RESERVED_PREFIX its own, then
// marks the storage. Before, two kinds of state may be there:
// - kuratchi-sdk's Worker let any token holder write any KV key, the prefix included: such keys would pose as an
//   owner, an epoch or a revocation. They are moved aside, kept but never read, under EARLIER_PREFIX.
// - The earlier v1alpha1 gateway kept its state under meta:* and revoked:*. Each entry with exactly the shape that
//   gateway wrote is carried over, so an upgrade keeps every claim, epoch and revocation; anything else there stays
//   the tenant's. (An app of kuratchi-sdk's era could have written such entries too, but only one holding the gateway
//   key, which already signs a token for every database; and an owner carried over can be retired by its uid.)
import { EARLIER_PREFIX, RESERVED, RESERVED_PREFIX, REVOKED_PREFIX, forEachInBatches } from "./reserved.js";
import { randomHex } from "./token.js";

// A BigInt: kuratchi-sdk's Worker stored only JSON values, strings and bytes, so no app can have written this value.
const MARKER = 1n;

const isHex = (length) => (value) => typeof value === "string" && new RegExp(`^[0-9a-f]{${length}}$`).test(value);
const isResource = (value) =>
  value !== null &&
  typeof value === "object" &&
  ["uid", "namespace", "name"].every((field) => typeof value[field] === "string" && value[field].length > 0);
const EARLIER_LAYOUT = [
  ["meta:provisionedAt", RESERVED.provisionedAt, (value) => Number.isSafeInteger(value) && value > 0],
  ["meta:storageId", RESERVED.storageId, isHex(32)],
  ["meta:epoch", RESERVED.epoch, isHex(16)],
  ["meta:owner", RESERVED.owner, isResource],
  ["meta:retainedBy", RESERVED.retainedBy, isResource],
];
const EARLIER_REVOKED = /^revoked:([0-9a-f]{32})$/;
const isRevocation = (value) => value !== null && typeof value === "object" && Number.isSafeInteger(value.revokedAt);

/**
 * Takes the storage over unless it already is this gateway's. `writeMarker` false (a read) changes nothing when there
 * is nothing to take over, so reading a database never creates its storage.
 */
export function takeOverStorage(storage, { writeMarker = true } = {}) {
  const { kv } = storage;
  if (typeof kv.get(RESERVED.gateway) === "bigint") return;
  if (!writeMarker && !holdsEarlierState(kv)) return;
  storage.transactionSync(() => {
    moveAside(kv);
    carryOver(kv);
    kv.put(RESERVED.gateway, MARKER);
  });
}

function holdsEarlierState(kv) {
  return (
    [...kv.list({ prefix: RESERVED_PREFIX, limit: 1 })].length > 0 ||
    EARLIER_LAYOUT.some(([from]) => kv.get(from) !== undefined) ||
    [...kv.list({ prefix: "revoked:", limit: 1 })].length > 0
  );
}

function moveAside(kv) {
  const batchTag = randomHex(4);
  let moved = 0;
  forEachInBatches(kv, RESERVED_PREFIX, (key, value) => {
    // Keys already aside stay where they are: those of an earlier takeover, and those this loop just moved.
    if (key.startsWith(EARLIER_PREFIX)) return;
    // A numbered key with the original inside: the original's name may be as long as a key can be.
    kv.put(`${EARLIER_PREFIX}${batchTag}:${moved++}`, { key, value });
    kv.delete(key);
  });
}

function carryOver(kv) {
  for (const [from, to, valid] of EARLIER_LAYOUT) {
    const value = kv.get(from);
    if (valid(value)) {
      kv.put(to, value);
      kv.delete(from);
    }
  }
  forEachInBatches(kv, "revoked:", (key, value) => {
    const tokenId = EARLIER_REVOKED.exec(key)?.[1];
    if (tokenId === undefined || !isRevocation(value)) return;
    kv.put(REVOKED_PREFIX + tokenId, value);
    kv.delete(key);
  });
}
