package dev.kuratchi.operator.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kuratchi.client.admin.AdminClient;
import dev.kuratchi.client.admin.Migration;
import dev.kuratchi.client.gateway.GatewayClient;
import dev.kuratchi.client.gateway.GatewayTransport;
import dev.kuratchi.client.token.DatabaseToken;
import dev.kuratchi.client.token.GatewayKey;
import dev.kuratchi.client.token.Tokens;
import dev.kuratchi.operator.cloudflare.ApiRateLimiter;
import dev.kuratchi.operator.cloudflare.CloudflareClient;
import dev.kuratchi.operator.cloudflare.CloudflareException;
import dev.kuratchi.operator.gateway.WorkerBundle;
import dev.kuratchi.operator.support.EmulatorProcess;
import dev.kuratchi.operator.support.MockCluster;
import dev.kuratchi.operator.support.OperatorHarness;
import dev.kuratchi.operator.support.RealCluster;
import dev.kuratchi.operator.support.TestCluster;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntConsumer;
import java.util.function.Predicate;
import okhttp3.OkHttpClient;

/** What the operator benchmarks share: parallel creation, create-to-Ready timing, heap peak, kuratchi-sdk's steps. */
final class BenchSupport {
    /** Threads that create resources at the API server. */
    static final int CREATORS = 8;

    private BenchSupport() {}

    /** A benchmark's body: it closes everything it opens. */
    interface Body {
        void run() throws Exception;
    }

    /**
     * Runs {@code body}, then ends the JVM (status 1 if it failed): JOSDK 5.3.2's Operator.stop() leaves its
     * scheduled executor's thread (non-daemon, "pool-N-thread-1") running, and exec:java waits for it forever.
     */
    static void runThenExit(Body body) {
        int status = 1;
        try {
            body.run();
            status = 0;
        } catch (Throwable e) {
            e.printStackTrace();
        } finally {
            System.out.flush();
            System.exit(status);
        }
    }

    /**
     * The Kubernetes API of a run, from {@code -Dbench.cluster}: {@code mock} (default) for a Fabric8 mock server per
     * use, {@code real} for local/kube's API server, one for the JVM (built first if needed).
     */
    record Clusters(boolean real) {
        static Clusters fromProperty() {
            return new Clusters("real".equals(System.getProperty("bench.cluster", "mock")));
        }

        /** A cluster for one part of the run; the operator harness closes it only when it is a mock one. */
        TestCluster next() {
            return real ? RealCluster.shared() : new MockCluster();
        }

        String apiServer() {
            return real ? "real (local/kube)" : "Fabric8 mock";
        }

        /** What the peak heap covers. */
        String heap() {
            return real ? "operator and benchmark JVM" : "JVM with the operator and the mock API server";
        }
    }

    /** Runs {@code task(0..n-1)} on {@link #CREATORS} threads and waits for all of them. */
    static void inParallel(int n, IntConsumer task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(CREATORS);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int index = i;
                futures.add(pool.submit(() -> task.accept(index)));
            }
            for (Future<?> future : futures) {
                future.get();
            }
        } finally {
            pool.shutdown();
        }
    }

    static void namespace(KubernetesClient client, String name) {
        // Not server-side apply: the mock API server has none.
        client.resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
                .createOr(NonDeletingOperation::update);
    }

    /** Starts a new heap peak: {@link #peakHeapMb} reports the highest use since. */
    static void resetHeapPeak() {
        ManagementFactory.getMemoryPoolMXBeans().forEach(MemoryPoolMXBean::resetPeakUsage);
    }

    static long peakHeapMb() {
        return ManagementFactory.getMemoryPoolMXBeans().stream().filter(p -> p.getType() == MemoryType.HEAP)
                .mapToLong(p -> p.getPeakUsage().getUsed()).sum() / (1024 * 1024);
    }

    static double percentile(double[] sorted, double q) {
        return sorted[Math.min(sorted.length - 1, (int) Math.floor(q * sorted.length))];
    }

    /**
     * Create-to-Ready times of one resource kind: {@link #created} stamps a resource just before its create, an
     * informer stamps it the first time it is seen Ready. Keys are {@code namespace/name}.
     */
    static final class ReadyTimes<T extends HasMetadata> implements AutoCloseable {
        private final Map<String, Long> created = new ConcurrentHashMap<>();
        private final Map<String, Long> ready = new ConcurrentHashMap<>();
        private final SharedIndexInformer<T> informer;

        ReadyTimes(KubernetesClient client, Class<T> type, Predicate<T> isReady) {
            informer = client.resources(type).inAnyNamespace().inform(new ResourceEventHandler<>() {
                @Override
                public void onAdd(T resource) {
                    onUpdate(null, resource);
                }

                @Override
                public void onUpdate(T old, T resource) {
                    if (isReady.test(resource)) {
                        ready.putIfAbsent(key(resource.getMetadata().getNamespace(), resource.getMetadata().getName()),
                                System.nanoTime());
                    }
                }

                @Override
                public void onDelete(T resource, boolean unknown) {
                }
            });
        }

        private static String key(String namespace, String name) {
            return namespace + "/" + name;
        }

        /** Call just before creating the resource. */
        void created(String namespace, String name) {
            created.put(key(namespace, name), System.nanoTime());
        }

        /**
         * Waits until every resource stamped by {@link #created} is Ready; the time the last one became Ready.
         *
         * @throws IllegalStateException when some are not Ready by the timeout, naming how many
         */
        long awaitAll(Duration timeout) throws InterruptedException {
            return awaitAll(timeout, () -> { });
        }

        /** As {@link #awaitAll(Duration)}, running {@code check} (which throws to stop waiting) as it waits. */
        long awaitAll(Duration timeout, Runnable check) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!allReady() && System.nanoTime() < deadline) {
                check.run();
                Thread.sleep(20);
            }
            long done = created.keySet().stream().filter(ready::containsKey).count();
            if (done < created.size()) {
                throw new IllegalStateException("only " + done + " of " + created.size() + " became Ready in "
                        + timeout.toSeconds() + " s");
            }
            return created.keySet().stream().mapToLong(ready::get).max().orElse(System.nanoTime());
        }

        private boolean allReady() {
            return ready.keySet().containsAll(created.keySet());
        }

        /** Create-to-Ready seconds of every resource stamped, sorted. */
        double[] latencies() {
            return created.entrySet().stream().mapToDouble(e -> (ready.get(e.getKey()) - e.getValue()) / 1e9)
                    .sorted().toArray();
        }

        /** For each resource stamped here, seconds from its Ready in {@code earlier} (same key) to its Ready here, sorted. */
        double[] latenciesAfter(ReadyTimes<?> earlier) {
            return created.keySet().stream().filter(earlier.ready::containsKey)
                    .mapToDouble(key -> (ready.get(key) - earlier.ready.get(key)) / 1e9).sorted().toArray();
        }

        /** Forgets every stamp (after a warm-up). */
        void clear() {
            created.clear();
            ready.clear();
        }

        @Override
        public void close() {
            informer.close();
        }
    }

    /**
     * One emulator account driven as kuratchi-sdk drives Cloudflare and the gateway: a Cloudflare client without the
     * operator's rate limit, the gateway Worker bundle, an admin client and a token minter with the gateway key.
     */
    static final class SeedAccount implements AutoCloseable {
        final EmulatorProcess emulator;
        final CloudflareClient cloudflare;
        final WorkerBundle bundle = WorkerBundle.fromClasspath();
        final GatewayKey key = GatewayKey.of(OperatorHarness.GATEWAY_KEY);
        final AdminClient admin;
        final Tokens tokens = new Tokens(key, Clock.systemUTC());

        SeedAccount() {
            emulator = EmulatorProcess.start();
            cloudflare = new CloudflareClient(emulator.apiUrl(), EmulatorProcess.API_TOKEN, emulator.accountId(),
                    new OkHttpClient(), ApiRateLimiter.of(1_000_000, Duration.ofSeconds(1)), new SimpleMeterRegistry());
            admin = new AdminClient(emulator.gatewayUrl(OperatorHarness.SCRIPT), key, GatewayTransport.withDefaults());
        }

        /** Cloudflare API calls made on this account so far. */
        long calls() {
            return emulator.calls().size();
        }

        /**
         * kuratchi-sdk's createDatabase: every call uploads the Worker (again without the migration when the class
         * exists), enables the subdomain, then provisions with {@code migrations} and polls until the database
         * answers (every 100 ms; the SDK sleeps 2 s between tries, so this favours the SDK). Returns the token.
         */
        DatabaseToken createDatabase(String name, List<Migration> migrations) throws InterruptedException {
            try {
                cloudflare.uploadScript(OperatorHarness.SCRIPT, gatewayMetadata(true), bundle.modules());
            } catch (CloudflareException e) {
                cloudflare.uploadScript(OperatorHarness.SCRIPT, gatewayMetadata(false), bundle.modules());
            }
            cloudflare.enableScriptSubdomain(OperatorHarness.SCRIPT);
            admin.provision(name, migrations);
            DatabaseToken token = tokens.issue(name, Tokens.DEFAULT_TTL);
            GatewayClient gateway = gateway(token);
            while (true) {
                try {
                    gateway.query("SELECT 1 AS test");
                    return token;
                } catch (RuntimeException notYet) {
                    Thread.sleep(100);
                }
            }
        }

        GatewayClient gateway(DatabaseToken token) {
            return GatewayClient.builder().connection(emulator.gatewayUrl(OperatorHarness.SCRIPT), token).build();
        }

        private ObjectNode gatewayMetadata(boolean migrations) {
            ObjectNode metadata = new ObjectMapper().createObjectNode();
            metadata.put("main_module", bundle.mainModule()).put("compatibility_date", bundle.compatibilityDate());
            var bindings = metadata.putArray("bindings");
            bindings.addObject().put("type", "durable_object_namespace").put("name", bundle.durableObjectBinding())
                    .put("class_name", bundle.durableObjectClass());
            bindings.addObject().put("type", "secret_text").put("name", bundle.gatewayKeyBinding())
                    .put("text", key.reveal());
            if (migrations) {
                metadata.putObject("migrations").putArray("new_sqlite_classes").add(bundle.durableObjectClass());
            }
            return metadata;
        }

        @Override
        public void close() throws Exception {
            emulator.close();
        }
    }
}
