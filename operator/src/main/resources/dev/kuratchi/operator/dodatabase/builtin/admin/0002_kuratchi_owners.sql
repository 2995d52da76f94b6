-- Which KuratchiOrganization holds each organization of the admin database. kuratchi-sdk has no such table: an
-- organization without a row here was made outside the operator. The operator writes a row in the same batch as the
-- organization's rows (retained 0 while the resource lives), marks it retained (1) when the resource is deleted with
-- deletionPolicy Retain, and deletes it with the rows under Delete. Adoption and deletion go by this table alone.
CREATE TABLE IF NOT EXISTS kuratchiOwners (
  organizationId TEXT NOT NULL PRIMARY KEY,
  ownerUid TEXT NOT NULL,
  namespace TEXT NOT NULL,
  name TEXT NOT NULL,
  retained INTEGER NOT NULL DEFAULT 0,
  updated_at TEXT DEFAULT (CURRENT_TIMESTAMP),
  created_at TEXT DEFAULT (CURRENT_TIMESTAMP)
);

CREATE UNIQUE INDEX IF NOT EXISTS kuratchiOwners_live_owner ON kuratchiOwners (ownerUid) WHERE retained = 0;
