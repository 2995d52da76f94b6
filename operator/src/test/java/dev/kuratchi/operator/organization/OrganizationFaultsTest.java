package dev.kuratchi.operator.organization;

import static dev.kuratchi.operator.organization.Organizations.ALL_KINDS;
import static dev.kuratchi.operator.organization.Organizations.owner;
import static dev.kuratchi.operator.organization.Organizations.resources;
import static dev.kuratchi.operator.status.Conditions.FALSE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.kuratchi.operator.dodatabase.DoDatabase;
import dev.kuratchi.operator.dodatabase.SchemaSource;
import dev.kuratchi.operator.organization.OrganizationResources.Kind;
import dev.kuratchi.operator.support.MockCluster;
import dev.kuratchi.operator.support.OperatorHarness;
import dev.kuratchi.operator.support.SharedEmulator;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Cloudflare, gateway and admin-database faults: the organization says what is happening, backs off (or waits for
 * Cloudflare's Retry-After) without a hot loop, and converges once the fault clears. Each test has an operator and a
 * cluster of its own, so one test's rate-limit pause or backoff does not reach another; the emulator is shared.
 */
class OrganizationFaultsTest {
    private static final String SCRIPT = OperatorHarness.SCRIPT;
    @RegisterExtension
    static final SharedEmulator EMULATOR = new SharedEmulator();

    private static final AtomicInteger CLUSTERS = new AtomicInteger();

    /**
     * An operator on a cluster of its own. Each cluster has an admin database of its own name: a second cluster's
     * admin DoDatabase would find the first's claim on the shared account's gateway, and be AlreadyManaged.
     */
    private static OperatorHarness harness(Map<String, String> environment) {
        return harness(new MockCluster(), environment);
    }

    private static OperatorHarness harness(MockCluster cluster, Map<String, String> environment) {
        Map<String, String> env = new HashMap<>(Map.of("KURATCHI_ADMIN_NAMESPACE", Organizations.ADMIN_NAMESPACE,
                "KURATCHI_ADMIN_DATABASE", "admin-" + CLUSTERS.incrementAndGet()));
        env.putAll(environment);
        return new OperatorHarness(cluster, true, EMULATOR.get(), false, env);
    }

    private static Organizations orgs(OperatorHarness harness) {
        return new Organizations(harness.client(), harness.emulator());
    }

    /** At most {@code most} reconciles of organizations all through {@code window}: backoff, not a hot loop. */
    private static void atMostReconciles(OperatorHarness harness, int most, Duration window) {
        double before = Organizations.reconciles(harness.registry());
        await().during(window).atMost(window.plusSeconds(2))
                .until(() -> Organizations.reconciles(harness.registry()) - before <= most);
    }

    @Test
    void aRateLimitWithALongRetryAfterIsReportedAndWaitedForThenTheOrganizationConverges() throws Exception {
        try (OperatorHarness harness = harness(Map.of())) {
            Organizations orgs = orgs(harness);
            EMULATOR.get().fault("{\"method\": \"POST\", \"path\": \"/accounts/*/storage/kv/namespaces\", \"kind\": "
                    + "\"status\", \"status\": 429, \"retryAfter\": 12}");
            long since = EMULATOR.get().lastSeq();
            orgs.create("limited", "limited", resources(ALL_KINDS));
            KuratchiOrganization limited = orgs.awaitCondition("limited", "limited", Kind.KV.condition(), FALSE,
                    "CloudflareRateLimited");
            assertThat(orgs.condition("limited", "limited", OrganizationReconciler.READY).getReason())
                    .isEqualTo("CloudflareRateLimited");
            assertThat(orgs.condition("limited", "limited", Kind.KV.condition()).getMessage())
                    .contains("tries again when Cloudflare's Retry-After allows");
            // The pass ended at the rate limit: R2 and queues were not asked for either.
            assertThat(orgs.condition("limited", "limited", Kind.R2.condition()).getReason())
                    .isEqualTo("CloudflareRateLimited");
            assertThat(limited.getStatus().getResources()).isNull();

            atMostReconciles(harness, 2, Duration.ofSeconds(4));
            assertThat(EMULATOR.get().statuses("POST", "/storage/kv/namespaces", since)).as("nothing sent before "
                    + "Retry-After allows").containsExactly(429);

            orgs.awaitReady("limited", "limited");
            assertThat(EMULATOR.get().statuses("POST", "/storage/kv/namespaces", since)).containsExactly(429, 200);
            assertThat(orgs.cloudflareCount(Kind.KV, "limited", "default")).isOne();
        }
    }

    @Test
    void cloudflare5xxIsRetriedWithBackoffAndTheOrganizationConverges() throws Exception {
        try (OperatorHarness harness = harness(Map.of())) {
            Organizations orgs = orgs(harness);
            // The client tries each call four times: eight failures are two reconciles' worth.
            EMULATOR.get().fault("{\"method\": \"POST\", \"path\": \"/accounts/*/r2/buckets\", \"kind\": \"status\", "
                    + "\"status\": 503, \"count\": 8}");
            long since = EMULATOR.get().lastSeq();
            double before = Organizations.reconciles(harness.registry());
            orgs.create("flaky", "flaky", resources(ALL_KINDS));
            orgs.awaitCondition("flaky", "flaky", Kind.R2.condition(), FALSE, "CloudflareUnavailable");
            assertThat(orgs.condition("flaky", "flaky", Kind.R2.condition()).getMessage())
                    .contains("retrying with backoff");
            orgs.awaitReady("flaky", "flaky");
            assertThat(EMULATOR.get().statuses("POST", "/r2/buckets", since)).containsExactly(503, 503, 503, 503, 503,
                    503, 503, 503, 200);
            assertThat(orgs.cloudflareCount(Kind.R2, "flaky", "default")).isOne();
            assertThat(Organizations.reconciles(harness.registry()) - before).as("backoff, not a loop")
                    .isLessThan(15);
        }
    }

    @Test
    void aGatewayThatIsDownIsReportedRetriedWithBackoffAndTheOrganizationConvergesAfter() throws Exception {
        try (OperatorHarness harness = harness(Map.of())) {
            Organizations orgs = orgs(harness);
            orgs.create("down", "down", owner("dana@down.example").andThen(resources("{\"kv\": true}")));
            orgs.awaitReady("down", "down");
            EMULATOR.get().fault("{\"target\": \"workers\", \"path\": \"/" + SCRIPT + "/**\", \"kind\": \"status\", "
                    + "\"status\": 503, \"count\": 100000}");
            try {
                orgs.annotate("down", "down", "touched", "while-down");
                orgs.awaitCondition("down", "down", OrganizationReconciler.DATABASE, FALSE, "GatewayUnavailable");
                assertThat(orgs.condition("down", "down", OrganizationReconciler.READY).getMessage())
                        .contains("retrying with backoff");
                atMostReconciles(harness, 4, Duration.ofSeconds(5));
            } finally {
                EMULATOR.get().clearFaults();
            }
            orgs.awaitReady("down", "down");
        }
    }

    @Test
    void anUnreachableAdminDatabaseIsReportedRetriedAndNothingIsMadeInCloudflareMeanwhile() throws Exception {
        try (OperatorHarness harness = harness(Map.of())) {
            Organizations orgs = orgs(harness);
            orgs.create("warm", "warm", spec -> { });
            orgs.awaitReady("warm", "warm");
            EMULATOR.get().fault("{\"target\": \"workers\", \"method\": \"GET\", \"path\": \"/" + SCRIPT
                    + "/admin/databases/admin-" + CLUSTERS.get() + "\", \"kind\": \"status\", \"status\": 503, "
                    + "\"count\": 100000}");
            long since = EMULATOR.get().lastSeq();
            try {
                orgs.create("unreachable", "unreachable", resources(ALL_KINDS));
                orgs.awaitCondition("unreachable", "unreachable", OrganizationReconciler.ADMIN_RECORDS, FALSE,
                        "GatewayUnavailable");
                assertThat(orgs.condition("unreachable", "unreachable", OrganizationReconciler.READY).getReason())
                        .isEqualTo("GatewayUnavailable");
                // "warm" meets the fault too when its last no-op reconcile comes late (a loaded machine): two
                // organizations backing off from 1 s make at most 4 reconciles each in 5 s; a hot loop makes dozens.
                atMostReconciles(harness, 8, Duration.ofSeconds(5));
                assertThat(orgs.cloudflareWrites(since)).as("no slug lock, no Cloudflare").isEmpty();
            } finally {
                EMULATOR.get().clearFaults();
            }
            orgs.awaitReady("unreachable", "unreachable");
        }
    }

    @Test
    void anAdminDatabaseThatIsNotReadyIsReportedWithItsReasonAndItsRecoveryWakesTheOrganization() throws Exception {
        // There before the operator starts, which leaves it as it is.
        MockCluster cluster = new MockCluster();
        DoDatabase broken = new DoDatabase();
        broken.setMetadata(new ObjectMetaBuilder().withName("admin-broken")
                .withNamespace(Organizations.ADMIN_NAMESPACE).withLabels(Map.of(AdminDatabase.LABEL, "true"))
                .build());
        SchemaSource missing = new SchemaSource();
        missing.setConfigMap("no-such-migrations");
        broken.getSpec().setSchema(missing);
        cluster.client().resource(broken).create();
        try (OperatorHarness harness = harness(cluster, Map.of("KURATCHI_ADMIN_DATABASE", "admin-broken"))) {
            Organizations orgs = orgs(harness);
            long since = EMULATOR.get().lastSeq();
            orgs.create("waiting", "waiting", resources("{\"queues\": true}"));
            orgs.awaitCondition("waiting", "waiting", OrganizationReconciler.ADMIN_RECORDS, FALSE,
                    "AdminDatabaseNotReady");
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(orgs.condition("waiting", "waiting",
                    OrganizationReconciler.ADMIN_RECORDS).getMessage()).contains("ConfigMapNotFound"));
            atMostReconciles(harness, 1, Duration.ofSeconds(4));
            assertThat(orgs.cloudflareWrites(since)).isEmpty();

            harness.client().resources(DoDatabase.class).inNamespace(Organizations.ADMIN_NAMESPACE)
                    .withName("admin-broken").edit(db -> {
                        SchemaSource admin = new SchemaSource();
                        admin.setBuiltIn("admin");
                        db.getSpec().setSchema(admin);
                        return db;
                    });
            // Woken by the admin database's informer, well before the one-minute recheck.
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                var ready = orgs.condition("waiting", "waiting", OrganizationReconciler.READY);
                return ready != null && "True".equals(ready.getStatus());
            });
            assertThat(orgs.cloudflareCount(Kind.QUEUES, "waiting", "default")).isOne();
            assertThat(List.of(harness.client().resources(DoDatabase.class).inNamespace(Organizations.ADMIN_NAMESPACE)
                    .list().getItems().size())).containsExactly(1);
        }
    }
}
