package dev.kuratchi.operator.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kuratchi.client.admin.AdminClient;
import dev.kuratchi.client.admin.Migration;
import dev.kuratchi.client.gateway.GatewayClient;
import dev.kuratchi.client.gateway.GatewayTransport;
import dev.kuratchi.client.token.GatewayKey;
import dev.kuratchi.client.token.Tokens;
import dev.kuratchi.operator.cloudflare.ApiRateLimiter;
import dev.kuratchi.operator.cloudflare.CloudflareClient;
import dev.kuratchi.operator.cloudflare.CloudflareException;
import dev.kuratchi.operator.dodatabase.DoDatabase;
import dev.kuratchi.operator.dodatabase.DoDatabaseSpec;
import dev.kuratchi.operator.gateway.WorkerBundle;
import dev.kuratchi.operator.status.Conditions;
import dev.kuratchi.operator.support.EmulatorProcess;
import dev.kuratchi.operator.support.MockCluster;
import dev.kuratchi.operator.support.OperatorHarness;
import dev.kuratchi.operator.support.RealCluster;
import dev.kuratchi.operator.support.TestCluster;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import java.util.function.Supplier;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
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
import okhttp3.OkHttpClient;

/**
 * Applies N DoDatabases and reports how long until all are Ready, per-database create-to-Ready latency, peak heap
 * and Cloudflare API calls, with two references measured in the same run:
 * <ul>
 *   <li>the floor: the same Kubernetes writes per database (create, finalizer, Secret, status) by a bare client,
 *       no operator;</li>
 *   <li>the seed's flow: kuratchi-sdk's createDatabase per database (upload the Worker, enable the subdomain,
 *       provision, poll until it answers), measured on a sample and scaled to N.</li>
 * </ul>
 * Run: {@code mvn -B -q install -DskipTests && mvn -B -q -pl operator test-compile exec:java
 * -Dexec.mainClass=dev.kuratchi.operator.bench.DoDatabaseBenchmark -Dexec.classpathScope=test [-Dbench.n=1000]
 * [-Dbench.cluster=real]}; with {@code real}, the API server is local/kube's (built first if needed).
 */
public final class DoDatabaseBenchmark {
    private static final int CREATORS = 8;

    public static void main(String[] args) throws Exception {
        int n = Integer.getInteger("bench.n", 1000);
        boolean real = "real".equals(System.getProperty("bench.cluster", "mock"));
        int seedSample = Integer.getInteger("bench.seedSample", 40);
        System.out.printf("DoDatabase benchmark: N=%d, %s API server, %d creating threads, Java %s, %d cores%n", n,
                real ? "real (local/kube)" : "Fabric8 mock", CREATORS, System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors());
        Supplier<TestCluster> clusters = real ? RealCluster::shared : MockCluster::new;

        double floorSeconds = floor(clusters.get(), n);
        System.out.printf("floor (bare client, same Kubernetes writes, no operator): %.1f s%n", floorSeconds);

        OperatorRun run = operator(clusters.get(), !real, n);
        System.out.printf("operator: all %d Ready in %.1f s; create->Ready p50 %.2f s, p99 %.2f s; peak heap %d MB "
                + "(%s); Cloudflare API calls %d%n", n, run.seconds, run.p50, run.p99, run.peakHeapMb,
                real ? "operator and benchmark JVM" : "JVM with the operator and the mock API server",
                run.cloudflareCalls);

        SeedRun seed = seed(seedSample);
        double seedProjected = seed.secondsPerDatabase * n;
        System.out.printf("seed flow (kuratchi-sdk createDatabase, one after another, measured on %d): %.3f s and %.1f "
                + "Cloudflare API calls per database -> %d would take %.0f s and %.0f API calls (Cloudflare allows 1200 "
                + "per 5 minutes)%n", seedSample, seed.secondsPerDatabase, seed.callsPerDatabase, n, seedProjected,
                seed.callsPerDatabase * n);
        System.out.printf("%nratios: operator / floor x%.2f; seed / operator x%.1f; API calls seed / operator x%.0f%n",
                run.seconds / floorSeconds, seedProjected / run.seconds,
                seed.callsPerDatabase * n / Math.max(1, run.cloudflareCalls));
    }

    private record OperatorRun(double seconds, double p50, double p99, long peakHeapMb, long cloudflareCalls) {}

    private record SeedRun(double secondsPerDatabase, double callsPerDatabase) {}

    private static DoDatabase resource(String namespace, String name) {
        DoDatabase resource = new DoDatabase();
        resource.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
        resource.setSpec(new DoDatabaseSpec());
        return resource;
    }

    private static void inParallel(int n, IntConsumer task) throws Exception {
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

    private static void namespace(KubernetesClient client, String name) {
        // Not server-side apply: the mock API server has none.
        client.resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
                .createOr(NonDeletingOperation::update);
    }

    private static double floor(TestCluster testCluster, int n) throws Exception {
        try (TestCluster cluster = testCluster) {
            KubernetesClient client = cluster.client();
            namespace(client, "floor");
            long start = System.nanoTime();
            inParallel(n, i -> {
                DoDatabase created = client.resource(resource("floor", "db-" + i)).create();
                client.resource(created).patch(PatchContext.of(PatchType.JSON_MERGE),
                        "{\"metadata\":{\"finalizers\":[\"dodatabases.kuratchi.dev/finalizer\"]}}");
                client.resource(new SecretBuilder().withNewMetadata().withName("db-" + i + "-db").withNamespace("floor")
                        .endMetadata().addToStringData("token", "x").build()).create();
                client.resources(DoDatabase.class).inNamespace("floor").withName("db-" + i).subresource("status")
                        .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"status\":{\"databaseName\":\"db-" + i + "\"}}");
            });
            return (System.nanoTime() - start) / 1e9;
        }
    }

    private static OperatorRun operator(TestCluster cluster, boolean ownsCluster, int n) throws Exception {
        try (OperatorHarness harness = new OperatorHarness(cluster, ownsCluster, EmulatorProcess.start(),
                Map.of("KURATCHI_WATCH_NAMESPACES", "bench"))) {
            KubernetesClient client = harness.client();
            namespace(client, "bench");
            Map<String, Long> created = new ConcurrentHashMap<>();
            Map<String, Long> ready = new ConcurrentHashMap<>();
            var informer = client.resources(DoDatabase.class).inAnyNamespace().inform(new ResourceEventHandler<>() {
                @Override
                public void onAdd(DoDatabase db) {
                    onUpdate(null, db);
                }

                @Override
                public void onUpdate(DoDatabase old, DoDatabase db) {
                    if (db.getStatus() != null && Conditions.isTrue(db.getStatus().getConditions(), "Ready")) {
                        ready.putIfAbsent(db.getMetadata().getName(), System.nanoTime());
                    }
                }

                @Override
                public void onDelete(DoDatabase db, boolean unknown) {
                }
            });
            ManagementFactory.getMemoryPoolMXBeans().forEach(MemoryPoolMXBean::resetPeakUsage);
            long start = System.nanoTime();
            inParallel(n, i -> {
                created.put("db-" + i, System.nanoTime());
                client.resource(resource("bench", "db-" + i)).create();
            });
            long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
            while (ready.size() < n && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            long end = ready.values().stream().mapToLong(Long::longValue).max().orElse(System.nanoTime());
            informer.close();
            if (ready.size() < n) {
                throw new IllegalStateException("only " + ready.size() + " of " + n + " became Ready in 10 minutes");
            }
            double[] latencies = created.entrySet().stream()
                    .mapToDouble(e -> (ready.get(e.getKey()) - e.getValue()) / 1e9).sorted().toArray();
            long peak = ManagementFactory.getMemoryPoolMXBeans().stream().filter(p -> p.getType() == MemoryType.HEAP)
                    .mapToLong(p -> p.getPeakUsage().getUsed()).sum() / (1024 * 1024);
            return new OperatorRun((end - start) / 1e9, percentile(latencies, 0.5), percentile(latencies, 0.99), peak,
                    harness.emulator().calls().size());
        }
    }

    // kuratchi-sdk's createDatabase: every call uploads the Worker (retrying without the migration when the class
    // exists), enables the subdomain, then provisions and polls until the database answers.
    private static SeedRun seed(int sample) throws Exception {
        try (EmulatorProcess emulator = EmulatorProcess.start()) {
            OkHttpClient http = new OkHttpClient();
            CloudflareClient cloudflare = new CloudflareClient(emulator.apiUrl(), EmulatorProcess.API_TOKEN,
                    emulator.accountId(), http, ApiRateLimiter.of(1_000_000, Duration.ofSeconds(1)),
                    new SimpleMeterRegistry());
            WorkerBundle bundle = WorkerBundle.fromClasspath();
            GatewayKey key = GatewayKey.of(OperatorHarness.GATEWAY_KEY);
            AdminClient admin = new AdminClient(emulator.gatewayUrl(OperatorHarness.SCRIPT), key, GatewayTransport.withDefaults());
            Tokens tokens = new Tokens(key, Clock.systemUTC());
            long start = System.nanoTime();
            for (int i = 0; i < sample; i++) {
                try {
                    cloudflare.uploadScript(OperatorHarness.SCRIPT, seedMetadata(bundle, key, true), bundle.modules());
                } catch (CloudflareException e) {
                    cloudflare.uploadScript(OperatorHarness.SCRIPT, seedMetadata(bundle, key, false), bundle.modules());
                }
                cloudflare.enableScriptSubdomain(OperatorHarness.SCRIPT);
                String name = "seed-" + i;
                admin.provision(name, List.<Migration>of());
                GatewayClient gateway = GatewayClient.builder().connection(emulator.gatewayUrl(OperatorHarness.SCRIPT),
                        tokens.issue(name, Duration.ofDays(30))).build();
                while (true) {
                    try {
                        gateway.query("SELECT 1 AS test");
                        break;
                    } catch (RuntimeException notYet) {
                        Thread.sleep(100);
                    }
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            return new SeedRun(seconds / sample, emulator.calls().size() / (double) sample);
        }
    }

    private static ObjectNode seedMetadata(WorkerBundle bundle, GatewayKey key, boolean migrations) {
        ObjectNode metadata = new ObjectMapper().createObjectNode();
        metadata.put("main_module", bundle.mainModule()).put("compatibility_date", bundle.compatibilityDate());
        var bindings = metadata.putArray("bindings");
        bindings.addObject().put("type", "durable_object_namespace").put("name", bundle.durableObjectBinding())
                .put("class_name", bundle.durableObjectClass());
        bindings.addObject().put("type", "secret_text").put("name", bundle.gatewayKeyBinding()).put("text", key.reveal());
        if (migrations) {
            metadata.putObject("migrations").putArray("new_sqlite_classes").add(bundle.durableObjectClass());
        }
        return metadata;
    }

    private static double percentile(double[] sorted, double q) {
        return sorted[Math.min(sorted.length - 1, (int) Math.floor(q * sorted.length))];
    }
}
