package dev.kuratchi.operator.dodatabase;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kuratchi.operator.status.Conditions;
import dev.kuratchi.operator.support.OperatorHarness;
import io.fabric8.kubernetes.api.model.Secret;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** DoDatabase end to end: mock cluster, the operator, the emulator running the real gateway Worker. */
class DoDatabaseLifecycleTest {
    private static OperatorHarness harness;
    private static DoDatabases dbs;

    @BeforeAll
    static void start() {
        harness = new OperatorHarness(Map.of());
        dbs = new DoDatabases(harness.client());
    }

    @AfterAll
    static void stop() throws Exception {
        harness.close();
    }

    @Test
    void applyBecomesReadyAndTheSecretsTokenRunsQueriesThroughTheGateway() {
        dbs.create("apply", "acme", spec -> {
            SchemaSource schema = new SchemaSource();
            schema.setBuiltIn("organization");
            spec.setSchema(schema);
        });
        DoDatabase ready = dbs.awaitReady("apply", "acme");
        DoDatabaseStatus status = ready.getStatus();
        assertThat(status.getObservedGeneration()).isEqualTo(ready.getMetadata().getGeneration());
        assertThat(status.getDatabaseName()).isEqualTo("acme");
        assertThat(status.getSecretName()).isEqualTo("acme-db");
        assertThat(status.getAppliedMigrations()).containsExactly("initial");
        assertThat(status.getToken().id()).matches("[0-9a-f]{32}");
        for (String type : new String[] {"WorkerDeployed", "DatabaseProvisioned", "SchemaApplied", "TokenIssued", "Ready"}) {
            assertThat(Conditions.isTrue(status.getConditions(), type)).as(type).isTrue();
        }
        Secret secret = dbs.secret("apply", "acme-db");
        assertThat(DoDatabases.data(secret)).containsOnlyKeys("databaseName", "token", "endpoint", "expiresAt");
        var gateway = DoDatabases.gateway(secret);
        assertThat(gateway.query("SELECT 1 AS one").get(0).getLong("one")).isEqualTo(1L);
        assertThat(gateway.query("SELECT count(*) AS n FROM users").get(0).getLong("n")).isZero();
    }
}
