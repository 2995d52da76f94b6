package dev.kuratchi.operator.helm;

import static dev.kuratchi.operator.support.HelmChart.template;
import static dev.kuratchi.operator.support.HelmChart.values;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.marcnuri.helm.LintResult;
import dev.kuratchi.operator.config.OperatorConfig;
import dev.kuratchi.operator.support.HelmChart;
import dev.kuratchi.operator.support.HelmChart.Rendered;
import dev.kuratchi.operator.support.RealCluster;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The chart rendered by Helm's own code (helm-java), with its default values and with each value of values.yaml:
 * what lands in the Deployment, the RBAC, the CRDs and the other objects, and what a wrong value says.
 */
class HelmChartTest {
    private static final String ACCOUNT = "0123456789abcdef0123456789abcdef";
    private static final String SECRET = "kuratchi-operator-credentials";
    /** README's install: an account and an existing Secret, everything else as values.yaml has it. */
    private static final Map<String, Object> BASE = values("cloudflare.accountId", ACCOUNT,
            "credentials.existingSecret", SECRET);
    private static final String CREDENTIALS_DIR = "/etc/kuratchi/credentials";

    @TempDir
    Path temp;

    private static ClusterRole deployedClusterRole() throws Exception {
        return Serialization.unmarshal(Files.readString(RealCluster.repositoryRoot()
                .resolve("deploy/operator-clusterrole.yaml")), ClusterRole.class);
    }

    private static Role deployedLeaseRole() throws Exception {
        return Serialization.unmarshal(Files.readString(RealCluster.repositoryRoot()
                .resolve("deploy/operator-leader-election-role.yaml")), Role.class);
    }

    private static PodSpec pod(Rendered rendered) {
        return rendered.deployment().getSpec().getTemplate().getSpec();
    }

    private static String templateError(Map<String, Object> values) {
        Throwable[] thrown = new Throwable[1];
        assertThatThrownBy(() -> template(values)).satisfies(e -> thrown[0] = e);
        return thrown[0].getMessage();
    }

    @Test
    void lintFindsNothingInStrictMode() {
        LintResult lint = HelmChart.helm().lint().strict().call();
        assertThat(lint.isFailed()).as("%s", lint.getMessages()).isFalse();
        assertThat(lint.getMessages()).noneMatch(m -> m.contains("[WARNING]") || m.contains("[ERROR]"));
    }

    @Test
    void theOperatorRunsNonRootReadOnlyWithoutPrivilegesOrCapabilities() {
        Rendered rendered = template(BASE);
        PodSpec pod = pod(rendered);
        var podSecurity = pod.getSecurityContext();
        assertThat(podSecurity.getRunAsNonRoot()).isTrue();
        assertThat(podSecurity.getRunAsUser()).as("the image's user").isEqualTo(65532L);
        assertThat(podSecurity.getRunAsGroup()).isEqualTo(65532L);
        assertThat(podSecurity.getFsGroup()).as("the group the credentials are readable by").isEqualTo(65532L);
        assertThat(podSecurity.getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
        Container container = rendered.container();
        var security = container.getSecurityContext();
        assertThat(security.getAllowPrivilegeEscalation()).isFalse();
        assertThat(security.getReadOnlyRootFilesystem()).isTrue();
        assertThat(security.getPrivileged()).isFalse();
        assertThat(security.getRunAsNonRoot()).isTrue();
        assertThat(security.getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(security.getCapabilities().getAdd()).isNullOrEmpty();

        // The JVM's temporary files go to an emptyDir; the credentials to a read-only Secret volume only its group reads.
        Map<String, Volume> volumes = new HashMap<>();
        pod.getVolumes().forEach(v -> volumes.put(v.getName(), v));
        assertThat(container.getVolumeMounts()).anySatisfy(m -> {
            assertThat(m.getMountPath()).isEqualTo("/tmp");
            assertThat(volumes.get(m.getName()).getEmptyDir()).isNotNull();
            assertThat(volumes.get(m.getName()).getEmptyDir().getSizeLimit()).isEqualTo(new Quantity("64Mi"));
        });
        assertThat(container.getVolumeMounts()).anySatisfy(m -> {
            assertThat(m.getMountPath()).isEqualTo(CREDENTIALS_DIR);
            assertThat(m.getReadOnly()).isTrue();
            assertThat(volumes.get(m.getName()).getSecret().getSecretName()).isEqualTo(SECRET);
            assertThat(volumes.get(m.getName()).getSecret().getDefaultMode()).isEqualTo(0440);
        });
        assertThat(container.getVolumeMounts()).hasSize(2);
        assertThat(pod.getAutomountServiceAccountToken()).isTrue();
        assertThat(pod.getServiceAccountName()).isEqualTo(rendered.one(ServiceAccount.class).getMetadata().getName())
                .isEqualTo("kuratchi-operator");
    }

    @Test
    void probesResourcesAndTerminationAreSet() {
        Rendered rendered = template(BASE);
        Container container = rendered.container();
        assertThat(container.getPorts()).singleElement().satisfies(p -> {
            assertThat(p.getName()).isEqualTo("http");
            assertThat(p.getContainerPort()).isEqualTo(8080);
        });
        assertThat(container.getStartupProbe().getHttpGet().getPath()).isEqualTo("/healthz");
        assertThat(container.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
        assertThat(container.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
        Stream.of(container.getStartupProbe(), container.getLivenessProbe(), container.getReadinessProbe())
                .forEach(probe -> assertThat(probe.getHttpGet().getPort().getStrVal()).isEqualTo("http"));
        assertThat(rendered.plainEnv()).containsEntry("KURATCHI_HTTP_PORT", "8080")
                .containsEntry("KURATCHI_HTTP_HOST", "0.0.0.0");

        var resources = container.getResources();
        assertThat(resources.getRequests()).containsOnlyKeys("cpu", "memory");
        assertThat(resources.getLimits()).containsOnlyKeys("cpu", "memory");
        assertThat(resources.getRequests().get("memory")).as("a JVM's heap is not given back: request the limit")
                .isEqualTo(resources.getLimits().get("memory")).isEqualTo(new Quantity("1Gi"));
        // 75% of the limit is above the benchmark's peak heap of 570 MB (values.yaml says why).
        assertThat(rendered.plainEnv().get("JAVA_TOOL_OPTIONS")).contains("-XX:MaxRAMPercentage=75",
                "-XX:+ExitOnOutOfMemoryError");
        long heap = Quantity.getAmountInBytes(resources.getLimits().get("memory")).longValue() * 75 / 100;
        assertThat(heap).isGreaterThan(570L * 1000 * 1000);

        // SIGTERM leaves time for a gateway call that does not heed the interrupt (at most 30 s).
        assertThat(pod(rendered).getTerminationGracePeriodSeconds()).isGreaterThan(30L);
        assertThat(rendered.deployment().getSpec().getStrategy().getType()).as("never two operators at once")
                .isEqualTo("Recreate");
        assertThat(container.getImage()).isEqualTo("ghcr.io/kuratchi/kuratchi-operator:"
                + System.getProperty("kuratchi.project.version"));
    }

    /** The contract with the operator: exactly these variables, secrets as files, never as values. */
    @Test
    void theEnvironmentByDefault() {
        Rendered rendered = template(BASE);
        Map<String, EnvVar> env = rendered.env();
        assertThat(env.keySet()).containsExactly("POD_NAME", "POD_NAMESPACE", "KURATCHI_CF_ACCOUNT_ID",
                "KURATCHI_CF_API_TOKEN_FILE", "KURATCHI_GATEWAY_KEY_FILE", "KURATCHI_LEADER_ELECTION",
                "KURATCHI_HTTP_HOST", "KURATCHI_HTTP_PORT", "JAVA_TOOL_OPTIONS");
        assertThat(env.get("POD_NAME").getValueFrom().getFieldRef().getFieldPath()).isEqualTo("metadata.name");
        assertThat(env.get("POD_NAMESPACE").getValueFrom().getFieldRef().getFieldPath())
                .isEqualTo("metadata.namespace");
        assertThat(rendered.plainEnv()).containsEntry("KURATCHI_CF_ACCOUNT_ID", ACCOUNT)
                .containsEntry("KURATCHI_CF_API_TOKEN_FILE", CREDENTIALS_DIR + "/cloudflare-api-token")
                .containsEntry("KURATCHI_GATEWAY_KEY_FILE", CREDENTIALS_DIR + "/gateway-key")
                .containsEntry("KURATCHI_LEADER_ELECTION", "false");
        assertThat(env.values()).noneMatch(e -> e.getValueFrom() != null && e.getValueFrom().getSecretKeyRef() != null);
    }

    /**
     * Every setting the chart renders, read by the operator's own configuration code: the names, the list and
     * duration formats and the file paths are the ones it reads.
     */
    @Test
    void theOperatorReadsEverySettingTheChartRenders() throws Exception {
        Rendered rendered = template(values(BASE, "credentials.previousGatewayKey", true,
                "cloudflare.apiBaseUrl", "https://cf.example/client/v4", "cloudflare.workersSubdomain", "acme",
                "cloudflare.rateLimit.requests", 1_200_000, "cloudflare.rateLimit.window", "10m",
                "gateway.url", "https://gw.example", "gateway.scriptName", "my-gateway",
                "gateway.keyNamespaces", List.of("legacy-a", "legacy-b"), "watchNamespaces", List.of("team-b", "team-a"),
                "adoptionNamespaces", List.of("old-sdk"), "adminDatabase.name", "platform-admin",
                "reconcileThreads", 4, "storageCheckInterval", "15m", "tokenRevocationGrace", "1m30s",
                "http.port", 9090));
        Map<String, String> env = hostEnvironment(rendered, Map.of("cloudflare-api-token", "cf-token",
                "gateway-key", "k".repeat(40), "gateway-key-previous", "p".repeat(40)));
        OperatorConfig config = OperatorConfig.fromEnvironment(env);
        assertThat(config.accountId()).isEqualTo(ACCOUNT);
        assertThat(config.cloudflareApiToken()).isEqualTo("cf-token");
        assertThat(config.previousGatewayKey()).isPresent();
        assertThat(config.cloudflareApiBaseUrl()).isEqualTo(URI.create("https://cf.example/client/v4"));
        assertThat(config.workersSubdomain()).contains("acme");
        assertThat(config.cloudflareRequestsPerWindow()).isEqualTo(1_200_000);
        assertThat(config.cloudflareWindow()).isEqualTo(Duration.ofMinutes(10));
        assertThat(config.gatewayUrl()).contains(URI.create("https://gw.example"));
        assertThat(config.scriptName()).isEqualTo("my-gateway");
        assertThat(config.gatewayKeyNamespaces()).containsExactlyInAnyOrder("legacy-a", "legacy-b");
        assertThat(config.watchNamespaces()).as("the admin database's namespace is watched too")
                .containsExactlyInAnyOrder("team-a", "team-b", HelmChart.NAMESPACE);
        assertThat(config.adoptionNamespaces()).containsExactly("old-sdk");
        assertThat(config.adminNamespace()).as("POD_NAMESPACE").isEqualTo(HelmChart.NAMESPACE);
        assertThat(config.adminDatabaseName()).isEqualTo("platform-admin");
        assertThat(config.reconcileThreads()).isEqualTo(4);
        assertThat(config.storageCheckInterval()).isEqualTo(Duration.ofMinutes(15));
        assertThat(config.revocationGracePeriod()).isEqualTo(Duration.ofSeconds(90));
        assertThat(config.httpPort()).isEqualTo(9090);
    }

    /**
     * The container's environment as the kubelet would give it: downward-API fields resolved, the credentials
     * written to files where the mount puts them (under {@link #temp}).
     */
    private Map<String, String> hostEnvironment(Rendered rendered, Map<String, String> credentials) throws Exception {
        Path dir = Files.createDirectories(temp.resolve("credentials"));
        for (var entry : credentials.entrySet()) {
            Files.writeString(dir.resolve(entry.getKey()), entry.getValue());
        }
        Map<String, String> env = new HashMap<>();
        rendered.env().forEach((name, variable) -> {
            if (variable.getValueFrom() != null) {
                String field = variable.getValueFrom().getFieldRef().getFieldPath();
                env.put(name, field.equals("metadata.namespace") ? HelmChart.NAMESPACE : "kuratchi-operator-0");
            } else {
                env.put(name, variable.getValue().replace(CREDENTIALS_DIR, dir.toString()));
            }
        });
        return env;
    }

    @Test
    void theRbacIsExactlyDeploysRolesBoundClusterWideByDefault() throws Exception {
        Rendered rendered = template(BASE);
        ClusterRole role = rendered.one(ClusterRole.class);
        assertThat(role.getRules()).isEqualTo(deployedClusterRole().getRules());
        ClusterRoleBinding binding = rendered.one(ClusterRoleBinding.class);
        assertThat(binding.getRoleRef().getKind()).isEqualTo("ClusterRole");
        assertThat(binding.getRoleRef().getName()).isEqualTo(role.getMetadata().getName());
        assertThat(binding.getSubjects()).singleElement().satisfies(s -> {
            assertThat(s.getKind()).isEqualTo("ServiceAccount");
            assertThat(s.getName()).isEqualTo(pod(rendered).getServiceAccountName());
            assertThat(s.getNamespace()).isEqualTo(HelmChart.NAMESPACE);
        });
        assertThat(rendered.all(RoleBinding.class)).as("no Lease without leader election").isEmpty();
        assertThat(rendered.all(Role.class)).isEmpty();
    }

    @Test
    void watchedNamespacesAreBoundOneByOneWithTheAdminDatabasesNamespace() throws Exception {
        Rendered rendered = template(values(BASE, "watchNamespaces", List.of("team-b", "team-a"),
                "adminDatabase.namespace", "kuratchi-admin"));
        assertThat(rendered.all(ClusterRoleBinding.class)).isEmpty();
        List<RoleBinding> bindings = rendered.all(RoleBinding.class);
        assertThat(bindings).extracting(b -> b.getMetadata().getNamespace())
                .containsExactlyInAnyOrder("team-a", "team-b", "kuratchi-admin");
        ClusterRole role = rendered.one(ClusterRole.class);
        assertThat(role.getRules()).isEqualTo(deployedClusterRole().getRules());
        assertThat(bindings).allSatisfy(b -> {
            assertThat(b.getRoleRef().getKind()).isEqualTo("ClusterRole");
            assertThat(b.getRoleRef().getName()).isEqualTo(role.getMetadata().getName());
            assertThat(b.getSubjects()).singleElement().satisfies(s -> {
                assertThat(s.getName()).isEqualTo(pod(rendered).getServiceAccountName());
                assertThat(s.getNamespace()).isEqualTo(HelmChart.NAMESPACE);
            });
        });
        assertThat(rendered.plainEnv()).containsEntry("KURATCHI_WATCH_NAMESPACES", "kuratchi-admin,team-a,team-b")
                .containsEntry("KURATCHI_ADMIN_NAMESPACE", "kuratchi-admin");
    }

    static Stream<Arguments> leaderElection() {
        return Stream.of(
                Arguments.of(1, "auto", false), Arguments.of(2, "auto", true), Arguments.of(3, null, true),
                Arguments.of(1, null, false), Arguments.of(1, true, true), Arguments.of(2, true, true),
                Arguments.of(1, false, false), Arguments.of(0, "auto", false));
    }

    @ParameterizedTest(name = "replicaCount {0}, leaderElection.enabled {1}: {2}")
    @MethodSource
    void leaderElection(int replicas, Object enabled, boolean on) throws Exception {
        Rendered rendered = template(values(BASE, "replicaCount", replicas, "leaderElection.enabled", enabled));
        assertThat(rendered.deployment().getSpec().getReplicas()).isEqualTo(replicas);
        assertThat(rendered.plainEnv()).containsEntry("KURATCHI_LEADER_ELECTION", String.valueOf(on));
        if (on) {
            assertThat(rendered.plainEnv()).containsEntry("KURATCHI_LEADER_ELECTION_LEASE_NAME", "kuratchi-operator");
            Role role = rendered.one(Role.class);
            assertThat(role.getMetadata().getNamespace()).as("the Lease is in POD_NAMESPACE")
                    .isEqualTo(HelmChart.NAMESPACE);
            assertThat(role.getRules()).isEqualTo(deployedLeaseRole().getRules());
            assertThat(rendered.all(RoleBinding.class)).singleElement().satisfies(b -> {
                assertThat(b.getMetadata().getNamespace()).isEqualTo(HelmChart.NAMESPACE);
                assertThat(b.getRoleRef().getKind()).isEqualTo("Role");
                assertThat(b.getRoleRef().getName()).isEqualTo(role.getMetadata().getName());
                assertThat(b.getSubjects()).singleElement().satisfies(s ->
                        assertThat(s.getName()).isEqualTo(pod(rendered).getServiceAccountName()));
            });
        } else {
            assertThat(rendered.plainEnv()).doesNotContainKey("KURATCHI_LEADER_ELECTION_LEASE_NAME");
            assertThat(rendered.all(Role.class)).isEmpty();
        }
        assertThat(rendered.deployment().getSpec().getStrategy().getType()).isEqualTo("Recreate");
    }

    /**
     * README's helm upgrade --set replicaCount=2 turns leader election on. Rolled out with a RollingUpdate, the new pods
     * would start beside the old one, which runs without leader election and keeps reconciling while a new pod wins
     * the Lease and reconciles the same resources (tokens issued twice). The same with a new leaseName. A template
     * cannot see what the running pods do (lookup finds nothing under helm template), so every revision is Recreate.
     */
    /**
     * A second entry of a name overrides the chart's in the container: KURATCHI_LEADER_ELECTION=false with two
     * replicas would make both reconcile; a credential as a value would stand in clear in the Deployment.
     */
    @ParameterizedTest
    @ValueSource(strings = {"KURATCHI_LEADER_ELECTION", "KURATCHI_LEADER_ELECTION_LEASE_NAME", "POD_NAME",
            "KURATCHI_GATEWAY_KEY", "KURATCHI_CF_API_TOKEN", "KURATCHI_WATCH_NAMESPACES", "JAVA_TOOL_OPTIONS"})
    void extraEnvMayNotOverrideWhatTheChartSets(String name) {
        assertThat(templateError(values(BASE, "replicaCount", 2, "extraEnv", List.of(Map.of("name", name,
                "value", "false"))))).contains("extraEnv: " + name + " is set by the chart");
    }

    @Test
    void anImageByTagByTagAndDigestOrByDigestAlone() throws Exception {
        String digest = "@sha256:" + "a".repeat(64);
        Map<String, String> images = Map.of("1.2.3", "ghcr.io/kuratchi/kuratchi-operator:1.2.3",
                "1.2.3" + digest, "ghcr.io/kuratchi/kuratchi-operator:1.2.3" + digest,
                digest, "ghcr.io/kuratchi/kuratchi-operator" + digest);
        for (Map.Entry<String, String> image : images.entrySet()) {
            assertThat(pod(template(values(BASE, "image.tag", image.getKey()))).getContainers().get(0).getImage())
                    .isEqualTo(image.getValue());
        }
    }

    @Test
    void anUpgradeThatChangesTheElectionNeverRunsOldAndNewPodsTogether() throws Exception {
        for (Map<String, Object> upgraded : List.of(values(BASE, "replicaCount", 2),
                values(BASE, "replicaCount", 2, "leaderElection.leaseName", "another-lease"),
                values(BASE, "leaderElection.enabled", true))) {
            assertThat(template(upgraded).deployment().getSpec().getStrategy().getType())
                    .as("the old pods stop before the new ones start: %s", upgraded).isEqualTo("Recreate");
        }
    }

    @Test
    void twoReplicasWithoutLeaderElectionAreRefused() {
        assertThat(templateError(values(BASE, "replicaCount", 2, "leaderElection.enabled", false)))
                .contains("leaderElection.enabled is false with replicaCount > 1: every replica would reconcile");
    }

    @Test
    void crdsAreTheFilesOfCrdsKeptOnUninstall() throws Exception {
        List<JsonNode> rendered = template(BASE).documents().stream()
                .filter(d -> d.path("kind").asText().equals("CustomResourceDefinition")).toList();
        List<JsonNode> expected = new ArrayList<>();
        try (Stream<Path> files = Files.list(RealCluster.repositoryRoot().resolve("crds"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yml")).sorted().toList()) {
                expected.addAll(HelmChart.documents(Files.readString(file)));
            }
        }
        assertThat(expected).hasSize(2);
        assertThat(rendered).hasSameSizeAs(expected);
        for (JsonNode crd : rendered) {
            ObjectNode metadata = (ObjectNode) crd.path("metadata");
            assertThat(metadata.path("annotations").path("helm.sh/resource-policy").asText()).isEqualTo("keep");
            assertThat(metadata.path("labels").path("app.kubernetes.io/managed-by").asText()).isEqualTo("Helm");
            metadata.remove(List.of("annotations", "labels"));
        }
        assertThat(rendered).as("the CRDs of crds/, but for the chart's labels and annotation")
                .containsExactlyInAnyOrderElementsOf(expected);

        assertThat(template(values(BASE, "crds.keep", false)).documents()).filteredOn(d -> d.path("kind").asText()
                .equals("CustomResourceDefinition")).hasSize(2)
                .allSatisfy(d -> assertThat(d.path("metadata").has("annotations")).isFalse());
        assertThat(template(values(BASE, "crds.enabled", false)).ofKind("CustomResourceDefinition")).isEmpty();
    }

    /** deploy/finalizer-guard.yaml, with the release's namespace in place of kuratchi-system and its own name. */
    @Test
    void theFinalizerGuardIsDeploysForTheReleasesNamespace() throws Exception {
        String source = Files.readString(RealCluster.repositoryRoot().resolve("deploy/finalizer-guard.yaml"));
        assertThat(source).contains("'system:serviceaccounts:kuratchi-system' in request.userInfo.groups");
        List<JsonNode> wanted = HelmChart.documents(source.replace("system:serviceaccounts:kuratchi-system",
                "system:serviceaccounts:platform-ops").replace("kuratchi-operator-finalizer",
                "kdb-kuratchi-operator-finalizer"));
        assertThat(wanted).extracting(d -> d.path("kind").asText())
                .containsExactly("ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding");

        List<JsonNode> rendered = HelmChart.template("kdb", "platform-ops", BASE).documents().stream()
                .filter(d -> d.path("apiVersion").asText().startsWith("admissionregistration.k8s.io/")).toList();
        rendered.forEach(d -> ((ObjectNode) d.path("metadata")).remove("labels"));
        assertThat(rendered).containsExactlyInAnyOrderElementsOf(wanted);
        assertThat(template(values(BASE, "finalizerGuard.enabled", false)).ofKind("ValidatingAdmissionPolicy"))
                .isEmpty();
    }

    @Test
    void credentialsFromTheValuesMakeTheSecretAndRestartTheOperatorWhenTheyChange() {
        String key = "0123456789abcdef0123456789abcdef-current";
        Map<String, Object> values = values(BASE, "credentials.existingSecret", "", "credentials.cloudflareApiToken",
                "cf-token-from-values", "credentials.gatewayKey", key);
        Rendered rendered = template(values);
        Secret secret = rendered.one(Secret.class);
        assertThat(secret.getMetadata().getName()).isEqualTo("kuratchi-operator-credentials");
        assertThat(decoded(secret)).containsExactly(Map.entry("cloudflare-api-token", "cf-token-from-values"),
                Map.entry("gateway-key", key));
        assertThat(pod(rendered).getVolumes()).anySatisfy(v -> assertThat(v.getSecret().getSecretName())
                .isEqualTo(secret.getMetadata().getName()));
        assertThat(rendered.plainEnv()).doesNotContainKey("KURATCHI_GATEWAY_KEY_PREVIOUS_FILE");
        String checksum = rendered.deployment().getSpec().getTemplate().getMetadata().getAnnotations()
                .get("checksum/credentials");
        assertThat(checksum).hasSize(64);

        Rendered rotating = template(values(values, "credentials.gatewayKey", key.replace("current", "new-key"),
                "credentials.gatewayKeyPrevious", key));
        assertThat(decoded(rotating.one(Secret.class))).containsEntry("gateway-key-previous", key);
        assertThat(rotating.plainEnv()).containsEntry("KURATCHI_GATEWAY_KEY_PREVIOUS_FILE",
                CREDENTIALS_DIR + "/gateway-key-previous");
        assertThat(rotating.deployment().getSpec().getTemplate().getMetadata().getAnnotations())
                .as("a new pod template, so the operator restarts with the new key")
                .doesNotContainEntry("checksum/credentials", checksum);

        Rendered existing = template(BASE);
        assertThat(existing.all(Secret.class)).isEmpty();
        assertThat(existing.deployment().getSpec().getTemplate().getMetadata().getAnnotations()).isNullOrEmpty();
    }

    private static Map<String, String> decoded(Secret secret) {
        Map<String, String> data = new LinkedHashMap<>();
        secret.getData().forEach((k, v) -> data.put(k, new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8)));
        return data;
    }

    /** No secret value anywhere but in the Secret: not in the Deployment, a ConfigMap, or the notes Helm prints. */
    @Test
    void theCredentialsAppearInTheSecretAloneNeverInTheNotes() {
        List<String> secrets = List.of("cf-token-" + "9f8e7d6c5b4a", "gateway-key-" + "0123456789abcdef0123456789",
                "previous-key-" + "0123456789abcdef0123456789");
        Map<String, Object> values = values(BASE, "credentials.existingSecret", "", "credentials.cloudflareApiToken",
                secrets.get(0), "credentials.gatewayKey", secrets.get(1), "credentials.gatewayKeyPrevious", secrets.get(2));
        List<String> forms = new ArrayList<>(secrets);
        secrets.forEach(s -> forms.add(Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8))));

        Rendered rendered = template(values);
        assertThat(rendered.ofKind("ConfigMap")).isEmpty();
        for (GenericKubernetesResource object : rendered.objects()) {
            String text = Serialization.asYaml(object);
            if (object.getKind().equals("Secret")) {
                assertThat(text).contains(forms.subList(3, 6));
            } else {
                assertThat(text).as("%s %s", object.getKind(), object.getMetadata().getName())
                        .doesNotContain(forms);
            }
        }
        String notes = HelmChart.helm().install().withName(HelmChart.RELEASE).withNamespace(HelmChart.NAMESPACE)
                .withValuesFile(HelmChart.valuesFile(values)).dryRun().clientOnly().call().getOutput();
        assertThat(notes).contains("NOTES:", "kuratchi-operator-credentials", "kubectl rollout restart")
                .doesNotContain(forms);
    }

    @Test
    void theNotesSayWhereTheSecretIsAndWhatToApplyNext() {
        String notes = HelmChart.helm().install().withName(HelmChart.RELEASE).withNamespace(HelmChart.NAMESPACE)
                .withValuesFile(HelmChart.valuesFile(values(BASE, "watchNamespaces", List.of("team-a"))))
                .dryRun().clientOnly().call().getOutput();
        assertThat(notes).contains("the Secret kuratchi-system/" + SECRET + ", keys cloudflare-api-token and gateway-key",
                "Until that Secret exists, the pod waits in ContainerCreating",
                "kubectl apply -n team-a -f examples/dodatabase.yaml",
                "watching the namespaces kuratchi-system, team-a");
    }

    static Stream<Arguments> wrongValues() {
        return Stream.of(
                Arguments.of(values(BASE, "replicaCount", -1), "at '/replicaCount': minimum: got -1, want 0"),
                Arguments.of(values(BASE, "watchNamespaces", "team-a"), "at '/watchNamespaces': got string, want array"),
                Arguments.of(values(BASE, "watchNamespaces", List.of("Team_A")), "at '/watchNamespaces/0'"),
                Arguments.of(values(BASE, "replicas", 2), "additional properties 'replicas' not allowed"),
                Arguments.of(values(BASE, "image.tags", "1.0"), "at '/image': additional properties 'tags' not allowed"),
                // A digest where the tag goes would make the image "repository:sha256:...", which no pod can pull.
                Arguments.of(values(BASE, "image.tag", "sha256:" + "0".repeat(64)), "at '/image/tag'"),
                Arguments.of(values(BASE, "leaderElection.leaseName", "a..b"), "at '/leaderElection/leaseName'"),
                Arguments.of(values(BASE, "cloudflare.accountId", "ACME"), "at '/cloudflare/accountId': 'ACME' does "
                        + "not match pattern"),
                Arguments.of(values(BASE, "leaderElection.enabled", "yes"), "at '/leaderElection/enabled': value "
                        + "must be one of"),
                Arguments.of(values(BASE, "http.port", 0), "at '/http/port': minimum: got 0, want 1"),
                Arguments.of(values(BASE, "reconcileThreads", 0), "at '/reconcileThreads'"),
                Arguments.of(values(BASE, "storageCheckInterval", "10 minutes"), "at '/storageCheckInterval': "
                        + "'10 minutes' does not match pattern"),
                Arguments.of(values(BASE, "credentials.previousGatewayKey", "yes"),
                        "at '/credentials/previousGatewayKey': got string, want boolean"),
                // Checks the templates make, where a schema cannot say it clearly.
                Arguments.of(values(BASE, "cloudflare.accountId", ""), "cloudflare.accountId: set the Cloudflare "
                        + "account id (32 lowercase hex digits"),
                Arguments.of(values(BASE, "credentials.existingSecret", ""), "credentials: set "
                        + "credentials.existingSecret to the Secret with the keys cloudflare-api-token and gateway-key"),
                Arguments.of(values(BASE, "credentials.gatewayKey", "k".repeat(40)), "set credentials.existingSecret "
                        + "or the credentials themselves"),
                Arguments.of(values(BASE, "credentials.existingSecret", "", "credentials.cloudflareApiToken", "t",
                        "credentials.gatewayKey", "too-short\n"), "credentials.gatewayKey is shorter than 32 bytes"),
                Arguments.of(values(BASE, "credentials.existingSecret", "", "credentials.cloudflareApiToken", "t",
                        "credentials.gatewayKey", "k".repeat(40), "credentials.previousGatewayKey", true),
                        "credentials.previousGatewayKey is for credentials.existingSecret"),
                Arguments.of(values(BASE, "podDisruptionBudget.enabled", true), "podDisruptionBudget.minAvailable 1 "
                        + "with replicaCount 1 would let no pod be evicted"),
                Arguments.of(values(BASE, "metrics.serviceMonitor.enabled", true, "metrics.service.enabled", false),
                        "metrics.serviceMonitor needs metrics.service.enabled"),
                Arguments.of(values(BASE, "serviceAccount.create", false), "serviceAccount.name: name the existing "
                        + "ServiceAccount"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource
    void wrongValues(Map<String, Object> values, String message) {
        assertThat(templateError(values)).contains(message);
    }

    // ---- Every value of values.yaml, one by one.

    /** A change to some values and what it must do to the rendering. */
    record Option(String name, Map<String, Object> values, Consumer<Rendered> check) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static Option option(String name, Consumer<Rendered> check, Object... pathsAndValues) {
        return new Option(name, values(pathsAndValues), check);
    }

    private static Map<String, String> labelsOf(Rendered r) {
        return r.deployment().getSpec().getTemplate().getMetadata().getLabels();
    }

    static List<Option> options() {
        return List.of(
                option("account id", r -> assertThat(r.plainEnv()).containsEntry("KURATCHI_CF_ACCOUNT_ID",
                        "fedcba9876543210fedcba9876543210"), "cloudflare.accountId", "fedcba9876543210fedcba9876543210"),
                option("API base URL", r -> assertThat(r.plainEnv()).containsEntry("KURATCHI_CF_API_BASE_URL",
                        "https://cf.example/client/v4"), "cloudflare.apiBaseUrl", "https://cf.example/client/v4"),
                option("workers subdomain", r -> assertThat(r.plainEnv()).containsEntry("KURATCHI_WORKERS_SUBDOMAIN",
                        "acme"), "cloudflare.workersSubdomain", "acme"),
                option("rate limit", r -> assertThat(r.plainEnv()).containsEntry("KURATCHI_CF_RATE_LIMIT", "1200000")
                        .containsEntry("KURATCHI_CF_RATE_WINDOW", "10m"), "cloudflare.rateLimit.requests", 1_200_000,
                        "cloudflare.rateLimit.window", "10m"),
                option("gateway", r -> assertThat(r.plainEnv()).containsEntry("KURATCHI_GATEWAY_URL",
                        "https://gw.example").containsEntry("KURATCHI_WORKER_SCRIPT_NAME", "my-gateway")
                        .containsEntry("KURATCHI_GATEWAY_KEY_NAMESPACES", "legacy-a,legacy-b"), "gateway.url",
                        "https://gw.example", "gateway.scriptName", "my-gateway", "gateway.keyNamespaces",
                        List.of("legacy-a", "legacy-b")),
                option("existing Secret", r -> {
                    assertThat(r.all(Secret.class)).isEmpty();
                    assertThat(pod(r).getVolumes()).anySatisfy(v -> assertThat(v.getSecret().getSecretName())
                            .isEqualTo("platform-creds"));
                }, "credentials.existingSecret", "platform-creds"),
                option("previous key in the existing Secret", r -> assertThat(r.plainEnv()).containsEntry(
                        "KURATCHI_GATEWAY_KEY_PREVIOUS_FILE", CREDENTIALS_DIR + "/gateway-key-previous"),
                        "credentials.previousGatewayKey", true),
                option("credentials from values", r -> assertThat(decoded(r.one(Secret.class))).containsOnlyKeys(
                        "cloudflare-api-token", "gateway-key", "gateway-key-previous"), "credentials.existingSecret", "",
                        "credentials.cloudflareApiToken", "cf", "credentials.gatewayKey", "k".repeat(32),
                        "credentials.gatewayKeyPrevious", "p".repeat(32)),
                option("watched namespaces", r -> {
                    assertThat(r.all(RoleBinding.class)).extracting(b -> b.getMetadata().getNamespace())
                            .containsExactlyInAnyOrder("team-a", HelmChart.NAMESPACE);
                    assertThat(r.plainEnv()).containsEntry("KURATCHI_WATCH_NAMESPACES", "kuratchi-system,team-a");
                }, "watchNamespaces", List.of("team-a")),
                option("adoption namespaces", r -> assertThat(r.plainEnv()).containsEntry(
                        "KURATCHI_ADOPTION_NAMESPACES", "old-a,old-b"), "adoptionNamespaces", List.of("old-a", "old-b")),
                option("admin database", r -> assertThat(r.plainEnv()).containsEntry("KURATCHI_ADMIN_NAMESPACE",
                        "kuratchi-admin").containsEntry("KURATCHI_ADMIN_DATABASE", "platform-admin"),
                        "adminDatabase.namespace", "kuratchi-admin", "adminDatabase.name", "platform-admin"),
                option("tuning", r -> assertThat(r.plainEnv()).containsEntry("KURATCHI_RECONCILE_THREADS", "4")
                        .containsEntry("KURATCHI_STORAGE_CHECK_INTERVAL", "15m")
                        .containsEntry("KURATCHI_TOKEN_REVOCATION_GRACE", "2m"), "reconcileThreads", 4,
                        "storageCheckInterval", "15m", "tokenRevocationGrace", "2m"),
                option("extra environment", r -> assertThat(r.container().getEnv()).last().satisfies(e -> {
                    assertThat(e.getName()).isEqualTo("KURATCHI_EXTRA");
                    assertThat(e.getValue()).isEqualTo("on");
                }), "extraEnv", List.of(Map.of("name", "KURATCHI_EXTRA", "value", "on"))),
                option("replicas", r -> assertThat(r.deployment().getSpec().getReplicas()).isEqualTo(3),
                        "replicaCount", 3),
                option("leader election", r -> assertThat(r.plainEnv()).containsEntry("KURATCHI_LEADER_ELECTION", "true")
                        .containsEntry("KURATCHI_LEADER_ELECTION_LEASE_NAME", "my-lease"), "leaderElection.enabled", true,
                        "leaderElection.leaseName", "my-lease"),
                option("image", r -> {
                    assertThat(r.container().getImage()).isEqualTo("registry.example/kuratchi:1.2.3");
                    assertThat(r.container().getImagePullPolicy()).isEqualTo("Always");
                    assertThat(pod(r).getImagePullSecrets()).singleElement().satisfies(s ->
                            assertThat(s.getName()).isEqualTo("regcred"));
                }, "image.repository", "registry.example/kuratchi", "image.tag", "1.2.3", "image.pullPolicy", "Always",
                        "imagePullSecrets", List.of(Map.of("name", "regcred"))),
                option("name override", r -> {
                    assertThat(r.deployment().getMetadata().getName()).isEqualTo("kuratchi-operator-kdb");
                    assertThat(labelsOf(r)).containsEntry("app.kubernetes.io/name", "kdb");
                }, "nameOverride", "kdb"),
                option("full name override", r -> {
                    assertThat(r.deployment().getMetadata().getName()).isEqualTo("kop");
                    assertThat(r.one(ClusterRole.class).getMetadata().getName()).isEqualTo("kop");
                }, "fullnameOverride", "kop"),
                option("an existing ServiceAccount", r -> {
                    assertThat(r.all(ServiceAccount.class)).isEmpty();
                    assertThat(pod(r).getServiceAccountName()).isEqualTo("platform-sa");
                    assertThat(r.one(ClusterRoleBinding.class).getSubjects().get(0).getName()).isEqualTo("platform-sa");
                }, "serviceAccount.create", false, "serviceAccount.name", "platform-sa"),
                option("ServiceAccount's annotations", r -> assertThat(r.one(ServiceAccount.class).getMetadata()
                        .getAnnotations()).containsEntry("example.com/owner", "platform"),
                        "serviceAccount.annotations", Map.of("example.com/owner", "platform")),
                option("no RBAC", r -> Stream.of("ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding")
                        .forEach(kind -> assertThat(r.ofKind(kind)).isEmpty()), "rbac.create", false,
                        "replicaCount", 2),
                option("no CRDs", r -> assertThat(r.ofKind("CustomResourceDefinition")).isEmpty(),
                        "crds.enabled", false),
                option("CRDs not kept", r -> assertThat(r.ofKind("CustomResourceDefinition")).hasSize(2)
                        .allSatisfy(c -> assertThat(c.getMetadata().getAnnotations()).isNullOrEmpty()), "crds.keep", false),
                option("no finalizer guard", r -> assertThat(r.ofKind("ValidatingAdmissionPolicy")).isEmpty(),
                        "finalizerGuard.enabled", false),
                option("HTTP address", r -> {
                    assertThat(r.plainEnv()).containsEntry("KURATCHI_HTTP_HOST", "::")
                            .containsEntry("KURATCHI_HTTP_PORT", "9090");
                    assertThat(r.container().getPorts().get(0).getContainerPort()).isEqualTo(9090);
                    assertThat(r.one(Service.class).getSpec().getPorts().get(0).getPort()).isEqualTo(9090);
                }, "http.host", "::", "http.port", 9090),
                option("no metrics Service", r -> assertThat(r.all(Service.class)).isEmpty(),
                        "metrics.service.enabled", false),
                option("metrics Service's annotations", r -> assertThat(r.one(Service.class).getMetadata()
                        .getAnnotations()).containsEntry("example.com/scrape", "true"),
                        "metrics.service.annotations", Map.of("example.com/scrape", "true")),
                option("ServiceMonitor", r -> {
                    GenericKubernetesResource monitor = r.ofKind("ServiceMonitor").get(0);
                    Service service = r.one(Service.class);
                    assertThat(monitor.getMetadata().getLabels()).containsEntry("release", "prometheus");
                    assertThat(service.getMetadata().getLabels()).containsAllEntriesOf(monitor.<Map<String, String>>get(
                            "spec", "selector", "matchLabels"));
                    Map<String, Object> endpoint = monitor.<List<Map<String, Object>>>get("spec", "endpoints").get(0);
                    assertThat(endpoint).containsEntry("port", service.getSpec().getPorts().get(0).getName())
                            .containsEntry("path", "/metrics").containsEntry("interval", "15s")
                            .containsEntry("scrapeTimeout", "5s");
                }, "metrics.serviceMonitor.enabled", true, "metrics.serviceMonitor.interval", "15s",
                        "metrics.serviceMonitor.scrapeTimeout", "5s", "metrics.serviceMonitor.labels",
                        Map.of("release", "prometheus")),
                option("JVM options", r -> assertThat(r.plainEnv()).containsEntry("JAVA_TOOL_OPTIONS",
                        "-XX:MaxRAMPercentage=60"), "jvm.options", "-XX:MaxRAMPercentage=60"),
                option("resources", r -> {
                    assertThat(r.container().getResources().getRequests()).containsEntry("cpu", new Quantity("100m"))
                            .containsEntry("memory", new Quantity("512Mi"));
                    assertThat(r.container().getResources().getLimits()).containsEntry("cpu", new Quantity("2"))
                            .containsEntry("memory", new Quantity("512Mi"));
                }, "resources.requests.cpu", "100m", "resources.requests.memory", "512Mi", "resources.limits.cpu", "2",
                        "resources.limits.memory", "512Mi"),
                option("termination grace period", r -> assertThat(pod(r).getTerminationGracePeriodSeconds())
                        .isEqualTo(90L), "terminationGracePeriodSeconds", 90),
                option("probes", r -> {
                    Container c = r.container();
                    assertThat(List.of(c.getStartupProbe().getPeriodSeconds(), c.getStartupProbe().getFailureThreshold(),
                            c.getLivenessProbe().getPeriodSeconds(), c.getLivenessProbe().getTimeoutSeconds(),
                            c.getLivenessProbe().getFailureThreshold(), c.getReadinessProbe().getPeriodSeconds(),
                            c.getReadinessProbe().getTimeoutSeconds(), c.getReadinessProbe().getFailureThreshold()))
                            .containsExactly(3, 40, 20, 2, 6, 7, 4, 5);
                }, "probes.startup.periodSeconds", 3, "probes.startup.failureThreshold", 40,
                        "probes.liveness.periodSeconds", 20, "probes.liveness.timeoutSeconds", 2,
                        "probes.liveness.failureThreshold", 6, "probes.readiness.periodSeconds", 7,
                        "probes.readiness.timeoutSeconds", 4, "probes.readiness.failureThreshold", 5),
                option("security contexts", r -> {
                    var podSecurity = pod(r).getSecurityContext();
                    assertThat(List.of(podSecurity.getRunAsUser(), podSecurity.getRunAsGroup(), podSecurity.getFsGroup()))
                            .containsExactly(70000L, 70001L, 70002L);
                    assertThat(podSecurity.getRunAsNonRoot()).isTrue();
                    assertThat(podSecurity.getSeccompProfile().getType()).isEqualTo("Localhost");
                    var security = r.container().getSecurityContext();
                    assertThat(security.getCapabilities().getDrop()).containsExactly("ALL", "NET_RAW");
                    assertThat(List.of(security.getAllowPrivilegeEscalation(), security.getReadOnlyRootFilesystem(),
                            security.getPrivileged(), security.getRunAsNonRoot())).containsExactly(false, true, false, true);
                }, "podSecurityContext.runAsUser", 70000, "podSecurityContext.runAsGroup", 70001,
                        "podSecurityContext.fsGroup", 70002, "podSecurityContext.runAsNonRoot", true,
                        "podSecurityContext.seccompProfile", Map.of("type", "Localhost", "localhostProfile", "op.json"),
                        "securityContext.allowPrivilegeEscalation", false, "securityContext.readOnlyRootFilesystem", true,
                        "securityContext.privileged", false, "securityContext.runAsNonRoot", true,
                        "securityContext.capabilities.drop", List.of("ALL", "NET_RAW")),
                option("tmp size", r -> assertThat(pod(r).getVolumes()).filteredOn(v -> v.getEmptyDir() != null)
                        .singleElement().satisfies(v -> assertThat(v.getEmptyDir().getSizeLimit())
                                .isEqualTo(new Quantity("128Mi"))), "tmpVolume.sizeLimit", "128Mi"),
                option("PodDisruptionBudget", r -> {
                    PodDisruptionBudget budget = r.one(PodDisruptionBudget.class);
                    assertThat(budget.getSpec().getMinAvailable().getIntVal()).isEqualTo(1);
                    assertThat(labelsOf(r)).containsAllEntriesOf(budget.getSpec().getSelector().getMatchLabels());
                }, "podDisruptionBudget.enabled", true, "podDisruptionBudget.minAvailable", 1, "replicaCount", 2),
                option("PodDisruptionBudget as a percentage", r -> assertThat(r.one(PodDisruptionBudget.class).getSpec()
                        .getMinAvailable().getStrVal()).isEqualTo("50%"), "podDisruptionBudget.enabled", true,
                        "podDisruptionBudget.minAvailable", "50%", "replicaCount", 2),
                option("pod metadata and scheduling", r -> {
                    PodSpec pod = pod(r);
                    assertThat(r.deployment().getSpec().getTemplate().getMetadata().getAnnotations())
                            .containsEntry("example.com/team", "platform");
                    assertThat(labelsOf(r)).containsEntry("example.com/tier", "control");
                    assertThat(pod.getPriorityClassName()).isEqualTo("system-cluster-critical");
                    assertThat(pod.getNodeSelector()).containsEntry("kubernetes.io/os", "linux");
                    assertThat(pod.getTolerations()).singleElement().satisfies(t ->
                            assertThat(t.getKey()).isEqualTo("dedicated"));
                    assertThat(pod.getAffinity().getNodeAffinity()).isNotNull();
                }, "podAnnotations", Map.of("example.com/team", "platform"), "podLabels",
                        Map.of("example.com/tier", "control"), "priorityClassName", "system-cluster-critical",
                        "nodeSelector", Map.of("kubernetes.io/os", "linux"), "tolerations",
                        List.of(Map.of("key", "dedicated", "operator", "Exists", "effect", "NoSchedule")),
                        "affinity", Map.of("nodeAffinity", Map.of("requiredDuringSchedulingIgnoredDuringExecution",
                                Map.of("nodeSelectorTerms", List.of(Map.of("matchExpressions", List.of(Map.of(
                                        "key", "kubernetes.io/arch", "operator", "In", "values", List.of("amd64")))))))))
        );
    }

    /**
     * Each value, set alone over README's install: rendered as the option says; the RBAC always deploy/'s; never a
     * ConfigMap.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("options")
    void eachOption(Option option) throws Exception {
        Map<String, Object> values = new LinkedHashMap<>(BASE);
        Rendered rendered = template(merge(values, option.values()));
        option.check().accept(rendered);
        assertThat(rendered.ofKind("ConfigMap")).isEmpty();
        for (ClusterRole role : rendered.all(ClusterRole.class)) {
            assertThat(role.getRules()).isEqualTo(deployedClusterRole().getRules());
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> merge(Map<String, Object> base, Map<String, Object> override) {
        Map<String, Object> merged = new LinkedHashMap<>(base);
        override.forEach((k, v) -> merged.merge(k, v, (a, b) -> a instanceof Map<?, ?> am && b instanceof Map<?, ?> bm
                ? merge((Map<String, Object>) am, (Map<String, Object>) bm) : b));
        return merged;
    }

    /** Every value values.yaml documents has an option above that sets it (or the map it is in). */
    @Test
    void theOptionsCoverEveryValue() throws Exception {
        JsonNode defaults = HelmChart.documents(Files.readString(HelmChart.path().resolve("values.yaml"))).get(0);
        Set<String> leaves = new TreeSet<>();
        leaves(defaults, "", leaves);
        Set<String> covered = new TreeSet<>();
        options().forEach(o -> leaves(new ObjectMapper().valueToTree(o.values()), "", covered));
        assertThat(leaves).allSatisfy(leaf -> assertThat(covered).as("an option that sets %s", leaf)
                .anyMatch(c -> leaf.equals(c) || leaf.startsWith(c + ".") || c.startsWith(leaf + ".")));
    }

    private static void leaves(JsonNode node, String path, Set<String> leaves) {
        if (node.isObject() && !node.isEmpty()) {
            node.fields().forEachRemaining(e -> leaves(e.getValue(), path.isEmpty() ? e.getKey()
                    : path + "." + e.getKey(), leaves));
        } else {
            leaves.add(path);
        }
    }
}
