package dev.kuratchi.client.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The transport against a scripted local HTTP server: retries, Retry-After and error mapping. */
class GatewayTransportTest {
    private record Answer(int status, String body, Map<String, String> headers) {}

    private HttpServer server;
    private final Deque<Answer> answers = new ArrayDeque<>();
    private final AtomicInteger requests = new AtomicInteger();
    private final List<Duration> pauses = new ArrayList<>();
    private GatewayTransport transport;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            requests.incrementAndGet();
            exchange.getRequestBody().readAllBytes();
            Answer answer = answers.isEmpty() ? new Answer(200, "{\"success\":true}", Map.of()) : answers.poll();
            answer.headers().forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
            byte[] body = answer.body().getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(answer.status(), body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        transport = new GatewayTransport(null, new RetryPolicy(3, Duration.ofMillis(10), Duration.ofSeconds(2)),
                pauses::add);
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/api/run");
    }

    private void answer(int status, String body) {
        answers.add(new Answer(status, body, Map.of()));
    }

    @Test
    void aReadIsRepeatedAfter5xxWithBackoff() {
        answer(503, "{\"success\":false,\"error\":\"Database is temporarily unavailable; retry\",\"code\":\"database_unavailable\"}");
        answer(502, "Bad gateway");
        answer(200, "{\"success\":true,\"results\":[]}");
        assertThat(transport.call("POST", url(), Map.of(), Map.of("query", "SELECT 1"), true).path("success").asBoolean())
                .isTrue();
        assertThat(requests).hasValue(3);
        assertThat(pauses).containsExactly(Duration.ofMillis(10), Duration.ofMillis(20));
    }

    @Test
    void aWriteIsNotRepeatedAfter5xxBecauseItMayHaveBeenApplied() {
        answer(503, "{\"success\":false,\"error\":\"Database is temporarily unavailable; retry\",\"code\":\"database_unavailable\"}");
        assertThatThrownBy(() -> transport.call("POST", url(), Map.of(), Map.of("query", "INSERT"), false))
                .isInstanceOfSatisfying(GatewayException.class, e -> {
                    assertThat(e.status()).isEqualTo(503);
                    assertThat(e.code()).isEqualTo("database_unavailable");
                });
        assertThat(requests).hasValue(1);
    }

    @Test
    void rateLimitedCallsWaitForRetryAfterEvenWhenTheyWrite() {
        answers.add(new Answer(429, "{\"success\":false,\"error\":\"slow down\",\"code\":\"rate_limited\"}",
                Map.of("Retry-After", "1")));
        transport.call("POST", url(), Map.of(), Map.of("query", "INSERT"), false);
        assertThat(requests).hasValue(2);
        assertThat(pauses).containsExactly(Duration.ofSeconds(1));
    }

    @Test
    void clientErrorsAreMappedAndNeverRetried() {
        answer(400, "{\"success\":false,\"error\":\"statement 2: UNIQUE constraint failed: t.id: SQLITE_CONSTRAINT\","
                + "\"code\":\"sql_error\",\"sqliteCode\":\"SQLITE_CONSTRAINT\",\"index\":2}");
        assertThatThrownBy(() -> transport.call("POST", url(), Map.of(), Map.of(), true))
                .isInstanceOfSatisfying(GatewayException.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.code()).isEqualTo("sql_error");
                    assertThat(e.sqliteCode()).isEqualTo("SQLITE_CONSTRAINT");
                    assertThat(e.statementIndex()).isEqualTo(2);
                    assertThat(e.getMessage()).startsWith("statement 2: UNIQUE");
                });
        assertThat(requests).hasValue(1);
    }

    @Test
    void aNonJsonAnswerSaysSoWithoutQuotingTheBody() {
        answer(404, "There is nothing here yet. secret-looking-text");
        assertThatThrownBy(() -> transport.call("POST", url(), Map.of(), Map.of(), true))
                .isInstanceOfSatisfying(GatewayException.class, e -> {
                    assertThat(e.status()).isEqualTo(404);
                    assertThat(e.getMessage()).contains("without a JSON body").doesNotContain("secret-looking-text");
                });
    }

    @Test
    void aConnectionThatCannotBeMadeIsRetriedEvenForWritesThenReported() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        URI nowhere = URI.create("http://127.0.0.1:" + closedPort + "/api/run");
        assertThatThrownBy(() -> transport.call("POST", nowhere, Map.of("authorization", "Bearer the-token"),
                Map.of(), false))
                .isInstanceOfSatisfying(GatewayException.class, e -> {
                    assertThat(e.status()).isZero();
                    assertThat(e.code()).isEqualTo("unreachable");
                    assertThat(e.getMessage()).doesNotContain("the-token");
                });
        assertThat(pauses).hasSize(2);
    }
}
