package dev.kuratchi.operator.organization;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kuratchi.client.admin.AdminClient;
import dev.kuratchi.client.admin.Migration;
import dev.kuratchi.client.admin.Adoption;
import dev.kuratchi.client.admin.Owner;
import dev.kuratchi.client.gateway.GatewayClient;
import dev.kuratchi.client.gateway.GatewayTransport;
import dev.kuratchi.client.gateway.RetryPolicy;
import dev.kuratchi.client.gateway.Row;
import dev.kuratchi.client.schema.SchemaSql;
import dev.kuratchi.client.schema.Schemas;
import dev.kuratchi.client.token.Tokens;
import dev.kuratchi.operator.organization.OwnerRecord.Outcome;
import dev.kuratchi.operator.organization.OwnerRecord.Refused;
import dev.kuratchi.operator.support.GatewayWorker;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The organization's owner user against the real gateway Worker in workerd, each test on its own organization
 * database migrated with the built-in organization schema and claimed by a DoDatabase uid, opened through
 * {@link GatewayAccess} as the reconciler opens it. Data-plane calls are counted to prove one read and at most one
 * write per call.
 */
class OwnerRecordTest {
    @RegisterExtension
    static final GatewayWorker GATEWAY = new GatewayWorker("owner-record-test-gateway-key-0123456789");
    private static final AtomicInteger DATABASES = new AtomicInteger();
    private static final String EMAIL = "owner@acme.test";

    private final List<String> calls = new CopyOnWriteArrayList<>();
    /** Runs once, just before the next write batch reaches the gateway. */
    private final AtomicReference<Runnable> beforeWrite = new AtomicReference<>();
    private final String uid = UUID.randomUUID().toString();
    private GatewayClient sql;
    private OwnerRecord owner;

    @BeforeEach
    void organizationDatabase() {
        open(List.of(SchemaSql.initialMigration(Schemas.organization())));
    }

    private void open(List<Migration> migrations) {
        String name = "owner-record-" + DATABASES.incrementAndGet();
        String childUid = UUID.randomUUID().toString();
        AdminClient admin = new AdminClient(GATEWAY.url(), GATEWAY.key(), GatewayTransport.withDefaults());
        admin.provision(name, migrations, new Owner(childUid, "tenant-a", "acme"), Adoption.NONE);
        Tokens tokens = new Tokens(GATEWAY.key(), Clock.systemUTC());
        sql = new GatewayAccess(endpoint -> admin, tokens, GatewayTransport.withDefaults(), Clock.systemUTC())
                .open(GATEWAY.url(), name, childUid);
        OkHttpClient counting = new OkHttpClient.Builder().addInterceptor(chain -> {
            String operation = chain.request().url().encodedPath().replaceAll(".*/api/", "");
            calls.add(operation);
            Runnable hook = operation.equals("batch") ? beforeWrite.getAndSet(null) : null;
            if (hook != null) {
                hook.run();
            }
            return chain.proceed(chain.request());
        }).build();
        GatewayTransport transport = new GatewayTransport(counting, RetryPolicy.NONE, pause -> { });
        owner = new OwnerRecord(new GatewayAccess(endpoint -> admin, tokens, transport, Clock.systemUTC())
                .open(GATEWAY.url(), name, childUid));
    }

    @Test
    void insertsTheOwnerOnceAndASteadyStateOnlyReads() {
        Outcome first = owner.ensure(uid, null, spec(EMAIL, "Jane Owner"), "Acme");

        assertThat(first).isEqualTo(new Outcome(true, uid + "-owner", false, "owner", null));
        assertThat(calls).as("one read, one write").containsExactly("run", "batch");
        assertThat(one()).containsAllEntriesOf(columns("id", uid + "-owner", "email", EMAIL, "name", "Jane Owner",
                "role", "owner", "status", 1L, "password_hash", null, "deleted_at", null));

        for (String known : new String[] {null, first.ownerId()}) {
            assertThat(assertSteady(spec(EMAIL, "Jane Owner"), known))
                    .isEqualTo(new Outcome(false, uid + "-owner", false, "owner", null));
        }
        assertThat(count()).isOne();
    }

    @Test
    void theNameDefaultsToTheOrganizationsAndIsNeverChangedAfterwards() {
        owner.ensure(uid, null, spec(EMAIL, null), "Acme Corp");
        assertThat(one().get("name")).isEqualTo("Acme Corp");

        assertSteady(spec(EMAIL, "Jane Owner"), null);
        assertThat(one().get("name")).as("the app's row now").isEqualTo("Acme Corp");
    }

    @Test
    void aUserWithTheOwnersEmailIsAdoptedAsItIs() {
        sql.query("INSERT INTO users (id, email, name, role, status, password_hash) VALUES (?, ?, ?, ?, ?, ?)",
                "sdk-user", "Owner@Acme.test", "Jane", "member", 1, "hash");
        Map<String, Object> before = one();

        Outcome adopted = owner.ensure(uid, null, spec(EMAIL, "Jane Owner"), "Acme");

        assertThat(adopted).isEqualTo(new Outcome(false, "sdk-user", true, "member", null));
        assertThat(calls).as("read only").containsExactly("run");
        assertThat(one()).as("not changed, not even its role or the case of its email").isEqualTo(before);
        assertThat(assertSteady(spec(EMAIL, "Jane Owner"), "sdk-user")).isEqualTo(adopted);
    }

    @Test
    void theUserSpelledAsTheSpecIsPreferredAmongCaseVariants() {
        sql.query("INSERT INTO users (id, email, created_at) VALUES ('older', 'OWNER@acme.test', '2020-01-01 00:00:00')");
        sql.query("INSERT INTO users (id, email) VALUES ('exact', ?)", EMAIL);

        assertThat(owner.ensure(uid, null, spec(EMAIL, null), "Acme").ownerId()).isEqualTo("exact");
        assertThat(owner.ensure(uid, null, spec("Owner@acme.test", null), "Acme").ownerId())
                .as("else the oldest").isEqualTo("older");
        assertThat(count()).isEqualTo(2);
    }

    @Test
    void aChangedEmailIsRefusedInWordsAndMakesNoSecondOwner() {
        owner.ensure(uid, null, spec(EMAIL, null), "Acme");
        calls.clear();

        assertThatThrownBy(() -> owner.ensure(uid, uid + "-owner", spec("new@acme.test", null), "Acme"))
                .isInstanceOfSatisfying(Refused.class, refused -> {
                    assertThat(refused.reason()).isEqualTo("OwnerEmailChanged");
                    assertThat(refused.ownerId()).isEqualTo(uid + "-owner");
                    assertThat(refused.ownerEmail()).isEqualTo(EMAIL);
                    assertThat(refused.getMessage()).isEqualTo("the owner user (id " + uid + "-owner) has email "
                            + EMAIL + ", not spec.owner.email new@acme.test: the operator makes the owner once and "
                            + "never changes a user (the app may have changed this email itself), nor makes a "
                            + "second owner. Set spec.owner.email back to " + EMAIL + "; to give the owner the new "
                            + "email, change it in the app, where the operator then finds it; nothing was written");
                });
        assertThat(calls).as("read only").containsExactly("run");
        assertThat(one()).containsAllEntriesOf(columns("email", EMAIL));

        // The app changes the email itself: the spec follows, and the operator is content again.
        sql.query("UPDATE users SET email = 'new@acme.test'");
        assertThat(assertSteady(spec("new@acme.test", null), uid + "-owner").ownerId()).isEqualTo(uid + "-owner");
        assertThatThrownBy(() -> owner.ensure(uid, null, spec(EMAIL, null), "Acme"))
                .as("and the old email is now the one that differs").isInstanceOf(Refused.class);
        assertThat(count()).isOne();
    }

    @Test
    void anAdoptedOwnerIsRecognizedByItsRememberedIdAfterAnEmailChange() {
        sql.query("INSERT INTO users (id, email, role) VALUES ('sdk-user', ?, 'owner')", EMAIL);
        sql.query("INSERT INTO users (id, email, role) VALUES ('colleague', 'colleague@acme.test', 'member')");
        String ownerId = owner.ensure(uid, null, spec(EMAIL, null), "Acme").ownerId();
        calls.clear();

        assertThatThrownBy(() -> owner.ensure(uid, ownerId, spec("colleague@acme.test", null), "Acme"))
                .isInstanceOfSatisfying(Refused.class, refused -> {
                    assertThat(refused.ownerId()).isEqualTo("sdk-user");
                    assertThat(refused.getMessage()).contains(", which user colleague holds")
                            .contains("(or make user colleague the owner there)");
                });
        assertThatThrownBy(() -> owner.ensure(uid, ownerId, spec("new@acme.test", null), "Acme"))
                .isInstanceOf(Refused.class);
        assertThat(calls).containsExactly("run", "run");
        assertThat(sql.query("SELECT id, role FROM users ORDER BY id")).extracting(row -> row.get("id") + ":"
                + row.get("role")).containsExactly("colleague:member", "sdk-user:owner");
    }

    @Test
    void aCrashAfterTheInsertFindsTheRowAndWritesNothing() {
        // The insert landed, the reconcile died before it recorded anything.
        sql.query("INSERT INTO users (id, email, name, role, status) VALUES (?, ?, 'Acme', 'owner', 1)",
                uid + "-owner", EMAIL);

        assertThat(owner.ensure(uid, null, spec(EMAIL, null), "Acme"))
                .isEqualTo(new Outcome(false, uid + "-owner", false, "owner", null));
        assertThat(calls).containsExactly("run");
        assertThat(count()).isOne();
    }

    @Test
    void aUserTheAppInsertsBetweenTheReadAndTheWriteIsAdoptedNotDuplicated() {
        beforeWrite.set(() -> sql.query("INSERT INTO users (id, email, role) VALUES ('app-user', ?, 'member')",
                EMAIL));

        Outcome outcome = owner.ensure(uid, null, spec(EMAIL, null), "Acme");

        assertThat(outcome).isEqualTo(new Outcome(false, "app-user", true, "member", null));
        assertThat(calls).containsExactly("run", "batch");
        assertThat(one()).containsAllEntriesOf(columns("id", "app-user", "role", "member"));
    }

    @Test
    void concurrentEnsuresMakeOneOwner() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Outcome> outcomes = new ArrayList<>();
        try {
            List<Future<Outcome>> results = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                results.add(pool.submit(() -> owner.ensure(uid, null, spec(EMAIL, null), "Acme")));
            }
            for (Future<Outcome> result : results) {
                outcomes.add(result.get());
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(outcomes).extracting(Outcome::ownerId).containsOnly(uid + "-owner");
        assertThat(outcomes).filteredOn(Outcome::wrote).as("inserted by exactly one").hasSize(1);
        assertThat(count()).isOne();
    }

    @Test
    void aSoftDeletedOwnerStaysDeletedAndAHardDeletedOneIsMadeAgain() {
        owner.ensure(uid, null, spec(EMAIL, null), "Acme");
        sql.query("UPDATE users SET deleted_at = '2025-01-02T03:04:05.000Z'");

        assertThat(assertSteady(spec(EMAIL, null), uid + "-owner"))
                .isEqualTo(new Outcome(false, uid + "-owner", false, "owner", "2025-01-02T03:04:05.000Z"));

        sql.query("DELETE FROM users");
        assertThat(owner.ensure(uid, uid + "-owner", spec(EMAIL, null), "Acme").wrote()).isTrue();
        assertThat(one().get("deleted_at")).isNull();
    }

    @Test
    void aDatabaseWithoutAUsersTableIsRefusedInWords() {
        open(List.of());
        calls.clear();

        assertThatThrownBy(() -> owner.ensure(uid, null, spec(EMAIL, null), "Acme"))
                .isInstanceOfSatisfying(Refused.class, refused -> {
                    assertThat(refused.reason()).isEqualTo("UsersTableUnfit");
                    assertThat(refused.getMessage()).startsWith("the organization database has no users table the "
                            + "owner fits in (").contains("no such table: users");
                });
        assertThat(calls).containsExactly("run");
    }

    // ---- helpers

    private static OwnerSpec spec(String email, String name) {
        OwnerSpec spec = new OwnerSpec();
        spec.setEmail(email);
        spec.setName(name);
        return spec;
    }

    /** Ensures again and checks it only read. */
    private Outcome assertSteady(OwnerSpec spec, String knownOwnerId) {
        calls.clear();
        Outcome outcome = owner.ensure(uid, knownOwnerId, spec, "Acme");
        assertThat(outcome.wrote()).isFalse();
        assertThat(calls).as("a steady state reads once and writes nothing").containsExactly("run");
        return outcome;
    }

    private long count() {
        return sql.query("SELECT count(*) AS n FROM users").get(0).getLong("n");
    }

    private Map<String, Object> one() {
        List<Row> rows = sql.query("SELECT * FROM users");
        assertThat(rows).hasSize(1);
        return rows.get(0).asMap();
    }

    private static Map<String, Object> columns(Object... namesAndValues) {
        Map<String, Object> columns = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            columns.put((String) namesAndValues[i], namesAndValues[i + 1]);
        }
        return columns;
    }
}
