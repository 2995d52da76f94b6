package dev.kuratchi.client.admin;

import java.util.regex.Pattern;

/**
 * One migration: an id (recorded as the tag in {@code migrations_history}) and its SQL, which may hold several
 * statements. The gateway applies it in one transaction and refuses an applied id whose SQL changed.
 */
public record Migration(String id, String sql) {
    private static final Pattern ID = Pattern.compile("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$");

    public Migration {
        if (id == null || !ID.matcher(id).matches()) {
            throw new IllegalArgumentException("invalid migration id '" + id
                    + "': use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        if (sql == null || sql.isBlank()) {
            throw new IllegalArgumentException("migration '" + id + "' has no SQL");
        }
    }
}
