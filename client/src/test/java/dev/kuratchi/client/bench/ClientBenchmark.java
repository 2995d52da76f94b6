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
 * How much the Java client adds to a query. Two measurements, each against a baseline in the same run, both of a
 * primary-key SELECT through {@code /api/first}:
 * <ol>
 *   <li>client-side cost per query: the time the client process spends on a query apart from the network round
 *       trip, from the caller's {@code first(...)} to its typed {@link dev.kuratchi.client.gateway.Row}. The
 *       network is cut out at the socket ({@link AnsweringSocket}): OkHttp does all its HTTP/1.1 work, and the
 *       answer, the bytes the Worker answered to the same query, is there as soon as the request is written. The
 *       baseline is bare OkHttp doing the least a caller of the gateway can do for a query: a request from a
 *       prebuilt URL, prebuilt headers and prebuilt body bytes (the same URL, token and bytes the client sends,
 *       which is checked), with the answer read into bytes; a new request each time, as each query has its own
 *       body. So the client's extra is its own work: turning the statement into JSON, the read-only check that
 *       governs retries, parsing the answer into a typed row. The same is shown once more with OkHttp's HTTP work
 *       cut out as well (an interceptor answers before it), which leaves the baseline only OkHttp's call
 *       dispatch: the strictest view of the same extra;</li>
 *   <li>end-to-end p50/p99 against the gateway Worker in Miniflare, against bare OkHttp posting prebuilt bytes to a
 *       prebuilt URL with prebuilt headers and reading the body into bytes.</li>
 * </ol>
 * Both run in rounds that alternate which goes first, after a warm-up, and report medians, so neither gains from a
 * warmer JIT or a quieter machine: on a busy machine only the ratios within one run compare.
 * Run: {@code mvn -pl client -am test-compile exec:java -Dexec.mainClass=dev.kuratchi.client.bench.ClientBenchmark
 * -Dexec.classpathScope=test [-Dbench.requests=5000] [-Dbench.rounds=3] [-Dbench.costRounds=7]
 * [-Dbench.warmupSeconds=5]}
 */
public final class ClientBenchmark {
    private static final com.sun.management.ThreadMXBean ALLOCATION =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private static final String KEY = "client-benchmark-key";
    private static final String SQL = "SELECT id, name, price, note FROM items WHERE id = ?";
    private static final MediaType JSON = MediaType.get("application/json");

    public static void main(String[] args) throws Exception {
        int requests = Integer.getInteger("bench.requests", 5000);
        int rounds = Integer.getInteger("bench.rounds", 3);
        System.out.printf("client benchmark: %d requests per end-to-end round, %d rounds (medians), Java %s%n",
                requests, rounds, System.getProperty("java.version"));
        try (WorkerProcess worker = WorkerProcess.start(KEY)) {
            URI url = worker.url();
            new AdminClient(url, GatewayKey.of(KEY), GatewayTransport.withDefaults()).provision("bench", List.of(
                    new Migration("0001",
                            "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, price REAL, note TEXT);"
                            + "INSERT INTO items (id, name, price) SELECT value, 'item-' || value, value / 2.0 FROM "
                            + "json_each('[" + String.join(",", java.util.stream.IntStream.rangeClosed(1, 1000)
                            .mapToObj(Integer::toString).toList()) + "]');")));
            DatabaseToken token = new Tokens(GatewayKey.of(KEY), Clock.systemUTC()).issue("bench", Duration.ofHours(1));
            Bare bare = new Bare(url, token);
            clientSideCost(bare, requests * 10, Integer.getInteger("bench.costRounds", 7));
            endToEnd(bare, requests, rounds);
        }
    }

    /** Bare OkHttp: the URL and headers built once, a body per id built before the clock starts. */
    private record Bare(URI endpoint, DatabaseToken token, HttpUrl url, Headers headers, byte[][] bodies) {
        Bare(URI endpoint, DatabaseToken token) {
            this(endpoint, token, HttpUrl.get(endpoint + "/api/first"),
                    Headers.of("authorization", "Bearer " + token.reveal(), "x-db-name", token.databaseName()),
                    java.util.stream.IntStream.rangeClosed(1, 1000).mapToObj(id -> ("{\"query\":\"" + SQL
                            + "\",\"params\":[" + id + "]}").getBytes(StandardCharsets.UTF_8)).toArray(byte[][]::new));
        }

        Request request(int id) {
            return new Request.Builder().url(url).headers(headers).post(RequestBody.create(bodies[id - 1], JSON))
                    .build();
        }

        byte[] call(OkHttpClient http, Request request) {
            try (Response response = http.newCall(request).execute()) {
                if (!response.isSuccessful()) {
                    throw new IllegalStateException("HTTP " + response.code());
                }
                return response.body().bytes();
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private static void clientSideCost(Bare bare, int calls, int rounds) {
        Request request = bare.request(42);
        byte[] answer = bare.call(new OkHttpClient(), request); // what the Worker answers, to answer it again
        OkHttpClient atTheSocket = AnsweringSocket.client(answer);
        OkHttpClient beforeOkHttp = new OkHttpClient.Builder().addInterceptor(chain -> {
            chain.request().body().writeTo(new okio.Buffer());
            return new Response.Builder().request(chain.request()).protocol(Protocol.HTTP_1_1).code(200).message("OK")
                    .body(ResponseBody.create(answer, JSON)).build();
        }).build();
        System.out.printf("%nclient-side cost per query (%d calls a round, %d rounds, medians):%n", calls, rounds);
        costPerQuery("network cut out at the socket", atTheSocket, bare, calls, rounds);
        costPerQuery("OkHttp's HTTP work cut out too", beforeOkHttp, bare, calls, rounds);
    }

    private static void costPerQuery(String title, OkHttpClient network, Bare bare, int calls, int rounds) {
        sameRequest(network, bare);
        GatewayClient client = GatewayClient.builder().connection(bare.endpoint(), bare.token())
                .transport(new GatewayTransport(network, RetryPolicy.DEFAULT, d -> { })).build();
        List<IntConsumer> paths = List.of(
                i -> client.first(Statement.of(SQL, 42)).orElseThrow(),
                i -> bare.call(network, bare.request(42)));
        // On a busy machine the JIT's compiler threads get little time: warm both paths up for a while first,
        // or the first rounds measure the interpreter.
        long warmUntil = System.nanoTime() + Duration.ofSeconds(Long.getLong("bench.warmupSeconds", 5)).toNanos();
        for (int chunk = 0; chunk < 6 || System.nanoTime() < warmUntil; chunk++) {
            perCall(calls / 5, paths.get(chunk % paths.size()));
        }
        double[][] nanos = new double[paths.size()][rounds];
        double[][] bytes = new double[paths.size()][rounds];
        for (int round = 0; round < rounds; round++) {
            for (int p = 0; p < paths.size(); p++) {
                int path = (p + round) % paths.size(); // each goes first in turn
                double[] measured = perCall(calls, paths.get(path));
                nanos[path][round] = measured[0];
                bytes[path][round] = measured[1];
            }
        }
        double c = median(nanos[0]);
        double b = median(nanos[1]);
        System.out.printf("  %s:%n", title);
        System.out.printf("    %-48s %7.2f us  %6.0f bytes allocated%n", "kuratchi client (statement to typed row)",
                c / 1000, median(bytes[0]));
        System.out.printf("    %-48s %7.2f us  %6.0f bytes allocated%n", "bare OkHttp (prebuilt URL, headers, bytes)",
                b / 1000, median(bytes[1]));
        System.out.printf("    %-48s x%.2f  (the client's own work: %.2f us a query)%n", "client / bare", c / b,
                (c - b) / 1000);
    }

    /**
     * Fails unless the client sends what the bare baseline sends (the same URL, credentials and body bytes) and reads
     * the whole row from the answer.
     */
    private static void sameRequest(OkHttpClient network, Bare bare) {
        Request request = bare.request(42);
        List<Request> seen = new ArrayList<>();
        OkHttpClient.Builder recording = network.newBuilder();
        recording.interceptors().add(0, chain -> {
            seen.add(chain.request());
            return chain.proceed(chain.request());
        });
        GatewayClient client = GatewayClient.builder().connection(bare.endpoint(), bare.token())
                .transport(new GatewayTransport(recording.build(), RetryPolicy.DEFAULT, d -> { })).build();
        dev.kuratchi.client.gateway.Row row = client.first(Statement.of(SQL, 42)).orElseThrow();
        Request sent = seen.get(0);
        if (!sent.url().equals(request.url()) || !sent.method().equals(request.method())
                || !Objects.equals(sent.header("authorization"), request.header("authorization"))
                || !Objects.equals(sent.header("x-db-name"), request.header("x-db-name"))
                || !Arrays.equals(bodyBytes(sent), bodyBytes(request))) {
            throw new IllegalStateException("the client and the baseline do not send the same request");
        }
        if (!row.columns().equals(java.util.Set.of("id", "name", "price", "note")) || row.getLong("id") != 42) {
            throw new IllegalStateException("the client did not read the row: " + row);
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

    private static void endToEnd(Bare bare, int requests, int rounds) {
        GatewayClient client = GatewayClient.builder().connection(bare.endpoint(), bare.token()).build();
        OkHttpClient http = new OkHttpClient();
        List<double[]> clientRounds = new ArrayList<>();
        List<double[]> bareRounds = new ArrayList<>();
        IntConsumer viaClient = i -> client.first(Statement.of(SQL, (i % 1000) + 1)).orElseThrow();
        IntConsumer viaBare = i -> bare.call(http, bare.request((i % 1000) + 1));
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
        System.out.printf("%nend to end, against the Worker in Miniflare, one client thread:%n");
        System.out.printf("  %-46s p50 %7.3f ms   p99 %7.3f ms%n", "kuratchi client", clientP50, clientP99);
        System.out.printf("  %-46s p50 %7.3f ms   p99 %7.3f ms%n", "bare OkHttp (prebuilt URL, headers, bytes)",
                bareP50, bareP99);
        System.out.printf("  %-46s p50 x%.3f        p99 x%.3f%n", "client / bare", clientP50 / bareP50,
                clientP99 / bareP99);
    }

    /** Nanoseconds and bytes allocated per call. */
    private static double[] perCall(int calls, IntConsumer call) {
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
