// The gateway's own keys in each database's KV storage (workerd's _cf_KV table, out of tenant SQL's reach). All start
// with RESERVED_PREFIX, which the tenant's KV calls can neither name nor list (kv.js).
export const RESERVED_PREFIX = "__kuratchi:";
// The first string after every string that starts with RESERVED_PREFIX (':' + 1 is ';').
export const RESERVED_END = "__kuratchi;";

export const RESERVED = {
  provisionedAt: `${RESERVED_PREFIX}provisionedAt`,
  storageId: `${RESERVED_PREFIX}storageId`,
  owner: `${RESERVED_PREFIX}owner`,
  retainedBy: `${RESERVED_PREFIX}retainedBy`,
  epoch: `${RESERVED_PREFIX}epoch`,
  booleans: `${RESERVED_PREFIX}booleans`,
  gateway: `${RESERVED_PREFIX}gateway`,
};
export const REVOKED_PREFIX = `${RESERVED_PREFIX}revoked:`;
// Metadata and expiry of a tenant key, kept beside its value.
export const KV_EXTRA_PREFIX = `${RESERVED_PREFIX}kv:`;

// Listing loads each value with its key; values can be 2 MiB, so a few at a time keep an isolate's memory bounded.
const BATCH = 16;

/** Calls `visit` for every key under `prefix`, in order, a batch at a time; `visit` may delete the key it gets. */
export function forEachInBatches(kv, prefix, visit, range = {}) {
  let after;
  for (;;) {
    const position = after === undefined ? range : { ...range, start: undefined, startAfter: after };
    const batch = [...kv.list({ ...position, ...(prefix === undefined ? {} : { prefix }), limit: BATCH })];
    if (batch.length === 0) return;
    for (const [key, value] of batch) {
      after = key;
      visit(key, value);
    }
  }
}
