package dev.kuratchi.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kuratchi.operator.support.Processes;
import dev.kuratchi.operator.support.RealCluster;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.client.Config;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distribution as a user starts it, {@code java -jar operator/target/kuratchi-operator-<version>.jar}: a setting
 * to fix, or a connection to Kubernetes that does not work, ends it with a clear last line on stderr and a non-zero
 * exit code, never a stack trace alone or a process that hangs. It starting for real is {@link LocalModeE2ETest}'s.
 */
class DistributionE2ETest {
    private static final Map<String, String> SETTINGS = Map.of(
            "KURATCHI_CF_ACCOUNT_ID", "0123456789abcdef0123456789abcdef",
            "KURATCHI_CF_API_TOKEN", "distribution-test-cloudflare-token",
            "KURATCHI_GATEWAY_KEY", "distribution-test-gateway-key-0123456789");

    @TempDir
    Path home;

    /** The jar with only these variables (no ~/.kube/config of the machine's), to its end. */
    private Processes.Finished javaJar(Map<String, String> environment) throws IOException {
        Path jar = Path.of(System.getProperty("kuratchi.operator.jar"));
        assertThat(jar).as("built by the package phase").isRegularFile();
        ProcessBuilder builder = new ProcessBuilder("java", "-jar", jar.toString()).directory(home.toFile());
        builder.environment().clear();
        builder.environment().putAll(Map.of("PATH", System.getenv("PATH"), "HOME", home.toString(),
                "KURATCHI_HTTP_PORT", String.valueOf(freePort())));
        builder.environment().putAll(environment);
        return Processes.run(builder, Duration.ofSeconds(90));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static Map<String, String> settings(String... more) {
        Map<String, String> env = new HashMap<>(SETTINGS);
        for (int i = 0; i < more.length; i += 2) {
            if (more[i + 1] == null) {
                env.remove(more[i]);
            } else {
                env.put(more[i], more[i + 1]);
            }
        }
        return env;
    }

    @Test
    void aSettingToFixIsOneLineAndExitCode2() throws Exception {
        Processes.Finished missing = javaJar(settings("KURATCHI_CF_ACCOUNT_ID", null));
        assertThat(missing.exitCode()).isEqualTo(2);
        assertThat(missing.stdout()).isEmpty();
        assertThat(missing.stderrLines()).containsExactly("kuratchi-operator: missing KURATCHI_CF_ACCOUNT_ID: set it "
                + "to the Cloudflare account id (32 hex digits)");

        Processes.Finished shortKey = javaJar(settings("KURATCHI_GATEWAY_KEY", "too-short"));
        assertThat(shortKey.exitCode()).isEqualTo(2);
        assertThat(shortKey.stderrLines()).containsExactly("kuratchi-operator: KURATCHI_GATEWAY_KEY is shorter than 32 "
                + "bytes; use a random key, for example: openssl rand -hex 32");
        assertThat(shortKey.stderr()).doesNotContain("too-short");
    }

    @Test
    void aKubeconfigThatIsNotThereIsOneLineRatherThanTheInClusterAddress() throws Exception {
        Path nowhere = home.resolve("no-such-kubeconfig");
        Processes.Finished finished = javaJar(settings("KUBECONFIG", nowhere.toString()));
        assertThat(finished.exitCode()).isEqualTo(2);
        assertThat(finished.stderrLines()).containsExactly("kuratchi-operator: KUBECONFIG names no file that exists: "
                + nowhere);
    }

    @Test
    void anApiServerOutOfReachIsOneLine() throws Exception {
        int closed = freePort();
        Path kubeconfig = kubeconfig("https://127.0.0.1:" + closed, null, "any-token");
        // Fabric8 retries for about 20 s by default; the line is the same without the retries.
        Processes.Finished finished = javaJar(settings("KUBECONFIG", kubeconfig.toString(),
                "KUBERNETES_REQUEST_RETRY_BACKOFFLIMIT", "0"));
        assertThat(finished.exitCode()).isEqualTo(1);
        assertThat(finished.stderrLines()).containsExactly("kuratchi-operator: cannot reach the Kubernetes API server "
                + "at https://127.0.0.1:" + closed + "/: ConnectException: Connection refused");
    }

    /** Before, the probe server's thread kept a process whose informers never started alive, without end. */
    @Test
    void informersTheClusterRefusesEndTheProcessWithWhatToDo() throws Exception {
        RealCluster cluster = RealCluster.shared();
        String namespace = "e2e-distribution";
        RealClusterE2ETest.namespace(namespace);
        cluster.client().resource(new ServiceAccountBuilder().withNewMetadata().withName("no-role")
                .withNamespace(namespace).endMetadata().build()).serverSideApply();
        String token = cluster.serviceAccountToken(namespace, "no-role", 600);
        Config admin = cluster.adminConfig();

        Processes.Finished finished = javaJar(settings("KUBECONFIG",
                kubeconfig(admin.getMasterUrl(), admin.getCaCertFile(), token).toString()));

        assertThat(finished.exitCode()).isEqualTo(1);
        List<String> lines = finished.stderrLines();
        assertThat(lines.get(lines.size() - 1)).startsWith("kuratchi-operator: cannot start: HTTP 403: ")
                .contains("system:serviceaccount:" + namespace + ":no-role")
                .endsWith("(grant the operator the ClusterRole in deploy/operator-clusterrole.yaml)");
        assertThat(finished.stderr()).doesNotContain(token, SETTINGS.get("KURATCHI_GATEWAY_KEY"),
                SETTINGS.get("KURATCHI_CF_API_TOKEN"));
    }

    private Path kubeconfig(String server, String caFile, String token) throws IOException {
        String cluster = caFile == null ? "{server: \"%s\", insecure-skip-tls-verify: true}".formatted(server)
                : "{server: \"%s\", certificate-authority: \"%s\"}".formatted(server, caFile);
        return Files.writeString(home.resolve("kubeconfig"), """
                apiVersion: v1
                kind: Config
                clusters: [{name: c, cluster: %s}]
                users: [{name: u, user: {token: "%s"}}]
                contexts: [{name: c, context: {cluster: c, user: u}}]
                current-context: c
                """.formatted(cluster, token));
    }
}
