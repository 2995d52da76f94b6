// Cloudflare API v4 response envelope and the error codes the emulator answers with. Codes marked "chosen" were
// not found in Cloudflare's public material; they are stable here and listed in worker/emulator/README.md.

export class ApiError extends Error {
  constructor(status, code, message, headers = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

export const errors = {
  noRoute: (path) =>
    new ApiError(404, 7003, `Could not route to ${path}, perhaps your object identifier is invalid?`),
  missingAuth: () => new ApiError(401, 10000, "Authentication error"),
  badToken: () => new ApiError(403, 10000, "Authentication error"),
  unknownAccount: () => new ApiError(403, 10000, "Authentication error"),
  invalidApiToken: () => new ApiError(401, 1000, "Invalid API Token"),
  rateLimited: (retryAfter) =>
    new ApiError(429, 971, "Please wait and consider throttling your request speed", {
      "retry-after": String(retryAfter),
    }),
  badRequest: (message) => new ApiError(400, 10001, message), // chosen
  methodNotAllowed: () => new ApiError(405, 10000, "Method not allowed for this route"), // chosen
  scriptNotFound: () => new ApiError(404, 10007, "workers.api.error.script_not_found"),
  invalidScriptName: () =>
    new ApiError(400, 10016, "Invalid Worker name: use lowercase letters, digits, '-' and '_', up to 63 characters"), // chosen
  scriptValidation: (message) => new ApiError(400, 10021, message),
  scriptTooLarge: (limit) => new ApiError(400, 10027, `Your Worker exceeded the size limit of ${limit} bytes`),
  classAlreadyExists: (className) =>
    new ApiError(
      400,
      10074,
      `Cannot apply new-class migration to class '${className}' that is already depended on by existing Durable Objects`,
    ),
  classNotMigrated: (className) =>
    new ApiError(
      400,
      10061,
      `Cannot create binding for class '${className}' because it is not currently configured to implement Durable Objects. Ensure a --new-class migration has been applied to it.`,
    ),
  oldTagMismatch: (expected, got) =>
    new ApiError(
      400,
      10079, // chosen
      `Migration old_tag '${got ?? ""}' does not match the script's current migration tag '${expected ?? ""}'`,
    ),
  subdomainNotSet: () => new ApiError(404, 10007, "This account does not have a workers.dev subdomain"), // chosen message
  kvTitleTaken: () => new ApiError(400, 10014, "a namespace with this account ID and title already exists"),
  kvNotFound: () => new ApiError(404, 10013, "namespace not found"),
  bucketExists: () => new ApiError(409, 10004, "The bucket you tried to create already exists, and you own it."),
  bucketNotFound: () => new ApiError(404, 10006, "The specified bucket does not exist."),
  invalidBucketName: () => new ApiError(400, 10005, "The specified bucket name is not valid."),
  queueNameTaken: (name) =>
    new ApiError(409, 11009, `Queue name '${name}' is already taken. Please use a different name and try again.`),
  queueNotFound: () => new ApiError(404, 10104, "QueueNotFound"),
  queueIdMalformed: () => new ApiError(400, 10107, "QueueIDMalformed"),
  invalidQueueName: () => new ApiError(400, 11003, "Invalid queue name"), // chosen
  internal: () => new ApiError(500, 10002, "Internal server error"),
};

export function envelope(result, extra = {}) {
  return { success: true, errors: [], messages: [], result, ...extra };
}

export function errorEnvelope(error) {
  return { success: false, errors: [{ code: error.code, message: error.message }], messages: [], result: null };
}

/** Page-number pagination as KV namespace and Durable Object namespace lists do it. */
export function paginate(items, query, { defaultPerPage = 20, maxPerPage = 1000 } = {}) {
  const page = positiveInt(query.get("page"), 1, "page");
  const perPage = positiveInt(query.get("per_page"), defaultPerPage, "per_page");
  if (perPage > maxPerPage) throw errors.badRequest(`per_page must be at most ${maxPerPage}`);
  const slice = items.slice((page - 1) * perPage, page * perPage);
  return envelope(slice, {
    result_info: {
      page,
      per_page: perPage,
      count: slice.length,
      total_count: items.length,
      total_pages: Math.max(1, Math.ceil(items.length / perPage)),
    },
  });
}

export function positiveInt(text, fallback, name) {
  if (text === null || text === "") return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) throw errors.badRequest(`${name} must be a positive integer`);
  return value;
}
