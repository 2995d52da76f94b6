package dev.kuratchi.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.kuratchi.client.gateway.GatewayClient;
import dev.kuratchi.client.gateway.GatewayException;
import dev.kuratchi.client.gateway.Row;
import dev.kuratchi.operator.dodatabase.DoDatabase;
import dev.kuratchi.operator.dodatabase.DoDatabases;
import dev.kuratchi.operator.organization.KuratchiOrganization;
import dev.kuratchi.operator.organization.OrganizationStatus;
import dev.kuratchi.operator.organization.RealOrganizations;
import dev.kuratchi.operator.support.EmulatorProcess;
import dev.kuratchi.operator.support.OperatorHarness;
import dev.kuratchi.operator.support.RealCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * KuratchiOrganization on the real API server, driven with kubectl as users drive it: the example becomes Ready and
 * {@code kubectl get korg} shows it; deletion under either policy, with the garbage collector of a real cluster,
 * leaves no Kubernetes object behind, deletes (Delete) or keeps (Retain) the Cloudflare resources, deletes or
 * archives the admin rows, and ends the token the app held.
 */
class OrganizationE2ETest {
    private static final String ADMIN_NAMESPACE = "e2e-org-admin";
    private static final String ADMIN_DATABASE = "kuratchi-admin";
    private static RealCluster cluster;
    private static OperatorHarness harness;
    private static RealOrganizations orgs;

    @BeforeAll
    static void start() {
        cluster = RealCluster.shared();
        // An admin namespace of this class's own: the admin DoDatabase it holds is claimed at this class's emulator.
        RealClusterE2ETest.namespace(ADMIN_NAMESPACE);
        harness = new OperatorHarness(cluster, false, EmulatorProcess.start(),
                Map.of("KURATCHI_ADMIN_NAMESPACE", ADMIN_NAMESPACE));
        orgs = new RealOrganizations(cluster.client());
    }

    // The admin DoDatabase goes too (its data is retained): an operator another test starts on all namespaces would
    // otherwise claim its name at that test's emulator.
    @AfterAll
    static void stop() throws Exception {
        try {
            cluster.client().resources(DoDatabase.class).inNamespace(ADMIN_NAMESPACE).withName(ADMIN_DATABASE).delete();
            await().atMost(Duration.ofSeconds(60)).until(() -> cluster.client().resources(DoDatabase.class)
                    .inNamespace(ADMIN_NAMESPACE).withName(ADMIN_DATABASE).get() == null);
        } finally {
            harness.close();
        }
    }

    private static RealCluster.Result kubectl(String... args) {
        RealCluster.Result result = cluster.kubectl(args);
        assertThat(result.exitCode()).as("kubectl %s: %s", String.join(" ", args), result.output()).isZero();
        return result;
    }

    private static RealCluster.Result apply(String namespace, String yaml) throws Exception {
        Path file = Files.createTempFile("korg-", ".yaml");
        Files.writeString(file, yaml);
        RealClusterE2ETest.namespace(namespace);
        return kubectl("apply", "-n", namespace, "-f", file.toString());
    }

    /** kubectl's table as header to cell, for the row of {@code name}; cells are two or more spaces apart. */
    private static Map<String, String> row(String table, String name) {
        List<String> lines = table.lines().toList();
        String[] headers = lines.get(0).trim().split("\\s{2,}");
        String[] cells = lines.stream().filter(l -> l.startsWith(name + " ")).findFirst().orElseThrow().trim()
                .split("\\s{2,}");
        assertThat(cells).as(table).hasSameSizeAs(headers);
        Map<String, String> row = new LinkedHashMap<>();
        for (int i = 0; i < headers.length; i++) {
            row.put(headers[i], cells[i]);
        }
        return row;
    }

    @Test
    void kubectlApplyOfTheExampleBecomesReadyAndKubectlGetShowsItsColumns() throws Exception {
        String ns = "e2e-org-example";
        assertThat(apply(ns, Files.readString(RealCluster.repositoryRoot().resolve("examples/organization.yaml")))
                .output()).contains("kuratchiorganization.kuratchi.dev/acme created");
        KuratchiOrganization ready = orgs.awaitReady(ns, "acme");
        assertThat(ready.getMetadata().getFinalizers()).containsExactly("kuratchiorganizations.kuratchi.dev/finalizer");

        // The columns kubectl shows by default, in the order of the class's annotations (PrinterColumnOrder).
        Map<String, String> row = row(kubectl("get", "korg", "-n", ns).output(), "acme");
        assertThat(row.keySet()).containsExactly("NAME", "READY", "ORGANIZATION", "DATABASE", "SECRET", "RESOURCES",
                "AGE");
        assertThat(row).containsEntry("NAME", "acme").containsEntry("READY", "True")
                .containsEntry("ORGANIZATION", "Acme Corp").containsEntry("DATABASE", "acme")
                .containsEntry("SECRET", "acme-db").containsEntry("RESOURCES", "kv:1 r2:1 queues:1");
        Map<String, String> wide = row(kubectl("get", "korg", "-n", ns, "-o", "wide").output(), "acme");
        assertThat(wide).containsEntry("REASON", "Ready").hasSize(8);
        // The short name, and field docs for kubectl explain.
        assertThat(kubectl("explain", "korg.spec.deletionPolicy").output()).contains("KuratchiOrganization", "Retain");
        assertThat(kubectl("explain", "korg.spec").output()).contains("The organization you want");
        assertThat(kubectl("explain", "korg.status.conditions.message").output()).contains("what to do");

        kubectl("delete", "korg", "acme", "-n", ns, "--timeout=120s");
        orgs.awaitGone(ns, "acme", "acme-db");
    }

    /** What was in place before the deletion, to compare with what is left after it. */
    private record Made(String uid, List<String> cloudflareNames, GatewayClient app, GatewayClient admin) {}

    /** An organization of every part, applied with kubectl, Ready, then deleted with kubectl and gone. */
    private static Made applyAndDelete(String ns, String name, String policy, String cascade) throws Exception {
        apply(ns, """
                apiVersion: kuratchi.dev/v1alpha1
                kind: KuratchiOrganization
                metadata: {name: %s}
                spec:
                  organizationName: Org %s
                  email: billing@%s.example
                  owner: {email: ann@%s.example, name: Ann}
                  resources: {kv: true, r2: [files], queues: [jobs]}
                  deletionPolicy: %s
                """.formatted(name, name, name, name, policy));
        KuratchiOrganization ready = orgs.awaitReady(ns, name);
        OrganizationStatus status = ready.getStatus();
        String uid = ready.getMetadata().getUid();

        GatewayClient app = DoDatabases.gateway(cluster.client().secrets().inNamespace(ns)
                .withName(status.getSecretName()).get());
        assertThat(app.query("SELECT email FROM users").stream().map(r -> r.getString("email")))
                .containsExactly("ann@" + name + ".example");
        List<String> cloudflareNames = RealOrganizations.recordedCloudflareNames(status);
        assertThat(cloudflareNames).hasSize(3);
        assertThat(RealOrganizations.cloudflareNames(harness.emulator())).containsAll(cloudflareNames);
        GatewayClient admin = orgs.adminDatabase(ADMIN_NAMESPACE, ADMIN_DATABASE);
        RealOrganizations.adminRows(admin, uid).forEach((table, rows) -> assertThat(rows).as(table).hasSize(1));

        kubectl("delete", "korg", name, "-n", ns, "--cascade=" + cascade, "--timeout=120s");
        orgs.awaitGone(ns, name, status.getSecretName());
        return new Made(uid, cloudflareNames, app, admin);
    }

    /**
     * The token the app read from the Secret before the deletion: refused, 401. Awaited, as {@link #adminRows}: the
     * first call after the deletion may meet a connection the emulator closed meanwhile.
     */
    private static void assertRefused(GatewayClient app) {
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThatThrownBy(() -> app.query("SELECT 1"))
                .isInstanceOfSatisfying(GatewayException.class, e -> {
                    assertThat(e.status()).isEqualTo(401);
                    assertThat(e.code()).isEqualTo("token_revoked");
                }));
    }

    /**
     * The organization's admin rows once it is gone. The deletion leaves the pooled connections idle for seconds, and
     * the emulator closes an idle one at its end while the pool may still hand it out ("unexpected end of stream",
     * which the operator retries too): read again then.
     */
    private static Map<String, List<Row>> adminRows(Made made) {
        return await().atMost(Duration.ofSeconds(10)).ignoreExceptionsMatching(e -> e instanceof GatewayException g
                && "unreachable".equals(g.code())).until(() -> RealOrganizations.adminRows(made.admin(), made.uid()),
                rows -> true);
    }

    @Test
    void deletedWithDeleteNothingIsLeftAndTheTokenIsRefused() throws Exception {
        // Background cascade (kubectl's default): the organization goes first, the garbage collector follows.
        Made made = applyAndDelete("e2e-org-delete", "doomed", "Delete", "background");
        assertThat(RealOrganizations.cloudflareNames(harness.emulator()))
                .doesNotContainAnyElementsOf(made.cloudflareNames());
        adminRows(made)
                .forEach((table, rows) -> assertThat(rows).as(table).isEmpty());
        assertRefused(made.app());
    }

    @Test
    void deletedWithRetainTheCloudflareResourcesStayTheAdminRowsAreArchivedAndTheTokenIsRefused() throws Exception {
        // Foreground cascade: the organization stays, with the garbage collector's foregroundDeletion finalizer,
        // until its child and ConfigMap (blockOwnerDeletion) are gone; the operator's cleanup runs meanwhile.
        Made made = applyAndDelete("e2e-org-retain", "kept", "Retain", "foreground");
        assertThat(RealOrganizations.cloudflareNames(harness.emulator())).containsAll(made.cloudflareNames());
        Map<String, List<Row>> rows = adminRows(made);
        assertThat(rows.get("organizations")).singleElement()
                .satisfies(r -> assertThat(r.get("deleted_at")).isNotNull());
        assertThat(rows.get("databases")).singleElement().satisfies(r -> {
            assertThat(r.get("deleted_at")).isNotNull();
            assertThat(Arrays.asList(r.getLong("isArchived"), r.getLong("isActive"))).containsExactly(1L, 0L);
        });
        assertThat(rows.get("dbApiTokens")).singleElement().satisfies(r -> {
            assertThat(r.get("deleted_at")).isNotNull();
            assertThat(r.getLong("revoked")).isEqualTo(1L);
        });
        // As kuratchi-sdk leaves them: the routing row holds no credential.
        assertThat(rows.get("organizationUsers")).hasSize(1);
        assertRefused(made.app());
    }
}
