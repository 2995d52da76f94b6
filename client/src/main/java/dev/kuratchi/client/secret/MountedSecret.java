package dev.kuratchi.client.secret;

import dev.kuratchi.client.gateway.ConnectionSource;
import dev.kuratchi.client.gateway.GatewayClient;
import dev.kuratchi.client.gateway.GatewayConnection;
import dev.kuratchi.client.token.DatabaseToken;
import dev.kuratchi.client.token.InvalidTokenException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;

/**
 * The connection to a database from the directory where an app mounts its token Secret (keys {@code databaseName},
 * {@code token}, {@code endpoint}, {@code expiresAt}). When the operator renews the token, the kubelet swaps the
 * files; every call checks the token file's modification time (one stat) and re-reads the files when it changed, so
 * a long-running app keeps working across renewals without a restart.
 */
public final class MountedSecret implements ConnectionSource {
    public static final String DATABASE_NAME = "databaseName";
    public static final String TOKEN = "token";
    public static final String ENDPOINT = "endpoint";
    public static final String EXPIRES_AT = "expiresAt";

    private final Path directory;
    private volatile Snapshot snapshot;

    private record Snapshot(GatewayConnection connection, FileTime tokenModified) {}

    private MountedSecret(Path directory) {
        this.directory = directory;
        this.snapshot = read();
    }

    /** Reads the Secret now (so a missing or broken mount fails at start-up) and follows it afterwards. */
    public static MountedSecret at(Path directory) {
        return new MountedSecret(directory);
    }

    /** A gateway client for the database whose Secret is mounted at {@code directory}. */
    public static GatewayClient connect(Path directory) {
        return GatewayClient.builder().connectionSource(at(directory)).build();
    }

    @Override
    public GatewayConnection current() {
        Snapshot seen = snapshot;
        if (!modified(TOKEN).equals(seen.tokenModified())) {
            return reload();
        }
        return seen.connection();
    }

    @Override
    public synchronized GatewayConnection reload() {
        snapshot = read();
        return snapshot.connection();
    }

    private Snapshot read() {
        // The modification time is taken before reading, so a swap during the read is seen on the next call.
        FileTime modified = modified(TOKEN);
        String databaseName = file(DATABASE_NAME);
        DatabaseToken token;
        try {
            token = DatabaseToken.parse(file(TOKEN));
        } catch (InvalidTokenException e) {
            throw new IllegalStateException("the token in " + directory.resolve(TOKEN) + " is not a database token: "
                    + e.getMessage(), e);
        }
        return new Snapshot(new GatewayConnection(URI.create(file(ENDPOINT)), databaseName, token), modified);
    }

    private String file(String key) {
        try {
            return Files.readString(directory.resolve(key), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw unreadable(key, e);
        }
    }

    private FileTime modified(String key) {
        try {
            return Files.getLastModifiedTime(directory.resolve(key));
        } catch (IOException e) {
            throw unreadable(key, e);
        }
    }

    private RuntimeException unreadable(String key, IOException e) {
        if (e instanceof NoSuchFileException) {
            return new IllegalStateException("no '" + key + "' in the mounted Secret at " + directory
                    + "; mount the whole Secret the operator writes (keys databaseName, token, endpoint, expiresAt)", e);
        }
        return new UncheckedIOException("cannot read " + directory.resolve(key), e);
    }

    @Override
    public String toString() {
        return "MountedSecret[" + directory + "]";
    }
}
