package dev.kuratchi.client.token;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class TokensTest {
    private static final JsonNode VECTORS = SharedVectors.read("tokens.json");

    @Test
    void everyValidVectorSignsToTheSameTokenByteForByteAndVerifies() {
        assertThat(VECTORS.get("valid")).hasSizeGreaterThanOrEqualTo(4);
        for (JsonNode v : VECTORS.get("valid")) {
            GatewayKey key = GatewayKey.of(v.get("key").asText());
            DatabaseToken token = Tokens.sign(key, v.get("databaseName").asText(), v.get("tokenId").asText(),
                    v.get("expiresAt").asLong());
            assertThat(token.reveal()).isEqualTo(v.get("token").asText());
            DatabaseToken verified = Tokens.verify(v.get("token").asText(), v.get("databaseName").asText(), List.of(key),
                    Instant.EPOCH);
            assertThat(verified.tokenId()).isEqualTo(v.get("tokenId").asText());
            assertThat(verified.expiresAtMillis()).isEqualTo(v.get("expiresAt").asLong());
        }
    }

    @Test
    void everyInvalidVectorIsRefusedWithItsReason() {
        assertThat(VECTORS.get("invalid")).hasSizeGreaterThanOrEqualTo(15);
        for (JsonNode v : VECTORS.get("invalid")) {
            GatewayKey key = GatewayKey.of(v.get("key").asText());
            String token = v.get("token").asText();
            assertThatThrownBy(() -> Tokens.verify(token, v.get("databaseName").asText(), List.of(key),
                    Instant.ofEpochMilli(v.get("now").asLong())))
                    .as(v.get("description").asText())
                    .isInstanceOfSatisfying(InvalidTokenException.class, e -> {
                        assertThat(e.reason().code()).isEqualTo(v.get("reason").asText());
                        assertThat(e.getMessage()).doesNotContain(token);
                    });
        }
    }

    @Test
    void idAndExpiryAreReadableWithoutTheKey() {
        JsonNode v = VECTORS.get("valid").get(0);
        DatabaseToken token = DatabaseToken.parse(v.get("token").asText());
        assertThat(token.databaseName()).isEqualTo(v.get("databaseName").asText());
        assertThat(token.tokenId()).isEqualTo(v.get("tokenId").asText());
        assertThat(token.expiresAt()).isEqualTo(Instant.ofEpochMilli(v.get("expiresAt").asLong()));
    }

    @Test
    void issuedTokensExpireAfterTheTtlFromTheClockAndHaveFreshIds() {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");
        Tokens tokens = new Tokens(GatewayKey.of("k"), Clock.fixed(now, ZoneOffset.UTC));
        DatabaseToken first = tokens.issue("acme", Duration.ofHours(2));
        DatabaseToken second = tokens.issue("acme", Duration.ofHours(2));
        assertThat(first.expiresAt()).isEqualTo(now.plus(Duration.ofHours(2)));
        assertThat(first.tokenId()).matches("[0-9a-f]{32}").isNotEqualTo(second.tokenId());
        assertThat(Tokens.verify(first.reveal(), "acme", List.of(GatewayKey.of("k")), now)).isEqualTo(first);
        assertThatThrownBy(() -> tokens.issue("acme", Duration.ZERO)).hasMessageContaining("positive");
        assertThatThrownBy(() -> tokens.issue("Not.Valid", Duration.ofHours(1))).hasMessageContaining(DatabaseNames.RULE);
    }

    @Test
    void anEpochPrefixesTheIdAndTheRestStaysRandom() {
        Tokens tokens = new Tokens(GatewayKey.of("k"), Clock.systemUTC());
        String epoch = "0123456789abcdef";
        DatabaseToken first = tokens.issue("acme", Duration.ofHours(1), epoch);
        DatabaseToken second = tokens.issue("acme", Duration.ofHours(1), epoch);
        assertThat(first.tokenId()).hasSize(32).startsWith(epoch).isNotEqualTo(second.tokenId());
        assertThat(tokens.issue("acme", Duration.ofHours(1), "").tokenId()).matches("[0-9a-f]{32}");
        for (String bad : new String[] {"ABCDEF", "0123456789abcdef012345678", "xyz"}) {
            assertThatThrownBy(() -> tokens.issue("acme", Duration.ofHours(1), bad)).as(bad)
                    .hasMessageContaining("epoch");
        }
    }

    @Test
    void aTokenVerifiesUnderThePreviousKeyDuringARotation() {
        JsonNode v = VECTORS.get("valid").get(0);
        GatewayKey previous = GatewayKey.of(v.get("key").asText());
        GatewayKey current = GatewayKey.of("the-new-key");
        String token = v.get("token").asText();
        String db = v.get("databaseName").asText();
        assertThatThrownBy(() -> Tokens.verify(token, db, List.of(current), Instant.EPOCH))
                .isInstanceOf(InvalidTokenException.class);
        assertThat(Tokens.verify(token, db, List.of(current, previous), Instant.EPOCH).tokenId())
                .isEqualTo(v.get("tokenId").asText());
    }

    @Test
    void secretsNeverPrint() {
        JsonNode v = VECTORS.get("valid").get(0);
        GatewayKey key = GatewayKey.of(v.get("key").asText());
        DatabaseToken token = DatabaseToken.parse(v.get("token").asText());
        assertThat(key.toString()).doesNotContain(v.get("key").asText());
        assertThat(key.fingerprint()).hasSize(12).doesNotContain(v.get("key").asText());
        assertThat(token.toString()).doesNotContain(v.get("token").asText().split("\\.")[3]);
    }
}
