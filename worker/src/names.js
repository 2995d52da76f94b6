// The one rule for database names, enforced by every path that takes a name: every name kuratchi-sdk can put in a
// token and send as x-db-name. Printable ASCII, because the name travels as an HTTP header value, which runtimes
// encode differently beyond ASCII (OkHttp refuses it, Workers take Latin-1 only); no '.', because the name is the
// first field of a dot-separated token; no space at either end, because HTTP trims header values. Upper case, '_'
// and inner spaces are allowed: idFromName is case-sensitive, so "Acme" and "acme" are two databases, as they
// were for kuratchi-sdk. The limit is ours (kuratchi-sdk had none): room for an organization's name.
export const DATABASE_NAME_PATTERN = /^[!-\-/-~](?:[ -\-/-~]*[!-\-/-~])?$/;
export const DATABASE_NAME_MAX_LENGTH = 255;

export const DATABASE_NAME_RULE =
  "1-255 printable ASCII characters except '.', not starting or ending with a space";

export function isValidDatabaseName(name) {
  return typeof name === "string" && name.length <= DATABASE_NAME_MAX_LENGTH && DATABASE_NAME_PATTERN.test(name);
}
