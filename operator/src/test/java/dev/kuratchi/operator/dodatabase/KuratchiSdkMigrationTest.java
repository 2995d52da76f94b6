package dev.kuratchi.operator.dodatabase;

import static dev.kuratchi.operator.dodatabase.DoDatabaseReconciler.DATABASE_PROVISIONED;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kuratchi.client.gateway.GatewayClient;
import dev.kuratchi.client.token.GatewayKey;
import dev.kuratchi.client.token.Tokens;
import dev.kuratchi.operator.support.EmulatorProcess;
import dev.kuratchi.operator.support.MockCluster;
import dev.kuratchi.operator.support.OperatorHarness;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import okhttp3.MediaType;
import okhttp3.MultipartBody;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A team moving from kuratchi-sdk, at the operator's level. Before the operator starts, the account runs the SDK's
 * Worker (worker/test/support/kuratchi-sdk-worker.js, uploaded as the SDK's ensureWorker uploads it) and its apps have
 * written rows, booleans, a migrations_history and a KV value through it. The operator then takes the script over with
 * the same gateway key, and a DoDatabase adopts one of the SDK's databases.
 */
class KuratchiSdkMigrationTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final MediaType JSON_TYPE = MediaType.get("application/json");
    private static final MediaType MODULE_TYPE = MediaType.get("application/javascript+module");
    private static final String NAMESPACE = "sdk-team";
    // kuratchi-sdk allowed any name without '.'; this is what its createOrganization derives from a display name.
    private static final String DATABASE = "Acme Corp";
    private static final String NOT_ADOPTED = "legacy_other";
    private static final String SCRIPT_PATH = "/workers/scripts/" + OperatorHarness.SCRIPT;
    private static final String NAMESPACES_PATH = "/workers/durable_objects/namespaces";
    private static final String INSERT_USER = "INSERT INTO users (email, active) VALUES (?, ?)";
    private static final String ACTIVE_EMAILS = "SELECT email FROM users WHERE active = ? ORDER BY id";
    private static final Map<String, Object> SETTINGS = Map.of("theme", "dark", "seats", 5);

    private final OkHttpClient http = new OkHttpClient();
    private EmulatorProcess emulator;
    private OperatorHarness harness;

    @AfterEach
    void stop() throws Exception {
        if (harness != null) {
            harness.close();
        } else if (emulator != null) {
            emulator.close();
        }
    }

    @Test
    void anSdkDatabaseIsAdoptedWithItsRowsBooleansKvAndHistoryWhileOnlyItsOwnSdkTokensStopWorking() {
        emulator = EmulatorProcess.start();
        uploadSdkWorker();
        String acmeSdkToken = sdkToken(DATABASE);
        String otherSdkToken = sdkToken(NOT_ADOPTED);
        writeAsTheSdkApps(acmeSdkToken, otherSdkToken);
        List<List<Object>> rowsBefore = new ArrayList<>();
        for (JsonNode row : sdk(DATABASE, acmeSdkToken, "/api/run",
                Map.of("query", "SELECT id, email, active, typeof(active) AS type FROM users ORDER BY id"))) {
            assertThat(row.path("type").asText()).as("the SDK's Worker stores a JSON boolean as text").isEqualTo("text");
            rowsBefore.add(List.of(row.path("id").asLong(), row.path("email").asText(), row.path("active").asText()));
        }
        JsonNode namespacesBefore = cloudflare("GET", NAMESPACES_PATH, null);
        long lastSdkCall = emulator.calls().stream().mapToLong(c -> c.path("seq").asLong()).max().orElse(0);

        Map<String, String> env = Map.of("KURATCHI_ADOPTION_NAMESPACES", NAMESPACE);
        harness = new OperatorHarness(new MockCluster(), true, emulator, env);
        DoDatabases dbs = new DoDatabases(harness.client());
        dbs.migrations(NAMESPACE, "acme-migrations", Map.of("0002_add_note.sql", "ALTER TABLE users ADD COLUMN note TEXT"));
        dbs.create(NAMESPACE, "acme", spec -> {
            DoDatabases.fromConfigMap("acme-migrations").accept(spec);
            spec.setDatabaseName(DATABASE);
            spec.setExistingData(ExistingData.Adopt);
        });
        DoDatabase ready = dbs.awaitReady(NAMESPACE, "acme");

        // new_sqlite_classes for the class the SDK already created is refused (10074), so an upload answered 200 at
        // once carried no class migration; an unchanged namespace id shows the Durable Objects' storage is the SDK's.
        List<Integer> operatorUploads = emulator.calls().stream()
                .filter(c -> c.path("seq").asLong() > lastSdkCall && c.path("method").asText().equals("PUT")
                        && c.path("path").asText().endsWith(SCRIPT_PATH))
                .map(c -> c.path("status").asInt()).toList();
        assertThat(operatorUploads).containsExactly(200);
        assertThat(cloudflare("GET", NAMESPACES_PATH, null)).isEqualTo(namespacesBefore);

        assertThat(dbs.condition(NAMESPACE, "acme", DATABASE_PROVISIONED).getReason()).isEqualTo("Adopted");
        // A ConfigMap key is NNNN_name.sql, so the SDK's own tag "initial" cannot be listed there: only what
        // comes after it is, and the history the SDK wrote is kept as its first entry.
        assertThat(ready.getStatus().getAppliedMigrations()).containsExactly("initial", "0002_add_note");
        assertThat(ready.getStatus().getSchemaVersion()).isEqualTo("0002_add_note");

        GatewayClient app = DoDatabases.gateway(dbs.secret(NAMESPACE, "acme-db"));
        assertThat(app.query("SELECT tag FROM migrations_history ORDER BY id")).extracting(r -> r.getString("tag"))
                .containsExactly("initial", "0002_add_note");
        assertThat(app.query("SELECT id, email, active FROM users ORDER BY id"))
                .extracting(r -> List.<Object>of(r.getLong("id"), r.getString("email"), r.getString("active")))
                .isEqualTo(rowsBefore);
        assertThat(app.query("SELECT note FROM users")).extracting(r -> r.get("note")).containsOnlyNulls();

        // The database held the SDK's data when the gateway first touched it, so it keeps binding booleans as text:
        // a Java true finds the rows the SDK wrote with a JSON true, and rows written now alike.
        assertThat(emails(app, true)).containsExactly("alice@example.com", "carol@example.com");
        app.query(INSERT_USER, "erin@example.com", true);
        assertThat(emails(app, true)).containsExactly("alice@example.com", "carol@example.com", "erin@example.com");
        assertThat(emails(app, false)).containsExactly("bob@example.com", "dan@example.com");

        assertThat(app.kv().getJson("settings")).contains(JSON.valueToTree(SETTINGS));

        // Adoption starts a new token epoch for the adopted database only; the gateway key is the same, so an SDK
        // token of a database no DoDatabase took over stays valid until it expires.
        Answer refused = post(DATABASE, acmeSdkToken, "/api/run", Map.of("query", "SELECT 1"));
        assertThat(refused.status()).as(refused.body().toString()).isEqualTo(401);
        assertThat(refused.body().path("code").asText()).isEqualTo("token_revoked");
        assertThat(sdk(NOT_ADOPTED, otherSdkToken, "/api/run", Map.of("query", "SELECT body FROM notes")))
                .extracting(r -> r.path("body").asText()).containsExactly("kept");
    }

    /** What the SDK's apps did: its migration runner's history table, then rows and a KV value. */
    private void writeAsTheSdkApps(String acmeSdkToken, String otherSdkToken) {
        sdk(DATABASE, acmeSdkToken, "/api/exec", Map.of("query", "CREATE TABLE IF NOT EXISTS migrations_history "
                + "(id INTEGER PRIMARY KEY AUTOINCREMENT, tag TEXT NOT NULL UNIQUE, created_at INTEGER)"));
        sdk(DATABASE, acmeSdkToken, "/api/exec", Map.of("query",
                "CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL UNIQUE, active INTEGER)"));
        sdk(DATABASE, acmeSdkToken, "/api/run", Map.of("query",
                "INSERT INTO migrations_history (tag, created_at) VALUES (?, ?)",
                "params", List.of("initial", Instant.now().toEpochMilli())));
        sdk(DATABASE, acmeSdkToken, "/api/run", Map.of("query", INSERT_USER, "params", List.of("alice@example.com", true)));
        sdk(DATABASE, acmeSdkToken, "/api/run", Map.of("query", INSERT_USER, "params", List.of("bob@example.com", false)));
        sdk(DATABASE, acmeSdkToken, "/api/batch", Map.of("batch", List.of(
                Map.of("query", INSERT_USER, "params", List.of("carol@example.com", true)),
                Map.of("query", INSERT_USER, "params", List.of("dan@example.com", false)))));
        sdk(DATABASE, acmeSdkToken, "/api/kv/put", Map.of("key", "settings", "value", SETTINGS));

        sdk(NOT_ADOPTED, otherSdkToken, "/api/exec", Map.of("query", "CREATE TABLE notes (body TEXT)"));
        sdk(NOT_ADOPTED, otherSdkToken, "/api/run",
                Map.of("query", "INSERT INTO notes (body) VALUES (?)", "params", List.of("kept")));
    }

    private static List<String> emails(GatewayClient app, boolean active) {
        return app.query(ACTIVE_EMAILS, active).stream().map(r -> r.getString("email")).toList();
    }

    /** kuratchi-sdk's ensureWorker: its module and fixed metadata, then workers.dev. */
    private void uploadSdkWorker() {
        Path source = Path.of(System.getProperty("kuratchi.worker.dir", "../worker"))
                .resolve("test/support/kuratchi-sdk-worker.js");
        String metadata = """
                {"bindings": [{"type": "secret_text", "name": "API_KEY", "text": "%s"},
                              {"type": "durable_object_namespace", "name": "DO", "class_name": "KuratchiDoInternal"}],
                 "main_module": "worker.js", "compatibility_date": "2025-08-17",
                 "compatibility_flags": ["nodejs_compat"], "placement": {"mode": "smart"},
                 "migrations": {"new_sqlite_classes": ["KuratchiDoInternal"]}}
                """.formatted(OperatorHarness.GATEWAY_KEY);
        try {
            cloudflare("PUT", SCRIPT_PATH, new MultipartBody.Builder().setType(MultipartBody.FORM)
                    .addFormDataPart("worker.js", "worker.js", RequestBody.create(Files.readAllBytes(source), MODULE_TYPE))
                    .addFormDataPart("metadata", "metadata.json", RequestBody.create(metadata.getBytes(), JSON_TYPE))
                    .build());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        cloudflare("POST", SCRIPT_PATH + "/subdomain", RequestBody.create("{\"enabled\":true}".getBytes(), JSON_TYPE));
    }

    /** An SDK token: a random id of 32 hex digits, the SDK's 30-day lifetime. */
    private static String sdkToken(String database) {
        byte[] id = new byte[16];
        new SecureRandom().nextBytes(id);
        return Tokens.sign(GatewayKey.of(OperatorHarness.GATEWAY_KEY), database, HexFormat.of().formatHex(id),
                Instant.now().plus(Tokens.DEFAULT_TTL).toEpochMilli()).reveal();
    }

    private JsonNode cloudflare(String method, String accountPath, RequestBody body) {
        Request request = new Request.Builder().url(emulator.apiUrl() + "/accounts/" + emulator.accountId() + accountPath)
                .header("authorization", "Bearer " + EmulatorProcess.API_TOKEN).method(method, body).build();
        JsonNode answer = call(request).body();
        assertThat(answer.path("success").asBoolean()).as("%s %s: %s", method, accountPath, answer).isTrue();
        return answer.path("result");
    }

    private record Answer(int status, JsonNode body) {}

    /** A call as kuratchi-sdk's HTTP client makes it: the gateway key as Bearer, the database token beside it. */
    private Answer post(String database, String sdkToken, String path, Object body) {
        try {
            return call(new Request.Builder().url(emulator.gatewayUrl(OperatorHarness.SCRIPT) + path)
                    .header("x-db-name", database).header("authorization", "Bearer " + OperatorHarness.GATEWAY_KEY)
                    .header("x-db-token", sdkToken).post(RequestBody.create(JSON.writeValueAsBytes(body), JSON_TYPE))
                    .build());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@link #post} that must succeed; its results. */
    private JsonNode sdk(String database, String sdkToken, String path, Object body) {
        Answer answer = post(database, sdkToken, path, body);
        assertThat(answer.status()).as("%s %s: %s", database, path, answer.body()).isEqualTo(200);
        assertThat(answer.body().path("success").asBoolean()).isTrue();
        return answer.body().path("results");
    }

    private Answer call(Request request) {
        try (Response response = http.newCall(request).execute()) {
            return new Answer(response.code(), JSON.readTree(response.body().string()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
