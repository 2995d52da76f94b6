// One tenant database. A call runs to the end before the next one starts: the Durable Object is the only writer of
// its SQLite file and needs no locking, and a claim is checked and made in one step. Every method is synchronous but
// for the two that can drop tenant tables (destroy, retire), which await and run in a critical section instead
// (withoutForeignKeys).
//
// Gateway bookkeeping lives in the storage KV API under RESERVED_PREFIX (reserved.js). workerd keeps that storage in
// the reserved _cf_KV table, so tenant SQL cannot read or change it (a token holder cannot un-revoke a token or move
// the epoch); the tenant's own keys (kv.js) never reach the prefix; and a wipe, which drops the tenant's objects,
// leaves it:
//   provisionedAt, storageId  the data: set when the database is provisioned, removed by a wipe
//   owner, retainedBy         the resource that manages the database, or the last one, which kept its data
//   epoch                     once the database was claimed, every token id must start with it
//   booleans                  how JSON booleans are bound, fixed for the data's life (see booleanEncoding)
//   revoked:<tokenId>         revoked tokens
//   gateway                   this gateway keeps its state here (takeover.js)
// Applied migrations live in `migrations_history`, the table kuratchi-sdk clients already read and write.
import { DurableObject } from "cloudflare:workers";
import { KV_OPERATIONS, TenantKv } from "./kv.js";
import { RESERVED, REVOKED_PREFIX, forEachInBatches } from "./reserved.js";
import { encodeRow, encodeValue, sqliteCodeOf } from "./statements.js";
import { takeOverStorage } from "./takeover.js";
import { randomHex } from "./token.js";

const {
  provisionedAt: PROVISIONED_AT,
  storageId: STORAGE_ID,
  owner: OWNER,
  retainedBy: RETAINED_BY,
  epoch: EPOCH,
  booleans: BOOLEANS,
} = RESERVED;

// How a JSON true/false parameter is stored. workerd binds a JavaScript boolean as the TEXT 'true'/'false' (in any
// column, whatever its affinity; test/booleans.test.mjs shows it), which is what kuratchi-sdk's Worker passed it;
// SQL expects 1/0 (WHERE active, SUM(active), CHECK (active IN (0, 1)) all read 'true' as 0).
const BOOLEAN_ENCODINGS = {
  integer: (value) => (value ? 1 : 0),
  text: (value) => (value ? "true" : "false"),
};

// sqlite_* names are SQLite's. workerd refuses only lowercase _cf_* names to tenant SQL, so the comparison is
// case-sensitive (GLOB): a tenant's "_CF_x" is tenant data and goes with a wipe.
const TENANT_OBJECT = "name NOT GLOB 'sqlite_*' AND name NOT GLOB '_cf_*'";

// workerd's authorizer refuses lowercase _cf_* names to all SQL the object runs, the gateway's included, yet lets
// tenant SQL rename a table to one (ALTER TABLE t RENAME TO _cf_t; an FTS5 table renamed _cf takes its shadow tables
// to _cf_data, ...): such a table hides from GET and outlives every wipe with its storage. workerd also creates its
// own tables only when first needed (_cf_KV at the first KV write, _cf_METADATA for alarms) with CREATE TABLE IF NOT
// EXISTS, which compares names case-insensitively: a tenant's _CF_KV made before would receive the reserved state.
// So a transaction that creates either kind of name is refused. Only a statement whose text holds "_cf", in any
// case, and the keyword CREATE or ALTER can name one: no other statement creates or renames a schema object (a
// trigger cannot run DDL; the virtual tables workerd allows, FTS5 and, in newer releases, R*Tree, make their shadow
// tables when they are created and rename them with the table). The check, two reads of sqlite_master, runs for
// those alone; any other statement, one with a column user_cfg included, costs one or two regular expressions.
const RESERVED_NAME = "name GLOB '_cf_*' OR lower(name) IN ('_cf_kv', '_cf_metadata')";
const MENTIONS_RESERVED = /_cf/i;
const NAMES_OBJECT = /\b(?:create|alter)\b/i;

// The connection settings tenant SQL may change: the boolean PRAGMAs workerd allows (test/fresh-database.test.mjs
// finds them). SQLite keeps them in the connection, not in the file, so while the object stays in memory they outlive
// a wipe and a change of owner: the next owner's CHECK constraints would go unenforced, its LIKE turn case-sensitive.
// All are off by default. workerd also allows foreign_keys (on), but changing it inside a transaction, where the
// gateway runs all tenant SQL, does nothing; defer_foreign_keys ends with each transaction.
const TENANT_PRAGMAS = [
  "case_sensitive_like",
  "ignore_check_constraints",
  "legacy_alter_table",
  "recursive_triggers",
  "reverse_unordered_selects",
];

const HISTORY_MISSING =
  "migrations_history was dropped from this database; recreate it (columns tag, created_at, checksum) with the " +
  "applied migrations, or wipe the database";
const HISTORY_UNUSABLE =
  "migrations_history is not an ordinary table (it is a view, a virtual table or a WITHOUT ROWID table); replace it " +
  "with a table (columns tag, created_at, checksum) holding the applied migrations, or wipe the database";

// How many token ids an object remembers as accepted (see admitToken): a database has a few apps, each with a token.
const MAX_ACCEPTED_TOKENS = 64;

export class KuratchiDoInternal extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.kv = ctx.storage.kv;
    this.tenantKv = new TenantKv(ctx.storage.kv);
    this.acceptedTokens = new Set();
  }

  /** Runs a data-plane request already validated by the gateway. Returns {status, body}. */
  execute(operation, request, tokenId) {
    takeOverStorage(this.ctx.storage);
    if (tokenId !== null) {
      const refusal = this.admitToken(tokenId);
      if (refusal !== null) return refusal;
    }
    const bind = this.booleanBinder();
    if (KV_OPERATIONS.includes(operation)) {
      // One transaction: a value and what is kept beside it, or a list and the expired keys it drops, go together.
      return ok(this.ctx.storage.transactionSync(() => this.tenantKv.run(operation, request, Date.now())));
    }
    if (operation === "batch") return this.batch(request.statements, bind);
    const { query } = request.statement;
    const params = bind(request.statement.params);
    let cursor;
    let rows;
    try {
      // One statement text may hold several statements (exec): all of them apply or none do.
      this.ctx.storage.transactionSync(() =>
        this.refuseReservedNames(query, () => {
          cursor = this.sql.exec(query, ...params);
          rows = operation === "raw" ? cursor.raw().toArray() : cursor.toArray();
        }),
      );
    } catch (error) {
      return sqlFailure(error);
    }
    const meta = { rowsRead: cursor.rowsRead, rowsWritten: cursor.rowsWritten };
    switch (operation) {
      case "raw": {
        const results = rows.map((row) => row.map(encodeValue));
        if (request.columnNames) results.unshift(cursor.columnNames);
        return ok({ results, meta });
      }
      case "first": {
        // Zero rows is an answer, not an error (kuratchi-sdk's Worker answered 500 here).
        const row = rows.length > 0 ? encodeRow(rows[0]) : null;
        if (request.columnName === null) return ok({ results: row, meta });
        // Own properties only: "constructor" or "toString" are not columns of a row.
        if (row !== null && !Object.hasOwn(row, request.columnName)) {
          return failure(400, "invalid_request", `columnName '${request.columnName}' is not a column of the result`);
        }
        return ok({ results: row === null ? null : row[request.columnName], meta });
      }
      default:
        return ok({ results: rows.map(encodeRow), meta });
    }
  }

  /**
   * tokenRefusal, remembering the ids it accepted, so a token's later requests skip its two storage reads. Only the
   * epoch and the revocations decide, and only the gateway's other calls change them (tenant SQL cannot reach them,
   * the tenant's KV calls cannot name them, and execute's takeover runs before anything is remembered and only once):
   * each of those calls forgets every id first (forgetAcceptedTokens), and the object runs one call at a time, the
   * two that await in a critical section. A reset object starts with nothing remembered.
   */
  admitToken(tokenId) {
    if (this.acceptedTokens.has(tokenId)) return null;
    const refusal = this.tokenRefusal(tokenId);
    if (refusal === null) {
      if (this.acceptedTokens.size >= MAX_ACCEPTED_TOKENS) this.acceptedTokens.delete(this.acceptedTokens.values().next().value);
      this.acceptedTokens.add(tokenId);
    }
    return refusal;
  }

  /** Called first by every call but execute: any of them may change the epoch or the revocations. */
  forgetAcceptedTokens() {
    this.acceptedTokens.clear();
  }

  /** The 401 for a token id this database no longer accepts (of an earlier epoch, or revoked), or null. */
  tokenRefusal(tokenId) {
    const epoch = this.kv.get(EPOCH);
    if (epoch !== undefined && !tokenId.startsWith(epoch)) {
      return failure(401, "token_revoked", "Token revoked: it was issued for an earlier owner or storage of this database");
    }
    if (this.kv.get(REVOKED_PREFIX + tokenId) !== undefined) return failure(401, "token_revoked", "Token revoked");
    return null;
  }

  batch(statements, bind) {
    let index = 0;
    try {
      const results = this.ctx.storage.transactionSync(() =>
        statements.map((statement, i) => {
          index = i;
          return this.refuseReservedNames(statement.query, () =>
            this.sql.exec(statement.query, ...bind(statement.params)).toArray().map(encodeRow),
          );
        }),
      );
      return ok({ results });
    } catch (error) {
      return sqlFailure(error, `statement ${index}: `, { index });
    }
  }

  /**
   * Claims the database for `owner` (when given), then applies, in order, the migrations not yet in
   * migrations_history, each in its own transaction with its history row. Stops at the first failure; what was
   * applied before it stays applied and is reported, and so does the claim.
   */
  provision(migrations, owner, adopt) {
    this.forgetAcceptedTokens();
    takeOverStorage(this.ctx.storage);
    let adopted = false;
    if (owner !== null) {
      const current = this.kv.get(OWNER);
      if (current !== undefined && current.uid !== owner.uid) {
        return failure(409, "database_owned", "Database is managed by another resource");
      }
      if (current === undefined) {
        adopted = this.holdsData();
        const refusal = adopted ? this.adoptionRefusal(owner, adopt) : null;
        if (refusal !== null) return refusal;
        // A new owner gets the database as fresh as a new one, but for the data it adopts: without data to adopt,
        // what earlier SQL left outside tenant objects is wiped; either way the connection's pragmas are reset.
        // That wipe finds no tenant table to drop, so it runs no foreign-key action: foreign keys can stay on.
        this.ctx.storage.transactionSync(() => {
          if (adopted) this.resetPragmas();
          else this.wipe();
          this.kv.put(OWNER, { ...owner, since: Date.now() });
          this.kv.put(EPOCH, randomHex(8));
          this.kv.delete(RETAINED_BY);
        });
      }
    }
    if (this.kv.get(STORAGE_ID) === undefined) this.kv.put(STORAGE_ID, randomHex(16));
    this.booleanEncoding();
    const claim = this.claimState();

    // Recreating the table here would apply every migration again over the tenant's existing tables.
    const columns = this.historyColumns();
    if (columns === null) return failure(409, "history_missing", HISTORY_UNUSABLE, claim);
    if (this.kv.get(PROVISIONED_AT) !== undefined && columns.length === 0) {
      return failure(409, "history_missing", HISTORY_MISSING, claim);
    }
    this.ensureHistoryTable(columns);
    const recorded = new Map(this.history().map((entry) => [entry.id, entry]));
    for (const migration of migrations) {
      const previous = recorded.get(migration.id);
      if (previous?.checksum && previous.checksum !== migration.checksum) {
        return failure(
          409,
          "migration_changed",
          `Migration '${migration.id}' was already applied with different SQL; add a new migration instead of editing an applied one`,
          { migration: migration.id, ...claim },
        );
      }
    }

    const applied = [];
    for (const migration of migrations) {
      if (recorded.has(migration.id)) continue;
      try {
        this.ctx.storage.transactionSync(() => {
          this.refuseReservedNames(migration.sql, () => this.sql.exec(migration.sql));
          this.sql.exec(
            "INSERT INTO migrations_history (tag, created_at, checksum) VALUES (?, ?, ?)",
            migration.id,
            Date.now(),
            migration.checksum,
          );
        });
      } catch (error) {
        return sqlFailure(error, `migration '${migration.id}' failed: `, {
          code: "migration_failed",
          migration: migration.id,
          applied,
          ...claim,
        });
      }
      applied.push(migration.id);
    }
    if (this.kv.get(PROVISIONED_AT) === undefined) this.kv.put(PROVISIONED_AT, Date.now());
    return ok({
      applied,
      ...summary(this.history()),
      storageId: claim.storageId,
      epoch: claim.epoch,
      booleans: this.booleanEncoding(),
      adopted,
    });
  }

  /**
   * Runs `run`, tenant SQL inside the caller's transaction, and throws ReservedName, which rolls the transaction back,
   * when it created a reserved name. Names there before are workerd's own, or older than this check.
   */
  refuseReservedNames(query, run) {
    if (!MENTIONS_RESERVED.test(query) || !NAMES_OBJECT.test(query)) return run();
    const before = this.reservedNames();
    const result = run();
    const created = this.reservedNames().filter((name) => !before.includes(name));
    if (created.length > 0) throw new ReservedName(created);
    return result;
  }

  reservedNames() {
    return this.sql
      .exec(`SELECT name FROM sqlite_master WHERE ${RESERVED_NAME}`)
      .toArray()
      .map((row) => row.name);
  }

  /**
   * The 409 for a claim of a database holding data that `adopt` does not allow taking over, or null. Data is
   * `retained` by the last owner that kept it at its release (retire without wipe), or `unmanaged`: written before
   * any claim, which only kuratchi-sdk's Worker or a holder of the gateway key could do.
   */
  adoptionRefusal(owner, adopt) {
    const retainedBy = this.kv.get(RETAINED_BY);
    const sameNamespace = retainedBy?.namespace === owner.namespace;
    const origin = retainedBy === undefined ? "unmanaged" : "retained";
    if (adopt === "any") return null;
    if ((adopt === "sameNamespace" || adopt === "sameNamespaceOrUnmanaged") && sameNamespace) return null;
    if (adopt === "sameNamespaceOrUnmanaged" && origin === "unmanaged") return null;
    const whose = origin === "retained" ? "kept by a resource that managed it before" : "created outside the operator";
    return failure(409, "database_exists", `Database already holds data ${whose}; adopt it explicitly to take it over`, {
      origin,
      sameNamespace,
    });
  }

  info() {
    this.forgetAcceptedTokens();
    takeOverStorage(this.ctx.storage, { writeMarker: false });
    const columns = this.historyColumns();
    const tables = this.sql
      .exec(`SELECT name FROM sqlite_master WHERE type = 'table' AND ${TENANT_OBJECT} ORDER BY name`)
      .toArray()
      .map((row) => row.name);
    const provisioned = this.kv.get(PROVISIONED_AT) !== undefined;
    return ok({
      provisioned,
      tables,
      sizeBytes: this.sql.databaseSize,
      ...summary(this.history()),
      revokedTokens: this.revocations().length,
      ...this.claimState(),
      retainedBy: this.kv.get(RETAINED_BY) ?? null,
      booleans: this.kv.get(BOOLEANS) ?? null,
      historyMissing: columns === null || (provisioned && columns.length === 0),
    });
  }

  /**
   * Records token ids as revoked. `notAfter` (epoch ms) is when those tokens expire anyway: after it the entry is
   * useless, so entries past their notAfter are dropped here to keep the list short.
   */
  revoke(tokenIds, notAfter) {
    this.forgetAcceptedTokens();
    takeOverStorage(this.ctx.storage);
    const now = Date.now();
    let revoked = 0;
    this.ctx.storage.transactionSync(() => {
      for (const tokenId of tokenIds) {
        if (this.kv.get(REVOKED_PREFIX + tokenId) !== undefined) continue;
        this.kv.put(REVOKED_PREFIX + tokenId, { revokedAt: now, notAfter });
        revoked++;
      }
      for (const { key, entry } of this.revocations()) {
        if (entry.notAfter !== null && entry.notAfter < now) this.kv.delete(key);
      }
    });
    return ok({ revoked, alreadyRevoked: tokenIds.length - revoked });
  }

  /**
   * The revocations, read a batch at a time. Only entries of the shape this gateway writes: a key the storage lists
   * back changed (a name that was not Unicode text, from before the takeover) stays where it is and is not one.
   */
  revocations() {
    const entries = [];
    forEachInBatches(this.kv, REVOKED_PREFIX, (key, entry) => {
      if (/^[0-9a-f]{32}$/.test(key.slice(REVOKED_PREFIX.length)) && typeof entry?.revokedAt === "number") {
        entries.push({ key, entry });
      }
    });
    return entries;
  }

  /**
   * Ends `owner`'s management: a new epoch ends every token issued so far, also after a later claim, and the data
   * is wiped or kept for an explicit adoption.
   */
  retire(owner, wipe) {
    this.forgetAcceptedTokens();
    takeOverStorage(this.ctx.storage);
    return this.withoutForeignKeys(() => {
      const current = this.kv.get(OWNER);
      if (current === undefined || current.uid !== owner.uid) {
        return failure(409, "not_owner", "This resource does not manage the database");
      }
      return WipeIncomplete.answer(() => {
        this.ctx.storage.transactionSync(() => {
          if (wipe) {
            this.wipe();
            this.kv.delete(RETAINED_BY);
          } else {
            const { uid, namespace, name } = current;
            this.kv.put(RETAINED_BY, { uid, namespace, name, at: Date.now() });
          }
          this.kv.put(EPOCH, randomHex(8));
          this.kv.delete(OWNER);
        });
        return ok({ retired: true, wiped: wipe });
      });
    });
  }

  /** An admin's wipe: the data goes, the owner, epoch and revocations stay. */
  destroy() {
    this.forgetAcceptedTokens();
    takeOverStorage(this.ctx.storage);
    return this.withoutForeignKeys(() =>
      WipeIncomplete.answer(() => {
        const held = this.holdsData();
        this.ctx.storage.transactionSync(() => this.wipe());
        return ok({ deleted: held });
      }),
    );
  }

  /**
   * Runs `call`, which may wipe, with foreign keys off (see wipe), in a critical section: switching them awaits, and
   * blockConcurrencyWhile lets no other call start, tenant SQL included, before they are on again.
   */
  withoutForeignKeys(call) {
    return this.ctx.blockConcurrencyWhile(async () => {
      await this.switchForeignKeys(false);
      try {
        return call();
      } finally {
        await this.switchForeignKeys(true);
      }
    });
  }

  // SQLite ignores PRAGMA foreign_keys inside a transaction, and workerd keeps one open until the turn after the
  // object last wrote (transactionSync opens one too): until the setting holds, let a turn pass and set it again.
  async switchForeignKeys(on) {
    const value = on ? 1 : 0;
    for (;;) {
      this.sql.exec(`PRAGMA foreign_keys = ${value}`);
      if (this.sql.exec("PRAGMA foreign_keys").one().foreign_keys === value) return;
      await scheduler.wait(0);
    }
  }

  // Leaves the database as a new one would be, but for the reserved state. Not ctx.storage.deleteAll(): it would take
  // the reserved state (revocations, owner, epoch) with the data, and a crash before that was written back would lose
  // it. Runs inside a transaction, so a wipe is whole or not at all. Tables are dropped with foreign keys off
  // (withoutForeignKeys): DROP TABLE first deletes the rows of a table other tables reference, which runs their
  // ON DELETE actions, and tenant SQL can make any of those fail (SET NULL on a NOT NULL column, SET DEFAULT to a
  // value a CHECK, UNIQUE or STRICT refuses, CASCADE into a table whose trigger raises or deeper than SQLite's
  // trigger depth), whatever the order, since tables can reference each other or themselves; defer_foreign_keys
  // defers checks, not actions.
  wipe() {
    // Views first, then virtual tables, which drop their own shadow tables, then the other tables; indexes and
    // triggers go with their table or view.
    // Names as their bytes (hex): one that is not Unicode text, made before the gateway refused such SQL, would read
    // back changed as text, and a DROP by that text would miss it.
    const objects = this.sql
      .exec(
        `SELECT type, hex(name) AS hex FROM sqlite_master WHERE type IN ('table', 'view') AND ${TENANT_OBJECT} ` +
          "ORDER BY type = 'table', sql NOT LIKE 'CREATE VIRTUAL TABLE%'",
      )
      .toArray()
      .map(({ type, hex }) => ({ type, name: decodeWtf8(hex) }));
    for (const { type, name } of objects) {
      this.sql.exec(`DROP ${type === "view" ? "VIEW" : "TABLE"} IF EXISTS "${name.replaceAll('"', '""')}"`);
    }
    // SQLite's own tables, which tenant SQL can write: sqlite_sequence cannot be dropped, and a row left there (a
    // counter at its largest makes the next owner's first AUTOINCREMENT insert fail with SQLITE_FULL) is readable by
    // the next owner; sqlite_stat1 (and sqlite_stat4, where SQLite is built with it) holds what ANALYZE or
    // PRAGMA optimize found, or any row tenant SQL put there, and SQLite creates it again when it is needed.
    const internal = this.sql
      .exec("SELECT name FROM sqlite_master WHERE name = 'sqlite_sequence' OR name GLOB 'sqlite_stat[0-9]'")
      .toArray();
    for (const { name } of internal) {
      this.sql.exec(name === "sqlite_sequence" ? "DELETE FROM sqlite_sequence" : `DROP TABLE ${name}`);
    }
    this.resetPragmas();
    this.tenantKv.clear();
    // A key the storage lists back changed (not Unicode text, written before the gateway refused such keys) cannot be
    // deleted by name; the wipe is refused whole rather than reported done over data it left.
    if (this.holdsTenantObjects() || this.tenantKv.any()) throw new WipeIncomplete();
    this.kv.delete(PROVISIONED_AT);
    this.kv.delete(STORAGE_ID);
    this.kv.delete(BOOLEANS);
  }

  holdsTenantObjects() {
    return this.sql.exec(`SELECT 1 FROM sqlite_master WHERE ${TENANT_OBJECT} LIMIT 1`).toArray().length > 0;
  }

  resetPragmas() {
    for (const pragma of TENANT_PRAGMAS) this.sql.exec(`PRAGMA ${pragma} = OFF`);
  }

  holdsData() {
    return this.kv.get(PROVISIONED_AT) !== undefined || this.holdsTenantObjects() || this.tenantKv.any();
  }

  /**
   * How this database binds JSON booleans, decided the first time anything touches its data and kept until a wipe.
   * Data the gateway never provisioned was written by kuratchi-sdk's Worker (or by its clients through this gateway
   * before a claim), which stored 'true'/'false': it stays that way, so an ORM filter such as where({active: true})
   * finds rows written before the switch and after it alike. A database that starts empty binds 1/0.
   */
  booleanEncoding() {
    let encoding = this.kv.get(BOOLEANS);
    if (encoding === undefined) {
      encoding = this.kv.get(PROVISIONED_AT) === undefined && this.holdsData() ? "text" : "integer";
      this.kv.put(BOOLEANS, encoding);
    }
    return encoding;
  }

  booleanBinder() {
    const encode = BOOLEAN_ENCODINGS[this.booleanEncoding()];
    return (params) => params.map((value) => (typeof value === "boolean" ? encode(value) : value));
  }

  claimState() {
    const owner = this.kv.get(OWNER);
    return {
      storageId: this.kv.get(STORAGE_ID) ?? null,
      epoch: this.kv.get(EPOCH) ?? null,
      owner: owner === undefined ? null : { uid: owner.uid, namespace: owner.namespace, name: owner.name },
    };
  }

  /**
   * The column names of migrations_history: none when the table does not exist, null when tenant SQL gave the name to
   * something the gateway cannot keep its history in (a view, a virtual or a WITHOUT ROWID table has no rowid to
   * order by, or cannot take a column). table_xinfo, not table_info: a generated column is a column too.
   */
  historyColumns() {
    const [object] = this.sql.exec("PRAGMA table_list(migrations_history)").toArray();
    if (object === undefined) return [];
    if (object.type !== "table" || object.wr !== 0) return null;
    return this.sql
      .exec("PRAGMA table_xinfo(migrations_history)")
      .toArray()
      .map((column) => column.name);
  }

  ensureHistoryTable(columns) {
    // Same shape as kuratchi-sdk's table, so its clients keep working; `checksum` is ours, added to tables that
    // an older client created without it.
    if (columns.length === 0) {
      this.sql.exec(
        "CREATE TABLE migrations_history (id INTEGER PRIMARY KEY AUTOINCREMENT, " +
          "tag TEXT NOT NULL UNIQUE, created_at INTEGER, checksum TEXT)",
      );
    } else if (!columns.includes("checksum")) {
      this.sql.exec("ALTER TABLE migrations_history ADD COLUMN checksum TEXT");
    }
  }

  /** Applied migrations, oldest first, read from the columns the table has: a tenant may have made it. */
  history() {
    const columns = this.historyColumns();
    if (!columns?.includes("tag")) return [];
    const column = (name) => (columns.includes(name) ? name : "NULL");
    return this.sql
      .exec(
        `SELECT tag, ${column("created_at")} AS created_at, ${column("checksum")} AS checksum ` +
          "FROM migrations_history ORDER BY rowid",
      )
      .toArray()
      .map((row) => ({ id: row.tag, appliedAt: row.created_at, checksum: row.checksum }));
  }
}

function summary(history) {
  return {
    version: history.length > 0 ? history[history.length - 1].id : null,
    migrations: history.map(({ id, appliedAt }) => ({ id, appliedAt })),
  };
}

/**
 * Bytes given as hex, read as UTF-8 that may encode lone surrogates (WTF-8), which is how workerd hands a JavaScript
 * string to SQLite: the one string that names those bytes again.
 */
function decodeWtf8(hex) {
  const bytes = hex.match(/../g)?.map((pair) => parseInt(pair, 16)) ?? [];
  let text = "";
  for (let i = 0; i < bytes.length; ) {
    const lead = bytes[i];
    const length = lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
    let codePoint = length === 1 ? lead : lead & (0xff >> (length + 1));
    for (let k = 1; k < length; k++) codePoint = (codePoint << 6) | (bytes[i + k] & 0x3f);
    text += String.fromCodePoint(codePoint);
    i += length;
  }
  return text;
}

class WipeIncomplete extends Error {
  /** Runs `call`; a wipe it could not finish, rolled back with its transaction, answers 409 wipe_incomplete. */
  static answer(call) {
    try {
      return call();
    } catch (error) {
      if (!(error instanceof WipeIncomplete)) throw error;
      return failure(
        409,
        "wipe_incomplete",
        "The database holds a key-value key whose name is not Unicode text, which no request can address; nothing " +
          "was wiped. Erase the Durable Object's storage from Cloudflare to remove it",
      );
    }
  }
}

class ReservedName extends Error {
  constructor(names) {
    super(`the _cf_ prefix is reserved for the platform's own tables; choose another name than ${names.join(", ")}`);
  }
}

function ok(fields) {
  return { status: 200, body: { success: true, ...fields } };
}

function failure(status, code, error, details = {}) {
  return { status, body: { success: false, error, code, ...details } };
}

// SQLite's own message is what a user needs to fix their SQL, e.g.
// "no such table: users: SQLITE_ERROR" or "UNIQUE constraint failed: t.id: SQLITE_CONSTRAINT (...)".
function sqlFailure(error, prefix = "", details = {}) {
  const message = String(error?.message ?? error);
  const sqliteCode = sqliteCodeOf(message);
  const { code = error instanceof ReservedName ? "reserved_name" : "sql_error", ...rest } = details;
  return failure(400, code, prefix + message, sqliteCode ? { sqliteCode, ...rest } : rest);
}
