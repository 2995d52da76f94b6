package dev.kuratchi.client.token;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

/** Issues and verifies database tokens with the gateway key, exactly as the gateway Worker checks them. */
public final class Tokens {
    /** kuratchi-sdk's default lifetime. */
    public static final Duration DEFAULT_TTL = Duration.ofDays(30);

    private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder BASE64URL_DECODER = Base64.getUrlDecoder();

    private final GatewayKey key;
    private final Clock clock;
    private final SecureRandom random;

    public Tokens(GatewayKey key, Clock clock) {
        this(key, clock, new SecureRandom());
    }

    Tokens(GatewayKey key, Clock clock, SecureRandom random) {
        this.key = key;
        this.clock = clock;
        this.random = random;
    }

    /** A new token for {@code databaseName}, valid for {@code ttl} from now, with a fresh random id. */
    public DatabaseToken issue(String databaseName, Duration ttl) {
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("token lifetime must be positive, got " + ttl);
        }
        byte[] id = new byte[16];
        random.nextBytes(id);
        return sign(key, databaseName, HexFormat.of().formatHex(id), clock.instant().plus(ttl).toEpochMilli());
    }

    /** Signs the given fields. Deterministic: used for test vectors and by {@link #issue}. */
    public static DatabaseToken sign(GatewayKey key, String databaseName, String tokenId, long expiresAtMillis) {
        DatabaseNames.require(databaseName);
        String signedPart = databaseName + "." + tokenId + "." + expiresAtMillis;
        String signature = BASE64URL.encodeToString(key.sign(signedPart));
        return DatabaseToken.parse(signedPart + "." + signature);
    }

    /**
     * Checks a token for {@code databaseName} against the keys (the current one first, then one being rotated out).
     * Order as in the Worker: syntax, database, signature (constant-time), expiry.
     */
    public static DatabaseToken verify(String token, String databaseName, List<GatewayKey> keys, Instant now) {
        DatabaseToken parsed = DatabaseToken.parse(token);
        if (!parsed.databaseName().equals(databaseName)) {
            throw new InvalidTokenException(InvalidTokenException.Reason.TOKEN_DB_MISMATCH,
                    "Token db mismatch: the token was issued for another database");
        }
        byte[] presented = BASE64URL_DECODER.decode(parsed.signature());
        boolean signed = false;
        for (GatewayKey candidate : keys) {
            signed |= MessageDigest.isEqual(presented, candidate.sign(parsed.signedPart()));
        }
        if (!signed) {
            throw new InvalidTokenException(InvalidTokenException.Reason.INVALID_SIGNATURE, "Invalid token signature");
        }
        if (parsed.expiresAtMillis() < now.toEpochMilli()) {
            throw new InvalidTokenException(InvalidTokenException.Reason.TOKEN_EXPIRED, "Token expired");
        }
        return parsed;
    }
}
