// The one rule for database names, enforced by every path that takes a name. No dots: the name is the first
// field of a dot-separated token. Lowercase only: idFromName is case-sensitive, and "Acme" next to "acme" would
// be two databases that look like one.
export const DATABASE_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export const DATABASE_NAME_RULE =
  "lowercase letters, digits, '_' and '-', 1-63 characters, starting with a letter or digit";

export function isValidDatabaseName(name) {
  return typeof name === "string" && DATABASE_NAME_PATTERN.test(name);
}
