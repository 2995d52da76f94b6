package dev.kuratchi.operator.dodatabase;

import dev.kuratchi.client.token.DatabaseToken;
import dev.kuratchi.client.token.Tokens;
import java.time.Duration;
import java.time.Instant;

/**
 * A resource's token lifetime and renewal lead, validated with the same bounds the CRD enforces at admission: ttl
 * from 10m to 8760h (default 720h, kuratchi-sdk's), renewBefore by default a third of ttl, and at least 5m between
 * renewals, so no resource can make the operator issue and revoke tokens in a tight loop.
 */
public record TokenPolicy(Duration ttl, Duration renewBefore) {
    public static final Duration MIN_TTL = Duration.ofMinutes(10);
    public static final Duration MAX_TTL = Duration.ofHours(8760);
    public static final Duration MIN_RENEWAL_INTERVAL = Duration.ofMinutes(5);

    public static TokenPolicy of(TokenSpec spec) {
        String ttlText = spec == null ? null : spec.getTtl();
        String renewText = spec == null ? null : spec.getRenewBefore();
        Duration ttl = ttlText == null ? Tokens.DEFAULT_TTL : parse("spec.token.ttl", ttlText);
        if (ttl.compareTo(MIN_TTL) < 0 || ttl.compareTo(MAX_TTL) > 0) {
            throw new InvalidSpecException("spec.token.ttl is " + ttlText + "; use from " + Durations.format(MIN_TTL)
                    + " to " + Durations.format(MAX_TTL));
        }
        Duration renewBefore = renewText == null ? ttl.dividedBy(3) : parse("spec.token.renewBefore", renewText);
        if (renewBefore.plus(MIN_RENEWAL_INTERVAL).compareTo(ttl) > 0) {
            throw new InvalidSpecException("spec.token.renewBefore (" + renewText + ") must leave at least "
                    + Durations.format(MIN_RENEWAL_INTERVAL) + " between renewals: at most spec.token.ttl ("
                    + Durations.format(ttl) + ") minus " + Durations.format(MIN_RENEWAL_INTERVAL));
        }
        return new TokenPolicy(ttl, renewBefore);
    }

    /** When {@code token} is due for renewal. */
    public Instant renewalTime(DatabaseToken token) {
        return token.expiresAt().minus(renewBefore);
    }

    /** Whether {@code token} lives longer than this policy allows a token issued now to live (the ttl was cut). */
    public boolean outlives(DatabaseToken token, Instant now) {
        return token.expiresAt().isAfter(now.plus(ttl));
    }

    private static Duration parse(String field, String text) {
        try {
            return Durations.parse(text);
        } catch (IllegalArgumentException e) {
            throw new InvalidSpecException(field + ": " + e.getMessage());
        }
    }
}
