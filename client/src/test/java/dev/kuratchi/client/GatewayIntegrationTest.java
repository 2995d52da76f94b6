package dev.kuratchi.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kuratchi.client.admin.AdminClient;
import dev.kuratchi.client.admin.DatabaseInfo;
import dev.kuratchi.client.admin.Migration;
import dev.kuratchi.client.admin.ProvisionResult;
import dev.kuratchi.client.gateway.GatewayClient;
import dev.kuratchi.client.gateway.GatewayException;
import dev.kuratchi.client.gateway.GatewayTransport;
import dev.kuratchi.client.gateway.Row;
import dev.kuratchi.client.gateway.Statement;
import dev.kuratchi.client.schema.SchemaSql;
import dev.kuratchi.client.schema.Schemas;
import dev.kuratchi.client.support.WorkerProcess;
import dev.kuratchi.client.token.DatabaseToken;
import dev.kuratchi.client.token.GatewayKey;
import dev.kuratchi.client.token.Tokens;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every client call against the real gateway Worker running in workerd. */
class GatewayIntegrationTest {
    private static final String KEY = "client-integration-gateway-key";
    private static WorkerProcess worker;
    private static AdminClient admin;
    private static Tokens tokens;

    @BeforeAll
    static void startWorker() {
        worker = WorkerProcess.start(KEY);
        admin = new AdminClient(worker.url(), GatewayKey.of(KEY), GatewayTransport.withDefaults());
        tokens = new Tokens(GatewayKey.of(KEY), Clock.systemUTC());
        admin.provision("types", List.of(new Migration("0001",
                "CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n TEXT);")));
    }

    @AfterAll
    static void stopWorker() throws Exception {
        worker.close();
    }

    private static GatewayClient client(String database) {
        return GatewayClient.builder().connection(worker.url(), tokens.issue(database, Duration.ofMinutes(5))).build();
    }

    @Test
    void valuesComeBackTyped() {
        GatewayClient db = client("types");
        byte[] blob = {0, 1, (byte) 254, (byte) 255};
        db.run(Statement.of("INSERT INTO t VALUES (?, ?, ?, ?, ?)", 9_007_199_254_740_991L, 2.5, "héllo", blob, null));
        Row row = db.first(Statement.of("SELECT * FROM t WHERE s = ?", "héllo")).orElseThrow();
        assertThat(row.getLong("i")).isEqualTo(9_007_199_254_740_991L);
        assertThat(row.getDouble("r")).isEqualTo(2.5);
        assertThat(row.getString("s")).isEqualTo("héllo");
        assertThat(row.getBytes("b")).containsExactly(blob);
        assertThat(row.isNull("n")).isTrue();
        assertThatThrownBy(() -> Statement.of("SELECT ?", 9_007_199_254_740_993L)).hasMessageContaining("2^53");
    }

    @Test
    void everyDataPlaneCall() {
        GatewayClient db = client("calls");
        assertThat(db.exec("CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v INTEGER); DELETE FROM kv").rowsWritten())
                .isGreaterThanOrEqualTo(0);
        // Two rows, each also written to the primary-key index.
        assertThat(db.run(Statement.of("INSERT INTO kv VALUES (?, ?), (?, ?)", "a", 1, "b", 2)).rowsWritten()).isEqualTo(4);
        assertThat(db.query("SELECT k FROM kv ORDER BY k")).extracting(r -> r.getString("k")).containsExactly("a", "b");
        assertThat(db.batch(List.of(Statement.of("UPDATE kv SET v = v + 10"), Statement.of("SELECT sum(v) AS s FROM kv"))))
                .satisfiesExactly(first -> assertThat(first).isEmpty(),
                        second -> assertThat(second.get(0).getLong("s")).isEqualTo(23L));
        assertThat(db.first(Statement.of("SELECT * FROM kv WHERE k = ?", "zzz"))).isEmpty();
        assertThat(db.firstValue(Statement.of("SELECT v FROM kv WHERE k = ?", "a"), "v")).contains(11L);
        assertThat(db.raw(Statement.of("SELECT k, v FROM kv ORDER BY k"), true))
                .containsExactly(List.of("k", "v"), List.of("a", 11L), List.of("b", 12L));
        assertThat(db.databaseName()).isEqualTo("calls");
    }

    @Test
    void errorsCarryStatusCodeAndSqliteCodeButNeverTheToken() {
        DatabaseToken token = tokens.issue("errors", Duration.ofMinutes(5));
        GatewayClient db = GatewayClient.builder().connection(worker.url(), token).build();
        db.exec("CREATE TABLE IF NOT EXISTS u (id INTEGER PRIMARY KEY)");
        assertThatThrownBy(() -> db.query("SELEC 1")).isInstanceOfSatisfying(GatewayException.class, e -> {
            assertThat(e.status()).isEqualTo(400);
            assertThat(e.code()).isEqualTo("sql_error");
            assertThat(e.sqliteCode()).isEqualTo("SQLITE_ERROR");
            assertThat(e.getMessage()).contains("syntax error").doesNotContain(token.reveal());
        });
        assertThatThrownBy(() -> db.batch(List.of(Statement.of("INSERT INTO u VALUES (1)"),
                Statement.of("INSERT INTO u VALUES (2)"), Statement.of("INSERT INTO u VALUES (1)"))))
                .isInstanceOfSatisfying(GatewayException.class, e -> {
                    assertThat(e.statementIndex()).isEqualTo(2);
                    assertThat(e.sqliteCode()).isEqualTo("SQLITE_CONSTRAINT");
                });
        assertThat(db.query("SELECT count(*) AS n FROM u").get(0).getLong("n")).isZero();
    }

    @Test
    void aTokenForDatabaseAIsRefusedOnB() {
        DatabaseToken forA = tokens.issue("tenant-a", Duration.ofMinutes(5));
        GatewayClient onA = GatewayClient.builder().connection(worker.url(), forA).build();
        assertThat(onA.query("SELECT 1 AS one").get(0).getLong("one")).isEqualTo(1L);
        assertThatThrownBy(() -> GatewayClient.builder()
                .connectionSource(new dev.kuratchi.client.gateway.GatewayConnection(worker.url(), "tenant-b", forA))
                .build()).hasMessageContaining("not 'tenant-b'");
        // Sent by hand past the client's own check, the gateway refuses it too.
        GatewayTransport transport = GatewayTransport.withDefaults();
        assertThatThrownBy(() -> transport.call("POST", java.net.URI.create(worker.url() + "/api/run"),
                java.util.Map.of("x-db-name", "tenant-b", "authorization", "Bearer " + forA.reveal()),
                java.util.Map.of("query", "SELECT 1"), true))
                .isInstanceOfSatisfying(GatewayException.class, e -> {
                    assertThat(e.status()).isEqualTo(401);
                    assertThat(e.code()).isEqualTo("token_db_mismatch");
                });
    }

    @Test
    void expiredAndRevokedTokensAreRefused() {
        DatabaseToken expired = Tokens.sign(GatewayKey.of(KEY), "refused", "0123456789abcdef0123456789abcdef",
                Instant.now().minusSeconds(5).toEpochMilli());
        assertThatThrownBy(() -> GatewayClient.builder().connection(worker.url(), expired).build().query("SELECT 1"))
                .isInstanceOfSatisfying(GatewayException.class, e -> assertThat(e.code()).isEqualTo("token_expired"));

        DatabaseToken token = tokens.issue("refused", Duration.ofMinutes(5));
        GatewayClient db = GatewayClient.builder().connection(worker.url(), token).build();
        db.query("SELECT 1");
        assertThat(admin.revoke("refused", List.of(token.tokenId()), token.expiresAt())).isEqualTo(1);
        assertThatThrownBy(() -> db.query("SELECT 1"))
                .isInstanceOfSatisfying(GatewayException.class, e -> assertThat(e.code()).isEqualTo("token_revoked"));
    }

    @Test
    void kuratchiSdkHeaderFormWithTheGatewayKey() {
        GatewayClient legacy = GatewayClient.builder().connection(worker.url(), tokens.issue("legacy", Duration.ofMinutes(1)))
                .legacyGatewayKey(GatewayKey.of(KEY)).build();
        assertThat(legacy.query("SELECT 2 AS two").get(0).getLong("two")).isEqualTo(2L);
        GatewayClient wrongKey = GatewayClient.builder()
                .connection(worker.url(), tokens.issue("legacy", Duration.ofMinutes(1)))
                .legacyGatewayKey(GatewayKey.of("not-the-key")).build();
        assertThatThrownBy(() -> wrongKey.query("SELECT 1")).isInstanceOfSatisfying(GatewayException.class,
                e -> assertThat(e.code()).isEqualTo("invalid_gateway_key"));
    }

    @Test
    void adminProvisionsBothBuiltInSchemasIdempotentlyAndDeletes() {
        for (String name : Schemas.BUILT_IN) {
            String database = "builtin-" + name;
            Migration initial = SchemaSql.initialMigration(Schemas.builtIn(name));
            ProvisionResult first = admin.provision(database, List.of(initial));
            assertThat(first.applied()).containsExactly("initial");
            assertThat(admin.provision(database, List.of(initial)).applied()).isEmpty();
            DatabaseInfo info = admin.info(database);
            assertThat(info.provisioned()).isTrue();
            assertThat(info.version()).isEqualTo("initial");
            assertThat(info.tables()).containsAll(Schemas.builtIn(name).tables().stream().map(t -> t.name()).toList());
            assertThat(info.sizeBytes()).isPositive();
        }
        assertThat(admin.delete("builtin-admin")).isTrue();
        assertThat(admin.info("builtin-admin").provisioned()).isFalse();
        assertThat(admin.delete("builtin-admin")).isFalse();
        assertThatThrownBy(() -> admin.provision("bad-sql", List.of(new Migration("0001", "CREATE TABLE (oops"))))
                .isInstanceOfSatisfying(GatewayException.class, e -> assertThat(e.code()).isEqualTo("migration_failed"));
        AdminClient wrongKey = new AdminClient(worker.url(), GatewayKey.of("nope"), GatewayTransport.withDefaults());
        assertThatThrownBy(() -> wrongKey.info("x")).isInstanceOfSatisfying(GatewayException.class,
                e -> assertThat(e.status()).isEqualTo(401));
    }

    @Test
    void unreachableGatewaySaysWhere() {
        GatewayClient nowhere = GatewayClient.builder()
                .connection(java.net.URI.create("http://127.0.0.1:1"), tokens.issue("x", Duration.ofMinutes(1)))
                .transport(new GatewayTransport(null, dev.kuratchi.client.gateway.RetryPolicy.NONE, d -> { }))
                .build();
        assertThatThrownBy(() -> nowhere.query("SELECT 1")).isInstanceOfSatisfying(GatewayException.class, e -> {
            assertThat(e.code()).isEqualTo("unreachable");
            assertThat(e.getMessage()).contains("127.0.0.1:1");
        });
    }
}
