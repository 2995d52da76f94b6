package dev.kuratchi.operator.dodatabase;

import dev.kuratchi.client.admin.AdminClient;
import dev.kuratchi.client.token.DatabaseToken;
import dev.kuratchi.client.token.GatewayKey;
import dev.kuratchi.client.token.InvalidTokenException;
import dev.kuratchi.client.token.Tokens;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The token stage of a DoDatabase: which token its Secret should hold (the one there, or a new one, see
 * {@link TokenDecision}), and which replaced tokens to revoke and when.
 *
 * <p>Every token it replaces is scheduled for revocation: the one status names and, when it differs, a valid one the
 * Secret holds. A valid token in the Secret that is newer than the one status names was written by the operator
 * itself before its status update was lost (a crash, a failed patch): it is kept and the older one scheduled, so an
 * interrupted reconcile never issues a token more, and none goes unrecorded. Deleting the resource ends every token
 * by the gateway's epoch anyway.
 */
final class TokenKeeper {
    /** The gateway takes at most this many ids per revocation call. */
    static final int MAX_REVOCATIONS_PER_CALL = 1000;
    private static final Pattern TOKEN_ID = Pattern.compile("^[0-9a-f]{32}$");

    /** The gateway's revocation call ({@link AdminClient#revoke}). */
    interface Revoker {
        void revoke(String databaseName, List<String> tokenIds, Instant notAfter);
    }

    /** The token to hold, why it is new (empty when kept), and the revocations now pending. */
    record Outcome(DatabaseToken token, Optional<TokenDecision.Reason> reissued, List<PendingRevocation> pending) {}

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
     * @param secretToken the token text the Secret holds, if any
     * @param confirmedEpoch the database's epoch as the gateway confirms it for this resource's claim; asked only
     *     when a token is issued, so a token is never signed on the word of status alone
     */
    Outcome ensure(String databaseName, Optional<String> secretToken, DoDatabaseStatus status, TokenPolicy policy,
            String rotateRequest, Supplier<String> confirmedEpoch, Instant now) {
        Optional<DatabaseToken> held = secretToken.flatMap(text -> verified(text, databaseName, keys, now));
        boolean current = held.isPresent() && secretToken.flatMap(text -> verified(text, databaseName,
                List.of(currentKey), now)).isPresent();
        String statusTokenId = status.getToken() == null ? null : status.getToken().id();
        // The token's own expiry when the Secret holds it, rather than status's copy (which may be edited).
        Instant statusExpiry = held.filter(t -> t.tokenId().equals(statusTokenId)).map(DatabaseToken::expiresAt)
                .orElseGet(() -> status.getToken() == null ? Instant.MIN
                        : PendingRevocation.parse(status.getToken().notAfter(), Instant.MAX));
        TokenDecision.Observed observed = new TokenDecision.Observed(secretToken.isPresent(), held.isPresent(),
                held.isPresent() && !current, held.map(DatabaseToken::tokenId).orElse(null), statusTokenId,
                held.map(t -> t.expiresAt().isAfter(statusExpiry)).orElse(false), status.getEpoch(),
                held.map(t -> policy.outlives(t, now)).orElse(false), held.map(policy::renewalTime).orElse(now));
        Optional<TokenDecision.Reason> reason = TokenDecision.decide(observed, now, rotateRequest,
                status.getLastRotation());
        List<PendingRevocation> pending = new ArrayList<>(
                status.getPendingRevocations() == null ? List.of() : status.getPendingRevocations());
        DatabaseToken token = reason.isEmpty() ? held.orElseThrow()
                : tokens.issue(databaseName, policy.ttl(), confirmedEpoch.get());
        if (statusTokenId != null && !statusTokenId.equals(token.tokenId())) {
            schedule(pending, statusTokenId, statusExpiry, now);
        }
        held.filter(t -> !t.tokenId().equals(statusTokenId) && !t.tokenId().equals(token.tokenId()))
                .ifPresent(t -> schedule(pending, t.tokenId(), t.expiresAt(), now));
        return new Outcome(token, reason, pending);
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
