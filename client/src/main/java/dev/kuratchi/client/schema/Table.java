package dev.kuratchi.client.schema;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Optional;

/** A table: its columns, indexes and table-level CHECK expressions. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record Table(String name, List<Column> columns, List<Index> indexes, List<String> checks) {
    public Table {
        columns = columns == null ? List.of() : List.copyOf(columns);
        indexes = indexes == null ? List.of() : List.copyOf(indexes);
        checks = checks == null ? List.of() : List.copyOf(checks);
    }

    public Optional<Column> column(String columnName) {
        return columns.stream().filter(c -> c.name().equals(columnName)).findFirst();
    }
}
