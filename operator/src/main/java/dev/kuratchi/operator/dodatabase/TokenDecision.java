package dev.kuratchi.operator.dodatabase;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Whether the token in the Secret can stay or a new one must be issued, and why. A pure function of what was
 * observed, so every rule is tested without a cluster.
 */
public final class TokenDecision {
    /** Why a new token is issued. */
    public enum Reason {
        /** No Secret, or no token in it. */
        Missing,
        /** The Secret's token does not verify: wrong signature, another database, malformed, or expired. */
        Invalid,
        /** It verifies only with the gateway key being rotated out. */
        SignedWithPreviousKey,
        /**
         * It is not the token status names: restored from a backup, or written by hand. (One the operator wrote to
         * replace the token status names, before a crash or a failure lost its status update, is kept: the Secret
         * carries the operator's proof of that.)
         */
        NotCurrent,
        /** Its id lacks the database's token epoch, so the gateway refuses it. */
        WrongEpoch,
        /** It lives longer than spec.token.ttl now allows (the ttl was shortened). */
        TtlShortened,
        /** The kuratchi.dev/rotate annotation has a value not yet acted on. */
        RotationRequested,
        /** The renewal time has come. */
        DueForRenewal
    }

    /**
     * What was observed of the Secret's token.
     *
     * @param present the Secret exists and holds a token
     * @param verifies it verifies for this database with one of the gateway keys and has not expired
     * @param onlyPreviousKey it verifies only with the previous gateway key
     * @param tokenId its id (null when it does not parse)
     * @param statusTokenId the id status names as current (null when none)
     * @param replacesStatusToken the Secret proves the operator wrote it to replace the token status names (or,
     *     when status names none, as the first), and it is not waiting for revocation
     * @param epoch the database's token epoch (null when it has none)
     * @param outlivesTtl it expires later than a token issued now with the current ttl would
     * @param renewalTime when it is due for renewal
     */
    public record Observed(boolean present, boolean verifies, boolean onlyPreviousKey, String tokenId,
            String statusTokenId, boolean replacesStatusToken, String epoch, boolean outlivesTtl, Instant renewalTime) {}

    private TokenDecision() {}

    /**
     * @param rotateRequest the rotate annotation's value, or null
     * @param lastRotation the value last acted on, or null
     * @return empty to keep the token, or the reason to issue a new one
     */
    public static Optional<Reason> decide(Observed token, Instant now, String rotateRequest, String lastRotation) {
        if (!token.present()) {
            return Optional.of(Reason.Missing);
        }
        if (!token.verifies()) {
            return Optional.of(Reason.Invalid);
        }
        if (token.onlyPreviousKey()) {
            return Optional.of(Reason.SignedWithPreviousKey);
        }
        if (!Objects.equals(token.tokenId(), token.statusTokenId()) && !token.replacesStatusToken()) {
            return Optional.of(Reason.NotCurrent);
        }
        if (token.epoch() != null && !token.tokenId().startsWith(token.epoch())) {
            return Optional.of(Reason.WrongEpoch);
        }
        if (token.outlivesTtl()) {
            return Optional.of(Reason.TtlShortened);
        }
        if (rotateRequest != null && !rotateRequest.equals(lastRotation)) {
            return Optional.of(Reason.RotationRequested);
        }
        if (!now.isBefore(token.renewalTime())) {
            return Optional.of(Reason.DueForRenewal);
        }
        return Optional.empty();
    }
}
