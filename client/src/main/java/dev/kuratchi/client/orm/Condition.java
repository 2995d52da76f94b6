package dev.kuratchi.client.orm;

import java.util.List;

/** A WHERE condition. Renders to SQL with {@code ?} placeholders, adding its values to {@code params}. */
public interface Condition {
    String toSql(List<Object> params);

    /** The columns it reads, checked against the schema before any SQL is built. */
    List<String> columns();
}
