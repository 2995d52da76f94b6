package dev.kuratchi.client.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kuratchi.client.token.DatabaseToken;
import dev.kuratchi.client.token.GatewayKey;
import dev.kuratchi.client.token.Tokens;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.junit.jupiter.api.Test;

/**
 * What the data-plane client writes and how it reads answers, against an in-process stand-in for the gateway: the
 * request bodies it writes straight with Jackson's generator, the answers it reads straight from the parser (and,
 * when they come in another form, through a tree), and the URL and headers it keeps per connection.
 */
class GatewayClientTest {
    private static final Tokens TOKENS = new Tokens(GatewayKey.of("k"), Clock.systemUTC());
    private static final MediaType JSON = MediaType.get("application/json");

    private final Deque<String[]> answers = new ArrayDeque<>();
    private final List<Request> sent = Collections.synchronizedList(new ArrayList<>());
    private final OkHttpClient gateway = new OkHttpClient.Builder().addInterceptor(chain -> {
        sent.add(chain.request());
        String[] answer;
        synchronized (answers) {
            answer = answers.isEmpty() ? new String[] {"200", "{\"success\":true,\"results\":[]}"} : answers.poll();
        }
        return new Response.Builder().request(chain.request()).protocol(Protocol.HTTP_1_1)
                .code(Integer.parseInt(answer[0])).message("-").body(ResponseBody.create(answer[1], JSON)).build();
    }).build();

    private GatewayClient client(ConnectionSource source) {
        return GatewayClient.builder().connectionSource(source)
                .transport(new GatewayTransport(gateway, RetryPolicy.NONE, pause -> { })).build();
    }

    private GatewayClient client() {
        return client(connection("http://gateway.test", TOKENS.issue("acme", Duration.ofMinutes(5))));
    }

    private static GatewayConnection connection(String endpoint, DatabaseToken token) {
        return new GatewayConnection(URI.create(endpoint), token.databaseName(), token);
    }

    private void answer(int status, String body) {
        answers.add(new String[] {String.valueOf(status), body});
    }

    private static String body(Request request) throws IOException {
        okio.Buffer buffer = new okio.Buffer();
        request.body().writeTo(buffer);
        return buffer.readUtf8();
    }

    // What the client wrote before it wrote straight: a tree of the same fields, serialized by the mapper.
    private static String asTreeWouldWrite(Statement statement, Map<String, Object> more) throws IOException {
        JsonNodeFactory nodes = JsonNodeFactory.instance;
        ObjectNode body = nodes.objectNode().put("query", statement.sql());
        ArrayNode params = body.putArray("params");
        for (Object value : statement.params()) {
            if (value instanceof byte[] bytes) {
                params.add(nodes.objectNode().put("$blob", Base64.getEncoder().encodeToString(bytes)));
            } else {
                params.add(GatewayTransport.JSON.valueToTree(value));
            }
        }
        more.forEach((name, value) -> body.set(name, GatewayTransport.JSON.valueToTree(value)));
        return new String(GatewayTransport.JSON.writeValueAsBytes(body), StandardCharsets.UTF_8);
    }

    @Test
    void statementsAreWrittenByteForByteAsATreeOfTheSameFieldsWouldBe() throws IOException {
        Statement statement = Statement.of("SELECT ? -- \"quoted\" \\ back\tslash\n\u0001 é 😀 \u2028",
                "text with \"quotes\", \\, \n, \u0000, \u001f, é, 😀, a broken surrogate \ud800 here",
                9_007_199_254_740_992L,
                -9_007_199_254_740_992L, 0, 1.0, -0.0, 1e-7, 1e21, 0.1, 123456.789, true, false, null,
                new byte[] {0, 1, (byte) 254, (byte) 255}, java.time.Instant.ofEpochMilli(1_700_000_000_123L));
        GatewayClient db = client();
        answer(200, "{\"success\":true,\"results\":null}");
        answer(200, "{\"success\":true,\"results\":null}");
        answer(200, "{\"success\":true,\"results\":[]}");

        db.run(statement);
        db.firstValue(statement, "x \"y\"");
        db.raw(statement, true);

        assertThat(body(sent.get(0))).isEqualTo(asTreeWouldWrite(statement, Map.of()));
        assertThat(body(sent.get(1))).isEqualTo(asTreeWouldWrite(statement, Map.of("columnName", "x \"y\"")));
        assertThat(body(sent.get(2))).isEqualTo(asTreeWouldWrite(statement, Map.of("columnNames", true)));
    }

    @Test
    void execAndBatchBodiesAreTheirFieldsAsJson() throws IOException {
        GatewayClient db = client();
        answer(200, "{\"success\":true,\"results\":[]}");
        answer(200, "{\"success\":true,\"results\":[[],[]]}");

        db.exec("CREATE TABLE t (a); INSERT INTO t VALUES ('x')");
        db.batch(List.of(Statement.of("INSERT INTO t VALUES (?)", "a\"b"), Statement.of("SELECT 1")));

        assertThat(body(sent.get(0))).isEqualTo("{\"query\":\"CREATE TABLE t (a); INSERT INTO t VALUES ('x')\"}");
        assertThat(body(sent.get(1))).isEqualTo("{\"batch\":[{\"query\":\"INSERT INTO t VALUES (?)\",\"params\":"
                + "[\"a\\\"b\"]},{\"query\":\"SELECT 1\",\"params\":[]}]}");
    }

    @Test
    void answersReadStraightAndThroughTheTreeGiveTheSameValues() {
        String row = "{\"i\":42,\"big\":9007199254740993,\"whole\":21.0,\"f\":21.5,\"s\":\"h\\u00e9\\\"\",\"n\":null,"
                + "\"t\":true}";
        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("i", 42L);
        expected.put("big", 9_007_199_254_740_993L);
        expected.put("whole", 21L);
        expected.put("f", 21.5);
        expected.put("s", "hé\"");
        expected.put("n", null);
        expected.put("t", 1L);
        String meta = "\"meta\":{\"rowsRead\":3,\"rowsWritten\":2,\"duration\":0.1}";
        // The gateway writes "success" first; an answer in another order is read through the tree.
        for (boolean successFirst : List.of(true, false)) {
            GatewayClient db = client();
            for (String results : List.of(row, "[" + row + "," + row + "]", "\"value\"", "[[1,\"a\"],[null,2.5]]",
                    "[[" + row + "],[]]", "null", "{\"b\":{\"$blob\":\"AAH+/w==\"},\"e\":{\"$blob\":\"\"}}")) {
                answer(200, successFirst ? "{\"success\":true,\"results\":" + results + "," + meta + "}"
                        : "{" + meta + ",\"results\":" + results + ",\"success\":true}");
            }
            Row first = db.first(Statement.of("SELECT 1")).orElseThrow();
            QueryResult run = db.run(Statement.of("SELECT 2"));
            Optional<Object> value = db.firstValue(Statement.of("SELECT 3"), "v");
            List<List<Object>> raw = db.raw(Statement.of("SELECT 4"), false);
            List<List<Row>> batch = db.batch(List.of(Statement.of("SELECT 5"), Statement.of("SELECT 6")));
            Optional<Row> none = db.first(Statement.of("SELECT 7"));
            Row blobs = db.first(Statement.of("SELECT 8")).orElseThrow();

            assertThat(first.asMap()).isEqualTo(expected);
            assertThat(first.columns()).containsExactlyElementsOf(expected.keySet());
            assertThat(run.rows()).containsExactly(first, first);
            assertThat(run.rowsRead()).isEqualTo(3);
            assertThat(run.rowsWritten()).isEqualTo(2);
            assertThat(value).contains("value");
            assertThat(raw).isEqualTo(List.of(List.of(1L, "a"), java.util.Arrays.asList(null, 2.5)));
            assertThat(batch).isEqualTo(List.of(List.of(first), List.of()));
            assertThat(none).isEmpty();
            assertThat(blobs.getBytes("b")).containsExactly(0, 1, 254, 255);
            assertThat(blobs.getBytes("e")).isEmpty();
        }
    }

    @Test
    void aValueOfAShapeNoColumnHoldsIsAnInvalidResponseEitherWay() {
        GatewayClient db = client();
        answer(200, "{\"success\":true,\"results\":{\"a\":[1]}}");
        answer(200, "{\"results\":{\"a\":{\"$blob\":\"AA==\",\"more\":1}},\"success\":true}");
        for (String shape : List.of("ARRAY", "OBJECT")) {
            assertThatThrownBy(() -> db.first(Statement.of("SELECT 1"))).isInstanceOfSatisfying(GatewayException.class,
                    e -> {
                        assertThat(e.code()).isEqualTo("invalid_response");
                        assertThat(e.getMessage()).isEqualTo("unexpected value in a result row: " + shape);
                    });
        }
    }

    @Test
    void aRefusalIsTheGatewaysEvenWhenItsOtherFieldsCannotBeReadAsResults() {
        GatewayClient db = client();
        answer(400, "{\"success\":false,\"results\":{\"a\":[1]},\"error\":\"no such table: t\","
                + "\"code\":\"sql_error\"}");
        answer(200, "{\"success\":false,\"error\":\"odd\",\"code\":\"odd\"}");
        answer(200, "not json");
        answer(200, "{\"success\":true,\"results\":{\"a\":1},\"success\":false,\"error\":\"late\","
                + "\"code\":\"late\"}");
        assertThatThrownBy(() -> db.first(Statement.of("SELECT * FROM t"))).isInstanceOfSatisfying(
                GatewayException.class, e -> assertThat(e.code()).isEqualTo("sql_error"));
        assertThatThrownBy(() -> db.first(Statement.of("SELECT 1"))).isInstanceOfSatisfying(
                GatewayException.class, e -> assertThat(e.code()).isEqualTo("odd"));
        assertThatThrownBy(() -> db.first(Statement.of("SELECT 1"))).isInstanceOfSatisfying(
                GatewayException.class, e -> assertThat(e.code()).isEqualTo("http_200"));
        assertThatThrownBy(() -> db.first(Statement.of("SELECT 1"))).as("the last success is the answer's")
                .isInstanceOfSatisfying(GatewayException.class, e -> assertThat(e.code()).isEqualTo("late"));
    }

    @Test
    void theUrlAndHeadersFollowTheConnectionSourceWhenItChanges() {
        DatabaseToken first = TOKENS.issue("acme", Duration.ofMinutes(5));
        DatabaseToken renewed = TOKENS.issue("acme", Duration.ofMinutes(5));
        AtomicReference<GatewayConnection> current = new AtomicReference<>(connection("http://one.test", first));
        GatewayClient db = client(current::get);

        db.first(Statement.of("SELECT 1"));
        db.first(Statement.of("SELECT 1"));
        current.set(connection("http://two.test/base/", renewed));
        db.first(Statement.of("SELECT 1"));
        db.run(Statement.of("SELECT 1"));

        assertThat(sent).extracting(r -> r.url().toString()).containsExactly("http://one.test/api/first",
                "http://one.test/api/first", "http://two.test/base/api/first", "http://two.test/base/api/run");
        assertThat(sent).extracting(r -> r.header("authorization")).containsExactly("Bearer " + first.reveal(),
                "Bearer " + first.reveal(), "Bearer " + renewed.reveal(), "Bearer " + renewed.reveal());
        assertThat(sent).extracting(r -> r.header("x-db-name")).containsOnly("acme");
    }

    @Test
    void aRefusedTokenIsSentOnceMoreWithTheReloadedOne() {
        DatabaseToken old = TOKENS.issue("acme", Duration.ofMinutes(5));
        DatabaseToken renewed = TOKENS.issue("acme", Duration.ofMinutes(5));
        GatewayConnection before = connection("http://gateway.test", old);
        GatewayConnection after = connection("http://gateway.test", renewed);
        GatewayClient db = client(new ConnectionSource() {
            private GatewayConnection connection = before;

            @Override
            public GatewayConnection current() {
                return connection;
            }

            @Override
            public GatewayConnection reload() {
                connection = after;
                return connection;
            }
        });
        answer(401, "{\"success\":false,\"error\":\"Token revoked\",\"code\":\"token_revoked\"}");
        answer(200, "{\"success\":true,\"results\":{\"a\":1}}");
        answer(200, "{\"success\":true,\"results\":{\"a\":2}}");

        assertThat(db.first(Statement.of("SELECT 1")).orElseThrow().getLong("a")).isEqualTo(1);
        assertThat(db.first(Statement.of("SELECT 1")).orElseThrow().getLong("a")).isEqualTo(2);
        assertThat(sent).extracting(r -> r.header("authorization")).containsExactly("Bearer " + old.reveal(),
                "Bearer " + renewed.reveal(), "Bearer " + renewed.reveal());
    }

    @Test
    void callsFromManyThreadsNeverSendOneConnectionsTokenToAnothersEndpoint() throws Exception {
        List<GatewayConnection> connections = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            connections.add(connection("http://gateway-" + i + ".test", TOKENS.issue("acme", Duration.ofMinutes(5))));
        }
        // A source that changes under the calls, as a mounted Secret can while other threads query.
        GatewayClient db = client(() -> connections.get(ThreadLocalRandom.current().nextInt(connections.size())));
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                done.add(threads.submit(() -> {
                    for (int i = 0; i < 500; i++) {
                        db.first(Statement.of("SELECT ?", i));
                    }
                }));
            }
            for (Future<?> future : done) {
                future.get();
            }
        } finally {
            threads.shutdownNow();
        }
        assertThat(sent).hasSize(2000);
        for (Request request : sent) {
            GatewayConnection to = connections.stream()
                    .filter(c -> request.url().host().equals(c.endpoint().getHost())).findFirst().orElseThrow();
            assertThat(request.header("authorization")).isEqualTo("Bearer " + to.token().reveal());
        }
    }

    @Test
    void theWholeAnswerOfAnyOtherCallIsTheTreeItWas() {
        answer(200, "{\"success\":true,\"keys\":[{\"name\":\"a\",\"expiration\":null}],\"cursor\":null,\"n\":1.5}");
        answer(200, "{\"keys\":[],\"success\":1}");
        GatewayClient db = client();
        JsonNode straight = db.send("kv/list", JsonNodeFactory.instance.objectNode(), true);
        JsonNode throughTheTree = db.send("kv/list", JsonNodeFactory.instance.objectNode(), true);

        assertThat(straight.toString()).isEqualTo(
                "{\"success\":true,\"keys\":[{\"name\":\"a\",\"expiration\":null}],\"cursor\":null,\"n\":1.5}");
        assertThat(throughTheTree.toString()).isEqualTo("{\"keys\":[],\"success\":1}");
    }
}
