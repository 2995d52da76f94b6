package dev.kuratchi.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.BooleanNode;
import dev.kuratchi.operator.dodatabase.DeletionPolicy;
import dev.kuratchi.operator.dodatabase.DoDatabase;
import dev.kuratchi.operator.dodatabase.DoDatabases;
import dev.kuratchi.operator.dodatabase.SchemaSource;
import dev.kuratchi.operator.organization.KuratchiOrganization;
import dev.kuratchi.operator.organization.OrganizationNames;
import dev.kuratchi.operator.organization.RealOrganizations;
import dev.kuratchi.operator.organization.ResourcesSpec;
import dev.kuratchi.operator.support.EmulatorProcess;
import dev.kuratchi.operator.support.OperatorHarness;
import dev.kuratchi.operator.support.RealCluster;
import dev.kuratchi.operator.support.TestCluster;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.javaoperatorsdk.operator.api.config.ConfigurationServiceOverrider;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The operator with exactly the ClusterRole in deploy/, on an API server with OwnerReferencesPermissionEnforcement:
 * every call it makes for DoDatabases and KuratchiOrganizations is allowed, and it needs nothing more, whether bound
 * cluster-wide or only in the namespaces it watches.
 */
class OperatorRbacE2ETest {
    private static final String SA_NAMESPACE = "kuratchi-system";
    // Checked by admission (OwnerReferencesPermissionEnforcement), not audited as requests of their own; each is shown
    // to be needed by whatTheAuditLogCannotShowIsNeededAllTheSame.
    private static final Set<String> ADMISSION_CHECKED = Set.of("kuratchi.dev dodatabases/finalizers update",
            "kuratchi.dev kuratchiorganizations/finalizers update");

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
        String token = cluster.serviceAccountToken(SA_NAMESPACE, name, 3600);
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
     * the gateway that fails twice (a repeated event), deletion; then an organization ({@link #exerciseOrganization}).
     */
    private static void exercise(KubernetesClient admin, EmulatorProcess emulator, String namespace, String name)
            throws IOException {
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
        exerciseOrganization(admin, emulator, namespace, name + "-org");
    }

    /**
     * The example organization (owner, KV, R2 and a queue) becomes Ready (the admin DoDatabase is made and read on
     * the way); a queue more changes its ConfigMap; deleted with Delete, it takes its child, ConfigMap, Cloudflare
     * resources and admin rows along.
     */
    private static void exerciseOrganization(KubernetesClient admin, EmulatorProcess emulator, String namespace,
            String name) throws IOException {
        RealOrganizations orgs = new RealOrganizations(admin);
        KuratchiOrganization organization = RealOrganizations.example(namespace, name);
        organization.getSpec().setDeletionPolicy(DeletionPolicy.Delete);
        admin.resource(organization).create();
        KuratchiOrganization ready = orgs.awaitReady(namespace, name);
        List<String> made = RealOrganizations.recordedCloudflareNames(ready.getStatus());
        assertThat(made).hasSize(3);
        assertThat(RealOrganizations.cloudflareNames(emulator)).containsAll(made);
        orgs.resource(namespace, name).edit(org -> {
            org.getSpec().getResources().setQueues(RealOrganizations.names("emails", "jobs"));
            return org;
        });
        await().atMost(Duration.ofSeconds(60)).until(() -> admin.configMaps().inNamespace(namespace)
                .withName(OrganizationNames.configMapName(name)).get().getData().containsKey("queues.jobs.id"));
        orgs.resource(namespace, name).delete();
        orgs.awaitGone(namespace, name, ready.getStatus().getSecretName());
        assertThat(RealOrganizations.cloudflareNames(emulator)).doesNotContainAnyElementsOf(made);
    }

    /**
     * Where the operator keeps the admin database. Each test names its own: the cluster-wide operator of one test
     * also reconciles the admin DoDatabases earlier tests left, and the name is unique in the Cloudflare account.
     */
    private static Map<String, String> adminDatabase(String namespace, String name) {
        return Map.of("KURATCHI_ADMIN_NAMESPACE", namespace, "KURATCHI_ADMIN_DATABASE", name);
    }

    private static Map<String, String> watching(Map<String, String> environment, String namespaces) {
        Map<String, String> watching = new HashMap<>(environment);
        watching.put("KURATCHI_WATCH_NAMESPACES", namespaces);
        return watching;
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
        RealClusterE2ETest.namespace("e2e-rbac-admin");
        try (KubernetesClient asOperator = serviceAccount("kuratchi-operator", a -> bindClusterWide(
                role.getMetadata().getName(), a));
                OperatorHarness harness = new OperatorHarness(new AsServiceAccount(asOperator), false,
                        EmulatorProcess.start(), adminDatabase("e2e-rbac-admin", "rbac-admin"))) {
            exercise(cluster.client(), harness.emulator(), "e2e-rbac", "rbac");
        }
        Audit audit = Audit.of("kuratchi-operator");
        assertThat(audit.forbidden()).as("calls the role does not allow").isEmpty();
        Set<String> expected = granted(role);
        assertThat(expected).containsAll(ADMISSION_CHECKED);
        expected.removeAll(ADMISSION_CHECKED);
        assertThat(audit.used()).as("what the operator did, as the audit log recorded it").isEqualTo(expected);
    }

    @Test
    void boundOnlyInTheWatchedNamespacesItWorksThereAndTouchesNoOtherNamespace() throws Exception {
        RealCluster cluster = RealCluster.shared();
        ClusterRole role = role();
        cluster.client().resource(role).serverSideApply();
        // The admin database's namespace is watched and bound as well: the operator makes the admin DoDatabase there.
        List.of("e2e-rbac-a", "e2e-rbac-b", "e2e-rbac-ns-admin", "e2e-rbac-other")
                .forEach(RealClusterE2ETest::namespace);
        try (KubernetesClient asOperator = serviceAccount("kuratchi-operator-namespaced", a -> {
            bindIn("e2e-rbac-a", role.getMetadata().getName(), a);
            bindIn("e2e-rbac-b", role.getMetadata().getName(), a);
            bindIn("e2e-rbac-ns-admin", role.getMetadata().getName(), a);
        });
                OperatorHarness harness = new OperatorHarness(new AsServiceAccount(asOperator), false,
                        EmulatorProcess.start(), watching(adminDatabase("e2e-rbac-ns-admin", "rbac-ns-admin"),
                                "e2e-rbac-a,e2e-rbac-b,e2e-rbac-ns-admin"))) {
            DoDatabases dbs = new DoDatabases(cluster.client());
            dbs.create("e2e-rbac-other", "unwatched", spec -> { });
            exercise(cluster.client(), harness.emulator(), "e2e-rbac-a", "rbac-a");
            dbs.create("e2e-rbac-b", "rbac-b", spec -> { });
            dbs.awaitReady("e2e-rbac-b", "rbac-b");
            assertThat(dbs.get("e2e-rbac-other", "unwatched").getStatus()).isNull();
        }
        Audit audit = Audit.of("kuratchi-operator-namespaced");
        assertThat(audit.forbidden()).as("calls the RoleBindings do not allow").isEmpty();
        assertThat(audit.namespaces()).containsOnly("e2e-rbac-a", "e2e-rbac-b", "e2e-rbac-ns-admin");
        Set<String> expected = granted(role);
        expected.removeAll(ADMISSION_CHECKED);
        assertThat(audit.used()).isEqualTo(expected);
    }

    /** The role without one verb on one resource, under another name. */
    private static ClusterRole without(ClusterRole full, String resource, String verb) {
        return new ClusterRoleBuilder(full).editMetadata().withName("kuratchi-operator-without-"
                + resource.replace('/', '-') + "-" + verb).endMetadata().withRules(full.getRules().stream()
                        .map(rule -> !rule.getResources().contains(resource) ? rule : new PolicyRuleBuilder(rule)
                                .withVerbs(rule.getVerbs().stream().filter(v -> !v.equals(verb)).toList()).build())
                        .filter(rule -> !rule.getVerbs().isEmpty()).toList()).build();
    }

    /**
     * What the audit log cannot show is needed all the same: without the permission, the call the operator makes is
     * refused, and with the full role it is allowed. The finalizers of the owners (admission checks that whoever
     * sets blockOwnerDeletion may update them), and create on dodatabases for the child DoDatabase an organization
     * writes by server-side apply (audited as patch; the API server checks create when the apply makes the object).
     */
    @Test
    void whatTheAuditLogCannotShowIsNeededAllTheSame() throws Exception {
        RealCluster cluster = RealCluster.shared();
        ClusterRole full = role();
        cluster.client().resource(full).serverSideApply();
        String ns = "e2e-rbac-owner";
        RealClusterE2ETest.namespace(ns);
        DoDatabase database = new DoDatabases(cluster.client()).create(ns, "owner", spec -> { });
        KuratchiOrganization organization = new RealOrganizations(cluster.client()).create(ns, "owner-org",
                spec -> spec.setOrganizationName("Owner Org"));
        var ownedSecret = new SecretBuilder().withNewMetadata().withName("owned").withNamespace(ns)
                .withOwnerReferences(blockingOwner(database)).endMetadata().build();
        var ownedConfigMap = new ConfigMapBuilder().withNewMetadata().withName("owned").withNamespace(ns)
                .withOwnerReferences(blockingOwner(organization)).endMetadata().build();
        DoDatabase child = new DoDatabase();
        child.setMetadata(new ObjectMetaBuilder().withName("applied").withNamespace(ns).build());
        try {
            refusedWithout(full, "dodatabases/finalizers", "update", c -> c.resource(ownedSecret).create(),
                    "blockOwnerDeletion");
            refusedWithout(full, "kuratchiorganizations/finalizers", "update", c -> c.resource(ownedConfigMap)
                    .create(), "blockOwnerDeletion");
            refusedWithout(full, "dodatabases", "create", c -> c.resource(child).serverSideApply(),
                    "cannot create resource \"dodatabases\"");
            try (KubernetesClient fullClient = serviceAccount("kuratchi-full", a -> bindClusterWide(
                    full.getMetadata().getName(), a))) {
                assertThat(fullClient.resource(ownedSecret).create()).isNotNull();
                assertThat(fullClient.resource(ownedConfigMap).create()).isNotNull();
                assertThat(fullClient.resource(child).serverSideApply()).isNotNull();
            }
        } finally {
            // No operator has put a finalizer on them: gone at once, and no later test's operator reconciles them.
            cluster.client().resources(DoDatabase.class).inNamespace(ns).delete();
            cluster.client().resources(KuratchiOrganization.class).inNamespace(ns).delete();
        }
    }

    /** {@code call}, made as a ServiceAccount bound to the role without {@code verb} on {@code resource}: 403. */
    private static void refusedWithout(ClusterRole full, String resource, String verb, Consumer<KubernetesClient> call,
            String why) throws Exception {
        ClusterRole lacking = without(full, resource, verb);
        assertThat(granted(lacking)).hasSize(granted(full).size() - 1);
        RealCluster.shared().client().resource(lacking).serverSideApply();
        try (KubernetesClient client = serviceAccount(lacking.getMetadata().getName(), a -> bindClusterWide(
                lacking.getMetadata().getName(), a))) {
            assertThatThrownBy(() -> call.accept(client)).as("without %s %s", resource, verb)
                    .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
                        assertThat(e.getCode()).isEqualTo(403);
                        assertThat(e.getMessage()).contains(why);
                    });
        }
    }

    private static OwnerReference blockingOwner(HasMetadata owner) {
        return new OwnerReferenceBuilder().withApiVersion(owner.getApiVersion()).withKind(owner.getKind())
                .withName(owner.getMetadata().getName()).withUid(owner.getMetadata().getUid()).withController(true)
                .withBlockOwnerDeletion(true).build();
    }

    @Test
    void withTheFinalizerGuardATenantCannotSkipTheReleaseAndTheOperatorStillReleases() throws Exception {
        RealCluster cluster = RealCluster.shared();
        ClusterRole role = role();
        cluster.client().resource(role).serverSideApply();
        String ns = "e2e-finalizer";
        String adminNs = "e2e-finalizer-admin";
        List.of(ns, adminNs).forEach(RealClusterE2ETest::namespace);
        RealCluster.Result guard = cluster.kubectl("apply", "-f", "deploy/finalizer-guard.yaml");
        assertThat(guard.exitCode()).as(guard.output()).isZero();
        try (KubernetesClient asOperator = serviceAccount("kuratchi-operator-guarded", a -> bindClusterWide(
                role.getMetadata().getName(), a));
                OperatorHarness harness = new OperatorHarness(new AsServiceAccount(asOperator), false,
                        EmulatorProcess.start(), watching(adminDatabase(adminNs, "finalizer-admin"),
                                ns + "," + adminNs));
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

            // An organization: without its finalizer, its KV namespace and admin rows would outlive it.
            RealOrganizations orgs = new RealOrganizations(cluster.client());
            orgs.create(ns, "sticky-org", spec -> {
                spec.setOrganizationName("Sticky Org");
                spec.setResources(new ResourcesSpec());
                spec.getResources().setKv(BooleanNode.TRUE);
                spec.setDeletionPolicy(DeletionPolicy.Delete);
            });
            KuratchiOrganization ready = orgs.awaitReady(ns, "sticky-org");
            assertThat(ready.getMetadata().getFinalizers()).as("the finalizer the guard knows")
                    .containsExactly("kuratchiorganizations.kuratchi.dev/finalizer");
            List<String> kv = RealOrganizations.recordedCloudflareNames(ready.getStatus());
            assertThat(RealOrganizations.cloudflareNames(harness.emulator())).containsAll(kv).isNotEmpty();
            var orgToken = DoDatabases.gateway(dbs.secret(ns, ready.getStatus().getSecretName()));
            var stickyOrg = tenant.resources(KuratchiOrganization.class).inNamespace(ns).withName("sticky-org");
            assertThatThrownBy(() -> stickyOrg.edit(OperatorRbacE2ETest::withoutFinalizers))
                    .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getMessage())
                            .contains("only the kuratchi operator removes its finalizer: delete the "
                                    + "KuratchiOrganization"));
            assertThat(orgs.get(ns, "sticky-org").getMetadata().getFinalizers()).isNotEmpty();
            stickyOrg.delete();
            orgs.awaitGone(ns, "sticky-org", ready.getStatus().getSecretName());
            assertThat(RealOrganizations.cloudflareNames(harness.emulator())).doesNotContainAnyElementsOf(kv);
            DoDatabases.assertRevoked(orgToken);
        } finally {
            cluster.kubectl("delete", "-f", "deploy/finalizer-guard.yaml", "--ignore-not-found");
        }
    }

    private static <T extends HasMetadata> T withoutFinalizers(T resource) {
        resource.getMetadata().setFinalizers(List.of());
        return resource;
    }

    /**
     * A tenant's ServiceAccount: it may read, edit and delete the DoDatabases and KuratchiOrganizations of its
     * namespace, nothing else.
     */
    private static KubernetesClient tenantOf(String namespace) throws Exception {
        KubernetesClient admin = RealCluster.shared().client();
        admin.resource(new ServiceAccountBuilder().withNewMetadata().withName("tenant").withNamespace(namespace)
                .endMetadata().build()).serverSideApply();
        admin.resource(new RoleBuilder().withNewMetadata().withName("tenant").withNamespace(namespace).endMetadata()
                .addNewRule().withApiGroups("kuratchi.dev").withResources("dodatabases", "kuratchiorganizations")
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
