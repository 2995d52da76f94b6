package dev.kuratchi.operator.dodatabase;

import static dev.kuratchi.operator.dodatabase.DoDatabaseReconciler.READY;
import static dev.kuratchi.operator.dodatabase.DoDatabaseReconciler.SCHEMA_APPLIED;
import static dev.kuratchi.operator.dodatabase.DoDatabaseReconciler.TOKEN_ISSUED;
import static dev.kuratchi.operator.status.Conditions.FALSE;
import static dev.kuratchi.operator.status.Conditions.TRUE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.kuratchi.operator.status.Conditions;
import dev.kuratchi.operator.support.OperatorHarness;
import dev.kuratchi.client.gateway.GatewayClient;
import dev.kuratchi.client.token.DatabaseNames;
import dev.kuratchi.client.gateway.GatewayException;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.events.v1.Event;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** DoDatabase end to end: mock cluster, the operator, the emulator running the real gateway Worker. */
class DoDatabaseLifecycleTest {
    private static OperatorHarness harness;
    private static DoDatabases dbs;

    @BeforeAll
    static void start() {
        harness = new OperatorHarness(Map.of("KURATCHI_GATEWAY_KEY_NAMESPACES", "legacy"));
        dbs = new DoDatabases(harness.client());
    }

    @AfterAll
    static void stop() throws Exception {
        harness.close();
    }

    @Test
    void applyBecomesReadyAndTheSecretsTokenRunsQueriesThroughTheGateway() {
        dbs.create("apply", "acme", DoDatabases.builtIn("organization"));
        DoDatabase ready = dbs.awaitReady("apply", "acme");
        DoDatabaseStatus status = ready.getStatus();
        assertThat(status.getObservedGeneration()).isEqualTo(ready.getMetadata().getGeneration());
        assertThat(status.getDatabaseName()).isEqualTo("acme");
        assertThat(status.getSecretName()).isEqualTo("acme-db");
        assertThat(status.getAppliedMigrations()).containsExactly("initial");
        assertThat(status.getToken().id()).matches("[0-9a-f]{32}");
        for (String type : new String[] {"WorkerDeployed", "DatabaseProvisioned", "SchemaApplied", "TokenIssued", "Ready"}) {
            assertThat(Conditions.isTrue(status.getConditions(), type)).as(type).isTrue();
        }
        Secret secret = dbs.secret("apply", "acme-db");
        assertThat(DoDatabases.data(secret)).containsOnlyKeys("databaseName", "token", "endpoint", "expiresAt");
        var gateway = DoDatabases.gateway(secret);
        assertThat(gateway.query("SELECT 1 AS one").get(0).getLong("one")).isEqualTo(1L);
        assertThat(gateway.query("SELECT count(*) AS n FROM users").get(0).getLong("n")).isZero();
    }

    @Test
    void kuratchiSdkNamesWithUpperCaseAndSpacesAreDatabasesOfTheirOwn() {
        // Names kuratchi-sdk formed from organization names: Kubernetes holds them only in fields and annotations.
        dbs.create("sdk-names", "upper", spec -> spec.setDatabaseName("Acme Corp_1"));
        dbs.create("sdk-names", "lower", spec -> spec.setDatabaseName("acme corp_1"));
        DoDatabase upper = dbs.awaitReady("sdk-names", "upper");
        dbs.awaitReady("sdk-names", "lower");
        assertThat(upper.getStatus().getDatabaseName()).isEqualTo("Acme Corp_1");
        Secret secret = dbs.secret("sdk-names", "upper-db");
        assertThat(secret.getMetadata().getAnnotations()).containsEntry("kuratchi.dev/database", "Acme Corp_1");
        assertThat(DoDatabases.data(secret)).containsEntry("databaseName", "Acme Corp_1");
        var gateway = DoDatabases.gateway(secret);
        gateway.exec("CREATE TABLE only_upper (x)");
        assertThat(harness.admin().info("Acme Corp_1").tables()).contains("only_upper");
        assertThat(harness.admin().info("acme corp_1").tables()).doesNotContain("only_upper");
    }

    private static long reconciles() {
        return harness.registry().find("reconciliations.execution.duration").timers().stream()
                .mapToLong(t -> t.count()).sum();
    }

    private static void assertRefused(GatewayClient gateway, String code) {
        assertThatThrownBy(() -> gateway.query("SELECT 1")).isInstanceOfSatisfying(GatewayException.class,
                e -> assertThat(e.code()).isEqualTo(code));
    }

    @Test
    void twentyReconcilesOfAnUnchangedResourceMakeOneUploadKeepTheTokenAndWriteNothing() {
        dbs.create("steady", "steady", spec -> { });
        DoDatabase ready = dbs.awaitReady("steady", "steady");
        long uploads = harness.emulator().count("PUT", "/workers/scripts/" + OperatorHarness.SCRIPT);
        String resourceVersion = ready.getMetadata().getResourceVersion();
        Secret secret = dbs.secret("steady", "steady-db");
        String secretVersion = secret.getMetadata().getResourceVersion();
        // Each touch of the owned Secret triggers a reconcile (the operator watches its Secrets); touches that arrive
        // while one runs are folded into the next, so each waits for its own.
        for (int i = 0; i < 20; i++) {
            long before = reconciles();
            harness.client().secrets().inNamespace("steady").withName("steady-db")
                    .edit(s -> new SecretBuilder(s).editMetadata().addToAnnotations("touched", "t" + System.nanoTime())
                            .endMetadata().build());
            await().atMost(Duration.ofSeconds(10)).until(() -> reconciles() > before);
        }
        DoDatabase after = dbs.get("steady", "steady");
        assertThat(after.getMetadata().getResourceVersion()).as("no status write").isEqualTo(resourceVersion);
        assertThat(after.getStatus().getToken()).isEqualTo(ready.getStatus().getToken());
        assertThat(DoDatabases.data(dbs.secret("steady", "steady-db")).get("token"))
                .isEqualTo(DoDatabases.data(secret).get("token"));
        assertThat(harness.emulator().count("PUT", "/workers/scripts/" + OperatorHarness.SCRIPT)).isEqualTo(uploads)
                .isLessThanOrEqualTo(1);
        assertThat(secretVersion).isNotNull();
    }

    @Test
    void aTokenIsRenewedAtItsRenewalTimeAndTheOldTokenIsRevokedAfterTheGracePeriod() {
        dbs.create("renew", "renew", DoDatabases.tokenLifetime("10m", "4m"));
        DoDatabase first = dbs.awaitReady("renew", "renew");
        assertThat(Instant.parse(first.getStatus().getToken().renewalTime()))
                .isEqualTo(Instant.parse(first.getStatus().getToken().notAfter()).minus(Duration.ofMinutes(4)));
        GatewayClient oldToken = DoDatabases.gateway(dbs.secret("renew", "renew-db"));
        assertThat(oldToken.query("SELECT 1")).hasSize(1);
        harness.clock().advance(Duration.ofMinutes(6));
        dbs.annotate("renew", "renew", "touched", "after-the-renewal-time");
        await().atMost(Duration.ofSeconds(30)).until(() -> !dbs.get("renew", "renew").getStatus().getToken().id()
                .equals(first.getStatus().getToken().id()));
        assertThat(dbs.condition("renew", "renew", TOKEN_ISSUED).getReason()).isEqualTo("Renewed");
        GatewayClient newToken = DoDatabases.gateway(dbs.secret("renew", "renew-db"));
        assertThat(newToken.query("SELECT 1")).hasSize(1);
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertRefused(oldToken, "token_revoked"));
        assertThat(dbs.get("renew", "renew").getStatus().getPendingRevocations()).isNull();
    }

    @Test
    void theRotateAnnotationIssuesANewTokenAndRevokesTheOldOne() {
        dbs.create("rotate", "rotate", spec -> { });
        DoDatabase first = dbs.awaitReady("rotate", "rotate");
        GatewayClient oldToken = DoDatabases.gateway(dbs.secret("rotate", "rotate-db"));
        harness.client().resources(DoDatabase.class).inNamespace("rotate").withName("rotate")
                .edit(d -> {
                    d.getMetadata().setAnnotations(Map.of(DoDatabase.ROTATE_ANNOTATION, "2026-11-25"));
                    return d;
                });
        dbs.awaitCondition("rotate", "rotate", TOKEN_ISSUED, TRUE, "Rotated");
        // One event for the new database (its stages fold into Ready), one for the rotation.
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(harness.client().resources(Event.class)
                .inNamespace("rotate").list().getItems()).extracting(Event::getReason)
                .containsExactlyInAnyOrder("Ready", "Rotated"));
        DoDatabase rotated = dbs.get("rotate", "rotate");
        assertThat(rotated.getStatus().getToken().id()).isNotEqualTo(first.getStatus().getToken().id());
        assertThat(rotated.getStatus().getLastRotation()).isEqualTo("2026-11-25");
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertRefused(oldToken, "token_revoked"));
        assertThat(DoDatabases.gateway(dbs.secret("rotate", "rotate-db")).query("SELECT 1")).hasSize(1);
    }

    @Test
    void aSecretDeletedOrChangedByHandIsPutBack() {
        dbs.create("heal", "heal", spec -> { });
        dbs.awaitReady("heal", "heal");
        harness.client().secrets().inNamespace("heal").withName("heal-db").delete();
        await().atMost(Duration.ofSeconds(30)).until(() -> dbs.secret("heal", "heal-db") != null);
        assertThat(DoDatabases.gateway(dbs.secret("heal", "heal-db")).query("SELECT 1")).hasSize(1);
        assertThat(dbs.condition("heal", "heal", TOKEN_ISSUED).getReason()).isEqualTo("Reissued");

        String before = dbs.get("heal", "heal").getStatus().getToken().id();
        String forged = "heal.00000000000000000000000000000000.9999999999999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        harness.client().secrets().inNamespace("heal").withName("heal-db").edit(s -> new SecretBuilder(s)
                .addToData("token", Base64.getEncoder().encodeToString(forged.getBytes())).build());
        await().atMost(Duration.ofSeconds(30)).until(() -> !dbs.get("heal", "heal").getStatus().getToken().id().equals(before));
        assertThat(DoDatabases.data(dbs.secret("heal", "heal-db")).get("token")).isNotEqualTo(forged);
        assertThat(DoDatabases.gateway(dbs.secret("heal", "heal-db")).query("SELECT 1")).hasSize(1);
    }

    @Test
    void aNewMigrationInTheConfigMapIsAppliedAndShowsInStatus() {
        dbs.migrations("migrate", "shop-migrations",
                Map.of("0001_items.sql", "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"));
        dbs.create("migrate", "shop", DoDatabases.fromConfigMap("shop-migrations"));
        DoDatabase ready = dbs.awaitReady("migrate", "shop");
        assertThat(ready.getStatus().getAppliedMigrations()).containsExactly("0001_items");

        harness.client().configMaps().inNamespace("migrate").withName("shop-migrations").edit(cm -> new ConfigMapBuilder(cm)
                .addToData("0002_prices.sql", "ALTER TABLE items ADD COLUMN price REAL; CREATE INDEX items_name ON items(name);")
                .build());
        await().atMost(Duration.ofSeconds(30)).until(() -> "0002_prices".equals(dbs.get("migrate", "shop").getStatus()
                .getSchemaVersion()));
        assertThat(dbs.get("migrate", "shop").getStatus().getAppliedMigrations()).containsExactly("0001_items", "0002_prices");
        GatewayClient gateway = DoDatabases.gateway(dbs.secret("migrate", "shop-db"));
        gateway.query("INSERT INTO items (name, price) VALUES (?, ?)", "pear", 1.5);
        assertThat(gateway.query("SELECT price FROM items").get(0).getDouble("price")).isEqualTo(1.5);
    }

    @Test
    void deletionWithDeleteErasesTheDataAndWithRetainKeepsIt() {
        dbs.create("delete", "gone", spec -> spec.setDeletionPolicy(DeletionPolicy.Delete));
        dbs.create("delete", "kept", spec -> spec.setDeletionPolicy(DeletionPolicy.Retain));
        dbs.awaitReady("delete", "gone");
        dbs.awaitReady("delete", "kept");
        DoDatabases.gateway(dbs.secret("delete", "gone-db")).exec("CREATE TABLE t (x)");
        DoDatabases.gateway(dbs.secret("delete", "kept-db")).exec("CREATE TABLE t (x)");

        harness.client().resources(DoDatabase.class).inNamespace("delete").withName("gone").delete();
        harness.client().resources(DoDatabase.class).inNamespace("delete").withName("kept").delete();
        await().atMost(Duration.ofSeconds(30)).until(() -> dbs.get("delete", "gone") == null
                && dbs.get("delete", "kept") == null);
        assertThat(dbs.secret("delete", "gone-db")).isNull();
        assertThat(dbs.secret("delete", "kept-db")).isNull();
        assertThat(harness.admin().info("gone").tables()).isEmpty();
        assertThat(harness.admin().info("kept").tables()).contains("t");
    }

    @Test
    void aSecondResourceClaimingTheSameDatabaseIsAlreadyManagedAndTouchesNothing() {
        dbs.create("claim-a", "first", spec -> spec.setDatabaseName("shared-db"));
        dbs.awaitReady("claim-a", "first");
        dbs.create("claim-b", "second", spec -> spec.setDatabaseName("shared-db"));
        DoDatabase second = dbs.awaitCondition("claim-b", "second", READY, FALSE, "AlreadyManaged");
        // Which namespace holds the name is another tenant's business: the message does not say.
        assertThat(dbs.condition("claim-b", "second", READY).getMessage()).contains("already managed by another")
                .doesNotContain("claim-a");
        assertThat(dbs.secret("claim-b", "second-db")).isNull();
        assertThat(second.getStatus().getToken()).isNull();
        // Deleting the second never touches the first's database.
        harness.client().resource(second).delete();
        await().atMost(Duration.ofSeconds(20)).until(() -> dbs.get("claim-b", "second") == null);
        assertThat(DoDatabases.gateway(dbs.secret("claim-a", "first-db")).query("SELECT 1")).hasSize(1);
    }

    @Test
    void badInputsEachGiveAConditionWithAClearMessageAndHarmNothingElse() {
        dbs.create("bad", "good", spec -> { });
        dbs.create("bad", "bad-name", spec -> spec.setDatabaseName("Not.Valid"));
        dbs.create("bad", "missing-cm", DoDatabases.fromConfigMap("nope"));
        dbs.create("bad", "bad-ttl", DoDatabases.tokenLifetime("soon", null));
        dbs.create("bad", "renew-too-long", DoDatabases.tokenLifetime("2h", "3h"));
        dbs.create("bad", "renew-every-second", DoDatabases.tokenLifetime("10m", "9m59s"));
        dbs.migrations("bad", "broken", Map.of("0001_ok.sql", "CREATE TABLE ok (x);",
                "0002_bad.sql", "CREATE TABLE broken (x; -- missing paren"));
        dbs.create("bad", "bad-sql", DoDatabases.fromConfigMap("broken"));
        dbs.migrations("bad", "misnamed", Map.of("create.sql", "CREATE TABLE x (y);"));
        dbs.create("bad", "bad-key", DoDatabases.fromConfigMap("misnamed"));

        assertThat(dbs.awaitCondition("bad", "bad-name", READY, FALSE, "InvalidDatabaseName")
                .getStatus().getConditions().get(0).getMessage()).contains(DatabaseNames.RULE);
        dbs.awaitCondition("bad", "missing-cm", SCHEMA_APPLIED, FALSE, "ConfigMapNotFound");
        assertThat(dbs.condition("bad", "missing-cm", SCHEMA_APPLIED).getMessage()).contains("ConfigMap nope");
        dbs.awaitCondition("bad", "bad-ttl", READY, FALSE, "InvalidSpec");
        assertThat(dbs.condition("bad", "bad-ttl", READY).getMessage()).contains("spec.token.ttl", "720h");
        dbs.awaitCondition("bad", "renew-too-long", READY, FALSE, "InvalidSpec");
        assertThat(dbs.condition("bad", "renew-too-long", READY).getMessage()).contains("at least 5m between renewals");
        dbs.awaitCondition("bad", "renew-every-second", READY, FALSE, "InvalidSpec");
        dbs.awaitCondition("bad", "bad-sql", SCHEMA_APPLIED, FALSE, "MigrationFailed");
        assertThat(dbs.condition("bad", "bad-sql", SCHEMA_APPLIED).getMessage())
                .contains("0002_bad", "ConfigMap broken");
        assertThat(dbs.get("bad", "bad-sql").getStatus().getAppliedMigrations()).isNull();
        assertThat(harness.admin().info("bad-sql").tables()).contains("ok").doesNotContain("broken");
        dbs.awaitCondition("bad", "bad-key", SCHEMA_APPLIED, FALSE, "InvalidMigrationName");
        dbs.awaitReady("bad", "good");
        for (String name : List.of("bad-name", "bad-ttl", "renew-too-long", "renew-every-second")) {
            assertThat(dbs.secret("bad", name + "-db")).as(name).isNull();
        }
        assertThat(harness.client().resources(Event.class).inNamespace("bad").list().getItems())
                .extracting(Event::getReason).contains("MigrationFailed", "ConfigMapNotFound", "Ready");
    }

    @Test
    void aSecretOwnedBySomethingElseIsNeverOverwritten() {
        harness.client().resource(new SecretBuilder().withNewMetadata().withName("taken-db").withNamespace("conflict")
                .endMetadata().addToData("mine", Base64.getEncoder().encodeToString("do not touch".getBytes())).build())
                .create();
        dbs.create("conflict", "taken", spec -> { });
        dbs.awaitCondition("conflict", "taken", TOKEN_ISSUED, FALSE, "SecretConflict");
        assertThat(dbs.secret("conflict", "taken-db").getData()).containsOnlyKeys("mine");
    }

    @Test
    void legacyAppsCanAskForTheGatewayKeyAndTheSecretTemplateIsApplied() {
        dbs.create("legacy", "legacy", spec -> {
            SecretSpec secret = new SecretSpec();
            secret.setName("legacy-credentials");
            secret.setIncludeGatewayKey(true);
            secret.setLabels(Map.of("app", "legacy"));
            secret.setAnnotations(Map.of("team", "billing"));
            spec.setSecret(secret);
        });
        dbs.awaitReady("legacy", "legacy");
        Secret secret = dbs.secret("legacy", "legacy-credentials");
        assertThat(DoDatabases.data(secret)).containsEntry("gatewayKey", OperatorHarness.GATEWAY_KEY);
        assertThat(secret.getMetadata().getLabels()).containsEntry("app", "legacy")
                .containsEntry("app.kubernetes.io/managed-by", "kuratchi-operator")
                .as("not an organization's: the organization controller does not hold it")
                .doesNotContainKey(TokenSecret.ORGANIZATION_LABEL);
        assertThat(secret.getMetadata().getAnnotations()).containsEntry("team", "billing");
        GatewayClient legacy = GatewayClient.builder().connection(java.net.URI.create(DoDatabases.data(secret).get("endpoint")),
                dev.kuratchi.client.token.DatabaseToken.parse(DoDatabases.data(secret).get("token")))
                .legacyGatewayKey(dev.kuratchi.client.token.GatewayKey.of(DoDatabases.data(secret).get("gatewayKey")))
                .build();
        assertThat(legacy.query("SELECT 1")).hasSize(1);
        // Without the flag, the key never reaches a Secret.
        dbs.create("legacy", "modern", spec -> { });
        dbs.awaitReady("legacy", "modern");
        assertThat(DoDatabases.data(dbs.secret("legacy", "modern-db"))).doesNotContainKey("gatewayKey");
    }
}
