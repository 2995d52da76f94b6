package dev.kuratchi.client.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BinaryNode;
import com.sun.net.httpserver.HttpServer;
import dev.kuratchi.client.token.GatewayKey;
import dev.kuratchi.client.token.Tokens;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the key-value client sends and how it reads the answers, against a scripted server: the cases the real
 * Worker cannot produce on demand (bytes that are not UTF-8, a 5xx after a put or a delete).
 */
class KeyValueStoreTest {
    private record Sent(String path, JsonNode body) {}

    private HttpServer server;
    private final Deque<String[]> answers = new ArrayDeque<>();
    private final List<Sent> sent = new ArrayList<>();
    private KeyValueStore kv;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            sent.add(new Sent(exchange.getRequestURI().getPath(),
                    GatewayTransport.JSON.readTree(exchange.getRequestBody().readAllBytes())));
            String[] answer = answers.isEmpty() ? new String[] {"200", "{\"success\":true}"} : answers.poll();
            byte[] body = answer[1].getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(Integer.parseInt(answer[0]), body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        URI endpoint = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        kv = GatewayClient.builder()
                .connection(endpoint, new Tokens(GatewayKey.of("k"), Clock.systemUTC()).issue("acme", Duration.ofMinutes(1)))
                .transport(new GatewayTransport(null, new RetryPolicy(3, Duration.ZERO, Duration.ZERO), pause -> {}))
                .build()
                .kv();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private void answer(int status, String body) {
        answers.add(new String[] {String.valueOf(status), body});
    }

    private static JsonNode json(String text) throws IOException {
        return GatewayTransport.JSON.readTree(text);
    }

    @Test
    void putsSendTheEncodingTheMetadataAndTheExpiryInSeconds() throws IOException {
        kv.putText("greeting", "héllo");
        kv.putBytes("avatar", new byte[] {0, 1, (byte) 254, (byte) 255},
                KeyValueStore.PutOptions.defaults().withExpiresAt(Instant.ofEpochSecond(2_000_000_000L, 999_000_000)));
        kv.putJson("settings", json("{\"theme\":\"dark\"}"),
                KeyValueStore.PutOptions.defaults().withMetadata(json("{\"v\":2}")).withTtl(Duration.ofMillis(90_500)));

        assertThat(sent).extracting(Sent::path).containsOnly("/api/kv/put");
        assertThat(sent.get(0).body()).isEqualTo(json("{\"key\":\"greeting\",\"value\":\"héllo\",\"encoding\":\"text\"}"));
        assertThat(sent.get(1).body()).isEqualTo(json(
                "{\"key\":\"avatar\",\"value\":\"AAH+/w==\",\"encoding\":\"base64\",\"expiration\":2000000000}"));
        assertThat(sent.get(2).body()).isEqualTo(json("{\"key\":\"settings\",\"value\":{\"theme\":\"dark\"},"
                + "\"encoding\":\"json\",\"metadata\":{\"v\":2},\"expirationTtl\":90}"));
    }

    @Test
    void aLaterExpiryFormReplacesTheEarlierAndTheConstructorRefusesBoth() {
        KeyValueStore.PutOptions options = KeyValueStore.PutOptions.defaults()
                .withTtl(Duration.ofMinutes(5)).withExpiresAt(Instant.ofEpochSecond(2_000_000_000L));
        assertThat(options.ttl()).isNull();
        assertThatThrownBy(() -> new KeyValueStore.PutOptions(null, Instant.now(), Duration.ofMinutes(5)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not both");
    }

    @Test
    void eachGetterAsksForItsTypeAndConvertsWhateverEncodingComesBack() throws IOException {
        answer(200, "{\"success\":true,\"value\":\"/w==\",\"metadata\":null,\"encoding\":\"base64\"}");
        answer(200, "{\"success\":true,\"value\":{\"a\":[1,true]},\"metadata\":{\"m\":1},\"encoding\":\"json\"}");
        answer(200, "{\"success\":true,\"value\":{\"a\":1},\"metadata\":null,\"encoding\":\"json\"}");
        answer(200, "{\"success\":true,\"value\":\"aMOp\",\"metadata\":null,\"encoding\":\"base64\"}");
        answer(200, "{\"success\":true,\"value\":\"plain\",\"metadata\":null,\"encoding\":\"text\"}");

        assertThatThrownBy(() -> kv.getText("binary")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("'binary' is bytes that are not UTF-8");
        assertThat(kv.getTextWithMetadata("object")).contains(new KeyValueStore.Entry<>("{\"a\":[1,true]}", json("{\"m\":1}")));
        assertThat(kv.getBytes("object")).hasValueSatisfying(
                bytes -> assertThat(new String(bytes, StandardCharsets.UTF_8)).isEqualTo("{\"a\":1}"));
        assertThat(kv.getJson("bytes")).contains(BinaryNode.valueOf("hé".getBytes(StandardCharsets.UTF_8)));
        assertThat(kv.getJson("text")).contains(json("\"plain\""));

        assertThat(sent).extracting(s -> s.body().toString()).containsExactly(
                "{\"key\":\"binary\",\"type\":\"text\",\"withMetadata\":false}",
                "{\"key\":\"object\",\"type\":\"text\",\"withMetadata\":true}",
                "{\"key\":\"object\",\"type\":\"arrayBuffer\",\"withMetadata\":false}",
                "{\"key\":\"bytes\",\"type\":\"json\",\"withMetadata\":false}",
                "{\"key\":\"text\",\"type\":\"json\",\"withMetadata\":false}");
    }

    @Test
    void aListPageCarriesOnlyTheGivenOptionsAndReadsExpiryAndMetadata() throws IOException {
        answer(200, "{\"success\":true,\"keys\":[{\"name\":\"a\",\"expiration\":2000000000,\"metadata\":{\"m\":1}},"
                + "{\"name\":\"b\"}],\"list_complete\":false,\"cursor\":\"Yg==\",\"cacheStatus\":null}");
        KeyValueStore.Page page = kv.list(KeyValueStore.ListOptions.prefixed("p").withEnd("z").withLimit(2).reversed(), "YQ==");

        assertThat(sent.get(0).path()).isEqualTo("/api/kv/list");
        assertThat(sent.get(0).body()).isEqualTo(
                json("{\"prefix\":\"p\",\"end\":\"z\",\"limit\":2,\"reverse\":true,\"cursor\":\"YQ==\"}"));
        assertThat(page).isEqualTo(new KeyValueStore.Page(List.of(
                new KeyValueStore.Key("a", Optional.of(Instant.ofEpochSecond(2_000_000_000L)), json("{\"m\":1}")),
                new KeyValueStore.Key("b", Optional.empty(), null)), false, Optional.of("Yg==")));
    }

    @Test
    void readsAndPutsAreRepeatedAfterA5xxButADeleteIsNotBecauseItsAnswerWouldBeWrong() {
        String unavailable = "{\"success\":false,\"error\":\"Database is temporarily unavailable; retry\","
                + "\"code\":\"database_unavailable\"}";
        answer(503, unavailable);
        answer(200, "{\"success\":true,\"value\":null,\"metadata\":null,\"encoding\":\"text\"}");
        assertThat(kv.getText("k")).isEmpty();
        answer(503, unavailable);
        kv.putText("k", "v");
        answer(503, unavailable);
        answer(200, "{\"success\":true,\"deleted\":false}");
        assertThatThrownBy(() -> kv.delete("k")).isInstanceOfSatisfying(GatewayException.class,
                e -> assertThat(e.code()).isEqualTo("database_unavailable"));

        assertThat(sent).extracting(Sent::path)
                .containsExactly("/api/kv/get", "/api/kv/get", "/api/kv/put", "/api/kv/put", "/api/kv/delete");
    }

    @Test
    void anEmptyKeyIsRefusedBeforeAnythingIsSent() {
        assertThatThrownBy(() -> kv.getText("")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must not be null or empty");
        assertThatThrownBy(() -> kv.delete(null)).isInstanceOf(IllegalArgumentException.class);
        assertThat(sent).isEmpty();
    }
}
