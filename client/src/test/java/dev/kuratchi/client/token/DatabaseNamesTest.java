package dev.kuratchi.client.token;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The name rule against the vectors the Worker's tests use (worker/test/vectors/names.json). */
class DatabaseNamesTest {
    private static final JsonNode VECTORS = SharedVectors.read("names.json");

    @Test
    void everyValidVectorIsAcceptedAndEveryInvalidOneRefused() {
        assertThat(VECTORS.get("valid")).hasSizeGreaterThanOrEqualTo(10);
        assertThat(VECTORS.get("invalid")).hasSizeGreaterThanOrEqualTo(10);
        VECTORS.get("valid").forEach(name -> assertThat(DatabaseNames.isValid(name.asText())).as(name.toString()).isTrue());
        VECTORS.get("invalid").forEach(name -> {
            assertThat(DatabaseNames.isValid(name.asText())).as(name.toString()).isFalse();
            assertThatThrownBy(() -> DatabaseNames.require(name.asText())).hasMessageContaining(DatabaseNames.RULE);
        });
    }

    @Test
    void everyValidNameIsOnePathSegmentThatDecodesBackToIt() {
        for (JsonNode vector : VECTORS.get("valid")) {
            String name = vector.asText();
            String segment = DatabaseNames.pathSegment(name);
            URI uri = URI.create("https://gateway.example/admin/databases/" + segment + "/retire");
            assertThat(uri.getRawPath()).isEqualTo("/admin/databases/" + segment + "/retire");
            assertThat(segment).doesNotContain("/", ".", " ", "?", "#");
            assertThat(URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8)).isEqualTo(name);
        }
    }
}
