package dev.kuratchi.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kuratchi.operator.dodatabase.DoDatabases;
import dev.kuratchi.operator.support.Dockerfile;
import dev.kuratchi.operator.support.ImageArchive;
import dev.kuratchi.operator.support.OperatorHarness;
import dev.kuratchi.operator.support.Processes;
import dev.kuratchi.operator.support.RealCluster;
import dev.kuratchi.operator.support.SharedEmulator;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The container image {@code mvn package} builds (target/kuratchi-operator-&lt;version&gt;-image.tar: Jib on the base
 * image/base.sh makes from Debian's packages), run from its unpacked layers as Kubernetes would run it, since no
 * container runtime runs here ({@link ImageArchive}): its entrypoint starts the operator as PID 1, user 65532 with no
 * capabilities, on a read-only root file system with a tmpfs at /tmp, configured as in a pod (a ServiceAccount's token
 * and the cluster's CA where Kubernetes mounts them, bound to the ClusterRole of deploy/, and JAVA_TOOL_OPTIONS as the
 * chart may set it); it answers /readyz and makes a DoDatabase Ready whose token works. Its configuration is
 * image/Dockerfile's, and its Java runtime has every module the jar needs and trusts the authorities of
 * api.cloudflare.com's certificates. Nothing is left running or mounted.
 */
class ImageE2ETest {
    private static final String NAMESPACE = "e2e-image";
    private static final String ACCOUNT = "kuratchi-operator-image";
    private static final String NONROOT = "65532";
    // In the environment of every container the tests start: whatever still runs with it afterwards was left behind.
    private static final String MARK = "KURATCHI_IMAGE_E2E_RUN";
    private static final String MARK_VALUE = UUID.randomUUID().toString();
    private static final Path ROOT = RealCluster.repositoryRoot();
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final SharedEmulator EMULATOR = new SharedEmulator();

    private static ImageArchive image;

    @BeforeAll
    static void unpack() throws IOException {
        Path archive = Path.of(System.getProperty("kuratchi.operator.image"));
        assertThat(archive).as("the image `mvn package` builds where mmdebstrap is installed (apt-get install "
                + "mmdebstrap; README.md, \"Container image\")").isRegularFile();
        image = ImageArchive.unpack(archive);
        System.out.printf("[ImageE2ETest] %s: layers %.1f MB compressed, %.1f MB unpacked%n", archive.getFileName(),
                image.compressedBytes() / 1e6, image.unpackedBytes() / 1e6);
    }

    @AfterAll
    static void remove() {
        if (image != null) {
            image.close();
        }
    }

    @AfterEach
    void nothingLeftRunning() {
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(Processes.withEnvironmentEntry(MARK + "=" + MARK_VALUE)).as("container processes").isEmpty());
    }

    private static Map<String, String> marked(Map<String, String> environment) {
        Map<String, String> marked = new HashMap<>(environment);
        marked.put(MARK, MARK_VALUE);
        return marked;
    }

    private static List<String> strings(JsonNode array) {
        return array == null || array.isNull() ? List.of() : JSON.convertValue(array, new TypeReference<>() { });
    }

    @Test
    void itsConfigurationAndFilesAreThoseOfTheDockerfile() throws Exception {
        JsonNode config = image.config();
        Dockerfile dockerfile = Dockerfile.read(ROOT.resolve("image/Dockerfile"));
        assertThat(strings(config.get("Entrypoint"))).isEqualTo(dockerfile.entrypoint());
        assertThat(strings(config.get("Cmd"))).isEmpty();
        assertThat(config.get("User").asText()).isEqualTo(dockerfile.one("USER")).isEqualTo(NONROOT + ":" + NONROOT);
        assertThat(config.get("WorkingDir").asText()).isEqualTo(dockerfile.one("WORKDIR"));
        Map<String, String> env = strings(config.get("Env")).stream()
                .collect(Collectors.toMap(e -> e.substring(0, e.indexOf('=')), e -> e.substring(e.indexOf('=') + 1)));
        assertThat(env).isEqualTo(dockerfile.pairs("ENV"));
        assertThat(JSON.convertValue(config.get("Labels"), new TypeReference<Map<String, String>>() { }))
                .isEqualTo(dockerfile.pairs("LABEL"));
        assertThat(config.get("ExposedPorts").has(dockerfile.one("EXPOSE") + "/tcp")).isTrue();

        Path rootfs = image.rootfs();
        assertThat(Files.mismatch(rootfs.resolve("app/kuratchi-operator.jar"),
                Path.of(System.getProperty("kuratchi.operator.jar")))).as("the shaded jar, as it is").isEqualTo(-1L);
        assertThat(Files.readAllLines(rootfs.resolve("etc/passwd")))
                .contains("nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin");
        assertThat(Files.getOwner(rootfs.resolve("home/nonroot")).getName()).isEqualTo(NONROOT);
        assertThat(rootfs.resolve("bin/sh")).as("no shell").satisfies(sh ->
                assertThat(Files.exists(sh, LinkOption.NOFOLLOW_LINKS)).isFalse());
        // Package records for image scanners, one per Debian package inside.
        assertThat(rootfs.resolve("var/lib/dpkg/status.d/libc6")).content().contains("Status: install ok installed");
    }

    @Test
    void itsJavaRuntimeHasEveryModuleTheJarNeedsAndTrustsCloudflaresCertificateAuthorities() throws Exception {
        Processes.Finished jdeps = Processes.run(new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin",
                "jdeps").toString(), "--ignore-missing-deps", "--print-module-deps", "--multi-release", "17",
                image.rootfs().resolve("app/kuratchi-operator.jar").toString()), Duration.ofMinutes(2));
        assertThat(jdeps.exitCode()).as(jdeps.stderr()).isZero();
        String release = Files.readString(image.rootfs().resolve("opt/java/release"));
        List<String> modules = Arrays.asList(release.replaceFirst("(?s).*\nMODULES=\"([^\"]*)\".*", "$1").split(" "));
        assertThat(modules).as("the runtime's modules (image/base.sh's MODULES)")
                .containsAll(Arrays.asList(jdeps.stdout().strip().split(",")));

        // The certificate authorities behind api.cloudflare.com (Google Trust Services, Let's Encrypt): its Java
        // trusts them without anything mounted.
        Path log = Files.createTempFile("kuratchi-image-keytool-", ".log");
        try {
            ImageArchive.Container keytool = image.run(List.of("/opt/java/bin/keytool", "-list", "-v", "-cacerts",
                    "-storepass", "changeit"), marked(Map.of()), Map.of(), log);
            assertThat(keytool.waitFor(Duration.ofMinutes(1))).as(keytool.log()).isZero();
            assertThat(keytool.log()).contains("Owner: CN=GTS Root R1, O=Google Trust Services LLC, C=US",
                    "Owner: CN=GTS Root R4, O=Google Trust Services LLC, C=US",
                    "Owner: CN=ISRG Root X1, O=Internet Security Research Group, C=US");
        } finally {
            Files.delete(log);
        }
    }

    @Test
    void unlessJavaToolOptionsIsSetTheJvmTakesTheImagesOptions() throws Exception {
        Path log = Files.createTempFile("kuratchi-image-java-", ".log");
        try {
            ImageArchive.Container java = image.run(List.of("/opt/java/bin/java", "-XshowSettings:properties",
                    "-XX:+PrintFlagsFinal", "-version"), marked(Map.of()), Map.of(), log);
            assertThat(java.waitFor(Duration.ofMinutes(1))).as(java.log()).isZero();
            assertThat(java.log()).containsPattern("double MaxRAMPercentage += 75\\.0+ +\\{product} \\{environment}")
                    .containsPattern("bool ExitOnOutOfMemoryError += true +\\{product} \\{environment}")
                    .contains("user.name = nonroot", "user.home = /home/nonroot");
        } finally {
            Files.delete(log);
        }
    }

    @Test
    void theEntrypointRunsTheOperatorAsNonrootOnAReadOnlyRootAndItMakesADatabaseReady() throws Exception {
        RealCluster cluster = RealCluster.shared();
        RealClusterE2ETest.namespace(NAMESPACE);
        Path serviceAccount = Files.createTempDirectory("kuratchi-image-serviceaccount-");
        try {
            runTheOperator(cluster, serviceAccountVolume(cluster, serviceAccount));
        } finally {
            try (var files = Files.list(serviceAccount)) {
                for (Path file : files.toList()) {
                    Files.delete(file);
                }
            }
            Files.delete(serviceAccount);
        }
    }

    private static void runTheOperator(RealCluster cluster, Path serviceAccount) throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        URI apiServer = URI.create(cluster.adminConfig().getMasterUrl());
        Map<String, String> environment = new HashMap<>(OperatorHarness.environment(EMULATOR.get()));
        environment.putAll(Map.of(
                // What the kubelet gives every pod: the API server's address, the ServiceAccount mounted below.
                "KUBERNETES_SERVICE_HOST", apiServer.getHost(),
                "KUBERNETES_SERVICE_PORT", String.valueOf(apiServer.getPort()),
                "KURATCHI_HTTP_PORT", String.valueOf(port),
                "KURATCHI_WATCH_NAMESPACES", NAMESPACE,
                "KURATCHI_ADMIN_NAMESPACE", NAMESPACE,
                // As the chart sets it (jvm.options), tuned: it replaces the image's.
                "JAVA_TOOL_OPTIONS", "-XX:MaxRAMPercentage=50 -XX:+ExitOnOutOfMemoryError"));
        Path log = Path.of("target/image-operator.log");
        ImageArchive.Container container = image.run(marked(environment),
                Map.of(serviceAccount, "/var/run/secrets/kubernetes.io/serviceaccount"), log);
        int exitCode;
        try {
            await("/readyz").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(250)).until(() -> {
                assertThat(container.isAlive()).as("the container ended: %s", container.log()).isTrue();
                return status(port, "/readyz") == 200;
            });
            assertThat(status(port, "/healthz")).isEqualTo(200);
            ProcessHandle operator = container.pid1();
            Path proc = Path.of("/proc", String.valueOf(operator.pid()));

            Map<String, String> status = Files.readAllLines(proc.resolve("status")).stream()
                    .map(line -> line.split(":\\s*", 2)).collect(Collectors.toMap(f -> f[0], f -> f.length > 1 ? f[1] : ""));
            assertThat(status.get("Name")).isEqualTo("java");
            assertThat(status.get("Uid").split("\\s+")).containsOnly(NONROOT);
            assertThat(status.get("Gid").split("\\s+")).containsOnly(NONROOT);
            assertThat(status.get("Groups")).isEmpty();
            assertThat(status.get("CapEff")).as("capabilities").isEqualTo("0000000000000000");
            assertThat(status.get("NSpid").split("\\s+")).as("PID 1 in its namespace")
                    .containsExactly(String.valueOf(operator.pid()), "1");
            String rootMount = Files.readAllLines(proc.resolve("mountinfo")).stream().map(l -> l.split(" "))
                    .filter(f -> f[4].equals("/")).map(f -> f[5]).reduce((first, last) -> last).orElseThrow();
            assertThat(rootMount.split(",")).as("the root file system's mount options").contains("ro");
            // The JVM writes its performance data to /tmp, the tmpfs, under the user name from /etc/passwd.
            assertThat(proc.resolve("root/tmp/hsperfdata_nonroot/1")).exists();

            // The JVM's options are the chart's, read with the image's own jcmd as `kubectl exec ... -- jcmd 1
            // VM.flags` would.
            Processes.Finished flags = container.exec("/opt/java/bin/jcmd", "1", "VM.flags");
            assertThat(flags.exitCode()).as(flags.stdout() + flags.stderr()).isZero();
            assertThat(flags.stdout()).contains("-XX:+ExitOnOutOfMemoryError", "-XX:MaxRAMPercentage=50");
            assertThat(container.exec("/opt/java/bin/jcmd", "1", "VM.system_properties").stdout())
                    .contains("file.encoding=UTF-8");
            assertThat(container.log())
                    .contains("Picked up JAVA_TOOL_OPTIONS: -XX:MaxRAMPercentage=50 -XX:+ExitOnOutOfMemoryError")
                    .containsPattern("kuratchi-operator started; probes and metrics on \\S*:" + port + "\n");

            DoDatabases dbs = new DoDatabases(cluster.client());
            dbs.create(NAMESPACE, "from-the-image", DoDatabases.builtIn("organization"));
            dbs.awaitReady(NAMESPACE, "from-the-image");
            var gateway = DoDatabases.gateway(dbs.secret(NAMESPACE, "from-the-image-db"));
            assertThat(gateway.query("SELECT 1 AS one").get(0).getLong("one")).isEqualTo(1L);
        } finally {
            exitCode = container.stop(Duration.ofSeconds(60));
        }
        assertThat(exitCode).as("SIGTERM, as the kubelet stops a pod: %s", container.log()).isEqualTo(143);
    }

    private static int status(int port, String path) throws Exception {
        try {
            return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (ConnectException e) {
            return -1;
        }
    }

    /**
     * The operator's ServiceAccount, bound in the namespace it watches to the ClusterRole of deploy/ (under a name of
     * this test's), and the directory the kubelet would mount for it: token, ca.crt, namespace.
     */
    private static Path serviceAccountVolume(RealCluster cluster, Path volume) throws Exception {
        ClusterRole role = Serialization.unmarshal(Files.readString(ROOT.resolve("deploy/operator-clusterrole.yaml")),
                ClusterRole.class);
        role.getMetadata().setName(ACCOUNT);
        cluster.client().resource(role).serverSideApply();
        cluster.client().resource(new ServiceAccountBuilder().withNewMetadata().withName(ACCOUNT)
                .withNamespace(NAMESPACE).endMetadata().build()).serverSideApply();
        cluster.client().resource(new RoleBindingBuilder().withNewMetadata().withName(ACCOUNT).withNamespace(NAMESPACE)
                .endMetadata().withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", ACCOUNT)
                .addNewSubject().withKind("ServiceAccount").withName(ACCOUNT).withNamespace(NAMESPACE).endSubject()
                .build()).serverSideApply();
        String token = cluster.client().serviceAccounts().inNamespace(NAMESPACE).withName(ACCOUNT)
                .tokenRequest(new TokenRequestBuilder().withNewSpec().withExpirationSeconds(3600L).endSpec().build())
                .getStatus().getToken();
        Files.setPosixFilePermissions(volume, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(volume.resolve("token"), token);
        Files.copy(Path.of(cluster.adminConfig().getCaCertFile()), volume.resolve("ca.crt"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(volume.resolve("namespace"), NAMESPACE);
        for (String file : List.of("token", "ca.crt", "namespace")) {
            Files.setPosixFilePermissions(volume.resolve(file), PosixFilePermissions.fromString("rw-r--r--"));
        }
        return volume;
    }
}
