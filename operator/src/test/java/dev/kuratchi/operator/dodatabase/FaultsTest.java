package dev.kuratchi.operator.dodatabase;

import static dev.kuratchi.operator.dodatabase.DoDatabaseReconciler.DATABASE_PROVISIONED;
import static dev.kuratchi.operator.dodatabase.DoDatabaseReconciler.READY;
import static dev.kuratchi.operator.dodatabase.DoDatabaseReconciler.WORKER_DEPLOYED;
import static dev.kuratchi.operator.status.Conditions.FALSE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kuratchi.operator.support.OperatorHarness;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Cloudflare and gateway faults from the emulator: the operator backs off, says so in the conditions, never loops
 * hot, and converges once the fault clears. Each test gets a fresh operator, so the Worker is deployed under the fault.
 */
class FaultsTest {
    private static final String SCRIPT_PATH = "/accounts/*/workers/scripts/" + OperatorHarness.SCRIPT;

    private static List<Integer> statuses(OperatorHarness harness, String method, String pathSuffix) {
        return harness.emulator().calls().stream()
                .filter(c -> c.path("method").asText().equals(method) && c.path("path").asText().endsWith(pathSuffix))
                .map((JsonNode c) -> c.path("status").asInt()).toList();
    }

    @Test
    void cloudflare5xxAndA429WithRetryAfterAreRetriedAndTheDatabaseBecomesReady() throws Exception {
        try (OperatorHarness harness = new OperatorHarness(Map.of())) {
            harness.emulator().fault("[{\"method\": \"GET\", \"path\": \"" + SCRIPT_PATH + "/settings\", \"kind\": "
                    + "\"status\", \"status\": 429, \"retryAfter\": 1}, {\"method\": \"PUT\", \"path\": \"" + SCRIPT_PATH
                    + "\", \"kind\": \"status\", \"status\": 500, \"count\": 2}, {\"method\": \"POST\", \"path\": \""
                    + SCRIPT_PATH + "/subdomain\", \"kind\": \"status\", \"status\": 502}]");
            DoDatabases dbs = new DoDatabases(harness.client());
            dbs.create("faults", "flaky", spec -> { });
            dbs.awaitReady("faults", "flaky");
            assertThat(statuses(harness, "GET", "/workers/scripts/" + OperatorHarness.SCRIPT + "/settings"))
                    .containsExactly(429, 404);
            assertThat(statuses(harness, "PUT", "/workers/scripts/" + OperatorHarness.SCRIPT)).containsExactly(500, 500, 200);
            assertThat(statuses(harness, "POST", "/subdomain")).containsExactly(502, 200);
        }
    }

    @Test
    void aLongRetryAfterIsReportedAndWaitedForWithoutAHotLoop() throws Exception {
        try (OperatorHarness harness = new OperatorHarness(Map.of())) {
            harness.emulator().fault("{\"method\": \"PUT\", \"path\": \"" + SCRIPT_PATH + "\", \"kind\": \"status\", "
                    + "\"status\": 429, \"retryAfter\": 12}");
            DoDatabases dbs = new DoDatabases(harness.client());
            dbs.create("faults", "limited", spec -> { });
            dbs.awaitCondition("faults", "limited", WORKER_DEPLOYED, FALSE, "CloudflareRateLimited");
            await().during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(5))
                    .until(() -> statuses(harness, "PUT", "/workers/scripts/" + OperatorHarness.SCRIPT).size() == 1);
            dbs.awaitReady("faults", "limited");
            assertThat(statuses(harness, "PUT", "/workers/scripts/" + OperatorHarness.SCRIPT)).containsExactly(429, 200);
        }
    }

    @Test
    void anInvalidApiTokenIsAPermanentFailureThatSaysWhatToFixAndIsNotRetried() throws Exception {
        try (OperatorHarness harness = new OperatorHarness(Map.of("KURATCHI_CF_API_TOKEN", "not-the-token"))) {
            DoDatabases dbs = new DoDatabases(harness.client());
            dbs.create("faults", "badtoken", spec -> { });
            DoDatabase failed = dbs.awaitCondition("faults", "badtoken", WORKER_DEPLOYED, FALSE,
                    "CloudflareAuthenticationFailed");
            assertThat(dbs.condition("faults", "badtoken", READY).getMessage())
                    .contains("KURATCHI_CF_API_TOKEN", "Authentication error").doesNotContain("not-the-token");
            int calls = harness.emulator().calls().size();
            await().during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(5))
                    .until(() -> harness.emulator().calls().size() == calls);
            assertThat(calls).isLessThanOrEqualTo(2);
            assertThat(failed.getStatus().getToken()).isNull();
        }
    }

    @Test
    void aGatewayThatIsDownForAWhileIsReportedAndTheDatabaseConvergesAfter() throws Exception {
        try (OperatorHarness harness = new OperatorHarness(Map.of())) {
            DoDatabases dbs = new DoDatabases(harness.client());
            dbs.create("faults", "warmup", spec -> { });
            dbs.awaitReady("faults", "warmup");
            // Two reconciles' worth of failures: the operator's admin calls are not retried inside a reconcile.
            harness.emulator().fault("{\"target\": \"workers\", \"method\": \"PUT\", \"path\": \"/"
                    + OperatorHarness.SCRIPT + "/admin/**\", \"kind\": \"status\", \"status\": 503, \"count\": 2}");
            dbs.create("faults", "patient", spec -> { });
            dbs.awaitCondition("faults", "patient", DATABASE_PROVISIONED, FALSE, "GatewayUnavailable");
            dbs.awaitReady("faults", "patient");
            assertThat(DoDatabases.gateway(dbs.secret("faults", "patient-db")).query("SELECT 1")).hasSize(1);
        }
    }

    @Test
    void aWorkerDeletedBehindTheOperatorsBackIsDeployedAgain() throws Exception {
        try (OperatorHarness harness = new OperatorHarness(Map.of())) {
            DoDatabases dbs = new DoDatabases(harness.client());
            dbs.create("faults", "before", spec -> { });
            dbs.awaitReady("faults", "before");
            assertThat(harness.emulator().api("DELETE", "/workers/scripts/" + OperatorHarness.SCRIPT + "?force=true"))
                    .isEqualTo(200);
            dbs.create("faults", "after", spec -> { });
            dbs.awaitReady("faults", "after");
            assertThat(statuses(harness, "PUT", "/workers/scripts/" + OperatorHarness.SCRIPT)).containsExactly(200, 200);
            assertThat(DoDatabases.gateway(dbs.secret("faults", "after-db")).query("SELECT 1")).hasSize(1);
        }
    }
}
