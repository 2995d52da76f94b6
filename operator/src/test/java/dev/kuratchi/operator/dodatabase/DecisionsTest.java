package dev.kuratchi.operator.dodatabase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kuratchi.client.admin.Migration;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The reconciler's decisions as pure functions. */
class DecisionsTest {
    private static final Instant NOW = Instant.parse("2026-11-25T12:00:00Z");
    private static final Instant LATER = NOW.plusSeconds(60);

    @Test
    void aValidTokenIsKeptUntilItsRenewalTime() {
        assertThat(TokenDecision.decide(true, false, LATER, NOW, null, null)).isEmpty();
        assertThat(TokenDecision.decide(true, false, NOW, NOW, null, null)).contains(TokenDecision.Reason.DueForRenewal);
        assertThat(TokenDecision.decide(true, false, NOW.minusSeconds(1), NOW, null, null))
                .contains(TokenDecision.Reason.DueForRenewal);
    }

    @Test
    void aMissingOrTamperedTokenIsReplaced() {
        assertThat(TokenDecision.decide(false, false, LATER, NOW, null, null)).contains(TokenDecision.Reason.Missing);
        assertThat(TokenDecision.decide(true, true, LATER, NOW, null, null)).contains(TokenDecision.Reason.Tampered);
    }

    @Test
    void onlyANewRotateValueRotates() {
        assertThat(TokenDecision.decide(true, false, LATER, NOW, "1", null)).contains(TokenDecision.Reason.RotationRequested);
        assertThat(TokenDecision.decide(true, false, LATER, NOW, "2", "1")).contains(TokenDecision.Reason.RotationRequested);
        assertThat(TokenDecision.decide(true, false, LATER, NOW, "1", "1")).isEmpty();
    }

    @Test
    void theHolderOfAClaimKeepsItOtherwiseTheOldestWins() {
        var old = new DatabaseClaims.Claimant("a", "old", NOW.minusSeconds(100), false);
        var young = new DatabaseClaims.Claimant("b", "young", NOW, false);
        var holder = new DatabaseClaims.Claimant("c", "holder", NOW.plusSeconds(50), true);
        assertThat(DatabaseClaims.owner(List.of(young, old))).contains(old);
        assertThat(DatabaseClaims.owner(List.of(old, young, holder))).contains(holder);
        var twin = new DatabaseClaims.Claimant("a", "also-old", NOW.minusSeconds(100), false);
        assertThat(DatabaseClaims.owner(List.of(old, twin))).contains(twin).isEqualTo(DatabaseClaims.owner(List.of(twin, old)));
        assertThat(DatabaseClaims.owner(List.of())).isEqualTo(Optional.empty());
    }

    @Test
    void durationsAreGoStylePlusDays() {
        assertThat(Durations.parse("720h")).isEqualTo(Duration.ofDays(30));
        assertThat(Durations.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(Durations.parse("30d")).isEqualTo(Duration.ofDays(30));
        assertThat(Durations.parse("1500ms")).isEqualTo(Duration.ofMillis(1500));
        for (String bad : new String[] {"", "soon", "10", "1.5h", "-1h", "1H", "h"}) {
            assertThatThrownBy(() -> Durations.parse(bad)).as(bad).hasMessageContaining("720h");
        }
    }

    @Test
    void tokenPolicyDefaultsAndLimits() {
        assertThat(TokenPolicy.of(null)).isEqualTo(new TokenPolicy(Duration.ofDays(30), Duration.ofDays(10)));
        TokenSpec spec = new TokenSpec();
        spec.setTtl("2h");
        assertThat(TokenPolicy.of(spec).renewBefore()).isEqualTo(Duration.ofMinutes(40));
        spec.setRenewBefore("2h");
        assertThatThrownBy(() -> TokenPolicy.of(spec)).hasMessageContaining("must be shorter than spec.token.ttl");
        spec.setTtl("30s");
        spec.setRenewBefore(null);
        assertThatThrownBy(() -> TokenPolicy.of(spec)).hasMessageContaining("at least 1m");
        spec.setTtl("forever");
        assertThatThrownBy(() -> TokenPolicy.of(spec)).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("spec.token.ttl");
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
