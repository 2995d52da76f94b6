package dev.kuratchi.operator.dodatabase;

import static dev.kuratchi.operator.dodatabase.DoDatabaseReconciler.TOKEN_ISSUED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.kuratchi.client.gateway.GatewayException;
import dev.kuratchi.client.token.DatabaseToken;
import dev.kuratchi.client.token.GatewayKey;
import dev.kuratchi.client.token.Tokens;
import dev.kuratchi.operator.support.EmulatorProcess;
import dev.kuratchi.operator.support.MockCluster;
import dev.kuratchi.operator.support.OperatorHarness;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** One operator stops and another starts on the same cluster and account: a restart, or an upgrade with a new key. */
class RestartTest {
    private static final String NEW_KEY = "restart-test-rotated-gateway-key-0123456789";

    private static String token(DoDatabases dbs, String namespace, String secret) {
        return DoDatabases.data(dbs.secret(namespace, secret)).get("token");
    }

    @Test
    void aPendingRevocationSurvivesAnOperatorRestart() throws Exception {
        try (MockCluster cluster = new MockCluster(); EmulatorProcess emulator = EmulatorProcess.start()) {
            DoDatabases dbs = new DoDatabases(cluster.client());
            String replaced;
            Map<String, String> longGrace = Map.of("KURATCHI_TOKEN_REVOCATION_GRACE", "4s");
            try (OperatorHarness first = new OperatorHarness(cluster, false, emulator, false, longGrace)) {
                dbs.create("restart", "durable", spec -> { });
                dbs.awaitReady("restart", "durable");
                replaced = token(dbs, "restart", "durable-db");
                dbs.annotate("restart", "durable", DoDatabase.ROTATE_ANNOTATION, "1");
                await().atMost(Duration.ofSeconds(30)).until(() ->
                        dbs.get("restart", "durable").getStatus().getPendingRevocations() != null);
            }
            assertThat(DoDatabases.gateway(dbs.secret("restart", "durable-db")).query("SELECT 1")).hasSize(1);
            var stillValid = DoDatabases.gatewayFor(dbs.secret("restart", "durable-db"), replaced);
            assertThat(stillValid.query("SELECT 1")).as("inside its grace period").hasSize(1);

            try (OperatorHarness second = new OperatorHarness(cluster, false, emulator, false, longGrace)) {
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThatThrownBy(() ->
                        stillValid.query("SELECT 1")).isInstanceOfSatisfying(GatewayException.class,
                                e -> assertThat(e.code()).isEqualTo("token_revoked")));
                await().atMost(Duration.ofSeconds(30)).until(() ->
                        dbs.get("restart", "durable").getStatus().getPendingRevocations() == null);
            }
        }
    }

    @Test
    void aGatewayKeyRotationReissuesTokensSignedWithThePreviousKeyAndRevokesThem() throws Exception {
        try (MockCluster cluster = new MockCluster(); EmulatorProcess emulator = EmulatorProcess.start()) {
            DoDatabases dbs = new DoDatabases(cluster.client());
            String old;
            try (OperatorHarness first = new OperatorHarness(cluster, false, emulator, false, Map.of())) {
                dbs.create("rotation", "rekeyed", spec -> { });
                dbs.awaitReady("rotation", "rekeyed");
                old = token(dbs, "rotation", "rekeyed-db");
            }
            Map<String, String> rotated = Map.of("KURATCHI_GATEWAY_KEY", NEW_KEY,
                    "KURATCHI_GATEWAY_KEY_PREVIOUS", OperatorHarness.GATEWAY_KEY);
            try (OperatorHarness second = new OperatorHarness(cluster, false, emulator, false, rotated)) {
                await().atMost(Duration.ofSeconds(30)).until(() -> !token(dbs, "rotation", "rekeyed-db").equals(old));
                // The Secret is written before the status that says why: wait for the status too.
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(dbs.condition("rotation",
                        "rekeyed", TOKEN_ISSUED).getMessage()).contains("rotated out"));
                String renewed = token(dbs, "rotation", "rekeyed-db");
                assertThat(Tokens.verify(renewed, "rekeyed", List.of(GatewayKey.of(NEW_KEY)), Instant.now()))
                        .isEqualTo(DatabaseToken.parse(renewed));
                assertThat(DoDatabases.gateway(dbs.secret("rotation", "rekeyed-db")).query("SELECT 1")).hasSize(1);
                var previous = DoDatabases.gatewayFor(dbs.secret("rotation", "rekeyed-db"), old);
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThatThrownBy(() ->
                        previous.query("SELECT 1")).isInstanceOfSatisfying(GatewayException.class,
                                e -> assertThat(e.code()).isEqualTo("token_revoked")));
            }
        }
    }
}
