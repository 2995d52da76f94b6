package dev.kuratchi.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kuratchi.operator.dodatabase.DeletionPolicy;
import dev.kuratchi.operator.dodatabase.DoDatabase;
import dev.kuratchi.operator.dodatabase.DoDatabases;
import dev.kuratchi.operator.dodatabase.SchemaSource;
import dev.kuratchi.operator.support.EmulatorProcess;
import dev.kuratchi.operator.support.OperatorHarness;
import dev.kuratchi.operator.support.RealCluster;
import dev.kuratchi.operator.support.TestCluster;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.javaoperatorsdk.operator.api.config.ConfigurationServiceOverrider;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The operator with exactly the ClusterRole in deploy/, on an API server with OwnerReferencesPermissionEnforcement:
 * every call it makes is allowed, and it needs nothing more, whether bound cluster-wide or only in the namespaces it
 * watches.
 */
class OperatorRbacE2ETest {
    private static final String SA_NAMESPACE = "kuratchi-system";
    // Checked by admission (OwnerReferencesPermissionEnforcement), not audited as a request of its own.
    private static final String ADMISSION_CHECKED = "kuratchi.dev dodatabases/finalizers update";

    private static ClusterRole role() throws Exception {
        return Serialization.unmarshal(Files.readString(RealCluster.repositoryRoot()
                .resolve("deploy/operator-clusterrole.yaml")), ClusterRole.class);
    }

    /** A ServiceAccount, bound by {@code bind}, and a client that acts as it. */
    private static KubernetesClient serviceAccount(String name, Consumer<String> bind) throws Exception {
        RealCluster cluster = RealCluster.shared();
        RealClusterE2ETest.namespace(SA_NAMESPACE);
        cluster.client().resource(new ServiceAccountBuilder().withNewMetadata().withName(name)
                .withNamespace(SA_NAMESPACE).endMetadata().build()).serverSideApply();
        bind.accept(name);
        String token = cluster.client().serviceAccounts().inNamespace(SA_NAMESPACE).withName(name)
                .tokenRequest(new TokenRequestBuilder().withNewSpec().withExpirationSeconds(3600L).endSpec().build())
                .getStatus().getToken();
        Config config = new ConfigBuilder(cluster.adminConfig()).withOauthToken(token).build();
        return new KubernetesClientBuilder().withConfig(config).build();
    }

    private static void bindClusterWide(String roleName, String account) {
        RealCluster.shared().client().resource(new ClusterRoleBindingBuilder().withNewMetadata().withName(account)
                .endMetadata().withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", roleName)
                .addNewSubject().withKind("ServiceAccount").withName(account).withNamespace(SA_NAMESPACE).endSubject()
                .build()).serverSideApply();
    }

    private static void bindIn(String namespace, String roleName, String account) {
        RealCluster.shared().client().resource(new RoleBindingBuilder().withNewMetadata().withName(account)
                .withNamespace(namespace).endMetadata()
                .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", roleName)
                .addNewSubject().withKind("ServiceAccount").withName(account).withNamespace(SA_NAMESPACE).endSubject()
                .build()).serverSideApply();
    }

    /**
     * A run that exercises every permission: a ConfigMap schema, a hand-edited Secret (a new token), a release at
     * the gateway that fails twice (a repeated event), deletion.
     */
    private static void exercise(KubernetesClient admin, EmulatorProcess emulator, String namespace, String name) {
        DoDatabases dbs = new DoDatabases(admin);
        dbs.migrations(namespace, name + "-schema", Map.of("0001_t.sql", "CREATE TABLE t (x);"));
        dbs.create(namespace, name, spec -> {
            SchemaSource schema = new SchemaSource();
            schema.setConfigMap(name + "-schema");
            spec.setSchema(schema);
            spec.setDeletionPolicy(DeletionPolicy.Delete);
        });
        DoDatabase ready = dbs.awaitReady(namespace, name);
        admin.secrets().inNamespace(namespace).withName(name + "-db").edit(s -> new SecretBuilder(s)
                .addToData("endpoint", Base64.getEncoder().encodeToString("https://elsewhere.example".getBytes()))
                .build());
        await().atMost(Duration.ofSeconds(30)).until(() -> !DoDatabases.data(dbs.secret(namespace, name + "-db"))
                .get("endpoint").equals("https://elsewhere.example"));
        assertThat(dbs.get(namespace, name).getStatus().getToken()).isEqualTo(ready.getStatus().getToken());
        // Two failed attempts: the second is counted on the first's event (patch).
        emulator.fault("{\"target\": \"workers\", \"method\": \"POST\", \"path\": \"/" + OperatorHarness.SCRIPT
                + "/admin/databases/" + name + "/retire\", \"kind\": \"status\", \"status\": 503, \"count\": 2}");
        admin.resources(DoDatabase.class).inNamespace(namespace).withName(name).delete();
        await().atMost(Duration.ofSeconds(60)).until(() -> dbs.get(namespace, name) == null);
    }

    /** What the user did per the audit log: "group resource verb", split into allowed and forbidden. */
    private record Audit(Set<String> used, Set<String> forbidden, Set<String> namespaces) {
        static Audit of(String account) throws Exception {
            String user = "system:serviceaccount:" + SA_NAMESPACE + ":" + account;
            Audit audit = new Audit(new TreeSet<>(), new TreeSet<>(), new TreeSet<>());
            ObjectMapper json = new ObjectMapper();
            for (String line : Files.readAllLines(RealCluster.shared().auditLog())) {
                JsonNode entry = json.readTree(line);
                if (!user.equals(entry.path("user").path("username").asText())) {
                    continue;
                }
                JsonNode ref = entry.path("objectRef");
                String resource = ref.path("resource").asText() + (ref.hasNonNull("subresource")
                        ? "/" + ref.path("subresource").asText() : "");
                String permission = ref.path("apiGroup").asText("") + " " + resource + " " + entry.path("verb").asText();
                (entry.path("responseStatus").path("code").asInt() == 403 ? audit.forbidden : audit.used).add(permission);
                audit.namespaces.add(ref.path("namespace").asText(""));
            }
            return audit;
        }
    }

    private static Set<String> granted(ClusterRole role) {
        Set<String> granted = new TreeSet<>();
        role.getRules().forEach(rule -> rule.getApiGroups().forEach(group -> rule.getResources().forEach(resource ->
                rule.getVerbs().forEach(verb -> granted.add(group + " " + resource + " " + verb)))));
        return granted;
    }

    @Test
    void boundClusterWideEveryCallIsAllowedAndEveryPermissionIsUsed() throws Exception {
        RealCluster cluster = RealCluster.shared();
        ClusterRole role = role();
        cluster.client().resource(role).serverSideApply();
        RealClusterE2ETest.namespace("e2e-rbac");
        try (KubernetesClient asOperator = serviceAccount("kuratchi-operator", a -> bindClusterWide(
                role.getMetadata().getName(), a));
                OperatorHarness harness = new OperatorHarness(new AsServiceAccount(asOperator), false,
                        EmulatorProcess.start(), Map.of())) {
            exercise(cluster.client(), harness.emulator(), "e2e-rbac", "rbac");
        }
        Audit audit = Audit.of("kuratchi-operator");
        assertThat(audit.forbidden()).as("calls the role does not allow").isEmpty();
        Set<String> expected = granted(role);
        assertThat(expected).contains(ADMISSION_CHECKED);
        expected.remove(ADMISSION_CHECKED);
        assertThat(audit.used()).as("what the operator did, as the audit log recorded it").isEqualTo(expected);
    }

    @Test
    void boundOnlyInTheWatchedNamespacesItWorksThereAndTouchesNoOtherNamespace() throws Exception {
        RealCluster cluster = RealCluster.shared();
        ClusterRole role = role();
        cluster.client().resource(role).serverSideApply();
        List.of("e2e-rbac-a", "e2e-rbac-b", "e2e-rbac-other").forEach(RealClusterE2ETest::namespace);
        try (KubernetesClient asOperator = serviceAccount("kuratchi-operator-namespaced", a -> {
            bindIn("e2e-rbac-a", role.getMetadata().getName(), a);
            bindIn("e2e-rbac-b", role.getMetadata().getName(), a);
        });
                OperatorHarness harness = new OperatorHarness(new AsServiceAccount(asOperator), false,
                        EmulatorProcess.start(), Map.of("KURATCHI_WATCH_NAMESPACES", "e2e-rbac-a,e2e-rbac-b"))) {
            DoDatabases dbs = new DoDatabases(cluster.client());
            dbs.create("e2e-rbac-other", "unwatched", spec -> { });
            exercise(cluster.client(), harness.emulator(), "e2e-rbac-a", "rbac-a");
            dbs.create("e2e-rbac-b", "rbac-b", spec -> { });
            dbs.awaitReady("e2e-rbac-b", "rbac-b");
            assertThat(dbs.get("e2e-rbac-other", "unwatched").getStatus()).isNull();
        }
        Audit audit = Audit.of("kuratchi-operator-namespaced");
        assertThat(audit.forbidden()).as("calls the RoleBindings do not allow").isEmpty();
        assertThat(audit.namespaces()).containsOnly("e2e-rbac-a", "e2e-rbac-b");
        Set<String> expected = granted(role);
        expected.remove(ADMISSION_CHECKED);
        assertThat(audit.used()).isEqualTo(expected);
    }

    @Test
    void withoutTheFinalizersPermissionTheTokenSecretCouldNotBeCreated() throws Exception {
        RealCluster cluster = RealCluster.shared();
        ClusterRole full = role();
        ClusterRole lacking = new ClusterRoleBuilder(full).editMetadata().withName("kuratchi-operator-lacking")
                .endMetadata().withRules(full.getRules().stream()
                        .filter(rule -> !rule.getResources().contains("dodatabases/finalizers")).toList()).build();
        cluster.client().resource(full).serverSideApply();
        cluster.client().resource(lacking).serverSideApply();
        RealClusterE2ETest.namespace("e2e-rbac-owner");
        DoDatabase owner = new DoDatabases(cluster.client()).create("e2e-rbac-owner", "owner", spec -> { });
        var ownedSecret = new SecretBuilder().withNewMetadata().withName("owned").withNamespace("e2e-rbac-owner")
                .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion(owner.getApiVersion())
                        .withKind(owner.getKind()).withName("owner").withUid(owner.getMetadata().getUid())
                        .withController(true).withBlockOwnerDeletion(true).build())
                .endMetadata().build();
        try (KubernetesClient lackingClient = serviceAccount("kuratchi-lacking", a -> bindClusterWide(
                lacking.getMetadata().getName(), a));
                KubernetesClient fullClient = serviceAccount("kuratchi-full", a -> bindClusterWide(
                        full.getMetadata().getName(), a))) {
            assertThatThrownBy(() -> lackingClient.resource(ownedSecret).create())
                    .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
                        assertThat(e.getCode()).isEqualTo(403);
                        assertThat(e.getMessage()).contains("blockOwnerDeletion");
                    });
            assertThat(fullClient.resource(ownedSecret).create()).isNotNull();
        }
    }

    @Test
    void withTheFinalizerGuardATenantCannotSkipTheReleaseAndTheOperatorStillReleases() throws Exception {
        RealCluster cluster = RealCluster.shared();
        ClusterRole role = role();
        cluster.client().resource(role).serverSideApply();
        String ns = "e2e-finalizer";
        RealClusterE2ETest.namespace(ns);
        RealCluster.Result guard = cluster.kubectl("apply", "-f", "deploy/finalizer-guard.yaml");
        assertThat(guard.exitCode()).as(guard.output()).isZero();
        try (KubernetesClient asOperator = serviceAccount("kuratchi-operator-guarded", a -> bindClusterWide(
                role.getMetadata().getName(), a));
                OperatorHarness harness = new OperatorHarness(new AsServiceAccount(asOperator), false,
                        EmulatorProcess.start(), Map.of("KURATCHI_WATCH_NAMESPACES", ns));
                KubernetesClient tenant = tenantOf(ns)) {
            DoDatabases dbs = new DoDatabases(cluster.client());
            dbs.create(ns, "sticky", spec -> { });
            dbs.awaitReady(ns, "sticky");
            var token = DoDatabases.gateway(dbs.secret(ns, "sticky-db"));
            var sticky = tenant.resources(DoDatabase.class).inNamespace(ns).withName("sticky");
            // The API server takes a moment to enforce a new policy: a dry run tells when it does.
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThatThrownBy(() -> sticky.dryRun()
                    .edit(OperatorRbacE2ETest::withoutFinalizers)).isInstanceOf(KubernetesClientException.class));
            assertThatThrownBy(() -> sticky.edit(OperatorRbacE2ETest::withoutFinalizers))
                    .isInstanceOfSatisfying(KubernetesClientException.class, e ->
                            assertThat(e.getMessage()).contains("only the kuratchi operator removes its finalizer"));
            sticky.delete();
            await().atMost(Duration.ofSeconds(60)).until(() -> dbs.get(ns, "sticky") == null);
            DoDatabases.assertRevoked(token);
        } finally {
            cluster.kubectl("delete", "-f", "deploy/finalizer-guard.yaml", "--ignore-not-found");
        }
    }

    private static DoDatabase withoutFinalizers(DoDatabase resource) {
        resource.getMetadata().setFinalizers(List.of());
        return resource;
    }

    /** A tenant's ServiceAccount: it may read, edit and delete the DoDatabases of its namespace, nothing else. */
    private static KubernetesClient tenantOf(String namespace) throws Exception {
        KubernetesClient admin = RealCluster.shared().client();
        admin.resource(new ServiceAccountBuilder().withNewMetadata().withName("tenant").withNamespace(namespace)
                .endMetadata().build()).serverSideApply();
        admin.resource(new RoleBuilder().withNewMetadata().withName("tenant").withNamespace(namespace).endMetadata()
                .addNewRule().withApiGroups("kuratchi.dev").withResources("dodatabases")
                .withVerbs("get", "list", "patch", "update", "delete").endRule().build()).serverSideApply();
        admin.resource(new RoleBindingBuilder().withNewMetadata().withName("tenant").withNamespace(namespace)
                .endMetadata().withNewRoleRef("rbac.authorization.k8s.io", "Role", "tenant").addNewSubject()
                .withKind("ServiceAccount").withName("tenant").withNamespace(namespace).endSubject().build())
                .serverSideApply();
        String token = admin.serviceAccounts().inNamespace(namespace).withName("tenant")
                .tokenRequest(new TokenRequestBuilder().withNewSpec().withExpirationSeconds(600L).endSpec().build())
                .getStatus().getToken();
        return new KubernetesClientBuilder().withConfig(new ConfigBuilder(RealCluster.shared().adminConfig())
                .withOauthToken(token).build()).build();
    }

    /** The real cluster, seen through the operator's ServiceAccount. */
    private record AsServiceAccount(KubernetesClient client) implements TestCluster {
        @Override
        public void tune(ConfigurationServiceOverrider overrider) {
        }

        @Override
        public void close() {
        }
    }
}
