package dev.kuratchi.example;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.kuratchi.client.admin.AdminClient;
import dev.kuratchi.client.admin.Migration;
import dev.kuratchi.client.gateway.GatewayTransport;
import dev.kuratchi.client.secret.MountedSecret;
import dev.kuratchi.client.support.WorkerProcess;
import dev.kuratchi.client.token.DatabaseToken;
import dev.kuratchi.client.token.GatewayKey;
import dev.kuratchi.client.token.Tokens;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the operator gives an app, made by hand: the real gateway Worker in workerd, a database provisioned with the
 * migrations of examples/dodatabase.yaml, and tokens for it written as the token Secret's four keys.
 */
final class TenantDatabase {
    private static final String KEY = "example-app-gateway-key";

    private final WorkerProcess worker;
    private final AdminClient admin;
    private final Tokens tokens;

    private TenantDatabase(WorkerProcess worker) {
        this.worker = worker;
        this.admin = new AdminClient(worker.url(), GatewayKey.of(KEY), GatewayTransport.withDefaults());
        this.tokens = new Tokens(GatewayKey.of(KEY), Clock.systemUTC());
    }

    private static TenantDatabase shared;

    /** The one of this test run, started on first use; it stops with the JVM. Tests use databases of their own. */
    static synchronized TenantDatabase shared() {
        if (shared == null) {
            WorkerProcess worker = WorkerProcess.start(KEY);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    worker.close();
                } catch (Exception e) {
                    // The Worker also stops when its standard input closes, as it does when this JVM exits.
                }
            }, "stop-worker"));
            shared = new TenantDatabase(worker);
        }
        return shared;
    }

    static Path examplesDirectory() {
        return Path.of(System.getProperty("kuratchi.examples.dir", "..")).toAbsolutePath().normalize();
    }

    /**
     * The ConfigMap's migrations as the operator applies them: keys in order, each key less {@code .sql} its id (the
     * operator also refuses a key not named NNNN_name.sql; the example's are).
     */
    static List<Migration> exampleMigrations() throws IOException {
        try (MappingIterator<JsonNode> documents = new YAMLMapper().readerFor(JsonNode.class)
                .readValues(examplesDirectory().resolve("dodatabase.yaml").toFile())) {
            for (JsonNode document : documents.readAll()) {
                if (document.path("kind").asText().equals("ConfigMap")) {
                    Map<String, String> data = new TreeMap<>();
                    document.path("data").properties().forEach(e -> data.put(e.getKey(), e.getValue().asText()));
                    List<Migration> migrations = new ArrayList<>();
                    data.forEach((key, sql) -> migrations.add(new Migration(key.replaceFirst("\\.sql$", ""), sql)));
                    return migrations;
                }
            }
        }
        throw new IllegalStateException("examples/dodatabase.yaml has no ConfigMap of migrations");
    }

    /** Provisions the database with these migrations and returns a token for it. */
    DatabaseToken provision(String databaseName, List<Migration> migrations) {
        admin.provision(databaseName, migrations);
        return issue(databaseName);
    }

    DatabaseToken issue(String databaseName) {
        return tokens.issue(databaseName, Duration.ofMinutes(10));
    }

    /** The gateway refuses this token from now on, as the operator has a replaced token refused after a grace period. */
    void revoke(DatabaseToken token) {
        admin.revoke(token.databaseName(), List.of(token.tokenId()), token.expiresAt());
    }

    /** The token Secret's data, as the operator writes it. */
    Map<String, String> secretData(DatabaseToken token) {
        return Map.of(MountedSecret.DATABASE_NAME, token.databaseName(), MountedSecret.TOKEN, token.reveal(),
                MountedSecret.ENDPOINT, worker.url().toString(), MountedSecret.EXPIRES_AT, token.expiresAt().toString());
    }
}
