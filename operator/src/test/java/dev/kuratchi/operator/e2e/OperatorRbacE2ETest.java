package dev.kuratchi.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kuratchi.operator.dodatabase.DoDatabase;
import dev.kuratchi.operator.dodatabase.DoDatabases;
import dev.kuratchi.operator.support.EmulatorProcess;
import dev.kuratchi.operator.support.OperatorHarness;
import dev.kuratchi.operator.support.RealCluster;
import dev.kuratchi.operator.support.TestCluster;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.javaoperatorsdk.operator.api.config.ConfigurationServiceOverrider;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The operator with exactly the ClusterRole in deploy/: every call it makes is allowed, and it needs nothing more. */
class OperatorRbacE2ETest {
    private static final String SA_NAMESPACE = "kuratchi-system";
    private static final String SA = "kuratchi-operator";
    private static final String USER = "system:serviceaccount:" + SA_NAMESPACE + ":" + SA;
    private static final String NAMESPACE = "e2e-rbac";

    @Test
    void everyCallIsAllowedAndEveryPermissionIsUsed() throws Exception {
        RealCluster cluster = RealCluster.shared();
        RealClusterE2ETest.namespace(SA_NAMESPACE);
        RealClusterE2ETest.namespace(NAMESPACE);
        KubernetesClient admin = cluster.client();
        ClusterRole role = Serialization.unmarshal(
                Files.readString(RealCluster.repositoryRoot().resolve("deploy/operator-clusterrole.yaml")), ClusterRole.class);
        admin.resource(role).serverSideApply();
        admin.resource(new ServiceAccountBuilder().withNewMetadata().withName(SA).withNamespace(SA_NAMESPACE).endMetadata()
                .build()).serverSideApply();
        admin.resource(new ClusterRoleBindingBuilder().withNewMetadata().withName(SA).endMetadata()
                .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", role.getMetadata().getName())
                .addNewSubject().withKind("ServiceAccount").withName(SA).withNamespace(SA_NAMESPACE).endSubject()
                .build()).serverSideApply();
        String token = admin.serviceAccounts().inNamespace(SA_NAMESPACE).withName(SA)
                .tokenRequest(new TokenRequestBuilder().withNewSpec().withExpirationSeconds(3600L).endSpec().build())
                .getStatus().getToken();
        Config asOperator = new ConfigBuilder(cluster.adminConfig()).withOauthToken(token).build();

        try (KubernetesClient operatorClient = new KubernetesClientBuilder().withConfig(asOperator).build();
                OperatorHarness harness = new OperatorHarness(new AsServiceAccount(operatorClient), false,
                        EmulatorProcess.start(), Map.of())) {
            // A run that exercises every permission: a ConfigMap schema, a hand-edited Secret, deletion.
            admin.resource(new ConfigMapBuilder().withNewMetadata().withName("rbac-schema").withNamespace(NAMESPACE)
                    .endMetadata().addToData("0001_t.sql", "CREATE TABLE t (x);").build()).create();
            DoDatabase db = new DoDatabase();
            db.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName("rbac").withNamespace(NAMESPACE)
                    .build());
            db.setSpec(new dev.kuratchi.operator.dodatabase.DoDatabaseSpec());
            var schema = new dev.kuratchi.operator.dodatabase.SchemaSource();
            schema.setConfigMap("rbac-schema");
            db.getSpec().setSchema(schema);
            admin.resource(db).create();
            DoDatabase ready = new DoDatabases(admin).awaitReady(NAMESPACE, "rbac");
            admin.secrets().inNamespace(NAMESPACE).withName("rbac-db").edit(s -> new SecretBuilder(s)
                    .addToData("endpoint", Base64.getEncoder().encodeToString("https://elsewhere.example".getBytes()))
                    .build());
            await().atMost(Duration.ofSeconds(30)).until(() -> !admin.resources(DoDatabase.class).inNamespace(NAMESPACE)
                    .withName("rbac").get().getStatus().getToken().id().equals(ready.getStatus().getToken().id()));
            admin.resources(DoDatabase.class).inNamespace(NAMESPACE).withName("rbac").delete();
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    admin.resources(DoDatabase.class).inNamespace(NAMESPACE).withName("rbac").get() == null);
        }

        Set<String> used = new TreeSet<>();
        Set<String> forbidden = new TreeSet<>();
        ObjectMapper json = new ObjectMapper();
        for (String line : Files.readAllLines(cluster.auditLog())) {
            JsonNode entry = json.readTree(line);
            if (!USER.equals(entry.path("user").path("username").asText())) {
                continue;
            }
            JsonNode ref = entry.path("objectRef");
            String resource = ref.path("resource").asText() + (ref.hasNonNull("subresource")
                    ? "/" + ref.path("subresource").asText() : "");
            String permission = ref.path("apiGroup").asText("") + " " + resource + " " + entry.path("verb").asText();
            if (entry.path("responseStatus").path("code").asInt() == 403) {
                forbidden.add(permission);
            } else {
                used.add(permission);
            }
        }
        Set<String> granted = new TreeSet<>();
        role.getRules().forEach(rule -> rule.getApiGroups().forEach(group -> rule.getResources().forEach(resource ->
                rule.getVerbs().forEach(verb -> granted.add(group + " " + resource + " " + verb)))));
        assertThat(forbidden).as("calls the role does not allow").isEmpty();
        assertThat(used).as("what the operator did, as the audit log recorded it").isEqualTo(granted);
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
