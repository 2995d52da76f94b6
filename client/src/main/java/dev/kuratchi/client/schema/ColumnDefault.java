package dev.kuratchi.client.schema;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A column default: {@code {"kind": "raw", "sql": "(CURRENT_TIMESTAMP)"}} inserts SQL as written (schema authors
 * are trusted), {@code {"kind": "value", "value": ...}} a literal string, number, boolean (1/0) or null.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ColumnDefault(String kind, String sql, Object value) {
    public ColumnDefault {
        if (!"raw".equals(kind) && !"value".equals(kind)) {
            throw new SchemaException("default.kind must be 'raw' or 'value', got '" + kind + "'");
        }
        if ("raw".equals(kind) && (sql == null || sql.isBlank())) {
            throw new SchemaException("a raw default needs 'sql'");
        }
        if ("value".equals(kind) && value != null && !(value instanceof String || value instanceof Number
                || value instanceof Boolean)) {
            throw new SchemaException("a default value must be a string, number, boolean or null");
        }
    }

    String toSql() {
        if ("raw".equals(kind)) {
            return sql;
        }
        if (value == null) {
            return "NULL";
        }
        if (value instanceof Boolean bool) {
            return bool ? "1" : "0";
        }
        if (value instanceof Number) {
            return value.toString();
        }
        return SchemaSql.quoteLiteral((String) value);
    }
}
