package dev.kuratchi.operator.organization;

import static dev.kuratchi.operator.organization.Organizations.ALL_KINDS;
import static dev.kuratchi.operator.organization.Organizations.owner;
import static dev.kuratchi.operator.organization.Organizations.resources;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.kuratchi.client.gateway.GatewayClient;
import dev.kuratchi.client.token.DatabaseToken;
import dev.kuratchi.operator.dodatabase.DeletionPolicy;
import dev.kuratchi.operator.dodatabase.DoDatabase;
import dev.kuratchi.operator.dodatabase.TokenSecret;
import dev.kuratchi.operator.dodatabase.DoDatabases;
import dev.kuratchi.operator.organization.OrganizationResources.Kind;
import dev.kuratchi.operator.support.OperatorHarness;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * KuratchiOrganization end to end: mock cluster, the operator, the emulator running the real gateway Worker. Each
 * test has a namespace of its own; the admin database is the installation's one.
 */
class OrganizationLifecycleTest {
    private static OperatorHarness harness;
    private static Organizations orgs;

    @BeforeAll
    static void start() {
        // "migrate" may adopt kuratchi-sdk's organizations.
        harness = new OperatorHarness(Map.of("KURATCHI_ADMIN_NAMESPACE", Organizations.ADMIN_NAMESPACE,
                "KURATCHI_ADOPTION_NAMESPACES", "migrate"));
        orgs = new Organizations(harness.client(), harness.emulator());
    }

    @AfterAll
    static void stop() throws Exception {
        harness.close();
    }

    /**
     * Cloudflare answers {@code status} to the next {@code count} deletions of an R2 bucket (409: it holds objects);
     * the caller clears the fault.
     */
    private static void refuseBucketDeletion(int status, int count) {
        harness.emulator().fault("{\"method\": \"DELETE\", \"path\": \"/accounts/*/r2/buckets/*\", \"kind\": "
                + "\"status\", \"status\": " + status + ", \"count\": " + count + "}");
    }

    /** Deletes the organization and waits until its cleanup reports Cloudflare in the way. */
    private static void deleteUntilCloudflareBlocksIt(String namespace, String name) {
        orgs.delete(namespace, name);
        await().atMost(Duration.ofSeconds(30)).until(() -> orgs.events(namespace, name).stream()
                .anyMatch(e -> e.startsWith("Warning/CloudflareCleanupBlocked: ")));
    }

    @Test
    void anOrganizationWithOwnerAndEveryResourceKindBecomesReadyWithOneRowOfEachKind() {
        orgs.create("acme", "acme-corp", owner("ann@acme.example").andThen(resources(ALL_KINDS)).andThen(spec -> {
            spec.setOrganizationName("Acme Corp");
            spec.setEmail("billing@acme.example");
            spec.getOwner().setName("Ann");
        }));

        KuratchiOrganization ready = orgs.awaitReady("acme", "acme-corp");
        OrganizationStatus status = ready.getStatus();
        assertThat(status.getSlug()).isEqualTo("acme-corp");
        assertThat(status.getDatabaseName()).isEqualTo("acme-corp");
        assertThat(status.getResources()).isEqualTo("kv:1 r2:1 queues:1");
        assertThat(status.getOrganizationId()).isEqualTo(ready.getMetadata().getUid());
        assertThat(status.getObservedGeneration()).isEqualTo(ready.getMetadata().getGeneration());
        assertThat(status.getConditions()).extracting(c -> c.getType() + "=" + c.getStatus()).containsExactlyInAnyOrder(
                "Ready=True", "Database=True", "Owner=True", "AdminRecords=True", "KV=True", "R2=True", "Queues=True");

        assertThat(orgs.database("acme", "acme-corp").query("SELECT email, role FROM users").stream()
                .map(row -> row.getString("email") + "/" + row.getString("role"))).containsExactly("ann@acme.example/owner");
        ConfigMap ids = harness.client().configMaps().inNamespace("acme").withName("acme-corp-cloudflare").get();
        assertThat(ids.getData()).containsEntry("kv.default.id", status.getKvNamespaces().get(0).id())
                .containsEntry("r2.default.bucket", status.getR2Buckets().get(0).cloudflareName())
                .containsEntry("queues.default.id", status.getQueues().get(0).id());
        assertThat(orgs.adminRowCounts(status.getOrganizationId())).isEqualTo(Map.of("organizations", 1,
                "databases", 1, "dbApiTokens", 1, "organizationUsers", 1));
        // Without the opt-in the token row holds the token id: whoever reads the admin database opens nothing.
        String tokenId = orgs.child("acme", "acme-corp").getStatus().getToken().id();
        assertThat(orgs.adminRows(status.getOrganizationId()).get("dbApiTokens").get(0)).containsEntry("token", tokenId);
        assertThat(orgs.events("acme", "acme-corp")).anyMatch(e -> e.startsWith("Normal/OwnerCreated: "))
                .anyMatch(e -> e.startsWith("Normal/AdminRecordsWritten: "))
                .filteredOn(e -> e.startsWith("Normal/CloudflareChanged: ")).hasSize(3);
    }

    @Test
    void twentyReconcilesOfAReadyOrganizationWriteNothingAnywhere() {
        orgs.create("steady", "steady", owner("sam@steady.example").andThen(resources(ALL_KINDS)));
        KuratchiOrganization ready = orgs.awaitReady("steady", "steady");
        long since = harness.emulator().lastSeq();
        var adminRows = orgs.adminRows(ready.getStatus().getOrganizationId());
        var users = Organizations.maps(orgs.database("steady", "steady").query("SELECT * FROM users"));
        var configMap = harness.client().configMaps().inNamespace("steady").withName("steady-cloudflare").get()
                .getMetadata().getResourceVersion();
        var events = orgs.eventCounts("steady");

        for (int i = 0; i < 20; i++) {
            double before = Organizations.reconciles(harness.registry());
            String touched = "t" + i;
            String version = harness.client().resources(KuratchiOrganization.class).inNamespace("steady")
                    .withName("steady").edit(o -> {
                        o.getMetadata().setAnnotations(Map.of("touched", touched));
                        return o;
                    }).getMetadata().getResourceVersion();
            // Finished, not just started: a status write would come at its end.
            await().atMost(Duration.ofSeconds(10)).until(() -> Organizations.reconciles(harness.registry())
                    > before);
            assertThat(orgs.get("steady", "steady").getMetadata().getResourceVersion()).as("no status write after "
                    + "touch %s", i).isEqualTo(version);
        }
        assertThat(orgs.get("steady", "steady").getStatus()).isEqualTo(ready.getStatus());
        assertThat(orgs.cloudflareWrites(since)).as("no Cloudflare write").isEmpty();
        assertThat(orgs.adminRows(ready.getStatus().getOrganizationId())).as("no admin write").isEqualTo(adminRows);
        assertThat(Organizations.maps(orgs.database("steady", "steady").query("SELECT * FROM users"))).isEqualTo(users);
        assertThat(harness.client().configMaps().inNamespace("steady").withName("steady-cloudflare").get()
                .getMetadata().getResourceVersion()).isEqualTo(configMap);
        assertThat(orgs.eventCounts("steady")).as("no event").isEqualTo(events);
    }

    @Test
    void theOptInStoresTheSecretsTokenInTheAdminDatabaseAndFollowsItsRotation() {
        orgs.create("opt-in", "tokens", spec -> spec.setStoreTokenInAdminDatabase(true));
        KuratchiOrganization ready = orgs.awaitReady("opt-in", "tokens");
        String organizationId = ready.getStatus().getOrganizationId();
        String first = orgs.token("opt-in", ready.getStatus().getSecretName());
        assertThat(orgs.adminRows(organizationId).get("dbApiTokens")).extracting(row -> row.get("token"))
                .containsExactly(first);
        // An app written against kuratchi-sdk's lookup opens the organization database with the row's token.
        assertThat(harness.app(first).query("SELECT 1 AS one").get(0).getLong("one")).isEqualTo(1L);

        harness.client().resources(DoDatabase.class).inNamespace("opt-in").withName("tokens").edit(d -> {
            d.getMetadata().setAnnotations(Map.of(DoDatabase.ROTATE_ANNOTATION, "once"));
            return d;
        });
        await().atMost(Duration.ofSeconds(30)).until(() -> !orgs.token("opt-in", "tokens-db").equals(first));
        String rotated = orgs.token("opt-in", "tokens-db");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(orgs.adminRows(organizationId)
                .get("dbApiTokens")).extracting(row -> row.get("token") + "/" + row.get("revoked"))
                .containsExactlyInAnyOrder(rotated + "/0", first + "/1"));
        assertThat(orgs.adminRows(organizationId).get("dbApiTokens")).filteredOn(row -> rotated.equals(row.get("token")))
                .extracting(row -> row.get("id")).containsExactly(DatabaseToken.parse(rotated).tokenId());
        orgs.awaitReady("opt-in", "tokens");
    }

    @Test
    void aTokenSecretWithoutTheOrganizationLabelAsAnOlderOperatorWroteItGetsItAndTheTokenIsStillStored() {
        orgs.create("older", "older", spec -> spec.setStoreTokenInAdminDatabase(true));
        String organizationId = orgs.awaitReady("older", "older").getStatus().getOrganizationId();
        assertThat(harness.client().secrets().inNamespace("older").withName("older-db").get().getMetadata().getLabels())
                .containsEntry(TokenSecret.ORGANIZATION_LABEL, "true");
        harness.client().secrets().inNamespace("older").withName("older-db").edit(secret -> {
            secret.getMetadata().getLabels().remove(TokenSecret.ORGANIZATION_LABEL);
            return secret;
        });
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(harness.client().secrets()
                .inNamespace("older").withName("older-db").get().getMetadata().getLabels())
                .containsEntry(TokenSecret.ORGANIZATION_LABEL, "true"));
        // The organization's cache holds it again: a rotated token reaches the admin database.
        harness.client().resources(DoDatabase.class).inNamespace("older").withName("older").edit(d -> {
            d.getMetadata().setAnnotations(Map.of(DoDatabase.ROTATE_ANNOTATION, "once"));
            return d;
        });
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(orgs.adminRows(organizationId)
                .get("dbApiTokens")).filteredOn(row -> Long.valueOf(0).equals(row.get("revoked")))
                .extracting(row -> row.get("token")).containsExactly(orgs.token("older", "older-db")));
    }

    @Test
    void theSlowVerificationMakesAgainWhatWasDeletedBehindTheOperatorsBack() {
        orgs.create("verify", "verified", resources("{\"kv\": true, \"queues\": true}"));
        KuratchiOrganization ready = orgs.awaitReady("verify", "verified");
        String kvId = ready.getStatus().getKvNamespaces().get(0).id();
        assertThat(harness.emulator().api("DELETE", "/storage/kv/namespaces/" + kvId)).isEqualTo(200);

        long since = harness.emulator().lastSeq();
        harness.clock().advance(OrganizationReconciler.VERIFY_INTERVAL.plusMinutes(1));
        orgs.annotate("verify", "verified", "touched", "after");
        await().atMost(Duration.ofSeconds(30)).until(() -> !kvId.equals(orgs.get("verify", "verified").getStatus()
                .getKvNamespaces().get(0).id()));
        String remade = orgs.get("verify", "verified").getStatus().getKvNamespaces().get(0).id();
        assertThat(orgs.cloudflareWrites(since)).containsExactly("POST /accounts/" + harness.emulator().accountId()
                + "/storage/kv/namespaces 200");
        assertThat(orgs.cloudflareCount(Kind.KV, "verified", "default")).isOne();
        await().atMost(Duration.ofSeconds(10)).until(() -> remade.equals(harness.client().configMaps()
                .inNamespace("verify").withName("verified-cloudflare").get().getData().get("kv.default.id")));
        assertThat(orgs.events("verify", "verified")).anyMatch(e -> e.contains("was gone from Cloudflare"));
        orgs.awaitReady("verify", "verified");
    }

    @Test
    void deleteErasesEverythingItMadeAndItsTokensAreRefused() {
        orgs.create("erase", "gone", owner("gus@gone.example").andThen(resources(ALL_KINDS))
                .andThen(spec -> spec.setDeletionPolicy(DeletionPolicy.Delete)));
        KuratchiOrganization ready = orgs.awaitReady("erase", "gone");
        String organizationId = ready.getStatus().getOrganizationId();
        Secret secret = harness.client().secrets().inNamespace("erase").withName("gone-db").get();
        GatewayClient app = DoDatabases.gateway(secret);
        // Already gone counts as deleted.
        assertThat(harness.emulator().api("DELETE", "/queues/" + ready.getStatus().getQueues().get(0).id()))
                .isEqualTo(200);

        orgs.delete("erase", "gone");
        orgs.awaitGone("erase", "gone");

        for (Kind kind : Kind.values()) {
            assertThat(orgs.cloudflareCount(kind, "gone", "default")).as(kind.name()).isZero();
        }
        assertThat(orgs.adminRowCounts(organizationId)).isEqualTo(Map.of("organizations", 0, "databases", 0,
                "dbApiTokens", 0, "organizationUsers", 0));
        assertThat(harness.client().configMaps().inNamespace("erase").withName("gone-cloudflare").get()).isNull();
        assertThat(orgs.child("erase", "gone")).isNull();
        assertThat(harness.client().secrets().inNamespace("erase").withName("gone-db").get()).isNull();
        DoDatabases.assertRevoked(app);
        assertThat(harness.admin().info("gone").provisioned()).as("erased").isFalse();
    }

    @Test
    void retainKeepsTheDataTheResourcesAndArchivedRowsButNoTokenWorks() {
        orgs.create("keep", "kept", owner("kim@kept.example").andThen(resources(ALL_KINDS)));
        KuratchiOrganization ready = orgs.awaitReady("keep", "kept");
        String organizationId = ready.getStatus().getOrganizationId();
        GatewayClient app = orgs.database("keep", "kept");
        app.exec("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('kept')");

        orgs.delete("keep", "kept");
        orgs.awaitGone("keep", "kept");

        for (Kind kind : Kind.values()) {
            assertThat(orgs.cloudflareCount(kind, "kept", "default")).as(kind.name()).isOne();
        }
        var rows = orgs.adminRows(organizationId);
        assertThat(rows.get("organizations")).singleElement().satisfies(row ->
                assertThat(row.get("deleted_at")).isNotNull());
        assertThat(rows.get("databases")).singleElement().satisfies(row ->
                assertThat(row).containsEntry("isArchived", 1L).containsEntry("isActive", 0L));
        assertThat(rows.get("dbApiTokens")).singleElement().satisfies(row -> assertThat(row).containsEntry("revoked", 1L));
        assertThat(harness.client().configMaps().inNamespace("keep").withName("kept-cloudflare").get()).isNull();
        assertThat(orgs.child("keep", "kept")).isNull();
        DoDatabases.assertRevoked(app);
        assertThat(harness.admin().info("kept").tables()).as("the data is kept").contains("notes");
        assertThat(orgs.events("keep", "kept")).filteredOn(e -> e.contains("deletionPolicy Retain keeps it"))
                .hasSize(3);
    }

    @Test
    void aDeletionPolicyChangedRightBeforeTheDeletionIsTheOneThatCounts() {
        orgs.create("late-policy", "late", spec -> { });
        orgs.awaitReady("late-policy", "late");
        orgs.database("late-policy", "late").exec("CREATE TABLE notes (body TEXT)");
        harness.client().resources(KuratchiOrganization.class).inNamespace("late-policy").withName("late").edit(o -> {
            o.getSpec().setDeletionPolicy(DeletionPolicy.Delete);
            return o;
        });
        orgs.delete("late-policy", "late");
        orgs.awaitGone("late-policy", "late");
        assertThat(orgs.child("late-policy", "late")).isNull();
        assertThat(harness.admin().info("late").provisioned()).as("erased").isFalse();
    }

    @Test
    void anOrganizationsDoDatabaseDeletedByHandIsMadeAgainAndItsRetainedDataTakenBackWithAdopt() {
        orgs.create("lost-child", "orphan", owner("otto@orphan.example"));
        KuratchiOrganization ready = orgs.awaitReady("lost-child", "orphan");
        orgs.database("lost-child", "orphan").exec("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('kept')");
        String before = ready.getStatus().getOrganizationId();

        harness.client().resources(DoDatabase.class).inNamespace("lost-child").withName("orphan").delete();
        orgs.awaitCondition("lost-child", "orphan", OrganizationReconciler.DATABASE, "False", "ExistingData");
        assertThat(orgs.condition("lost-child", "orphan", OrganizationReconciler.READY).getMessage())
                .contains("existingData: Adopt");
        harness.client().resources(KuratchiOrganization.class).inNamespace("lost-child").withName("orphan").edit(o -> {
            o.getSpec().setExistingData(dev.kuratchi.operator.dodatabase.ExistingData.Adopt);
            return o;
        });
        KuratchiOrganization again = orgs.awaitReady("lost-child", "orphan");
        assertThat(orgs.database("lost-child", "orphan").query("SELECT body FROM notes").get(0).getString("body"))
                .isEqualTo("kept");
        assertThat(again.getStatus().getOrganizationId()).isEqualTo(before);
        // The admin row follows the new DoDatabase's token; still one of each.
        String tokenId = orgs.child("lost-child", "orphan").getStatus().getToken().id();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(orgs.adminRows(before)
                .get("dbApiTokens")).filteredOn(row -> Long.valueOf(0).equals(row.get("revoked")))
                .extracting(row -> row.get("id")).containsExactly(tokenId));
        assertThat(orgs.adminRowCounts(before)).containsEntry("organizations", 1).containsEntry("organizationUsers", 1);
    }

    @Test
    void aDeletionThatCloudflareRefusesForAWhileIsRetriedAndThenFinishes() {
        orgs.create("stubborn", "stubborn", resources("{\"r2\": true}")
                .andThen(spec -> spec.setDeletionPolicy(DeletionPolicy.Delete)));
        orgs.awaitReady("stubborn", "stubborn");
        refuseBucketDeletion(503, 12);
        try {
            deleteUntilCloudflareBlocksIt("stubborn", "stubborn");
            assertThat(orgs.get("stubborn", "stubborn")).as("waits for Cloudflare").isNotNull();
            assertThat(orgs.cloudflareCount(Kind.R2, "stubborn", "default")).isOne();
        } finally {
            harness.emulator().clearFaults();
        }
        orgs.awaitGone("stubborn", "stubborn");
        assertThat(orgs.cloudflareCount(Kind.R2, "stubborn", "default")).isZero();
    }

    @Test
    void aDeletionBlockedInCloudflareEndsTheOrganizationsTokensAtOnceAndFinishesOnceUnblocked() {
        orgs.create("blocked", "blocked", resources("{\"r2\": true}")
                .andThen(spec -> spec.setDeletionPolicy(DeletionPolicy.Delete)));
        KuratchiOrganization ready = orgs.awaitReady("blocked", "blocked");
        GatewayClient app = orgs.database("blocked", "blocked");
        refuseBucketDeletion(409, Integer.MAX_VALUE);
        try {
            deleteUntilCloudflareBlocksIt("blocked", "blocked");
            // The child went first: its release at the gateway ends every token, whatever the rest waits for.
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> DoDatabases.assertRevoked(app));
            assertThat(orgs.child("blocked", "blocked")).isNull();
            assertThat(orgs.get("blocked", "blocked")).as("the finalizer waits for Cloudflare").isNotNull();
            assertThat(orgs.cloudflareCount(Kind.R2, "blocked", "default")).isOne();
            assertThat(orgs.adminRowCounts(ready.getStatus().getOrganizationId())).as("the rows go last")
                    .containsEntry("organizations", 1);
        } finally {
            harness.emulator().clearFaults();
        }
        // The bucket emptied: a touch asks the operator to look again now rather than at its next recheck.
        orgs.annotate("blocked", "blocked", "kuratchi.dev/retry", "1");
        orgs.awaitGone("blocked", "blocked");
        assertThat(orgs.cloudflareCount(Kind.R2, "blocked", "default")).isZero();
        assertThat(orgs.adminRowCounts(ready.getStatus().getOrganizationId()).values()).containsOnly(0);
    }

    @Test
    void anAdoptedOrganizationWhoseStatusWasLostDeletesWhatItHolds() {
        // An organization of its own first, so that the admin database exists to hold kuratchi-sdk's row.
        orgs.create("migrate", "first", spec -> { });
        orgs.awaitReady("migrate", "first");
        orgs.adminDatabase().exec("INSERT INTO organizations (id, organizationName, organizationSlug, status) "
                + "VALUES ('sdk-org-migrated', 'Migrated', 'migrated', 'active')");
        orgs.create("migrate", "migrated", resources("{\"kv\": true, \"r2\": true}").andThen(spec -> {
            spec.setExistingData(dev.kuratchi.operator.dodatabase.ExistingData.Adopt);
            spec.setDeletionPolicy(DeletionPolicy.Delete);
        }));
        assertThat(orgs.awaitReady("migrate", "migrated").getStatus().getOrganizationId()).isEqualTo("sdk-org-migrated");
        refuseBucketDeletion(409, Integer.MAX_VALUE);
        try {
            deleteUntilCloudflareBlocksIt("migrate", "migrated");
            // Status lost mid-deletion: it named the adopted organization, which is not the uid.
            harness.client().resources(KuratchiOrganization.class).inNamespace("migrate").withName("migrated")
                    .editStatus(o -> {
                        o.setStatus(new OrganizationStatus());
                        return o;
                    });
            await().atMost(Duration.ofSeconds(10)).until(() -> orgs.get("migrate", "migrated").getStatus()
                    .getOrganizationId() == null);
        } finally {
            harness.emulator().clearFaults();
        }
        orgs.annotate("migrate", "migrated", "kuratchi.dev/retry", "1");
        orgs.awaitGone("migrate", "migrated");
        assertThat(orgs.cloudflareCount(Kind.KV, "migrated", "default")).isZero();
        assertThat(orgs.cloudflareCount(Kind.R2, "migrated", "default")).isZero();
        assertThat(orgs.adminRowCounts("sdk-org-migrated").values()).as("the adopted rows, deleted").containsOnly(0);
    }

    @Test
    void aResourceRemovedFromTheSpecIsDeletedWithDeleteAndTheConfigMapFollows() {
        orgs.create("shrink", "shrink", resources("{\"kv\": [\"a\", \"b\"]}")
                .andThen(spec -> spec.setDeletionPolicy(DeletionPolicy.Delete)));
        orgs.awaitReady("shrink", "shrink");
        harness.client().resources(KuratchiOrganization.class).inNamespace("shrink").withName("shrink").edit(o -> {
            resources("{\"kv\": [\"a\"]}").accept(o.getSpec());
            return o;
        });
        await().atMost(Duration.ofSeconds(30)).until(() -> orgs.cloudflareCount(Kind.KV, "shrink", "b") == 0);
        await().atMost(Duration.ofSeconds(30)).until(() -> !harness.client().configMaps().inNamespace("shrink")
                .withName("shrink-cloudflare").get().getData().containsKey("kv.b.id"));
        assertThat(orgs.awaitReady("shrink", "shrink").getStatus().getKvNamespaces())
                .extracting(OrganizationStatus.CloudflareResource::name).containsExactly("a");
        assertThat(orgs.events("shrink", "shrink")).anyMatch(e -> e.startsWith("Normal/CloudflareChanged: deleted"));
        List<String> kv = orgs.cloudflare(Kind.KV);
        assertThat(kv).contains(Kind.KV.cloudflareName("shrink", "a"));
    }
}
