package dev.kuratchi.operator.organization;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.kuratchi.client.admin.AdminClient;
import dev.kuratchi.client.admin.Adoption;
import dev.kuratchi.client.gateway.GatewayClient;
import dev.kuratchi.client.gateway.GatewayTransport;
import dev.kuratchi.client.gateway.RetryPolicy;
import dev.kuratchi.client.gateway.Row;
import dev.kuratchi.client.support.WorkerProcess;
import dev.kuratchi.client.token.DatabaseToken;
import dev.kuratchi.client.token.GatewayKey;
import dev.kuratchi.client.token.Tokens;
import dev.kuratchi.operator.dodatabase.DeletionPolicy;
import dev.kuratchi.operator.dodatabase.Migrations;
import dev.kuratchi.operator.organization.AdminRecords.Adopting;
import dev.kuratchi.operator.organization.AdminRecords.Conflict;
import dev.kuratchi.operator.organization.AdminRecords.Outcome;
import dev.kuratchi.operator.support.TestClock;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The organization's admin rows against the real gateway Worker in workerd, each test on its own admin database
 * migrated with the built-in admin schema's migrations. Gateway calls are counted to prove that a steady state writes
 * nothing. Resources live in namespace {@value #TENANT} unless a test says otherwise.
 */
class AdminRecordsTest {
    private static final GatewayKey KEY = GatewayKey.of("admin-records-test-gateway-key-0123456789");
    private static final Tokens TOKENS = new Tokens(KEY, Clock.systemUTC());
    private static final AtomicInteger DATABASES = new AtomicInteger();
    private static final String OWNER = "owner@acme.test";
    private static final String TENANT = "tenant-a";
    /** spec.existingData: Adopt in a namespace KURATCHI_ADOPTION_NAMESPACES lists. */
    private static final Adopting ADOPT_ANY = new Adopting(true, Adoption.ANY);
    /** spec.existingData: Adopt in any other namespace. */
    private static final Adopting ADOPT_OWN = new Adopting(true, Adoption.SAME_NAMESPACE);
    private static WorkerProcess gateway;

    private final List<String> calls = new CopyOnWriteArrayList<>();
    /** Runs once, right after the next gateway call: another writer between our read and our write. */
    private final java.util.concurrent.atomic.AtomicReference<Runnable> afterNextCall =
            new java.util.concurrent.atomic.AtomicReference<>();
    private final TestClock clock = new TestClock();
    private GatewayClient sql;
    private AdminRecords records;

    @BeforeAll
    static void startGateway() {
        gateway = WorkerProcess.start(KEY.reveal());
    }

    @AfterAll
    static void stopGateway() throws Exception {
        gateway.close();
    }

    @BeforeEach
    void adminDatabase() {
        String name = "admin-records-" + DATABASES.incrementAndGet();
        new AdminClient(gateway.url(), KEY, GatewayTransport.withDefaults())
                .provision(name, Migrations.builtIn("admin"));
        DatabaseToken token = TOKENS.issue(name, Duration.ofDays(1));
        sql = GatewayClient.builder().connection(gateway.url(), token).build();
        OkHttpClient counting = new OkHttpClient.Builder().addInterceptor(chain -> {
            calls.add(chain.request().url().encodedPath().replaceAll(".*/api/", ""));
            var response = chain.proceed(chain.request());
            Runnable other = afterNextCall.getAndSet(null);
            if (other != null) {
                other.run();
            }
            return response;
        }).build();
        records = new AdminRecords(GatewayClient.builder().connection(gateway.url(), token)
                .transport(new GatewayTransport(counting, RetryPolicy.NONE, pause -> { })).build(), clock);
    }

    @Test
    void theFirstEnsureWritesOneRowOfEachKindAndASteadyStateWritesNothing() {
        String uid = uid();
        AdminRows rows = rows(uid, "acme", "contact@acme.test", token("acme"), OWNER);

        Outcome first = records.ensure(rows, Adopting.NOTHING);

        assertThat(first).isEqualTo(new Outcome(true, uid, uid + "-database"));
        assertThat(calls).as("one read, one write").containsExactly("batch", "batch");
        assertThat(one("SELECT * FROM organizations")).containsAllEntriesOf(columns("id", uid,
                "organizationName", "Acme acme", "email", "contact@acme.test", "organizationSlug", "acme",
                "status", "active", "deleted_at", null));
        assertThat(one("SELECT * FROM databases")).containsAllEntriesOf(columns("id", uid + "-database", "name", "acme",
                "dbuuid", null, "isActive", 1L, "isArchived", 0L, "organizationId", uid, "deleted_at", null));
        assertThat(one("SELECT * FROM dbApiTokens")).as("without the opt-in the row holds the token id")
                .containsAllEntriesOf(columns("id", rows.tokenId(), "token", rows.tokenId(), "name", "primary",
                        "databaseId", uid + "-database", "expires", rows.tokenExpiresAtMillis(), "revoked", 0L));
        assertThat(one("SELECT * FROM organizationUsers")).containsAllEntriesOf(columns("id", uid + "-owner",
                "email", OWNER, "organizationId", uid, "organizationSlug", "acme"));
        assertThat(one("SELECT * FROM kuratchiOwners")).as("bound to the resource in the same batch")
                .containsAllEntriesOf(columns("organizationId", uid, "ownerUid", uid, "namespace", TENANT,
                        "name", "org-acme", "retained", 0L));

        for (int i = 0; i < 5; i++) {
            assertThat(assertSteady(rows)).isEqualTo(new Outcome(false, uid, uid + "-database"));
        }
    }

    @Test
    void theTokenItselfIsStoredOnlyWithTheOptIn() {
        KuratchiOrganization organization = new KuratchiOrganization();
        organization.setMetadata(new ObjectMetaBuilder().withUid(uid()).withNamespace(TENANT).withName("acme").build());
        OrganizationSpec spec = organization.getSpec();
        spec.setOrganizationName("Acme");
        DatabaseToken token = token("acme");
        assertThat(records.ensure(AdminRows.of(organization, "acme", "acme", token), Adopting.NOTHING).wrote())
                .isTrue();
        assertThat(one("SELECT token FROM dbApiTokens").get("token")).isEqualTo(token.tokenId());
        assertThat(count("organizationUsers")).as("no owner, no routing row").isZero();

        spec.setStoreTokenInAdminDatabase(true);
        AdminRows stored = AdminRows.of(organization, "acme", "acme", token);
        assertThat(stored.toString()).doesNotContain(token.reveal());
        assertThat(records.ensure(stored, Adopting.NOTHING).wrote()).isTrue();
        assertThat(one("SELECT token FROM dbApiTokens").get("token")).isEqualTo(token.reveal());
        assertSteady(stored);
    }

    @Test
    void aCrashLeavingOnlyTheOrganizationRowConverges() {
        String uid = uid();
        sql.query("INSERT INTO organizations (id, organizationName, organizationSlug, status) VALUES (?, ?, ?, ?)",
                uid, "Acme acme", "acme", "active");
        AdminRows rows = rows(uid, "acme", null, token("acme"), OWNER);

        assertThat(records.ensure(rows, Adopting.NOTHING).wrote()).isTrue();
        assertEachKindOnce();
        assertSteady(rows);
    }

    @Test
    void aCrashLeavingAnOlderLiveTokenRowConvergesWithItRevoked() {
        String uid = uid();
        DatabaseToken older = token("acme");
        records.ensure(rows(uid, "acme", null, older, OWNER), Adopting.NOTHING);
        sql.query("DELETE FROM organizationUsers");
        AdminRows rows = rows(uid, "acme", null, token("acme"), OWNER);

        assertThat(records.ensure(rows, Adopting.NOTHING).wrote()).isTrue();
        assertThat(count("organizations")).isOne();
        assertThat(count("databases")).isOne();
        assertThat(count("organizationUsers")).isOne();
        assertThat(revokedByTokenId()).containsExactlyInAnyOrderEntriesOf(Map.of(older.tokenId(), 1L,
                rows.tokenId(), 0L));
        assertSteady(rows);
    }

    @Test
    void tokenRenewalRevokesThePreviousRow() {
        String uid = uid();
        DatabaseToken first = token("acme");
        DatabaseToken second = token("acme");
        DatabaseToken third = token("acme");
        for (DatabaseToken token : List.of(first, second, third)) {
            assertThat(records.ensure(rows(uid, "acme", null, token, null), Adopting.NOTHING).wrote()).isTrue();
        }

        assertThat(revokedByTokenId()).containsExactlyInAnyOrderEntriesOf(Map.of(first.tokenId(), 1L,
                second.tokenId(), 1L, third.tokenId(), 0L));
        assertThat(sql.query("SELECT id FROM dbApiTokens WHERE revoked = 0 ORDER BY created_at DESC").get(0)
                .get("id")).as("the newest row that is not revoked, as kuratchi-sdk picks").isEqualTo(third.tokenId());
        assertSteady(rows(uid, "acme", null, third, null));
    }

    @Test
    void anSdkOrganizationIsAdoptedBySlugOnlyFromAnAdoptionNamespaceAndKeepsItsIds() {
        SdkOrganization sdk = sdkOrganization("acme", "contact@acme.test");
        String uid = uid();
        AdminRows rows = rows(uid, "acme", "contact@acme.test", token("acme"), OWNER);

        assertRefused(rows, new Adopting(false, Adoption.ANY), "SlugTaken", "slug acme belongs to an organization "
                + "of the admin database made outside this operator (by kuratchi-sdk, say): set existingData: Adopt "
                + "to take it over, or choose another slug (create the organization again with spec.slug set)");
        assertThat(refused(rows, ADOPT_OWN).getMessage()).as("Adopt in a namespace the platform team did not list")
                .contains("this namespace may take it over only if the operator's KURATCHI_ADOPTION_NAMESPACES lists "
                        + "it (ask your platform team) and existingData is Adopt");
        assertThat(count("kuratchiOwners")).isZero();

        Outcome adopted = records.ensure(rows, ADOPT_ANY);

        assertThat(adopted).isEqualTo(new Outcome(true, sdk.organizationId(), sdk.databaseId()));
        assertEachKindOnce();
        assertThat(one("SELECT * FROM organizations")).containsAllEntriesOf(columns("id", sdk.organizationId(),
                "organizationName", "Acme acme", "status", "active"));
        assertThat(one("SELECT * FROM databases")).containsAllEntriesOf(columns("id", sdk.databaseId(),
                "organizationId", sdk.organizationId(), "isActive", 1L, "isArchived", 0L));
        assertThat(one("SELECT * FROM organizationUsers")).as("kuratchi-sdk's routing row, not a second one")
                .containsAllEntriesOf(columns("id", sdk.ownerRowId(), "organizationId", sdk.organizationId()));
        assertThat(revokedByTokenId()).containsExactlyInAnyOrderEntriesOf(Map.of(sdk.tokenRowId(), 1L,
                rows.tokenId(), 0L));
        assertThat(one("SELECT * FROM kuratchiOwners")).containsAllEntriesOf(columns("organizationId",
                sdk.organizationId(), "ownerUid", uid, "namespace", TENANT, "retained", 0L));

        // The binding says the organization is this resource's now, whatever the spec says and without status.
        assertThat(assertSteady(rows)).isEqualTo(new Outcome(false, sdk.organizationId(), sdk.databaseId()));
    }

    @Test
    void aLiveOrganizationIsNeverTakenOverEvenFromAnAdoptionNamespaceAndItsRowsStayAsTheyAre() {
        // The victim migrated a kuratchi-sdk organization: its id is the SDK's, no uid.
        SdkOrganization sdk = sdkOrganization("legacy", null);
        String victim = uid();
        records.ensure(rowsIn("victim-ns", victim, "legacy", null, token("legacy"), OWNER), ADOPT_ANY);
        Map<String, List<Map<String, Object>>> before = adminTables();

        String thief = uid();
        for (AdminRows taker : List.of(rowsIn("attacker-ns", thief, "legacy", null, token("thief-db"), null),
                rowsIn("victim-ns", thief, "legacy", null, token("thief-db"), null))) {
            assertRefused(taker, ADOPT_ANY, "SlugTaken", "slug legacy is held by another organization in the admin "
                    + "database, and an organization is never taken over from another that exists, whatever "
                    + "existingData says: choose another slug (create the organization again with spec.slug set)");
        }
        // Its database name, too, under a slug of the thief's own.
        assertThat(refused(rowsIn("attacker-ns", thief, "thief", null, token("legacy"), null), ADOPT_ANY)
                .getMessage()).startsWith("database name legacy is held by another organization in the admin database");

        assertThat(adminTables()).isEqualTo(before);
        assertThat(records.heldOrganization("legacy", thief)).isEmpty();
        assertThat(records.heldOrganization("legacy", victim)).contains(sdk.organizationId());
    }

    @Test
    void aRetainedOrganizationGoesBackOnlyToItsNamespaceOrAnAdoptionNamespace() {
        String kept = uid();
        records.ensure(rowsIn("tenant-x", kept, "kept", null, token("kept"), OWNER), Adopting.NOTHING);
        records.retire(kept, DeletionPolicy.Retain);
        assertThat(one("SELECT retained, namespace FROM kuratchiOwners")).isEqualTo(columns("retained", 1L,
                "namespace", "tenant-x"));

        AdminRows elsewhere = rowsIn("tenant-y", uid(), "kept", null, token("grab-db"), null);
        for (Adopting adopting : List.of(Adopting.NOTHING, ADOPT_OWN)) {
            assertRefused(elsewhere, adopting, "SlugTaken", "slug kept belongs to an organization of the admin "
                    + "database that a deleted KuratchiOrganization of another namespace retained: this namespace may "
                    + "take it over only if the operator's KURATCHI_ADOPTION_NAMESPACES lists it (ask your platform "
                    + "team) and existingData is Adopt; or choose another slug (create the organization again with "
                    + "spec.slug set)");
        }
        AdminRows home = rowsIn("tenant-x", uid(), "kept", null, token("kept"), OWNER);
        assertThat(refused(home, Adopting.NOTHING).getMessage()).startsWith("slug kept belongs to an organization of "
                + "the admin database that a deleted KuratchiOrganization of this namespace retained (deletionPolicy "
                + "Retain), with its Cloudflare resources: set existingData: Adopt to take it over");
        assertThat(count("kuratchiOwners")).isOne();

        assertThat(records.ensure(home, ADOPT_OWN)).isEqualTo(new Outcome(true, kept, kept + "-database"));
        assertThat(one("SELECT ownerUid, retained FROM kuratchiOwners")).isEqualTo(columns("ownerUid", home.uid(),
                "retained", 0L));
        assertThat(records.heldOrganization("kept", home.uid())).contains(kept);
        assertThat(records.heldOrganization("kept", kept)).as("the deleted resource holds nothing").isEmpty();

        // Retained again, then taken by a namespace the platform team listed.
        records.retire(home.uid(), DeletionPolicy.Retain);
        assertThat(records.ensure(elsewhere, ADOPT_ANY).organizationId()).isEqualTo(kept);
        assertThat(one("SELECT namespace, retained FROM kuratchiOwners")).isEqualTo(columns("namespace", "tenant-y",
                "retained", 0L));
    }

    @Test
    void aDatabaseNameOfAnotherOrganizationIsAdoptedOnlyWhenAsked() {
        SdkOrganization sdk = sdkOrganization("acme", null);
        AdminRows rows = rows(uid(), "acme-2", null, token("acme"), null);
        assertThat(rows.databaseName()).isEqualTo("acme");

        assertRefused(rows, new Adopting(false, Adoption.ANY), "DatabaseNameTaken", "database name acme belongs to an "
                + "organization of the admin database made outside this operator (by kuratchi-sdk, say): set "
                + "existingData: Adopt to take it over, or choose another spec.databaseName (it defaults to the slug)");
        assertThat(count("organizations")).as("nothing written").isOne();

        assertThat(records.ensure(rows, ADOPT_ANY).databaseId()).isEqualTo(sdk.databaseId());
        assertThat(count("databases")).isOne();
        assertThat(one("SELECT organizationId FROM databases").get("organizationId")).isEqualTo(rows.uid());
    }

    @Test
    void anEmailOfAnotherOrganizationIsAClearFailureThatNamesNothingOfItEvenWithAdopt() {
        SdkOrganization other = sdkOrganization("globex-secret", "shared@acme.test");
        AdminRows rows = rows(uid(), "acme", "shared@acme.test", token("acme"), OWNER);

        for (Adopting adopting : List.of(Adopting.NOTHING, ADOPT_ANY)) {
            assertRefused(rows, adopting, "EmailTaken", "email shared@acme.test is held by another organization in the "
                    + "admin database, where emails are unique: give this organization another spec.email, or none "
                    + "(existingData: Adopt takes an organization over by slug, not by email)");
        }
        assertThat(other.organizationId()).as("named nowhere above, nor its slug globex-secret").isNotBlank();
        assertThat(count("organizations")).as("nothing written").isOne();
        assertThat(count("databases")).isOne();
    }

    @Test
    void anOwnerEmailALiveRowRoutesToAnotherOrganizationIsNotRoutedHereToo() {
        String real = uid();
        records.ensure(rowsIn("real", real, "real", null, token("real"), "boss@real.example"), Adopting.NOTHING);
        String phish = uid();
        // Case does not hide it.
        AdminRows phishing = rowsIn("phish", phish, "phish", null, token("phish"), "Boss@Real.example");

        assertRefused(phishing, ADOPT_ANY, "OwnerEmailRouted", "owner email Boss@Real.example is routed to another "
                + "organization in the admin database (organizationUsers, where kuratchi-sdk's sign-in finds a user's "
                + "organization by email), and one email is routed to one organization only: choose another "
                + "spec.owner.email, or remove spec.owner; the owner user in this organization's own database is not "
                + "affected");
        assertThat(sql.query("SELECT organizationSlug FROM organizationUsers")).extracting(r -> r.get("organizationSlug"))
                .containsExactly("real");

        // A route of an archived organization (retained, its tokens refused) is in nobody's way.
        records.retire(real, DeletionPolicy.Retain);
        assertThat(records.ensure(phishing, Adopting.NOTHING).wrote()).isTrue();
        assertThat(sql.query("SELECT organizationSlug FROM organizationUsers ORDER BY organizationSlug"))
                .extracting(r -> r.get("organizationSlug")).containsExactly("phish", "real");
        assertSteady(phishing);
    }

    @Test
    void anOwnerRoutedBeforeAnotherOrganizationRoutedTheSameEmailStaysRouted() {
        String first = uid();
        AdminRows rows = rowsIn("first", first, "first", null, token("first"), "ann@shared.example");
        records.ensure(rows, Adopting.NOTHING);
        // A row someone wrote by hand (an app, say) afterwards does not take this organization's route away.
        sql.query("INSERT INTO organizations (id, organizationSlug) VALUES ('other', 'other')");
        sql.query("INSERT INTO organizationUsers (id, email, organizationId) VALUES ('r', 'ann@shared.example', 'other')");

        assertSteady(rows);
    }

    @Test
    void aTokenRowOfOthersHoldingOurTokenIsAClearFailure() {
        AdminRows rows = rows(uid(), "acme", null, token("acme"), null);
        String stray = uid();
        sql.query("INSERT INTO dbApiTokens (id, token, name) VALUES (?, ?, 'primary')", stray, rows.tokenColumn());

        assertRefused(rows, ADOPT_ANY, "TokenTaken", "a dbApiTokens row this organization did not write holds its "
                + "token in the admin database: ask your platform team to delete that row; the operator then writes "
                + "its own");
        assertThat(count("organizations")).as("nothing written").isZero();
    }

    @Test
    void aWriteRefusedWithoutAConflictToReadIsReadAgainOnceThenReportedInOurWords() {
        sql.query("CREATE TRIGGER refuse BEFORE INSERT ON organizations BEGIN SELECT RAISE(ABORT, 'refused'); END");
        calls.clear();

        Conflict conflict = thrown(rows(uid(), "acme", null, token("acme"), OWNER), Adopting.NOTHING);
        assertThat(conflict.reason()).isEqualTo("RowsRefused");
        assertThat(conflict.getMessage()).startsWith("the admin database refused organization ");
        assertThat(calls).as("read, write, read again, write").containsExactly("batch", "batch", "batch", "batch");
        assertThat(count("organizations") + count("databases") + count("dbApiTokens") + count("kuratchiOwners"))
                .as("all or nothing").isZero();
    }

    @Test
    void ofTwoResourcesAdoptingOneOrganizationAtOnceTheSecondWritesNothingAndReadsAConflict() {
        SdkOrganization sdk = sdkOrganization("acme", null);
        String first = uid();
        String second = uid();
        // The first resource binds the organization between the second's read and its write.
        afterNextCall.set(() -> sql.batch(List.of(
                dev.kuratchi.client.gateway.Statement.of("INSERT INTO kuratchiOwners (organizationId, ownerUid, "
                        + "namespace, name) VALUES (?, ?, 'tenant-b', 'first')", sdk.organizationId(), first))));
        calls.clear();

        assertThat(thrown(rows(second, "acme", null, token("acme"), OWNER), ADOPT_ANY).getMessage())
                .startsWith("slug acme is held by another organization");
        assertThat(calls).as("read, write refused, read again").containsExactly("batch", "batch", "batch");
        assertThat(one("SELECT ownerUid FROM kuratchiOwners").get("ownerUid")).isEqualTo(first);
        assertThat(one("SELECT organizationName FROM organizations").get("organizationName")).as("untouched")
                .isEqualTo("ACME");
        assertThat(count("dbApiTokens")).as("only kuratchi-sdk's token row").isOne();
    }

    @Test
    void retireWithDeleteRemovesOurRowsOnlyAndTwiceIsFine() {
        String uid = uid();
        records.ensure(rows(uid, "acme", "contact@acme.test", token("acme"), OWNER), Adopting.NOTHING);
        records.ensure(rows(uid, "acme", "contact@acme.test", token("acme"), OWNER), Adopting.NOTHING);
        String neighbour = uid();
        records.ensure(rows(neighbour, "globex", null, token("globex"), "boss@globex.test"), Adopting.NOTHING);

        assertThat(records.retire(uid, DeletionPolicy.Delete)).isTrue();

        for (String table : List.of("organizations", "databases", "organizationUsers", "kuratchiOwners")) {
            assertThat(count(table)).as(table + ": the neighbour's row only").isOne();
        }
        assertThat(count("dbApiTokens")).isOne();
        assertThat(sql.query("SELECT id FROM organizations").get(0).get("id")).isEqualTo(neighbour);
        assertThat(records.retire(uid, DeletionPolicy.Delete)).as("already gone").isFalse();
        assertThat(records.retire(uid(), DeletionPolicy.Delete)).as("never written").isFalse();
        assertThat(records.retire(uid(), DeletionPolicy.Retain)).as("never written").isFalse();
    }

    @Test
    void retireWithRetainArchivesAsKuratchiSdkAndTwiceKeepsTheFirstTime() {
        String uid = uid();
        DatabaseToken older = token("acme");
        records.ensure(rows(uid, "acme", null, older, OWNER), Adopting.NOTHING);
        AdminRows rows = rows(uid, "acme", null, token("acme"), OWNER);
        records.ensure(rows, Adopting.NOTHING);

        assertThat(records.retire(uid, DeletionPolicy.Retain)).isTrue();

        Object deletedAt = one("SELECT deleted_at FROM organizations").get("deleted_at");
        assertThat((String) deletedAt).as("ISO text, as kuratchi-sdk's timestamps")
                .matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
        assertThat(one("SELECT * FROM databases")).containsAllEntriesOf(columns("isArchived", 1L, "isActive", 0L,
                "deleted_at", deletedAt));
        assertThat(revokedByTokenId()).containsExactlyInAnyOrderEntriesOf(Map.of(older.tokenId(), 1L,
                rows.tokenId(), 1L));
        assertThat(count("organizationUsers")).as("left as kuratchi-sdk leaves it").isOne();
        assertThat(one("SELECT retained FROM kuratchiOwners").get("retained")).isEqualTo(1L);

        clock.advance(Duration.ofHours(1));
        assertThat(records.retire(uid, DeletionPolicy.Retain)).isFalse();
        assertThat(one("SELECT deleted_at FROM organizations").get("deleted_at")).isEqualTo(deletedAt);

        // A new resource of the namespace for the archived organization: refused, or revived with existingData: Adopt.
        AdminRows again = rows(uid(), "acme", null, token("acme"), OWNER);
        refused(again, Adopting.NOTHING);
        assertThat(records.ensure(again, ADOPT_OWN)).isEqualTo(new Outcome(true, uid, uid + "-database"));
        assertEachKindOnce();
        assertThat(one("SELECT deleted_at FROM organizations").get("deleted_at")).isNull();
        assertThat(one("SELECT * FROM databases")).containsAllEntriesOf(columns("isArchived", 0L, "isActive", 1L,
                "deleted_at", null));
    }

    @Test
    void heldOrganizationComesFromTheBindingAloneNeverFromStatus() {
        String uid = uid();
        records.ensure(rows(uid, "acme", null, token("acme"), OWNER), Adopting.NOTHING);
        String other = uid();
        records.ensure(rows(other, "globex", null, token("globex"), null), Adopting.NOTHING);
        SdkOrganization sdk = sdkOrganization("initech", null);
        String migrating = uid();

        assertThat(records.heldOrganization("acme", uid)).contains(uid);
        assertThat(records.heldOrganization("acme", uid())).as("a second organization with the slug").isEmpty();
        assertThat(records.heldOrganization("acme", other)).as("another's slug").isEmpty();
        assertThat(records.heldOrganization("initech", migrating)).as("kuratchi-sdk's, not adopted yet").isEmpty();
        records.ensure(rows(migrating, "initech", null, token("initech"), null), ADOPT_ANY);
        assertThat(records.heldOrganization("initech", migrating)).as("adopted: found by uid, whatever status says")
                .contains(sdk.organizationId());

        records.retire(uid, DeletionPolicy.Retain);
        assertThat(records.heldOrganization("acme", uid)).as("retained: held by nobody").isEmpty();
        assertThat(records.retire(migrating, DeletionPolicy.Delete)).isTrue();
        assertThat(records.heldOrganization("initech", migrating)).as("deleted").isEmpty();
        assertThat(count("organizations")).as("acme (archived) and globex").isEqualTo(2);
    }

    // ---- helpers

    /** The rows kuratchi-sdk's createOrganization leaves: random ids, the full token stored. */
    private record SdkOrganization(String organizationId, String databaseId, String tokenRowId, String ownerRowId) {}

    private SdkOrganization sdkOrganization(String slug, String email) {
        SdkOrganization sdk = new SdkOrganization(uid(), uid(), uid(), uid());
        sql.query("INSERT INTO organizations (id, organizationName, organizationSlug, email, status) "
                + "VALUES (?, ?, ?, ?, 'active')", sdk.organizationId(), slug.toUpperCase(), slug, email);
        sql.query("INSERT INTO databases (id, name, dbuuid, isActive, organizationId) VALUES (?, ?, NULL, 1, ?)",
                sdk.databaseId(), slug, sdk.organizationId());
        sql.query("INSERT INTO dbApiTokens (id, token, name, databaseId, revoked) VALUES (?, ?, 'primary', ?, 0)",
                sdk.tokenRowId(), token(slug).reveal(), sdk.databaseId());
        sql.query("INSERT INTO organizationUsers (id, email, organizationId, organizationSlug) VALUES (?, ?, ?, ?)",
                sdk.ownerRowId(), OWNER, sdk.organizationId(), slug);
        return sdk;
    }

    private static AdminRows rows(String uid, String slug, String email, DatabaseToken token, String ownerEmail) {
        return rowsIn(TENANT, uid, slug, email, token, ownerEmail);
    }

    /** A resource named org-{@code slug} in {@code namespace}. */
    private static AdminRows rowsIn(String namespace, String uid, String slug, String email, DatabaseToken token,
            String ownerEmail) {
        return new AdminRows(uid, namespace, "org-" + slug, "Acme " + slug, slug, email, token.databaseName(),
                token.tokenId(), token.expiresAtMillis(), null, ownerEmail);
    }

    private static DatabaseToken token(String databaseName) {
        return TOKENS.issue(databaseName, Duration.ofDays(30));
    }

    private static String uid() {
        return UUID.randomUUID().toString();
    }

    /** Ensures {@code rows}, which must fail with a Conflict: that Conflict. */
    private Conflict thrown(AdminRows rows, Adopting adopting) {
        Throwable thrown = catchThrowable(() -> records.ensure(rows, adopting));
        assertThat(thrown).isInstanceOf(Conflict.class);
        return (Conflict) thrown;
    }

    /** As {@link #thrown}, refused after one read and nothing written. */
    private Conflict refused(AdminRows rows, Adopting adopting) {
        calls.clear();
        Conflict conflict = thrown(rows, adopting);
        assertThat(calls).as("refused after one read, nothing written").containsExactly("batch");
        return conflict;
    }

    /** As {@link #refused}, with this reason and this whole message (which names nothing of the row in the way). */
    private void assertRefused(AdminRows rows, Adopting adopting, String reason, String message) {
        Conflict conflict = refused(rows, adopting);
        assertThat(conflict.reason() + ": " + conflict.getMessage()).isEqualTo(reason + ": " + message);
    }

    /** Ensures {@code rows} again (without adopting) and checks it only read. */
    private Outcome assertSteady(AdminRows rows) {
        calls.clear();
        Outcome outcome = records.ensure(rows, Adopting.NOTHING);
        assertThat(outcome.wrote()).isFalse();
        assertThat(calls).as("a steady state reads once and writes nothing").containsExactly("batch");
        return outcome;
    }

    private void assertEachKindOnce() {
        for (String table : List.of("organizations", "databases", "organizationUsers", "kuratchiOwners")) {
            assertThat(count(table)).as(table).isOne();
        }
        assertThat(sql.query("SELECT count(*) AS n FROM dbApiTokens WHERE revoked = 0").get(0).getLong("n"))
                .as("live token rows").isOne();
    }

    private long count(String table) {
        return sql.query("SELECT count(*) AS n FROM " + table).get(0).getLong("n");
    }

    private Map<String, Object> one(String query) {
        List<Row> rows = sql.query(query);
        assertThat(rows).as(query).hasSize(1);
        return rows.get(0).asMap();
    }

    /** Every row of the admin tables this class writes, every column. */
    private Map<String, List<Map<String, Object>>> adminTables() {
        Map<String, List<Map<String, Object>>> tables = new java.util.LinkedHashMap<>();
        for (String table : List.of("organizations", "databases", "dbApiTokens", "organizationUsers", "kuratchiOwners")) {
            tables.put(table, sql.query("SELECT * FROM " + table + " ORDER BY rowid").stream().map(Row::asMap).toList());
        }
        return tables;
    }

    private Map<String, Object> revokedByTokenId() {
        Map<String, Object> revoked = new java.util.HashMap<>();
        sql.query("SELECT id, revoked FROM dbApiTokens").forEach(row -> revoked.put(row.getString("id"), row.get("revoked")));
        return revoked;
    }

    private static Map<String, Object> columns(Object... namesAndValues) {
        Map<String, Object> columns = new java.util.LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            columns.put((String) namesAndValues[i], namesAndValues[i + 1]);
        }
        return columns;
    }
}
