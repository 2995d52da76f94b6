package dev.kuratchi.operator.support;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.javaoperatorsdk.operator.api.config.ConfigurationServiceOverrider;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real control plane of local/kube (etcd, kube-apiserver with RBAC, kube-controller-manager), started once per
 * test run and stopped when the JVM exits. JOSDK runs against it with its defaults, server-side apply included.
 */
public final class RealCluster implements TestCluster {
    private static RealCluster shared;

    private final Process process;
    private final JsonNode info;
    private final KubernetesClient client;
    private boolean dedicated;

    private RealCluster(Process process, JsonNode info) throws IOException {
        this.process = process;
        this.info = info;
        this.client = new KubernetesClientBuilder().withConfig(adminConfig()).build();
    }

    /**
     * The cluster of this test run, started on first use (building the binaries first if the cache is cold), with
     * the CRDs of crds/ applied and established.
     */
    public static synchronized RealCluster shared() {
        if (shared == null) {
            RealCluster started = start();
            // A cluster left running keeps the test JVM's children alive and the build waiting: stop it whatever
            // happens next.
            Runtime.getRuntime().addShutdownHook(new Thread(started::stop, "stop-real-cluster"));
            try {
                started.installCrds();
            } catch (RuntimeException e) {
                started.stop();
                throw e;
            }
            shared = started;
        }
        return shared;
    }

    /**
     * A cluster of its own, without CRDs, stopped by {@link #close}: for a test whose cluster-wide objects (a Helm
     * release's CRDs, ClusterRoles, admission policy) must not meet those other tests put in the shared one.
     */
    public static RealCluster dedicated() {
        RealCluster started = start();
        started.dedicated = true;
        Runtime.getRuntime().addShutdownHook(new Thread(started::stop, "stop-dedicated-cluster"));
        return started;
    }

    private static RealCluster start() {
        Path script = repositoryRoot().resolve("local/kube/cluster.sh");
        ReadyLine.Started started = ReadyLine.start(new ProcessBuilder("bash", script.toString(), "up"),
                "the local Kubernetes control plane (local/kube/cluster.sh up)");
        try {
            return new RealCluster(started.process(), started.info());
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the cluster's kubeconfig", e);
        }
    }

    private void installCrds() {
        Result applied = kubectl("apply", "-f", "crds/");
        Result established = kubectl("wait", "--for=condition=Established", "crd/dodatabases.kuratchi.dev",
                "crd/kuratchiorganizations.kuratchi.dev", "--timeout=60s");
        if (applied.exitCode() != 0 || established.exitCode() != 0) {
            throw new IllegalStateException("cannot install crds/: " + applied.output() + established.output());
        }
    }

    public static Path repositoryRoot() {
        return Path.of(System.getProperty("kuratchi.worker.dir", "../worker")).toAbsolutePath().normalize().getParent();
    }

    public Config adminConfig() throws IOException {
        return Config.fromKubeconfig(null, Files.readString(kubeconfig()), kubeconfig().toString());
    }

    public Path kubeconfig() {
        return Path.of(info.get("kubeconfig").asText());
    }

    /**
     * A kubeconfig, written to {@code file}, that acts as ServiceAccount {@code namespace/account} (made if missing)
     * with a token valid for an hour: how a pod of the operator reaches the API server, for a process on this host.
     */
    public Path serviceAccountKubeconfig(String namespace, String account, Path file) throws IOException {
        client.resource(new ServiceAccountBuilder().withNewMetadata().withName(account).withNamespace(namespace)
                .endMetadata().build()).serverSideApply();
        return kubeconfigWithToken(file, serviceAccountToken(namespace, account, 3600));
    }

    /** A token of the ServiceAccount (a TokenRequest), as the kubelet mounts one into the account's pods. */
    public String serviceAccountToken(String namespace, String account, long seconds) {
        return client.serviceAccounts().inNamespace(namespace).withName(account)
                .tokenRequest(new TokenRequestBuilder().withNewSpec().withExpirationSeconds(seconds).endSpec().build())
                .getStatus().getToken();
    }

    /** A kubeconfig for this cluster that signs in with {@code token}, written to {@code file} (owner-only). */
    public Path kubeconfigWithToken(Path file, String token) throws IOException {
        Config admin = adminConfig();
        if (!Files.exists(file)) {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        Files.writeString(file, """
                apiVersion: v1
                kind: Config
                clusters: [{name: c, cluster: {server: "%s", certificate-authority: "%s"}}]
                users: [{name: u, user: {token: "%s"}}]
                contexts: [{name: c, context: {cluster: c, user: u}}]
                current-context: c
                """.formatted(admin.getMasterUrl(), admin.getCaCertFile(), token));
        return file;
    }

    /** Where kubectl and the cluster's other binaries are, for commands that call kubectl by name. */
    public Path binDir() {
        return Path.of(info.get("binDir").asText());
    }

    public Path auditLog() {
        return Path.of(info.get("auditLog").asText());
    }

    @Override
    public KubernetesClient client() {
        return client;
    }

    @Override
    public void tune(ConfigurationServiceOverrider overrider) {
        // The real API server needs nothing special.
    }

    /** Runs kubectl against this cluster: exit code and combined output. */
    public Result kubectl(String... args) {
        List<String> command = new ArrayList<>(List.of(info.get("binDir").asText() + "/kubectl", "--kubeconfig",
                kubeconfig().toString()));
        command.addAll(List.of(args));
        try {
            Process kubectl = new ProcessBuilder(command).directory(repositoryRoot().toFile()).redirectErrorStream(true)
                    .start();
            String output = new String(kubectl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!kubectl.waitFor(60, TimeUnit.SECONDS)) {
                kubectl.destroyForcibly();
            }
            return new Result(kubectl.exitValue(), output);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** What kubectl printed, and how it exited. */
    public record Result(int exitCode, String output) {}

    /** Stops a {@link #dedicated} cluster; the shared one stops with the JVM. */
    @Override
    public void close() {
        if (dedicated) {
            stop();
        }
    }

    private synchronized void stop() {
        if (!process.isAlive()) {
            return;
        }
        client.close();
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
