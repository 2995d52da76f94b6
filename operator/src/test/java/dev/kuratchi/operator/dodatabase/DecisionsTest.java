package dev.kuratchi.operator.dodatabase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kuratchi.client.admin.Adoption;
import dev.kuratchi.client.admin.Migration;
import dev.kuratchi.client.gateway.GatewayException;
import dev.kuratchi.client.token.DatabaseToken;
import dev.kuratchi.client.token.GatewayKey;
import dev.kuratchi.client.token.Tokens;
import dev.kuratchi.operator.status.Redaction;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The reconciler's decisions as pure functions. */
class DecisionsTest {
    private static final Instant NOW = Instant.parse("2026-11-25T12:00:00Z");
    private static final Instant LATER = NOW.plusSeconds(60);
    private static final String EPOCH = "0123456789abcdef";
    private static final String ID = EPOCH + "0000000000000001";
    private static final String UID = "uid-of-shop";

    private static TokenDecision.Observed held(String id, String statusId) {
        return new TokenDecision.Observed(true, true, false, id, statusId, false, EPOCH, false, LATER);
    }

    private static Optional<TokenDecision.Reason> decide(TokenDecision.Observed observed) {
        return TokenDecision.decide(observed, NOW, null, null);
    }

    @Test
    void aValidCurrentTokenIsKeptUntilItsRenewalTime() {
        assertThat(decide(held(ID, ID))).isEmpty();
        var due = new TokenDecision.Observed(true, true, false, ID, ID, false, EPOCH, false, NOW);
        assertThat(decide(due)).contains(TokenDecision.Reason.DueForRenewal);
    }

    @Test
    void aMissingOrInvalidTokenIsReplaced() {
        assertThat(decide(new TokenDecision.Observed(false, false, false, null, ID, false, EPOCH, false, NOW)))
                .contains(TokenDecision.Reason.Missing);
        assertThat(decide(new TokenDecision.Observed(true, false, false, null, ID, false, EPOCH, false, NOW)))
                .contains(TokenDecision.Reason.Invalid);
    }

    @Test
    void aSecretRestoredFromABackupWithAnOlderTokenThanStatusNamesIsNotKept() {
        String older = EPOCH + "00000000000000aa";
        assertThat(decide(held(older, ID))).contains(TokenDecision.Reason.NotCurrent);
    }

    @Test
    void aNewerTokenTheOperatorWroteBeforeItsStatusUpdateWasLostIsKept() {
        String newer = EPOCH + "00000000000000bb";
        assertThat(decide(new TokenDecision.Observed(true, true, false, newer, ID, true, EPOCH, false, LATER)))
                .isEmpty();
    }

    @Test
    void aTokenSignedWithTheKeyBeingRotatedOutIsReplaced() {
        assertThat(decide(new TokenDecision.Observed(true, true, true, ID, ID, false, EPOCH, false, LATER)))
                .contains(TokenDecision.Reason.SignedWithPreviousKey);
    }

    @Test
    void aTokenOfAnEarlierEpochOrLongerThanTheTtlNowAllowsIsReplaced() {
        assertThat(decide(held("ffffffffffffffff0000000000000001", "ffffffffffffffff0000000000000001")))
                .contains(TokenDecision.Reason.WrongEpoch);
        assertThat(decide(new TokenDecision.Observed(true, true, false, ID, ID, false, EPOCH, true, LATER)))
                .contains(TokenDecision.Reason.TtlShortened);
    }

    @Test
    void onlyANewRotateValueRotates() {
        assertThat(TokenDecision.decide(held(ID, ID), NOW, "1", null)).contains(TokenDecision.Reason.RotationRequested);
        assertThat(TokenDecision.decide(held(ID, ID), NOW, "2", "1")).contains(TokenDecision.Reason.RotationRequested);
        assertThat(TokenDecision.decide(held(ID, ID), NOW, "1", "1")).isEmpty();
    }

    private static final GatewayKey KEY = GatewayKey.of("decisions-test-gateway-key-0123456789");
    private static final GatewayKey OLD_KEY = GatewayKey.of("decisions-test-previous-key-0123456789");

    private static TokenKeeper keeper() {
        return new TokenKeeper(new Tokens(KEY, Clock.fixed(NOW, ZoneOffset.UTC)), List.of(KEY, OLD_KEY),
                Duration.ofMinutes(5));
    }

    /** A token for "shop" in the current epoch, its id ending in {@code idEnd}, expiring {@code days} from now. */
    private static DatabaseToken shopToken(String idEnd, int days) {
        return Tokens.sign(KEY, "shop", EPOCH + "00000000000000" + idEnd, NOW.plus(Duration.ofDays(days)).toEpochMilli());
    }

    private static DoDatabaseStatus statusNaming(DatabaseToken token) {
        DoDatabaseStatus status = new DoDatabaseStatus();
        status.setEpoch(EPOCH);
        status.setToken(new TokenStatus(token.tokenId(), token.expiresAt().toString(), null));
        return status;
    }

    @Test
    void aTokenTheOperatorWroteBeforeALostStatusUpdateIsKeptAndTheOneItReplacedIsRevokedWithoutANewToken() {
        DatabaseToken named = shopToken("c1", 20);
        DatabaseToken written = shopToken("c2", 30);
        String proof = keeper().replaces(UID, written.tokenId(), named.tokenId());
        TokenKeeper.Outcome outcome = keeper().ensure(UID, "shop", Optional.of(written.reveal()), Optional.of(proof),
                statusNaming(named), TokenPolicy.of(null), null, () -> {
                    throw new AssertionError("keeping the written token needs no new one");
                }, NOW);
        assertThat(outcome.reissued()).isEmpty();
        assertThat(outcome.token()).isEqualTo(written);
        assertThat(outcome.replaces()).isEqualTo(proof);
        assertThat(outcome.pending()).extracting(PendingRevocation::tokenId).containsExactly(named.tokenId());
        // The same Secret proves nothing for another resource, nor without the proof.
        assertThat(keeper().ensure("another-uid", "shop", Optional.of(written.reveal()), Optional.of(proof),
                statusNaming(named), TokenPolicy.of(null), null, () -> EPOCH, NOW).reissued())
                .contains(TokenDecision.Reason.NotCurrent);
        assertThat(keeper().ensure(UID, "shop", Optional.of(written.reveal()), Optional.empty(), statusNaming(named),
                TokenPolicy.of(null), null, () -> EPOCH, NOW).reissued()).contains(TokenDecision.Reason.NotCurrent);
    }

    @Test
    void aRevokedTokenRestoredFromABackupIsNotKeptEvenWhenItExpiresLaterThanTheCurrentOne() {
        // T1 (720h) was replaced by T2 when ttl was cut to 600h; a backup puts T1 and its proof back.
        DatabaseToken t1 = shopToken("d1", 24);
        DatabaseToken t2 = shopToken("d2", 20);
        TokenSpec ttl = new TokenSpec();
        ttl.setTtl("600h");
        TokenKeeper.Outcome outcome = keeper().ensure(UID, "shop", Optional.of(t1.reveal()),
                Optional.of(keeper().replaces(UID, t1.tokenId(), null)), statusNaming(t2), TokenPolicy.of(ttl), null,
                () -> EPOCH, NOW);
        assertThat(outcome.reissued()).contains(TokenDecision.Reason.NotCurrent);
        assertThat(outcome.token().tokenId()).isNotIn(t1.tokenId(), t2.tokenId());
        assertThat(outcome.pending()).extracting(PendingRevocation::tokenId).containsExactlyInAnyOrder(t1.tokenId(),
                t2.tokenId());
        // A proof naming exactly the current token does not help a token already waiting for revocation.
        DoDatabaseStatus pendingT1 = statusNaming(t2);
        pendingT1.setPendingRevocations(List.of(new PendingRevocation(t1.tokenId(), t1.expiresAt().toString(),
                NOW.toString())));
        assertThat(keeper().ensure(UID, "shop", Optional.of(t1.reveal()),
                Optional.of(keeper().replaces(UID, t1.tokenId(), t2.tokenId())), pendingT1, TokenPolicy.of(ttl), null,
                () -> EPOCH, NOW).reissued()).contains(TokenDecision.Reason.NotCurrent);
    }

    @Test
    void everyReplacedTokenIsScheduledForRevocationTheOneStatusNamedAndAnOlderOneInTheSecret() {
        TokenPolicy policy = TokenPolicy.of(null);
        DatabaseToken current = shopToken("c1", 20);
        DatabaseToken stray = shopToken("c2", 10);
        AtomicInteger confirmations = new AtomicInteger();
        TokenKeeper.Outcome outcome = keeper().ensure(UID, "shop", Optional.of(stray.reveal()), Optional.empty(),
                statusNaming(current), policy,
                null, () -> {
                    confirmations.incrementAndGet();
                    return EPOCH;
                }, NOW);
        assertThat(outcome.reissued()).contains(TokenDecision.Reason.NotCurrent);
        assertThat(outcome.token().tokenId()).startsWith(EPOCH).isNotIn(current.tokenId(), stray.tokenId());
        assertThat(outcome.pending()).extracting(PendingRevocation::tokenId)
                .containsExactly(current.tokenId(), stray.tokenId());
        assertThat(outcome.pending()).allSatisfy(p -> assertThat(p.revokeAfter())
                .isEqualTo(NOW.plus(Duration.ofMinutes(5)).toString()));
        assertThat(confirmations).as("the epoch comes from the gateway, once").hasValue(1);
    }

    @Test
    void keepingATokenAsksTheGatewayNothing() {
        DatabaseToken current = Tokens.sign(KEY, "shop", ID, NOW.plus(Duration.ofDays(20)).toEpochMilli());
        TokenKeeper.Outcome outcome = keeper().ensure(UID, "shop", Optional.of(current.reveal()), Optional.empty(),
                statusNaming(current),
                TokenPolicy.of(null), null, () -> {
                    throw new AssertionError("a kept token needs no confirmation");
                }, NOW);
        assertThat(outcome.reissued()).isEmpty();
        assertThat(outcome.token()).isEqualTo(current);
        assertThat(outcome.pending()).isEmpty();
    }

    @Test
    void aTokenSignedWithThePreviousKeyIsReissuedWithTheCurrentOne() {
        DatabaseToken old = Tokens.sign(OLD_KEY, "shop", ID, NOW.plus(Duration.ofDays(20)).toEpochMilli());
        TokenKeeper.Outcome outcome = keeper().ensure(UID, "shop", Optional.of(old.reveal()), Optional.empty(),
                statusNaming(old),
                TokenPolicy.of(null), null, () -> EPOCH, NOW);
        assertThat(outcome.reissued()).contains(TokenDecision.Reason.SignedWithPreviousKey);
        assertThat(Tokens.verify(outcome.token().reveal(), "shop", List.of(KEY), NOW)).isEqualTo(outcome.token());
        assertThat(outcome.pending()).extracting(PendingRevocation::tokenId).containsExactly(old.tokenId());
    }

    @Test
    void revocationsGoInChunksWithinTheGatewaysLimitAndHandEditedEntriesDoNotBreakThem() {
        List<PendingRevocation> pending = new java.util.ArrayList<>();
        for (int i = 0; i < 2500; i++) {
            pending.add(new PendingRevocation(String.format("%032x", i), NOW.plus(Duration.ofDays(1)).toString(),
                    NOW.minusSeconds(1).toString()));
        }
        pending.add(new PendingRevocation("not-a-token-id", "garbage", "garbage"));
        PendingRevocation later = new PendingRevocation(String.format("%032x", 9999),
                NOW.plus(Duration.ofDays(1)).toString(), LATER.toString());
        pending.add(later);
        List<List<String>> chunks = new java.util.ArrayList<>();
        List<PendingRevocation> remaining = keeper().revokeDue((db, ids, notAfter) -> chunks.add(ids), "shop", pending,
                NOW);
        assertThat(chunks).extracting(List::size).containsExactly(1000, 1000, 500);
        assertThat(remaining).containsExactly(later);
    }

    @Test
    void expiriesBeyondTheLongestTtlAreCutSoTheGatewayTakesThem() {
        DoDatabaseStatus status = new DoDatabaseStatus();
        status.setEpoch(EPOCH);
        status.setToken(new TokenStatus(ID, "+300000000-01-01T00:00:00Z", null));
        TokenKeeper.Outcome outcome = keeper().ensure(UID, "shop", Optional.empty(),
                Optional.empty(), status, TokenPolicy.of(null), null,
                () -> EPOCH, NOW);
        assertThat(outcome.pending()).singleElement().satisfies(p -> assertThat(Instant.parse(p.notAfter()))
                .isEqualTo(NOW.plus(TokenPolicy.MAX_TTL)));
        List<Instant> sent = new java.util.ArrayList<>();
        keeper().revokeDue((db, ids, notAfter) -> sent.add(notAfter), "shop", List.of(new PendingRevocation(ID,
                "+300000-01-01T00:00:00Z", NOW.toString())), NOW);
        assertThat(sent).containsExactly(NOW.plus(TokenPolicy.MAX_TTL));
    }

    @Test
    void tokenPolicyDefaultsAndBounds() {
        assertThat(TokenPolicy.of(null)).isEqualTo(new TokenPolicy(Duration.ofDays(30), Duration.ofDays(10)));
        TokenSpec spec = new TokenSpec();
        spec.setTtl("2h");
        assertThat(TokenPolicy.of(spec).renewBefore()).isEqualTo(Duration.ofMinutes(40));
        spec.setRenewBefore("1h56m");
        assertThatThrownBy(() -> TokenPolicy.of(spec)).hasMessageContaining("at least 5m between renewals");
        spec.setRenewBefore("1h55m");
        assertThat(TokenPolicy.of(spec).renewBefore()).isEqualTo(Duration.ofMinutes(115));
        spec.setRenewBefore(null);
        spec.setTtl("9m");
        assertThatThrownBy(() -> TokenPolicy.of(spec)).hasMessageContaining("from 10m to 8760h");
        spec.setTtl("8761h");
        assertThatThrownBy(() -> TokenPolicy.of(spec)).hasMessageContaining("from 10m to 8760h");
        for (String bad : new String[] {"forever", "99999999999999999999h", "30d", "-1h", "1.5h"}) {
            spec.setTtl(bad);
            assertThatThrownBy(() -> TokenPolicy.of(spec)).as(bad).isInstanceOf(InvalidSpecException.class)
                    .hasMessageContaining("spec.token.ttl");
        }
    }

    @Test
    void durationsAreGoStyleWholeNumbersAndNeverOverflow() {
        assertThat(Durations.parse("720h")).isEqualTo(Duration.ofDays(30));
        assertThat(Durations.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(Durations.parse("1500ms")).isEqualTo(Duration.ofMillis(1500));
        assertThat(Durations.parse("999999h999999h999999h")).isEqualTo(Duration.ofHours(2999997));
        for (String bad : new String[] {"", "soon", "10", "1.5h", "-1h", "1H", "h", "30d", "9999999h",
                "1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h"}) {
            assertThatThrownBy(() -> Durations.parse(bad)).as(bad).hasMessageContaining("720h");
        }
        assertThat(Durations.format(Duration.ofMinutes(90))).isEqualTo("1h30m");
        assertThat(Durations.format(Duration.ofHours(8760))).isEqualTo("8760h");
        assertThat(Durations.format(Duration.ofSeconds(5))).isEqualTo("5s");
    }

    private static final TenancyRules.Reserved ADMIN = TenancyRules.Reserved.adminDatabase("kuratchi-system",
            "kuratchi-admin");

    @Test
    void tenancyRulesAllowTheGatewayKeyAndForeignAdoptionOnlyWhereConfigured() {
        TenancyRules none = new TenancyRules(Set.of(), Set.of(), ADMIN);
        assertThat(none.mayHoldGatewayKey("team-a")).isFalse();
        assertThat(none.adoption("team-a", "shop", ExistingData.Refuse)).isEqualTo(Adoption.NONE);
        assertThat(none.adoption("team-a", "shop", null)).isEqualTo(Adoption.NONE);
        assertThat(none.adoption("team-a", "shop", ExistingData.Adopt)).isEqualTo(Adoption.SAME_NAMESPACE);
        TenancyRules some = new TenancyRules(Set.of("legacy"), Set.of("migration"), ADMIN);
        assertThat(some.mayHoldGatewayKey("legacy")).isTrue();
        assertThat(some.mayHoldGatewayKey("migration")).isFalse();
        assertThat(some.adoption("migration", "shop", ExistingData.Adopt)).isEqualTo(Adoption.ANY);
        assertThat(some.adoption("migration", "shop", ExistingData.Refuse)).isEqualTo(Adoption.NONE);
        assertThat(some.adoption("legacy", "shop", ExistingData.Adopt)).isEqualTo(Adoption.SAME_NAMESPACE);
    }

    @Test
    void onlyTheAdminDoDatabaseMayClaimTheAdminDatabaseNameWhateverElseIsConfigured() {
        for (TenancyRules rules : List.of(new TenancyRules(Set.of(), Set.of(), ADMIN), new TenancyRules(
                Set.of("team-a", "kuratchi-system"), Set.of("team-a", "kuratchi-system"), ADMIN))) {
            assertThat(rules.mayClaim("kuratchi-system", "kuratchi-admin", "kuratchi-admin")).isTrue();
            assertThat(rules.mayClaim("team-a", "innocent-looking", "kuratchi-admin")).as("a tenant").isFalse();
            assertThat(rules.mayClaim("team-a", "kuratchi-admin", "kuratchi-admin")).as("the name elsewhere").isFalse();
            assertThat(rules.mayClaim("kuratchi-system", "other", "kuratchi-admin")).as("another resource there")
                    .isFalse();
            // Names are case-sensitive at the gateway, as idFromName is: these are other databases, free to claim.
            assertThat(rules.mayClaim("team-a", "shop", "Kuratchi-Admin")).isTrue();
            assertThat(rules.mayClaim("team-a", "shop", "kuratchi-admin-2")).isTrue();
            assertThat(rules.mayClaim("kuratchi-system", "kuratchi-admin", "shop")).isTrue();
        }
        TenancyRules renamed = new TenancyRules(Set.of(), Set.of(),
                TenancyRules.Reserved.adminDatabase("platform", "acme-admin"));
        assertThat(renamed.mayClaim("team-a", "kuratchi-admin", "kuratchi-admin")).as("not reserved then").isTrue();
        assertThat(renamed.mayClaim("kuratchi-system", "kuratchi-admin", "acme-admin")).isFalse();
        assertThat(renamed.mayClaim("platform", "acme-admin", "acme-admin")).isTrue();
    }

    @Test
    void theAdminDatabaseNeverAdoptsDataAnotherNamespaceRetained() {
        TenancyRules listed = new TenancyRules(Set.of(), Set.of("kuratchi-system"), ADMIN);
        // Listed for adoption (to migrate kuratchi-sdk's admin database): data made outside the operator, or its own
        // namespace's, never another namespace's, which a tenant that held the name could have planted tables in.
        assertThat(listed.adoption("kuratchi-system", "kuratchi-admin", ExistingData.Adopt))
                .isEqualTo(Adoption.SAME_NAMESPACE_OR_UNMANAGED);
        assertThat(listed.adoption("kuratchi-system", "shop", ExistingData.Adopt)).isEqualTo(Adoption.ANY);
        TenancyRules unlisted = new TenancyRules(Set.of(), Set.of(), ADMIN);
        assertThat(unlisted.adoption("kuratchi-system", "kuratchi-admin", ExistingData.Adopt))
                .isEqualTo(Adoption.SAME_NAMESPACE);
        assertThat(unlisted.adoption("kuratchi-system", "kuratchi-admin", ExistingData.Refuse))
                .isEqualTo(Adoption.NONE);
    }

    @Test
    void gatewayFailuresAreClassifiedAndOnlyAMissingWorkerRechecksTheDeployment() {
        var gone = new GatewayException(404, "http_404", "gateway answered HTTP 404 without a JSON body");
        var helloWorld = new GatewayException(200, "http_200", "gateway answered HTTP 200 without a JSON body");
        var replaced = new GatewayException(405, "http_405", "Method not allowed");
        var unreachable = new GatewayException(0, "unreachable", "gateway unreachable");
        var busy = new GatewayException(503, "http_503", "gateway answered HTTP 503 without a JSON body");
        var limited = new GatewayException(429, "rate_limited", "slow down");
        var tooLarge = new GatewayException(413, "body_too_large", "Request body is larger than the limit");
        var key = new GatewayException(401, "invalid_gateway_key", "Invalid or missing gateway key");
        var bad = new GatewayException(400, "invalid_request", "tokenIds[0] is not a token id");
        for (var e : List.of(gone, replaced, unreachable, helloWorld)) {
            assertThat(GatewayFailures.workerMayBeGone(e)).as(e.toString()).isTrue();
            assertThat(GatewayFailures.of("X", e).isTransient()).isTrue();
            assertThat(GatewayFailures.of("X", e).reason()).isEqualTo("GatewayNotFound");
        }
        for (var e : List.of(busy, limited, tooLarge, key, bad)) {
            assertThat(GatewayFailures.workerMayBeGone(e)).as(e.toString()).isFalse();
        }
        assertThat(GatewayFailures.of("X", busy).isTransient()).isTrue();
        assertThat(GatewayFailures.of("X", limited).isTransient()).isTrue();
        assertThat(GatewayFailures.of("X", tooLarge).isTransient()).isFalse();
        assertThat(GatewayFailures.of("X", tooLarge).reason()).isEqualTo("RequestTooLarge");
        assertThat(GatewayFailures.of("X", key).reason()).isEqualTo("GatewayKeyRejected");
        assertThat(GatewayFailures.of("X", bad).isTransient()).isFalse();
        assertThat(GatewayFailures.of("X", bad).reason()).isEqualTo("GatewayRejected");
    }

    @Test
    void redactionTakesKeysAndTokensOutOfForeignText() {
        DatabaseToken token = Tokens.sign(KEY, "shop", ID, NOW.toEpochMilli());
        Redaction redaction = new Redaction(List.of(KEY, OLD_KEY));
        String text = "refused " + token.reveal() + " with " + KEY.reveal() + " and " + OLD_KEY.reveal();
        assertThat(redaction.scrub(text)).isEqualTo("refused <redacted> with <redacted> and <redacted>");
        assertThat(redaction.scrub(null)).isNull();
    }

    @Test
    void storageChecksSpreadFirstChecksOverOneIntervalThenComeEveryInterval() {
        StorageChecks checks = new StorageChecks(Duration.ofMinutes(10));
        for (int i = 0; i < 50; i++) {
            assertThat(checks.nextCheck("uid-" + i, NOW)).isBetween(NOW, NOW.plus(Duration.ofMinutes(10)));
        }
        checks.checked("uid-0", NOW);
        assertThat(checks.due("uid-0", NOW.plus(Duration.ofMinutes(9)))).isFalse();
        assertThat(checks.due("uid-0", NOW.plus(Duration.ofMinutes(10)))).isTrue();
        checks.forget("uid-0");
        assertThat(checks.nextCheck("uid-0", LATER)).isBetween(LATER, LATER.plus(Duration.ofMinutes(10)));
    }

    @Test
    void configMapMigrationsAreOrderedByKeyAndStrictlyNamed() {
        var configMap = new ConfigMapBuilder().withNewMetadata().withName("m").endMetadata()
                .addToData("0002_b.sql", "CREATE TABLE b (x);").addToData("0001_a.sql", "CREATE TABLE a (x);")
                .addToData("0010_c.sql", "CREATE TABLE c (x);").build();
        assertThat(Migrations.fromConfigMap(configMap)).extracting(Migration::id)
                .containsExactly("0001_a", "0002_b", "0010_c");
        var stray = new ConfigMapBuilder(configMap).addToData("README.md", "hi").build();
        assertThatThrownBy(() -> Migrations.fromConfigMap(stray)).hasMessageContaining("'README.md'")
                .hasMessageContaining("NNNN_name.sql");
        var empty = new ConfigMapBuilder().withNewMetadata().withName("m").endMetadata().addToData("0001_x.sql", " ").build();
        assertThatThrownBy(() -> Migrations.fromConfigMap(empty)).hasMessageContaining("is empty");
        assertThat(Migrations.builtIn("organization")).extracting(Migration::id).containsExactly("initial");
        assertThatThrownBy(() -> Migrations.builtIn("billing")).hasMessageContaining("[admin, organization]");
    }

    @Test
    void aBuiltInSchemasLaterMigrationsComeAfterItsInitialOneAndAreNeverEdited() throws Exception {
        List<Migration> admin = Migrations.builtIn("admin");
        assertThat(admin).extracting(Migration::id).containsExactly("initial", "0002_kuratchi_owners");
        // The gateway refuses an applied migration whose SQL changed: every admin database would stop at it. A
        // change goes into a new migration; this pin fails first.
        assertThat(java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(admin.get(1).sql().getBytes(java.nio.charset.StandardCharsets.UTF_8))))
                .isEqualTo("1d630ea8b441a234d8cedf6b306c628a1cc05414b932337dad823f20861c41eb");
    }

    @Test
    void theProvisionHashChangesWithAnyPartOfTheRequest() {
        URI endpoint = URI.create("https://gw.example");
        List<Migration> one = List.of(new Migration("0001", "CREATE TABLE a (x);"));
        String base = MigrationHash.of("db", endpoint, one);
        assertThat(MigrationHash.of("db", endpoint, one)).isEqualTo(base);
        assertThat(MigrationHash.of("db2", endpoint, one)).isNotEqualTo(base);
        assertThat(MigrationHash.of("db", URI.create("https://other"), one)).isNotEqualTo(base);
        assertThat(MigrationHash.of("db", endpoint, List.of(new Migration("0001", "CREATE TABLE a (y);"))))
                .isNotEqualTo(base);
        assertThat(MigrationHash.of("db", endpoint, List.of())).isNotEqualTo(base);
    }
}
