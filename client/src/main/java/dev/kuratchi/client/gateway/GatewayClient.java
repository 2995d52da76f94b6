package dev.kuratchi.client.gateway;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kuratchi.client.token.DatabaseToken;
import dev.kuratchi.client.token.GatewayKey;
import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import okhttp3.Headers;
import okhttp3.HttpUrl;

/**
 * The data plane of one database: {@code run}, {@code exec}, {@code batch}, {@code first} and {@code raw}, as
 * kuratchi-sdk's HTTP client has them, with typed rows and exceptions instead of {@code {success:false}} values, and
 * its key-value store, {@link #kv()}.
 *
 * <p>Authenticates with the database token alone by default ({@code Authorization: Bearer <token>}), so an app
 * never needs the gateway key; {@link Builder#legacyGatewayKey} selects kuratchi-sdk's header form. Thread-safe.
 */
public final class GatewayClient {
    // What each call reads from the answer: its results (a row, a value, rows of values, each statement's rows).
    private static final GatewayTransport.JsonReader<Optional<Row>> FIRST = results(
            json -> json.currentToken() == JsonToken.VALUE_NULL ? Optional.empty() : Optional.of(SqlValues.row(json)),
            Optional.empty());
    private static final GatewayTransport.JsonReader<Optional<Object>> FIRST_VALUE = results(
            json -> Optional.ofNullable(SqlValues.read(json)), Optional.empty());
    private static final GatewayTransport.JsonReader<List<List<Object>>> RAW = results(
            json -> SqlValues.list(json, row -> SqlValues.list(row, SqlValues::read)), List.of());
    private static final GatewayTransport.JsonReader<List<List<Row>>> BATCH = results(
            json -> SqlValues.list(json, SqlValues::rows), List.of());

    private final ConnectionSource source;
    private final GatewayTransport transport;
    private final GatewayKey legacyGatewayKey;
    private volatile Prepared prepared;

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
        return send("run", statementBody(statement, json -> { }), isReadOnly(statement), GatewayClient::queryResult);
    }

    /** Runs one statement and returns its rows. */
    public List<Row> query(String sql, Object... params) {
        return run(Statement.of(sql, params)).rows();
    }

    /** Runs SQL text without parameters (several statements allowed, applied atomically); the last one's rows. */
    public QueryResult exec(String sql) {
        byte[] body = GatewayTransport.object(json -> json.writeStringField("query", sql));
        return send("exec", body, ReadOnlySql.isReadOnly(sql), GatewayClient::queryResult);
    }

    /** Runs the statements in one transaction: all apply or none do. Returns each statement's rows, in order. */
    public List<List<Row>> batch(List<Statement> statements) {
        if (statements.isEmpty()) {
            throw new IllegalArgumentException("a batch needs at least one statement");
        }
        byte[] body = GatewayTransport.object(json -> {
            json.writeArrayFieldStart("batch");
            for (Statement statement : statements) {
                json.writeStartObject();
                writeStatement(json, statement);
                json.writeEndObject();
            }
            json.writeEndArray();
        });
        boolean readOnly = statements.stream().allMatch(GatewayClient::isReadOnly);
        return send("batch", body, readOnly, BATCH);
    }

    /** The first row, or empty when there is none. */
    public Optional<Row> first(Statement statement) {
        return send("first", statementBody(statement, json -> { }), isReadOnly(statement), FIRST);
    }

    /** One column of the first row; empty when there is no row or the value is NULL. */
    public Optional<Object> firstValue(Statement statement, String column) {
        byte[] body = statementBody(statement, json -> json.writeStringField("columnName", column));
        return send("first", body, isReadOnly(statement), FIRST_VALUE);
    }

    /** Rows as value lists; with {@code columnNames}, the first list holds the column names. */
    public List<List<Object>> raw(Statement statement, boolean columnNames) {
        byte[] body = statementBody(statement, json -> json.writeBooleanField("columnNames", columnNames));
        return send("raw", body, isReadOnly(statement), RAW);
    }

    private static boolean isReadOnly(Statement statement) {
        return ReadOnlySql.isReadOnly(statement.sql());
    }

    /** Reads the answer's {@code results} with {@code read}; {@code none} when there are none. */
    private static <T> GatewayTransport.JsonReader<T> results(GatewayTransport.JsonReader<T> read, T none) {
        return json -> {
            T results = none;
            while (json.nextToken() == JsonToken.FIELD_NAME) {
                boolean isResults = json.currentName().equals("results");
                json.nextToken();
                if (isResults) {
                    results = read.read(json);
                } else {
                    json.skipChildren();
                }
            }
            return results;
        };
    }

    private static QueryResult queryResult(JsonParser json) throws IOException {
        List<Row> rows = List.of();
        long rowsRead = 0;
        long rowsWritten = 0;
        while (json.nextToken() == JsonToken.FIELD_NAME) {
            String field = json.currentName();
            json.nextToken();
            if (field.equals("results")) {
                rows = SqlValues.rows(json);
            } else if (field.equals("meta") && json.currentToken() == JsonToken.START_OBJECT) {
                while (json.nextToken() == JsonToken.FIELD_NAME) {
                    String count = json.currentName();
                    json.nextToken();
                    if (count.equals("rowsRead")) {
                        rowsRead = json.getValueAsLong(0);
                    } else if (count.equals("rowsWritten")) {
                        rowsWritten = json.getValueAsLong(0);
                    }
                    json.skipChildren();
                }
            } else {
                json.skipChildren();
            }
        }
        return new QueryResult(rows, rowsRead, rowsWritten);
    }

    private static byte[] statementBody(Statement statement, GatewayTransport.Body more) {
        return GatewayTransport.object(json -> {
            writeStatement(json, statement);
            more.write(json);
        });
    }

    private static void writeStatement(JsonGenerator json, Statement statement) throws IOException {
        json.writeStringField("query", statement.sql());
        json.writeArrayFieldStart("params");
        List<Object> params = statement.params();
        for (int i = 0; i < params.size(); i++) {
            SqlValues.write(json, params.get(i));
        }
        json.writeEndArray();
    }

    // A refused token may just be an old one: the operator renewed it and the mounted Secret has the new one.
    // A 401 means nothing ran, so sending once more with the reloaded token is always safe.
    JsonNode send(String operation, ObjectNode body, boolean readOnly) {
        return send(operation, GatewayTransport.serialize(body), readOnly, GatewayTransport.WHOLE);
    }

    private <T> T send(String operation, byte[] payload, boolean readOnly, GatewayTransport.JsonReader<T> answer) {
        Prepared prepared = prepared(source.current());
        try {
            return transport.call("POST", prepared.url(operation), prepared.headers, payload, readOnly, answer);
        } catch (GatewayException e) {
            if (!e.isAuthenticationFailure()) {
                throw e;
            }
            GatewayConnection connection = prepared.connection;
            GatewayConnection reloaded = source.reload();
            if (reloaded.token().equals(connection.token()) && reloaded.endpoint().equals(connection.endpoint())) {
                throw e;
            }
            Prepared again = prepared(reloaded);
            return transport.call("POST", again.url(operation), again.headers, payload, readOnly, answer);
        }
    }

    // The URLs and headers of one connection, made once: parsing a URL (OkHttp maps the host through IDNA) and
    // checking header values on every call were most of the client's own work per query. A source that changes
    // (a mounted Secret with a renewed token) hands out a new GatewayConnection, which gets new ones.
    private Prepared prepared(GatewayConnection connection) {
        Prepared seen = prepared;
        if (seen != null && seen.connection == connection) {
            return seen;
        }
        Prepared made = new Prepared(connection, headers(connection));
        prepared = made;
        return made;
    }

    private Headers headers(GatewayConnection connection) {
        if (legacyGatewayKey != null) {
            return Headers.of("x-db-name", connection.databaseName(),
                    "authorization", "Bearer " + legacyGatewayKey.reveal(), "x-db-token", connection.token().reveal());
        }
        return Headers.of("x-db-name", connection.databaseName(),
                "authorization", "Bearer " + connection.token().reveal());
    }

    /** Holds credentials: its toString names the database only. */
    private static final class Prepared {
        final GatewayConnection connection;
        final Headers headers;
        private final Map<String, HttpUrl> urls = new ConcurrentHashMap<>();

        Prepared(GatewayConnection connection, Headers headers) {
            this.connection = connection;
            this.headers = headers;
        }

        HttpUrl url(String operation) {
            HttpUrl url = urls.get(operation);
            if (url == null) {
                url = HttpUrl.get(connection.resolve("/api/" + operation).toString());
                urls.put(operation, url);
            }
            return url;
        }

        @Override
        public String toString() {
            return "Prepared[database=" + connection.databaseName() + "]";
        }
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
