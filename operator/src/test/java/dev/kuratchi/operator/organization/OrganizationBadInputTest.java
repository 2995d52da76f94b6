package dev.kuratchi.operator.organization;

import static dev.kuratchi.operator.organization.OrganizationReconciler.ADMIN_RECORDS;
import static dev.kuratchi.operator.organization.OrganizationReconciler.DATABASE;
import static dev.kuratchi.operator.organization.OrganizationReconciler.OWNER;
import static dev.kuratchi.operator.organization.OrganizationReconciler.READY;
import static dev.kuratchi.operator.organization.Organizations.ALL_KINDS;
import static dev.kuratchi.operator.organization.Organizations.owner;
import static dev.kuratchi.operator.organization.Organizations.resources;
import static dev.kuratchi.operator.status.Conditions.FALSE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.kuratchi.operator.dodatabase.DeletionPolicy;
import dev.kuratchi.operator.dodatabase.DoDatabase;
import dev.kuratchi.operator.dodatabase.DoDatabases;
import dev.kuratchi.operator.dodatabase.ExistingData;
import dev.kuratchi.operator.organization.OrganizationResources.Kind;
import dev.kuratchi.operator.organization.OrganizationStatus.CloudflareResource;
import dev.kuratchi.operator.support.OperatorHarness;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every bad input and conflict: a condition that says what to do, nothing half-made, no hot loop. The mock server
 * has no admission, so what the CRD refuses on a real API server (the slug's pattern, an email's, an empty name)
 * reaches the reconciler here, as it would from an object stored before a rule existed.
 */
class OrganizationBadInputTest {
    private static OperatorHarness harness;
    private static Organizations orgs;

    @BeforeAll
    static void start() {
        // Two namespaces the platform team lets migrate kuratchi-sdk organizations; every other namespace adopts only
        // what it retained itself.
        harness = new OperatorHarness(Map.of("KURATCHI_ADMIN_NAMESPACE", Organizations.ADMIN_NAMESPACE,
                "KURATCHI_ADOPTION_NAMESPACES", "sdk-victim,sdk-thief"));
        orgs = new Organizations(harness.client(), harness.emulator());
        // The admin database exists before the tests, so each can look for rows of its own.
        orgs.create("warm-up", "warm-up", spec -> { });
        orgs.awaitReady("warm-up", "warm-up");
    }

    @AfterAll
    static void stop() throws Exception {
        harness.close();
    }

    /**
     * Creates an organization the reconciler must refuse before making anything, and checks that it made nothing:
     * no child DoDatabase, no ConfigMap, no Cloudflare call, no admin row, and no reconcile after the refusal until
     * the resource changes.
     */
    private static Condition refusedBeforeAnything(String namespace, String name, Consumer<OrganizationSpec> spec,
            String part, String reason) {
        long since = harness.emulator().lastSeq();
        KuratchiOrganization created = orgs.create(namespace, name, spec);
        orgs.awaitCondition(namespace, name, part, FALSE, reason);
        Condition ready = orgs.condition(namespace, name, READY);
        assertThat(ready.getStatus() + "/" + ready.getReason()).isEqualTo(FALSE + "/" + reason);
        // The refusing reconcile is counted once it returns, which may be just after its status is seen.
        await().until(() -> Organizations.reconciles(harness.registry(), namespace) > 0);
        double before = Organizations.reconciles(harness.registry(), namespace);
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4))
                .until(() -> Organizations.reconciles(harness.registry(), namespace) - before <= 1);
        DoDatabase named = orgs.child(namespace, name);
        assertThat(named == null || named.getMetadata().getOwnerReferences().isEmpty()).as("no child DoDatabase")
                .isTrue();
        assertThat(harness.client().configMaps().inNamespace(namespace).withName(name + "-cloudflare").get()).isNull();
        // Writes only: the organizations of other tests may verify theirs (reads) meanwhile.
        assertThat(orgs.cloudflareWrites(since)).as("no Cloudflare write").isEmpty();
        assertThat(orgs.adminRowCounts(created.getMetadata().getUid())).as("no admin row").containsOnlyKeys(
                Organizations.ADMIN_TABLES).allSatisfy((table, count) -> assertThat(count).as(table).isZero());
        return orgs.condition(namespace, name, part);
    }

    /** Writes {@code victim}'s slug, organization id and Cloudflare resources into the organization's status. */
    private static void forgeStatus(String namespace, String name, KuratchiOrganization victim) {
        harness.client().resources(KuratchiOrganization.class).inNamespace(namespace).withName(name).editStatus(o -> {
            o.getStatus().setSlug(victim.getStatus().getSlug());
            o.getStatus().setOrganizationId(victim.getStatus().getOrganizationId());
            o.getStatus().setKvNamespaces(victim.getStatus().getKvNamespaces());
            o.getStatus().setR2Buckets(victim.getStatus().getR2Buckets());
            o.getStatus().setQueues(victim.getStatus().getQueues());
            return o;
        });
    }

    @Test
    void aSlugBreakingTheRuleIsRefusedBeforeAnythingIsMade() {
        Condition condition = refusedBeforeAnything("bad-slug", "bad-slug", spec -> spec.setSlug("Acme_Corp"), DATABASE,
                "InvalidSlug");
        assertThat(condition.getMessage()).contains("slug 'Acme_Corp'", OrganizationNames.SLUG_RULE, "'acme-corp'",
                "create the organization again with a valid one", "Nothing was made");
    }

    @Test
    void aMetadataNameThatIsNoSlugIsRefusedAndTheMessageSaysToSetTheSlug() {
        String name = "a-name-that-is-far-too-long-to-be-the-slug-of-an-organization-in-cloudflare";
        Condition condition = refusedBeforeAnything("long-name", name, spec -> { }, DATABASE, "InvalidSlug");
        assertThat(condition.getMessage()).contains("defaults to metadata.name",
                "create the organization again with spec.slug set");
    }

    @Test
    void theAdminDatabasesNameAsSlugIsRefused() {
        Condition condition = refusedBeforeAnything("reserved", "reserved", spec -> spec.setSlug(
                Organizations.ADMIN_DATABASE), DATABASE, "ReservedDatabaseName");
        assertThat(condition.getMessage()).contains("admin database", "another slug");
    }

    @Test
    void anOwnerEmailThatIsNotAnEmailIsRefusedBeforeAnythingIsMade() {
        Condition condition = refusedBeforeAnything("bad-owner", "bad-owner", owner("ann at acme"), OWNER,
                "InvalidOwnerEmail");
        assertThat(condition.getMessage()).contains("spec.owner.email 'ann at acme' is not an email",
                OwnerSpec.EMAIL_RULE);
    }

    @Test
    void anOrganizationEmailThatIsNotAnEmailOrAnEmptyNameIsRefusedBeforeAnythingIsMade() {
        assertThat(refusedBeforeAnything("bad-email", "bad-email", spec -> spec.setEmail("billing@"), ADMIN_RECORDS,
                "InvalidEmail").getMessage()).contains("spec.email 'billing@' is not an email");
        assertThat(refusedBeforeAnything("no-name", "no-name", spec -> spec.setOrganizationName(" "), ADMIN_RECORDS,
                "InvalidOrganizationName").getMessage()).contains("give the organization a display name");
    }

    @Test
    void aResourceNameBreakingTheRuleIsRefusedBeforeAnythingIsMade() {
        Condition condition = refusedBeforeAnything("bad-names", "bad-names",
                resources("{\"kv\": true, \"r2\": [\"Uploads!\"]}"), Kind.R2.condition(), "InvalidResourceName");
        assertThat(condition.getMessage()).contains("spec.resources.r2", "'Uploads!'",
                OrganizationNames.RESOURCE_NAME_RULE);
    }

    @Test
    void aResourcesValueOfTheWrongShapeIsRefusedBeforeAnythingIsMade() {
        Condition condition = refusedBeforeAnything("bad-shape", "bad-shape", resources("{\"kv\": \"sessions\"}"),
                Kind.KV.condition(), "InvalidResources");
        assertThat(condition.getMessage()).contains("spec.resources.kv must be true, false or a list of names");
    }

    @Test
    void aResourcesValueTurnedToTheWrongShapeLaterLeavesThatKindAsItIsUnderDelete() {
        orgs.create("typo", "typo", resources("{\"kv\": [\"sessions\"], \"queues\": true}").andThen(
                spec -> spec.setDeletionPolicy(DeletionPolicy.Delete)));
        orgs.awaitReady("typo", "typo");
        harness.client().resources(KuratchiOrganization.class).inNamespace("typo").withName("typo").edit(o -> {
            resources("{\"kv\": \"sessions\", \"queues\": true}").accept(o.getSpec());
            return o;
        });

        orgs.awaitCondition("typo", "typo", Kind.KV.condition(), FALSE, "InvalidResources");
        assertThat(orgs.cloudflareCount(Kind.KV, "typo", "sessions")).as("the namespace is not deleted").isOne();
        assertThat(orgs.get("typo", "typo").getStatus().getKvNamespaces()).extracting(CloudflareResource::name)
                .containsExactly("sessions");
        assertThat(orgs.condition("typo", "typo", Kind.QUEUES.condition()).getStatus()).isEqualTo("True");
    }

    @Test
    void aMetadataNameTooLongForItsConfigMapIsRefusedBeforeAnythingIsMadeAndDeletedCleanly() {
        String name = "o".repeat(OrganizationNames.CONFIGMAP_NAME_MAX_LENGTH - OrganizationNames.CONFIGMAP_SUFFIX.length()
                + 1);
        Condition condition = refusedBeforeAnything("long-cm", name, spec -> spec.setSlug("long-cm"), READY,
                "InvalidName");
        assertThat(condition.getMessage()).contains("metadata.name is 243 characters",
                "a name of at most 242 characters");
        orgs.delete("long-cm", name);
        orgs.awaitGone("long-cm", name);
    }

    @Test
    void aDoDatabaseOfTheSameNameThatIsNotTheOrganizationsIsNameTakenAndLeftAlone() {
        DoDatabases dbs = new DoDatabases(harness.client());
        dbs.create("taken", "shop", spec -> { });
        DoDatabase theirs = dbs.awaitReady("taken", "shop");

        Condition condition = refusedBeforeAnything("taken", "shop", resources(ALL_KINDS), DATABASE, "NameTaken");

        assertThat(condition.getMessage()).contains("a DoDatabase named shop already exists", "not this "
                + "organization's", "nothing was made or changed", "delete or rename that DoDatabase");
        DoDatabase after = dbs.get("taken", "shop");
        assertThat(Serialization.asJson(after.getSpec())).isEqualTo(Serialization.asJson(theirs.getSpec()));
        assertThat(after.getMetadata().getGeneration()).isEqualTo(theirs.getMetadata().getGeneration());
        assertThat(after.getMetadata().getOwnerReferences()).isEmpty();
        assertThat(after.getMetadata().getLabels()).isNullOrEmpty();
    }

    @Test
    void aConfigMapOfTheNameThatIsNotTheOrganizationsIsReportedAndNeverOverwritten() {
        harness.client().configMaps().inNamespace("cm-taken").resource(new ConfigMapBuilder().withNewMetadata()
                .withName("ids-cloudflare").withLabels(Map.of(ChildDatabase.ORGANIZATION_LABEL, "ids")).endMetadata()
                .withData(Map.of("mine", "yes")).build()).create();
        long since = harness.emulator().lastSeq();
        orgs.create("cm-taken", "ids", resources(ALL_KINDS));
        orgs.awaitCondition("cm-taken", "ids", READY, FALSE, "ConfigMapTaken");
        assertThat(orgs.condition("cm-taken", "ids", READY).getMessage()).contains("ConfigMap ids-cloudflare",
                "never overwritten");
        assertThat(orgs.cloudflareWrites(since)).isEmpty();
        assertThat(orgs.child("cm-taken", "ids")).isNull();
        assertThat(harness.client().configMaps().inNamespace("cm-taken").withName("ids-cloudflare").get().getData())
                .isEqualTo(Map.of("mine", "yes"));
    }

    @Test
    void aConfigMapOfTheNameWithoutTheLabelIsFoundBeforeAnythingIsMadeInCloudflare() {
        harness.client().configMaps().inNamespace("cm-unlabelled").resource(new ConfigMapBuilder().withNewMetadata()
                .withName("plain-cloudflare").endMetadata().withData(Map.of("mine", "yes")).build()).create();
        long since = harness.emulator().lastSeq();
        orgs.create("cm-unlabelled", "plain", resources(ALL_KINDS));
        orgs.awaitCondition("cm-unlabelled", "plain", READY, FALSE, "ConfigMapTaken");
        assertThat(orgs.cloudflareWrites(since)).isEmpty();
        assertThat(harness.client().configMaps().inNamespace("cm-unlabelled").withName("plain-cloudflare").get()
                .getData()).isEqualTo(Map.of("mine", "yes"));
    }

    @Test
    void aSecondOrganizationWithTheSameSlugIsAlreadyManagedTouchesNothingAndItsDeletionDeletesNothing() {
        orgs.create("first", "shared", owner("first@shared.example").andThen(resources(ALL_KINDS)));
        KuratchiOrganization first = orgs.awaitReady("first", "shared");
        var firstRows = orgs.adminRows(first.getStatus().getOrganizationId());
        long since = harness.emulator().lastSeq();

        KuratchiOrganization second = orgs.create("second", "copycat", owner("second@shared.example")
                .andThen(resources(ALL_KINDS)).andThen(spec -> {
                    spec.setSlug("shared");
                    spec.setDeletionPolicy(DeletionPolicy.Delete);
                }));
        orgs.awaitCondition("second", "copycat", DATABASE, FALSE, "AlreadyManaged");
        Condition ready = orgs.condition("second", "copycat", READY);
        assertThat(ready.getReason()).isEqualTo("AlreadyManaged");
        assertThat(ready.getMessage()).contains("already managed by another resource", "choose another");
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4)).until(() -> orgs.cloudflareWrites(since)
                .isEmpty());
        assertThat(orgs.adminRowCounts(second.getMetadata().getUid())).containsOnlyKeys(Organizations.ADMIN_TABLES)
                .allSatisfy((table, count) -> assertThat(count).as(table).isZero());
        assertThat(harness.client().configMaps().inNamespace("second").withName("copycat-cloudflare").get()).isNull();

        orgs.delete("second", "copycat");
        orgs.awaitGone("second", "copycat");

        assertThat(orgs.cloudflareWrites(since)).as("the second's deletion deleted nothing").isEmpty();
        for (Kind kind : Kind.values()) {
            assertThat(orgs.cloudflareCount(kind, "shared", "default")).as(kind.name()).isOne();
        }
        assertThat(orgs.adminRows(first.getStatus().getOrganizationId())).isEqualTo(firstRows);
        assertThat(orgs.database("first", "shared").query("SELECT email FROM users").stream()
                .map(row -> row.getString("email"))).containsExactly("first@shared.example");
        orgs.awaitReady("first", "shared");
    }

    @Test
    void aSecondOrganizationWithTheSameSlugAndADatabaseOfItsOwnStopsAtTheAdminRowEvenWhenAskingToAdopt() {
        orgs.create("one", "slugged", resources(ALL_KINDS));
        KuratchiOrganization first = orgs.awaitReady("one", "slugged");
        var firstRows = orgs.adminRows(first.getStatus().getOrganizationId());
        long since = harness.emulator().lastSeq();

        KuratchiOrganization second = orgs.create("two", "other-db", resources(ALL_KINDS).andThen(spec -> {
            spec.setSlug("slugged");
            spec.setDatabaseName("other-db");
            spec.setDeletionPolicy(DeletionPolicy.Delete);
        }));
        orgs.awaitCondition("two", "other-db", ADMIN_RECORDS, FALSE, "SlugTaken");
        assertThat(orgs.condition("two", "other-db", READY).getReason()).isEqualTo("SlugTaken");
        assertThat(orgs.condition("two", "other-db", ADMIN_RECORDS).getMessage()).contains("slug slugged",
                "choose another slug");

        // Adopting takes over rows nobody holds, never those of an organization that exists.
        harness.client().resources(KuratchiOrganization.class).inNamespace("two").withName("other-db").edit(o -> {
            o.getSpec().setExistingData(ExistingData.Adopt);
            return o;
        });
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(orgs.condition("two", "other-db",
                ADMIN_RECORDS).getMessage()).contains("held by another organization", "whatever existingData says")
                .doesNotContain("one/").doesNotContain(first.getMetadata().getUid()));
        assertThat(orgs.cloudflareWrites(since)).isEmpty();
        assertThat(orgs.adminRowCounts(second.getMetadata().getUid()).values()).containsOnly(0);

        orgs.delete("two", "other-db");
        orgs.awaitGone("two", "other-db");
        assertThat(orgs.cloudflareWrites(since)).as("the second's deletion deleted nothing").isEmpty();
        assertThat(orgs.adminRows(first.getStatus().getOrganizationId())).isEqualTo(firstRows);
        orgs.awaitReady("one", "slugged");
    }

    @Test
    void aForgedStatusCannotMakeADeletionReachAnotherOrganization() {
        orgs.create("victim", "victim", owner("vic@victim.example").andThen(resources(ALL_KINDS)));
        KuratchiOrganization victim = orgs.awaitReady("victim", "victim");
        var victimRows = orgs.adminRows(victim.getStatus().getOrganizationId());

        orgs.create("forger", "forger", spec -> spec.setDeletionPolicy(DeletionPolicy.Delete));
        orgs.awaitReady("forger", "forger");
        // Whoever may write the forger's status points it at the victim's slug, rows and resources.
        forgeStatus("forger", "forger", victim);
        long since = harness.emulator().lastSeq();
        orgs.delete("forger", "forger");
        orgs.awaitGone("forger", "forger");

        // Its own names, derived again from its own slug, are looked for and not found: nothing is deleted.
        assertThat(orgs.cloudflareWrites(since)).noneMatch(call -> call.endsWith(" 200"));
        for (Kind kind : Kind.values()) {
            assertThat(orgs.cloudflareCount(kind, "victim", "default")).as(kind.name()).isOne();
        }
        assertThat(orgs.adminRows(victim.getStatus().getOrganizationId())).isEqualTo(victimRows);
        orgs.awaitReady("victim", "victim");
    }

    @Test
    void aLiveMigratedOrganizationIsNeverTakenOverNotEvenFromAnAdoptionNamespaceNorThroughAForgedStatus() {
        // The victim migrated a kuratchi-sdk organization: its row keeps the SDK's id, which is no resource's uid.
        orgs.adminDatabase().exec("INSERT INTO organizations (id, organizationName, organizationSlug, status) "
                + "VALUES ('sdk-org-legacy', 'Legacy', 'legacy', 'active')");
        orgs.create("sdk-victim", "legacy", resources(ALL_KINDS).andThen(spec -> spec.setExistingData(ExistingData.Adopt)));
        KuratchiOrganization victim = orgs.awaitReady("sdk-victim", "legacy");
        assertThat(victim.getStatus().getOrganizationId()).isEqualTo("sdk-org-legacy");
        var victimRows = orgs.adminRows("sdk-org-legacy");
        long since = harness.emulator().lastSeq();

        // A namespace the platform team lets adopt kuratchi-sdk's data asks for the same slug.
        orgs.create("sdk-thief", "thief", resources(ALL_KINDS).andThen(spec -> {
            spec.setSlug("legacy");
            spec.setDatabaseName("thief-db");
            spec.setExistingData(ExistingData.Adopt);
            spec.setDeletionPolicy(DeletionPolicy.Delete);
        }));
        orgs.awaitCondition("sdk-thief", "thief", ADMIN_RECORDS, FALSE, "SlugTaken");
        assertThat(orgs.condition("sdk-thief", "thief", ADMIN_RECORDS).getMessage())
                .contains("slug legacy is held by another organization", "choose another slug")
                .doesNotContain("sdk-victim").doesNotContain("sdk-org-legacy").doesNotContain(victim.getMetadata().getUid());
        assertThat(harness.client().configMaps().inNamespace("sdk-thief").withName("thief-cloudflare").get())
                .as("nothing published").isNull();
        assertThat(orgs.cloudflareWrites(since)).as("nothing made or adopted in Cloudflare").isEmpty();
        assertThat(orgs.adminRows("sdk-org-legacy")).as("no row renamed, none added").isEqualTo(victimRows);

        // Whoever may write the thief's status points it at the victim's organization before deleting it.
        forgeStatus("sdk-thief", "thief", victim);
        orgs.delete("sdk-thief", "thief");
        orgs.awaitGone("sdk-thief", "thief");

        assertThat(orgs.cloudflareWrites(since)).as("the thief's deletion deleted nothing").isEmpty();
        for (Kind kind : Kind.values()) {
            assertThat(orgs.cloudflareCount(kind, "legacy", "default")).as(kind.name()).isOne();
        }
        assertThat(orgs.adminRows("sdk-org-legacy")).isEqualTo(victimRows);
        orgs.awaitReady("sdk-victim", "legacy");
    }

    @Test
    void retainedRowsAndCloudflareResourcesGoBackOnlyToTheNamespaceThatRetainedThem() {
        orgs.create("tenant-x", "kept", resources(ALL_KINDS));
        KuratchiOrganization kept = orgs.awaitReady("tenant-x", "kept");
        String keptKv = kept.getStatus().getKvNamespaces().get(0).id();
        orgs.delete("tenant-x", "kept");
        orgs.awaitGone("tenant-x", "kept");
        long since = harness.emulator().lastSeq();

        orgs.create("tenant-y", "grab", resources(ALL_KINDS).andThen(spec -> {
            spec.setSlug("kept");
            spec.setDatabaseName("grab-db");
            spec.setExistingData(ExistingData.Adopt);
        }));
        orgs.awaitCondition("tenant-y", "grab", ADMIN_RECORDS, FALSE, "SlugTaken");
        assertThat(orgs.condition("tenant-y", "grab", ADMIN_RECORDS).getMessage()).contains("of another namespace "
                + "retained", "only if the operator's KURATCHI_ADOPTION_NAMESPACES lists it").doesNotContain("tenant-x");
        assertThat(harness.client().configMaps().inNamespace("tenant-y").withName("grab-cloudflare").get()).isNull();
        assertThat(orgs.cloudflareWrites(since)).isEmpty();

        // The namespace that retained them takes them back, its data with them.
        orgs.create("tenant-x", "kept", resources(ALL_KINDS).andThen(spec -> spec.setExistingData(ExistingData.Adopt)));
        KuratchiOrganization back = orgs.awaitReady("tenant-x", "kept");
        assertThat(back.getStatus().getOrganizationId()).isEqualTo(kept.getStatus().getOrganizationId());
        assertThat(back.getStatus().getKvNamespaces().get(0).id()).isEqualTo(keptKv);
        for (Kind kind : Kind.values()) {
            assertThat(orgs.cloudflareCount(kind, "kept", "default")).as(kind.name()).isOne();
        }
        assertThat(orgs.condition("tenant-y", "grab", ADMIN_RECORDS).getReason()).isEqualTo("SlugTaken");
    }

    @Test
    void anEmailOfAnotherOrganizationIsRefusedWithoutNamingIt() {
        orgs.create("secret-co", "secret-co", spec -> spec.setEmail("cfo@secret.example"));
        KuratchiOrganization secret = orgs.awaitReady("secret-co", "secret-co");
        orgs.create("prober", "prober", spec -> spec.setEmail("cfo@secret.example"));
        orgs.awaitCondition("prober", "prober", ADMIN_RECORDS, FALSE, "EmailTaken");
        assertThat(orgs.condition("prober", "prober", ADMIN_RECORDS).getMessage())
                .contains("email cfo@secret.example is held by another organization", "give this organization "
                        + "another spec.email, or none")
                .doesNotContain("secret-co").doesNotContain(secret.getMetadata().getUid());
    }

    @Test
    void anOwnerEmailRoutedToAnotherOrganizationIsNotRoutedToThisOneToo() {
        orgs.create("real", "real", owner("boss@real.example"));
        orgs.awaitReady("real", "real");
        orgs.create("phish", "phish", owner("boss@real.example"));
        orgs.awaitCondition("phish", "phish", ADMIN_RECORDS, FALSE, "OwnerEmailRouted");
        assertThat(orgs.condition("phish", "phish", READY).getReason()).isEqualTo("OwnerEmailRouted");
        assertThat(orgs.condition("phish", "phish", ADMIN_RECORDS).getMessage()).contains("choose another "
                + "spec.owner.email, or remove spec.owner").doesNotContain("real/");
        assertThat(orgs.adminDatabase().query("SELECT organizationSlug FROM organizationUsers WHERE email = ?",
                "boss@real.example")).extracting(row -> row.get("organizationSlug")).containsExactly("real");

        // Without the owner, the organization's other rows are written.
        harness.client().resources(KuratchiOrganization.class).inNamespace("phish").withName("phish").edit(o -> {
            o.getSpec().setOwner(null);
            return o;
        });
        orgs.awaitReady("phish", "phish");
        assertThat(orgs.adminDatabase().query("SELECT organizationSlug FROM organizationUsers WHERE email = ?",
                "boss@real.example")).extracting(row -> row.get("organizationSlug")).containsExactly("real");
    }

    @Test
    void aNameCloudflareRejectsIsAConditionNotARetryLoopAndATouchTriesAgain() {
        harness.emulator().fault("{\"method\": \"POST\", \"path\": \"/accounts/*/r2/buckets\", \"kind\": \"status\", "
                + "\"status\": 400, \"count\": 1000}");
        long since = harness.emulator().lastSeq();
        try {
            orgs.create("rejected", "rejected", resources(ALL_KINDS));
            orgs.awaitCondition("rejected", "rejected", Kind.R2.condition(), FALSE, "CloudflareRejected");
            assertThat(orgs.condition("rejected", "rejected", READY).getReason()).isEqualTo("CloudflareRejected");
            assertThat(orgs.condition("rejected", "rejected", Kind.R2.condition()).getMessage())
                    .contains("choose another name in spec.resources.r2");
            // The other kinds went on.
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                assertThat(orgs.cloudflareCount(Kind.KV, "rejected", "default")).isOne();
                assertThat(orgs.cloudflareCount(Kind.QUEUES, "rejected", "default")).isOne();
            });
            // Not retried with backoff: tried again only when something about the organization changes (its own
            // status write, its ConfigMap), a few times at most.
            await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(() -> harness.emulator()
                    .statuses("POST", "/r2/buckets", since).size() <= 3);
        } finally {
            harness.emulator().clearFaults();
        }
        orgs.annotate("rejected", "rejected", "kuratchi.dev/retry", "1");
        orgs.awaitReady("rejected", "rejected");
        assertThat(harness.emulator().statuses("POST", "/r2/buckets", since)).endsWith(400, 200);
    }

    @Test
    void anOwnerEmailMadeInvalidLaterStopsOnlyTheOwnerPart() {
        orgs.create("later", "later", owner("lee@later.example").andThen(resources("{\"kv\": true}")));
        orgs.awaitReady("later", "later");
        harness.client().resources(KuratchiOrganization.class).inNamespace("later").withName("later").edit(o -> {
            o.getSpec().getOwner().setEmail("lee@");
            o.getSpec().setResources(null);
            resources("{\"kv\": true, \"queues\": true}").accept(o.getSpec());
            return o;
        });
        orgs.awaitCondition("later", "later", OWNER, FALSE, "InvalidOwnerEmail");
        await().atMost(Duration.ofSeconds(30)).until(() -> orgs.cloudflareCount(Kind.QUEUES, "later", "default") == 1);
        assertThat(orgs.condition("later", "later", READY).getReason()).isEqualTo("InvalidOwnerEmail");
        assertThat(List.of(orgs.condition("later", "later", ADMIN_RECORDS).getStatus(),
                orgs.condition("later", "later", Kind.QUEUES.condition()).getStatus())).containsOnly("True");
        assertThat(orgs.child("later", "later").getMetadata().getOwnerReferences()).hasSize(1);
    }
}
