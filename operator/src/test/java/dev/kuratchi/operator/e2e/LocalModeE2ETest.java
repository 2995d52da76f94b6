package dev.kuratchi.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.kuratchi.operator.support.Processes;
import dev.kuratchi.operator.support.RealCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code local/run}, README's "Run it", run as a person runs it: with {@code --once} every example becomes Ready and a
 * Secret's token answers a real query; a second run finds the data, takes a database of the user's own applied with
 * the kubectl and kubeconfig it prints, refuses a second run on its data and on its ports, and stops on SIGTERM;
 * {@code --fresh} starts over. After every run no process, port or
 * temporary file is left. The runs share one data directory, in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LocalModeE2ETest {
    private static final Duration RUN_LIMIT = Duration.ofMinutes(4);
    @TempDir
    static Path work;
    private static final int BASE = freePorts();
    // Every process local/run starts inherits this entry, so any of them still running afterwards is found.
    private static final String MARK = "KURATCHI_LOCAL_E2E_RUN=" + UUID.randomUUID();

    private static Path data() {
        return work.resolve("data");
    }

    private static Path tmp() {
        return work.resolve("tmp");
    }

    /** Six consecutive loopback ports nothing listens on, as local/run wants them. */
    private static int freePorts() {
        return IntStream.iterate(21400, base -> base < 60000, base -> base + 37)
                .filter(base -> IntStream.range(0, 6).allMatch(i -> Processes.portFree(base + i)))
                .findFirst().orElseThrow();
    }

    private static ProcessBuilder localRun(Path dataDir, String... args) throws IOException {
        Files.createDirectories(tmp());
        List<String> command = Stream.concat(Stream.of("bash",
                RealCluster.repositoryRoot().resolve("local/run").toString()), Stream.of(args)).toList();
        ProcessBuilder builder = new ProcessBuilder(command).directory(RealCluster.repositoryRoot().toFile());
        builder.environment().put("KURATCHI_LOCAL_DIR", dataDir.toString());
        builder.environment().put("KURATCHI_LOCAL_PORT", String.valueOf(BASE));
        builder.environment().put("TMPDIR", tmp().toString());
        builder.environment().put(MARK.substring(0, MARK.indexOf('=')), MARK.substring(MARK.indexOf('=') + 1));
        return builder;
    }

    private static Processes.Finished once(String... args) throws IOException {
        Processes.Finished finished = Processes.run(localRun(data(), Stream.concat(Stream.of("--once"),
                Stream.of(args)).toArray(String[]::new)), RUN_LIMIT);
        assertThat(finished.exitCode()).as(finished.stdout() + finished.stderr()).isZero();
        return finished;
    }

    /** What a finished run leaves: its data directory, and nothing else. */
    @AfterEach
    void nothingLeftBehind() throws IOException {
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(Processes.withEnvironmentEntry(MARK)).as("processes local/run started").isEmpty());
        assertThat(IntStream.range(0, 6).map(i -> BASE + i).filter(port -> !Processes.portFree(port)))
                .as("ports still taken").isEmpty();
        try (Stream<Path> left = Files.list(tmp())) {
            assertThat(left).as("left in TMPDIR").isEmpty();
        }
    }

    @Test
    @Order(1)
    void onceMakesEveryExampleReadyAndQueriesWithASecretsToken() throws Exception {
        String out = once().stdout();

        // A test run never builds: Maven made the jar just before, and the cluster's binaries are cached.
        assertThat(out).containsPattern("build: Maven: operator/target/kuratchi-operator-\\S+\\.jar and "
                        + "examples/app/target/kuratchi-example-app\\.jar are up to date")
                .contains("build: npm: worker/node_modules is up to date", "build: Kubernetes: binaries cached in");
        assertThat(out).containsPattern("korg default/acme +True +acme +acme-db +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\dZ")
                .containsPattern("dodb default/shop +True +shop +shop-db +\\d{4}-")
                .containsPattern("dodb kuratchi-system/kuratchi-admin +True");
        assertThat(out).contains("shop: 1 row in items (this run added one",
                "acme: users ann@acme.example (owner)", "--once: everything worked");
        assertThat(out).containsPattern("status table after \\d+\\.\\d s");
        assertThat(Files.readString(data().resolve("secrets/gateway-key")).strip()).hasSize(64);
        assertThat(out + Files.readString(data().resolve("logs/operator.log")))
                .doesNotContain(Files.readString(data().resolve("secrets/gateway-key")).strip());
    }

    @Test
    @Order(2)
    void aSecondRunFindsTheDataRefusesAnotherOnItsDataOrPortsAndStopsOnSigterm() throws Exception {
        Path output = work.resolve("running.out");
        Process running = localRun(data()).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        try {
            await().atMost(RUN_LIMIT).until(() -> Files.readString(output).contains("Local mode is running")
                    || !running.isAlive());
            String out = Files.readString(output);
            assertThat(out).contains("shop: 2 rows in items", "export KUBECONFIG=" + data().resolve("kube/kubeconfig"),
                    "kubectl get dodb,korg -A", "gateway           http://127.0.0.1:" + (BASE + 4) + "/kuratchi-do-internal",
                    "logs              " + data().resolve("logs/operator.log"));

            // What the printed lines offer: kubectl with that kubeconfig, a database of one's own in a new namespace.
            Matcher printed = Pattern.compile("(?m)^  kubectl {2,}(\\S+) ").matcher(out);
            assertThat(printed.find()).as(out).isTrue();
            Path kubectl = Path.of(printed.group(1));
            Path mine = Files.writeString(work.resolve("mine.yaml"), """
                    apiVersion: v1
                    kind: Namespace
                    metadata: {name: mine}
                    ---
                    apiVersion: kuratchi.dev/v1alpha1
                    kind: DoDatabase
                    metadata: {name: notes, namespace: mine}
                    spec: {schema: {builtIn: organization}}
                    """);
            for (List<String> args : List.of(List.of("apply", "-f", mine.toString()), List.of("wait",
                    "--for=condition=Ready", "dodb/notes", "-n", "mine", "--timeout=60s"))) {
                ProcessBuilder call = new ProcessBuilder(Stream.concat(Stream.of(kubectl.toString()), args.stream())
                        .toList());
                call.environment().put("KUBECONFIG", data().resolve("kube/kubeconfig").toString());
                Processes.Finished done = Processes.run(call, Duration.ofSeconds(90));
                assertThat(done.exitCode()).as(done.stdout() + done.stderr()).isZero();
            }

            Processes.Finished sameData = Processes.run(localRun(data(), "--once"), Duration.ofSeconds(30));
            assertThat(sameData.exitCode()).isEqualTo(1);
            assertThat(sameData.stderr()).contains("another local/run is running on " + data(),
                    "failed at step 'data directory'");

            Processes.Finished samePorts = Processes.run(localRun(work.resolve("other-data"), "--once"),
                    Duration.ofSeconds(30));
            assertThat(samePorts.exitCode()).isEqualTo(1);
            assertThat(samePorts.stderr()).contains("port " + BASE + " (Kubernetes API server) is already in use",
                    "failed at step 'ports'");
        } finally {
            running.destroy(); // SIGTERM
            assertThat(running.waitFor(90, TimeUnit.SECONDS)).as("stopped within 90 s").isTrue();
        }
        assertThat(running.exitValue()).isEqualTo(143);
        assertThat(Files.readString(output)).contains("SIGTERM", "stopped; data kept in " + data());
    }

    @Test
    @Order(3)
    void freshStartsOverWithEmptyData() throws Exception {
        String out = once("--fresh").stdout();
        assertThat(out).contains("data: discarded (--fresh)", "shop: 1 row in items");
    }
}
