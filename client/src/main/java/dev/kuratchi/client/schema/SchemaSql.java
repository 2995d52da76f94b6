package dev.kuratchi.client.schema;

import dev.kuratchi.client.admin.Migration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The SQL that creates a schema: one {@code CREATE TABLE IF NOT EXISTS} per table, then its indexes, with the
 * column clauses in kuratchi-sdk's order. Identifiers are double-quoted, so a name never changes the statement.
 */
public final class SchemaSql {
    /** The migration id of a schema's initial SQL; kuratchi-sdk records its first migration under this tag too. */
    public static final String INITIAL_MIGRATION_ID = "initial";

    private SchemaSql() {}

    public static Migration initialMigration(DatabaseSchema schema) {
        return new Migration(INITIAL_MIGRATION_ID, createStatements(schema));
    }

    public static String createStatements(DatabaseSchema schema) {
        List<String> statements = new ArrayList<>();
        for (Table table : schema.tables()) {
            statements.add(createTable(table));
        }
        for (Table table : schema.tables()) {
            for (Index index : table.indexes()) {
                statements.add("CREATE " + (index.unique() ? "UNIQUE " : "") + "INDEX IF NOT EXISTS "
                        + quoteIdentifier(index.name()) + " ON " + quoteIdentifier(table.name()) + " ("
                        + index.columns().stream().map(SchemaSql::quoteIdentifier).collect(Collectors.joining(", "))
                        + ");");
            }
        }
        return String.join("\n\n", statements) + "\n";
    }

    static String createTable(Table table) {
        List<String> clauses = new ArrayList<>();
        table.columns().forEach(column -> clauses.add(columnClause(column)));
        table.checks().forEach(check -> clauses.add("CHECK (" + check + ")"));
        return "CREATE TABLE IF NOT EXISTS " + quoteIdentifier(table.name()) + " (\n  "
                + String.join(",\n  ", clauses) + "\n);";
    }

    static String columnClause(Column column) {
        StringBuilder sql = new StringBuilder(quoteIdentifier(column.name())).append(' ')
                .append(column.type().sqliteType());
        if (column.notNull()) {
            sql.append(" NOT NULL");
        }
        if (column.unique()) {
            sql.append(" UNIQUE");
        }
        if (column.primaryKey()) {
            sql.append(" PRIMARY KEY");
        }
        if (column.defaultValue() != null) {
            sql.append(" DEFAULT ").append(column.defaultValue().toSql());
        }
        if (column.references() != null) {
            ForeignKey ref = column.references();
            sql.append(" REFERENCES ").append(quoteIdentifier(ref.table())).append('(')
                    .append(quoteIdentifier(ref.column())).append(')');
            if (ref.onDelete() != null) {
                sql.append(" ON DELETE ").append(ref.onDelete().toUpperCase(Locale.ROOT));
            }
        }
        if (column.enumValues() != null && !column.enumValues().isEmpty()) {
            sql.append(" CHECK (").append(quoteIdentifier(column.name())).append(" IN (")
                    .append(column.enumValues().stream().map(SchemaSql::quoteLiteral).collect(Collectors.joining(", ")))
                    .append("))");
        }
        return sql.toString();
    }

    public static String quoteIdentifier(String name) {
        return "\"" + name.replace("\"", "\"\"") + "\"";
    }

    static String quoteLiteral(String value) {
        return "'" + value.replace("'", "''") + "'";
    }
}
