package dev.kuratchi.operator.dodatabase;

import dev.kuratchi.client.token.DatabaseToken;
import dev.kuratchi.client.token.Tokens;
import java.time.Duration;
import java.time.Instant;

/**
 * A resource's token lifetime and renewal lead, validated: ttl defaults to 30 days (kuratchi-sdk's), renewBefore to
 * a third of ttl, and renewBefore must be shorter than ttl.
 */
public record TokenPolicy(Duration ttl, Duration renewBefore) {
    public static TokenPolicy of(TokenSpec spec) {
        String ttlText = spec == null ? null : spec.getTtl();
        String renewText = spec == null ? null : spec.getRenewBefore();
        Duration ttl = ttlText == null ? Tokens.DEFAULT_TTL : parse("spec.token.ttl", ttlText);
        if (ttl.compareTo(Duration.ofMinutes(1)) < 0) {
            throw new InvalidSpecException("spec.token.ttl is " + ttlText + "; use at least 1m");
        }
        Duration renewBefore = renewText == null ? ttl.dividedBy(3) : parse("spec.token.renewBefore", renewText);
        if (renewBefore.compareTo(ttl) >= 0) {
            throw new InvalidSpecException("spec.token.renewBefore (" + renewText + ") must be shorter than spec.token.ttl ("
                    + (ttlText == null ? "720h" : ttlText) + ")");
        }
        return new TokenPolicy(ttl, renewBefore);
    }

    /** When {@code token} is due for renewal. */
    public Instant renewalTime(DatabaseToken token) {
        return token.expiresAt().minus(renewBefore);
    }

    private static Duration parse(String field, String text) {
        try {
            return Durations.parse(text);
        } catch (IllegalArgumentException e) {
            throw new InvalidSpecException(field + ": " + e.getMessage());
        }
    }
}
