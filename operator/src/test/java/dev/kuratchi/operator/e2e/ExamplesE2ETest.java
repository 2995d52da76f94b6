package dev.kuratchi.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kuratchi.operator.support.RealCluster;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every manifest in examples/ is one the real API server accepts as it stands (schema, field validation, admission),
 * so none can rot; and README's one-liner that copies a token Secret into a directory for the example app works.
 */
class ExamplesE2ETest {
    private static final String NAMESPACE = "e2e-examples";
    private static RealCluster cluster;

    @TempDir
    Path work;

    @BeforeAll
    static void startCluster() {
        cluster = RealCluster.shared();
        RealClusterE2ETest.namespace(NAMESPACE);
    }

    @Test
    void everyManifestInExamplesIsAcceptedByTheApiServer() throws Exception {
        List<Path> manifests;
        // The files kubectl apply -f examples/ takes (it does not descend into examples/app, the app's module).
        try (Stream<Path> files = Files.list(RealCluster.repositoryRoot().resolve("examples"))) {
            manifests = files.filter(f -> f.getFileName().toString().matches(".*\\.(yaml|yml|json)")).sorted().toList();
        }
        List<String> accepted = new ArrayList<>();
        for (Path manifest : manifests) {
            RealCluster.Result result = cluster.kubectl("apply", "--dry-run=server", "-n", NAMESPACE, "-o", "name",
                    "-f", manifest.toString());
            assertThat(result.exitCode()).as(manifest + ": " + result.output()).isZero();
            accepted.addAll(result.output().lines().toList());
        }
        assertThat(accepted).contains("configmap/shop-migrations", "dodatabase.kuratchi.dev/shop",
                "kuratchiorganization.kuratchi.dev/acme", "deployment.apps/shop-app", "service/shop-app");
    }

    @Test
    void readmesOneLinerCopiesTheTokenSecretIntoFilesOnlyTheUserCanRead() throws Exception {
        Map<String, String> data = Map.of("databaseName", "shop",
                "token", "shop.00112233445566778899aabbccddeeff.1893456000000.q-_0AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                "endpoint", "https://kuratchi-do-internal.example.workers.dev", "expiresAt", "2030-01-01T00:00:00Z");
        cluster.client().secrets().inNamespace(NAMESPACE).resource(new SecretBuilder().withNewMetadata()
                .withName("shop-db").endMetadata().withStringData(data).build()).serverSideApply();

        Path kubeconfig = Files.copy(cluster.kubeconfig(), work.resolve("kubeconfig"));
        ProcessBuilder bash = new ProcessBuilder("bash", "-euo", "pipefail", "-c",
                "kubectl config set-context --current --namespace=" + NAMESPACE + " > /dev/null\n" + readmeOneLiner())
                .directory(work.toFile()).redirectErrorStream(true);
        bash.environment().put("KUBECONFIG", kubeconfig.toString());
        bash.environment().put("PATH", cluster.binDir() + ":" + System.getenv("PATH"));
        Process process = bash.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();

        Path directory = work.resolve("shop-db");
        for (Map.Entry<String, String> entry : data.entrySet()) {
            assertThat(Files.readAllBytes(directory.resolve(entry.getKey()))).as(entry.getKey())
                    .isEqualTo(entry.getValue().getBytes(StandardCharsets.UTF_8));
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(directory))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(directory.resolve("token"))))
                .isEqualTo("rw-------");
    }

    /** The line of README.md that materialises the Secret shop-db, exactly as a user copies it. */
    private static String readmeOneLiner() throws Exception {
        List<String> lines = Files.readAllLines(RealCluster.repositoryRoot().resolve("README.md")).stream()
                .filter(line -> line.contains("kubectl get secret shop-db")).toList();
        assertThat(lines).as("README.md's Secret one-liner").hasSize(1);
        return lines.get(0);
    }
}
