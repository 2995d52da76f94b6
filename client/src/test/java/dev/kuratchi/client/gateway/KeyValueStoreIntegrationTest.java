package dev.kuratchi.client.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BinaryNode;
import dev.kuratchi.client.gateway.KeyValueStore.Key;
import dev.kuratchi.client.gateway.KeyValueStore.ListOptions;
import dev.kuratchi.client.gateway.KeyValueStore.Page;
import dev.kuratchi.client.gateway.KeyValueStore.PutOptions;
import dev.kuratchi.client.support.WorkerProcess;
import dev.kuratchi.client.token.GatewayKey;
import dev.kuratchi.client.token.Tokens;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The key-value client against the real gateway Worker running in workerd; each test has its own database. */
class KeyValueStoreIntegrationTest {
    private static final String KEY = "kv-integration-gateway-key";
    private static WorkerProcess worker;
    private static Tokens tokens;

    @BeforeAll
    static void startWorker() {
        worker = WorkerProcess.start(KEY);
        tokens = new Tokens(GatewayKey.of(KEY), Clock.systemUTC());
    }

    @AfterAll
    static void stopWorker() throws Exception {
        worker.close();
    }

    private static GatewayClient.Builder client(String database) {
        return GatewayClient.builder().connection(worker.url(), tokens.issue(database, Duration.ofMinutes(5)));
    }

    private static KeyValueStore kv(String database) {
        return client(database).build().kv();
    }

    private static JsonNode json(String text) throws IOException {
        return GatewayTransport.JSON.readTree(text);
    }

    private static List<String> names(Page page) {
        return page.keys().stream().map(Key::name).toList();
    }

    @Test
    void textBytesAndJsonComeBackAsTheyWerePutAndReadThroughEveryGetter() throws IOException {
        KeyValueStore kv = kv("kv-values");
        byte[] avatar = {0, 1, (byte) 254, (byte) 255};
        kv.putText("greeting", "héllo ✓");
        kv.putBytes("avatar", avatar);
        kv.putJson("settings", json("{\"theme\":\"dark\",\"seats\":5,\"tags\":[\"a\",null]}"));

        assertThat(kv.getText("greeting")).contains("héllo ✓");
        assertThat(kv.getBytes("avatar")).hasValueSatisfying(bytes -> assertThat(bytes).containsExactly(avatar));
        assertThat(kv.getJson("settings")).contains(json("{\"theme\":\"dark\",\"seats\":5,\"tags\":[\"a\",null]}"));

        assertThat(kv.getBytes("greeting")).hasValueSatisfying(
                bytes -> assertThat(bytes).containsExactly("héllo ✓".getBytes(StandardCharsets.UTF_8)));
        assertThat(kv.getJson("greeting")).contains(json("\"héllo ✓\""));
        assertThat(kv.getJson("avatar")).contains(BinaryNode.valueOf(avatar));
        assertThat(kv.getText("settings").map(text -> {
            try {
                return json(text);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        })).contains(json("{\"theme\":\"dark\",\"seats\":5,\"tags\":[\"a\",null]}"));
        assertThatThrownBy(() -> kv.getText("avatar")).isInstanceOf(IllegalStateException.class);

        kv.putBytes("empty", new byte[0]);
        assertThat(kv.getBytes("empty")).hasValueSatisfying(bytes -> assertThat(bytes).isEmpty());
        kv.putText("greeting", "replaced");
        assertThat(kv.getText("greeting")).contains("replaced");
    }

    @Test
    void anAbsentKeyReadsAsEmptyAndADeleteSaysWhetherTheKeyWasThere() {
        KeyValueStore kv = kv("kv-absent");
        assertThat(kv.getText("nothing")).isEmpty();
        assertThat(kv.getBytes("nothing")).isEmpty();
        assertThat(kv.getJson("nothing")).isEmpty();
        assertThat(kv.getJsonWithMetadata("nothing")).isEmpty();
        assertThat(kv.delete("nothing")).isFalse();

        kv.putText("once", "here");
        assertThat(kv.delete("once")).isTrue();
        assertThat(kv.delete("once")).isFalse();
        assertThat(kv.getText("once")).isEmpty();
    }

    @Test
    void metadataAndExpiryAreKeptBesideTheValueUntilAPutWithoutThem() throws IOException {
        KeyValueStore kv = kv("kv-metadata");
        Instant at = Instant.now().plus(Duration.ofHours(1)).truncatedTo(ChronoUnit.SECONDS);
        kv.putJson("session", json("{\"user\":\"u1\"}"),
                PutOptions.defaults().withMetadata(json("{\"role\":\"owner\"}")).withExpiresAt(at));
        Instant before = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        kv.putText("cache", "warm", PutOptions.defaults().withTtl(Duration.ofMinutes(5)));
        Instant after = Instant.now();
        kv.putText("plain", "no extras");

        assertThat(kv.getJsonWithMetadata("session"))
                .contains(new KeyValueStore.Entry<>(json("{\"user\":\"u1\"}"), json("{\"role\":\"owner\"}")));
        assertThat(kv.getTextWithMetadata("plain")).contains(new KeyValueStore.Entry<>("no extras", null));

        List<Key> keys = kv.list(ListOptions.all()).keys();
        assertThat(keys).extracting(Key::name).containsExactly("cache", "plain", "session");
        assertThat(keys.get(0).expiration()).hasValueSatisfying(expiry -> assertThat(expiry)
                .isBetween(before.plus(Duration.ofMinutes(5)), after.plus(Duration.ofMinutes(5))));
        assertThat(keys.get(0).metadata()).isNull();
        assertThat(keys.get(1)).isEqualTo(new Key("plain", Optional.empty(), null));
        assertThat(keys.get(2)).isEqualTo(new Key("session", Optional.of(at), json("{\"role\":\"owner\"}")));

        kv.putJson("session", json("{\"user\":\"u2\"}"));
        assertThat(kv.getJsonWithMetadata("session"))
                .contains(new KeyValueStore.Entry<>(json("{\"user\":\"u2\"}"), null));
        assertThat(kv.list(ListOptions.prefixed("session")).keys())
                .containsExactly(new Key("session", Optional.empty(), null));
    }

    @Test
    void anExpiryTooSoonIsRefusedByTheGateway() {
        KeyValueStore kv = kv("kv-expiry");
        assertThatThrownBy(() -> kv.putText("k", "v", PutOptions.defaults().withTtl(Duration.ofSeconds(59))))
                .isInstanceOfSatisfying(GatewayException.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.code()).isEqualTo("invalid_request");
                });
        assertThat(kv.getText("k")).isEmpty();
    }

    @Test
    void pagesFollowTheCursorForwardReversedWithinAPrefixAndBetweenBounds() {
        KeyValueStore kv = kv("kv-pages");
        List<String> expected = IntStream.range(0, 25).mapToObj(i -> String.format("page:%02d", i)).toList();
        expected.forEach(name -> kv.putText(name, name));
        kv.putText("other", "outside the prefix");
        kv.putText("a-first", "before the prefix");
        ListOptions pages = ListOptions.prefixed("page:").withLimit(10);

        List<String> listed = new ArrayList<>();
        List<Integer> sizes = new ArrayList<>();
        Page page = kv.list(pages);
        while (true) {
            listed.addAll(names(page));
            sizes.add(page.keys().size());
            if (page.complete()) {
                assertThat(page.cursor()).isEmpty();
                break;
            }
            page = kv.list(pages, page.cursor().orElseThrow());
        }
        assertThat(sizes).containsExactly(10, 10, 5);
        assertThat(listed).isEqualTo(expected);
        assertThat(kv.keys(pages).map(Key::name)).containsExactlyElementsOf(expected);
        List<String> descending = new ArrayList<>(expected);
        Collections.reverse(descending);
        assertThat(kv.keys(pages.reversed()).map(Key::name)).containsExactlyElementsOf(descending);

        Page firstReversed = kv.list(pages.reversed().withLimit(3));
        assertThat(names(firstReversed)).containsExactly("page:24", "page:23", "page:22");
        assertThat(names(kv.list(pages.reversed().withLimit(3), firstReversed.cursor().orElseThrow())))
                .containsExactly("page:21", "page:20", "page:19");

        assertThat(kv.keys(ListOptions.all().withStartAfter("page:20").withEnd("page:23")).map(Key::name))
                .containsExactly("page:21", "page:22");
        assertThat(kv.keys(ListOptions.all().withStart("page:23").withEnd("q")).map(Key::name))
                .containsExactly("page:23", "page:24");
        assertThat(kv.keys(ListOptions.all().withLimit(7)).count()).isEqualTo(27);
    }

    @Test
    void aForwardListFromStartFollowsTheCursor() {
        KeyValueStore kv = kv("kv-start-cursor");
        List.of("a", "b", "c", "d", "e").forEach(name -> kv.putText(name, name));
        assertThat(kv.keys(ListOptions.all().withStart("b").withLimit(2)).map(Key::name))
                .containsExactly("b", "c", "d", "e");
    }

    @Test
    void aReservedKeyIsRefusedWithItsCode() {
        KeyValueStore kv = kv("kv-reserved");
        for (Runnable call : List.<Runnable>of(() -> kv.getText("__kuratchi:epoch"),
                () -> kv.putText("__kuratchi:epoch", "0000000000000000"), () -> kv.delete("__kuratchi:owner"))) {
            assertThatThrownBy(call::run).isInstanceOfSatisfying(GatewayException.class, e -> {
                assertThat(e.status()).isEqualTo(400);
                assertThat(e.code()).isEqualTo("reserved_key");
            });
        }
        kv.putText("__kuratchi", "not reserved: no colon");
        assertThat(kv.keys(ListOptions.all()).map(Key::name)).containsExactly("__kuratchi");
        assertThat(kv.keys(ListOptions.prefixed("__kuratchi:"))).isEmpty();
    }

    @Test
    void theTokenAloneAndKuratchiSdksHeaderFormReachTheSameStore() {
        KeyValueStore tokenOnly = kv("kv-auth");
        KeyValueStore legacy = client("kv-auth").legacyGatewayKey(GatewayKey.of(KEY)).build().kv();
        tokenOnly.putText("written", "with the token alone");
        legacy.putText("legacy", "with the gateway key and x-db-token");
        assertThat(legacy.getText("written")).contains("with the token alone");
        assertThat(tokenOnly.getText("legacy")).contains("with the gateway key and x-db-token");
        assertThat(legacy.delete("written")).isTrue();

        KeyValueStore wrongKey = client("kv-auth").legacyGatewayKey(GatewayKey.of("not-the-key")).build().kv();
        assertThatThrownBy(() -> wrongKey.getText("legacy")).isInstanceOfSatisfying(GatewayException.class,
                e -> assertThat(e.code()).isEqualTo("invalid_gateway_key"));
    }
}
