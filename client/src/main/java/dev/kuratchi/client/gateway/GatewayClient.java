package dev.kuratchi.client.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kuratchi.client.token.DatabaseToken;
import dev.kuratchi.client.token.GatewayKey;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The data plane of one database: {@code run}, {@code exec}, {@code batch}, {@code first} and {@code raw}, as
 * kuratchi-sdk's HTTP client has them, with typed rows and exceptions instead of {@code {success:false}} values, and
 * its key-value store, {@link #kv()}.
 *
 * <p>Authenticates with the database token alone by default ({@code Authorization: Bearer <token>}), so an app
 * never needs the gateway key; {@link Builder#legacyGatewayKey} selects kuratchi-sdk's header form. Thread-safe.
 */
public final class GatewayClient {
    private final ConnectionSource source;
    private final GatewayTransport transport;
    private final GatewayKey legacyGatewayKey;

    private GatewayClient(Builder builder) {
        this.source = Objects.requireNonNull(builder.source, "a connection (endpoint, database, token) is required");
        this.transport = builder.transport;
        this.legacyGatewayKey = builder.legacyGatewayKey;
    }

    public static Builder builder() {
        return new Builder();
    }

    public String databaseName() {
        return source.current().databaseName();
    }

    /** The database's key-value store, over this client's connection and credentials. */
    public KeyValueStore kv() {
        return new KeyValueStore(this);
    }

    /** Runs one statement and returns its rows and counts. */
    public QueryResult run(Statement statement) {
        return queryResult(send("run", statementBody(statement), ReadOnlySql.isReadOnly(statement.sql())));
    }

    /** Runs one statement and returns its rows. */
    public List<Row> query(String sql, Object... params) {
        return run(Statement.of(sql, params)).rows();
    }

    /** Runs SQL text without parameters (several statements allowed, applied atomically); the last one's rows. */
    public QueryResult exec(String sql) {
        ObjectNode body = GatewayTransport.JSON.createObjectNode().put("query", sql);
        return queryResult(send("exec", body, ReadOnlySql.isReadOnly(sql)));
    }

    /** Runs the statements in one transaction: all apply or none do. Returns each statement's rows, in order. */
    public List<List<Row>> batch(List<Statement> statements) {
        if (statements.isEmpty()) {
            throw new IllegalArgumentException("a batch needs at least one statement");
        }
        ObjectNode body = GatewayTransport.JSON.createObjectNode();
        ArrayNode batch = body.putArray("batch");
        statements.forEach(statement -> batch.add(statementBody(statement)));
        boolean readOnly = statements.stream().allMatch(s -> ReadOnlySql.isReadOnly(s.sql()));
        List<List<Row>> results = new ArrayList<>();
        send("batch", body, readOnly).path("results").forEach(rows -> results.add(SqlValues.rows(rows)));
        return results;
    }

    /** The first row, or empty when there is none. */
    public Optional<Row> first(Statement statement) {
        JsonNode results = send("first", statementBody(statement), ReadOnlySql.isReadOnly(statement.sql())).path("results");
        return results.isNull() || results.isMissingNode() ? Optional.empty() : Optional.of(SqlValues.row(results));
    }

    /** One column of the first row; empty when there is no row or the value is NULL. */
    public Optional<Object> firstValue(Statement statement, String column) {
        ObjectNode body = statementBody(statement).put("columnName", column);
        return Optional.ofNullable(
                SqlValues.fromJson(send("first", body, ReadOnlySql.isReadOnly(statement.sql())).path("results")));
    }

    /** Rows as value lists; with {@code columnNames}, the first list holds the column names. */
    public List<List<Object>> raw(Statement statement, boolean columnNames) {
        ObjectNode body = statementBody(statement).put("columnNames", columnNames);
        List<List<Object>> rows = new ArrayList<>();
        send("raw", body, ReadOnlySql.isReadOnly(statement.sql())).path("results").forEach(row -> {
            List<Object> values = new ArrayList<>(row.size());
            row.forEach(value -> values.add(SqlValues.fromJson(value)));
            rows.add(values);
        });
        return rows;
    }

    private static QueryResult queryResult(JsonNode answer) {
        JsonNode meta = answer.path("meta");
        return new QueryResult(SqlValues.rows(answer.path("results")), meta.path("rowsRead").asLong(0),
                meta.path("rowsWritten").asLong(0));
    }

    private static ObjectNode statementBody(Statement statement) {
        ObjectNode body = GatewayTransport.JSON.createObjectNode().put("query", statement.sql());
        ArrayNode params = body.putArray("params");
        statement.params().forEach(value -> params.add(SqlValues.toJson(value)));
        return body;
    }

    // A refused token may just be an old one: the operator renewed it and the mounted Secret has the new one.
    // A 401 means nothing ran, so sending once more with the reloaded token is always safe.
    JsonNode send(String operation, ObjectNode body, boolean readOnly) {
        GatewayConnection connection = source.current();
        try {
            return transport.call("POST", connection.resolve("/api/" + operation), headers(connection), body, readOnly);
        } catch (GatewayException e) {
            if (!e.isAuthenticationFailure()) {
                throw e;
            }
            GatewayConnection reloaded = source.reload();
            if (reloaded.token().equals(connection.token()) && reloaded.endpoint().equals(connection.endpoint())) {
                throw e;
            }
            return transport.call("POST", reloaded.resolve("/api/" + operation), headers(reloaded), body, readOnly);
        }
    }

    private Map<String, String> headers(GatewayConnection connection) {
        if (legacyGatewayKey != null) {
            return Map.of("x-db-name", connection.databaseName(), "authorization", "Bearer " + legacyGatewayKey.reveal(),
                    "x-db-token", connection.token().reveal());
        }
        return Map.of("x-db-name", connection.databaseName(), "authorization", "Bearer " + connection.token().reveal());
    }

    @Override
    public String toString() {
        return "GatewayClient[database=" + databaseName() + "]";
    }

    public static final class Builder {
        private ConnectionSource source;
        private GatewayTransport transport = GatewayTransport.withDefaults();
        private GatewayKey legacyGatewayKey;

        /** A fixed endpoint and token (the database is the token's). */
        public Builder connection(URI endpoint, DatabaseToken token) {
            return connectionSource(new GatewayConnection(endpoint, token.databaseName(), token));
        }

        /** A connection that can change between calls, such as a mounted Secret. */
        public Builder connectionSource(ConnectionSource source) {
            this.source = source;
            return this;
        }

        public Builder transport(GatewayTransport transport) {
            this.transport = transport;
            return this;
        }

        /**
         * kuratchi-sdk's header form: the gateway key as {@code Authorization: Bearer} plus {@code x-db-token}. Only
         * for apps that already hold the key; new apps should not.
         */
        public Builder legacyGatewayKey(GatewayKey key) {
            this.legacyGatewayKey = key;
            return this;
        }

        public GatewayClient build() {
            return new GatewayClient(this);
        }
    }
}
