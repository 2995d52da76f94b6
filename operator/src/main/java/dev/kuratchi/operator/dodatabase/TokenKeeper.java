package dev.kuratchi.operator.dodatabase;

import dev.kuratchi.client.admin.AdminClient;
import dev.kuratchi.client.token.DatabaseToken;
import dev.kuratchi.client.token.GatewayKey;
import dev.kuratchi.client.token.InvalidTokenException;
import dev.kuratchi.client.token.Tokens;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The token stage of a DoDatabase: which token its Secret should hold (the one there, or a new one, see
 * {@link TokenDecision}), and which replaced tokens to revoke and when.
 *
 * <p>Every token it replaces is scheduled for revocation: the one status names and, when it differs, a valid one the
 * Secret holds. With each new token the Secret gets a proof (an HMAC with the gateway key, see {@link #replaces}) of
 * which token it replaced: a Secret whose token replaced exactly the one status names was written by the operator
 * before its status update was lost (a crash, a failed patch), so that token is kept and the replaced one scheduled.
 * An interrupted reconcile thus never issues a token more and none goes unrecorded, while a token restored from a
 * backup or written by hand proves nothing and is replaced. Deleting the resource ends every token by the gateway's
 * epoch anyway.
 */
final class TokenKeeper {
    /** The gateway takes at most this many ids per revocation call. */
    static final int MAX_REVOCATIONS_PER_CALL = 1000;
    private static final Pattern TOKEN_ID = Pattern.compile("^[0-9a-f]{32}$");

    /** The gateway's revocation call ({@link AdminClient#revoke}). */
    interface Revoker {
        void revoke(String databaseName, List<String> tokenIds, Instant notAfter);
    }

    /**
     * The token to hold, why it is new (empty when kept), the revocations now pending, and the proof the Secret
     * carries of which token this one replaced.
     */
    record Outcome(DatabaseToken token, Optional<TokenDecision.Reason> reissued, List<PendingRevocation> pending,
            String replaces) {}

    private final Tokens tokens;
    private final GatewayKey currentKey;
    private final List<GatewayKey> keys;
    private final Duration gracePeriod;

    /** @param keys every key a token may verify with, the current one first */
    TokenKeeper(Tokens tokens, List<GatewayKey> keys, Duration gracePeriod) {
        this.tokens = tokens;
        this.currentKey = keys.get(0);
        this.keys = List.copyOf(keys);
        this.gracePeriod = gracePeriod;
    }

    /**
     * @param uid the resource's uid: a proof of replacement holds for one resource only
     * @param secretToken the token text the Secret holds, if any
     * @param secretReplaces the Secret's proof of which token its token replaced, if any
     * @param confirmedEpoch the database's epoch as the gateway confirms it for this resource's claim; asked only
     *     when a token is issued, so a token is never signed on the word of status alone
     */
    Outcome ensure(String uid, String databaseName, Optional<String> secretToken, Optional<String> secretReplaces,
            DoDatabaseStatus status, TokenPolicy policy, String rotateRequest, Supplier<String> confirmedEpoch,
            Instant now) {
        Optional<DatabaseToken> held = secretToken.flatMap(text -> verified(text, databaseName, keys, now));
        boolean current = held.isPresent() && secretToken.flatMap(text -> verified(text, databaseName,
                List.of(currentKey), now)).isPresent();
        String statusTokenId = status.getToken() == null ? null : status.getToken().id();
        // The token's own expiry when the Secret holds it, rather than status's copy (which may be edited).
        Instant statusExpiry = held.filter(t -> t.tokenId().equals(statusTokenId)).map(DatabaseToken::expiresAt)
                .orElseGet(() -> status.getToken() == null ? Instant.MIN
                        : PendingRevocation.parse(status.getToken().notAfter(), Instant.MAX));
        List<PendingRevocation> pending = new ArrayList<>(
                status.getPendingRevocations() == null ? List.of() : status.getPendingRevocations());
        boolean replacesStatusToken = held.filter(t -> secretReplaces.equals(Optional.of(replaces(uid, t.tokenId(),
                statusTokenId)))).filter(t -> pending.stream().noneMatch(p -> t.tokenId().equals(p.tokenId())))
                .isPresent();
        TokenDecision.Observed observed = new TokenDecision.Observed(secretToken.isPresent(), held.isPresent(),
                held.isPresent() && !current, held.map(DatabaseToken::tokenId).orElse(null), statusTokenId,
                replacesStatusToken, status.getEpoch(), held.map(t -> policy.outlives(t, now)).orElse(false),
                held.map(policy::renewalTime).orElse(now));
        Optional<TokenDecision.Reason> reason = TokenDecision.decide(observed, now, rotateRequest,
                status.getLastRotation());
        DatabaseToken token = reason.isEmpty() ? held.orElseThrow()
                : tokens.issue(databaseName, policy.ttl(), confirmedEpoch.get());
        if (statusTokenId != null && !statusTokenId.equals(token.tokenId())) {
            schedule(pending, statusTokenId, statusExpiry, now);
        }
        held.filter(t -> !t.tokenId().equals(statusTokenId) && !t.tokenId().equals(token.tokenId()))
                .ifPresent(t -> schedule(pending, t.tokenId(), t.expiresAt(), now));
        String proof = reason.isEmpty() && secretReplaces.isPresent() ? secretReplaces.get()
                : replaces(uid, token.tokenId(), reason.isEmpty() ? null : statusTokenId);
        return new Outcome(token, reason, pending, proof);
    }

    /**
     * The proof that the operator wrote {@code tokenId} for resource {@code uid} to replace {@code replacedId} (null:
     * none): the replaced id and an HMAC over all three with the gateway key, which no tenant holds.
     */
    String replaces(String uid, String tokenId, String replacedId) {
        String replaced = replacedId == null ? "-" : replacedId;
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(currentKey.reveal().getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            byte[] digest = mac.doFinal(("kuratchi.dev/replaces\n" + uid + "\n" + tokenId + "\n" + replaced)
                    .getBytes(StandardCharsets.UTF_8));
            return replaced + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(digest).substring(0, 22);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
        }
    }

    // No token outlives the longest ttl, so an expiry beyond it (status edited by hand) is cut to it: the gateway
    // keeps the revocation as long as needed and takes the number.
    private void schedule(List<PendingRevocation> pending, String tokenId, Instant notAfter, Instant now) {
        Instant latest = now.plus(TokenPolicy.MAX_TTL);
        Instant expiry = notAfter.isAfter(latest) ? latest : notAfter;
        if (expiry.isAfter(now) && pending.stream().noneMatch(p -> p.tokenId().equals(tokenId))) {
            pending.add(new PendingRevocation(tokenId, expiry.toString(), now.plus(gracePeriod).toString()));
        }
    }

    private static Optional<DatabaseToken> verified(String token, String databaseName, List<GatewayKey> keys,
            Instant now) {
        try {
            return Optional.of(Tokens.verify(token, databaseName, keys, now));
        } catch (InvalidTokenException e) {
            return Optional.empty();
        }
    }

    /**
     * Revokes the replaced tokens whose grace period has ended, in calls within the gateway's limit; returns those
     * still waiting. A failed call throws with nothing dropped: revoking an id twice is harmless.
     */
    List<PendingRevocation> revokeDue(Revoker admin, String databaseName, List<PendingRevocation> pending,
            Instant now) {
        List<PendingRevocation> due = pending.stream().filter(p -> !p.dueAt().isAfter(now)).toList();
        // A token past its expiry needs no revocation: the gateway refuses it anyway. An id that is no token id (status
        // edited by hand) names no token.
        List<PendingRevocation> live = due.stream().filter(p -> p.expiresAt().isAfter(now))
                .filter(p -> p.tokenId() != null && TOKEN_ID.matcher(p.tokenId()).matches()).toList();
        for (int from = 0; from < live.size(); from += MAX_REVOCATIONS_PER_CALL) {
            List<PendingRevocation> chunk = live.subList(from, Math.min(live.size(), from + MAX_REVOCATIONS_PER_CALL));
            Instant latest = chunk.stream().map(PendingRevocation::expiresAt).max(Comparator.naturalOrder())
                    .filter(t -> t.isBefore(now.plus(TokenPolicy.MAX_TTL))).orElse(now.plus(TokenPolicy.MAX_TTL));
            admin.revoke(databaseName, chunk.stream().map(PendingRevocation::tokenId).toList(), latest);
        }
        List<PendingRevocation> remaining = new ArrayList<>(pending);
        remaining.removeAll(due);
        return remaining;
    }
}
