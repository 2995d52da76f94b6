package dev.kuratchi.client.orm;

import static dev.kuratchi.client.schema.SchemaSql.quoteIdentifier;

import dev.kuratchi.client.gateway.GatewayClient;
import dev.kuratchi.client.gateway.Row;
import dev.kuratchi.client.gateway.Statement;
import dev.kuratchi.client.schema.Column;
import dev.kuratchi.client.schema.ColumnType;
import dev.kuratchi.client.schema.Table;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * A chainable query on one table. Immutable: every call returns a new query, so a partly built query can be shared.
 * {@code where} conditions are ANDed into the current group, {@code orWhere} starts a new group, and groups are
 * ORed, as in kuratchi-sdk. {@code offset} is a row offset (kuratchi-sdk used a page number).
 *
 * <p>{@link #update} and {@link #delete} refuse to run without a condition unless {@link #all()} says so. A statement
 * that would bind more parameters than the gateway takes (100) is an {@link OrmException} before anything is sent;
 * an {@code in}/{@code notIn} list of more than 10 values counts as one.
 */
public final class TableQuery {
    // workerd's SQLite binds at most 100 parameters per statement (the gateway sets no limit of its own) and answers
    // more with a 400 at run time, so every statement built here is held to it before it can be sent.
    static final int MAX_PARAMS_PER_STATEMENT = 100;

    private final GatewayClient gateway;
    private final Table table;
    private final List<List<Condition>> groups;
    private final List<String> selected;
    private final List<String> order;
    private final Integer limit;
    private final Integer offset;
    private final boolean all;

    private TableQuery(GatewayClient gateway, Table table, List<List<Condition>> groups, List<String> selected,
            List<String> order, Integer limit, Integer offset, boolean all) {
        this.gateway = gateway;
        this.table = table;
        this.groups = groups;
        this.selected = selected;
        this.order = order;
        this.limit = limit;
        this.offset = offset;
        this.all = all;
    }

    static TableQuery of(GatewayClient gateway, Table table) {
        return new TableQuery(gateway, table, List.of(), List.of(), List.of(), null, null, false);
    }

    // ---- building

    public TableQuery where(Condition condition) {
        return withCondition(condition, false);
    }

    /** Equality; {@code null} means IS NULL. */
    public TableQuery where(String column, Object value) {
        return where(Where.eq(column, value));
    }

    /** kuratchi-sdk's map form, see {@link Where#fromMap}. */
    public TableQuery where(Map<String, ?> conditions) {
        return where(Where.fromMap(conditions));
    }

    public TableQuery orWhere(Condition condition) {
        return withCondition(condition, true);
    }

    public TableQuery orWhere(String column, Object value) {
        return orWhere(Where.eq(column, value));
    }

    public TableQuery orWhere(Map<String, ?> conditions) {
        return orWhere(Where.fromMap(conditions));
    }

    public TableQuery select(String... columns) {
        List<String> names = List.of(columns);
        names.forEach(this::requireColumn);
        return new TableQuery(gateway, table, groups, names, order, limit, offset, all);
    }

    public TableQuery orderBy(String column) {
        return orderBy(column, Direction.ASC);
    }

    public TableQuery orderBy(String column, Direction direction) {
        requireColumn(column);
        List<String> next = new ArrayList<>(order);
        next.add(quoteIdentifier(column) + " " + direction.name());
        return new TableQuery(gateway, table, groups, selected, List.copyOf(next), limit, offset, all);
    }

    public TableQuery limit(int rows) {
        if (rows < 0) {
            throw new OrmException("limit must not be negative");
        }
        return new TableQuery(gateway, table, groups, selected, order, rows, offset, all);
    }

    public TableQuery offset(int rows) {
        if (rows < 0) {
            throw new OrmException("offset must not be negative");
        }
        return new TableQuery(gateway, table, groups, selected, order, limit, rows, all);
    }

    /** Allows {@link #update} and {@link #delete} to touch every row of the table. */
    public TableQuery all() {
        return new TableQuery(gateway, table, groups, selected, order, limit, offset, true);
    }

    private TableQuery withCondition(Condition condition, boolean newGroup) {
        condition.columns().forEach(this::requireColumn);
        List<List<Condition>> next = new ArrayList<>(groups);
        if (newGroup || next.isEmpty()) {
            next.add(List.of(condition));
        } else {
            List<Condition> last = new ArrayList<>(next.remove(next.size() - 1));
            last.add(condition);
            next.add(List.copyOf(last));
        }
        return new TableQuery(gateway, table, List.copyOf(next), selected, order, limit, offset, all);
    }

    // ---- running

    public List<Row> many() {
        return gateway.run(selectStatement()).rows().stream().map(this::typed).toList();
    }

    public Optional<Row> first() {
        return limit(1).many().stream().findFirst();
    }

    public long count() {
        return gateway.run(countStatement()).rows().get(0).getLong("count");
    }

    public boolean exists() {
        return gateway.run(existsStatement()).rows().get(0).getLong("e") != 0;
    }

    /** Inserts one row; returns 1. */
    public long insert(Map<String, ?> row) {
        gateway.run(insertStatements(List.of(row)).get(0));
        return 1;
    }

    /** Inserts the rows in one transaction: all or none. Returns how many. */
    public long insertMany(List<? extends Map<String, ?>> rows) {
        if (rows.isEmpty()) {
            return 0;
        }
        gateway.batch(insertStatements(rows));
        return rows.size();
    }

    /** Updates the matching rows; returns how many changed. */
    public long update(Map<String, ?> values) {
        return changed(updateStatement(values));
    }

    /** Deletes the matching rows; returns how many. */
    public long delete() {
        return changed(deleteStatement());
    }

    // changes() in the same transaction counts exactly the rows the statement changed.
    private long changed(Statement statement) {
        List<List<Row>> results = gateway.batch(List.of(statement, Statement.of("SELECT changes() AS changed")));
        return results.get(1).get(0).getLong("changed");
    }

    // ---- SQL (pure, so each form is tested without a gateway)

    public Statement selectStatement() {
        List<Object> params = new ArrayList<>();
        String columns = selected.isEmpty() ? "*"
                : selected.stream().map(c -> quoteIdentifier(c)).collect(Collectors.joining(", "));
        StringBuilder sql = new StringBuilder("SELECT ").append(columns).append(" FROM ")
                .append(quoteIdentifier(table.name())).append(whereClause(params));
        if (!order.isEmpty()) {
            sql.append(" ORDER BY ").append(String.join(", ", order));
        }
        // Literal integers (validated above): the Worker binds numbers as REAL, which LIMIT does not take.
        if (limit != null) {
            sql.append(" LIMIT ").append(limit);
        }
        if (offset != null) {
            sql.append(limit == null ? " LIMIT -1" : "").append(" OFFSET ").append(offset);
        }
        return statement("SELECT", sql.toString(), params);
    }

    public Statement countStatement() {
        List<Object> params = new ArrayList<>();
        return statement("SELECT", "SELECT COUNT(*) AS \"count\" FROM " + quoteIdentifier(table.name())
                + whereClause(params), params);
    }

    public Statement existsStatement() {
        List<Object> params = new ArrayList<>();
        return statement("SELECT", "SELECT EXISTS(SELECT 1 FROM " + quoteIdentifier(table.name()) + whereClause(params)
                + ") AS \"e\"", params);
    }

    /** One INSERT per run of rows with the same columns, each within the gateway's parameter limit. */
    public List<Statement> insertStatements(List<? extends Map<String, ?>> rows) {
        List<Statement> statements = new ArrayList<>();
        List<Map<String, ?>> run = new ArrayList<>();
        for (Map<String, ?> row : rows) {
            Map<String, ?> ordered = ordered(row);
            if (ordered.isEmpty()) {
                throw new OrmException("cannot insert an empty row into '" + table.name() + "'");
            }
            ordered.keySet().forEach(this::requireColumn);
            boolean sameColumns = run.isEmpty() || run.get(0).keySet().equals(ordered.keySet());
            boolean fits = (run.size() + 1) * ordered.size() <= MAX_PARAMS_PER_STATEMENT;
            if (!run.isEmpty() && (!sameColumns || !fits)) {
                statements.add(insert(run));
                run.clear();
            }
            run.add(ordered);
        }
        statements.add(insert(run));
        return statements;
    }

    private Statement insert(List<Map<String, ?>> rows) {
        List<String> columns = List.copyOf(rows.get(0).keySet());
        String placeholders = "(" + columns.stream().map(c -> "?").collect(Collectors.joining(", ")) + ")";
        List<Object> params = new ArrayList<>();
        rows.forEach(row -> columns.forEach(column -> params.add(bind(column, "insert", row.get(column)))));
        return statement("INSERT", "INSERT INTO " + quoteIdentifier(table.name()) + " ("
                + columns.stream().map(c -> quoteIdentifier(c)).collect(Collectors.joining(", ")) + ") VALUES "
                + rows.stream().map(r -> placeholders).collect(Collectors.joining(", ")), params);
    }

    public Statement updateStatement(Map<String, ?> values) {
        Map<String, ?> ordered = ordered(values);
        if (ordered.isEmpty()) {
            throw new OrmException("update() needs at least one column to set");
        }
        ordered.keySet().forEach(this::requireColumn);
        requireScope("update");
        List<Object> params = new ArrayList<>();
        String assignments = ordered.entrySet().stream().map(entry -> {
            params.add(bind(entry.getKey(), "update", entry.getValue()));
            return quoteIdentifier(entry.getKey()) + " = ?";
        }).collect(Collectors.joining(", "));
        return statement("UPDATE", "UPDATE " + quoteIdentifier(table.name()) + " SET " + assignments
                + whereClause(params), params);
    }

    public Statement deleteStatement() {
        requireScope("delete");
        List<Object> params = new ArrayList<>();
        return statement("DELETE", "DELETE FROM " + quoteIdentifier(table.name()) + whereClause(params), params);
    }

    private Statement statement(String kind, String sql, List<Object> params) {
        if (params.size() > MAX_PARAMS_PER_STATEMENT) {
            throw new OrmException(kind + " on '" + table.name() + "' needs " + params.size()
                    + " parameters; the gateway binds at most " + MAX_PARAMS_PER_STATEMENT + " per statement: use"
                    + " fewer conditions or columns (an in() or notIn() list of more than " + Where.MAX_INLINE_VALUES
                    + " values counts as one)");
        }
        return new Statement(sql, params);
    }

    private String whereClause(List<Object> params) {
        if (groups.isEmpty()) {
            return "";
        }
        Condition where = Where.anyOf(groups.stream().map(group -> Where.allOf(group.toArray(Condition[]::new)))
                .toArray(Condition[]::new));
        return " WHERE " + where.toSql(params);
    }

    private void requireScope(String operation) {
        if (groups.isEmpty() && !all) {
            throw new OrmException(operation + "() on '" + table.name()
                    + "' without where() would touch every row; call all() first if that is meant");
        }
    }

    private void requireColumn(String column) {
        if (table.column(column).isEmpty()) {
            throw new OrmException("no column '" + column + "' in table '" + table.name() + "'; columns: "
                    + table.columns().stream().map(Column::name).toList());
        }
    }

    /** Converts results to the column's type: the gateway cannot tell REAL 2.0 from INTEGER 2. */
    private Row typed(Row row) {
        Map<String, Object> values = new LinkedHashMap<>();
        row.asMap().forEach((name, value) -> {
            Optional<Column> column = table.column(name);
            boolean real = column.isPresent() && column.get().type() == ColumnType.REAL;
            values.put(name, real && value instanceof Long number ? (Object) number.doubleValue() : value);
        });
        return new Row(values);
    }

    private static Object bind(String column, String operation, Object value) {
        return Params.bind("column '" + column + "' of " + operation + "()", value);
    }

    // Map.of has no order; sort its keys so the same call always builds the same SQL.
    private static Map<String, ?> ordered(Map<String, ?> map) {
        return map instanceof LinkedHashMap<String, ?> || map instanceof TreeMap<String, ?> ? map : new TreeMap<>(map);
    }
}
