package dev.kuratchi.operator.dodatabase;

import static dev.kuratchi.operator.dodatabase.DoDatabaseReconciler.DATABASE_PROVISIONED;
import static dev.kuratchi.operator.dodatabase.DoDatabaseReconciler.READY;
import static dev.kuratchi.operator.status.Conditions.FALSE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kuratchi.client.gateway.GatewayClient;
import dev.kuratchi.client.gateway.GatewayConnection;
import dev.kuratchi.client.gateway.GatewayException;
import dev.kuratchi.client.token.DatabaseToken;
import dev.kuratchi.operator.OperatorFactory;
import dev.kuratchi.operator.cloudflare.ApiRateLimiter;
import dev.kuratchi.operator.cloudflare.CloudflareClient;
import dev.kuratchi.operator.support.EmulatorProcess;
import dev.kuratchi.operator.support.OperatorHarness;
import io.fabric8.kubernetes.api.model.events.v1.Event;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway Worker deleted or replaced behind the operator's back: deleting a script takes its Durable Object
 * storage with it, so existing databases must be found empty, provisioned again and reported, never left Ready on
 * empty storage; a Worker replaced (kuratchi-sdk's createDatabase uploads its own under the same name) is deployed
 * again. Each test has its own operator and account: these faults hit every database of the account.
 */
class StorageLossTest {
    private OperatorHarness harness;
    private DoDatabases dbs;

    private void start(String storageCheckInterval) {
        harness = new OperatorHarness(Map.of("KURATCHI_STORAGE_CHECK_INTERVAL", storageCheckInterval));
        dbs = new DoDatabases(harness.client());
    }

    @AfterEach
    void stop() throws Exception {
        harness.close();
    }

    @Test
    void storageLostWithADeletedWorkerIsFoundReprovisionedAndReportedUntilAcknowledged() {
        start("1s");
        dbs.create("lost", "precious", DoDatabases.builtIn("organization"));
        dbs.awaitReady("lost", "precious");
        String before = dbs.token("lost", "precious-db");
        harness.app(before).query("INSERT INTO users (id, email) VALUES (?, ?)", "u1", "a@b.c");
        assertThat(harness.emulator().api("DELETE", "/workers/scripts/" + OperatorHarness.SCRIPT + "?force=true"))
                .isEqualTo(200);

        DoDatabase lost = dbs.awaitCondition("lost", "precious", READY, FALSE, "DataLost");
        assertThat(lost.getStatus().getStorageLostAt()).isNotNull();
        assertThat(dbs.condition("lost", "precious", DATABASE_PROVISIONED).getReason()).isEqualTo("Reprovisioned");
        assertThat(dbs.condition("lost", "precious", READY).getMessage())
                .contains(DoDatabaseReconciler.ACKNOWLEDGE_DATA_LOSS + "=" + lost.getStatus().getStorageLostAt());
        await().atMost(Duration.ofSeconds(30)).until(() -> harness.client().resources(Event.class).inNamespace("lost")
                .list().getItems().stream().anyMatch(e -> "DataLost".equals(e.getReason())
                        && "Warning".equals(e.getType())));
        await().atMost(Duration.ofSeconds(30)).until(() -> !dbs.token("lost", "precious-db").equals(before));
        GatewayClient now = harness.app(dbs.token("lost", "precious-db"));
        assertThat(now.query("SELECT count(*) AS n FROM users").get(0).getLong("n")).as("schema back, data gone")
                .isZero();
        DoDatabases.assertRevoked(harness.app(before));

        dbs.annotate("lost", "precious", DoDatabaseReconciler.ACKNOWLEDGE_DATA_LOSS, lost.getStatus().getStorageLostAt());
        dbs.awaitReady("lost", "precious");
        assertThat(dbs.get("lost", "precious").getStatus().getStorageLostAt()).isNull();
    }

    @Test
    void aWorkerReplacedByKuratchiSdksTemplateIsDeployedAgainAndItsDataIsKept() throws Exception {
        start("1s");
        dbs.create("replaced", "survivor", spec -> { });
        dbs.awaitReady("replaced", "survivor");
        harness.app(dbs.token("replaced", "survivor-db")).exec("CREATE TABLE kept (v); INSERT INTO kept VALUES (1)");
        long uploads = harness.emulator().count("PUT", "/workers/scripts/" + OperatorHarness.SCRIPT);

        EmulatorProcess emulator = harness.emulator();
        CloudflareClient cloudflare = new CloudflareClient(emulator.apiUrl(), EmulatorProcess.API_TOKEN,
                emulator.accountId(), new OkHttpClient(), ApiRateLimiter.of(100, Duration.ofMinutes(1)),
                OperatorFactory.newRegistry());
        ObjectNode metadata = new ObjectMapper().createObjectNode().put("main_module", "index.js")
                .put("compatibility_date", "2025-08-17");
        metadata.putArray("bindings").addObject().put("type", "durable_object_namespace").put("name", "DO")
                .put("class_name", "KuratchiDoInternal");
        // kuratchi-sdk's gateway in spirit: POST only, its own answers, the same Durable Object class.
        String sdkWorker = """
                import { DurableObject } from "cloudflare:workers";
                export class KuratchiDoInternal extends DurableObject {}
                export default {
                  fetch(request) {
                    if (request.method !== "POST") {
                      return new Response(JSON.stringify({ error: "Method not allowed" }), { status: 405 });
                    }
                    return new Response(JSON.stringify({ error: "Invalid endpoint" }), { status: 404 });
                  },
                };
                """;
        cloudflare.uploadScript(OperatorHarness.SCRIPT, metadata, List.of(new CloudflareClient.Module("index.js",
                sdkWorker.getBytes(StandardCharsets.UTF_8))));

        await().atMost(Duration.ofSeconds(60)).until(() ->
                harness.emulator().count("PUT", "/workers/scripts/" + OperatorHarness.SCRIPT) >= uploads + 2);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(
                harness.app(dbs.token("replaced", "survivor-db")).query("SELECT v FROM kept")).hasSize(1));
        dbs.awaitReady("replaced", "survivor");
        assertThat(dbs.get("replaced", "survivor").getStatus().getStorageLostAt()).isNull();
    }

    @Test
    void aResourceWaitingForTheNameDoesNotTakeItWhenTheOwnersStorageIsLost() {
        // Checks a few seconds apart: the one waiting is made to look at once, before the owner's check finds the loss.
        start("5s");
        dbs.create("loss-owner", "ledger", spec -> { });
        DoDatabase owner = dbs.awaitReady("loss-owner", "ledger");
        dbs.create("loss-squatter", "waiting", spec -> spec.setDatabaseName("ledger"));
        dbs.awaitCondition("loss-squatter", "waiting", READY, FALSE, "AlreadyManaged");
        assertThat(harness.emulator().api("DELETE", "/workers/scripts/" + OperatorHarness.SCRIPT + "?force=true"))
                .isEqualTo(200);

        dbs.annotate("loss-squatter", "waiting", "touched", "after-the-loss");
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(() ->
                "AlreadyManaged".equals(dbs.condition("loss-squatter", "waiting", READY).getReason()));
        assertThat(dbs.secret("loss-squatter", "waiting-db")).isNull();
        dbs.awaitCondition("loss-owner", "ledger", READY, FALSE, "DataLost");
        assertThat(harness.admin().info("ledger").owner().uid()).isEqualTo(owner.getMetadata().getUid());
    }
}
