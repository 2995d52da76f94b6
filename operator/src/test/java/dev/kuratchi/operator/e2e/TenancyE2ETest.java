package dev.kuratchi.operator.e2e;

import static dev.kuratchi.operator.dodatabase.DoDatabaseReconciler.READY;
import static dev.kuratchi.operator.dodatabase.DoDatabaseReconciler.TOKEN_ISSUED;
import static dev.kuratchi.operator.status.Conditions.FALSE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.kuratchi.client.gateway.GatewayClient;
import dev.kuratchi.operator.dodatabase.DoDatabase;
import dev.kuratchi.operator.dodatabase.DoDatabases;
import dev.kuratchi.operator.support.EmulatorProcess;
import dev.kuratchi.operator.support.OperatorHarness;
import dev.kuratchi.operator.support.RealCluster;
import dev.kuratchi.operator.support.Trap;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The tenant boundary on the real API server, driven with kubectl as tenants drive it: deleted resources' tokens stay
 * dead, a retained name is not handed to another namespace, the database name cannot change, status cannot redirect
 * the operator, and the API server's refusals become conditions.
 */
class TenancyE2ETest {
    private static RealCluster cluster;
    private static OperatorHarness harness;
    private static DoDatabases dbs;

    @BeforeAll
    static void start() {
        cluster = RealCluster.shared();
        harness = new OperatorHarness(cluster, false, EmulatorProcess.start(), Map.of());
        dbs = new DoDatabases(cluster.client());
    }

    @AfterAll
    static void stop() throws Exception {
        harness.close();
    }

    private static RealCluster.Result apply(String namespace, String yaml) throws Exception {
        Path file = Files.createTempFile("tenancy-", ".yaml");
        Files.writeString(file, yaml);
        RealClusterE2ETest.namespace(namespace);
        return cluster.kubectl("apply", "-n", namespace, "-f", file.toString());
    }

    private static GatewayClient app(String namespace, String secret) {
        return DoDatabases.gateway(dbs.secret(namespace, secret));
    }

    private static void kubectlDelete(String namespace, String name) {
        RealCluster.Result deleted = cluster.kubectl("delete", "dodb", name, "-n", namespace, "--timeout=60s");
        assertThat(deleted.exitCode()).as(deleted.output()).isZero();
    }

    @Test
    void aDeletedDoDatabasesTokensNeverWorkAgainWithEitherPolicyAlsoWhenTheNameComesBack() throws Exception {
        for (String policy : new String[] {"Retain", "Delete"}) {
            String ns = "e2e-tokens-" + policy.toLowerCase();
            String name = "ledger-" + policy.toLowerCase();
            String manifest = """
                    apiVersion: kuratchi.dev/v1alpha1
                    kind: DoDatabase
                    metadata: {name: %s}
                    spec: {deletionPolicy: %s, existingData: Adopt}
                    """.formatted(name, policy);
            assertThat(apply(ns, manifest).exitCode()).isZero();
            dbs.awaitReady(ns, name);
            GatewayClient first = app(ns, name + "-db");
            first.exec("CREATE TABLE entries (v); INSERT INTO entries VALUES (1)");

            kubectlDelete(ns, name);
            DoDatabases.assertRevoked(first);
            assertThat(apply(ns, manifest).exitCode()).isZero();
            dbs.awaitReady(ns, name);
            DoDatabases.assertRevoked(first);
            long rows = app(ns, name + "-db").query("SELECT count(*) AS n FROM sqlite_master WHERE name = 'entries'")
                    .get(0).getLong("n");
            assertThat(rows).as(policy).isEqualTo(policy.equals("Retain") ? 1 : 0);
        }
    }

    @Test
    void aRetainedNameIsNotHandedToAResourceWaitingInAnotherNamespace() throws Exception {
        String owner = """
                apiVersion: kuratchi.dev/v1alpha1
                kind: DoDatabase
                metadata: {name: vault}
                spec: {databaseName: e2e-vault, deletionPolicy: Retain}
                """;
        assertThat(apply("e2e-vault-owner", owner).exitCode()).isZero();
        dbs.awaitReady("e2e-vault-owner", "vault");
        app("e2e-vault-owner", "vault-db").exec("CREATE TABLE gold (v); INSERT INTO gold VALUES ('mine')");
        assertThat(apply("e2e-vault-thief", owner.replace("Retain}", "Retain, existingData: Adopt}")).exitCode()).isZero();
        dbs.awaitCondition("e2e-vault-thief", "vault", READY, FALSE, "AlreadyManaged");

        kubectlDelete("e2e-vault-owner", "vault");
        dbs.annotate("e2e-vault-thief", "vault", "touched", "owner-gone");
        dbs.awaitCondition("e2e-vault-thief", "vault", READY, FALSE, "ExistingData");
        assertThat(dbs.secret("e2e-vault-thief", "vault-db")).isNull();
        assertThat(harness.admin().info("e2e-vault").tables()).contains("gold");
    }

    @Test
    void theDatabaseNameCannotBeAddedLaterAndAForgedStatusEndpointGetsNoCall() throws Exception {
        String plain = """
                apiVersion: kuratchi.dev/v1alpha1
                kind: DoDatabase
                metadata: {name: fixed}
                spec: {deletionPolicy: Delete}
                """;
        assertThat(apply("e2e-name", plain).exitCode()).isZero();
        DoDatabase ready = dbs.awaitReady("e2e-name", "fixed");
        RealCluster.Result added = apply("e2e-name", plain.replace("spec: {", "spec: {databaseName: other, "));
        assertThat(added.exitCode()).isNotZero();
        assertThat(added.output()).contains("databaseName is immutable");

        try (Trap trap = new Trap()) {
            RealCluster.Result patched = cluster.kubectl("patch", "dodb", "fixed", "-n", "e2e-name", "--subresource=status",
                    "--type=merge", "-p", "{\"status\":{\"endpoint\":\"" + trap.url()
                            + "\",\"databaseName\":\"e2e-vault\"}}");
            assertThat(patched.exitCode()).as(patched.output()).isZero();
            kubectlDelete("e2e-name", "fixed");
            assertThat(trap.requests()).isZero();
            assertThat(harness.admin().info("fixed").tables()).as("its own name was wiped").isEmpty();
            assertThat(ready.getStatus().getDatabaseName()).isEqualTo("fixed");
        }
    }

    @Test
    void aSecretTheApiServerRefusesIsAConditionWithItsMessage() throws Exception {
        assertThat(apply("e2e-refused", """
                apiVersion: kuratchi.dev/v1alpha1
                kind: DoDatabase
                metadata: {name: refused}
                spec: {secret: {labels: {app: "trailing-"}}}
                """).exitCode()).isZero();
        dbs.awaitCondition("e2e-refused", "refused", TOKEN_ISSUED, FALSE, "SecretRejected");
        assertThat(dbs.condition("e2e-refused", "refused", READY).getMessage()).contains("trailing-", "spec.secret");
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5))
                .until(() -> dbs.secret("e2e-refused", "refused-db") == null);
    }
}
