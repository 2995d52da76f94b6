package dev.kuratchi.operator.organization;

import static dev.kuratchi.operator.organization.Organizations.ADMIN_DATABASE;
import static dev.kuratchi.operator.organization.Organizations.ADMIN_NAMESPACE;
import static dev.kuratchi.operator.status.Conditions.FALSE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kuratchi.client.admin.Adoption;
import dev.kuratchi.client.admin.DatabaseInfo;
import dev.kuratchi.client.admin.Migration;
import dev.kuratchi.client.admin.Owner;
import dev.kuratchi.operator.dodatabase.DoDatabase;
import dev.kuratchi.operator.dodatabase.DoDatabaseReconciler;
import dev.kuratchi.operator.dodatabase.DoDatabaseStatus;
import dev.kuratchi.operator.dodatabase.DoDatabases;
import dev.kuratchi.operator.dodatabase.ExistingData;
import dev.kuratchi.operator.support.EmulatorProcess;
import dev.kuratchi.operator.support.MockCluster;
import dev.kuratchi.operator.support.OperatorHarness;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The admin database's name belongs to the operator's admin DoDatabase: a tenant cannot take it, before or after the
 * operator starts, whatever the platform team allows tenants otherwise, and the admin database never takes over
 * data a tenant left in its name.
 */
class AdminDatabaseNameTest {
    private static final String SQUATTER = "squatter";

    private static void assertRefused(DoDatabases dbs, String namespace, String name, String todo) {
        DoDatabase refused = dbs.awaitCondition(namespace, name, DoDatabaseReconciler.READY, FALSE,
                "ReservedDatabaseName");
        Condition ready = dbs.condition(namespace, name, DoDatabaseReconciler.READY);
        assertThat(ready.getMessage()).contains("database name '" + ADMIN_DATABASE + "' is reserved",
                "DoDatabase " + ADMIN_NAMESPACE + "/" + ADMIN_DATABASE, "nothing was made and no claim taken",
                "create it again with another " + todo);
        assertThat(refused.getStatus().getToken()).as("no token").isNull();
        assertThat(refused.getStatus().getConditions()).extracting(Condition::getType)
                .containsExactly(DoDatabaseReconciler.READY);
    }

    @Test
    void aTenantDoDatabaseNamingTheAdminDatabaseIsRefusedEvenWhenMadeFirstAndOrganizationsBecomeReady()
            throws Exception {
        MockCluster cluster = new MockCluster();
        DoDatabases dbs = new DoDatabases(cluster.client());
        // Made before the operator starts, so before the admin DoDatabase: each asks for the admin schema and for
        // adoption, in namespaces the operator lets adopt and hold the gateway key.
        dbs.create(SQUATTER, "innocent-looking", DoDatabases.builtIn("admin").andThen(spec -> {
            spec.setDatabaseName(ADMIN_DATABASE);
            spec.setExistingData(ExistingData.Adopt);
        }));
        dbs.create(SQUATTER, ADMIN_DATABASE, DoDatabases.builtIn("admin"));
        dbs.create(ADMIN_NAMESPACE, "second-admin", spec -> spec.setDatabaseName(ADMIN_DATABASE));
        // And one whose status says it held the name (forged, or left from before the name was reserved), which
        // would make a newcomer to the name wait for it.
        dbs.create(SQUATTER, "forged", spec -> spec.setDatabaseName(ADMIN_DATABASE));
        cluster.client().resources(DoDatabase.class).inNamespace(SQUATTER).withName("forged").editStatus(db -> {
            db.setStatus(new DoDatabaseStatus());
            db.getStatus().setStorageId("0123456789abcdef0123456789abcdef");
            return db;
        });
        try (OperatorHarness harness = new OperatorHarness(cluster, true, EmulatorProcess.start(), Map.of(
                "KURATCHI_ADMIN_NAMESPACE", ADMIN_NAMESPACE,
                "KURATCHI_ADOPTION_NAMESPACES", SQUATTER + "," + ADMIN_NAMESPACE,
                "KURATCHI_GATEWAY_KEY_NAMESPACES", SQUATTER + "," + ADMIN_NAMESPACE))) {
            // The operator makes its admin DoDatabase at start, before any organization asks for it.
            DoDatabase admin = dbs.awaitReady(ADMIN_NAMESPACE, ADMIN_DATABASE);
            assertThat(admin.getMetadata().getLabels()).containsEntry(AdminDatabase.LABEL, "true");

            assertRefused(dbs, SQUATTER, "innocent-looking", "spec.databaseName");
            assertRefused(dbs, SQUATTER, ADMIN_DATABASE, "metadata.name or spec.databaseName");
            assertRefused(dbs, ADMIN_NAMESPACE, "second-admin", "spec.databaseName");
            assertRefused(dbs, SQUATTER, "forged", "spec.databaseName");
            assertThat(List.of("innocent-looking", ADMIN_DATABASE)).allSatisfy(name -> assertThat(dbs.get(SQUATTER,
                    name).getStatus().getStorageId()).as("no claim").isNull());
            assertThat(harness.client().secrets().inNamespace(SQUATTER).list().getItems()).as("no Secret").isEmpty();
            assertThat(harness.admin().info(ADMIN_DATABASE).owner()).as("the claim at the gateway")
                    .isEqualTo(new Owner(admin.getMetadata().getUid(), ADMIN_NAMESPACE, ADMIN_DATABASE));

            Organizations orgs = new Organizations(harness.client(), harness.emulator());
            orgs.create("honest", "honest", spec -> { });
            KuratchiOrganization ready = orgs.awaitReady("honest", "honest");
            assertThat(orgs.adminRowCounts(ready.getStatus().getOrganizationId()))
                    .containsEntry("organizations", 1);
            // Its deletion, which the admin database alone can tell what to archive, finishes.
            orgs.delete("honest", "honest");
            orgs.awaitGone("honest", "honest");
            assertRefused(dbs, SQUATTER, "innocent-looking", "spec.databaseName");
        }
    }

    @Test
    void theAdminDatabaseNeverAdoptsDataATenantKeptInItsNameEvenWhereAdoptionIsAllowed() throws Exception {
        try (MockCluster cluster = new MockCluster(); EmulatorProcess emulator = EmulatorProcess.start()) {
            DoDatabases dbs = new DoDatabases(cluster.client());
            // A first operator, whose admin database has another name, deploys the gateway. What a tenant left in
            // the name before it was reserved (an earlier release, or a cluster sharing the Cloudflare account that
            // does not reserve it): tables of the admin schema's names and a trigger, kept at its release.
            Owner tenant = new Owner("uid-of-innocent-looking", SQUATTER, "innocent-looking");
            try (OperatorHarness first = new OperatorHarness(cluster, false, emulator, false, Map.of(
                    "KURATCHI_ADMIN_NAMESPACE", ADMIN_NAMESPACE, "KURATCHI_ADMIN_DATABASE", "elsewhere"))) {
                dbs.awaitReady(ADMIN_NAMESPACE, "elsewhere");
                first.admin().provision(ADMIN_DATABASE, List.of(new Migration("planted", "CREATE TABLE organizations "
                        + "(id TEXT PRIMARY KEY); CREATE TABLE leak (id TEXT); CREATE TRIGGER copy AFTER INSERT ON "
                        + "organizations BEGIN INSERT INTO leak VALUES (NEW.id); END;")), tenant, Adoption.NONE);
                assertThat(first.admin().retire(ADMIN_DATABASE, tenant, false)).isTrue();
            }

            try (OperatorHarness harness = new OperatorHarness(cluster, false, emulator, false, Map.of(
                    "KURATCHI_ADMIN_NAMESPACE", ADMIN_NAMESPACE,
                    "KURATCHI_ADOPTION_NAMESPACES", ADMIN_NAMESPACE + "," + SQUATTER))) {
                dbs.awaitCondition(ADMIN_NAMESPACE, ADMIN_DATABASE, DoDatabaseReconciler.DATABASE_PROVISIONED, FALSE,
                        "ExistingData");
                assertThat(dbs.condition(ADMIN_NAMESPACE, ADMIN_DATABASE, DoDatabaseReconciler.DATABASE_PROVISIONED)
                        .getMessage()).contains("data kept by a deleted DoDatabase of another namespace",
                        "the admin database never takes over data another namespace kept",
                        "DELETE /admin/databases/" + ADMIN_DATABASE);
                DatabaseInfo left = harness.admin().info(ADMIN_DATABASE);
                assertThat(left.owner()).as("not claimed").isNull();
                assertThat(left.retainedBy()).isEqualTo(tenant);
                Organizations orgs = new Organizations(harness.client(), harness.emulator());
                orgs.create("honest", "honest", spec -> { });
                orgs.awaitCondition("honest", "honest", OrganizationReconciler.ADMIN_RECORDS, FALSE,
                        "AdminDatabaseNotReady");

                // The platform team erases what the tenant left, and touches the admin DoDatabase to be sooner than
                // its recheck: it claims the name empty, with none of the tenant's tables or triggers.
                assertThat(harness.admin().delete(ADMIN_DATABASE)).isTrue();
                dbs.annotate(ADMIN_NAMESPACE, ADMIN_DATABASE, "kuratchi.dev/erased", "1");
                DoDatabase admin = dbs.awaitReady(ADMIN_NAMESPACE, ADMIN_DATABASE);
                assertThat(dbs.condition(ADMIN_NAMESPACE, ADMIN_DATABASE, DoDatabaseReconciler.DATABASE_PROVISIONED)
                        .getReason()).isEqualTo("Provisioned");
                assertThat(admin.getStatus().getAppliedMigrations()).doesNotContain("planted");
                assertThat(harness.admin().info(ADMIN_DATABASE).tables()).doesNotContain("leak");
                orgs.awaitReady("honest", "honest");
            }
        }
    }
}
