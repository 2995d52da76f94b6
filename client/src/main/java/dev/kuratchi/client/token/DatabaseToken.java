package dev.kuratchi.client.token;

import java.time.Instant;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A per-database token in the kuratchi-sdk format {@code <database>.<id>.<expiresAtMs>.<signature>}, where the
 * signature is base64url (no padding) of HMAC-SHA256 over {@code <database>.<id>.<expiresAtMs>} with the gateway key.
 * The id and expiry are readable without the key; {@link #toString()} never shows the signature.
 */
public final class DatabaseToken {
    private static final Pattern TOKEN_ID = Pattern.compile("^[0-9a-f]{32}$");
    // Canonical decimal only: the signature covers the exact text.
    private static final Pattern EXPIRY = Pattern.compile("^[1-9][0-9]{0,15}$");
    // 32 bytes take 43 characters; the last carries 4 bits, so its 2 spare bits must be zero (one spelling only).
    private static final Pattern SIGNATURE = Pattern.compile("^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$");

    private final String databaseName;
    private final String tokenId;
    private final long expiresAtMillis;
    private final String signature;

    DatabaseToken(String databaseName, String tokenId, long expiresAtMillis, String signature) {
        this.databaseName = databaseName;
        this.tokenId = tokenId;
        this.expiresAtMillis = expiresAtMillis;
        this.signature = signature;
    }

    /** Checks the token's syntax and splits it into its fields. Needs no key; does not check the signature. */
    public static DatabaseToken parse(String token) {
        if (token == null) {
            throw malformed("Invalid token format");
        }
        String[] parts = token.split("\\.", -1);
        if (parts.length != 4) {
            throw malformed("Invalid token format: expected <database>.<id>.<expiry>.<signature>");
        }
        for (String part : parts) {
            if (part.isEmpty()) {
                throw malformed("Malformed token: empty field");
            }
        }
        if (!DatabaseNames.isValid(parts[0])) {
            throw malformed("Malformed token: invalid database name");
        }
        if (!TOKEN_ID.matcher(parts[1]).matches()) {
            throw malformed("Malformed token: id must be 32 lowercase hex digits");
        }
        if (!EXPIRY.matcher(parts[2]).matches()) {
            throw malformed("Malformed token: expiry must be epoch milliseconds");
        }
        if (!SIGNATURE.matcher(parts[3]).matches()) {
            throw malformed("Malformed token: signature is not base64url HMAC-SHA256");
        }
        return new DatabaseToken(parts[0], parts[1], Long.parseLong(parts[2]), parts[3]);
    }

    private static InvalidTokenException malformed(String message) {
        return new InvalidTokenException(InvalidTokenException.Reason.MALFORMED_TOKEN, message);
    }

    public String databaseName() {
        return databaseName;
    }

    /** The random id ({@code rnd}): what revocation names. */
    public String tokenId() {
        return tokenId;
    }

    public Instant expiresAt() {
        return Instant.ofEpochMilli(expiresAtMillis);
    }

    public long expiresAtMillis() {
        return expiresAtMillis;
    }

    String signedPart() {
        return databaseName + "." + tokenId + "." + expiresAtMillis;
    }

    String signature() {
        return signature;
    }

    /** The whole token, as apps send it. Handle the result as a secret. */
    public String reveal() {
        return signedPart() + "." + signature;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof DatabaseToken that && reveal().equals(that.reveal());
    }

    @Override
    public int hashCode() {
        return Objects.hash(databaseName, tokenId, expiresAtMillis);
    }

    @Override
    public String toString() {
        return "DatabaseToken[database=" + databaseName + ", id=" + tokenId + ", expiresAt=" + expiresAt() + "]";
    }
}
