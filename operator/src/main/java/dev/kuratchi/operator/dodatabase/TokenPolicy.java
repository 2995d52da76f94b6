package dev.kuratchi.operator.dodatabase;

import java.time.Duration;

/**
 * A resource's token lifetime and renewal lead, validated: ttl defaults to 30 days (kuratchi-sdk's), renewBefore to
 * a third of ttl, and renewBefore must be shorter than ttl.
 */
public record TokenPolicy(Duration ttl, Duration renewBefore) {
    public static final Duration DEFAULT_TTL = Duration.ofDays(30);

    public static TokenPolicy of(TokenSpec spec) {
        String ttlText = spec == null ? null : spec.getTtl();
        String renewText = spec == null ? null : spec.getRenewBefore();
        Duration ttl = ttlText == null ? DEFAULT_TTL : parse("spec.token.ttl", ttlText);
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

    private static Duration parse(String field, String text) {
        try {
            return Durations.parse(text);
        } catch (IllegalArgumentException e) {
            throw new InvalidSpecException(field + ": " + e.getMessage());
        }
    }
}
