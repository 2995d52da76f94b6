package dev.kuratchi.operator.organization;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kuratchi.client.admin.AdminClient;
import dev.kuratchi.client.gateway.GatewayClient;
import dev.kuratchi.client.gateway.GatewayTransport;
import dev.kuratchi.client.gateway.RetryPolicy;
import dev.kuratchi.client.gateway.Row;
import dev.kuratchi.client.schema.SchemaSql;
import dev.kuratchi.client.schema.Schemas;
import dev.kuratchi.client.support.WorkerProcess;
import dev.kuratchi.client.token.DatabaseToken;
import dev.kuratchi.client.token.GatewayKey;
import dev.kuratchi.client.token.Tokens;
import dev.kuratchi.operator.dodatabase.DeletionPolicy;
import dev.kuratchi.operator.organization.AdminRecords.Conflict;
import dev.kuratchi.operator.organization.AdminRecords.Outcome;
import dev.kuratchi.operator.support.TestClock;
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
 * migrated with the built-in admin schema. Gateway calls are counted to prove that a steady state writes nothing.
 */
class AdminRecordsTest {
    private static final GatewayKey KEY = GatewayKey.of("admin-records-test-gateway-key-0123456789");
    private static final Tokens TOKENS = new Tokens(KEY, Clock.systemUTC());
    private static final AtomicInteger DATABASES = new AtomicInteger();
    private static final String OWNER = "owner@acme.test";
    private static WorkerProcess gateway;

    private final List<String> calls = new CopyOnWriteArrayList<>();
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
                .provision(name, List.of(SchemaSql.initialMigration(Schemas.admin())));
        DatabaseToken token = TOKENS.issue(name, Duration.ofDays(1));
        sql = GatewayClient.builder().connection(gateway.url(), token).build();
        OkHttpClient counting = new OkHttpClient.Builder().addInterceptor(chain -> {
            calls.add(chain.request().url().encodedPath().replaceAll(".*/api/", ""));
            return chain.proceed(chain.request());
        }).build();
        records = new AdminRecords(GatewayClient.builder().connection(gateway.url(), token)
                .transport(new GatewayTransport(counting, RetryPolicy.NONE, pause -> { })).build(), clock);
    }

    @Test
    void theFirstEnsureWritesOneRowOfEachKindAndASteadyStateWritesNothing() {
        String uid = uid();
        AdminRows rows = rows(uid, "acme", "contact@acme.test", token("acme"), OWNER);

        Outcome first = records.ensure(rows, false);

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

        for (int i = 0; i < 5; i++) {
            assertThat(assertSteady(rows)).isEqualTo(new Outcome(false, uid, uid + "-database"));
        }
    }

    @Test
    void theTokenItselfIsStoredOnlyWithTheOptIn() {
        OrganizationSpec spec = new OrganizationSpec();
        spec.setOrganizationName("Acme");
        DatabaseToken token = token("acme");
        String uid = uid();
        assertThat(records.ensure(AdminRows.of(uid, null, spec, "acme", "acme", token), false).wrote()).isTrue();
        assertThat(one("SELECT token FROM dbApiTokens").get("token")).isEqualTo(token.tokenId());
        assertThat(count("organizationUsers")).as("no owner, no routing row").isZero();

        spec.setStoreTokenInAdminDatabase(true);
        AdminRows stored = AdminRows.of(uid, null, spec, "acme", "acme", token);
        assertThat(stored.toString()).doesNotContain(token.reveal());
        assertThat(records.ensure(stored, false).wrote()).isTrue();
        assertThat(one("SELECT token FROM dbApiTokens").get("token")).isEqualTo(token.reveal());
        assertSteady(stored);
    }

    @Test
    void aCrashLeavingOnlyTheOrganizationRowConverges() {
        String uid = uid();
        sql.query("INSERT INTO organizations (id, organizationName, organizationSlug, status) VALUES (?, ?, ?, ?)",
                uid, "Acme acme", "acme", "active");
        AdminRows rows = rows(uid, "acme", null, token("acme"), OWNER);

        assertThat(records.ensure(rows, false).wrote()).isTrue();
        assertEachKindOnce();
        assertSteady(rows);
    }

    @Test
    void aCrashLeavingAnOlderLiveTokenRowConvergesWithItRevoked() {
        String uid = uid();
        DatabaseToken older = token("acme");
        records.ensure(rows(uid, "acme", null, older, OWNER), false);
        sql.query("DELETE FROM organizationUsers");
        AdminRows rows = rows(uid, "acme", null, token("acme"), OWNER);

        assertThat(records.ensure(rows, false).wrote()).isTrue();
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
            assertThat(records.ensure(rows(uid, "acme", null, token, null), false).wrote()).isTrue();
        }

        assertThat(revokedByTokenId()).containsExactlyInAnyOrderEntriesOf(Map.of(first.tokenId(), 1L,
                second.tokenId(), 1L, third.tokenId(), 0L));
        assertThat(sql.query("SELECT id FROM dbApiTokens WHERE revoked = 0 ORDER BY created_at DESC").get(0)
                .get("id")).as("the newest row that is not revoked, as kuratchi-sdk picks").isEqualTo(third.tokenId());
        assertSteady(rows(uid, "acme", null, third, null));
    }

    @Test
    void anSdkOrganizationIsAdoptedBySlugOnlyWhenAskedAndKeepsItsIds() {
        SdkOrganization sdk = sdkOrganization("acme", "contact@acme.test");
        String uid = uid();
        AdminRows rows = rows(uid, "acme", "contact@acme.test", token("acme"), OWNER);

        calls.clear();
        assertThatThrownBy(() -> records.ensure(rows, false)).isInstanceOfSatisfying(Conflict.class, conflict -> {
            assertThat(conflict.reason()).isEqualTo("SlugTaken");
            assertThat(conflict.existingId()).isEqualTo(sdk.organizationId());
            assertThat(conflict.getMessage()).isEqualTo("the admin database already has an organization with slug acme "
                    + "(id " + sdk.organizationId() + "), not made by this resource: set existingData: Adopt to take "
                    + "it over, or choose another slug");
        });
        assertThat(calls).as("refused after reading, nothing written").containsExactly("batch");

        Outcome adopted = records.ensure(rows, true);

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

        // The reconciler keeps the adopted id in status and passes it back: ours now, whatever the spec says.
        AdminRows remembered = new AdminRows(uid, adopted.organizationId(), rows.organizationName(), rows.slug(),
                rows.email(), rows.databaseName(), rows.tokenId(), rows.tokenExpiresAtMillis(), null, OWNER);
        assertThat(assertSteady(remembered)).isEqualTo(new Outcome(false, sdk.organizationId(),
                sdk.databaseId()));
    }

    @Test
    void aDatabaseNameOfAnotherOrganizationIsAdoptedOnlyWhenAsked() {
        SdkOrganization sdk = sdkOrganization("acme", null);
        AdminRows rows = rows(uid(), "acme-2", null, token("acme"), null);
        assertThat(rows.databaseName()).isEqualTo("acme");

        assertThatThrownBy(() -> records.ensure(rows, false)).isInstanceOfSatisfying(Conflict.class, conflict -> {
            assertThat(conflict.reason()).isEqualTo("DatabaseNameTaken");
            assertThat(conflict.getMessage()).startsWith("the admin database already has a database named acme (id "
                    + sdk.databaseId() + ", organization " + sdk.organizationId() + "), not made by this resource: "
                    + "set existingData: Adopt");
        });
        assertThat(count("organizations")).as("nothing written").isOne();

        assertThat(records.ensure(rows, true).databaseId()).isEqualTo(sdk.databaseId());
        assertThat(count("databases")).isOne();
        assertThat(one("SELECT organizationId FROM databases").get("organizationId")).isEqualTo(rows.uid());
    }

    @Test
    void anEmailOfAnotherOrganizationIsAClearFailureEvenWithAdopt() {
        SdkOrganization other = sdkOrganization("other", "shared@acme.test");
        AdminRows rows = rows(uid(), "acme", "shared@acme.test", token("acme"), OWNER);

        for (boolean adopt : List.of(false, true)) {
            assertThatThrownBy(() -> records.ensure(rows, adopt)).isInstanceOfSatisfying(Conflict.class, conflict -> {
                assertThat(conflict.reason()).isEqualTo("EmailTaken");
                assertThat(conflict.existingId()).isEqualTo(other.organizationId());
                assertThat(conflict.getMessage()).startsWith("the admin database already has an organization with "
                        + "email shared@acme.test (id " + other.organizationId() + ", slug other), not made by this "
                        + "resource").doesNotContain("SQLITE").doesNotContain("constraint");
            });
        }
        assertThat(count("organizations")).as("nothing written").isOne();
        assertThat(count("databases")).isOne();
    }

    @Test
    void aTokenRowOfOthersHoldingOurTokenIsAClearFailure() {
        AdminRows rows = rows(uid(), "acme", null, token("acme"), null);
        String stray = uid();
        sql.query("INSERT INTO dbApiTokens (id, token, name) VALUES (?, ?, 'primary')", stray, rows.tokenColumn());

        assertThatThrownBy(() -> records.ensure(rows, true)).isInstanceOfSatisfying(Conflict.class, conflict -> {
            assertThat(conflict.reason()).isEqualTo("TokenTaken");
            assertThat(conflict.existingId()).isEqualTo(stray);
        });
        assertThat(count("organizations")).as("nothing written").isZero();
    }

    @Test
    void aWriteRefusedWithoutAConflictToReadIsReadAgainOnceThenReportedInOurWords() {
        sql.query("CREATE TRIGGER refuse BEFORE INSERT ON organizations BEGIN SELECT RAISE(ABORT, 'refused'); END");
        calls.clear();

        assertThatThrownBy(() -> records.ensure(rows(uid(), "acme", null, token("acme"), OWNER), false))
                .isInstanceOfSatisfying(Conflict.class, conflict -> {
                    assertThat(conflict.reason()).isEqualTo("RowsRefused");
                    assertThat(conflict.getMessage()).startsWith("the admin database refused organization ");
                });
        assertThat(calls).as("read, write, read again, write").containsExactly("batch", "batch", "batch", "batch");
        assertThat(count("organizations") + count("databases") + count("dbApiTokens")).as("all or nothing").isZero();
    }

    @Test
    void retireWithDeleteRemovesOurRowsOnlyAndTwiceIsFine() {
        String uid = uid();
        records.ensure(rows(uid, "acme", "contact@acme.test", token("acme"), OWNER), false);
        records.ensure(rows(uid, "acme", "contact@acme.test", token("acme"), OWNER), false);
        String neighbour = uid();
        records.ensure(rows(neighbour, "globex", null, token("globex"), "boss@globex.test"), false);

        assertThat(records.retire(uid, DeletionPolicy.Delete)).isTrue();

        for (String table : List.of("organizations", "databases", "organizationUsers")) {
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
        records.ensure(rows(uid, "acme", null, older, OWNER), false);
        AdminRows rows = rows(uid, "acme", null, token("acme"), OWNER);
        records.ensure(rows, false);

        assertThat(records.retire(uid, DeletionPolicy.Retain)).isTrue();

        Object deletedAt = one("SELECT deleted_at FROM organizations").get("deleted_at");
        assertThat((String) deletedAt).as("ISO text, as kuratchi-sdk's timestamps")
                .matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
        assertThat(one("SELECT * FROM databases")).containsAllEntriesOf(columns("isArchived", 1L, "isActive", 0L,
                "deleted_at", deletedAt));
        assertThat(revokedByTokenId()).containsExactlyInAnyOrderEntriesOf(Map.of(older.tokenId(), 1L,
                rows.tokenId(), 1L));
        assertThat(count("organizationUsers")).as("left as kuratchi-sdk leaves it").isOne();

        clock.advance(Duration.ofHours(1));
        assertThat(records.retire(uid, DeletionPolicy.Retain)).isFalse();
        assertThat(one("SELECT deleted_at FROM organizations").get("deleted_at")).isEqualTo(deletedAt);

        // A new resource for the archived organization: refused, or revived with existingData: Adopt.
        AdminRows again = rows(uid(), "acme", null, token("acme"), OWNER);
        assertThatThrownBy(() -> records.ensure(again, false)).isInstanceOfSatisfying(Conflict.class, conflict ->
                assertThat(conflict.getMessage()).startsWith("the admin database already has an archived "
                        + "organization with slug acme (id " + uid + ", deleted at " + deletedAt + ";"));
        assertThat(records.ensure(again, true)).isEqualTo(new Outcome(true, uid, uid + "-database"));
        assertEachKindOnce();
        assertThat(one("SELECT deleted_at FROM organizations").get("deleted_at")).isNull();
        assertThat(one("SELECT * FROM databases")).containsAllEntriesOf(columns("isArchived", 0L, "isActive", 1L,
                "deleted_at", null));
    }

    @Test
    void aRememberedIdOfAnotherOrganizationsRowIsIgnoredAndThatRowIsNeverRewritten() {
        String victim = uid();
        records.ensure(rows(victim, "globex", "boss@globex.test", token("globex"), null), false);
        Map<String, Object> before = one("SELECT * FROM organizations WHERE id = '" + victim + "'");
        String uid = uid();
        AdminRows ours = rows(uid, "acme", null, token("acme"), OWNER);
        // What a forged status.organizationId hands the reconciler.
        AdminRows forged = new AdminRows(uid, victim, ours.organizationName(), ours.slug(), ours.email(),
                ours.databaseName(), ours.tokenId(), ours.tokenExpiresAtMillis(), null, OWNER);

        assertThat(records.ensure(forged, false)).isEqualTo(new Outcome(true, uid, uid + "-database"));

        assertThat(one("SELECT * FROM organizations WHERE id = '" + victim + "'")).isEqualTo(before);
        assertThat(one("SELECT organizationSlug FROM organizations WHERE id = '" + uid + "'"))
                .containsEntry("organizationSlug", "acme");
        assertThat(count("organizations")).isEqualTo(2);
    }

    @Test
    void heldOrganizationIsOnlyTheRowOfTheUidOrOfTheRememberedIdThatHoldsTheSlug() {
        String uid = uid();
        records.ensure(rows(uid, "acme", null, token("acme"), OWNER), false);
        String other = uid();
        records.ensure(rows(other, "globex", null, token("globex"), null), false);
        SdkOrganization sdk = sdkOrganization("initech", null);

        assertThat(records.heldOrganization("acme", uid, null)).contains(uid);
        assertThat(records.heldOrganization("acme", uid(), null)).as("a second organization with the slug").isEmpty();
        assertThat(records.heldOrganization("acme", uid(), uid)).as("remembering another's id, with its slug")
                .contains(uid);
        assertThat(records.heldOrganization("acme", uid(), other)).as("remembering a row of another slug").isEmpty();
        assertThat(records.heldOrganization("initech", uid(), sdk.organizationId())).contains(sdk.organizationId());

        records.retire(uid, DeletionPolicy.Retain);
        assertThat(records.heldOrganization("acme", uid, null)).as("archived, still its").contains(uid);
        records.retire(uid, DeletionPolicy.Delete);
        assertThat(records.heldOrganization("acme", uid, null)).as("deleted").isEmpty();
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
        return new AdminRows(uid, null, "Acme " + slug, slug, email, token.databaseName(), token.tokenId(),
                token.expiresAtMillis(), null, ownerEmail);
    }

    private static DatabaseToken token(String databaseName) {
        return TOKENS.issue(databaseName, Duration.ofDays(30));
    }

    private static String uid() {
        return UUID.randomUUID().toString();
    }

    /** Ensures {@code rows} again (without adopting) and checks it only read. */
    private Outcome assertSteady(AdminRows rows) {
        calls.clear();
        Outcome outcome = records.ensure(rows, false);
        assertThat(outcome.wrote()).isFalse();
        assertThat(calls).as("a steady state reads once and writes nothing").containsExactly("batch");
        return outcome;
    }

    private void assertEachKindOnce() {
        for (String table : List.of("organizations", "databases", "organizationUsers")) {
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
