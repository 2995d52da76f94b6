package dev.kuratchi.client.orm;

import static dev.kuratchi.client.schema.SchemaSql.quoteIdentifier;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Conditions for {@link TableQuery#where}: the operators kuratchi-sdk's ORM has ({@code eq, ne, gt, gte, lt, lte,
 * like, in, notIn, isNull}) and OR groups. Unlike kuratchi-sdk, equality never turns into LIKE when the value holds
 * {@code %} or {@code _}, and {@code in} with no values matches nothing.
 *
 * <p>Values are converted when the condition is made, as {@code insert} and {@code update} convert theirs (see
 * {@link dev.kuratchi.client.gateway.SqlValues#param}: an {@link java.time.Instant} binds as epoch milliseconds);
 * a value that cannot be bound is an {@link OrmException} naming the column and the operator.
 */
public final class Where {
    /**
     * Up to this many {@code in}/{@code notIn} values bind one parameter each; a longer list binds as one JSON
     * parameter read by SQLite's {@code json_each}, so that no list can use up the gateway's parameters.
     */
    static final int MAX_INLINE_VALUES = 10;
    // Longer chains of AND or OR are nested in halves (see joined); shorter ones stay flat, for reading.
    private static final int MAX_FLAT_CHAIN = 8;

    private Where() {}

    public static Condition eq(String column, Object value) {
        return value == null ? isNull(column) : compare(column, "eq", "=", value);
    }

    public static Condition ne(String column, Object value) {
        return value == null ? isNotNull(column) : compare(column, "ne", "<>", value);
    }

    public static Condition gt(String column, Object value) {
        return compare(column, "gt", ">", value);
    }

    public static Condition gte(String column, Object value) {
        return compare(column, "gte", ">=", value);
    }

    public static Condition lt(String column, Object value) {
        return compare(column, "lt", "<", value);
    }

    public static Condition lte(String column, Object value) {
        return compare(column, "lte", "<=", value);
    }

    public static Condition like(String column, String pattern) {
        return compare(column, "like", "LIKE", pattern);
    }

    /**
     * True when the column holds one of the values. A list of more than 10 values binds as one JSON parameter, where
     * a number never equals a TEXT value; in a shorter one SQLite compares it as text ({@code 1} as {@code '1.0'}:
     * the Worker binds numbers as REAL). Compare a TEXT column with Strings.
     */
    public static Condition in(String column, Collection<?> values) {
        return membership(column, "in", values);
    }

    /** True when the column holds none of the values; see {@link #in} for long lists. */
    public static Condition notIn(String column, Collection<?> values) {
        return membership(column, "notIn", values);
    }

    public static Condition isNull(String column) {
        return simple(column, quoteIdentifier(column) + " IS NULL");
    }

    public static Condition isNotNull(String column) {
        return simple(column, quoteIdentifier(column) + " IS NOT NULL");
    }

    /** True when any of the conditions is. */
    public static Condition anyOf(Condition... conditions) {
        return group(List.of(conditions), " OR ");
    }

    /** True when all of the conditions are. */
    public static Condition allOf(Condition... conditions) {
        return group(List.of(conditions), " AND ");
    }

    /**
     * kuratchi-sdk's map form: {@code {column: value}} for equality ({@code null}: IS NULL), or
     * {@code {column: {op: value, ...}}} with the operators above; several entries are ANDed. Each operator takes
     * only what it can use: {@code like} a String pattern, {@code isNull} true or false, {@code in} and
     * {@code notIn} a collection, the others a value that can be bound; anything else is an {@link OrmException}.
     */
    public static Condition fromMap(Map<String, ?> map) {
        List<Condition> conditions = new ArrayList<>();
        map.forEach((column, spec) -> {
            if (spec instanceof Map<?, ?> ops) {
                ops.forEach((op, value) -> conditions.add(operator(column, String.valueOf(op), value)));
            } else {
                conditions.add(eq(column, spec));
            }
        });
        if (conditions.isEmpty()) {
            throw new OrmException("an empty where() matches every row; use all() to say so");
        }
        return conditions.size() == 1 ? conditions.get(0) : group(conditions, " AND ");
    }

    private static Condition operator(String column, String op, Object value) {
        return switch (op) {
            case "eq" -> eq(column, value);
            case "ne" -> ne(column, value);
            case "gt" -> gt(column, value);
            case "gte" -> gte(column, value);
            case "lt" -> lt(column, value);
            case "lte" -> lte(column, value);
            case "like" -> like(column, expect(column, op, value, String.class, "a String pattern"));
            case "in" -> in(column, expect(column, op, value, Collection.class, "a collection of values"));
            case "notIn" -> notIn(column, expect(column, op, value, Collection.class, "a collection of values"));
            case "isNull" -> expect(column, op, value, Boolean.class, "true or false")
                    ? isNull(column) : isNotNull(column);
            default -> throw new OrmException("unknown operator '" + op + "' for column '" + column
                    + "': use eq, ne, gt, gte, lt, lte, like, in, notIn or isNull");
        };
    }

    private static <T> T expect(String column, String op, Object value, Class<T> type, String needs) {
        if (type.isInstance(value)) {
            return type.cast(value);
        }
        throw new OrmException(use(column, op) + " needs " + needs + ", got "
                + (value == null ? "null" : value.getClass().getName()));
    }

    private static String use(String column, String op) {
        return "operator '" + op + "' on column '" + column + "'";
    }

    private static Condition compare(String column, String op, String sqlOperator, Object value) {
        if (value == null) {
            throw new OrmException("column '" + column + "' " + sqlOperator + " NULL is never true; use isNull");
        }
        Object param = Params.bind(use(column, op), value);
        return new Condition() {
            @Override
            public String toSql(List<Object> params) {
                params.add(param);
                return quoteIdentifier(column) + " " + sqlOperator + " ?";
            }

            @Override
            public List<String> columns() {
                return List.of(column);
            }
        };
    }

    private static Condition membership(String column, String op, Collection<?> values) {
        boolean negate = op.equals("notIn");
        // Stream.toList keeps a null value (IN (NULL) is valid SQL), unlike List.copyOf.
        List<Object> params = values.stream().map(value -> Params.bind(use(column, op), value)).toList();
        String json = params.size() > MAX_INLINE_VALUES ? Params.jsonArray(use(column, op), params) : null;
        return new Condition() {
            @Override
            public String toSql(List<Object> bound) {
                if (params.isEmpty()) {
                    return negate ? "1 = 1" : "0 = 1";
                }
                String list;
                if (json == null) {
                    bound.addAll(params);
                    list = params.stream().map(v -> "?").collect(Collectors.joining(", "));
                } else {
                    bound.add(json);
                    list = "SELECT value FROM json_each(?)";
                }
                return quoteIdentifier(column) + (negate ? " NOT IN (" : " IN (") + list + ")";
            }

            @Override
            public List<String> columns() {
                return List.of(column);
            }
        };
    }

    private static Condition simple(String column, String sql) {
        return new Condition() {
            @Override
            public String toSql(List<Object> params) {
                return sql;
            }

            @Override
            public List<String> columns() {
                return List.of(column);
            }
        };
    }

    private static Condition group(List<Condition> conditions, String operator) {
        if (conditions.isEmpty()) {
            throw new OrmException("a condition group needs at least one condition");
        }
        return new Condition() {
            @Override
            public String toSql(List<Object> params) {
                return joined(conditions, operator, params);
            }

            @Override
            public List<String> columns() {
                return conditions.stream().flatMap(c -> c.columns().stream()).toList();
            }
        };
    }

    // In parentheses, so that a group keeps its meaning next to any other operator. A long chain is split in halves:
    // workerd's SQLite refuses an expression deeper than 100, and a flat chain of 100 conditions is that deep.
    private static String joined(List<Condition> conditions, String operator, List<Object> params) {
        if (conditions.size() == 1) {
            return conditions.get(0).toSql(params);
        }
        if (conditions.size() > MAX_FLAT_CHAIN) {
            int half = conditions.size() / 2;
            return "(" + joined(conditions.subList(0, half), operator, params) + operator
                    + joined(conditions.subList(half, conditions.size()), operator, params) + ")";
        }
        return conditions.stream().map(c -> c.toSql(params)).collect(Collectors.joining(operator, "(", ")"));
    }
}
