package dev.kuratchi.operator.dodatabase;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * A replaced token to revoke at {@code revokeAfter}. Kept in status so a restart of the operator loses none.
 *
 * @param tokenId the replaced token's id
 * @param notAfter when it expires anyway
 * @param revokeAfter when the grace period ends
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record PendingRevocation(
        @JsonPropertyDescription("The replaced token's id.") String tokenId,
        @JsonPropertyDescription("When it expires anyway.") String notAfter,
        @JsonPropertyDescription("When the grace period ends and it is revoked.") String revokeAfter) {

    /** When to revoke it; a time that does not parse (status edited by hand) means now. */
    @JsonIgnore
    Instant dueAt() {
        return parse(revokeAfter, Instant.MIN);
    }

    /** When it expires; a time that does not parse counts as never, so it is still revoked. */
    @JsonIgnore
    Instant expiresAt() {
        return parse(notAfter, Instant.MAX);
    }

    static Instant parse(String text, Instant fallback) {
        try {
            return text == null ? fallback : Instant.parse(text);
        } catch (DateTimeParseException e) {
            return fallback;
        }
    }
}
