package dev.kuratchi.client.schema;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** An index over one or more columns of its table. */
@JsonInclude(JsonInclude.Include.NON_DEFAULT)
public record Index(String name, List<String> columns, boolean unique) {
    public Index {
        if (columns == null || columns.isEmpty()) {
            throw new SchemaException("index '" + name + "' has no columns");
        }
        columns = List.copyOf(columns);
    }
}
