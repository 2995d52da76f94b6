package dev.kuratchi.client.gateway;

import java.util.Collections;
import java.util.Map;
import java.util.Set;

/**
 * One result row: column name to value, in the order of the result's columns. Values are {@link Long},
 * {@link Double}, {@link String}, {@code byte[]} or {@code null}.
 */
public final class Row {
    private final Map<String, Object> values;

    public Row(Map<String, Object> values) {
        this.values = Collections.unmodifiableMap(values);
    }

    public Object get(String column) {
        requireColumn(column);
        return values.get(column);
    }

    public Long getLong(String column) {
        Object value = get(column);
        return value == null ? null : ((Number) cast(column, value, Number.class)).longValue();
    }

    public Double getDouble(String column) {
        Object value = get(column);
        return value == null ? null : ((Number) cast(column, value, Number.class)).doubleValue();
    }

    public String getString(String column) {
        return (String) cast(column, get(column), String.class);
    }

    public byte[] getBytes(String column) {
        return (byte[]) cast(column, get(column), byte[].class);
    }

    /** SQLite has no boolean type: 0 is false, any other number true. */
    public Boolean getBoolean(String column) {
        Long value = getLong(column);
        return value == null ? null : value != 0;
    }

    public boolean isNull(String column) {
        return get(column) == null;
    }

    public Set<String> columns() {
        return values.keySet();
    }

    public Map<String, Object> asMap() {
        return values;
    }

    private void requireColumn(String column) {
        if (!values.containsKey(column)) {
            throw new IllegalArgumentException("no column '" + column + "' in this row; columns: " + values.keySet());
        }
    }

    private static Object cast(String column, Object value, Class<?> type) {
        if (value != null && !type.isInstance(value)) {
            throw new ClassCastException("column '" + column + "' holds a " + value.getClass().getSimpleName()
                    + ", not a " + type.getSimpleName());
        }
        return value;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Row that && values.equals(that.values);
    }

    @Override
    public int hashCode() {
        return values.hashCode();
    }

    @Override
    public String toString() {
        return "Row" + values;
    }
}
