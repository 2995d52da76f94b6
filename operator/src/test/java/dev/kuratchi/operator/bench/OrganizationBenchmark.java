package dev.kuratchi.operator.bench;

import static dev.kuratchi.operator.bench.BenchSupport.CREATORS;
import static dev.kuratchi.operator.bench.BenchSupport.inParallel;
import static dev.kuratchi.operator.bench.BenchSupport.namespace;
import static dev.kuratchi.operator.bench.BenchSupport.percentile;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kuratchi.client.gateway.GatewayClient;
import dev.kuratchi.client.token.DatabaseToken;
import dev.kuratchi.operator.bench.BenchSupport.Clusters;
import dev.kuratchi.operator.bench.BenchSupport.ReadyTimes;
import dev.kuratchi.operator.bench.BenchSupport.SeedAccount;
import dev.kuratchi.operator.cloudflare.CloudflareClient;
import dev.kuratchi.operator.cloudflare.CloudflareResources;
import dev.kuratchi.operator.dodatabase.DoDatabase;
import dev.kuratchi.operator.dodatabase.DoDatabaseReconciler;
import dev.kuratchi.operator.dodatabase.Migrations;
import dev.kuratchi.operator.organization.KuratchiOrganization;
import dev.kuratchi.operator.organization.OrganizationReconciler;
import dev.kuratchi.operator.organization.RealOrganizations;
import dev.kuratchi.operator.status.Conditions;
import dev.kuratchi.operator.support.EmulatorProcess;
import dev.kuratchi.operator.support.OperatorHarness;
import dev.kuratchi.operator.support.TestCluster;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Applies N KuratchiOrganizations, each as examples/organization.yaml (owner, a KV namespace, an R2 bucket and a
 * queue), and reports how long until all are Ready, per-organization create-to-Ready latency, Cloudflare API calls
 * per organization and peak heap; and, in the same run, kuratchi-sdk's {@code auth.createOrganization} for the same
 * work, step by step, measured on a sample and scaled to N.
 *
 * <p>Both sides are warmed up first ({@code -Dbench.warmup} organizations each, not counted): the operator's warm-up
 * also does the one-time work (the gateway Worker's upload and subdomain, the admin DoDatabase), so the operator's
 * calls per organization leave it out; the warm-up line prints what it cost. Both sides run against an emulator
 * process of the same kind, each its own. After all are Ready the operator is left idle ({@code -Dbench.settle}
 * seconds) and whatever it calls or reconciles then is printed, the reconciles per 15 s: past the reconciles that
 * the last status writes still owe, and the hourly Cloudflare verification spread over the hour, a steady state
 * does nothing.
 *
 * <p>The seed flow (kuratchi-orm-and-orgs reference, section d; the admin database is made first, as kuratchi-sdk's
 * {@code init-admin-db} does, outside the timing), one organization after another, each:
 * <ol>
 *   <li>organizations row: look up a live row by slug, then by email; insert it;</li>
 *   <li>databases row: insert it (DO engine, dbuuid NULL);</li>
 *   <li>token reuse: look for a live token row of that database (none);</li>
 *   <li>createDatabase: upload the gateway Worker (again without the migration when the class exists), enable its
 *   subdomain, provision with the organization schema, poll until {@code SELECT 1} answers; insert the token row;</li>
 *   <li>for each of KV, R2 and the queue: create the Cloudflare resource ({@code <slug>-kv}, {@code <slug>-r2},
 *   {@code <slug>-queue}), upload a dedicated Worker script of the same name with its binding ({@code KV},
 *   {@code R2}, {@code QUEUE}) and {@code API_KEY} (a random UUID), enable its subdomain and poll it every 500 ms
 *   for up to 30 s until it answers. The resource and token rows kuratchi-sdk would also write go to tables no admin
 *   schema has (reference, c.1), so it skips them, and so does this;</li>
 *   <li>the owner: read the newest live databases row and token row, insert the user (role owner) into the
 *   organization database; kuratchi-sdk then also makes a session, which the operator deliberately does not
 *   (a login is the app's), so it is left out here;</li>
 *   <li>organizationUsers: look for the routing row, insert it.</li>
 * </ol>
 * Where the emulator cannot do what Cloudflare does, the nearest real call is made: the emulator refuses
 * {@code kv_namespace}, {@code r2_bucket} and {@code queue} bindings, so each dedicated Worker gets a
 * {@code plain_text} binding of the same name holding the resource's id (same call, same upload, same start).
 * Polls between tries are 100 ms for the gateway (kuratchi-sdk sleeps 2 s) and 500 ms for the dedicated Workers (as
 * kuratchi-sdk): the seed is never made slower than it is.
 *
 * <p>Run: {@code mvn -B -q install -DskipTests && mvn -B -q -pl operator exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=dev.kuratchi.operator.bench.OrganizationBenchmark -Dkuratchi.worker.dir=$PWD/worker
 * [-Dbench.n=200] [-Dbench.seedSample=20] [-Dbench.warmup=5] [-Dbench.settle=90] [-Dbench.cluster=real]
 * [-Dbench.cfRateLimit=1000]}; with {@code real}, the API server is local/kube's (built first if needed).
 * {@code bench.cfRateLimit} sets the operator's KURATCHI_CF_RATE_LIMIT (calls per 5 minutes, default 1000): the
 * operator spaces its Cloudflare calls by it once the burst of a tenth is spent, which bounds how fast N organizations
 * get their KV, R2 and queue; a higher value than Cloudflare's 1200 shows what the rest of the operator costs.
 */
public final class OrganizationBenchmark {
    private static final String NAMESPACE = "bench";
    private static final String WARMUP_NAMESPACE = "bench-warmup";
    private static final String ADMIN_NAMESPACE = "kuratchi-system";
    /** Cloudflare's API limit per token: 1200 calls per 5 minutes. */
    private static final int CLOUDFLARE_CALLS_PER_WINDOW = 1200;
    private static final int CLOUDFLARE_WINDOW_SECONDS = 300;
    /** Worker scripts a paid Cloudflare account may have. */
    private static final int CLOUDFLARE_SCRIPTS_PAID = 500;
    private static final String EMULATOR_STAND_IN = "the emulator refuses kv_namespace, r2_bucket and queue bindings: "
            + "each dedicated Worker was uploaded with a plain_text binding of that name holding the resource's id";

    public static void main(String[] args) {
        BenchSupport.runThenExit(() -> run(Options.fromProperties(), Clusters.fromProperty()));
    }

    /** The -Dbench.* settings (see the class comment). */
    private record Options(int n, int seedSample, int warmup, int settle, String rateLimit) {
        static Options fromProperties() {
            return new Options(Integer.getInteger("bench.n", 200), Integer.getInteger("bench.seedSample", 20),
                    Integer.getInteger("bench.warmup", 5), Integer.getInteger("bench.settle", 90),
                    System.getProperty("bench.cfRateLimit"));
        }
    }

    private static void run(Options options, Clusters clusters) throws Exception {
        int n = options.n();
        int seedSample = options.seedSample();
        int warmup = options.warmup();
        int settle = options.settle();
        String rateLimit = options.rateLimit();
        System.out.printf("Organization benchmark: N=%d (each as examples/organization.yaml: owner, KV, R2, queue), %s "
                + "API server, %d creating threads, warm-up %d per side, operator's Cloudflare limit %s per 5m "
                + "(a sliding window), Java %s, %d cores%n", n, clusters.apiServer(), CREATORS, warmup,
                rateLimit == null ? "1000 (default)" : rateLimit + " (-Dbench.cfRateLimit)",
                System.getProperty("java.version"), Runtime.getRuntime().availableProcessors());

        OperatorRun run = operator(clusters.next(), !clusters.real(), n, warmup, settle, rateLimit);
        System.out.printf("operator warm-up: %d Ready in %.1f s with the one-time work; %d Cloudflare API calls (%d of "
                + "them the gateway Worker's upload and subdomain)%n", warmup, run.warmupSeconds, run.warmupCalls,
                run.warmupGatewayCalls);
        System.out.printf("operator: all %d Ready in %.1f s; create->Ready p50 %.2f s, p99 %.2f s; peak heap %d MB "
                + "(%s)%n", n, run.seconds, run.p50, run.p99, run.peakHeapMb, clusters.heap());
        System.out.printf("operator: Cloudflare API calls %d = %.2f per organization, gateway Worker upload excluded "
                + "(done in the warm-up) [%s]; reconciles per organization: %.1f KuratchiOrganization, %.1f "
                + "DoDatabase%n", run.calls, run.calls / (double) n, perOrganization(run.callsByEndpoint, n),
                run.organizationReconciles / n, run.databaseReconciles / n);
        System.out.printf("operator: of that, create->child DoDatabase Ready p50 %.2f s, p99 %.2f s; child Ready->"
                + "organization Ready p50 %.2f s, p99 %.2f s; Ready=False reasons seen on the way (organizations): %s%n",
                run.childP50, run.childP99, run.afterChildP50, run.afterChildP99, run.waited);
        System.out.printf("operator idle %d s after all Ready: %d Cloudflare API calls %s, %.0f KuratchiOrganization "
                + "reconciles (per 15 s: %s) and %.0f DoDatabase reconciles%n", settle, run.idleCalls,
                run.idleCallsByEndpoint, run.idleOrganizationReconciles, run.idleOrganizationSlices,
                run.idleDatabaseReconciles);

        SeedRun seed = seed(seedSample, warmup);
        double seedProjected = seed.secondsPerOrganization * n;
        double seedCalls = seed.callsPerOrganization * n;
        System.out.printf("seed flow (kuratchi-sdk createOrganization step by step, one after another, measured on %d): "
                + "%.3f s per organization (p50 %.3f, max %.3f) and %.1f Cloudflare API calls per organization [%s] "
                + "-> %d would take %.0f s and %.0f API calls%n", seedSample, seed.secondsPerOrganization, seed.p50,
                seed.max, seed.callsPerOrganization, perOrganization(seed.callsByEndpoint, seedSample), n,
                seedProjected, seedCalls);
        System.out.printf("seed flow at N=%d on Cloudflare: %.0f calls at %d per %d s need at least %.0f s; %d Worker "
                + "scripts (3 per organization) against %d on a paid account%n", n, seedCalls,
                CLOUDFLARE_CALLS_PER_WINDOW, CLOUDFLARE_WINDOW_SECONDS, Math.floor((seedCalls - 1)
                        / CLOUDFLARE_CALLS_PER_WINDOW) * CLOUDFLARE_WINDOW_SECONDS, 3 * n, CLOUDFLARE_SCRIPTS_PAID);
        System.out.printf("seed flow stand-in: %s; dedicated Workers that did not answer within 30 s: %d%n",
                EMULATOR_STAND_IN, seed.unansweredWorkers);
        System.out.printf("%nratios: seed / operator time x%.1f; API calls seed / operator x%.1f%n",
                seedProjected / run.seconds, seedCalls / Math.max(1, run.calls));
    }

    private record OperatorRun(double warmupSeconds, long warmupCalls, long warmupGatewayCalls, double seconds,
            double p50, double p99, double childP50, double childP99, double afterChildP50, double afterChildP99,
            long peakHeapMb, long calls, Map<String, Long> callsByEndpoint,
            double organizationReconciles, double databaseReconciles, Map<String, Integer> waited, long idleCalls,
            Map<String, Long> idleCallsByEndpoint, List<Long> idleOrganizationSlices, double idleOrganizationReconciles,
            double idleDatabaseReconciles) {}

    /**
     * Whether the organization is Ready; when it is not, notes the Ready condition's reason under its name in
     * {@code waits}, to tell what organizations waited on.
     */
    private static final Set<String> WAITING = Set.of("Provisioning", "InProgress");

    private static boolean isReady(KuratchiOrganization organization, Map<String, Set<String>> waits) {
        var ready = organization.getStatus() == null ? null : Conditions.find(organization.getStatus().getConditions(),
                OrganizationReconciler.READY).orElse(null);
        if (ready != null && !Conditions.TRUE.equals(ready.getStatus())) {
            // Under the reason alone while it is the usual wait, else with its first message.
            String reason = ready.getReason();
            String key = WAITING.contains(reason) ? reason : waits.keySet().stream()
                    .filter(k -> k.startsWith(reason + " (")).findFirst()
                    .orElse(reason + " ('" + ready.getMessage() + "')");
            waits.computeIfAbsent(key, k -> ConcurrentHashMap.newKeySet()).add(organization.getMetadata().getName());
        }
        return ready != null && Conditions.TRUE.equals(ready.getStatus());
    }

    private record SeedRun(double secondsPerOrganization, double p50, double max, double callsPerOrganization,
            Map<String, Long> callsByEndpoint, int unansweredWorkers) {}

    private static KuratchiOrganization organization(String namespace, String name) {
        try {
            return RealOrganizations.example(namespace, name);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read examples/organization.yaml (is kuratchi.worker.dir set?)", e);
        }
    }

    private static OperatorRun operator(TestCluster cluster, boolean ownsCluster, int n, int warmup, int settle,
            String rateLimit) throws Exception {
        Map<String, String> environment = new HashMap<>(Map.of(
                "KURATCHI_WATCH_NAMESPACES", String.join(",", NAMESPACE, WARMUP_NAMESPACE, ADMIN_NAMESPACE),
                "KURATCHI_ADMIN_NAMESPACE", ADMIN_NAMESPACE));
        if (rateLimit != null) {
            environment.put("KURATCHI_CF_RATE_LIMIT", rateLimit);
        }
        try (OperatorHarness harness = new OperatorHarness(cluster, ownsCluster, EmulatorProcess.start(),
                environment)) {
            KubernetesClient client = harness.client();
            EmulatorProcess emulator = harness.emulator();
            for (String namespace : List.of(NAMESPACE, WARMUP_NAMESPACE, ADMIN_NAMESPACE)) {
                namespace(client, namespace);
            }
            Map<String, Set<String>> waits = new ConcurrentHashMap<>();
            // The child DoDatabase has the organization's name: its Ready is timed from the organization's create.
            try (ReadyTimes<KuratchiOrganization> times = new ReadyTimes<>(client, KuratchiOrganization.class,
                    o -> isReady(o, waits));
                    ReadyTimes<DoDatabase> children = new ReadyTimes<>(client, DoDatabase.class,
                            d -> d.getStatus() != null && Conditions.isTrue(d.getStatus().getConditions(),
                                    OrganizationReconciler.READY))) {
                long warmupStart = System.nanoTime();
                inParallel(warmup, i -> {
                    times.created(WARMUP_NAMESPACE, "warm-" + i);
                    client.resource(organization(WARMUP_NAMESPACE, "warm-" + i)).create();
                });
                double warmupSeconds = (times.awaitAll(Duration.ofMinutes(5)) - warmupStart) / 1e9;
                List<JsonNode> warmupCalls = emulator.calls();
                long warmupGateway = warmupCalls.stream().filter(c -> c.path("path").asText()
                        .contains("/workers/")).count();
                long since = warmupCalls.isEmpty() ? 0 : warmupCalls.get(warmupCalls.size() - 1).path("seq").asLong();
                times.clear();
                waits.clear();
                double organizationsBefore = reconciles(harness.registry(), OrganizationReconciler.NAME);
                double databasesBefore = reconciles(harness.registry(), DoDatabaseReconciler.NAME);

                BenchSupport.resetHeapPeak();
                long start = System.nanoTime();
                inParallel(n, i -> {
                    children.created(NAMESPACE, "org-" + i);
                    times.created(NAMESPACE, "org-" + i);
                    client.resource(organization(NAMESPACE, "org-" + i)).create();
                });
                long end = times.awaitAll(Duration.ofMinutes(15));
                double[] latencies = times.latencies();
                children.awaitAll(Duration.ofSeconds(10));
                double[] childLatencies = children.latencies();
                double[] afterChild = times.latenciesAfter(children);
                long peak = BenchSupport.peakHeapMb();
                List<JsonNode> calls = emulator.callsSince(since);
                double organizations = reconciles(harness.registry(), OrganizationReconciler.NAME);
                double databases = reconciles(harness.registry(), DoDatabaseReconciler.NAME);

                Map<String, Integer> waited = new TreeMap<>();
                waits.forEach((reason, names) -> waited.put(reason, names.size()));
                long idleSince = emulator.lastSeq();
                // In slices of 15 s: a pile of reconciles that ends differs from one that goes on.
                List<Long> idleSlices = new ArrayList<>();
                double sliceStart = organizations;
                for (int left = settle; left > 0; left -= 15) {
                    Thread.sleep(Duration.ofSeconds(Math.min(15, left)).toMillis());
                    double now = reconciles(harness.registry(), OrganizationReconciler.NAME);
                    idleSlices.add(Math.round(now - sliceStart));
                    sliceStart = now;
                }
                List<JsonNode> idleCalls = emulator.callsSince(idleSince);
                return new OperatorRun(warmupSeconds, warmupCalls.size(), warmupGateway, (end - start) / 1e9,
                        percentile(latencies, 0.5), percentile(latencies, 0.99), percentile(childLatencies, 0.5),
                        percentile(childLatencies, 0.99), percentile(afterChild, 0.5), percentile(afterChild, 0.99), peak, calls.size(),
                        byEndpoint(calls), organizations - organizationsBefore, databases - databasesBefore,
                        waited, idleCalls.size(), byEndpoint(idleCalls), idleSlices,
                        reconciles(harness.registry(), OrganizationReconciler.NAME) - organizations,
                        reconciles(harness.registry(), DoDatabaseReconciler.NAME) - databases);
            }
        }
    }

    /** Reconciles of one controller finished so far, failed or not (JOSDK's counts). */
    private static double reconciles(MeterRegistry registry, String controller) {
        return Stream.of("reconciliations.success.total", "reconciliations.failure.total")
                .flatMap(name -> registry.find(name).tag("controller.name", controller).counters().stream())
                .mapToDouble(c -> c.count()).sum();
    }

    private static final Set<String> PATH_WORDS = Set.of("workers", "scripts", "subdomain", "settings", "storage",
            "kv", "namespaces", "r2", "buckets", "queues", "durable_objects", "tokens", "verify", "secrets");

    /** Calls counted by method and path, names and ids in the path replaced by {@code *}. */
    private static Map<String, Long> byEndpoint(List<JsonNode> calls) {
        return calls.stream().collect(Collectors.groupingBy(call -> {
            String path = call.path("path").asText().replaceFirst("\\?.*", "");
            int account = path.indexOf("/accounts/");
            String[] segments = (account < 0 ? path : path.substring(account + "/accounts/".length())).split("/");
            StringBuilder shape = new StringBuilder(call.path("method").asText()).append(' ');
            for (int i = account < 0 ? 0 : 1; i < segments.length; i++) {
                if (!segments[i].isEmpty()) {
                    shape.append('/').append(PATH_WORDS.contains(segments[i]) ? segments[i] : "*");
                }
            }
            return shape.toString();
        }, TreeMap::new, Collectors.counting()));
    }

    private static String perOrganization(Map<String, Long> byEndpoint, int organizations) {
        return byEndpoint.entrySet().stream().map(e -> String.format(Locale.ROOT, "%s %.2f", e.getKey(),
                e.getValue() / (double) organizations)).collect(Collectors.joining(", "));
    }

    private static SeedRun seed(int sample, int warmup) throws Exception {
        try (SeedAccount account = new SeedAccount()) {
            SeedFlow flow = new SeedFlow(account);
            for (int i = 0; i < warmup; i++) {
                flow.createOrganization("warm-" + i);
            }
            long since = account.emulator.lastSeq();
            double[] seconds = new double[sample];
            for (int i = 0; i < sample; i++) {
                long start = System.nanoTime();
                flow.createOrganization("org-" + i);
                seconds[i] = (System.nanoTime() - start) / 1e9;
            }
            List<JsonNode> calls = account.emulator.callsSince(since);
            double total = Arrays.stream(seconds).sum();
            Arrays.sort(seconds);
            return new SeedRun(total / sample, percentile(seconds, 0.5), seconds[sample - 1],
                    calls.size() / (double) sample, byEndpoint(calls), flow.unansweredWorkers);
        }
    }

    /** kuratchi-sdk's createOrganization, step by step (see the class comment), on one emulator account. */
    private static final class SeedFlow {
        private static final String ADMIN_DATABASE = "kuratchi-admin";
        private static final byte[] DEDICATED_WORKER = ("export default { async fetch(request, env) { "
                + "return new Response('ok'); } };").getBytes(StandardCharsets.UTF_8);
        private final SeedAccount account;
        private final CloudflareResources resources;
        private final GatewayClient admin;
        private final OkHttpClient http = new OkHttpClient();
        int unansweredWorkers;

        SeedFlow(SeedAccount account) throws InterruptedException {
            this.account = account;
            this.resources = new CloudflareResources(account.cloudflare);
            // kuratchi-sdk init-admin-db: createDatabase with the admin schema, once.
            admin = account.gateway(account.createDatabase(ADMIN_DATABASE, Migrations.builtIn("admin")));
        }

        void createOrganization(String slug) throws InterruptedException {
            String name = "Org " + slug;
            String email = "billing@" + slug + ".example";
            String owner = "ann@" + slug + ".example";
            // 1. organizations row
            admin.query("SELECT id FROM organizations WHERE organizationSlug = ? AND deleted_at IS NULL", slug);
            admin.query("SELECT id FROM organizations WHERE email = ? AND deleted_at IS NULL", email);
            String organizationId = UUID.randomUUID().toString();
            admin.query("INSERT INTO organizations (id, organizationName, organizationSlug, email, status) "
                    + "VALUES (?, ?, ?, ?, 'active')", organizationId, name, slug, email);
            // 2-3. databases row first
            String databaseId = UUID.randomUUID().toString();
            admin.query("INSERT INTO databases (id, name, dbuuid, organizationId) VALUES (?, ?, NULL, ?)", databaseId,
                    slug, organizationId);
            // 4. token reuse
            admin.query("SELECT token FROM dbApiTokens WHERE databaseId = ? AND deleted_at IS NULL AND revoked IS NOT 1 "
                    + "ORDER BY created_at DESC LIMIT 1", databaseId);
            // 5. createDatabase, then the token row
            DatabaseToken token = account.createDatabase(slug, Migrations.builtIn("organization"));
            admin.query("INSERT INTO dbApiTokens (id, token, name, databaseId, revoked) VALUES (?, ?, 'primary', ?, 0)",
                    UUID.randomUUID().toString(), token.reveal(), databaseId);
            // 6. KV, R2, queue: the resource and a dedicated Worker of the same name
            dedicatedWorker(slug + "-kv", "KV", resources.ensureKvNamespace(slug + "-kv").id());
            dedicatedWorker(slug + "-r2", "R2", resources.ensureR2Bucket(slug + "-r2").name());
            dedicatedWorker(slug + "-queue", "QUEUE", resources.ensureQueue(slug + "-queue").id());
            // 8. the owner, through the newest live database row and token
            admin.query("SELECT id FROM databases WHERE organizationId = ? AND deleted_at IS NULL "
                    + "ORDER BY created_at DESC LIMIT 1", organizationId);
            String live = admin.query("SELECT token FROM dbApiTokens WHERE databaseId = ? AND deleted_at IS NULL "
                    + "AND revoked IS NOT 1 ORDER BY created_at DESC LIMIT 1", databaseId).get(0).getString("token");
            account.gateway(DatabaseToken.parse(live)).query("INSERT INTO users (id, email, name, role, status) "
                    + "VALUES (?, ?, ?, 'owner', 1)", UUID.randomUUID().toString(), owner, name);
            // 9. routing row
            if (admin.query("SELECT id FROM organizationUsers WHERE email = ? AND organizationId = ?", owner,
                    organizationId).isEmpty()) {
                admin.query("INSERT INTO organizationUsers (id, email, organizationId, organizationSlug) "
                        + "VALUES (?, ?, ?, ?)", UUID.randomUUID().toString(), owner, organizationId, slug);
            }
        }

        /** Upload, enable workers.dev, poll every 500 ms for up to 30 s (kuratchi-sdk goes on either way). */
        private void dedicatedWorker(String script, String binding, String resource) throws InterruptedException {
            ObjectNode metadata = new ObjectMapper().createObjectNode().put("main_module", "worker.js")
                    .put("compatibility_date", account.bundle.compatibilityDate());
            var bindings = metadata.putArray("bindings");
            // Cloudflare: {"type": "kv_namespace" | "r2_bucket" | "queue", "name": binding, ...}; see the class comment.
            bindings.addObject().put("type", "plain_text").put("name", binding).put("text", resource);
            bindings.addObject().put("type", "secret_text").put("name", "API_KEY").put("text",
                    UUID.randomUUID().toString());
            account.cloudflare.uploadScript(script, metadata, List.of(new CloudflareClient.Module("worker.js",
                    DEDICATED_WORKER)));
            account.cloudflare.enableScriptSubdomain(script);
            Request request = new Request.Builder().url(account.emulator.gatewayUrl(script) + "/").build();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline) {
                try (Response response = http.newCall(request).execute()) {
                    if (response.isSuccessful()) {
                        return;
                    }
                } catch (IOException notYet) {
                    // polled again
                }
                Thread.sleep(500);
            }
            unansweredWorkers++;
        }
    }

    private OrganizationBenchmark() {}
}
