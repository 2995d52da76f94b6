// JSON responses and errors shared by the gateway. Every error leaves as {success:false, error, code}; nothing
// else from an exception (stack, cause, request data) is ever put in a response.

export class HttpError extends Error {
  constructor(status, code, message, details = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export function jsonResponse(body, status = 200, headers = {}) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

export function errorBody(code, message, details = {}) {
  return { success: false, error: message, code, ...details };
}

export function errorResponse(error) {
  const headers = error.status === 405 && error.details.allow ? { allow: error.details.allow } : {};
  const { allow, ...details } = error.details;
  return jsonResponse(errorBody(error.code, error.message, details), error.status, headers);
}

export function invalidRequest(message, details = {}) {
  return new HttpError(400, "invalid_request", message, details);
}

export function optionalBoolean(value, name) {
  if (value === undefined || value === null) return false;
  if (typeof value !== "boolean") throw invalidRequest(`${name} must be a boolean`);
  return value;
}

// SQLite and the KV storage keep names as bytes and give them back as text: a lone surrogate (not UTF-16 text) would
// come back as U+FFFD, a name no request could address again (drop, delete, page past) and no wipe could remove.
export function requireUnicodeText(text, where, details = {}) {
  if (!text.isWellFormed()) throw invalidRequest(`${where} must be Unicode text (it holds a lone surrogate)`, details);
  return text;
}

export function methodNotAllowed(allowed) {
  return new HttpError(405, "method_not_allowed", `Method not allowed; use ${allowed.join(" or ")}`, {
    allow: allowed.join(", "),
  });
}

// Reads a JSON object body, refusing more than `limit` bytes without buffering them: a declared Content-Length
// over the limit is refused before reading, a chunked body is cut off as soon as it passes the limit.
export async function readJsonObject(request, limit) {
  const declared = Number(request.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > limit) throw bodyTooLarge(limit);
  if (!request.body) throw new HttpError(400, "invalid_json", "Request body must be a JSON object");

  const reader = request.body.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw bodyTooLarge(limit);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }

  let parsed;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new HttpError(400, "invalid_json", "Request body is not valid JSON");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new HttpError(400, "invalid_json", "Request body must be a JSON object");
  }
  return parsed;
}

function bodyTooLarge(limit) {
  return new HttpError(413, "body_too_large", `Request body is larger than the limit of ${limit} bytes`);
}
