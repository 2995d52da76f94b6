package dev.kuratchi.example;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.kuratchi.client.token.DatabaseToken;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runnable jar, started as README says ({@code java -jar examples/app/target/kuratchi-example-app.jar DIR}) in
 * a process of its own: it serves, stops on SIGTERM (what Ctrl-C and a pod's stop send), and prints no token.
 */
class ExampleAppJarIT {
    private static final Pattern SERVING = Pattern.compile("on http://localhost:(\\d+) ");
    private static TenantDatabase tenants;

    @TempDir
    Path mount;

    @BeforeAll
    static void startWorker() {
        tenants = TenantDatabase.shared();
    }

    /** The app's process, its output (both streams) going to a file, so nothing printed at exit can be lost. */
    private record Run(Process process, Path output) {
        static Run of(Path directory, Map<String, String> env, String... args) throws IOException {
            Path java = Path.of(System.getProperty("java.home"), "bin", "java");
            Path jar = Path.of(System.getProperty("kuratchi.example.jar", "target/kuratchi-example-app.jar"));
            List<String> command = new ArrayList<>(List.of(java.toString(), "-jar", jar.toString()));
            command.addAll(List.of(args));
            Path output = directory.resolve("app.out");
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile());
            builder.environment().putAll(env);
            return new Run(builder.start(), output);
        }

        List<String> lines() {
            try {
                return Files.readAllLines(output);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        int exitCode() throws InterruptedException {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
                throw new AssertionError("the app did not exit; it printed " + lines());
            }
            return process.exitValue();
        }
    }

    @Test
    void theDocumentedCommandServesTheMountedDatabaseAndStopsOnSigtermWithoutPrintingTheToken() throws Exception {
        DatabaseToken token = tenants.provision("app-jar", TenantDatabase.exampleMigrations());
        SecretVolume.create(mount.resolve("db"), tenants.secretData(token));
        Run run = Run.of(mount, Map.of("PORT", "0"), mount.resolve("db").toString());
        try {
            String serving = await("the app's serving line").atMost(Duration.ofSeconds(30))
                    .until(() -> run.lines().stream().filter(l -> SERVING.matcher(l).find()).findFirst(),
                            line -> line.isPresent() || !run.process().isAlive())
                    .orElseThrow(() -> new AssertionError("the app exited: " + run.lines()));
            assertThat(serving).startsWith("kuratchi-example-app: serving database app-jar on http://localhost:");
            Matcher port = SERVING.matcher(serving);
            assertThat(port.find()).isTrue();
            AppHttp http = new AppHttp(Integer.parseInt(port.group(1)));

            assertThat(http.post("/items", "{\"name\": \"pear\", \"price\": 2.5}").status()).isEqualTo(201);
            assertThat(http.get("/items").body().findValuesAsText("name")).containsExactly("pear");
            assertThat(http.get("/healthz").status()).isEqualTo(200);
        } finally {
            run.process().destroy();
        }
        assertThat(run.exitCode()).isEqualTo(143);
        assertThat(run.lines()).as(run.lines().toString()).last().isEqualTo("kuratchi-example-app: stopped");
        assertThat(String.join("\n", run.lines())).doesNotContain(token.reveal());
    }

    @Test
    void aMissingSecretDirectoryIsOneLineAndExitStatus2() throws Exception {
        Path missing = mount.resolve("nowhere");
        Run run = Run.of(mount, Map.of("KURATCHI_DB_DIR", missing.toString()));
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.lines()).containsExactly("kuratchi-example-app: no Secret directory at " + missing
                + ": mount the token Secret there, or give its directory as the first argument or in KURATCHI_DB_DIR");
    }

    @Test
    void aBadPortIsOneLineAndExitStatus2() throws Exception {
        Run run = Run.of(mount, Map.of("PORT", "eighty"), mount.toString());
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.lines()).containsExactly(
                "kuratchi-example-app: PORT is 'eighty'; set it to a port number from 1 to 65535 (0: any free one)");
    }
}
