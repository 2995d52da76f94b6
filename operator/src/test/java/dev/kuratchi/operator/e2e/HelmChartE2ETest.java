package dev.kuratchi.operator.e2e;

import static dev.kuratchi.operator.support.HelmChart.NAMESPACE;
import static dev.kuratchi.operator.support.HelmChart.RELEASE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.InstallCommand;
import com.marcnuri.helm.Release;
import com.marcnuri.helm.UpgradeCommand;
import dev.kuratchi.operator.dodatabase.DoDatabase;
import dev.kuratchi.operator.dodatabase.DoDatabases;
import dev.kuratchi.operator.organization.KuratchiOrganization;
import dev.kuratchi.operator.support.EmulatorProcess;
import dev.kuratchi.operator.support.HelmChart;
import dev.kuratchi.operator.support.OperatorHarness;
import dev.kuratchi.operator.support.Processes;
import dev.kuratchi.operator.support.RealCluster;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The chart on the real API server of local/kube, in a cluster of its own (the release's CRDs, ClusterRole and
 * admission policy must not meet those the other tests put in the shared cluster): README's "Install with Helm"
 * commands run as written (kubectl through bash, helm through helm-java with the same arguments), and the operator
 * started with exactly the environment and ServiceAccount the chart renders. The local control plane has no kubelet,
 * so that process runs on the host, with the downward-API fields and the Secret volume resolved as a kubelet would.
 * Each test starts from a cluster without the release, its namespace or the CRDs.
 */
class HelmChartE2ETest {
    private static final List<String> CRDS = List.of("dodatabases.kuratchi.dev", "kuratchiorganizations.kuratchi.dev");
    private static final String CREDENTIALS = "kuratchi-operator-credentials";
    private static final String APPS = "e2e-helm-apps";
    private static final ResourceDefinitionContext GUARD = new ResourceDefinitionContext.Builder()
            .withGroup("admissionregistration.k8s.io").withVersion("v1").withKind("ValidatingAdmissionPolicy")
            .withPlural("validatingadmissionpolicies").build();
    private static RealCluster cluster;

    @TempDir
    Path home;

    @BeforeAll
    static void startCluster() {
        cluster = RealCluster.dedicated();
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static KubernetesClient client() {
        return cluster.client();
    }

    /** No release, no namespace, no CRDs, no guard: as a cluster is before anyone installs anything. */
    @BeforeEach
    void clean() {
        Helm.uninstall(RELEASE).withNamespace(NAMESPACE).withKubeConfig(cluster.kubeconfig()).ignoreNotFound().call();
        // Resources no operator will finalize any more: their finalizers would keep their CRD from going.
        if (client().apiextensions().v1().customResourceDefinitions().withName(CRDS.get(0)).get() != null) {
            Stream.of(DoDatabase.class, KuratchiOrganization.class).forEach(type -> client().resources(type)
                    .inAnyNamespace().list().getItems().forEach(r -> client().resource(r).edit(e -> {
                        e.getMetadata().setFinalizers(List.of());
                        return e;
                    })));
        }
        assertThat(cluster.kubectl("delete", "-f", "deploy/finalizer-guard.yaml", "--ignore-not-found").exitCode()).isZero();
        CRDS.forEach(crd -> client().apiextensions().v1().customResourceDefinitions().withName(crd).delete());
        Stream.of(NAMESPACE, APPS).forEach(ns -> client().namespaces().withName(ns).delete());
        await().atMost(Duration.ofSeconds(120)).until(() -> Stream.of(NAMESPACE, APPS)
                .allMatch(ns -> client().namespaces().withName(ns).get() == null) && CRDS.stream()
                .allMatch(crd -> client().apiextensions().v1().customResourceDefinitions().withName(crd).get() == null));
    }

    // ---- README's commands.

    /** The commands of each sh block of README's "Install with Helm", continuation lines joined. */
    private static List<List<String>> readmeBlocks() throws IOException {
        String readme = Files.readString(RealCluster.repositoryRoot().resolve("README.md"));
        int start = readme.indexOf("\n## Install with Helm\n");
        assertThat(start).as("README's section \"Install with Helm\"").isPositive();
        String section = readme.substring(start + 1, readme.indexOf("\n## ", start + 1));
        List<List<String>> blocks = new ArrayList<>();
        Matcher block = Pattern.compile("(?s)```sh\n(.*?)```").matcher(section);
        while (block.find()) {
            blocks.add(block.group(1).replace("\\\n", " ").lines().map(String::strip)
                    .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList());
        }
        return blocks;
    }

    /** README's block whose commands include one that starts with {@code command}. */
    private static List<String> readme(String command) throws IOException {
        List<List<String>> matching = readmeBlocks().stream()
                .filter(b -> b.stream().anyMatch(c -> c.startsWith(command))).toList();
        assertThat(matching).as("README's block with %s", command).hasSize(1);
        return matching.get(0);
    }

    /** The result of each helm command run, in order. */
    private final List<Release> releases = new ArrayList<>();

    /** Runs README's commands as a user at the repository's root with this cluster's kubeconfig and kubectl. */
    private void run(List<String> commands) {
        commands.forEach(this::run);
    }

    private void run(String command) {
        if (command.startsWith("helm ")) {
            helm(command);
            return;
        }
        ProcessBuilder bash = new ProcessBuilder("bash", "-c", command).directory(RealCluster.repositoryRoot().toFile());
        bash.environment().put("HOME", home.toString());
        bash.environment().put("KUBECONFIG", cluster.kubeconfig().toString());
        bash.environment().put("PATH", cluster.binDir() + ":" + System.getenv("PATH"));
        Processes.Finished done = Processes.run(bash, Duration.ofSeconds(90));
        assertThat(done.exitCode()).as("%s\n%s%s", command, done.stdout(), done.stderr()).isZero();
    }

    /** A helm command line through helm-java, with the same arguments; any argument it does not know fails. */
    private void helm(String line) {
        List<String> args = List.of(line.split("\\s+"));
        assertThat(line).as("README's helm commands are plain words").doesNotContain("\"", "'", "$");
        String verb = args.get(1);
        Map<String, String> set = new LinkedHashMap<>();
        String namespace = null;
        boolean createNamespace = false;
        boolean reuseValues = false;
        List<String> positional = new ArrayList<>();
        for (int i = 2; i < args.size(); i++) {
            switch (args.get(i)) {
                case "-n", "--namespace" -> namespace = args.get(++i);
                case "--create-namespace" -> createNamespace = true;
                case "--reuse-values" -> reuseValues = true;
                case "--set" -> {
                    String[] kv = args.get(++i).split("=", 2);
                    set.put(kv[0], kv[1]);
                }
                default -> {
                    assertThat(args.get(i)).as("a helm argument this test translates").doesNotStartWith("-");
                    positional.add(args.get(i));
                }
            }
        }
        Path kubeconfig = cluster.kubeconfig();
        switch (verb) {
            case "install" -> {
                InstallCommand install = new Helm(RealCluster.repositoryRoot().resolve(positional.get(1))).install()
                        .withName(positional.get(0)).withNamespace(namespace).withKubeConfig(kubeconfig);
                if (createNamespace) {
                    install.createNamespace();
                }
                set.forEach(install::set);
                releases.add(install.call());
            }
            case "upgrade" -> {
                UpgradeCommand upgrade = new Helm(RealCluster.repositoryRoot().resolve(positional.get(1))).upgrade()
                        .withName(positional.get(0)).withNamespace(namespace).withKubeConfig(kubeconfig);
                if (reuseValues) {
                    upgrade.reuseValues();
                }
                set.forEach(upgrade::set);
                releases.add(upgrade.call());
            }
            case "uninstall" -> {
                assertThat(positional).hasSize(1);
                Helm.uninstall(positional.get(0)).withNamespace(namespace).withKubeConfig(kubeconfig).call();
            }
            default -> throw new AssertionError("a helm command this test does not run: " + line);
        }
    }

    // ---- What a release leaves in the cluster.

    private static Deployment deployment() {
        return client().apps().deployments().inNamespace(NAMESPACE).withName(RELEASE).get();
    }

    private static Map<String, String> env(Deployment deployment) {
        Map<String, String> env = new LinkedHashMap<>();
        deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv()
                .forEach(e -> env.put(e.getName(), e.getValue()));
        return env;
    }

    private static <T> T fromFile(String path, Class<T> type) throws IOException {
        return Serialization.unmarshal(Files.readString(RealCluster.repositoryRoot().resolve(path)), type);
    }

    /** The chart's objects of the release, cluster-wide and in its namespace, by "kind/name". */
    private static List<String> releaseObjects() {
        List<String> objects = new ArrayList<>();
        if (deployment() != null) {
            objects.add("Deployment/" + RELEASE);
        }
        client().serviceAccounts().inNamespace(NAMESPACE).withLabel("app.kubernetes.io/instance", RELEASE).list()
                .getItems().forEach(o -> objects.add("ServiceAccount/" + o.getMetadata().getName()));
        client().services().inNamespace(NAMESPACE).withLabel("app.kubernetes.io/instance", RELEASE).list()
                .getItems().forEach(o -> objects.add("Service/" + o.getMetadata().getName()));
        client().rbac().clusterRoles().withLabel("app.kubernetes.io/instance", RELEASE).list().getItems()
                .forEach(o -> objects.add("ClusterRole/" + o.getMetadata().getName()));
        client().rbac().clusterRoleBindings().withLabel("app.kubernetes.io/instance", RELEASE).list().getItems()
                .forEach(o -> objects.add("ClusterRoleBinding/" + o.getMetadata().getName()));
        client().rbac().roles().inAnyNamespace().withLabel("app.kubernetes.io/instance", RELEASE).list().getItems()
                .forEach(o -> objects.add("Role/" + o.getMetadata().getName()));
        client().rbac().roleBindings().inAnyNamespace().withLabel("app.kubernetes.io/instance", RELEASE).list()
                .getItems().forEach(o -> objects.add("RoleBinding/" + o.getMetadata().getName()));
        client().genericKubernetesResources(GUARD).withLabel("app.kubernetes.io/instance", RELEASE).list().getItems()
                .forEach(o -> objects.add("ValidatingAdmissionPolicy/" + o.getMetadata().getName()));
        client().secrets().inNamespace(NAMESPACE).withLabel("owner", "helm").list().getItems()
                .forEach(o -> objects.add("Secret/" + o.getMetadata().getName()));
        return objects;
    }

    private static void assertCrdsAreTheReleasesAndServed() {
        for (String name : CRDS) {
            CustomResourceDefinition crd = client().apiextensions().v1().customResourceDefinitions().withName(name).get();
            assertThat(crd).as(name).isNotNull();
            assertThat(crd.getMetadata().getAnnotations()).containsEntry("helm.sh/resource-policy", "keep")
                    .containsEntry("meta.helm.sh/release-name", RELEASE)
                    .containsEntry("meta.helm.sh/release-namespace", NAMESPACE);
            await().atMost(Duration.ofSeconds(30)).until(() -> client().apiextensions().v1()
                    .customResourceDefinitions().withName(name).get().getStatus().getConditions().stream()
                    .anyMatch(c -> c.getType().equals("Established") && c.getStatus().equals("True")));
        }
    }

    private static void writeApiToken(Path home) throws IOException {
        Path dir = home.resolve("kuratchi-secrets");
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        // What README asks the user to write with an editor.
        Files.writeString(dir.resolve("cloudflare-api-token"), "readme-cloudflare-token\n");
    }

    @Test
    void readmesInstallUpgradeAndUninstallRunAsWritten() throws Exception {
        writeApiToken(home);
        run(readme("helm install"));

        Release installed = releases.get(0);
        assertThat(installed.getStatus()).isEqualTo("deployed");
        String key = Files.readString(home.resolve("kuratchi-secrets/gateway-key")).strip();
        assertThat(key).matches("[0-9a-f]{64}");
        assertThat(installed.getOutput()).contains("NOTES:", "the Secret kuratchi-system/" + CREDENTIALS,
                "kubectl apply -n default -f examples/dodatabase.yaml").doesNotContain(key, "readme-cloudflare-token");
        Secret credentials = client().secrets().inNamespace(NAMESPACE).withName(CREDENTIALS).get();
        assertThat(DoDatabases.data(credentials)).containsOnlyKeys("cloudflare-api-token", "gateway-key")
                .containsEntry("gateway-key", key + "\n");

        assertCrdsAreTheReleasesAndServed();
        Deployment deployment = deployment();
        assertThat(deployment.getSpec().getReplicas()).isEqualTo(1);
        assertThat(env(deployment)).containsEntry("KURATCHI_CF_ACCOUNT_ID", "0123456789abcdef0123456789abcdef")
                .containsEntry("KURATCHI_LEADER_ELECTION", "false");
        assertThat(deployment.getSpec().getTemplate().getSpec().getVolumes()).anySatisfy(v ->
                assertThat(v.getSecret().getSecretName()).isEqualTo(CREDENTIALS));
        assertThat(client().rbac().clusterRoles().withName(RELEASE).get().getRules())
                .isEqualTo(fromFile("deploy/operator-clusterrole.yaml", ClusterRole.class).getRules());
        assertThat(releaseObjects()).contains("ServiceAccount/" + RELEASE, "ClusterRoleBinding/" + RELEASE,
                "Service/" + RELEASE + "-metrics", "ValidatingAdmissionPolicy/" + RELEASE + "-finalizer")
                .noneMatch(o -> o.startsWith("Role/"));

        run(readme("helm upgrade"));
        assertThat(releases.get(1).getRevision()).isEqualTo("2");
        Deployment upgraded = deployment();
        assertThat(upgraded.getSpec().getReplicas()).isEqualTo(2);
        assertThat(env(upgraded)).as("the account, reused").containsEntry("KURATCHI_CF_ACCOUNT_ID",
                "0123456789abcdef0123456789abcdef").containsEntry("KURATCHI_LEADER_ELECTION", "true")
                .containsEntry("KURATCHI_LEADER_ELECTION_LEASE_NAME", RELEASE);
        assertThat(upgraded.getSpec().getStrategy().getType()).as("the old pod, without leader election, stops first")
                .isEqualTo("Recreate");
        Role lease = client().rbac().roles().inNamespace(NAMESPACE).withName(RELEASE + "-leader-election").get();
        assertThat(lease.getRules()).isEqualTo(fromFile("deploy/operator-leader-election-role.yaml", Role.class)
                .getRules());
        assertThat(client().rbac().roleBindings().inNamespace(NAMESPACE).withName(RELEASE + "-leader-election").get()
                .getSubjects()).singleElement().satisfies(s -> assertThat(s.getName()).isEqualTo(RELEASE));

        run(readme("helm uninstall"));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(releaseObjects()).isEmpty());
        for (String crd : CRDS) {
            assertThat(client().apiextensions().v1().customResourceDefinitions().withName(crd).get())
                    .as("%s, kept", crd).isNotNull();
        }
        assertThat(client().secrets().inNamespace(NAMESPACE).withName(CREDENTIALS).get()).as("made by kubectl, kept")
                .isNotNull();
    }

    /** CRDs and the guard applied with kubectl beforehand: the install refuses them until README's commands ran. */
    @Test
    void crdsAndAGuardAppliedByHandAreTakenOverAsReadmeSays() throws Exception {
        assertThat(cluster.kubectl("apply", "-f", "crds/").exitCode()).isZero();
        assertThat(cluster.kubectl("apply", "-f", "deploy/finalizer-guard.yaml").exitCode()).isZero();
        writeApiToken(home);
        List<String> install = readme("helm install");
        String helmInstall = install.stream().filter(c -> c.startsWith("helm install")).findFirst().orElseThrow();

        assertThatThrownBy(() -> run(install)).hasMessageContaining("exists and cannot be imported into the current "
                + "release").hasMessageContaining("meta.helm.sh/release-name");
        run(readme("kubectl annotate crd"));
        run(helmInstall);

        assertThat(releases).singleElement().satisfies(r -> assertThat(r.getStatus()).isEqualTo("deployed"));
        assertCrdsAreTheReleasesAndServed();
        GenericKubernetesResource guard = client().genericKubernetesResources(GUARD).withName(RELEASE + "-finalizer").get();
        assertThat(guard.getMetadata().getLabels()).containsEntry("app.kubernetes.io/managed-by", "Helm");
        run(readme("helm uninstall"));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(releaseObjects()).isEmpty());
    }

    /** An older chart's CRD in the cluster is replaced by the current one on helm upgrade. */
    @Test
    void anUpgradeBringsTheCurrentCrds() throws Exception {
        Path old = home.resolve("old-chart");
        try (Stream<Path> files = Files.walk(HelmChart.path())) {
            for (Path file : files.toList()) {
                Path copy = old.resolve(HelmChart.path().relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(copy);
                } else {
                    Files.copy(file, copy);
                }
            }
        }
        Path crd = old.resolve("files/crds/dodatabases.kuratchi.dev-v1.yml");
        String current = Files.readString(crd);
        assertThat(current).contains("name: \"Expires\"");
        Files.writeString(crd, current.replace("name: \"Expires\"", "name: \"Until\""));
        Map<String, Object> values = HelmChart.values("cloudflare.accountId", "0123456789abcdef0123456789abcdef",
                "credentials.cloudflareApiToken", "upgrade-test-token", "credentials.gatewayKey", "k".repeat(40));
        Path valuesFile = HelmChart.valuesFile(values);

        new Helm(old).install().withName(RELEASE).withNamespace(NAMESPACE).createNamespace()
                .withKubeConfig(cluster.kubeconfig()).withValuesFile(valuesFile).call();
        assertThat(printerColumns()).contains("Until").doesNotContain("Expires");

        Release upgraded = HelmChart.helm().upgrade().withName(RELEASE).withNamespace(NAMESPACE)
                .withKubeConfig(cluster.kubeconfig()).withValuesFile(valuesFile).call();
        assertThat(upgraded.getStatus()).isEqualTo("deployed");
        assertThat(printerColumns()).containsExactly("Ready", "Reason", "Database", "Secret", "Expires", "Age");
        Helm.uninstall(RELEASE).withNamespace(NAMESPACE).withKubeConfig(cluster.kubeconfig()).call();
    }

    private static List<String> printerColumns() {
        return client().apiextensions().v1().customResourceDefinitions().withName(CRDS.get(0)).get().getSpec()
                .getVersions().get(0).getAdditionalPrinterColumns().stream().map(c -> c.getName()).toList();
    }

    // ---- The operator as the chart runs it.

    /**
     * helm install (every namespace, or one watched namespace), then the operator jar started on the host with the
     * rendered container's environment, as its ServiceAccount: the example DoDatabase becomes Ready, its Secret's
     * token answers at the gateway, the admin database is made in the release's namespace, /readyz answers 200, and
     * SIGTERM ends the process within the rendered grace period.
     */
    @ParameterizedTest(name = "watchNamespaces: {0}")
    @ValueSource(strings = {"", APPS})
    void theOperatorRunsWithTheEnvironmentAndServiceAccountTheChartRenders(String watched) throws Exception {
        Stream.of(NAMESPACE, APPS).forEach(ns -> client().resource(new NamespaceBuilder().withNewMetadata()
                .withName(ns).endMetadata().build()).create());
        byte[] gatewayKey = new byte[32];
        new SecureRandom().nextBytes(gatewayKey);
        client().resource(new SecretBuilder().withNewMetadata().withName(CREDENTIALS).withNamespace(NAMESPACE)
                .endMetadata().addToStringData("cloudflare-api-token", EmulatorProcess.API_TOKEN)
                .addToStringData("gateway-key", HexFormat.of().formatHex(gatewayKey)).build()).create();

        try (EmulatorProcess emulator = EmulatorProcess.start()) {
            Map<String, Object> values = HelmChart.values("cloudflare.accountId", emulator.accountId(),
                    "cloudflare.apiBaseUrl", emulator.apiUrl().toString(),
                    "gateway.url", emulator.gatewayUrl(OperatorHarness.SCRIPT).toString(),
                    "credentials.existingSecret", CREDENTIALS,
                    "watchNamespaces", watched.isEmpty() ? List.of() : List.of(watched),
                    // Two replicas turn leader election on: the one the test runs takes the Lease.
                    "replicaCount", watched.isEmpty() ? 2 : 1);
            Path valuesFile = HelmChart.valuesFile(values);
            Release release = HelmChart.helm().install().withName(RELEASE).withNamespace(NAMESPACE)
                    .withKubeConfig(cluster.kubeconfig()).withValuesFile(valuesFile).call();
            assertThat(release.getStatus()).isEqualTo("deployed");

            HelmChart.Rendered rendered = HelmChart.template(values);
            Deployment installed = deployment();
            assertThat(installed.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv())
                    .as("what runs is what the release installed").isEqualTo(rendered.container().getEnv());

            HostProcess operator = HostProcess.start(rendered.deployment(), home);
            try {
                operator.awaitReady();
                if (watched.isEmpty()) {
                    String lease = rendered.deployment().getMetadata().getName();
                    await().atMost(Duration.ofSeconds(30)).until(() -> Optional.ofNullable(client()
                            .resources(Lease.class).inNamespace(NAMESPACE).withName(lease).get())
                            .map(l -> l.getSpec().getHolderIdentity()).orElse("").equals(lease + "-host"));
                }
                RealCluster.Result applied = cluster.kubectl("apply", "-n", APPS, "-f", "examples/dodatabase.yaml");
                assertThat(applied.exitCode()).as(applied.output()).isZero();
                DoDatabases dbs = new DoDatabases(client());
                dbs.awaitReady(APPS, "shop");
                Secret secret = dbs.secret(APPS, "shop-db");
                assertThat(DoDatabases.data(secret).get("token")).isNotBlank();
                assertThat(DoDatabases.gateway(secret).query("SELECT count(*) AS n FROM items").get(0).getLong("n"))
                        .isZero();
                dbs.awaitReady(NAMESPACE, "kuratchi-admin");
                assertThat(operator.get("/readyz")).isEqualTo(200);
                assertThat(operator.get("/healthz")).isEqualTo(200);

                // Deleted while the operator runs, which releases them and takes its finalizer off.
                client().resources(DoDatabase.class).inNamespace(APPS).withName("shop").delete();
                client().resources(DoDatabase.class).inNamespace(NAMESPACE).withName("kuratchi-admin").delete();
                await().atMost(Duration.ofSeconds(60)).until(() -> dbs.get(APPS, "shop") == null
                        && dbs.get(NAMESPACE, "kuratchi-admin") == null);
            } finally {
                operator.stop();
            }
            assertThat(operator.exitedWithin()).as("SIGTERM to exit, within terminationGracePeriodSeconds %s\n%s",
                    installed.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds(), operator.log())
                    .isTrue();
            Helm.uninstall(RELEASE).withNamespace(NAMESPACE).withKubeConfig(cluster.kubeconfig()).call();
        }
    }

    /**
     * The operator jar as the pod's container would run it, on the host: the container's environment exactly, with
     * what the kubelet resolves resolved the same way here (the downward API's fields; the Secret volume, written to
     * a directory where the variables that point into the mount now point), and the ServiceAccount's token in a
     * kubeconfig. The pod has a network namespace of its own, the host does not: the probe server listens on a free
     * loopback port instead of KURATCHI_HTTP_HOST:KURATCHI_HTTP_PORT.
     */
    private record HostProcess(Process process, Path logFile, int port, long gracePeriodSeconds, boolean[] exited) {
        static HostProcess start(Deployment deployment, Path home) throws Exception {
            PodSpec pod = deployment.getSpec().getTemplate().getSpec();
            Container container = pod.getContainers().get(0);
            assertThat(container.getCommand()).as("the image's entrypoint runs the jar").isNullOrEmpty();
            assertThat(container.getArgs()).isNullOrEmpty();
            String podName = deployment.getMetadata().getName() + "-host";

            Map<String, String> mounts = new LinkedHashMap<>();
            for (VolumeMount mount : container.getVolumeMounts()) {
                Volume volume = pod.getVolumes().stream().filter(v -> v.getName().equals(mount.getName())).findFirst()
                        .orElseThrow();
                Path dir = Files.createDirectories(home.resolve("volumes").resolve(mount.getName()),
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                if (volume.getSecret() != null) {
                    Secret secret = client().secrets().inNamespace(NAMESPACE).withName(volume.getSecret()
                            .getSecretName()).get();
                    for (var entry : secret.getData().entrySet()) {
                        Files.write(dir.resolve(entry.getKey()), Base64.getDecoder().decode(entry.getValue()));
                    }
                } else {
                    assertThat(volume.getEmptyDir()).as("volume %s", volume.getName()).isNotNull();
                }
                mounts.put(mount.getMountPath(), dir.toString());
            }

            int port;
            try (ServerSocket socket = new ServerSocket(0)) {
                port = socket.getLocalPort();
            }
            Map<String, String> env = new LinkedHashMap<>();
            for (EnvVar variable : container.getEnv()) {
                String value;
                if (variable.getValueFrom() != null) {
                    assertThat(variable.getValueFrom().getFieldRef()).as("%s: only downward-API fields",
                            variable.getName()).isNotNull();
                    value = switch (variable.getValueFrom().getFieldRef().getFieldPath()) {
                        case "metadata.namespace" -> NAMESPACE;
                        case "metadata.name" -> podName;
                        default -> throw new AssertionError("a field this test does not resolve: " + variable);
                    };
                } else {
                    String plain = variable.getValue();
                    value = mounts.entrySet().stream().filter(m -> plain.startsWith(m.getKey() + "/")).findFirst()
                            .map(m -> m.getValue() + plain.substring(m.getKey().length())).orElse(plain);
                }
                env.put(variable.getName(), value);
            }
            assertThat(env.get("KURATCHI_HTTP_PORT")).isEqualTo(String.valueOf(container.getPorts().get(0)
                    .getContainerPort()));
            env.put("KURATCHI_HTTP_HOST", "127.0.0.1");
            env.put("KURATCHI_HTTP_PORT", String.valueOf(port));
            // /tmp is the pod's emptyDir: the JVM's temporary files go to that volume here too.
            String tmp = mounts.get("/tmp");
            assertThat(tmp).isNotNull();

            String token = cluster.serviceAccountToken(NAMESPACE, pod.getServiceAccountName(), 3600);
            Path kubeconfig = cluster.kubeconfigWithToken(home.resolve("operator-kubeconfig"), token);

            Path jar = Path.of(System.getProperty("kuratchi.operator.jar"));
            assertThat(jar).as("built by the package phase").isRegularFile();
            Path log = home.resolve("operator.log");
            ProcessBuilder builder = new ProcessBuilder("java", "-Djava.io.tmpdir=" + tmp, "-jar", jar.toString())
                    .directory(home.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
            builder.environment().clear();
            builder.environment().putAll(env);
            builder.environment().putAll(Map.of("PATH", System.getenv("PATH"), "HOME", home.toString(),
                    "KUBECONFIG", kubeconfig.toString()));
            return new HostProcess(builder.start(), log, port, pod.getTerminationGracePeriodSeconds(),
                    new boolean[1]);
        }

        String log() {
            try {
                return Files.readString(logFile, StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "(no log: " + e.getMessage() + ")";
            }
        }

        int get(String path) {
            try {
                return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                        + path)).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding())
                        .statusCode();
            } catch (IOException e) {
                return -1;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        void awaitReady() {
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
                    .until(() -> !process.isAlive() || get("/readyz") == 200);
            assertThat(process.isAlive()).as("the operator is running\n%s", log()).isTrue();
        }

        /** SIGTERM, as the kubelet sends it; SIGKILL after the grace period, which {@link #exitedWithin} reports. */
        void stop() throws InterruptedException {
            process.destroy();
            exited[0] = process.waitFor(gracePeriodSeconds, TimeUnit.SECONDS);
            if (!exited[0]) {
                process.destroyForcibly().waitFor();
            }
            assertThat(process.descendants()).as("no process left").isEmpty();
        }

        boolean exitedWithin() {
            return exited[0];
        }
    }
}
