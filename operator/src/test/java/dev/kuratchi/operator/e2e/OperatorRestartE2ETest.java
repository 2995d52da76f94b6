package dev.kuratchi.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kuratchi.operator.Main;
import dev.kuratchi.operator.dodatabase.DoDatabase;
import dev.kuratchi.operator.dodatabase.DoDatabaseSpec;
import dev.kuratchi.operator.support.EmulatorProcess;
import dev.kuratchi.operator.support.OperatorHarness;
import dev.kuratchi.operator.support.RealCluster;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import java.io.File;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The operator process killed (SIGKILL) midway through 200 creates, then started again. */
class OperatorRestartE2ETest {
    private static final String NAMESPACE = "e2e-restart";
    private static final int COUNT = 200;

    private static Process startOperator(RealCluster cluster, EmulatorProcess emulator, String logName) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", System.getProperty("java.class.path"), Main.class.getName());
        Map<String, String> env = builder.environment();
        env.putAll(OperatorHarness.environment(emulator));
        env.put("KUBECONFIG", cluster.kubeconfig().toString());
        try (ServerSocket socket = new ServerSocket(0)) {
            env.put("KURATCHI_HTTP_PORT", Integer.toString(socket.getLocalPort()));
        }
        File log = new File("target/" + logName);
        return builder.redirectErrorStream(true).redirectOutput(log).start();
    }

    private static List<DoDatabase> all(RealCluster cluster) {
        return cluster.client().resources(DoDatabase.class).inNamespace(NAMESPACE).list().getItems();
    }

    @Test
    void killingTheOperatorMidwayLosesNothingAndDuplicatesNothing() throws Exception {
        RealCluster cluster = RealCluster.shared();
        RealClusterE2ETest.namespace(NAMESPACE);
        try (EmulatorProcess emulator = EmulatorProcess.start()) {
            Process first = startOperator(cluster, emulator, "operator-first.log");
            ExecutorService creators = Executors.newFixedThreadPool(8);
            IntStream.range(0, COUNT).forEach(i -> creators.submit(() -> {
                DoDatabase db = new DoDatabase();
                db.setMetadata(new ObjectMetaBuilder().withName("tenant-" + i).withNamespace(NAMESPACE).build());
                db.setSpec(new DoDatabaseSpec());
                cluster.client().resource(db).create();
            }));
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(100))
                    .until(() -> all(cluster).stream().filter(RealClusterE2ETest::ready).count() >= 20);
            first.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            long readyAtKill = all(cluster).stream().filter(RealClusterE2ETest::ready).count();
            creators.shutdown();
            assertThat(creators.awaitTermination(2, TimeUnit.MINUTES)).isTrue();

            Process second = startOperator(cluster, emulator, "operator-second.log");
            try {
                await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
                        assertThat(all(cluster)).hasSize(COUNT).allMatch(RealClusterE2ETest::ready));
            } finally {
                second.destroy();
                second.waitFor(30, TimeUnit.SECONDS);
            }
            assertThat(readyAtKill).as("the kill came midway").isBetween(20L, (long) COUNT - 1);

            // Cloudflare: one Worker, uploaded once (the restarted operator found it up to date).
            List<Integer> uploads = emulator.calls().stream()
                    .filter(c -> c.path("method").asText().equals("PUT")
                            && c.path("path").asText().endsWith("/workers/scripts/" + OperatorHarness.SCRIPT))
                    .map((JsonNode c) -> c.path("status").asInt()).toList();
            assertThat(uploads).containsExactly(200);

            // Kubernetes: exactly one Secret per DoDatabase, owned by it, holding the token its status names.
            List<Secret> secrets = cluster.client().secrets().inNamespace(NAMESPACE)
                    .withLabel("app.kubernetes.io/managed-by", "kuratchi-operator").list().getItems();
            assertThat(secrets).hasSize(COUNT);
            for (DoDatabase db : all(cluster)) {
                Secret secret = secrets.stream().filter(s -> s.getMetadata().getName().equals(db.getMetadata().getName() + "-db"))
                        .findFirst().orElseThrow();
                assertThat(secret.getMetadata().getOwnerReferences()).singleElement()
                        .satisfies(ref -> assertThat(ref.getUid()).isEqualTo(db.getMetadata().getUid()));
                assertThat(RealClusterE2ETest.token(secret)).contains("." + db.getStatus().getToken().id() + ".");
            }
        }
    }
}
