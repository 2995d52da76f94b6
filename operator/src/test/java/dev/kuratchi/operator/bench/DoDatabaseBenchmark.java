package dev.kuratchi.operator.bench;

import static dev.kuratchi.operator.bench.BenchSupport.CREATORS;
import static dev.kuratchi.operator.bench.BenchSupport.inParallel;
import static dev.kuratchi.operator.bench.BenchSupport.namespace;
import static dev.kuratchi.operator.bench.BenchSupport.percentile;

import dev.kuratchi.client.admin.AdminClient;
import dev.kuratchi.client.admin.Migration;
import dev.kuratchi.client.gateway.GatewayTransport;
import dev.kuratchi.client.secret.MountedSecret;
import dev.kuratchi.client.token.GatewayKey;
import dev.kuratchi.client.token.Tokens;
import dev.kuratchi.operator.OperatorFactory;
import dev.kuratchi.operator.bench.BenchSupport.ReadyTimes;
import dev.kuratchi.operator.bench.BenchSupport.SeedAccount;
import dev.kuratchi.operator.dodatabase.DoDatabase;
import dev.kuratchi.operator.dodatabase.DoDatabaseSpec;
import dev.kuratchi.operator.dodatabase.TokenSecret;
import dev.kuratchi.operator.status.Conditions;
import dev.kuratchi.operator.support.EmulatorProcess;
import dev.kuratchi.operator.support.OperatorHarness;
import dev.kuratchi.operator.support.OperatorProcess;
import dev.kuratchi.operator.support.RealCluster;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * DoDatabases on the real API server of local/kube, the operator in a JVM of its own (the distribution jar, as a
 * ServiceAccount bound to deploy/'s ClusterRole), against a floor measured in the same run: {@link FloorController},
 * the writes and the one gateway call a correct operator must make per database, on as many threads. Both are warmed
 * up and timed from the first create to the last Ready seen by a watch, in rounds that alternate floor, operator,
 * operator, floor, so that neither gains from running first or last. Prints:
 * <ol>
 *   <li>N at once, each round: all Ready, create-to-Ready p50 and p99, for both, and their ratio; then the means; the
 *       operator's CPU time per database, peak heap, live heap after a full collection (holding N, then all rounds')
 *       and resident memory;</li>
 *   <li>one at a time: create to a Secret holding a token, p50 and p99, for both;</li>
 *   <li>steady state (everything Ready, nothing changing): the operator's Kubernetes writes, Cloudflare calls and
 *       gateway calls per minute;</li>
 *   <li>a restart: how long until every DoDatabase is reconciled once, and the writes that took;</li>
 *   <li>kuratchi-sdk's createDatabase, one database after another, measured on a sample and scaled to N.</li>
 * </ol>
 * Run from the repository root: {@code mvn -B -q install -DskipTests && mvn -B -q -pl operator exec:java
 * -Dexec.classpathScope=test -Dkuratchi.worker.dir=$PWD/worker
 * -Dexec.mainClass=dev.kuratchi.operator.bench.DoDatabaseBenchmark} with {@code -Dbench.n=1000} (databases at once),
 * {@code -Dbench.rounds=2} (pairs of rounds), {@code -Dbench.warmUp=1000} (databases each side makes first),
 * {@code -Dbench.single=60} (one at a time, after 5 warm-ups), {@code -Dbench.idle=60} (seconds of steady state),
 * {@code -Dbench.operatorJvm="-Xmx256m"} (the operator's JVM options), {@code -Dbench.seedSample=40}.
 */
public final class DoDatabaseBenchmark {
    private static final String NAMESPACE = "bench";
    private static final String FLOOR = "floor";
    private static final String ACCOUNT = "kuratchi-bench";
    private static final int SINGLE_WARM_UP = 5;
    // The operator's default; the floor works on as many threads.
    private static final int THREADS = 10;

    private DoDatabaseBenchmark() {}

    public static void main(String[] args) {
        BenchSupport.runThenExit(DoDatabaseBenchmark::run);
    }

    private record Bulk(double seconds, double p50, double p99) {
        static Bulk mean(List<Bulk> rounds) {
            return new Bulk(rounds.stream().mapToDouble(Bulk::seconds).average().orElseThrow(),
                    rounds.stream().mapToDouble(Bulk::p50).average().orElseThrow(),
                    rounds.stream().mapToDouble(Bulk::p99).average().orElseThrow());
        }
    }

    private record Single(double p50, double p99) {}

    private static void run() throws Exception {
        int n = Integer.getInteger("bench.n", 1000);
        int rounds = Integer.getInteger("bench.rounds", 2);
        // Enough for the JIT to have compiled both sides' code: after 50 the operator's JVM still spent 13.8 ms of CPU
        // per database at N=1000, against 4.1-4.8 ms at N=10,000.
        int warmUp = Integer.getInteger("bench.warmUp", 1000);
        if (rounds < 1) {
            throw new IllegalArgumentException("bench.rounds is the number of pairs of rounds: 1 or more");
        }
        int single = Integer.getInteger("bench.single", 60);
        Duration idle = Duration.ofSeconds(Integer.getInteger("bench.idle", 60));
        int seedSample = Integer.getInteger("bench.seedSample", 40);
        List<String> operatorJvm = Arrays.stream(System.getProperty("bench.operatorJvm", "").split(" "))
                .filter(s -> !s.isBlank()).toList();
        System.out.printf("DoDatabase benchmark: N=%d, real API server (local/kube), operator in its own JVM %s, "
                + "%d creating threads, %d reconcile threads, Java %s, %d cores%n", n, operatorJvm, CREATORS, THREADS,
                System.getProperty("java.version"), Runtime.getRuntime().availableProcessors());
        Path dir = RealCluster.repositoryRoot().resolve("operator/target/bench");
        Files.createDirectories(dir);

        RealCluster cluster = RealCluster.shared();
        KubernetesClient client = cluster.client();
        namespace(client, NAMESPACE);
        namespace(client, FLOOR);
        Map<String, String> environment = operatorEnvironment(cluster, dir);
        try (EmulatorProcess emulator = EmulatorProcess.start()) {
            environment.putAll(OperatorHarness.environment(emulator));
            environment.remove("KURATCHI_TOKEN_REVOCATION_GRACE");
            ApiAudit audit = new ApiAudit(cluster.auditLog(), "system:serviceaccount:" + NAMESPACE + ":" + ACCOUNT);
            OperatorProcess operator = OperatorProcess.start(environment, operatorJvm, dir, "operator");
            try {
                // Also deploys the gateway Worker, which the floor then calls.
                bulk(client, NAMESPACE, "warm-", warmUp);
                AdminClient admin = new AdminClient(emulator.gatewayUrl(OperatorHarness.SCRIPT),
                        GatewayKey.of(OperatorHarness.GATEWAY_KEY), GatewayTransport.withDefaults());
                List<Bulk> floors = new ArrayList<>();
                List<Bulk> operators = new ArrayList<>();
                Single floorSingle;
                double cpu = 0;
                double reconciles = 0;
                Map<String, Integer> requests = new TreeMap<>();
                int gatewayCalls = 0;
                long live = 0;
                // The floor parses what the operator parses: neither reads managedFields.
                try (KubernetesClient floorClient = OperatorFactory.clientBuilder().withConfig(client.getConfiguration())
                        .build();
                        FloorController controller = new FloorController(floorClient, FLOOR, THREADS, admin,
                                new Tokens(GatewayKey.of(OperatorHarness.GATEWAY_KEY), Clock.systemUTC()),
                                emulator.gatewayUrl(OperatorHarness.SCRIPT))) {
                    // Database names are the account's: the floor's differ from the operator's.
                    bulk(client, FLOOR, "floor-warm-", warmUp, controller::check);
                    // Floor, operator, operator, floor, ...: what grows with the stores (etcd, the API server's
                    // caches, the operator's) falls on both sides alike.
                    for (int round = 0; round < 2 * rounds; round++) {
                        int pair = round / 2;
                        if ((round % 2 == 0) == (pair % 2 == 0)) {
                            floors.add(bulk(client, FLOOR, "floor-" + pair + "-", n, controller::check));
                            controller.awaitIdle();
                            continue;
                        }
                        double cpuBefore = operator.cpuSeconds();
                        double reconcilesBefore = operator.metric("reconciliations_started_total", "dodatabase");
                        long auditMark = audit.mark();
                        long seq = emulator.lastSeq();
                        operators.add(bulk(client, NAMESPACE, "db-" + pair + "-", n));
                        cpu += operator.cpuSeconds() - cpuBefore;
                        awaitQuiet(operator);
                        reconciles += operator.metric("reconciliations_started_total", "dodatabase")
                                - reconcilesBefore;
                        audit.since(auditMark).forEach((request, count) -> requests.merge(request, count,
                                Integer::sum));
                        gatewayCalls += emulator.calls("workers", seq).size();
                        if (pair == 0) {
                            live = operator.liveHeapMib();
                        }
                    }
                    floorSingle = single(client, FLOOR, "floor-single-", single, controller::check);
                }
                int created = n * rounds;
                for (int pair = 0; pair < rounds; pair++) {
                    Bulk f = floors.get(pair);
                    Bulk o = operators.get(pair);
                    System.out.printf("round %d (%s first), all %d Ready: floor %.1f s (p50 %.2f s, p99 %.2f s), "
                            + "operator %.1f s (p50 %.2f s, p99 %.2f s): x%.2f%n", pair + 1,
                            pair % 2 == 0 ? "floor" : "operator", n, f.seconds, f.p50, f.p99, o.seconds, o.p50, o.p99,
                            o.seconds / f.seconds);
                }
                Bulk floor = Bulk.mean(floors);
                Bulk bulk = Bulk.mean(operators);
                System.out.printf("floor: all %d Ready in %.1f s; create->Ready p50 %.2f s, p99 %.2f s (means of %d "
                        + "rounds); one at a time: create->Secret with token p50 %.0f ms, p99 %.0f ms%n", n,
                        floor.seconds, floor.p50, floor.p99, rounds, floorSingle.p50 * 1000, floorSingle.p99 * 1000);
                System.out.printf("operator, per database: %.2f reconciles, %.2f Kubernetes requests (%.2f writes), "
                        + "%.2f gateway calls; Kubernetes requests in all: %s%n", reconciles / created,
                        requests.values().stream().mapToInt(Integer::intValue).sum() / (double) created,
                        ApiAudit.writes(requests) / (double) created, gatewayCalls / (double) created, requests);
                long peak = operator.peakHeapMib();
                long[] resident = operator.residentMib();
                System.out.printf("operator: all %d Ready in %.1f s; create->Ready p50 %.2f s, p99 %.2f s (means of %d "
                        + "rounds); CPU %.2f ms per database; heap: peak in use %d MiB, live after a full GC %d MiB "
                        + "holding %d DoDatabases, %d MiB holding %d; resident %d MiB (peak %d MiB)%n", n,
                        bulk.seconds, bulk.p50, bulk.p99, rounds, cpu * 1000 / created, peak, live, n + warmUp + 1,
                        operator.liveHeapMib(), created + warmUp + 1, resident[0], resident[1]);
                Single operatorSingle = single(client, NAMESPACE, "single-", single, () -> { });
                System.out.printf("operator one at a time: create->Secret with token p50 %.0f ms, p99 %.0f ms%n",
                        operatorSingle.p50 * 1000, operatorSingle.p99 * 1000);

                awaitQuiet(operator);
                steadyState(audit, emulator, idle);
                operator = restart(client, audit, operator, environment, operatorJvm, dir);

                SeedRun seed = seed(seedSample);
                double seedProjected = seed.secondsPerDatabase * n;
                System.out.printf("seed flow (kuratchi-sdk createDatabase: upload the Worker, enable its subdomain, "
                        + "provision, poll until it answers; one after another, measured on %d): %.3f s and %.1f "
                        + "Cloudflare API calls per database -> %d would take %.0f s%n", seedSample,
                        seed.secondsPerDatabase, seed.callsPerDatabase, n, seedProjected);
                String perRound = IntStream.range(0, rounds).mapToObj(i -> String.format("x%.2f",
                        operators.get(i).seconds / floors.get(i).seconds)).collect(Collectors.joining(", "));
                System.out.printf("%nratios: operator / floor: all Ready x%.2f (rounds: %s), p50 x%.2f, one at a time "
                        + "p50 x%.2f; seed / operator x%.1f%n", bulk.seconds / floor.seconds, perRound,
                        bulk.p50 / floor.p50, operatorSingle.p50 / floorSingle.p50, seedProjected / bulk.seconds);
            } finally {
                operator.close();
            }
        }
    }

    /** The operator's ServiceAccount, bound to deploy/'s ClusterRole in the one namespace it watches. */
    private static Map<String, String> operatorEnvironment(RealCluster cluster, Path dir) throws Exception {
        ClusterRole role = Serialization.unmarshal(Files.readString(RealCluster.repositoryRoot()
                .resolve("deploy/operator-clusterrole.yaml")), ClusterRole.class);
        cluster.client().resource(role).serverSideApply();
        cluster.client().resource(new RoleBindingBuilder().withNewMetadata().withName(ACCOUNT).withNamespace(NAMESPACE)
                .endMetadata().withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", role.getMetadata().getName())
                .addNewSubject().withKind("ServiceAccount").withName(ACCOUNT).withNamespace(NAMESPACE).endSubject()
                .build()).serverSideApply();
        Path kubeconfig = cluster.serviceAccountKubeconfig(NAMESPACE, ACCOUNT, dir.resolve("operator-kubeconfig"));
        // The storage checks, first due one interval after provisioning, would otherwise fall in the later rounds of
        // a long run and load both sides: the steady state's figure says what they cost.
        return new HashMap<>(Map.of("KUBECONFIG", kubeconfig.toString(), "KURATCHI_WATCH_NAMESPACES", NAMESPACE,
                "KURATCHI_ADMIN_NAMESPACE", NAMESPACE, "KURATCHI_RECONCILE_THREADS", Integer.toString(THREADS),
                "KURATCHI_STORAGE_CHECK_INTERVAL", "1h"));
    }

    private static DoDatabase resource(String namespace, String name) {
        DoDatabase resource = new DoDatabase();
        resource.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
        resource.setSpec(new DoDatabaseSpec());
        return resource;
    }

    /** {@code count} DoDatabases created at once from {@link BenchSupport#CREATORS} threads, until all are Ready. */
    private static Bulk bulk(KubernetesClient client, String namespace, String prefix, int count) throws Exception {
        return bulk(client, namespace, prefix, count, () -> { });
    }

    private static Bulk bulk(KubernetesClient client, String namespace, String prefix, int count, Runnable check)
            throws Exception {
        try (ReadyTimes<DoDatabase> times = new ReadyTimes<>(client, DoDatabase.class, db -> db.getStatus() != null
                && Conditions.isTrue(db.getStatus().getConditions(), "Ready"))) {
            long start = System.nanoTime();
            inParallel(count, i -> {
                times.created(namespace, prefix + i);
                client.resource(resource(namespace, prefix + i)).create();
            });
            long end = times.awaitAll(Duration.ofMinutes(30), check);
            double[] latencies = times.latencies();
            return new Bulk((end - start) / 1e9, percentile(latencies, 0.5), percentile(latencies, 0.99));
        }
    }

    /** One DoDatabase at a time: create, then wait until its Secret holds a token; after a few warm-ups. */
    private static Single single(KubernetesClient client, String namespace, String prefix, int count, Runnable check)
            throws Exception {
        try (ReadyTimes<Secret> times = new ReadyTimes<>(client, Secret.class, secret -> secret.getData() != null
                && secret.getData().containsKey(MountedSecret.TOKEN)
                && secret.getMetadata().getLabels() != null
                && TokenSecret.MANAGED_BY.equals(secret.getMetadata().getLabels().get(TokenSecret.MANAGED_BY_LABEL)))) {
            for (int i = 0; i < SINGLE_WARM_UP + count; i++) {
                if (i == SINGLE_WARM_UP) {
                    times.clear();
                }
                String name = prefix + i;
                times.created(namespace, name + "-db");
                client.resource(resource(namespace, name)).create();
                times.awaitAll(Duration.ofMinutes(1), check);
            }
            double[] latencies = times.latencies();
            return new Single(percentile(latencies, 0.5), percentile(latencies, 0.99));
        }
    }

    /** Until the operator has started no reconcile for 5 s and runs none: the last create's work is done. */
    private static void awaitQuiet(OperatorProcess operator) throws Exception {
        double last = -1;
        long since = System.nanoTime();
        while (true) {
            double started = operator.metric("reconciliations_started_total", "");
            if (started != last) {
                last = started;
                since = System.nanoTime();
            } else if (System.nanoTime() - since > Duration.ofSeconds(5).toNanos()
                    && operator.metric("reconciliations_active", "") == 0) {
                return;
            }
            Thread.sleep(200);
        }
    }

    /** Everything Ready and nothing changing: what the operator still asks of Kubernetes, Cloudflare and gateway. */
    private static void steadyState(ApiAudit audit, EmulatorProcess emulator, Duration idle) throws Exception {
        long mark = audit.mark();
        long seq = emulator.lastSeq();
        Thread.sleep(idle.toMillis());
        Map<String, Integer> requests = audit.since(mark);
        double minutes = idle.toSeconds() / 60.0;
        System.out.printf("steady state for %d s: %.1f Kubernetes writes, %.1f Kubernetes requests, %.1f Cloudflare "
                + "calls and %.1f gateway calls per minute %s%n", idle.toSeconds(), ApiAudit.writes(requests) / minutes,
                requests.values().stream().mapToInt(Integer::intValue).sum() / minutes,
                emulator.calls("api", seq).size() / minutes, emulator.calls("workers", seq).size() / minutes,
                requests);
    }

    /** Stops the operator (SIGTERM) and starts it again: until every DoDatabase is reconciled once, and the writes. */
    private static OperatorProcess restart(KubernetesClient client, ApiAudit audit, OperatorProcess operator,
            Map<String, String> environment, List<String> jvm, Path dir) throws Exception {
        int resources = client.resources(DoDatabase.class).inNamespace(NAMESPACE).list().getItems().size();
        operator.stop();
        long mark = audit.mark();
        long start = System.nanoTime();
        OperatorProcess restarted = OperatorProcess.start(environment, jvm, dir, "operator-restarted");
        double ready = (System.nanoTime() - start) / 1e9;
        while (restarted.metric("reconciliations_started_total", "dodatabase") < resources
                || restarted.metric("reconciliations_active", "dodatabase") > 0) {
            Thread.sleep(20);
        }
        double caughtUp = (System.nanoTime() - start) / 1e9;
        Map<String, Integer> requests = audit.since(mark);
        System.out.printf("restart: ready in %.1f s; all %d DoDatabases reconciled once %.1f s after the start, with "
                + "%d Kubernetes writes %s%n", ready, resources, caughtUp, ApiAudit.writes(requests), requests);
        return restarted;
    }

    private record SeedRun(double secondsPerDatabase, double callsPerDatabase) {}

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
