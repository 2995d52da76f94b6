package dev.kuratchi.client.token;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The master gateway key: the HMAC-SHA256 key that signs database tokens, and the credential of the gateway's
 * control plane. It never prints: {@link #toString()} is redacted, so it cannot leak through a log line.
 */
public final class GatewayKey {
    private final byte[] key;

    private GatewayKey(byte[] key) {
        if (key.length == 0) {
            throw new IllegalArgumentException("the gateway key is empty");
        }
        this.key = key;
    }

    public static GatewayKey of(String key) {
        if (key == null) {
            throw new IllegalArgumentException("the gateway key is missing");
        }
        return new GatewayKey(key.getBytes(StandardCharsets.UTF_8));
    }

    byte[] sign(String message) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(message.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
        }
    }

    /** The key as the gateway expects it in {@code Authorization: Bearer}. Handle the result as a secret. */
    public String reveal() {
        return new String(key, StandardCharsets.UTF_8);
    }

    /** A short, non-reversible fingerprint for telling keys apart (status, logs) without revealing them. */
    public String fingerprint() {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key);
            return java.util.HexFormat.of().formatHex(digest, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof GatewayKey that && MessageDigest.isEqual(key, that.key);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(key);
    }

    @Override
    public String toString() {
        return "GatewayKey[redacted]";
    }
}
