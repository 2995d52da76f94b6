package dev.kuratchi.example;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kuratchi.client.secret.MountedSecret;
import dev.kuratchi.client.token.DatabaseToken;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The example app in this JVM, against the real gateway Worker, with its token Secret mounted as the kubelet does. */
class ExampleAppTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static TenantDatabase tenants;

    @TempDir
    Path mount;

    private ExampleApp app;
    private SecretVolume volume;

    @BeforeAll
    static void startWorker() {
        tenants = TenantDatabase.shared();
    }

    @AfterEach
    void stopApp() {
        if (app != null) {
            app.close();
        }
    }

    private AppHttp start(Path secretDirectory) {
        app = ExampleApp.start(secretDirectory, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        return new AppHttp(app.port());
    }

    /** A database as the example DoDatabase makes it, its token Secret mounted at {@code mount/db}. */
    private DatabaseToken mountExampleDatabase(String databaseName) throws Exception {
        DatabaseToken token = tenants.provision(databaseName, TenantDatabase.exampleMigrations());
        volume = SecretVolume.create(mount.resolve("db"), tenants.secretData(token));
        return token;
    }

    @Test
    void aPostedItemIsAnsweredWithItsRowAndListed() throws Exception {
        mountExampleDatabase("app-post");
        AppHttp http = start(mount.resolve("db"));

        AppHttp.Answer created = http.post("/items", "{\"name\": \"pear\", \"price\": 2.5}");
        assertThat(created.status()).as(created.body().toString()).isEqualTo(201);
        assertThat(created.body()).isEqualTo(JSON.readTree("{\"id\": 1, \"name\": \"pear\", \"price\": 2.5}"));
        http.post("/items", "{\"name\": \"fig\", \"price\": 3}");

        AppHttp.Answer listed = http.get("/items");
        assertThat(listed.status()).isEqualTo(200);
        assertThat(listed.response().headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(listed.body().findValuesAsText("name")).containsExactly("pear", "fig");
        assertThat(listed.body().get(0)).isEqualTo(created.body());
        assertThat(http.get("/healthz").body())
                .isEqualTo(JSON.readTree("{\"status\": \"ok\", \"database\": \"app-post\"}"));
    }

    @Test
    void aTokenRenewedByTheKubeletsAtomicSwapKeepsWorkingAfterTheOldOneIsRevoked() throws Exception {
        DatabaseToken first = mountExampleDatabase("app-renewal");
        AppHttp http = start(mount.resolve("db"));
        assertThat(http.post("/items", "{\"name\": \"before\", \"price\": 1}").status()).isEqualTo(201);

        Path replaced = volume.update(tenants.secretData(tenants.issue("app-renewal")));
        assertThat(replaced).doesNotExist();
        // From here the first token works nowhere: an app still holding it would get 401 for every call.
        tenants.revoke(first);

        AppHttp.Answer after = http.post("/items", "{\"name\": \"after\", \"price\": 2}");
        assertThat(after.status()).as(after.body().toString()).isEqualTo(201);
        assertThat(http.get("/items").body().findValuesAsText("name")).containsExactly("before", "after");
        assertThat(http.get("/healthz").status()).isEqualTo(200);
    }

    @Test
    void badRequestsAreRefusedWithWhatToSend() throws Exception {
        mountExampleDatabase("app-bad-requests");
        AppHttp http = start(mount.resolve("db"));

        for (String body : List.of("not json", "{\"price\": 1}", "{\"name\": \"\", \"price\": 1}",
                "{\"name\": \"pear\", \"price\": \"cheap\"}", "[]", "")) {
            AppHttp.Answer refused = http.post("/items", body);
            assertThat(refused.status()).as(body).isEqualTo(400);
            assertThat(refused.body().path("error").asText()).as(body).contains("{\"name\": \"pear\", \"price\": 2.5}");
        }
        AppHttp.Answer tooLarge = http.post("/items", "{\"name\": \"" + "x".repeat(20_000) + "\", \"price\": 1}");
        assertThat(tooLarge.status()).isEqualTo(400);
        assertThat(tooLarge.body().path("error").asText()).contains("over 16384 bytes");

        AppHttp.Answer delete = http.send(HttpRequest.newBuilder(http.uri("/items")).DELETE());
        assertThat(delete.status()).isEqualTo(405);
        assertThat(delete.response().headers().firstValue("Allow")).hasValue("GET, POST");
        assertThat(http.get("/elsewhere").status()).isEqualTo(404);
        assertThat(http.get("/items").body()).isEmpty();
    }

    @Test
    void withoutTheDoDatabasesMigrationsTheAppIsNotReadyAndSaysWhereTheTableComesFrom() throws Exception {
        DatabaseToken token = tenants.provision("app-no-migrations", List.of());
        SecretVolume.create(mount.resolve("db"), tenants.secretData(token));
        AppHttp http = start(mount.resolve("db"));

        AppHttp.Answer health = http.get("/healthz");
        assertThat(health.status()).isEqualTo(503);
        assertThat(health.body().path("error").asText()).contains("no such table: items", "examples/dodatabase.yaml");
        AppHttp.Answer list = http.get("/items");
        assertThat(list.status()).isEqualTo(502);
        assertThat(list.body().path("error").asText()).contains("no such table: items");
    }

    @Test
    void aMissingOrIncompleteSecretDirectoryFailsAtStartWithWhatToDo() throws Exception {
        Path missing = mount.resolve("nowhere");
        assertThatThrownBy(() -> start(missing)).isInstanceOf(ExampleApp.StartupException.class)
                .hasMessage("no Secret directory at " + missing + ": mount the token Secret there, or give its"
                        + " directory as the first argument or in KURATCHI_DB_DIR");

        Path partial = Files.createDirectories(mount.resolve("partial"));
        Files.writeString(partial.resolve(MountedSecret.ENDPOINT), "http://127.0.0.1:1");
        assertThatThrownBy(() -> start(partial)).isInstanceOf(ExampleApp.StartupException.class)
                .hasMessageContaining("no 'token' in the mounted Secret at " + partial)
                .hasMessageContaining("keys databaseName, token, endpoint, expiresAt");
    }
}
