package dev.kuratchi.client.gateway;

import java.util.List;

/**
 * The rows of a statement, and the Durable Object's counts of rows read and written (these include index entries,
 * so an INSERT of one row into a table with a unique column writes 2; they are the DO's billing units, not a count
 * of changed rows).
 */
public record QueryResult(List<Row> rows, long rowsRead, long rowsWritten) {
    public QueryResult {
        rows = List.copyOf(rows);
    }
}
