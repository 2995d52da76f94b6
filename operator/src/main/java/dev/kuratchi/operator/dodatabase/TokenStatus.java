package dev.kuratchi.operator.dodatabase;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/**
 * The current token's id and times, RFC 3339. The token itself is only in the Secret.
 *
 * @param id the token id (the part revocation names)
 * @param notAfter when it expires
 * @param renewalTime when the operator issues the next one
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record TokenStatus(
        @JsonPropertyDescription("The token id: what revocation names; not a secret.") String id,
        @JsonPropertyDescription("When the token expires.") String notAfter,
        @JsonPropertyDescription("When the operator issues the next token.") String renewalTime) {}
