package dev.kuratchi.operator.dodatabase;

import java.time.Instant;
import java.util.Optional;

/**
 * Whether the token in the Secret can stay or a new one must be issued, and why. A pure function of what was
 * observed, so every rule is tested without a cluster.
 */
public final class TokenDecision {
    /** Why a new token is issued. */
    public enum Reason {
        /** No Secret, or no usable token in it. */
        Missing,
        /** The Secret's token does not verify with the gateway key, or its other keys were changed. */
        Tampered,
        /** The renewal time has come. */
        DueForRenewal,
        /** The kuratchi.dev/rotate annotation has a value not yet acted on. */
        RotationRequested
    }

    private TokenDecision() {}

    /**
     * @param present whether the Secret exists and holds a token
     * @param tampered true when that token fails verification (key, database, expiry) or the Secret's other keys
     *     are wrong
     * @param renewalTime when the Secret's token is due for renewal (ignored unless present and not tampered)
     * @param now the current time
     * @param rotateRequest the rotate annotation's value, or null
     * @param lastRotation the value last acted on, or null
     * @return empty to keep the token, or the reason to issue a new one
     */
    public static Optional<Reason> decide(boolean present, boolean tampered, Instant renewalTime, Instant now,
            String rotateRequest, String lastRotation) {
        if (!present) {
            return Optional.of(Reason.Missing);
        }
        if (tampered) {
            return Optional.of(Reason.Tampered);
        }
        if (rotateRequest != null && !rotateRequest.equals(lastRotation)) {
            return Optional.of(Reason.RotationRequested);
        }
        if (!now.isBefore(renewalTime)) {
            return Optional.of(Reason.DueForRenewal);
        }
        return Optional.empty();
    }
}
