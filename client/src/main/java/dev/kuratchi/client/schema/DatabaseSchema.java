package dev.kuratchi.client.schema;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A database schema in kuratchi-sdk's normalized JSON form: {@code {name, version, tables: [...]}}. Validated when
 * built: every name is a plain identifier, no name repeats, and every reference and index names a real column.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DatabaseSchema(String name, Integer version, List<Table> tables) {
    private static final Pattern IDENTIFIER = Pattern.compile("^[A-Za-z_][A-Za-z0-9_]*$");

    public DatabaseSchema {
        tables = tables == null ? List.of() : List.copyOf(tables);
        validate(name, tables);
    }

    public Optional<Table> table(String tableName) {
        return tables.stream().filter(t -> t.name().equals(tableName)).findFirst();
    }

    private static void validate(String name, List<Table> tables) {
        if (name == null || name.isBlank()) {
            throw new SchemaException("the schema has no name");
        }
        if (tables.isEmpty()) {
            throw new SchemaException("schema '" + name + "' has no tables");
        }
        Set<String> tableNames = new HashSet<>();
        for (Table table : tables) {
            identifier(table.name(), "table name");
            if (!tableNames.add(table.name().toLowerCase(Locale.ROOT))) {
                throw new SchemaException("table '" + table.name() + "' is defined twice");
            }
            if (table.columns().isEmpty()) {
                throw new SchemaException("table '" + table.name() + "' has no columns");
            }
            Set<String> columnNames = new HashSet<>();
            for (Column column : table.columns()) {
                identifier(column.name(), "column name in table '" + table.name() + "'");
                if (!columnNames.add(column.name().toLowerCase(Locale.ROOT))) {
                    throw new SchemaException("column '" + table.name() + "." + column.name() + "' is defined twice");
                }
            }
            for (Index index : table.indexes()) {
                identifier(index.name(), "index name in table '" + table.name() + "'");
                for (String column : index.columns()) {
                    if (table.column(column).isEmpty()) {
                        throw new SchemaException("index '" + index.name() + "' names unknown column '"
                                + table.name() + "." + column + "'");
                    }
                }
            }
        }
        for (Table table : tables) {
            for (Column column : table.columns()) {
                ForeignKey ref = column.references();
                if (ref == null) {
                    continue;
                }
                boolean found = tables.stream().filter(t -> t.name().equals(ref.table()))
                        .anyMatch(t -> t.column(ref.column()).isPresent());
                if (!found) {
                    throw new SchemaException("column '" + table.name() + "." + column.name() + "' references '"
                            + ref.table() + "." + ref.column() + "', which is not in schema '" + name + "'");
                }
            }
        }
    }

    private static void identifier(String value, String what) {
        if (value == null || !IDENTIFIER.matcher(value).matches()) {
            throw new SchemaException("invalid " + what + " '" + value
                    + "': use letters, digits and '_', starting with a letter or '_'");
        }
    }
}
