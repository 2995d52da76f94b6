package dev.kuratchi.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kuratchi.client.admin.AdminClient;
import dev.kuratchi.client.gateway.GatewayTransport;
import dev.kuratchi.client.schema.SchemaSql;
import dev.kuratchi.client.schema.Schemas;
import dev.kuratchi.client.secret.MountedSecret;
import dev.kuratchi.client.support.WorkerProcess;
import dev.kuratchi.client.token.DatabaseToken;
import dev.kuratchi.client.token.GatewayKey;
import dev.kuratchi.client.token.Tokens;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every {@code ```java} block of the repository's README.md, compiled and run against the real Worker, so the README
 * never shows code that does not compile or does not work. The text is used as it stands.
 *
 * <p>Each block becomes the body of {@code run} in a generated class (see {@link #PRELUDE}) that imports the client's
 * packages, {@code java.time} and {@code java.util}, and runs as an app in a pod would: its {@code Path.of} resolves
 * absolute paths under a directory of the test, where the test has mounted the operator's token Secret at
 * {@code /var/run/kuratchi/db}, for a fresh database provisioned with the built-in organization schema.
 */
class ReadmeSnippetsTest {
    private static final String KEY = "readme-snippets-gateway-key";
    private static final Pattern JAVA_BLOCK = Pattern.compile("(?ms)^```java\\n(.*?)^```");
    private static final String SECRET_MOUNT = "var/run/kuratchi/db";
    private static final String PRELUDE = """
            package readme;

            import dev.kuratchi.client.admin.*;
            import dev.kuratchi.client.gateway.*;
            import dev.kuratchi.client.orm.*;
            import dev.kuratchi.client.schema.*;
            import dev.kuratchi.client.secret.*;
            import dev.kuratchi.client.token.*;
            import java.time.*;
            import java.util.*;

            public final class Snippet {
                private static java.nio.file.Path root;

                // Shadows java.nio.file.Path: the snippet sees the test's directory as the pod's file system.
                static final class Path {
                    static java.nio.file.Path of(String first, String... more) {
                        java.nio.file.Path path = java.nio.file.Path.of(first, more);
                        return path.isAbsolute() ? root.resolve(path.getRoot().relativize(path)) : path;
                    }
                }

                public static void run(java.nio.file.Path fileSystemRoot) throws Exception {
                    root = fileSystemRoot;
            """;
    private static final String EPILOGUE = """
                }
            }
            """;

    private static WorkerProcess worker;

    @TempDir
    static Path work;

    @BeforeAll
    static void startWorker() {
        worker = WorkerProcess.start(KEY);
    }

    @AfterAll
    static void stopWorker() throws Exception {
        worker.close();
    }

    private record Snippet(int line, String code) {}

    @TestFactory
    Stream<DynamicTest> everyJavaSnippetInTheReadmeCompilesAndRunsAgainstTheWorker() throws IOException {
        Path readme = Path.of(System.getProperty("kuratchi.readme", "../README.md"));
        String text = Files.readString(readme);
        List<Snippet> snippets = new ArrayList<>();
        Matcher block = JAVA_BLOCK.matcher(text);
        while (block.find()) {
            int line = (int) text.substring(0, block.start(1)).chars().filter(c -> c == '\n').count() + 1;
            snippets.add(new Snippet(line, block.group(1)));
        }
        assertThat(snippets).as("java blocks in " + readme).isNotEmpty();
        return snippets.stream().map(s -> DynamicTest.dynamicTest("README.md line " + s.line(), () -> compileAndRun(s)));
    }

    private static void compileAndRun(Snippet snippet) throws Exception {
        Path dir = Files.createTempDirectory(work, "snippet-");
        Path classes = Files.createDirectories(dir.resolve("classes"));
        compile(snippet, classes);
        Path root = Files.createDirectories(dir.resolve("root"));
        mountSecret(root.resolve(SECRET_MOUNT), "readme-" + snippet.line());
        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()},
                ReadmeSnippetsTest.class.getClassLoader())) {
            loader.loadClass("readme.Snippet").getMethod("run", Path.class).invoke(null, root);
        } catch (InvocationTargetException e) {
            throw new AssertionError("the README.md snippet at line " + snippet.line() + " threw " + e.getCause(),
                    e.getCause());
        }
    }

    private static void compile(Snippet snippet, Path classes) {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertThat(javac).as("a JDK's compiler (the tests need a JDK, not a JRE)").isNotNull();
        String source = PRELUDE + snippet.code() + EPILOGUE;
        JavaFileObject file = new SimpleJavaFileObject(URI.create("string:///readme/Snippet.java"), JavaFileObject.Kind.SOURCE) {
            @Override
            public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                return source;
            }
        };
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        List<String> options = List.of("-d", classes.toString(), "-classpath", System.getProperty("java.class.path"));
        boolean compiled = javac.getTask(null, null, diagnostics, options, null, List.of(file)).call();
        long preludeLines = PRELUDE.lines().count();
        assertThat(compiled).as("the README.md snippet at line %d compiles:%n%s", snippet.line(),
                diagnostics.getDiagnostics().stream()
                        .map(d -> "README.md line " + (d.getLineNumber() - preludeLines - 1 + snippet.line()) + ": "
                                + d.getMessage(null))
                        .collect(Collectors.joining("\n"))).isTrue();
    }

    /** Provisions the database and writes its Secret as the operator and the kubelet would. */
    private static void mountSecret(Path mount, String databaseName) throws IOException {
        new AdminClient(worker.url(), GatewayKey.of(KEY), GatewayTransport.withDefaults())
                .provision(databaseName, List.of(SchemaSql.initialMigration(Schemas.organization())));
        DatabaseToken token = new Tokens(GatewayKey.of(KEY), Clock.systemUTC()).issue(databaseName, Duration.ofMinutes(5));
        Files.createDirectories(mount);
        for (Map.Entry<String, String> file : Map.of(MountedSecret.DATABASE_NAME, databaseName,
                MountedSecret.ENDPOINT, worker.url().toString(), MountedSecret.EXPIRES_AT, token.expiresAt().toString(),
                MountedSecret.TOKEN, token.reveal()).entrySet()) {
            Files.writeString(mount.resolve(file.getKey()), file.getValue());
        }
    }
}
