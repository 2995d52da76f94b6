package dev.kuratchi.operator.bench;

import static dev.kuratchi.operator.bench.BenchSupport.CREATORS;
import static dev.kuratchi.operator.bench.BenchSupport.inParallel;
import static dev.kuratchi.operator.bench.BenchSupport.namespace;
import static dev.kuratchi.operator.bench.BenchSupport.percentile;

import dev.kuratchi.client.admin.Migration;
import dev.kuratchi.operator.bench.BenchSupport.Clusters;
import dev.kuratchi.operator.bench.BenchSupport.ReadyTimes;
import dev.kuratchi.operator.bench.BenchSupport.SeedAccount;
import dev.kuratchi.operator.dodatabase.DoDatabase;
import dev.kuratchi.operator.dodatabase.DoDatabaseSpec;
import dev.kuratchi.operator.status.Conditions;
import dev.kuratchi.operator.support.EmulatorProcess;
import dev.kuratchi.operator.support.OperatorHarness;
import dev.kuratchi.operator.support.TestCluster;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Duration;
import java.util.List;
import java.util.Map;

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
 * -Dexec.mainClass=dev.kuratchi.operator.bench.DoDatabaseBenchmark -Dexec.classpathScope=test
 * -Dkuratchi.worker.dir=$PWD/worker [-Dbench.n=1000] [-Dbench.cluster=real]}; with {@code real}, the API server is local/kube's (built first if needed).
 */
public final class DoDatabaseBenchmark {
    public static void main(String[] args) {
        BenchSupport.runThenExit(DoDatabaseBenchmark::run);
    }

    private static void run() throws Exception {
        int n = Integer.getInteger("bench.n", 1000);
        Clusters clusters = Clusters.fromProperty();
        int seedSample = Integer.getInteger("bench.seedSample", 40);
        System.out.printf("DoDatabase benchmark: N=%d, %s API server, %d creating threads, Java %s, %d cores%n", n,
                clusters.apiServer(), CREATORS, System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors());

        double floorSeconds = floor(clusters.next(), n);
        System.out.printf("floor (bare client, same Kubernetes writes, no operator): %.1f s%n", floorSeconds);

        OperatorRun run = operator(clusters.next(), !clusters.real(), n);
        System.out.printf("operator: all %d Ready in %.1f s; create->Ready p50 %.2f s, p99 %.2f s; peak heap %d MB "
                + "(%s); Cloudflare API calls %d%n", n, run.seconds, run.p50, run.p99, run.peakHeapMb,
                clusters.heap(),
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
            try (ReadyTimes<DoDatabase> times = new ReadyTimes<>(client, DoDatabase.class, db -> db.getStatus() != null
                    && Conditions.isTrue(db.getStatus().getConditions(), "Ready"))) {
                BenchSupport.resetHeapPeak();
                long start = System.nanoTime();
                inParallel(n, i -> {
                    times.created("bench", "db-" + i);
                    client.resource(resource("bench", "db-" + i)).create();
                });
                long end = times.awaitAll(Duration.ofMinutes(10));
                double[] latencies = times.latencies();
                return new OperatorRun((end - start) / 1e9, percentile(latencies, 0.5), percentile(latencies, 0.99),
                        BenchSupport.peakHeapMb(), harness.emulator().calls().size());
            }
        }
    }

    // kuratchi-sdk's createDatabase per database, one after another.
    private static SeedRun seed(int sample) throws Exception {
        try (SeedAccount account = new SeedAccount()) {
            long start = System.nanoTime();
            for (int i = 0; i < sample; i++) {
                account.createDatabase("seed-" + i, List.<Migration>of());
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            return new SeedRun(seconds / sample, account.calls() / (double) sample);
        }
    }
}
