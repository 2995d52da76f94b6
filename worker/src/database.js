// One tenant database. Every method is synchronous, so a call runs to the end before the next one starts: the
// Durable Object is the only writer of its SQLite file and needs no locking.
//
// Gateway bookkeeping (revoked token ids, the provisioned marker) lives in the storage KV API, which workerd keeps
// in the reserved _cf_KV table: tenant SQL cannot read or change it, so a token holder cannot un-revoke a token.
// Applied migrations live in `migrations_history`, the table kuratchi-sdk clients already read and write.
import { DurableObject } from "cloudflare:workers";
import { encodeRow, encodeValue } from "./statements.js";

const REVOKED_PREFIX = "revoked:";
const PROVISIONED_AT = "meta:provisionedAt";

export class KuratchiDoInternal extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.kv = ctx.storage.kv;
    this.historyReady = false;
  }

  /** Runs a data-plane request already validated by the gateway. Returns {status, body}. */
  execute(operation, request, tokenId) {
    if (tokenId !== null && this.kv.get(REVOKED_PREFIX + tokenId) !== undefined) {
      return failure(401, "token_revoked", "Token revoked");
    }
    if (operation === "batch") return this.batch(request.statements);
    const { query, params } = request.statement;
    let cursor;
    let rows;
    try {
      // One statement text may hold several statements (exec): all of them apply or none do.
      this.ctx.storage.transactionSync(() => {
        cursor = this.sql.exec(query, ...params);
        rows = operation === "raw" ? cursor.raw().toArray() : cursor.toArray();
      });
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

  batch(statements) {
    let index = 0;
    try {
      const results = this.ctx.storage.transactionSync(() =>
        statements.map((statement, i) => {
          index = i;
          return this.sql.exec(statement.query, ...statement.params).toArray().map(encodeRow);
        }),
      );
      return ok({ results });
    } catch (error) {
      return sqlFailure(error, `statement ${index}: `, { index });
    }
  }

  /**
   * Applies, in order, the migrations not yet in migrations_history, each in its own transaction with its history
   * row. Stops at the first failure; what was applied before it stays applied and is reported.
   */
  provision(migrations) {
    this.ensureHistoryTable();
    const history = this.history();
    const recorded = new Map(history.map((entry) => [entry.id, entry]));
    for (const migration of migrations) {
      const previous = recorded.get(migration.id);
      if (previous?.checksum && previous.checksum !== migration.checksum) {
        return failure(
          409,
          "migration_changed",
          `Migration '${migration.id}' was already applied with different SQL; add a new migration instead of editing an applied one`,
          { migration: migration.id },
        );
      }
    }

    const applied = [];
    for (const migration of migrations) {
      if (recorded.has(migration.id)) continue;
      try {
        this.ctx.storage.transactionSync(() => {
          this.sql.exec(migration.sql);
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
        });
      }
      applied.push(migration.id);
    }
    if (this.kv.get(PROVISIONED_AT) === undefined) this.kv.put(PROVISIONED_AT, Date.now());
    const migrationsNow = this.history();
    return ok({
      applied,
      version: migrationsNow.length > 0 ? migrationsNow[migrationsNow.length - 1].id : null,
      migrations: migrationsNow.map(({ id, appliedAt }) => ({ id, appliedAt })),
    });
  }

  info() {
    const tables = this.sql
      .exec(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' " +
          "AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' ORDER BY name",
      )
      .toArray()
      .map((row) => row.name);
    const migrations = tables.includes("migrations_history") ? this.history() : [];
    return ok({
      provisioned: this.kv.get(PROVISIONED_AT) !== undefined,
      tables,
      sizeBytes: this.sql.databaseSize,
      migrations: migrations.map(({ id, appliedAt }) => ({ id, appliedAt })),
      version: migrations.length > 0 ? migrations[migrations.length - 1].id : null,
      revokedTokens: [...this.kv.list({ prefix: REVOKED_PREFIX })].length,
    });
  }

  /**
   * Records token ids as revoked. `notAfter` (epoch ms) is when those tokens expire anyway: after it the entry is
   * useless, so entries past their notAfter are dropped here to keep the list short.
   */
  revoke(tokenIds, notAfter) {
    const now = Date.now();
    let revoked = 0;
    for (const tokenId of tokenIds) {
      if (this.kv.get(REVOKED_PREFIX + tokenId) !== undefined) continue;
      this.kv.put(REVOKED_PREFIX + tokenId, { revokedAt: now, notAfter });
      revoked++;
    }
    const lapsed = [...this.kv.list({ prefix: REVOKED_PREFIX })].filter(
      ([, entry]) => entry.notAfter !== null && entry.notAfter < now,
    );
    for (const [key] of lapsed) this.kv.delete(key);
    return ok({ revoked, alreadyRevoked: tokenIds.length - revoked });
  }

  async destroy() {
    const existed = this.sql.exec("SELECT count(*) AS n FROM sqlite_master").one().n > 0;
    await this.ctx.storage.deleteAll();
    this.historyReady = false;
    return ok({ deleted: existed });
  }

  ensureHistoryTable() {
    if (this.historyReady) return;
    // Same shape as kuratchi-sdk's table, so its clients keep working; `checksum` is ours, added to tables that
    // an older client created without it.
    this.sql.exec(
      "CREATE TABLE IF NOT EXISTS migrations_history (id INTEGER PRIMARY KEY AUTOINCREMENT, " +
        "tag TEXT NOT NULL UNIQUE, created_at INTEGER, checksum TEXT)",
    );
    const columns = this.sql.exec("PRAGMA table_info(migrations_history)").toArray();
    if (!columns.some((column) => column.name === "checksum")) {
      this.sql.exec("ALTER TABLE migrations_history ADD COLUMN checksum TEXT");
    }
    this.historyReady = true;
  }

  history() {
    return this.sql
      .exec("SELECT tag, created_at, checksum FROM migrations_history ORDER BY id")
      .toArray()
      .map((row) => ({ id: row.tag, appliedAt: row.created_at, checksum: row.checksum }));
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
  const sqliteCode = /(SQLITE_[A-Z_]+)(?: \(extended: [A-Z_]+\))?$/.exec(message)?.[1];
  const { code = "sql_error", ...rest } = details;
  return failure(400, code, prefix + message, sqliteCode ? { sqliteCode, ...rest } : rest);
}
