package dev.kuratchi.operator.cloudflare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.kuratchi.operator.OperatorFactory;
import dev.kuratchi.operator.cloudflare.CloudflareResources.KvNamespace;
import dev.kuratchi.operator.cloudflare.CloudflareResources.Queue;
import dev.kuratchi.operator.cloudflare.CloudflareResources.R2Bucket;
import dev.kuratchi.operator.support.EmulatorProcess;
import dev.kuratchi.operator.support.SharedEmulator;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.function.BiPredicate;
import java.util.stream.Stream;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * KV namespaces, R2 buckets and queues against the emulator: creating twice gives one resource, one created before a
 * crash is adopted, deleting twice answers true then false, lists are searched past the first page, and 429 / 5xx are
 * retried as every Cloudflare call is. One emulator for the class; every test uses its own names.
 */
class CloudflareResourcesTest {
    private static final AtomicInteger NAMES = new AtomicInteger();
    @RegisterExtension
    static final SharedEmulator EMULATOR = new SharedEmulator();

    private MeterRegistry metrics;
    private CloudflareResources resources;

    @BeforeEach
    void newClient() {
        metrics = OperatorFactory.newRegistry();
        resources = new CloudflareResources(emulator().cloudflareClient(EmulatorProcess.API_TOKEN, metrics));
    }

    private static EmulatorProcess emulator() {
        return EMULATOR.get();
    }

    private static String name(String prefix) {
        return prefix + "-" + NAMES.incrementAndGet();
    }

    /** How these tests see a resource: what delete takes (the id; an R2 bucket's name) and its name. */
    private record Handle(String handle, String name) {}

    /** One kind of resource: the calls under test, and the emulator's API for it. */
    private record Kind(String label, String path, String nameField, String handleField, String absentHandle,
            BiFunction<CloudflareResources, String, Handle> ensure,
            BiFunction<CloudflareResources, String, Optional<Handle>> find,
            BiPredicate<CloudflareResources, String> delete) {
        /** Created behind the operator's back, as by an attempt that died before recording it. */
        String createDirectly(String name) {
            return emulator().api("POST", path, "{\"" + nameField + "\": \"" + name + "\"}").path("result")
                    .path(handleField).asText();
        }

        List<String> listedNames() {
            JsonNode result = emulator().api("GET", path + "?per_page=1000", null).path("result");
            List<String> names = new ArrayList<>();
            JsonNode items = result.isArray() ? result : result.path("buckets");
            items.forEach(item -> names.add(item.path(nameField).asText()));
            return names;
        }

        @Override
        public String toString() {
            return label;
        }
    }

    private static final String ABSENT_ID = "0123456789abcdef0123456789abcdef";
    private static final Kind KV = new Kind("kv", "/storage/kv/namespaces", "title", "id", ABSENT_ID,
            (r, name) -> kv(r.ensureKvNamespace(name)),
            (r, name) -> r.findKvNamespace(name).map(CloudflareResourcesTest::kv),
            CloudflareResources::deleteKvNamespace);
    private static final Kind R2 = new Kind("r2", "/r2/buckets", "name", "name", "never-a-bucket",
            (r, name) -> r2(r.ensureR2Bucket(name)),
            (r, name) -> r.findR2Bucket(name).map(CloudflareResourcesTest::r2),
            CloudflareResources::deleteR2Bucket);
    private static final Kind QUEUES = new Kind("queue", "/queues", "queue_name", "queue_id", ABSENT_ID,
            (r, name) -> queue(r.ensureQueue(name)),
            (r, name) -> r.findQueue(name).map(CloudflareResourcesTest::queue),
            CloudflareResources::deleteQueue);

    static Stream<Kind> kinds() {
        return Stream.of(KV, R2, QUEUES);
    }

    private static Handle kv(KvNamespace ns) {
        return new Handle(ns.id(), ns.title());
    }

    private static Handle r2(R2Bucket bucket) {
        return new Handle(bucket.name(), bucket.name());
    }

    private static Handle queue(Queue queue) {
        return new Handle(queue.id(), queue.name());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void ensuredTwiceIsOneResource(Kind kind) {
        String name = name(kind.label());
        Handle created = kind.ensure().apply(resources, name);
        assertThat(created.handle()).isNotEmpty();
        assertThat(created.name()).isEqualTo(name);

        assertThat(kind.ensure().apply(resources, name)).isEqualTo(created);
        assertThat(kind.listedNames()).filteredOn(name::equals).hasSize(1);
        assertThat(kind.find().apply(resources, name)).contains(created);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void oneCreatedBeforeACrashIsAdopted(Kind kind) {
        String name = name(kind.label() + "-crashed");
        String handle = kind.createDirectly(name);
        assertThat(handle).isNotEmpty();

        assertThat(kind.ensure().apply(resources, name)).isEqualTo(new Handle(handle, name));
        assertThat(kind.listedNames()).filteredOn(name::equals).hasSize(1);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void deletedTwiceIsDeletedThenAlreadyGone(Kind kind) {
        String name = name(kind.label() + "-deleted");
        Handle created = kind.ensure().apply(resources, name);

        assertThat(kind.delete().test(resources, created.handle())).isTrue();
        assertThat(kind.delete().test(resources, created.handle())).isFalse();
        assertThat(kind.find().apply(resources, name)).isEmpty();
        assertThat(kind.listedNames()).doesNotContain(name);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void aMissingOneIsNotFound(Kind kind) {
        assertThat(kind.find().apply(resources, name(kind.label() + "-never"))).isEmpty();
        assertThat(kind.delete().test(resources, kind.absentHandle())).isFalse();
    }

    @Test
    void kvNamespacesAreSearchedPastTheFirstPage() {
        String prefix = name("org-kv-page");
        long start = System.nanoTime();
        for (int i = 0; i < 150; i++) {
            assertThat(emulator().api("POST", "/storage/kv/namespaces", "{\"title\": \"" + prefix + "-" + i + "\"}")
                    .path("success").asBoolean()).isTrue();
        }
        System.out.printf("created 150 KV namespaces through the emulator API in %d ms%n",
                Duration.ofNanos(System.nanoTime() - start).toMillis());
        // The list is ordered by id (random), so take one that the emulator lists on page 2 of 100.
        JsonNode second = emulator().api("GET", "/storage/kv/namespaces?page=2&per_page=100", null).path("result");
        assertThat(second.size()).isPositive();
        JsonNode wanted = second.get(second.size() - 1);
        KvNamespace expected = new KvNamespace(wanted.path("id").asText(), wanted.path("title").asText());

        long lists = emulator().count("GET", "/storage/kv/namespaces");
        assertThat(resources.findKvNamespace(expected.title())).contains(expected);
        assertThat(emulator().count("GET", "/storage/kv/namespaces") - lists).isEqualTo(2);
        // The crash case on a later page: created, not recorded, ensured again.
        assertThat(resources.ensureKvNamespace(expected.title())).isEqualTo(expected);
        assertThat(KV.listedNames()).filteredOn(expected.title()::equals).hasSize(1);
        // Every page read, then nothing.
        long pages = kvPages();
        lists = emulator().count("GET", "/storage/kv/namespaces");
        assertThat(resources.findKvNamespace(prefix + "-absent")).isEmpty();
        assertThat(emulator().count("GET", "/storage/kv/namespaces") - lists).isEqualTo(pages);
    }

    @Test
    void idsAreOnePercentEncodedPathSegment() {
        assertThat(resources.deleteKvNamespace("no/such id")).isFalse();
        assertThat(emulator().calls().get(emulator().calls().size() - 1).path("path").asText())
                .endsWith("/storage/kv/namespaces/no%2Fsuch%20id");
        assertThatThrownBy(() -> resources.deleteKvNamespace("..")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> resources.deleteR2Bucket("")).isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * The emulator keeps no R2 objects, so Cloudflare's refusal to delete a bucket that holds some (409, 10008
     * BucketNotEmpty) comes from a stand-in server here.
     */
    @Test
    void aBucketThatHoldsObjectsIsNotDeletedAndTheMessageSaysWhatToDo() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            byte[] body = ("{\"success\": false, \"errors\": [{\"code\": 10008, \"message\": \"The bucket you tried "
                    + "to delete (full) is not empty (account 0123456789abcdef0123456789abcdef).\"}], \"messages\": [],"
                    + " \"result\": null}").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("content-type", "application/json");
            exchange.sendResponseHeaders(409, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        try {
            CloudflareResources stand = new CloudflareResources(new CloudflareClient(
                    URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/client/v4"), "secret-token",
                    "0123456789abcdef0123456789abcdef", new OkHttpClient(), ApiRateLimiter.of(100, Duration.ofMinutes(1)),
                    metrics));
            assertThatThrownBy(() -> stand.deleteR2Bucket("full")).isInstanceOfSatisfying(CloudflareException.class,
                    e -> {
                        assertThat(e.kind()).isEqualTo(CloudflareException.Kind.REJECTED);
                        assertThat(e.code()).isEqualTo(10008);
                        assertThat(e.getMessage()).contains("'full'", "holds objects", "empty it")
                                .doesNotContain("secret-token", "0123456789abcdef0123456789abcdef");
                    });
        } finally {
            server.stop(0);
        }
    }

    @Test
    void aMalformedQueueIdIsRefused() {
        assertThatThrownBy(() -> resources.deleteQueue("not-a-queue-id")).isInstanceOfSatisfying(
                CloudflareException.class, e -> {
                    assertThat(e.kind()).isEqualTo(CloudflareException.Kind.REJECTED);
                    assertThat(e.code()).isEqualTo(10107);
                });
    }

    // ---- faults ----

    @Test
    void a429WithRetryAfterAndA500AreRetriedAndCounted() {
        String title = name("org-kv-faults");
        emulator().fault("[{\"method\": \"POST\", \"path\": \"/accounts/*/storage/kv/namespaces\", \"kind\": \"status\","
                + " \"status\": 429, \"retryAfter\": 1}, {\"method\": \"POST\", \"path\": "
                + "\"/accounts/*/storage/kv/namespaces\", \"kind\": \"status\", \"status\": 500}]");
        long since = emulator().lastSeq();
        long start = System.nanoTime();

        KvNamespace ns = resources.ensureKvNamespace(title);

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofSeconds(1));
        assertThat(emulator().statuses("POST", "/storage/kv/namespaces", since)).containsExactly(429, 500, 200);
        assertThat(resources.findKvNamespace(title)).contains(ns);
        assertThat(calls("kv_namespace_create", "rate_limited")).isEqualTo(1);
        assertThat(calls("kv_namespace_create", "unavailable")).isEqualTo(1);
        assertThat(calls("kv_namespace_create", "success")).isEqualTo(1);
    }

    @Test
    void faultsWhileAdoptingAndDeletingAreRetried() {
        String queueName = name("org-queue-faults");
        emulator().api("POST", "/queues", "{\"queue_name\": \"" + queueName + "\"}");
        String bucketName = name("org-bucket-faults");
        emulator().api("POST", "/r2/buckets", "{\"name\": \"" + bucketName + "\"}");
        emulator().fault("[{\"method\": \"GET\", \"path\": \"/accounts/*/queues\", \"kind\": \"status\", \"status\": 503},"
                + " {\"method\": \"GET\", \"path\": \"/accounts/*/r2/buckets/*\", \"kind\": \"status\", \"status\": 429,"
                + " \"retryAfter\": 1}, {\"method\": \"DELETE\", \"path\": \"/accounts/*/queues/*\", \"kind\": "
                + "\"status\", \"status\": 502}]");
        long since = emulator().lastSeq();

        Queue queue = resources.ensureQueue(queueName);
        assertThat(resources.ensureR2Bucket(bucketName).name()).isEqualTo(bucketName);
        assertThat(resources.deleteQueue(queue.id())).isTrue();

        assertThat(emulator().statuses("POST", "/queues", since)).containsExactly(409);
        assertThat(emulator().statuses("GET", "/queues", since)).containsExactly(503, 200);
        assertThat(emulator().statuses("GET", "/r2/buckets/" + bucketName, since)).containsExactly(429, 200);
        assertThat(emulator().statuses("DELETE", "/queues/" + queue.id(), since)).containsExactly(502, 200);
    }

    @Test
    void aPermanentRefusalIsNotRetried() {
        long since = emulator().lastSeq();
        assertThatThrownBy(() -> resources.ensureR2Bucket("Not_A_Bucket")).isInstanceOfSatisfying(
                CloudflareException.class, e -> assertThat(e.kind()).isEqualTo(CloudflareException.Kind.REJECTED));
        assertThat(emulator().statuses("POST", "/r2/buckets", since)).containsExactly(400);
    }

    // ---- helpers ----

    private static long kvPages() {
        return emulator().api("GET", "/storage/kv/namespaces?per_page=100", null).path("result_info").path("total_pages")
                .asLong();
    }

    private double calls(String endpoint, String outcome) {
        var counter = metrics.find("kuratchi_cloudflare_calls").tags("endpoint", endpoint, "outcome", outcome)
                .counter();
        return counter == null ? 0 : counter.count();
    }
}
