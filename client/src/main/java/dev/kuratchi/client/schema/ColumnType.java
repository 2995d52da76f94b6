package dev.kuratchi.client.schema;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** A column's type in the kuratchi-sdk schema format and the SQLite type it becomes. */
public enum ColumnType {
    TEXT("TEXT"),
    INTEGER("INTEGER"),
    REAL("REAL"),
    BLOB("BLOB"),
    /** Stored as TEXT holding JSON. */
    JSON("TEXT");

    private final String sqliteType;

    ColumnType(String sqliteType) {
        this.sqliteType = sqliteType;
    }

    public String sqliteType() {
        return sqliteType;
    }

    @JsonValue
    public String jsonName() {
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static ColumnType fromJson(String name) {
        for (ColumnType type : values()) {
            if (type.jsonName().equals(name)) {
                return type;
            }
        }
        throw new SchemaException("unknown column type '" + name + "': use text, integer, real, blob or json");
    }
}
