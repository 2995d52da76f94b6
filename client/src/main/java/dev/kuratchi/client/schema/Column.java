package dev.kuratchi.client.schema;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * A column in the kuratchi-sdk schema format. {@code mode} ({@code boolean}, {@code timestamp_ms}) is a flavour of
 * an integer column; {@code enum} becomes a CHECK constraint.
 */
@JsonInclude(JsonInclude.Include.NON_DEFAULT)
@JsonIgnoreProperties(ignoreUnknown = false)
public record Column(
        String name,
        ColumnType type,
        String mode,
        boolean notNull,
        boolean primaryKey,
        boolean unique,
        @JsonProperty("enum") List<String> enumValues,
        @JsonProperty("default") ColumnDefault defaultValue,
        ForeignKey references) {

    public Column {
        if (type == null) {
            throw new SchemaException("column '" + name + "' has no type");
        }
        if (mode != null && !mode.equals("boolean") && !mode.equals("timestamp_ms")) {
            throw new SchemaException("column '" + name + "': mode must be 'boolean' or 'timestamp_ms'");
        }
        if (mode != null && type != ColumnType.INTEGER) {
            throw new SchemaException("column '" + name + "': mode '" + mode + "' needs type integer");
        }
        enumValues = enumValues == null ? null : List.copyOf(enumValues);
    }
}
