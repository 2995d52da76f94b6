package dev.kuratchi.client.gateway;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * One SQL statement with positional {@code ?} parameters. Parameter values: {@code null}, {@link String},
 * {@link Long}/{@link Integer}/{@link Short}/{@link Byte}, {@link Double}/{@link Float}, {@link Boolean} (bound as
 * 1/0), {@code byte[]} (a blob) and {@link java.time.Instant} (its epoch milliseconds), converted by
 * {@link SqlValues#param}.
 */
public record Statement(String sql, List<Object> params) {
    public Statement {
        if (sql == null || sql.isBlank()) {
            throw new IllegalArgumentException("SQL must not be empty");
        }
        // Unmodifiable and keeps nulls (SQL NULL parameters), unlike List.copyOf; a loop, as it runs on every query.
        Object[] values = new Object[params.size()];
        int i = 0;
        for (Object value : params) {
            values[i++] = SqlValues.param(value);
        }
        params = Collections.unmodifiableList(Arrays.asList(values));
    }

    public static Statement of(String sql, Object... params) {
        return new Statement(sql, Arrays.asList(params));
    }

    @Override
    public String toString() {
        return "Statement[" + sql + ", " + params.size() + " params]";
    }
}
