package dev.kuratchi.client.schema;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Locale;
import java.util.Set;

/** {@code references}: the column points at {@code table.column}; {@code onDelete} as in SQLite. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ForeignKey(String table, String column, String onDelete) {
    private static final Set<String> ACTIONS = Set.of("cascade", "restrict", "set null", "no action", "set default");

    public ForeignKey {
        if (onDelete != null && !ACTIONS.contains(onDelete.toLowerCase(Locale.ROOT))) {
            throw new SchemaException("references.onDelete must be one of " + ACTIONS + ", got '" + onDelete + "'");
        }
    }
}
