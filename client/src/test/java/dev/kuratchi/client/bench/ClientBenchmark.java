package dev.kuratchi.client.bench;

import dev.kuratchi.client.admin.AdminClient;
import dev.kuratchi.client.admin.Migration;
import dev.kuratchi.client.gateway.GatewayClient;
import dev.kuratchi.client.gateway.GatewayTransport;
import dev.kuratchi.client.gateway.RetryPolicy;
import dev.kuratchi.client.gateway.Statement;
import dev.kuratchi.client.support.WorkerProcess;
import dev.kuratchi.client.token.DatabaseToken;
import dev.kuratchi.client.token.GatewayKey;
import dev.kuratchi.client.token.Tokens;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.IntConsumer;
import okhttp3.Headers;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * How much the Java client adds to a query. Two measurements, each against a baseline in the same run:
 * <ol>
 *   <li>client-side cost per query: the time from the caller's {@code first(...)} to its typed {@link
 *       dev.kuratchi.client.gateway.Row}, with the network round trip cut out: an OkHttp interceptor stands in for
 *       the gateway, drains the request body (what writing it to a socket would cost) and answers prebuilt response
 *       bytes. The baseline is bare OkHttp doing the least a caller of the gateway can do: one prebuilt request
 *       (the same URL, headers, token and body bytes the client sends) through the same interceptor, with the body
 *       read into bytes. The stand-in does as little as it can, because whatever it costs counts on both sides and
 *       would flatter the ratio. The client's extra is its own work: building the request, writing the JSON, the
 *       read-only check that governs retries, parsing the answer into a typed row;</li>
 *   <li>end-to-end p50/p99 of a primary-key SELECT against the gateway Worker in Miniflare, against bare OkHttp
 *       posting prebuilt bytes to a prebuilt URL with prebuilt headers and reading the body into bytes.</li>
 * </ol>
 * Both run in alternating rounds and report medians, so neither gains from a warmer JIT or a quieter machine.
 * Run: {@code mvn -pl client -am test-compile exec:java -Dexec.mainClass=dev.kuratchi.client.bench.ClientBenchmark
 * -Dexec.classpathScope=test [-Dbench.requests=5000]}
 */
public final class ClientBenchmark {
    private static final com.sun.management.ThreadMXBean ALLOCATION =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private static final String KEY = "client-benchmark-key";
    private static final MediaType JSON = MediaType.get("application/json");
    private static final String CANNED = "{\"success\":true,\"results\":[{\"id\":42,\"name\":\"item-42\",\"price\":21.5,"
            + "\"note\":null}],\"meta\":{\"rowsRead\":1,\"rowsWritten\":0}}";

    public static void main(String[] args) throws Exception {
        int requests = Integer.getInteger("bench.requests", 5000);
        int rounds = Integer.getInteger("bench.rounds", 3);
        System.out.printf("client benchmark: %d requests per measurement, %d alternating rounds (medians), Java %s%n",
                requests, rounds, System.getProperty("java.version"));
        clientSideCost(requests * 10, rounds);
        try (WorkerProcess worker = WorkerProcess.start(KEY)) {
            endToEnd(worker.url(), requests, rounds);
        }
    }

    private static void clientSideCost(int calls, int rounds) {
        byte[] canned = CANNED.getBytes(StandardCharsets.UTF_8);
        OkHttpClient network = new OkHttpClient.Builder().addInterceptor(chain -> {
            chain.request().body().writeTo(new okio.Buffer());
            return new Response.Builder().request(chain.request()).protocol(Protocol.HTTP_1_1).code(200).message("OK")
                    .body(ResponseBody.create(canned, JSON)).build();
        }).build();
        DatabaseToken token = new Tokens(GatewayKey.of(KEY), Clock.systemUTC()).issue("bench", Duration.ofHours(1));
        URI endpoint = URI.create("http://gateway.invalid");
        GatewayClient client = GatewayClient.builder().connection(endpoint, token)
                .transport(new GatewayTransport(network, RetryPolicy.DEFAULT, d -> { })).build();
        byte[] body = "{\"query\":\"SELECT id, name, price, note FROM items WHERE id = ?\",\"params\":[42]}"
                .getBytes(StandardCharsets.UTF_8);
        Request bare = new Request.Builder().url(endpoint + "/api/first").header("authorization", "Bearer " + token.reveal())
                .header("x-db-name", "bench").post(RequestBody.create(body, JSON)).build();
        sameRequest(network, endpoint, token, bare);
        IntConsumer viaClient = i -> client.first(
                Statement.of("SELECT id, name, price, note FROM items WHERE id = ?", 42)).orElseThrow();
        IntConsumer viaBare = i -> {
            try (Response response = network.newCall(bare).execute()) {
                response.body().bytes();
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        };

        double[] clientNs = new double[rounds];
        double[] bareNs = new double[rounds];
        double[] clientBytes = new double[rounds];
        double[] bareBytes = new double[rounds];
        for (int round = 0; round < rounds + 1; round++) {
            double[] c = round % 2 == 0 ? perCall(calls, viaClient) : null;
            double[] b = perCall(calls, viaBare);
            c = c == null ? perCall(calls, viaClient) : c; // alternately first and second
            if (round > 0) { // the first round warms up the JIT
                clientNs[round - 1] = c[0];
                clientBytes[round - 1] = c[1];
                bareNs[round - 1] = b[0];
                bareBytes[round - 1] = b[1];
            }
        }
        double c = median(clientNs);
        double b = median(bareNs);
        System.out.printf("%nclient-side cost per query, network cut out (%d calls a round):%n", calls);
        System.out.printf("  %-50s %7.2f us  %6.0f bytes allocated%n", "kuratchi client (request, JSON, typed row)", c / 1000,
                median(clientBytes));
        System.out.printf("  %-50s %7.2f us  %6.0f bytes allocated%n", "bare OkHttp (prebuilt request, body as bytes)",
                b / 1000, median(bareBytes));
        System.out.printf("  %-50s x%.2f  (the client's own work: %.2f us a query)%n", "client / bare", c / b, (c - b) / 1000);
    }

    /** Fails unless the client sends what the bare baseline sends: the same URL, credentials and body bytes. */
    private static void sameRequest(OkHttpClient network, URI endpoint, DatabaseToken token, Request bare) {
        List<Request> seen = new ArrayList<>();
        OkHttpClient.Builder recording = network.newBuilder();
        recording.interceptors().add(0, chain -> {
            seen.add(chain.request());
            return chain.proceed(chain.request());
        });
        GatewayClient client = GatewayClient.builder().connection(endpoint, token)
                .transport(new GatewayTransport(recording.build(), RetryPolicy.DEFAULT, d -> { })).build();
        client.first(Statement.of("SELECT id, name, price, note FROM items WHERE id = ?", 42)).orElseThrow();
        Request sent = seen.get(0);
        if (!sent.url().equals(bare.url()) || !sent.method().equals(bare.method())
                || !Objects.equals(sent.header("authorization"), bare.header("authorization"))
                || !Objects.equals(sent.header("x-db-name"), bare.header("x-db-name"))
                || !Arrays.equals(bodyBytes(sent), bodyBytes(bare))) {
            throw new IllegalStateException("the client and the baseline do not send the same request");
        }
    }

    private static byte[] bodyBytes(Request request) {
        try {
            okio.Buffer buffer = new okio.Buffer();
            request.body().writeTo(buffer);
            return buffer.readByteArray();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void endToEnd(URI url, int requests, int rounds) throws Exception {
        new AdminClient(url, GatewayKey.of(KEY), GatewayTransport.withDefaults()).provision("bench", List.of(new Migration(
                "0001", "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, price REAL, note TEXT);"
                        + "INSERT INTO items (id, name, price) SELECT value, 'item-' || value, value / 2.0 FROM "
                        + "json_each('[" + String.join(",", java.util.stream.IntStream.rangeClosed(1, 1000)
                        .mapToObj(Integer::toString).toList()) + "]');")));
        DatabaseToken token = new Tokens(GatewayKey.of(KEY), Clock.systemUTC()).issue("bench", Duration.ofHours(1));
        GatewayClient client = GatewayClient.builder().connection(url, token).build();
        OkHttpClient http = new OkHttpClient();
        HttpUrl first = HttpUrl.get(url + "/api/first");
        Headers headers = Headers.of("authorization", "Bearer " + token.reveal(), "x-db-name", "bench");
        byte[][] bodies = new byte[1000][];
        for (int i = 0; i < bodies.length; i++) {
            bodies[i] = ("{\"query\":\"SELECT id, name, price, note FROM items WHERE id = ?\",\"params\":[" + (i + 1) + "]}")
                    .getBytes(StandardCharsets.UTF_8);
        }
        List<double[]> clientRounds = new ArrayList<>();
        List<double[]> bareRounds = new ArrayList<>();
        IntConsumer viaClient = i -> client.first(
                Statement.of("SELECT id, name, price, note FROM items WHERE id = ?", (i % 1000) + 1)).orElseThrow();
        IntConsumer viaBare = i -> {
            Request request = new Request.Builder().url(first).headers(headers)
                    .post(RequestBody.create(bodies[i % 1000], JSON)).build();
            try (Response response = http.newCall(request).execute()) {
                if (!response.isSuccessful()) {
                    throw new IllegalStateException("HTTP " + response.code());
                }
                response.body().bytes();
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        };
        for (int round = 0; round < rounds + 1; round++) {
            // Alternate which goes first, so neither gains from a warmer machine.
            double[] clientLatencies;
            double[] bareLatencies;
            if (round % 2 == 0) {
                clientLatencies = latencies(requests, viaClient);
                bareLatencies = latencies(requests, viaBare);
            } else {
                bareLatencies = latencies(requests, viaBare);
                clientLatencies = latencies(requests, viaClient);
            }
            if (round > 0) { // the first round warms up the JIT and the connections
                clientRounds.add(clientLatencies);
                bareRounds.add(bareLatencies);
            }
        }
        double clientP50 = median(clientRounds.stream().mapToDouble(l -> percentile(l, 0.50)).toArray());
        double clientP99 = median(clientRounds.stream().mapToDouble(l -> percentile(l, 0.99)).toArray());
        double bareP50 = median(bareRounds.stream().mapToDouble(l -> percentile(l, 0.50)).toArray());
        double bareP99 = median(bareRounds.stream().mapToDouble(l -> percentile(l, 0.99)).toArray());
        System.out.printf("%nend to end, primary-key SELECT via /api/first against the Worker in Miniflare, one client thread:%n");
        System.out.printf("  %-46s p50 %7.3f ms   p99 %7.3f ms%n", "kuratchi client", clientP50, clientP99);
        System.out.printf("  %-46s p50 %7.3f ms   p99 %7.3f ms%n", "bare OkHttp (prebuilt request, body as bytes)", bareP50, bareP99);
        System.out.printf("  %-46s p50 x%.3f        p99 x%.3f%n", "client / bare", clientP50 / bareP50, clientP99 / bareP99);
    }

    /** Nanoseconds and bytes allocated per call, after a warm-up of a fifth as many calls. */
    private static double[] perCall(int calls, IntConsumer call) {
        for (int i = 0; i < calls / 5; i++) {
            call.accept(i);
        }
        long thread = Thread.currentThread().getId();
        long allocated = ALLOCATION.getThreadAllocatedBytes(thread);
        long start = System.nanoTime();
        for (int i = 0; i < calls; i++) {
            call.accept(i);
        }
        long nanos = System.nanoTime() - start;
        return new double[] {nanos / (double) calls,
                (ALLOCATION.getThreadAllocatedBytes(thread) - allocated) / (double) calls};
    }

    private static double[] latencies(int requests, IntConsumer call) {
        double[] millis = new double[requests];
        for (int i = 0; i < requests; i++) {
            long start = System.nanoTime();
            call.accept(i);
            millis[i] = (System.nanoTime() - start) / 1e6;
        }
        return millis;
    }

    private static double percentile(double[] values, double q) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[Math.min(sorted.length - 1, (int) Math.floor(q * sorted.length))];
    }

    private static double median(double[] values) {
        return percentile(values, 0.5);
    }
}
