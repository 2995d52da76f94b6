package dev.kuratchi.operator.organization;

import dev.kuratchi.client.admin.AdminClient;
import dev.kuratchi.client.admin.DatabaseInfo;
import dev.kuratchi.client.gateway.ConnectionSource;
import dev.kuratchi.client.gateway.GatewayClient;
import dev.kuratchi.client.gateway.GatewayConnection;
import dev.kuratchi.client.gateway.GatewayException;
import dev.kuratchi.client.gateway.GatewayTransport;
import dev.kuratchi.client.token.DatabaseToken;
import dev.kuratchi.client.token.Tokens;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens a {@link GatewayClient} on a database the operator manages through a DoDatabase, without reading any Secret:
 * the operator holds the gateway key, so it asks the gateway whose the database is and mints a short-lived token of
 * its own for it.
 *
 * <p>{@link #open} reads the database's claim ({@link AdminClient#info}) and refuses, with {@link ClaimRefused}, a
 * database not claimed by the expected DoDatabase uid: the operator never writes into a database another resource
 * holds, whatever an organization's status or child says (a stale or forged status cannot point it elsewhere). Then
 * it mints a token ({@link #TOKEN_TTL}) for the claim's token epoch, or reuses the one it minted for the same
 * database, epoch and owner uid while more than {@link #RENEW_BEFORE} of it is left.
 *
 * <p>Why one info call on every open rather than none while a token is cached: the epoch proves that a claim still
 * stands only while the gateway keeps the database's storage. A claim by another resource, or a retirement, gives the
 * database a new epoch and so refuses the cached token (401); but a lost storage loses the epoch with everything else,
 * and the gateway then takes any token: a write through a cached token would put rows into a database nobody claims,
 * which the child DoDatabase, claiming it again, would see as data it must not adopt. So every open costs one info
 * call (a steady reconcile: exactly one), and the cache saves minting and keeps one token id per claim.
 *
 * <p>A client outlives its claim when the database changes hands between the info call and a query, or when it is
 * kept: the gateway then refuses its token (401 {@code token_revoked}). The client's connection source drops that
 * cache entry, reads the claim again (refusing if it is no longer ours) and mints for the new epoch, and the client
 * sends the call once more, as {@link GatewayClient} does whenever a reloaded connection carries another token.
 *
 * <p>Thread-safe: reconciles open clients concurrently; one token is minted per database and epoch however many ask.
 * No token appears in a log, an exception or a {@code toString}.
 */
public final class GatewayAccess {
    /** A minted token's lifetime: ample for one reconcile's calls, short enough that a leaked one soon stops working. */
    public static final Duration TOKEN_TTL = Duration.ofMinutes(10);
    /** A cached token is replaced once less than this is left, so no call starts with a token about to expire. */
    public static final Duration RENEW_BEFORE = Duration.ofMinutes(2);

    private static final Logger LOG = LoggerFactory.getLogger(GatewayAccess.class);

    private final Function<URI, AdminClient> admins;
    private final Tokens tokens;
    private final GatewayTransport transport;
    private final Clock clock;
    // By database name: at most one token per database, for the epoch and owner uid it was minted under.
    private final ConcurrentMap<String, Minted> minted = new ConcurrentHashMap<>();

    /**
     * @param admins the gateway's control plane per endpoint (the operator's gateway key)
     * @param tokens signs with the operator's current gateway key
     * @param transport the data plane's transport for the clients opened
     * @param clock when a cached token is due for replacement (the clock {@code tokens} issues with)
     */
    public GatewayAccess(Function<URI, AdminClient> admins, Tokens tokens, GatewayTransport transport, Clock clock) {
        this.admins = Objects.requireNonNull(admins);
        this.tokens = Objects.requireNonNull(tokens);
        this.transport = Objects.requireNonNull(transport);
        this.clock = Objects.requireNonNull(clock);
    }

    /**
     * The database's claim does not let the operator write there. Nothing was sent to the database. {@link #reason()}
     * says which: {@code DatabaseNotClaimed} (nobody holds it: the DoDatabase has not claimed it yet, or it was
     * retired, or its storage was lost; worth trying again once the DoDatabase is Ready) or
     * {@code DatabaseClaimedByAnother} (another resource holds it; the other resource is not named, as it may be
     * another tenant's).
     */
    public static final class ClaimRefused extends RuntimeException {
        private final String reason;

        ClaimRefused(String reason, String message) {
            super(message);
            this.reason = reason;
        }

        public String reason() {
            return reason;
        }
    }

    /**
     * A client on {@code databaseName} at {@code endpoint}, with a token of the operator's, once the gateway confirms
     * that the DoDatabase with uid {@code ownerUid} holds the database's claim. One info call.
     *
     * @throws ClaimRefused when the claim is nobody's or another resource's
     * @throws GatewayException when the gateway could not be asked
     */
    public GatewayClient open(URI endpoint, String databaseName, String ownerUid) {
        Opened source = new Opened(endpoint, databaseName, Objects.requireNonNull(ownerUid, "ownerUid"));
        return GatewayClient.builder().connectionSource(source).transport(transport).build();
    }

    /** Drops the token cached for {@code databaseName} (its organization is gone). */
    public void forget(String databaseName) {
        minted.remove(databaseName);
    }

    // ---- the claim and the token

    private Minted verified(URI endpoint, String databaseName, String ownerUid) {
        DatabaseInfo info = admins.apply(endpoint).info(databaseName);
        if (info.owner() == null) {
            throw new ClaimRefused("DatabaseNotClaimed", "database " + databaseName + " is not claimed at the gateway "
                    + "(DoDatabase uid " + ownerUid + " has not claimed it yet, or it was retired or its storage was "
                    + "lost): the operator writes into a database only under its DoDatabase's claim, and tries again "
                    + "once that DoDatabase is Ready; nothing was written");
        }
        if (!ownerUid.equals(info.owner().uid())) {
            throw new ClaimRefused("DatabaseClaimedByAnother", "database " + databaseName + " is claimed at the "
                    + "gateway by another resource, not by DoDatabase uid " + ownerUid + ": the operator never writes "
                    + "into a database another resource holds (the organization's child or status names a database "
                    + "that is not its own); nothing was written");
        }
        // A claim always sets an epoch; none would mean a gateway that takes any token id.
        String epoch = info.epoch() == null ? "" : info.epoch();
        return minted.compute(databaseName, (name, cached) ->
                cached != null && cached.serves(epoch, ownerUid) && cached.freshAt(clock) ? cached
                        : new Minted(epoch, ownerUid, tokens.issue(name, TOKEN_TTL, epoch)));
    }

    /** A token minted under one claim: the database's epoch and the owner's uid as the gateway said. */
    private record Minted(String epoch, String ownerUid, DatabaseToken token) {
        boolean serves(String epoch, String ownerUid) {
            return this.epoch.equals(epoch) && this.ownerUid.equals(ownerUid);
        }

        boolean freshAt(Clock clock) {
            return token.expiresAt().minus(RENEW_BEFORE).isAfter(clock.instant());
        }

        @Override
        public String toString() {
            return "Minted[epoch=" + epoch + ", ownerUid=" + ownerUid + ", tokenId=" + token.tokenId() + "]";
        }
    }

    /** One opened client's connection: the claim confirmed at open, confirmed again when the gateway refuses it. */
    private final class Opened implements ConnectionSource {
        private final URI endpoint;
        private final String databaseName;
        private final String ownerUid;
        private volatile Minted token;
        private volatile GatewayConnection connection;

        Opened(URI endpoint, String databaseName, String ownerUid) {
            this.endpoint = endpoint;
            this.databaseName = databaseName;
            this.ownerUid = ownerUid;
            use(verified(endpoint, databaseName, ownerUid));
        }

        private void use(Minted minted) {
            this.token = minted;
            this.connection = new GatewayConnection(endpoint, databaseName, minted.token());
        }

        @Override
        public GatewayConnection current() {
            return connection;
        }

        // The gateway refused the token: a new epoch (the claim changed), or its id was revoked. Only this entry goes,
        // so a token another reconcile has minted meanwhile is kept and used.
        @Override
        public synchronized GatewayConnection reload() {
            Minted refused = token;
            if (minted.remove(databaseName, refused)) {
                LOG.debug("the gateway refused the operator's token {} for database {}; reading its claim again",
                        refused.token().tokenId(), databaseName);
            }
            use(verified(endpoint, databaseName, ownerUid));
            return connection;
        }
    }

    @Override
    public String toString() {
        return "GatewayAccess[tokens cached for " + minted.size() + " databases]";
    }
}
