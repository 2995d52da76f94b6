package dev.kuratchi.operator.dodatabase;

import static dev.kuratchi.operator.dodatabase.DoDatabaseReconciler.DATABASE_PROVISIONED;
import static dev.kuratchi.operator.dodatabase.DoDatabaseReconciler.READY;
import static dev.kuratchi.operator.status.Conditions.FALSE;
import static dev.kuratchi.operator.status.Conditions.TRUE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.kuratchi.client.admin.Owner;
import dev.kuratchi.client.gateway.GatewayClient;
import dev.kuratchi.client.token.DatabaseToken;
import dev.kuratchi.operator.support.OperatorHarness;
import dev.kuratchi.operator.support.Trap;
import io.fabric8.kubernetes.api.model.events.v1.Event;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The tenant boundary, attacked: a tenant controls one namespace (its DoDatabases, Secrets, ConfigMaps, and in the
 * worst case the DoDatabases' status). Each scenario ends with nothing of another tenant opened and nothing deleted,
 * and no token of a deleted resource working again.
 */
class TenantBoundaryTest {
    private static OperatorHarness harness;
    private static DoDatabases dbs;

    @BeforeAll
    static void start() {
        harness = new OperatorHarness(Map.of("KURATCHI_GATEWAY_KEY_NAMESPACES", "legacy-apps"));
        dbs = new DoDatabases(harness.client());
    }

    @AfterAll
    static void stop() throws Exception {
        harness.close();
    }

    /** Rotates the token and waits until the replaced one is revoked; returns both, oldest first. */
    private static List<String> rotateOnce(String namespace, String name) {
        String first = dbs.token(namespace, name + "-db");
        dbs.annotate(namespace, name, DoDatabase.ROTATE_ANNOTATION, "once");
        await().atMost(Duration.ofSeconds(30)).until(() -> !dbs.token(namespace, name + "-db").equals(first));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> DoDatabases.assertRevoked(harness.app(first)));
        return List.of(first, dbs.token(namespace, name + "-db"));
    }

    private static void delete(String namespace, String name) {
        harness.client().resources(DoDatabase.class).inNamespace(namespace).withName(name).delete();
        await().atMost(Duration.ofSeconds(30)).until(() -> dbs.get(namespace, name) == null);
    }

    @Test
    void everyTokenOfARetainedDatabaseDiesWithItsResourceAlsoAfterTheNameIsAdoptedAgain() {
        dbs.create("retain-tokens", "keep", spec -> spec.setDeletionPolicy(DeletionPolicy.Retain));
        dbs.awaitReady("retain-tokens", "keep");
        List<String> issued = rotateOnce("retain-tokens", "keep");
        harness.app(issued.get(1)).exec("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('kept')");

        delete("retain-tokens", "keep");
        issued.forEach(t -> DoDatabases.assertRevoked(harness.app(t)));

        dbs.create("retain-tokens", "keep-again", spec -> {
            spec.setDatabaseName("keep");
            spec.setExistingData(ExistingData.Adopt);
        });
        dbs.awaitReady("retain-tokens", "keep-again");
        assertThat(dbs.condition("retain-tokens", "keep-again", DATABASE_PROVISIONED).getReason()).isEqualTo("Adopted");
        assertThat(harness.app(dbs.token("retain-tokens", "keep-again-db")).query("SELECT body FROM notes").get(0)
                .getString("body")).isEqualTo("kept");
        issued.forEach(t -> DoDatabases.assertRevoked(harness.app(t)));
    }

    @Test
    void everyTokenOfAWipedDatabaseStaysDeadWhenTheNameIsProvisionedAgain() {
        dbs.create("wipe-tokens", "wipe", spec -> spec.setDeletionPolicy(DeletionPolicy.Delete));
        dbs.awaitReady("wipe-tokens", "wipe");
        List<String> issued = rotateOnce("wipe-tokens", "wipe");

        delete("wipe-tokens", "wipe");
        assertThat(harness.admin().info("wipe").tables()).isEmpty();
        issued.forEach(t -> DoDatabases.assertRevoked(harness.app(t)));

        // Wiped, so nothing to adopt: the name is simply free again.
        dbs.create("wipe-tokens", "wipe", spec -> spec.setDeletionPolicy(DeletionPolicy.Delete));
        dbs.awaitReady("wipe-tokens", "wipe");
        assertThat(harness.app(dbs.token("wipe-tokens", "wipe-db")).query("SELECT 1")).hasSize(1);
        issued.forEach(t -> DoDatabases.assertRevoked(harness.app(t)));
    }

    @Test
    void aNameFreedWithItsDataRetainedIsNotHandedToResourcesWaitingInOtherNamespaces() {
        dbs.create("owner-a", "prized", spec -> spec.setDeletionPolicy(DeletionPolicy.Retain));
        dbs.awaitReady("owner-a", "prized");
        harness.app(dbs.token("owner-a", "prized-db")).exec("CREATE TABLE secrets (v TEXT); INSERT INTO secrets VALUES ('a')");
        dbs.create("tenant-b", "squatter", spec -> spec.setDatabaseName("prized"));
        dbs.create("tenant-c", "adopter", spec -> {
            spec.setDatabaseName("prized");
            spec.setExistingData(ExistingData.Adopt);
        });
        dbs.awaitCondition("tenant-b", "squatter", READY, FALSE, "AlreadyManaged");
        dbs.awaitCondition("tenant-c", "adopter", READY, FALSE, "AlreadyManaged");

        delete("owner-a", "prized");
        // Waiting resources look again every minute; a change makes them look now.
        dbs.annotate("tenant-b", "squatter", "touched", "owner-gone");
        dbs.annotate("tenant-c", "adopter", "touched", "owner-gone");
        dbs.awaitCondition("tenant-b", "squatter", READY, FALSE, "ExistingData");
        dbs.awaitCondition("tenant-c", "adopter", READY, FALSE, "ExistingData");
        assertThat(dbs.condition("tenant-c", "adopter", READY).getMessage())
                .contains("another namespace", "KURATCHI_ADOPTION_NAMESPACES").doesNotContain("owner-a");
        assertThat(dbs.secret("tenant-b", "squatter-db")).isNull();
        assertThat(dbs.secret("tenant-c", "adopter-db")).isNull();
        assertThat(harness.admin().info("prized").tables()).contains("secrets");
        assertThat(harness.admin().info("prized").owner()).isNull();

        // Its own namespace takes it back by saying so.
        dbs.create("owner-a", "prized-again", spec -> {
            spec.setDatabaseName("prized");
            spec.setExistingData(ExistingData.Adopt);
        });
        dbs.awaitReady("owner-a", "prized-again");
        assertThat(harness.app(dbs.token("owner-a", "prized-again-db")).query("SELECT v FROM secrets")).hasSize(1);
        dbs.annotate("tenant-b", "squatter", "touched", "owner-back");
        dbs.awaitCondition("tenant-b", "squatter", READY, FALSE, "AlreadyManaged");
    }

    @Test
    void aTerminatingOwnerKeepsItsClaimWhileItsReleaseIsRetriedAndALateRetryCannotWipeItsSuccessor() {
        dbs.create("term-a", "contested", spec -> spec.setDeletionPolicy(DeletionPolicy.Delete));
        dbs.awaitReady("term-a", "contested");
        String ownerUid = dbs.get("term-a", "contested").getMetadata().getUid();
        harness.app(dbs.token("term-a", "contested-db")).exec("CREATE TABLE a_data (v); INSERT INTO a_data VALUES (1)");
        dbs.create("term-b", "waiting", spec -> spec.setDatabaseName("contested"));
        dbs.awaitCondition("term-b", "waiting", READY, FALSE, "AlreadyManaged");

        harness.emulator().fault("{\"target\": \"workers\", \"method\": \"POST\", \"path\": \"/"
                + OperatorHarness.SCRIPT + "/admin/databases/contested/retire\", \"kind\": \"status\", \"status\": 503, "
                + "\"count\": 1000}");
        harness.client().resources(DoDatabase.class).inNamespace("term-a").withName("contested").delete();
        await().during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(6)).until(() ->
                dbs.get("term-a", "contested") != null
                        && "AlreadyManaged".equals(dbs.condition("term-b", "waiting", READY).getReason()));
        assertThat(harness.admin().info("contested").tables()).contains("a_data");
        List<Event> retireFailures = harness.client().resources(Event.class).inNamespace("term-a").list().getItems()
                .stream().filter(e -> "RetireFailed".equals(e.getReason())).toList();
        assertThat(retireFailures).as("a retried failure is one event with a count").hasSize(1);
        await().atMost(Duration.ofSeconds(10)).until(() -> harness.client().resources(Event.class).inNamespace("term-a")
                .withName(retireFailures.get(0).getMetadata().getName()).get().getSeries() != null);

        harness.emulator().clearFaults();
        await().atMost(Duration.ofSeconds(60)).until(() -> dbs.get("term-a", "contested") == null);
        dbs.annotate("term-b", "waiting", "touched", "owner-gone");
        dbs.awaitReady("term-b", "waiting");
        GatewayClient successor = harness.app(dbs.token("term-b", "waiting-db"));
        assertThat(successor.query("SELECT count(*) AS n FROM sqlite_master WHERE name = 'a_data'").get(0)
                .getLong("n")).isZero();
        successor.exec("CREATE TABLE b_data (v); INSERT INTO b_data VALUES (2)");
        assertThat(harness.admin().retire("contested", new Owner(ownerUid, "term-a", "contested"), true)).isFalse();
        assertThat(successor.query("SELECT v FROM b_data")).hasSize(1);
    }

    @Test
    void statusTamperingSendsNoCallElsewhereAndOpensNoOtherDatabase() {
        try (Trap trap = new Trap()) {
            dbs.create("victim", "victim-db", spec -> spec.setDeletionPolicy(DeletionPolicy.Retain));
            DoDatabase victim = dbs.awaitReady("victim", "victim-db");
            String victimToken = dbs.token("victim", "victim-db-db");
            harness.app(victimToken).exec("CREATE TABLE private (v); INSERT INTO private VALUES ('victim')");

            dbs.create("mallory", "own", spec -> spec.setDeletionPolicy(DeletionPolicy.Delete));
            dbs.awaitReady("mallory", "own");
            String endpoint = trap.url().toString();
            harness.client().resources(DoDatabase.class).inNamespace("mallory").withName("own").editStatus(d -> {
                d.getStatus().setEndpoint(endpoint);
                d.getStatus().setDatabaseName("victim-db");
                d.getStatus().setStorageId(victim.getStatus().getStorageId());
                d.getStatus().setEpoch(victim.getStatus().getEpoch());
                return d;
            });
            dbs.annotate("mallory", "own", DoDatabase.ROTATE_ANNOTATION, "after-tampering");
            await().atMost(Duration.ofSeconds(30)).until(() -> "after-tampering".equals(dbs.get("mallory", "own")
                    .getStatus().getLastRotation()));
            assertThat(DatabaseToken.parse(dbs.token("mallory", "own-db")).databaseName()).isEqualTo("own");

            // A resource naming the victim's database, its status forged to look like the victim's claim.
            dbs.create("mallory", "thief", spec -> {
                spec.setDatabaseName("victim-db");
                spec.setDeletionPolicy(DeletionPolicy.Delete);
            });
            dbs.awaitCondition("mallory", "thief", READY, FALSE, "AlreadyManaged");
            harness.client().resources(DoDatabase.class).inNamespace("mallory").withName("thief").editStatus(d -> {
                d.getStatus().setStorageId(victim.getStatus().getStorageId());
                d.getStatus().setEpoch(victim.getStatus().getEpoch());
                d.getStatus().setSchemaHash(MigrationHash.of("victim-db", URI.create(victim.getStatus().getEndpoint()),
                        List.of()));
                d.getStatus().setEndpoint(endpoint);
                return d;
            });
            dbs.annotate("mallory", "thief", "touched", "after-tampering");
            await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5))
                    .until(() -> dbs.secret("mallory", "thief-db") == null);
            dbs.awaitCondition("mallory", "thief", READY, FALSE, "AlreadyManaged");

            delete("mallory", "own");
            delete("mallory", "thief");
            assertThat(trap.requests()).as("calls sent to the endpoint written into status").isZero();
            assertThat(harness.app(victimToken).query("SELECT v FROM private").get(0).getString("v")).isEqualTo("victim");
            assertThat(harness.admin().info("victim-db").owner().uid()).isEqualTo(victim.getMetadata().getUid());
        }
    }

    @Test
    void theGatewayKeyReachesNoSecretInANamespaceTheOperatorDoesNotAllow() {
        dbs.create("tenant-x", "greedy", spec -> {
            SecretSpec secret = new SecretSpec();
            secret.setIncludeGatewayKey(true);
            spec.setSecret(secret);
        });
        dbs.awaitCondition("tenant-x", "greedy", READY, FALSE, "GatewayKeyNotAllowed");
        assertThat(dbs.condition("tenant-x", "greedy", READY).getMessage())
                .contains("KURATCHI_GATEWAY_KEY_NAMESPACES").doesNotContain(OperatorHarness.GATEWAY_KEY);
        assertThat(DoDatabases.data(dbs.secret("tenant-x", "greedy-db"))).doesNotContainKey("gatewayKey")
                .doesNotContainValue(OperatorHarness.GATEWAY_KEY);
        assertThat(harness.app(dbs.token("tenant-x", "greedy-db")).query("SELECT 1")).hasSize(1);

        dbs.create("legacy-apps", "allowed", spec -> {
            SecretSpec secret = new SecretSpec();
            secret.setIncludeGatewayKey(true);
            spec.setSecret(secret);
        });
        dbs.awaitReady("legacy-apps", "allowed");
        assertThat(DoDatabases.data(dbs.secret("legacy-apps", "allowed-db")))
                .containsEntry("gatewayKey", OperatorHarness.GATEWAY_KEY);
        assertThat(dbs.condition("legacy-apps", "allowed", READY).getStatus()).isEqualTo(TRUE);
    }
}
