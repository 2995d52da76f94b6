package dev.kuratchi.operator.dodatabase;

import static dev.kuratchi.operator.status.Conditions.TRUE;

import dev.kuratchi.client.admin.AdminClient;
import dev.kuratchi.client.token.DatabaseToken;
import dev.kuratchi.client.token.GatewayKey;
import dev.kuratchi.client.token.Tokens;
import dev.kuratchi.operator.status.Conditions;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/** The token stage of a DoDatabase: the token in its Secret, renewals and rotations, and revocation of old ones. */
final class TokenKeeper {
    private static final String TOKEN_ISSUED = DoDatabaseReconciler.TOKEN_ISSUED;

    private final KubernetesClient client;
    private final Tokens tokens;
    private final GatewayKey gatewayKey;
    private final List<GatewayKey> verificationKeys;
    private final Duration gracePeriod;

    TokenKeeper(KubernetesClient client, Tokens tokens, GatewayKey gatewayKey, List<GatewayKey> verificationKeys,
            Duration gracePeriod) {
        this.client = client;
        this.tokens = tokens;
        this.gatewayKey = gatewayKey;
        this.verificationKeys = verificationKeys;
        this.gracePeriod = gracePeriod;
    }

    /**
     * Keeps a valid token in the Secret: the one already there, or a new one when it is missing, no longer matches,
     * is due for renewal or a rotation was asked for. Sets the TokenIssued condition when a token is issued, and
     * schedules the revocation of the token the status knew when the Secret now holds another.
     */
    DatabaseToken ensure(DoDatabase resource, Secret existing, String databaseName, URI endpoint,
            TokenPolicy policy, DoDatabaseStatus status, Conditions conditions, List<PendingRevocation> pending,
            Instant now) {
        boolean present = existing != null && TokenSecret.holdsToken(existing);
        Optional<DatabaseToken> valid = present ? TokenSecret.validToken(existing, databaseName, endpoint,
                verificationKeys, gatewayKey, TokenSecret.includesGatewayKey(resource), now) : Optional.empty();
        String rotate = resource.getMetadata().getAnnotations() == null ? null
                : resource.getMetadata().getAnnotations().get(DoDatabase.ROTATE_ANNOTATION);
        Instant renewal = valid.map(policy::renewalTime).orElse(now);
        Optional<TokenDecision.Reason> reissue = TokenDecision.decide(present, present && valid.isEmpty(), renewal, now,
                rotate, status.getLastRotation());
        String previousId = status.getToken() == null ? null : status.getToken().id();

        DatabaseToken token = reissue.isEmpty() ? valid.orElseThrow() : tokens.issue(databaseName, policy.ttl());
        // The Secret before the status: after a crash here, the next reconcile finds this token in it and keeps it.
        write(existing, TokenSecret.desired(resource, databaseName, endpoint, token, gatewayKey));
        if (reissue.isPresent()) {
            if (rotate != null) {
                status.setLastRotation(rotate);
            }
            String verb = switch (reissue.get()) {
                case Missing -> previousId == null ? "Issued" : "Reissued";
                case Tampered -> "Reissued";
                case DueForRenewal -> "Renewed";
                case RotationRequested -> "Rotated";
            };
            conditions.set(TOKEN_ISSUED, TRUE, verb, issued(resource, token)
                    + (reissue.get() == TokenDecision.Reason.Tampered
                    ? " (the Secret no longer matched: changed by hand, or the endpoint or key changed)" : ""));
        }
        // A token the status knows but the Secret no longer holds is revoked after the grace period, whether it was
        // replaced just now or before a crash lost the status update.
        if (previousId != null && !previousId.equals(token.tokenId())
                && pending.stream().noneMatch(p -> p.tokenId().equals(previousId))) {
            pending.add(new PendingRevocation(previousId, status.getToken().notAfter(),
                    now.plus(gracePeriod).toString()));
        }
        if (Conditions.find(conditions.list(), TOKEN_ISSUED).isEmpty()) {
            conditions.set(TOKEN_ISSUED, TRUE, "Issued", issued(resource, token));
        }
        return token;
    }

    private static String issued(DoDatabase resource, DatabaseToken token) {
        return "token " + token.tokenId() + " in Secret " + TokenSecret.name(resource) + ", expires " + token.expiresAt();
    }

    private void write(Secret existing, Secret desired) {
        if (existing == null) {
            client.resource(desired).create();
        } else if (!TokenSecret.same(existing, desired)) {
            desired.getMetadata().setResourceVersion(existing.getMetadata().getResourceVersion());
            client.resource(desired).update();
        }
    }

    /** Revokes the replaced tokens whose grace period has ended; returns those still waiting. */
    List<PendingRevocation> revokeDue(AdminClient admin, String databaseName, List<PendingRevocation> pending,
            Instant now) {
        List<PendingRevocation> due = pending.stream().filter(p -> !Instant.parse(p.revokeAfter()).isAfter(now)).toList();
        if (due.isEmpty()) {
            return pending;
        }
        // A token past its expiry needs no revocation: the gateway refuses it anyway.
        List<PendingRevocation> live = due.stream().filter(p -> Instant.parse(p.notAfter()).isAfter(now)).toList();
        if (!live.isEmpty()) {
            Instant latest = live.stream().map(p -> Instant.parse(p.notAfter())).max(Comparator.naturalOrder())
                    .orElseThrow();
            admin.revoke(databaseName, live.stream().map(PendingRevocation::tokenId).toList(), latest);
        }
        List<PendingRevocation> remaining = new ArrayList<>(pending);
        remaining.removeAll(due);
        return remaining;
    }
}
