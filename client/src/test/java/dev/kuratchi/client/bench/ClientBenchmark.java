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
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntConsumer;
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
 *   <li>client-side cost per query with the network cut out (an interceptor answers a canned response): the
 *       client's request building, JSON writing and row parsing, against bare OkHttp sending prebuilt bytes to the
 *       same interceptor;</li>
 *   <li>end-to-end p50/p99 of a primary-key SELECT against the gateway Worker in Miniflare, against bare OkHttp
 *       posting prebuilt bytes and reading the body as a string.</li>
 * </ol>
 * Run: {@code mvn -pl client -am test-compile exec:java -Dexec.mainClass=dev.kuratchi.client.bench.ClientBenchmark
 * -Dexec.classpathScope=test [-Dbench.requests=5000]}
 */
public final class ClientBenchmark {
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
        OkHttpClient canned = new OkHttpClient.Builder().addInterceptor(chain -> {
            chain.request().body().writeTo(new okio.Buffer());
            return new Response.Builder().request(chain.request()).protocol(Protocol.HTTP_1_1).code(200).message("OK")
                    .body(ResponseBody.create(CANNED, JSON)).build();
        }).build();
        DatabaseToken token = new Tokens(GatewayKey.of(KEY), Clock.systemUTC()).issue("bench", Duration.ofHours(1));
        URI endpoint = URI.create("http://gateway.invalid");
        GatewayClient client = GatewayClient.builder().connection(endpoint, token)
                .transport(new GatewayTransport(canned, RetryPolicy.DEFAULT, d -> { })).build();
        byte[] body = "{\"query\":\"SELECT id, name, price, note FROM items WHERE id = ?\",\"params\":[42]}"
                .getBytes(StandardCharsets.UTF_8);
        Request bare = new Request.Builder().url(endpoint + "/api/first").header("authorization", "Bearer " + token.reveal())
                .header("x-db-name", "bench").post(RequestBody.create(body, JSON)).build();

        double[] clientNs = new double[rounds];
        double[] bareNs = new double[rounds];
        for (int round = 0; round < rounds; round++) {
            clientNs[round] = nanosPerCall(calls, i ->
                    client.first(Statement.of("SELECT id, name, price, note FROM items WHERE id = ?", 42)).orElseThrow());
            bareNs[round] = nanosPerCall(calls, i -> {
                try (Response response = canned.newCall(bare).execute()) {
                    response.body().string();
                } catch (java.io.IOException e) {
                    throw new IllegalStateException(e);
                }
            });
        }
        double c = median(clientNs);
        double b = median(bareNs);
        System.out.printf("%nclient-side cost per query, no network (%d calls):%n", calls);
        System.out.printf("  kuratchi client (build, JSON, parse typed row)  %8.2f us%n", c / 1000);
        System.out.printf("  bare OkHttp, prebuilt bytes, body as string     %8.2f us%n", b / 1000);
        System.out.printf("  client's own work per query                     %8.2f us (x%.2f of bare)%n", (c - b) / 1000, c / b);
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
            Request request = new Request.Builder().url(url + "/api/first")
                    .header("authorization", "Bearer " + token.reveal()).header("x-db-name", "bench")
                    .post(RequestBody.create(bodies[i % 1000], JSON)).build();
            try (Response response = http.newCall(request).execute()) {
                if (!response.isSuccessful()) {
                    throw new IllegalStateException("HTTP " + response.code());
                }
                response.body().string();
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
        System.out.printf("  %-46s p50 %7.3f ms   p99 %7.3f ms%n", "bare OkHttp (prebuilt bytes, no parsing)", bareP50, bareP99);
        System.out.printf("  %-46s p50 x%.3f        p99 x%.3f%n", "client / bare", clientP50 / bareP50, clientP99 / bareP99);
    }

    private static double nanosPerCall(int calls, IntConsumer call) {
        for (int i = 0; i < calls / 5; i++) {
            call.accept(i);
        }
        long start = System.nanoTime();
        for (int i = 0; i < calls; i++) {
            call.accept(i);
        }
        return (System.nanoTime() - start) / (double) calls;
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
