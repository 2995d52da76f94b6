package dev.kuratchi.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kuratchi.client.token.DatabaseNames;
import dev.kuratchi.operator.dodatabase.DoDatabase;
import dev.kuratchi.operator.dodatabase.DoDatabases;
import dev.kuratchi.operator.status.Conditions;
import dev.kuratchi.operator.support.EmulatorProcess;
import dev.kuratchi.operator.support.OperatorHarness;
import dev.kuratchi.operator.support.RealCluster;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The operator against the real kube-apiserver, driven with kubectl as users drive it. */
class RealClusterE2ETest {
    private static RealCluster cluster;

    private static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void startCluster() {
        cluster = RealCluster.shared();
    }

    static void namespace(String name) {
        RealCluster.shared().client().resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
                .serverSideApply();
    }

    private static Path manifest(String yaml) throws Exception {
        Path file = Files.createTempFile("dodb-", ".yaml");
        Files.writeString(file, yaml);
        return file;
    }

    @Test
    void kubectlApplyOfTheExampleBecomesReadyWithPrinterColumnsAndFieldDocs() throws Exception {
        namespace("e2e-example");
        try (OperatorHarness harness = new OperatorHarness(cluster, false, EmulatorProcess.start(), Map.of())) {
            RealCluster.Result applied = cluster.kubectl("apply", "-n", "e2e-example", "-f", "examples/dodatabase.yaml");
            assertThat(applied.exitCode()).as(applied.output()).isZero();
            assertThat(applied.output()).contains("dodatabase.kuratchi.dev/shop created");
            DoDatabase ready = new DoDatabases(cluster.client()).awaitReady("e2e-example", "shop");
            assertThat(ready.getStatus().getAppliedMigrations()).containsExactly("0001_items", "0002_orders");

            Secret secret = cluster.client().secrets().inNamespace("e2e-example").withName("shop-db").get();
            assertThat(secret.getMetadata().getLabels()).containsEntry("app", "shop");
            var gateway = DoDatabases.gateway(secret);
            gateway.query("INSERT INTO items (name, price) VALUES (?, ?)", "pear", 2.5);
            assertThat(gateway.query("SELECT count(*) AS n FROM items").get(0).getLong("n")).isEqualTo(1L);

            RealCluster.Result table = cluster.kubectl("get", "dodb", "-n", "e2e-example");
            assertThat(table.output().lines().filter(l -> l.startsWith("NAME")).findFirst().orElseThrow().split("\\s+"))
                    .as(table.output()).containsExactly("NAME", "READY", "DATABASE", "SECRET", "EXPIRES", "AGE");
            assertThat(table.output().lines().filter(l -> l.startsWith("shop")).findFirst().orElseThrow())
                    .containsPattern("^shop\\s+True\\s+shop\\s+shop-db\\s+"
                            + java.util.regex.Pattern.quote(ready.getStatus().getToken().notAfter()) + "\\s+\\S");
            RealCluster.Result explainSpec = cluster.kubectl("explain", "dodatabase.spec");
            assertThat(explainSpec.output()).as(explainSpec.output()).contains("The database you want");
            RealCluster.Result explainCondition = cluster.kubectl("explain", "dodatabase.status.conditions.reason");
            assertThat(explainCondition.output()).as(explainCondition.output()).contains("CamelCase");
            RealCluster.Result explain = cluster.kubectl("explain", "dodatabase.spec.databaseName");
            assertThat(explain.output()).contains("Name of the database in the gateway", "Immutable");
            RealCluster.Result explainStatus = cluster.kubectl("explain", "dodatabase.status.conditions");
            assertThat(explainStatus.output()).contains("WorkerDeployed");
        }
    }

    @Test
    void theApiServerAppliesTheDatabaseNameRuleOfTheSharedVectors() throws Exception {
        namespace("e2e-names");
        JsonNode vectors = JSON.readTree(Path.of("../worker/test/vectors/names.json").toFile());
        ArrayNode valid = JSON.createArrayNode();
        int i = 0;
        for (JsonNode name : vectors.get("valid")) {
            valid.add(doDatabaseWithName("valid-" + i++, name.asText()));
        }
        ObjectNode list = JSON.createObjectNode().put("apiVersion", "v1").put("kind", "List");
        list.set("items", valid);
        RealCluster.Result accepted = cluster.kubectl("create", "--dry-run=server", "-n", "e2e-names", "-f",
                manifest(JSON.writeValueAsString(list)).toString());
        assertThat(accepted.exitCode()).as(accepted.output()).isZero();
        for (JsonNode name : vectors.get("invalid")) {
            RealCluster.Result refused = cluster.kubectl("create", "--dry-run=server", "-n", "e2e-names", "-f",
                    manifest(JSON.writeValueAsString(doDatabaseWithName("invalid", name.asText()))).toString());
            assertThat(refused.exitCode()).as(name.toString()).isNotZero();
            assertThat(refused.output()).as(name.toString()).contains("spec.databaseName");
        }
    }

    private static ObjectNode doDatabaseWithName(String name, String databaseName) {
        ObjectNode resource = JSON.createObjectNode().put("apiVersion", "kuratchi.dev/v1alpha1").put("kind", "DoDatabase");
        resource.putObject("metadata").put("name", name);
        resource.putObject("spec").put("databaseName", databaseName);
        return resource;
    }

    @Test
    void admissionRejectsBadSpecsWithTheMessageKubectlShows() throws Exception {
        namespace("e2e-admission");
        RealCluster.Result badName = cluster.kubectl("apply", "-n", "e2e-admission", "-f", manifest("""
                apiVersion: kuratchi.dev/v1alpha1
                kind: DoDatabase
                metadata: {name: bad}
                spec: {databaseName: Bad.Name}
                """).toString());
        assertThat(badName.exitCode()).isNotZero();
        assertThat(badName.output()).contains("spec.databaseName", "should match '" + DatabaseNames.PATTERN + "'");

        RealCluster.Result both = cluster.kubectl("apply", "-n", "e2e-admission", "-f", manifest("""
                apiVersion: kuratchi.dev/v1alpha1
                kind: DoDatabase
                metadata: {name: both}
                spec: {schema: {builtIn: organization, configMap: mine}}
                """).toString());
        assertThat(both.output()).contains("set either builtIn or configMap, not both");

        String original = """
                apiVersion: kuratchi.dev/v1alpha1
                kind: DoDatabase
                metadata: {name: fixed}
                spec: {databaseName: first-name}
                """;
        assertThat(cluster.kubectl("apply", "-n", "e2e-admission", "-f", manifest(original).toString()).exitCode()).isZero();
        RealCluster.Result changed = cluster.kubectl("apply", "-n", "e2e-admission", "-f",
                manifest(original.replace("first-name", "second-name")).toString());
        assertThat(changed.exitCode()).isNotZero();
        assertThat(changed.output()).contains("databaseName is immutable");
        RealCluster.Result removed = cluster.kubectl("apply", "-n", "e2e-admission", "-f",
                manifest(original.replace("spec: {databaseName: first-name}", "spec: {}")).toString());
        assertThat(removed.output()).contains("databaseName is immutable");

        Map<String, String> refused = Map.of(
                "spec: {token: {ttl: 1m}}", "ttl must be from 10m to 8760h",
                "spec: {token: {ttl: 9000h}}", "ttl must be from 10m to 8760h",
                "spec: {token: {ttl: 30d}}", "spec.token.ttl in body should match",
                "spec: {token: {ttl: 99999999999h}}", "spec.token.ttl in body should match",
                "spec: {token: {ttl: 1h, renewBefore: 56m}}", "renewBefore must leave at least 5m between renewals",
                "spec: {token: {renewBefore: 719h56m}}", "renewBefore must leave at least 5m between renewals");
        for (Map.Entry<String, String> bad : refused.entrySet()) {
            RealCluster.Result result = cluster.kubectl("apply", "-n", "e2e-admission", "-f", manifest("""
                    apiVersion: kuratchi.dev/v1alpha1
                    kind: DoDatabase
                    metadata: {name: bounds}
                    %s
                    """.formatted(bad.getKey())).toString());
            assertThat(result.exitCode()).as(bad.getKey()).isNotZero();
            assertThat(result.output()).as(bad.getKey()).contains(bad.getValue());
        }
        RealCluster.Result longName = cluster.kubectl("apply", "-n", "e2e-admission", "-f", manifest("""
                apiVersion: kuratchi.dev/v1alpha1
                kind: DoDatabase
                metadata: {name: %s}
                spec: {databaseName: long}
                """.formatted("n".repeat(251))).toString());
        assertThat(longName.output()).contains("too long for the default Secret name");
    }

    @Test
    void theOwnedSecretIsCollectedByTheRealGarbageCollector() throws Exception {
        namespace("e2e-gc");
        try (OperatorHarness harness = new OperatorHarness(cluster, false, EmulatorProcess.start(), Map.of())) {
            DoDatabases dbs = new DoDatabases(cluster.client());
            dbs.create("e2e-gc", "collected", spec -> { });
            dbs.awaitReady("e2e-gc", "collected");
        }
        // With the operator stopped, only the owner reference can take the Secret away.
        assertThat(cluster.client().secrets().inNamespace("e2e-gc").withName("collected-db").get()).isNotNull();
        assertThat(cluster.kubectl("patch", "dodb", "collected", "-n", "e2e-gc", "--type=merge", "-p",
                "{\"metadata\":{\"finalizers\":null}}").exitCode()).isZero();
        assertThat(cluster.kubectl("delete", "dodb", "collected", "-n", "e2e-gc").exitCode()).isZero();
        await().atMost(Duration.ofSeconds(60)).until(() ->
                cluster.client().secrets().inNamespace("e2e-gc").withName("collected-db").get() == null);
    }

    static String token(Secret secret) {
        return new String(Base64.getDecoder().decode(secret.getData().get("token")));
    }

    static boolean ready(DoDatabase db) {
        return db.getStatus() != null && Conditions.isTrue(db.getStatus().getConditions(), "Ready");
    }
}
