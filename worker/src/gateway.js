// The gateway in front of the Durable Objects: routes, authenticates, validates, and forwards to the database's
// object over RPC. Data plane: POST /api/{run,exec,batch,raw,first} and /api/kv/{get,put,delete,list} with x-db-name.
// Control plane (gateway key):
//   PUT    /admin/databases/{name}              provision (and claim): apply pending migrations
//                                               {migrations: [{id, sql}], owner?: {uid, namespace, name}, adopt?}
//   GET    /admin/databases/{name}              info: tables, size, applied migrations, owner, epoch, storage id
//   DELETE /admin/databases/{name}              wipe the data; owner, epoch and revocations stay
//   POST   /admin/databases/{name}/retire       end an owner's management {owner, wipe}
//   POST   /admin/databases/{name}/revocations  revoke token ids {tokenIds: [...], notAfter?}
//   GET    /health                              no auth, reveals nothing
import {
  HttpError,
  errorBody,
  errorResponse,
  invalidRequest,
  jsonResponse,
  methodNotAllowed,
  readJsonObject,
} from "./http.js";
import { gatewayKeys } from "./keys.js";
import { KV_OPERATIONS, parseKvRequest } from "./kv.js";
import { DATABASE_NAME_RULE, isValidDatabaseName } from "./names.js";
import { DATA_OPERATIONS, parseDataRequest, parseMigrations, sqliteCodeOf } from "./statements.js";
import { TOKEN_ID_PATTERN, TokenError } from "./token.js";

const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
const MAX_REVOCATIONS_PER_REQUEST = 1000;
const ADOPTION_LEVELS = ["none", "sameNamespace", "sameNamespaceOrUnmanaged", "any"];
// Kubernetes' own limits: a uid, a namespace (DNS label) and an object name (DNS subdomain).
const OWNER_FIELD_LIMITS = { uid: 128, namespace: 63, name: 253 };

export async function handleRequest(request, env) {
  try {
    return await route(request, env);
  } catch (error) {
    if (error instanceof HttpError) return errorResponse(error);
    // workerd marks errors such as "Durable Object reset because its code was updated" or an overloaded object
    // as retryable; the request may be sent again.
    if (error?.retryable || error?.overloaded) {
      return jsonResponse(errorBody("database_unavailable", "Database is temporarily unavailable; retry"), 503, {
        "retry-after": "1",
      });
    }
    console.error(`gateway internal error: ${error?.name ?? "Error"}: ${error?.message ?? error}`);
    return jsonResponse(errorBody("internal_error", "Internal error"), 500);
  }
}

async function route(request, env) {
  const { pathname } = new URL(request.url);
  if (pathname === "/health") {
    if (request.method !== "GET") throw methodNotAllowed(["GET"]);
    return jsonResponse({ success: true, status: "ok" });
  }
  const data = /^\/api\/((?:kv\/)?[a-z]+)$/.exec(pathname);
  if (data && (DATA_OPERATIONS.includes(data[1]) || KV_OPERATIONS.includes(data[1]))) {
    if (request.method !== "POST") throw methodNotAllowed(["POST"]);
    return dataPlane(data[1], request, env);
  }
  const admin = /^\/admin\/databases\/([^/]+)(?:\/(revocations|retire))?$/.exec(pathname);
  if (admin) return controlPlane(admin[1], admin[2] ?? null, request, env);
  throw new HttpError(404, "not_found", "Invalid endpoint");
}

async function dataPlane(operation, request, env) {
  const { databaseName, tokenId } = await authenticate(request, env);
  return runDataRequest(operation, request, env, databaseName, tokenId);
}

/**
 * Checks a data-plane request's credentials: the database it names and the id of the valid token that opens it
 * (whether that id is revoked, its database's object decides). Exported for the benchmark, which times it alone.
 */
export async function authenticate(request, env) {
  const keys = await gatewayKeys(env);
  const { token, bearerAlone } = await presentedToken(request, keys);
  try {
    const databaseName = requireDatabaseName(request.headers.get("x-db-name"), "x-db-name header");
    const check = { databaseName, now: Date.now() };
    // Most requests bring a token verified before: that answer needs no await.
    const { tokenId } = keys.verifier.recall(token, check) ?? (await keys.verifier.verify(token, check));
    return { databaseName, tokenId };
  } catch (error) {
    // A credential sent alone as Bearer may be the gateway key. It is compared with the keys only once it failed as a
    // token, so a valid token is not hashed once more on every request; the answer is the one it always was.
    if (bearerAlone !== null && (await isGatewayKey(keys, bearerAlone))) throw missingToken();
    if (error instanceof TokenError) throw new HttpError(401, error.code, error.message);
    throw error;
  }
}

/** Validates the body and runs it in the database's object. Exported for the benchmark's no-auth baseline. */
export async function runDataRequest(operation, request, env, databaseName, tokenId) {
  const body = await readJsonObject(request, maxBodyBytes(env));
  const parsed = KV_OPERATIONS.includes(operation)
    ? parseKvRequest(operation, body, Date.now())
    : parseDataRequest(operation, body);
  return forward(env, databaseName, (database) => database.execute(operation, parsed, tokenId));
}

// Two accepted forms: kuratchi-sdk's (Authorization: Bearer <gateway key> plus x-db-token) and token only
// (Authorization: Bearer <token>, or x-db-token alone), which lets an app work without the master key.
// Returns the token and, in the Bearer-only form, the credential as sent, not yet compared with the gateway key.
async function presentedToken(request, keys) {
  const bearer = bearerCredential(request);
  const dbToken = request.headers.get("x-db-token");
  if (bearer !== null && dbToken) {
    if (!(await isGatewayKey(keys, bearer))) {
      throw new HttpError(401, "invalid_gateway_key", "Invalid or missing gateway key");
    }
    return { token: dbToken, bearerAlone: null };
  }
  if (dbToken) return { token: dbToken, bearerAlone: null };
  if (bearer !== null) return { token: bearer.trim(), bearerAlone: bearer };
  throw new HttpError(
    401,
    "missing_credentials",
    "Missing credentials: send the database token as 'Authorization: Bearer <token>' or 'x-db-token'",
  );
}

function missingToken() {
  return new HttpError(401, "missing_token", "Missing x-db-token: the gateway key alone does not open a database");
}

// A key may start with a space, so the credential is everything after "Bearer "; a client that put more spaces before
// a key that has none is still understood.
async function isGatewayKey(keys, credential) {
  if (await keys.isGatewayKey(credential)) return true;
  const trimmed = credential.trimStart();
  return trimmed !== credential && (await keys.isGatewayKey(trimmed));
}

// Everything after "Bearer " is the credential, inner spaces included: kuratchi-sdk sends `Bearer ${gatewayKey}`, and
// its keys may hold spaces. (HTTP drops spaces at the ends of a header, so a key ending in one never worked there.)
function bearerCredential(request) {
  const header = request.headers.get("authorization");
  if (header === null) return null;
  const match = /^Bearer (.+)$/is.exec(header);
  if (!match) throw new HttpError(401, "invalid_authorization", "Authorization header must be 'Bearer <credential>'");
  return match[1];
}

async function controlPlane(encodedName, action, request, env) {
  const allowed = action === null ? ["GET", "PUT", "DELETE"] : ["POST"];
  if (!allowed.includes(request.method)) throw methodNotAllowed(allowed);
  const keys = await gatewayKeys(env);
  const bearer = bearerCredential(request);
  if (bearer === null || !(await isGatewayKey(keys, bearer))) {
    throw new HttpError(401, "invalid_gateway_key", "Invalid or missing gateway key");
  }
  return runAdminRequest(encodedName, action, request, env);
}

/** Runs a control-plane request whose gateway key was checked. Exported for the benchmark's no-auth baseline. */
export async function runAdminRequest(encodedName, action, request, env) {
  let name;
  try {
    name = decodeURIComponent(encodedName);
  } catch {
    throw new HttpError(400, "invalid_database_name", "Invalid database name: the path segment is not valid percent-encoding");
  }
  const databaseName = requireDatabaseName(name, "database name");

  if (action === "revocations") {
    const { tokenIds, notAfter } = parseRevocation(await readJsonObject(request, maxBodyBytes(env)));
    return forward(env, databaseName, (database) => database.revoke(tokenIds, notAfter));
  }
  if (action === "retire") {
    const body = await readJsonObject(request, maxBodyBytes(env));
    if (typeof body.wipe !== "boolean") throw invalidRequest("wipe must be a boolean");
    const owner = parseOwner(body.owner);
    return forward(env, databaseName, (database) => database.retire(owner, body.wipe));
  }
  switch (request.method) {
    case "PUT": {
      const body = await readJsonObject(request, maxBodyBytes(env));
      const migrations = await parseMigrations(body);
      const owner = body.owner === undefined || body.owner === null ? null : parseOwner(body.owner);
      const adopt = body.adopt ?? "none";
      if (!ADOPTION_LEVELS.includes(adopt)) throw invalidRequest(`adopt must be one of ${ADOPTION_LEVELS.join(", ")}`);
      return forward(env, databaseName, (database) => database.provision(migrations, owner, adopt));
    }
    case "GET":
      return forward(env, databaseName, (database) => database.info());
    default:
      return forward(env, databaseName, (database) => database.destroy());
  }
}

function parseOwner(owner) {
  if (owner === null || typeof owner !== "object" || Array.isArray(owner)) {
    throw invalidRequest("owner must be an object {uid, namespace, name}");
  }
  for (const [field, limit] of Object.entries(OWNER_FIELD_LIMITS)) {
    const value = owner[field];
    if (typeof value !== "string" || value.length === 0 || value.length > limit) {
      throw invalidRequest(`owner.${field} must be a string of 1 to ${limit} characters`);
    }
  }
  return { uid: owner.uid, namespace: owner.namespace, name: owner.name };
}

function parseRevocation(body) {
  const { tokenIds, notAfter = null } = body;
  if (!Array.isArray(tokenIds) || tokenIds.length === 0 || tokenIds.length > MAX_REVOCATIONS_PER_REQUEST) {
    throw invalidRequest(`tokenIds must be an array of 1 to ${MAX_REVOCATIONS_PER_REQUEST} token ids`);
  }
  const bad = tokenIds.findIndex((id) => typeof id !== "string" || !TOKEN_ID_PATTERN.test(id));
  if (bad >= 0) {
    throw invalidRequest(`tokenIds[${bad}] is not a token id (32 lowercase hex digits)`);
  }
  if (notAfter !== null && !(Number.isSafeInteger(notAfter) && notAfter > 0)) {
    throw invalidRequest("notAfter must be epoch milliseconds");
  }
  return { tokenIds, notAfter };
}

function requireDatabaseName(name, what) {
  if (name === null || name === "") {
    throw new HttpError(400, "missing_database_name", `${what} required: the name of the database`);
  }
  if (!isValidDatabaseName(name)) {
    throw new HttpError(400, "invalid_database_name", `Invalid ${what}: use ${DATABASE_NAME_RULE}`);
  }
  return name;
}

async function forward(env, databaseName, call) {
  let answer;
  try {
    answer = await call(env.DO.get(env.DO.idFromName(databaseName)));
  } catch (error) {
    // workerd treats SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM and SQLITE_INTERRUPT inside a transaction as critical:
    // it rolls back everything the call wrote, resets the object and rejects the call, whatever the object caught.
    // Such an error belongs to the request (the database is full, an AUTOINCREMENT counter ran out, the query was
    // too large), not to the gateway, so it is answered like any failed statement, with SQLite's message.
    const sqliteCode = error?.retryable || error?.overloaded ? undefined : sqliteCodeOf(String(error?.message));
    if (sqliteCode === undefined) throw error;
    throw new HttpError(400, "sql_error", String(error.message), { sqliteCode });
  }
  return jsonResponse(answer.body, answer.status);
}

function maxBodyBytes(env) {
  const configured = Number(env.MAX_BODY_BYTES);
  return Number.isSafeInteger(configured) && configured > 0 ? configured : DEFAULT_MAX_BODY_BYTES;
}
