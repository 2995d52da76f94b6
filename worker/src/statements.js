// Validation of data-plane and migration request bodies, done in the gateway so bad input is refused before it
// reaches a Durable Object, and conversion between JSON and SQLite values.
//
// JSON has no blob type, so a blob travels as {"$blob": "<base64>"} in both directions. Booleans stay booleans
// here: each database binds them its own way (database.js, booleanEncoding).
import { HttpError, invalidRequest, optionalBoolean, requireUnicodeText } from "./http.js";
import { base64Decode, base64Encode } from "./token.js";

export const DATA_OPERATIONS = ["run", "exec", "batch", "raw", "first"];
const MAX_BATCH_STATEMENTS = 1000;

export function parseDataRequest(operation, body) {
  switch (operation) {
    case "run":
      return { statement: parseStatement(body, "") };
    case "exec":
      if (body.params !== undefined && !(Array.isArray(body.params) && body.params.length === 0)) {
        throw invalidRequest("exec takes no params; use run to bind values");
      }
      return { statement: parseStatement({ query: body.query }, "") };
    case "raw":
      return { statement: parseStatement(body, ""), columnNames: optionalBoolean(body.columnNames, "columnNames") };
    case "first":
      return { statement: parseStatement(body, ""), columnName: optionalColumnName(body.columnName) };
    case "batch": {
      if (!Array.isArray(body.batch) || body.batch.length === 0) {
        throw invalidRequest("batch must be a non-empty array of {query, params}");
      }
      if (body.batch.length > MAX_BATCH_STATEMENTS) {
        throw invalidRequest(`batch has ${body.batch.length} statements; the limit is ${MAX_BATCH_STATEMENTS}`);
      }
      return {
        statements: body.batch.map((item, index) => {
          if (item === null || typeof item !== "object" || Array.isArray(item)) {
            throw invalidRequest(`batch[${index}] must be an object {query, params}`, { index });
          }
          return parseStatement(item, `batch[${index}].`, index);
        }),
      };
    }
    default:
      throw new HttpError(404, "not_found", "Invalid endpoint");
  }
}

function parseStatement(body, where, index) {
  const details = index === undefined ? {} : { index };
  if (typeof body.query !== "string" || body.query.trim().length === 0) {
    throw invalidRequest(`${where}query must be a non-empty SQL string`, details);
  }
  requireUnicodeText(body.query, `${where}query`, details);
  if (body.params !== undefined && body.params !== null && !Array.isArray(body.params)) {
    throw invalidRequest(`${where}params must be an array`, details);
  }
  const params = (body.params ?? []).map((value, i) => decodeParam(value, `${where}params[${i}]`, details));
  return { query: body.query, params };
}

function decodeParam(value, where, details) {
  if (value === null || typeof value === "string") return value;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw invalidRequest(`${where} must be a finite number`, details);
    return value;
  }
  if (typeof value === "boolean") return value;
  if (typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 1 && "$blob" in value) {
    if (typeof value.$blob !== "string") throw invalidRequest(`${where}.$blob must be a base64 string`, details);
    try {
      return base64Decode(value.$blob);
    } catch {
      throw invalidRequest(`${where}.$blob is not valid base64`, details);
    }
  }
  throw invalidRequest(`${where} must be a string, number, boolean, null or {"$blob": "<base64>"}`, details);
}

function optionalColumnName(value) {
  if (value === undefined || value === null) return null;
  if (typeof value !== "string" || value.length === 0) throw invalidRequest("columnName must be a non-empty string");
  return value;
}

/** Turns a SQLite value read by workerd into JSON: blobs arrive as ArrayBuffer. */
export function encodeValue(value) {
  if (value instanceof ArrayBuffer) return { $blob: base64Encode(new Uint8Array(value)) };
  return value;
}

export function encodeRow(row) {
  for (const key of Object.keys(row)) row[key] = encodeValue(row[key]);
  return row;
}

/** Validates `{migrations: [{id, sql}]}` and adds each migration's SHA-256 so an edited migration is detected. */
export async function parseMigrations(body) {
  const list = body.migrations ?? [];
  if (!Array.isArray(list)) throw invalidRequest("migrations must be an array of {id, sql}");
  const seen = new Set();
  const migrations = [];
  for (const [index, migration] of list.entries()) {
    if (migration === null || typeof migration !== "object") {
      throw invalidRequest(`migrations[${index}] must be an object {id, sql}`);
    }
    const { id, sql } = migration;
    if (typeof id !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(id)) {
      throw invalidRequest(
        `migrations[${index}].id must be 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit`,
      );
    }
    if (seen.has(id)) throw invalidRequest(`migrations[${index}].id '${id}' appears more than once`);
    seen.add(id);
    if (typeof sql !== "string" || sql.trim().length === 0) {
      throw invalidRequest(`migrations[${index}].sql (migration '${id}') must be a non-empty SQL string`);
    }
    requireUnicodeText(sql, `migrations[${index}].sql (migration '${id}')`);
    migrations.push({ id, sql, checksum: await sha256Hex(sql) });
  }
  return migrations;
}

async function sha256Hex(text) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** SQLite's result code at the end of a workerd SQL error message, e.g. "...: SQLITE_CONSTRAINT (extended: ...)". */
export function sqliteCodeOf(message) {
  return /(SQLITE_[A-Z_]+)(?: \(extended: [A-Z_]+\))?$/.exec(message)?.[1];
}

