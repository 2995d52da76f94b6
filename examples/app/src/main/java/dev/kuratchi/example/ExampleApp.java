package dev.kuratchi.example;

import com.sun.net.httpserver.HttpServer;
import dev.kuratchi.client.gateway.GatewayClient;
import dev.kuratchi.client.secret.MountedSecret;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * An app as a tenant writes one: it reads the token Secret the operator writes from the directory where it is mounted
 * and serves its database's {@code items} table over HTTP ({@link ItemsApi}). The table is made by the DoDatabase's
 * migrations (examples/dodatabase.yaml), not by the app, so the schema has one owner.
 *
 * <p>{@code java -jar kuratchi-example-app.jar [secret-directory]}; the directory defaults to {@code KURATCHI_DB_DIR},
 * then {@value #DEFAULT_DIRECTORY}; the port is {@code PORT} (default {@value #DEFAULT_PORT}, 0 for a free one).
 */
public final class ExampleApp implements AutoCloseable {
    public static final String DEFAULT_DIRECTORY = "/var/run/kuratchi/db";
    public static final int DEFAULT_PORT = 8081;
    static final String NAME = "kuratchi-example-app";

    private final HttpServer server;
    private final ExecutorService handlers;
    private final String databaseName;

    private ExampleApp(HttpServer server, ExecutorService handlers, String databaseName) {
        this.server = server;
        this.handlers = handlers;
        this.databaseName = databaseName;
    }

    /**
     * Reads the Secret (so a missing or broken mount fails here, in one line that says what to do) and starts serving.
     * The database itself is not required yet: until it answers, {@code /healthz} says why and the pod is not ready.
     */
    public static ExampleApp start(Path secretDirectory, InetSocketAddress address) {
        if (!Files.isDirectory(secretDirectory)) {
            throw new StartupException("no Secret directory at " + secretDirectory + ": mount the token Secret there,"
                    + " or give its directory as the first argument or in KURATCHI_DB_DIR");
        }
        if (!Files.isReadable(secretDirectory) || !Files.isExecutable(secretDirectory)) {
            throw new StartupException("cannot read the Secret directory " + secretDirectory + " as this user");
        }
        GatewayClient gateway;
        try {
            gateway = MountedSecret.connect(secretDirectory);
        } catch (IllegalStateException e) {
            // MountedSecret's messages name the path and the missing key, never the token.
            throw new StartupException(e.getMessage());
        } catch (UncheckedIOException e) {
            throw new StartupException(e.getMessage() + ": " + (e.getCause() instanceof AccessDeniedException
                    ? "permission denied for this user" : e.getCause().getMessage()));
        }
        HttpServer server;
        try {
            server = HttpServer.create(address, 0);
        } catch (BindException e) {
            throw new StartupException("cannot listen on port " + address.getPort() + ": " + e.getMessage()
                    + " (set PORT to another one)");
        } catch (IOException e) {
            throw new StartupException("cannot listen on " + address + ": " + e.getMessage());
        }
        new ItemsApi(gateway).register(server);
        // The built-in executor runs one exchange at a time; each one here waits on the gateway, so a slow query must
        // not hold up /healthz.
        ExecutorService handlers = Executors.newFixedThreadPool(8);
        server.setExecutor(handlers);
        server.start();
        return new ExampleApp(server, handlers, gateway.databaseName());
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public String databaseName() {
        return databaseName;
    }

    /** Lets requests in flight finish (at most two seconds), refusing new ones meanwhile, then stops. */
    @Override
    public void close() {
        // Not server.stop(2): on JDK 17 it waits the whole delay unless an exchange ends during it, so an idle app
        // would take two seconds to stop. The handlers' executor knows when the requests in flight are done.
        handlers.shutdown();
        try {
            handlers.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        server.stop(0);
    }

    public static void main(String[] args) {
        Map<String, String> env = System.getenv();
        ExampleApp app;
        try {
            Path directory = Path.of(args.length > 0 ? args[0] : env.getOrDefault("KURATCHI_DB_DIR", DEFAULT_DIRECTORY));
            app = start(directory, new InetSocketAddress(port(env.get("PORT"))));
        } catch (StartupException e) {
            // One line and a non-zero exit: what a person at a terminal or kubectl logs of a crashing pod needs.
            System.err.println(NAME + ": " + e.getMessage());
            System.exit(2);
            return;
        }
        // Ctrl-C and SIGTERM (a pod being stopped) run this; the JVM then exits with the signal's status.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            app.close();
            System.out.println(NAME + ": stopped");
        }, "stop"));
        System.out.println(NAME + ": serving database " + app.databaseName() + " on http://localhost:" + app.port()
                + " (GET /items, POST /items, GET /healthz); Ctrl-C stops");
    }

    private static int port(String value) {
        if (value == null || value.isBlank()) {
            return DEFAULT_PORT;
        }
        try {
            int port = Integer.parseInt(value.strip());
            if (port >= 0 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // Reported below with the value.
        }
        throw new StartupException("PORT is '" + value + "'; set it to a port number from 1 to 65535 (0: any free one)");
    }

    /** A setting or mount the app cannot start with; its message is the whole line the user sees. */
    static final class StartupException extends RuntimeException {
        StartupException(String message) {
            super(message);
        }
    }
}
