package dev.kuratchi.operator.organization;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.BooleanNode;
import dev.kuratchi.operator.dodatabase.DoDatabase;
import dev.kuratchi.operator.dodatabase.DoDatabases;
import dev.kuratchi.operator.status.Conditions;
import dev.kuratchi.operator.support.OperatorHarness;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** KuratchiOrganization end to end: mock cluster, the operator, the emulator running the real gateway Worker. */
class OrganizationLifecycleTest {
    private static final String ADMIN_NAMESPACE = "kuratchi-system";
    private static OperatorHarness harness;

    @BeforeAll
    static void start() {
        harness = new OperatorHarness(Map.of("KURATCHI_ADMIN_NAMESPACE", ADMIN_NAMESPACE));
    }

    @AfterAll
    static void stop() throws Exception {
        harness.close();
    }

    private static KuratchiOrganization create(String namespace, String name, OrganizationSpec spec) {
        KuratchiOrganization organization = new KuratchiOrganization();
        organization.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
        organization.setSpec(spec);
        return harness.client().resource(organization).create();
    }

    private static KuratchiOrganization awaitReady(String namespace, String name) {
        return await().atMost(Duration.ofSeconds(60)).until(
                () -> harness.client().resources(KuratchiOrganization.class).inNamespace(namespace).withName(name).get(),
                org -> org != null && org.getStatus() != null
                        && Conditions.isTrue(org.getStatus().getConditions(), OrganizationReconciler.READY));
    }

    @Test
    void anOrganizationWithOwnerAndEveryResourceKindBecomesReadyWithOneRowOfEachKind() {
        OrganizationSpec spec = new OrganizationSpec();
        spec.setOrganizationName("Acme Corp");
        spec.setEmail("billing@acme.example");
        OwnerSpec owner = new OwnerSpec();
        owner.setEmail("ann@acme.example");
        owner.setName("Ann");
        spec.setOwner(owner);
        ResourcesSpec resources = new ResourcesSpec();
        resources.setKv(BooleanNode.TRUE);
        resources.setR2(BooleanNode.TRUE);
        resources.setQueues(BooleanNode.TRUE);
        spec.setResources(resources);
        create("acme", "acme-corp", spec);

        KuratchiOrganization ready = awaitReady("acme", "acme-corp");
        OrganizationStatus status = ready.getStatus();
        assertThat(status.getSlug()).isEqualTo("acme-corp");
        assertThat(status.getDatabaseName()).isEqualTo("acme-corp");
        assertThat(status.getResources()).isEqualTo("kv:1 r2:1 queues:1");
        assertThat(status.getOrganizationId()).isEqualTo(ready.getMetadata().getUid());

        Secret secret = harness.client().secrets().inNamespace("acme").withName(status.getSecretName()).get();
        var database = DoDatabases.gateway(secret);
        assertThat(database.query("SELECT email, role FROM users").stream().map(row -> row.getString("email")))
                .containsExactly("ann@acme.example");

        ConfigMap ids = harness.client().configMaps().inNamespace("acme").withName("acme-corp-cloudflare").get();
        assertThat(ids.getData()).containsKeys("kv.default.id", "r2.default.bucket", "queues.default.id");

        DoDatabase admin = harness.client().resources(DoDatabase.class).inNamespace(ADMIN_NAMESPACE)
                .withName("kuratchi-admin").get();
        var adminDb = DoDatabases.gateway(harness.client().secrets().inNamespace(ADMIN_NAMESPACE)
                .withName(admin.getStatus().getSecretName()).get());
        for (String table : new String[] {"organizations", "databases", "dbApiTokens", "organizationUsers"}) {
            assertThat(adminDb.query("SELECT count(*) AS n FROM " + table).get(0).getLong("n")).as(table).isEqualTo(1L);
        }
    }
}
