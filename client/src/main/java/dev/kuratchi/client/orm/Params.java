package dev.kuratchi.client.orm;

import dev.kuratchi.client.gateway.SqlValues;
import java.util.Collection;

/**
 * Values as the ORM binds them: converted by {@link SqlValues#param}, the gateway's one conversion, when the query is
 * built, so that a value it cannot bind is an {@link OrmException} that says where it was used, before any request.
 */
final class Params {
    private Params() {}

    /** {@code where} names the use, such as "operator 'gt' on column 'age'". */
    static Object bind(String where, Object value) {
        try {
            return SqlValues.param(value);
        } catch (IllegalArgumentException e) {
            throw new OrmException(where + ": " + e.getMessage());
        }
    }

    static String jsonArray(String where, Collection<?> values) {
        try {
            return SqlValues.jsonArray(values);
        } catch (IllegalArgumentException e) {
            throw new OrmException(where + ": a list of more than " + Where.MAX_INLINE_VALUES
                    + " values binds as one JSON parameter, and " + e.getMessage());
        }
    }
}
