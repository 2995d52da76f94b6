package dev.kuratchi.operator.dodatabase;

import dev.kuratchi.client.admin.Migration;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/** A hash of what a provision call asks for, so an unchanged request is not sent again. */
final class MigrationHash {
    private MigrationHash() {}

    static String of(String databaseName, URI endpoint, List<Migration> migrations) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            update(digest, databaseName);
            update(digest, endpoint.toString());
            for (Migration migration : migrations) {
                update(digest, migration.id());
                update(digest, migration.sql());
            }
            return HexFormat.of().formatHex(digest.digest(), 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    // Length-prefixed, so ("ab", "c") and ("a", "bc") differ.
    private static void update(MessageDigest digest, String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        digest.update(Integer.toString(bytes.length).getBytes(StandardCharsets.UTF_8));
        digest.update((byte) ':');
        digest.update(bytes);
    }
}
