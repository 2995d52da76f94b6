package dev.kuratchi.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kuratchi.client.gateway.GatewayClient;
import dev.kuratchi.client.gateway.GatewayException;
import dev.kuratchi.client.secret.MountedSecret;
import dev.kuratchi.operator.support.Processes;
import dev.kuratchi.operator.support.RealCluster;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
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
 * the kubectl and kubeconfig it prints, refuses a second run on its data and on its ports, and stops on SIGTERM; the
 * example app runs on the host with README's command against a running local/run and keeps working across a token
 * rotation; {@code --fresh} starts over. After every run no process, port or temporary file is left. The runs share
 * one data directory, in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LocalModeE2ETest {
    private static final Duration RUN_LIMIT = Duration.ofMinutes(4);
    @TempDir
    static Path work;
    private static final int BASE = freePorts();
    // Every process local/run starts inherits this entry, so any of them still running afterwards is found.
    private static final String MARK = "KURATCHI_LOCAL_E2E_RUN=" + UUID.randomUUID();
    private static final Pattern PRINTED_KUBECTL = Pattern.compile("(?m)^  kubectl {2,}(\\S+) ");
    private static final String APP_COMMAND = "java -jar examples/app/target/kuratchi-example-app.jar ";

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
        ProcessBuilder builder = marked(new ProcessBuilder(command));
        builder.environment().put("KURATCHI_LOCAL_DIR", dataDir.toString());
        builder.environment().put("KURATCHI_LOCAL_PORT", String.valueOf(BASE));
        return builder;
    }

    /** From the repository root, with TMPDIR and the mark that finds whatever the command leaves running. */
    private static ProcessBuilder marked(ProcessBuilder builder) {
        builder.directory(RealCluster.repositoryRoot().toFile());
        builder.environment().put("TMPDIR", tmp().toString());
        builder.environment().put(MARK.substring(0, MARK.indexOf('=')), MARK.substring(MARK.indexOf('=') + 1));
        return builder;
    }

    /** local/run without --once, its output in a file, until it says it is running (or has stopped). */
    private static Process startRunning(Path output, String... environment) throws IOException {
        ProcessBuilder builder = localRun(data()).redirectErrorStream(true).redirectOutput(output.toFile());
        for (int i = 0; i < environment.length; i += 2) {
            builder.environment().put(environment[i], environment[i + 1]);
        }
        Process running = builder.start();
        await().atMost(RUN_LIMIT).until(() -> Files.readString(output).contains("Local mode is running")
                || !running.isAlive());
        return running;
    }

    /** SIGTERM, as Ctrl-C or a service manager sends it; SIGKILL after the given time, which fails the test. */
    private static void stop(Process process, int seconds) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }

    private static void assertStoppedBySigterm(Process running, Path output) throws IOException {
        assertThat(running.exitValue()).as("local/run's exit code").isEqualTo(143);
        assertThat(Files.readString(output)).contains("SIGTERM", "stopped; data kept in " + data());
    }

    /** The kubectl local/run printed, with the kubeconfig it printed, to its end. */
    private static Processes.Finished kubectl(String printed, String... args) {
        Matcher kubectl = PRINTED_KUBECTL.matcher(printed);
        assertThat(kubectl.find()).as(printed).isTrue();
        ProcessBuilder call = new ProcessBuilder(Stream.concat(Stream.of(kubectl.group(1)), Stream.of(args)).toList());
        call.environment().put("KUBECONFIG", data().resolve("kube/kubeconfig").toString());
        Processes.Finished done = Processes.run(call, Duration.ofSeconds(90));
        assertThat(done.exitCode()).as(done.stdout() + done.stderr()).isZero();
        return done;
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
        // Every example is in the table, the Deployment too, which never becomes Ready here and was not waited for.
        assertThat(out).containsPattern("cm default/shop-migrations +- +shop +- +-\n")
                .containsPattern("deploy default/shop-app +0/1 +shop +shop-db +\\d{4}-")
                .containsPattern("svc default/shop-app +- +- +- +-\n")
                .contains("Deployments do not run in local mode (it has no kubelet); run the app on the host instead, "
                        + "while local/run runs: " + APP_COMMAND + data().resolve("volumes/default/shop-db"));
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
        Process running = startRunning(output);
        try {
            String out = Files.readString(output);
            assertThat(out).contains("shop: 2 rows in items", "export KUBECONFIG=" + data().resolve("kube/kubeconfig"),
                    "kubectl get dodb,korg -A", "gateway           http://127.0.0.1:" + (BASE + 4) + "/kuratchi-do-internal",
                    "logs              " + data().resolve("logs/operator.log"));

            // What the printed lines offer: kubectl with that kubeconfig, a database of one's own in a new namespace.
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
            kubectl(out, "apply", "-f", mine.toString());
            kubectl(out, "wait", "--for=condition=Ready", "dodb/notes", "-n", "mine", "--timeout=60s");

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
            stop(running, 90);
        }
        assertStoppedBySigterm(running, output);
    }

    @Test
    @Order(3)
    void theExampleAppRunsOnTheHostWithReadmesCommandAndFollowsARotatedToken() throws Exception {
        Path output = work.resolve("app-mode.out");
        // The replaced token is refused a second after a rotation, so the app answering after that shows it took the
        // new token from the directory local/run keeps current, as it would from a Secret volume in a pod.
        Process running = startRunning(output, "KURATCHI_TOKEN_REVOCATION_GRACE", "1s");
        Path appOutput = work.resolve("app.out");
        Process app = null;
        Path volume = data().resolve("volumes/default/shop-db");
        Path before = work.resolve("token-before");
        try {
            String out = Files.readString(output);
            // README's command, for the data directory this run was given instead of local/data.
            String command = readmeAppCommand().replace(" local/data/", " " + data() + "/");
            assertThat(out).containsPattern("(?m)^  " + Pattern.quote(command) + "$");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(volume))).isEqualTo("rwx------");
            // A copy of the Secret as it is now: the token the rotation below replaces.
            Files.createDirectories(before);
            for (String key : List.of("databaseName", "token", "endpoint", "expiresAt")) {
                Files.copy(volume.resolve(key), before.resolve(key));
            }
            GatewayClient replaced = MountedSecret.connect(before);

            // Exactly as README has it, through a shell from the repository root; PORT only because 8081 may be taken.
            ProcessBuilder builder = marked(new ProcessBuilder("bash", "-c", command)).redirectErrorStream(true)
                    .redirectOutput(appOutput.toFile());
            builder.environment().put("PORT", "0");
            Process started = app = builder.start();
            Pattern serving = Pattern.compile("serving database shop on http://localhost:(\\d+) ");
            await("the app's serving line").atMost(Duration.ofSeconds(30)).until(() ->
                    serving.matcher(Files.readString(appOutput)).find() || !started.isAlive());
            Matcher port = serving.matcher(Files.readString(appOutput));
            assertThat(port.find()).as("the app printed: %s", Files.readString(appOutput)).isTrue();
            URI items = URI.create("http://127.0.0.1:" + port.group(1) + "/items");

            assertThat(call(items, "{\"name\": \"pear\", \"price\": 2.5}").statusCode()).isEqualTo(201);
            assertThat(names(call(items, null))).contains("pear").anyMatch(n -> n.startsWith("added by local/run"));

            kubectl(out, "annotate", "dodb/shop", "kuratchi.dev/rotate=" + UUID.randomUUID());
            await("the renewed token in " + volume).atMost(Duration.ofSeconds(60)).until(() ->
                    !Arrays.equals(Files.readAllBytes(volume.resolve("token")), Files.readAllBytes(before.resolve("token"))));
            await("the replaced token refused").atMost(Duration.ofSeconds(60)).until(() -> refused(replaced));
            HttpResponse<String> after = call(items, null);
            assertThat(after.statusCode()).as(after.body()).isEqualTo(200);
            assertThat(names(after)).contains("pear");
        } finally {
            if (app != null) {
                stop(app, 30);
            }
            stop(running, 90);
        }
        assertStoppedBySigterm(running, output);
        assertThat(app.exitValue()).as("the app's exit code").isEqualTo(143);
        assertThat(Files.readAllLines(appOutput)).last().isEqualTo("kuratchi-example-app: stopped");
        String printed = Files.readString(output) + Files.readString(appOutput)
                + Files.readString(data().resolve("logs/secret-volumes.log"));
        for (Path token : List.of(before.resolve("token"), volume.resolve("token"))) {
            assertThat(printed.contains(Files.readString(token).strip())).as("a token in the output").isFalse();
        }
    }

    /** The one command README gives for the example app against local mode. */
    private static String readmeAppCommand() throws IOException {
        List<String> lines = Files.readAllLines(RealCluster.repositoryRoot().resolve("README.md")).stream()
                .filter(line -> line.startsWith(APP_COMMAND + "local/data/")).toList();
        assertThat(lines).as("README.md's command for the example app on local mode").hasSize(1);
        return lines.get(0);
    }

    private static boolean refused(GatewayClient gateway) {
        try {
            gateway.query("SELECT 1");
            return false;
        } catch (GatewayException e) {
            assertThat(e.code()).isEqualTo("token_revoked");
            return true;
        }
    }

    /** GET, or POST with a JSON body, as a user of the app calls it. */
    private static HttpResponse<String> call(URI uri, String json) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30));
        if (json != null) {
            request.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json));
        }
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static List<String> names(HttpResponse<String> items) throws IOException {
        assertThat(items.statusCode()).as(items.body()).isEqualTo(200);
        JsonNode rows = new ObjectMapper().readTree(items.body());
        return rows.findValuesAsText("name");
    }

    @Test
    @Order(4)
    void freshStartsOverWithEmptyData() throws Exception {
        String out = once("--fresh").stdout();
        assertThat(out).contains("data: discarded (--fresh)", "shop: 1 row in items");
    }
}
