package dev.kuratchi.operator.organization;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kuratchi.client.admin.AdminClient;
import dev.kuratchi.client.admin.Adoption;
import dev.kuratchi.client.admin.Owner;
import dev.kuratchi.client.gateway.GatewayClient;
import dev.kuratchi.client.gateway.GatewayTransport;
import dev.kuratchi.client.gateway.RetryPolicy;
import dev.kuratchi.client.schema.SchemaSql;
import dev.kuratchi.client.schema.Schemas;
import dev.kuratchi.client.token.Tokens;
import dev.kuratchi.operator.organization.GatewayAccess.ClaimRefused;
import dev.kuratchi.operator.support.GatewayWorker;
import dev.kuratchi.operator.support.TestClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.OkHttpClient;
import okhttp3.Response;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Opening organization databases with the operator's own tokens, against the real gateway Worker in workerd: the
 * claim decides, the token is cached per claim, and a change of claim is noticed. Info calls and the tokens the data
 * plane sees are recorded from the wire.
 */
class GatewayAccessTest {
    @RegisterExtension
    static final GatewayWorker GATEWAY = new GatewayWorker("gateway-access-test-gateway-key-0123456789");
    private static final AtomicInteger DATABASES = new AtomicInteger();

    /** GET /admin/databases/{name}: the info calls. */
    private final List<String> infoCalls = new CopyOnWriteArrayList<>();
    /** Each data-plane call: the whole token it carried and the status it got. */
    private final List<Sent> sent = new CopyOnWriteArrayList<>();
    private final TestClock clock = new TestClock();
    private AdminClient admin;
    private GatewayAccess access;

    private record Sent(String token, int status) {
        String tokenId() {
            return token.split("\\.")[1];
        }
    }

    @BeforeEach
    void counting() {
        OkHttpClient counting = new OkHttpClient.Builder().addInterceptor(chain -> {
            String path = chain.request().url().encodedPath();
            Response response = chain.proceed(chain.request());
            if (path.startsWith("/admin/databases/") && chain.request().method().equals("GET")) {
                infoCalls.add(path);
            } else if (path.startsWith("/api/")) {
                sent.add(new Sent(chain.request().header("authorization").substring("Bearer ".length()),
                        response.code()));
            }
            return response;
        }).build();
        GatewayTransport transport = new GatewayTransport(counting, RetryPolicy.NONE, pause -> { });
        admin = new AdminClient(GATEWAY.url(), GATEWAY.key(), transport);
        access = new GatewayAccess(endpoint -> admin, new Tokens(GATEWAY.key(), clock), transport, clock);
    }

    @Test
    void opensTheDatabaseItsDoDatabaseClaimsWithOneTokenPerClaim() {
        Owner owner = owner();
        String database = claimed(owner);
        String epoch = admin.info(database).epoch();
        infoCalls.clear();

        for (int i = 0; i < 3; i++) {
            assertThat(users(access.open(GATEWAY.url(), database, owner.uid()))).isZero();
        }

        assertThat(infoCalls).as("one info call per open").hasSize(3);
        assertThat(sent).extracting(Sent::status).containsOnly(200);
        assertThat(sent.stream().map(Sent::token).distinct()).as("minted once, then cached").hasSize(1);
        assertThat(sent.get(0).tokenId()).startsWith(epoch);
        assertThat(lifetime(sent.get(0).token())).isEqualTo(GatewayAccess.TOKEN_TTL);
    }

    @Test
    void refusesADatabaseClaimedByAnotherUidAndSendsItNothing() {
        Owner other = new Owner(uid(), "other-tenant", "their-database");
        String database = claimed(other);

        assertThatThrownBy(() -> access.open(GATEWAY.url(), database, uid()))
                .isInstanceOfSatisfying(ClaimRefused.class, refused -> {
                    assertThat(refused.reason()).isEqualTo("DatabaseClaimedByAnother");
                    assertThat(refused.getMessage()).startsWith("database " + database + " is claimed at the gateway "
                            + "by another resource, not by DoDatabase uid ")
                            .as("another tenant's resource is not named").doesNotContain(other.uid())
                            .doesNotContain("other-tenant").doesNotContain("their-database");
                });
        assertThat(sent).as("nothing reached the database").isEmpty();
    }

    @Test
    void refusesADatabaseNobodyClaims() {
        String database = name();
        admin.provision(database, List.of(SchemaSql.initialMigration(Schemas.organization())));

        assertThatThrownBy(() -> access.open(GATEWAY.url(), database, uid()))
                .isInstanceOfSatisfying(ClaimRefused.class, refused ->
                        assertThat(refused.reason()).isEqualTo("DatabaseNotClaimed"));
        assertThat(sent).isEmpty();
    }

    @Test
    void aHeldClientSurvivesAnEpochChangeByReadingTheClaimAndMintingAgain() {
        Held it = held();
        Owner owner = it.owner();
        String database = it.database();
        GatewayClient held = it.client();
        String before = admin.info(database).epoch();

        // The child was deleted (Retain) and made again with the same claim: a new epoch ends every earlier token.
        assertThat(admin.retire(database, owner, false)).isTrue();
        admin.provision(database, List.of(), owner, Adoption.SAME_NAMESPACE);
        String after = admin.info(database).epoch();
        assertThat(after).isNotEqualTo(before);
        infoCalls.clear();
        sent.clear();

        assertThat(users(held)).isZero();

        assertThat(sent).extracting(Sent::status).as("refused once, then sent again").containsExactly(401, 200);
        assertThat(sent.get(0).tokenId()).startsWith(before);
        assertThat(sent.get(1).tokenId()).startsWith(after);
        assertThat(infoCalls).as("the claim read again").hasSize(1);

        sent.clear();
        assertThat(users(access.open(GATEWAY.url(), database, owner.uid()))).isZero();
        assertThat(sent).as("a new open uses the token minted for the new epoch").extracting(Sent::tokenId)
                .containsExactly(sentTokenIdStartingWith(after));
    }

    @Test
    void aHeldClientRefusesOnceTheDatabaseChangesHands() {
        Held held = held();
        admin.retire(held.database(), held.owner(), true);
        admin.provision(held.database(), List.of(), new Owner(uid(), "other-tenant", "theirs"), Adoption.NONE);
        sent.clear();

        assertThatThrownBy(() -> held.client().query("INSERT INTO users (id, email) VALUES ('x', 'x@acme.test')"))
                .isInstanceOfSatisfying(ClaimRefused.class, refused -> {
                    assertThat(refused.reason()).isEqualTo("DatabaseClaimedByAnother");
                    assertThat(refused.getMessage()).doesNotContain(tokensSeen());
                });
        assertThat(sent).extracting(Sent::status).as("the old token refused; nothing sent with a new one")
                .containsExactly(401);
    }

    @Test
    void aRevokedTokenIdIsReplacedWithinTheSameEpoch() {
        Held held = held();
        String revoked = sent.get(0).tokenId();
        admin.revoke(held.database(), List.of(revoked), null);
        sent.clear();

        assertThat(users(held.client())).isZero();

        assertThat(sent).extracting(Sent::status).containsExactly(401, 200);
        assertThat(sent.get(1).tokenId()).isNotEqualTo(revoked);
    }

    @Test
    void mintsAgainShortlyBeforeTheTokenExpires() {
        Owner owner = owner();
        String database = claimed(owner);
        users(access.open(GATEWAY.url(), database, owner.uid()));
        clock.advance(GatewayAccess.TOKEN_TTL.minus(GatewayAccess.RENEW_BEFORE).minusSeconds(5));
        users(access.open(GATEWAY.url(), database, owner.uid()));
        clock.advance(Duration.ofSeconds(10));
        users(access.open(GATEWAY.url(), database, owner.uid()));

        assertThat(sent).extracting(Sent::status).containsOnly(200);
        assertThat(sent.get(0).token()).isEqualTo(sent.get(1).token());
        assertThat(sent.get(2).token()).as("renewed once less than RENEW_BEFORE was left")
                .isNotEqualTo(sent.get(1).token());
    }

    @Test
    void concurrentOpensShareOneToken() throws Exception {
        Owner owner = owner();
        String database = claimed(owner);
        infoCalls.clear();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Long>> results = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                results.add(pool.submit(() -> users(access.open(GATEWAY.url(), database, owner.uid()))));
            }
            for (Future<Long> result : results) {
                assertThat(result.get()).isZero();
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(infoCalls).hasSize(16);
        assertThat(sent.stream().map(Sent::token).distinct()).hasSize(1);
    }

    @Test
    void noTokenInToString() {
        Held held = held();

        assertThat(held.client().toString()).doesNotContain(tokensSeen());
        assertThat(access.toString()).isEqualTo("GatewayAccess[tokens cached for 1 databases]");
        access.forget(held.database());
        assertThat(access.toString()).isEqualTo("GatewayAccess[tokens cached for 0 databases]");
    }

    // ---- helpers

    /** A database claimed by a new owner, and a client opened on it that has made one call. */
    private record Held(Owner owner, String database, GatewayClient client) {}

    private Held held() {
        Owner owner = owner();
        String database = claimed(owner);
        GatewayClient client = access.open(GATEWAY.url(), database, owner.uid());
        assertThat(users(client)).isZero();
        return new Held(owner, database, client);
    }

    /** A token's lifetime as its expiry says, from now, to the minute. */
    private static Duration lifetime(String token) {
        long expires = Long.parseLong(token.split("\\.")[2]);
        return Duration.ofMinutes(Math.round((expires - System.currentTimeMillis()) / 60_000.0));
    }

    private String sentTokenIdStartingWith(String epoch) {
        return sent.stream().map(Sent::tokenId).filter(id -> id.startsWith(epoch)).findFirst().orElseThrow();
    }

    private String[] tokensSeen() {
        return sent.stream().map(Sent::token).distinct().toArray(String[]::new);
    }

    private String claimed(Owner owner) {
        String database = name();
        admin.provision(database, List.of(SchemaSql.initialMigration(Schemas.organization())), owner, Adoption.NONE);
        return database;
    }

    private static long users(GatewayClient client) {
        return client.query("SELECT count(*) AS n FROM users").get(0).getLong("n");
    }

    private static Owner owner() {
        return new Owner(uid(), "tenant-a", "acme");
    }

    private static String name() {
        return "gateway-access-" + DATABASES.incrementAndGet();
    }

    private static String uid() {
        return UUID.randomUUID().toString();
    }
}
