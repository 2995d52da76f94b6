package dev.kuratchi.operator.dodatabase;

import static dev.kuratchi.operator.dodatabase.DoDatabaseReconciler.READY;
import static dev.kuratchi.operator.dodatabase.DoDatabaseReconciler.SCHEMA_APPLIED;
import static dev.kuratchi.operator.dodatabase.DoDatabaseReconciler.TOKEN_ISSUED;
import static dev.kuratchi.operator.status.Conditions.FALSE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.kuratchi.client.gateway.GatewayClient;
import dev.kuratchi.client.gateway.GatewayConnection;
import dev.kuratchi.client.gateway.GatewayException;
import dev.kuratchi.client.token.DatabaseToken;
import dev.kuratchi.client.token.GatewayKey;
import dev.kuratchi.client.token.Tokens;
import dev.kuratchi.operator.support.OperatorHarness;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Crashes and failures between any two steps: no pending revocation is lost, no intermediate token leaks, renewal
 * never waits on the schema, Secret writes keep what others put there, and every failure is a condition.
 */
class FailureSafetyTest {
    private static OperatorHarness harness;
    private static DoDatabases dbs;

    @BeforeAll
    static void start() {
        harness = new OperatorHarness(Map.of());
        dbs = new DoDatabases(harness.client());
    }

    @AfterAll
    static void stop() throws Exception {
        harness.close();
    }

    private static void putToken(String namespace, String secret, String token) {
        harness.client().secrets().inNamespace(namespace).withName(secret).edit(s -> new SecretBuilder(s)
                .addToData("token", Base64.getEncoder().encodeToString(token.getBytes(StandardCharsets.UTF_8))).build());
    }

    @Test
    void aSecretRestoredFromABackupWithAnOlderRevokedTokenIsReplacedNotKept() {
        dbs.create("backup", "restored", spec -> { });
        dbs.awaitReady("backup", "restored");
        String backedUp = dbs.token("backup", "restored-db");
        dbs.annotate("backup", "restored", DoDatabase.ROTATE_ANNOTATION, "1");
        await().atMost(Duration.ofSeconds(30)).until(() -> !dbs.token("backup", "restored-db").equals(backedUp));
        String current = dbs.token("backup", "restored-db");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> DoDatabases.assertRevoked(harness.app(backedUp)));

        putToken("backup", "restored-db", backedUp);
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            String now = dbs.token("backup", "restored-db");
            return !now.equals(backedUp) && !now.equals(current);
        });
        assertThat(dbs.condition("backup", "restored", TOKEN_ISSUED).getMessage()).contains("another token than status");
        assertThat(harness.app(dbs.token("backup", "restored-db")).query("SELECT 1")).hasSize(1);
        // The token status named is replaced too, and revoked after the grace period.
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> DoDatabases.assertRevoked(harness.app(current)));
    }

    @Test
    void aTokenWrittenBeforeACrashLostItsStatusUpdateIsRevokedWhenReplaced() {
        dbs.create("crash", "interrupted", spec -> { });
        DoDatabase ready = dbs.awaitReady("crash", "interrupted");
        String named = dbs.token("crash", "interrupted-db");
        // What the Secret holds when the operator wrote a new token and died before status named it.
        String orphan = new Tokens(GatewayKey.of(OperatorHarness.GATEWAY_KEY), java.time.Clock.systemUTC())
                .issue("interrupted", Duration.ofDays(30), ready.getStatus().getEpoch()).reveal();
        assertThat(harness.app(orphan).query("SELECT 1")).as("the orphan works until replaced").hasSize(1);
        putToken("crash", "interrupted-db", orphan);
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            String now = dbs.token("crash", "interrupted-db");
            return !now.equals(orphan) && !now.equals(named);
        });
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            DoDatabases.assertRevoked(harness.app(orphan));
            DoDatabases.assertRevoked(harness.app(named));
        });
        assertThat(harness.app(dbs.token("crash", "interrupted-db")).query("SELECT 1")).hasSize(1);
        assertThat(dbs.get("crash", "interrupted").getStatus().getPendingRevocations()).isNull();
    }

    @Test
    void aFailingRevocationKeepsItsPendingEntryUntilItSucceeds() {
        dbs.create("revoke", "stubborn", spec -> { });
        dbs.awaitReady("revoke", "stubborn");
        String replaced = dbs.token("revoke", "stubborn-db");
        harness.emulator().fault("{\"target\": \"workers\", \"method\": \"POST\", \"path\": \"/" + OperatorHarness.SCRIPT
                + "/admin/databases/stubborn/revocations\", \"kind\": \"status\", \"status\": 503, \"count\": 1000}");
        try {
            dbs.annotate("revoke", "stubborn", DoDatabase.ROTATE_ANNOTATION, "1");
            dbs.awaitCondition("revoke", "stubborn", TOKEN_ISSUED, FALSE, "GatewayUnavailable");
            DoDatabase failing = dbs.get("revoke", "stubborn");
            assertThat(failing.getStatus().getPendingRevocations()).extracting(PendingRevocation::tokenId)
                    .containsExactly(DatabaseToken.parse(replaced).tokenId());
            assertThat(failing.getStatus().getToken().id()).isEqualTo(DatabaseToken.parse(dbs.token("revoke",
                    "stubborn-db")).tokenId());
            assertThat(harness.app(replaced).query("SELECT 1")).as("not revoked yet").hasSize(1);
        } finally {
            harness.emulator().clearFaults();
        }
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> DoDatabases.assertRevoked(harness.app(replaced)));
        dbs.awaitReady("revoke", "stubborn");
        assertThat(dbs.get("revoke", "stubborn").getStatus().getPendingRevocations()).isNull();
    }

    @Test
    void aShortenedTtlReissuesTheTokenWithTheNewLifetime() {
        dbs.create("ttl", "shortened", spec -> { });
        dbs.awaitReady("ttl", "shortened");
        harness.client().resources(DoDatabase.class).inNamespace("ttl").withName("shortened").edit(d -> {
            TokenSpec token = new TokenSpec();
            token.setTtl("1h");
            d.getSpec().setToken(token);
            return d;
        });
        await().atMost(Duration.ofSeconds(30)).until(() -> DatabaseToken.parse(dbs.token("ttl", "shortened-db")).expiresAt()
                .isBefore(Instant.now().plus(Duration.ofHours(2))));
        assertThat(dbs.condition("ttl", "shortened", TOKEN_ISSUED).getMessage()).contains("ttl was shortened");
    }

    /**
     * A Ready database whose schema is the ConfigMap {@code configMap} (one migration creating {@code table}), with a
     * 30m token renewed 10m before expiry; returns the token its Secret holds.
     */
    private static String readyWithSchema(String namespace, String name, String configMap, String table) {
        dbs.migrations(namespace, configMap, Map.of("0001_" + table + ".sql",
                "CREATE TABLE " + table + " (id INTEGER);"));
        dbs.create(namespace, name,
                DoDatabases.fromConfigMap(configMap).andThen(DoDatabases.tokenLifetime("30m", "10m")));
        dbs.awaitReady(namespace, name);
        return dbs.token(namespace, name + "-db");
    }

    /** Moves the operator's clock past the renewal time of {@code before}, has it look, and waits for a new token. */
    private static void awaitRenewalOf(String namespace, String name, String before) {
        harness.clock().advance(Duration.ofMinutes(21));
        dbs.annotate(namespace, name, "touched", "past-renewal");
        await().atMost(Duration.ofSeconds(30)).until(() -> !dbs.token(namespace, name + "-db").equals(before));
    }

    /** Adds a migration to the ConfigMap {@code configMap}. */
    private static void addMigration(String namespace, String configMap, String key, String sql) {
        harness.client().configMaps().inNamespace(namespace).withName(configMap)
                .edit(cm -> new ConfigMapBuilder(cm).addToData(key, sql).build());
    }

    @Test
    void renewalAndRevocationDoNotWaitOnAMissingConfigMapOrAFailingMigration() {
        String before = readyWithSchema("schema-down", "shop", "shop-schema", "items");
        harness.client().configMaps().inNamespace("schema-down").withName("shop-schema").delete();
        dbs.awaitCondition("schema-down", "shop", SCHEMA_APPLIED, FALSE, "ConfigMapNotFound");

        awaitRenewalOf("schema-down", "shop", before);
        assertThat(dbs.condition("schema-down", "shop", TOKEN_ISSUED).getReason()).isEqualTo("Renewed");
        assertThat(dbs.condition("schema-down", "shop", READY).getReason()).isEqualTo("ConfigMapNotFound");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> DoDatabases.assertRevoked(harness.app(before)));

        // A resource whose schema never worked still gets a token.
        dbs.migrations("schema-down", "broken", Map.of("0001_bad.sql", "CREATE TABLE (oops"));
        dbs.create("schema-down", "never-migrated", DoDatabases.fromConfigMap("broken"));
        dbs.awaitCondition("schema-down", "never-migrated", SCHEMA_APPLIED, FALSE, "MigrationFailed");
        await().atMost(Duration.ofSeconds(30)).until(() -> dbs.secret("schema-down", "never-migrated-db") != null);
        assertThat(harness.app(dbs.token("schema-down", "never-migrated-db")).query("SELECT 1")).hasSize(1);
    }

    @Test
    void aMigrationTheGatewayKeepsFailingDoesNotStopRenewal() {
        String before = readyWithSchema("schema-stuck", "slowschema", "slow", "items");
        harness.emulator().fault("{\"target\": \"workers\", \"method\": \"PUT\", \"path\": \"/" + OperatorHarness.SCRIPT
                + "/admin/databases/slowschema\", \"kind\": \"status\", \"status\": 503, \"count\": 100000}");
        try {
            addMigration("schema-stuck", "slow", "0002_more.sql", "CREATE TABLE more (id INTEGER);");
            dbs.awaitCondition("schema-stuck", "slowschema", SCHEMA_APPLIED, FALSE, "GatewayUnavailable");
            awaitRenewalOf("schema-stuck", "slowschema", before);
            assertThat(harness.app(dbs.token("schema-stuck", "slowschema-db")).query("SELECT 1")).hasSize(1);
        } finally {
            harness.emulator().clearFaults();
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> "0002_more".equals(dbs.get("schema-stuck", "slowschema")
                .getStatus().getSchemaVersion()));
    }

    @Test
    void aMigrationThatBreaksTheDatabaseObjectDoesNotStopRenewal() {
        String before = readyWithSchema("schema-full", "full", "counters", "base");
        // An AUTOINCREMENT counter run out: SQLITE_FULL, which makes workerd undo the whole call.
        addMigration("schema-full", "counters", "0002_big.sql", "CREATE TABLE big (id INTEGER PRIMARY KEY "
                + "AUTOINCREMENT); INSERT INTO big (id) VALUES (9223372036854775807); INSERT INTO big DEFAULT VALUES;");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(dbs.condition("schema-full", "full",
                SCHEMA_APPLIED).getStatus()).isEqualTo(FALSE));
        awaitRenewalOf("schema-full", "full", before);
        assertThat(harness.app(dbs.token("schema-full", "full-db")).query("SELECT 1")).hasSize(1);
    }

    @Test
    void aMigrationThatFailedIsTriedAgainAtTheNextCheckOnceSomeoneFixedTheDatabase() {
        dbs.migrations("schema-fixed", "needy", Map.of("0001_fill.sql", "INSERT INTO needed VALUES (1);"));
        dbs.create("schema-fixed", "needy", DoDatabases.fromConfigMap("needy"));
        dbs.awaitCondition("schema-fixed", "needy", SCHEMA_APPLIED, FALSE, "MigrationFailed");
        await().atMost(Duration.ofSeconds(30)).until(() -> dbs.secret("schema-fixed", "needy-db") != null);
        harness.app(dbs.token("schema-fixed", "needy-db")).exec("CREATE TABLE needed (x)");
        harness.clock().advance(Duration.ofMinutes(11));
        dbs.annotate("schema-fixed", "needy", "touched", "after-the-fix");
        dbs.awaitReady("schema-fixed", "needy");
        assertThat(dbs.get("schema-fixed", "needy").getStatus().getAppliedMigrations()).containsExactly("0001_fill");
    }

    @Test
    void aConditionEditedIntoStatusWithoutAStatusBreaksNothingAndIssuesNoExtraToken() {
        dbs.create("odd-status", "odd", spec -> { });
        dbs.awaitReady("odd-status", "odd");
        harness.client().resources(DoDatabase.class).inNamespace("odd-status").withName("odd").editStatus(d -> {
            List<io.fabric8.kubernetes.api.model.Condition> conditions = new java.util.ArrayList<>(
                    d.getStatus().getConditions());
            conditions.add(new io.fabric8.kubernetes.api.model.ConditionBuilder().withType("ExampleDotComHealthy")
                    .build());
            d.getStatus().setConditions(conditions);
            return d;
        });
        String before = dbs.token("odd-status", "odd-db");
        dbs.annotate("odd-status", "odd", DoDatabase.ROTATE_ANNOTATION, "1");
        await().atMost(Duration.ofSeconds(30)).until(() -> "1".equals(dbs.get("odd-status", "odd").getStatus()
                .getLastRotation()));
        String rotated = dbs.token("odd-status", "odd-db");
        assertThat(rotated).isNotEqualTo(before);
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5))
                .until(() -> dbs.token("odd-status", "odd-db").equals(rotated));
        dbs.awaitReady("odd-status", "odd");
    }

    @Test
    void migrationsLargerThanTheGatewayTakesAreAConditionAndTheTokenIsStillIssued() {
        dbs.migrations("too-large", "huge", Map.of("0001_huge.sql",
                "CREATE TABLE t (x TEXT DEFAULT '" + "x".repeat(1_100_000) + "');"));
        dbs.create("too-large", "huge", DoDatabases.fromConfigMap("huge"));
        dbs.awaitCondition("too-large", "huge", SCHEMA_APPLIED, FALSE, "MigrationsTooLarge");
        assertThat(dbs.condition("too-large", "huge", READY).getReason()).isEqualTo("MigrationsTooLarge");
        await().atMost(Duration.ofSeconds(30)).until(() -> dbs.secret("too-large", "huge-db") != null);
        assertThat(harness.app(dbs.token("too-large", "huge-db")).query("SELECT 1")).hasSize(1);
    }

    @Test
    void aNameTooLongForTheDefaultSecretIsAConditionNotARetryLoop() {
        String name = "n".repeat(251);
        dbs.create("long-names", name, spec -> spec.setDatabaseName("long-name"));
        dbs.awaitCondition("long-names", name, READY, FALSE, "InvalidSecretName");
        assertThat(dbs.condition("long-names", name, READY).getMessage()).contains("set spec.secret.name");
    }

    @Test
    void secretWritesKeepTheLabelsAnnotationsAndFinalizersOthersPutThere() {
        dbs.create("foreign", "shared", spec -> { });
        dbs.awaitReady("foreign", "shared");
        harness.client().secrets().inNamespace("foreign").withName("shared-db").edit(s -> new SecretBuilder(s)
                .editMetadata().addToLabels("reloader", "enabled").addToAnnotations("backup.example/include", "true")
                .addToFinalizers("example.com/keep").endMetadata().build());
        String before = dbs.token("foreign", "shared-db");
        dbs.annotate("foreign", "shared", DoDatabase.ROTATE_ANNOTATION, "1");
        await().atMost(Duration.ofSeconds(30)).until(() -> !dbs.token("foreign", "shared-db").equals(before));
        Secret secret = dbs.secret("foreign", "shared-db");
        assertThat(secret.getMetadata().getLabels()).containsEntry("reloader", "enabled");
        assertThat(secret.getMetadata().getAnnotations()).containsEntry("backup.example/include", "true");
        assertThat(secret.getMetadata().getFinalizers()).contains("example.com/keep");
        harness.client().secrets().inNamespace("foreign").withName("shared-db").edit(s -> new SecretBuilder(s)
                .editMetadata().removeFromFinalizers("example.com/keep").endMetadata().build());
    }
}
