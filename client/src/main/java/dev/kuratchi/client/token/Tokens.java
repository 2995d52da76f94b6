package dev.kuratchi.client.token;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;

/** Issues and verifies database tokens with the gateway key, exactly as the gateway Worker checks them. */
public final class Tokens {
    /** kuratchi-sdk's default lifetime. */
    public static final Duration DEFAULT_TTL = Duration.ofDays(30);

    private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder BASE64URL_DECODER = Base64.getUrlDecoder();
    // At least 8 random hex digits (32 bits) stay, so two tokens of one epoch never share an id in practice.
    private static final Pattern EPOCH = Pattern.compile("^[0-9a-f]{0,24}$");

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
        return issue(databaseName, ttl, "");
    }

    /**
     * A new token whose id starts with {@code epoch}, the database's token epoch: once the gateway holds an epoch for
     * a database it accepts only ids that start with it, so replacing the epoch ends every token issued before.
     * The rest of the id is random.
     */
    public DatabaseToken issue(String databaseName, Duration ttl, String epoch) {
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("token lifetime must be positive, got " + ttl);
        }
        if (!EPOCH.matcher(epoch).matches()) {
            throw new IllegalArgumentException("a token epoch is up to 24 lowercase hex digits");
        }
        byte[] random = new byte[16];
        this.random.nextBytes(random);
        String id = epoch + HexFormat.of().formatHex(random).substring(epoch.length());
        return sign(key, databaseName, id, clock.instant().plus(ttl).toEpochMilli());
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
