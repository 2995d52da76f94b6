package dev.kuratchi.client.secret;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kuratchi.client.admin.AdminClient;
import dev.kuratchi.client.gateway.GatewayClient;
import dev.kuratchi.client.gateway.GatewayTransport;
import dev.kuratchi.client.support.WorkerProcess;
import dev.kuratchi.client.token.DatabaseToken;
import dev.kuratchi.client.token.GatewayKey;
import dev.kuratchi.client.token.Tokens;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A long-running app keeps working across token renewals written into its mounted Secret. */
class MountedSecretIntegrationTest {
    private static final String KEY = "mounted-secret-gateway-key";
    private static WorkerProcess worker;
    private static AdminClient admin;
    private static Tokens tokens;

    @TempDir
    Path mount;

    @BeforeAll
    static void startWorker() {
        worker = WorkerProcess.start(KEY);
        admin = new AdminClient(worker.url(), GatewayKey.of(KEY), GatewayTransport.withDefaults());
        tokens = new Tokens(GatewayKey.of(KEY), Clock.systemUTC());
    }

    @AfterAll
    static void stopWorker() throws Exception {
        worker.close();
    }

    /** Writes the Secret's files the way the kubelet does: new content appears atomically. */
    private void writeSecret(DatabaseToken token) throws IOException {
        write(MountedSecret.DATABASE_NAME, token.databaseName());
        write(MountedSecret.ENDPOINT, worker.url().toString());
        write(MountedSecret.EXPIRES_AT, token.expiresAt().toString());
        write(MountedSecret.TOKEN, token.reveal());
    }

    private void write(String key, String value) throws IOException {
        Path staged = Files.writeString(mount.resolve("." + key + ".tmp"), value);
        Files.move(staged, mount.resolve(key), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    @Test
    void aRenewedTokenIsPickedUpFromTheFilesWithoutARestart() throws IOException {
        DatabaseToken first = tokens.issue("mounted", Duration.ofMinutes(5));
        writeSecret(first);
        GatewayClient app = MountedSecret.connect(mount);
        app.exec("CREATE TABLE IF NOT EXISTS notes (body TEXT)");

        DatabaseToken renewed = tokens.issue("mounted", Duration.ofMinutes(5));
        writeSecret(renewed);
        Files.setLastModifiedTime(mount.resolve(MountedSecret.TOKEN), FileTime.fromMillis(System.currentTimeMillis() + 5000));
        admin.revoke("mounted", List.of(first.tokenId()), first.expiresAt());
        app.run(dev.kuratchi.client.gateway.Statement.of("INSERT INTO notes VALUES (?)", "after renewal"));
        assertThat(app.query("SELECT body FROM notes").get(0).getString("body")).isEqualTo("after renewal");
    }

    @Test
    void aRefusedTokenMakesTheClientReadTheFilesAgainEvenWhenTheTimestampDidNotChange() throws IOException {
        DatabaseToken first = tokens.issue("mounted-two", Duration.ofMinutes(5));
        writeSecret(first);
        FileTime original = Files.getLastModifiedTime(mount.resolve(MountedSecret.TOKEN));
        GatewayClient app = MountedSecret.connect(mount);
        app.query("SELECT 1");

        writeSecret(tokens.issue("mounted-two", Duration.ofMinutes(5)));
        Files.setLastModifiedTime(mount.resolve(MountedSecret.TOKEN), original);
        admin.revoke("mounted-two", List.of(first.tokenId()), first.expiresAt());
        assertThat(app.query("SELECT 3 AS three").get(0).getLong("three")).isEqualTo(3L);
    }

    @Test
    void aBrokenMountFailsAtStartWithWhatToDo() throws IOException {
        assertThatThrownBy(() -> MountedSecret.connect(mount)).hasMessageContaining("mount the whole Secret");
        writeSecret(tokens.issue("mounted", Duration.ofMinutes(1)));
        write(MountedSecret.TOKEN, "not-a-token");
        assertThatThrownBy(() -> MountedSecret.connect(mount)).hasMessageContaining("is not a database token")
                .hasMessageNotContaining("not-a-token\"");
    }
}
