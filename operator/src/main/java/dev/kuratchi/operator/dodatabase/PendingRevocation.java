package dev.kuratchi.operator.dodatabase;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

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
        @JsonPropertyDescription("When the grace period ends and it is revoked.") String revokeAfter) {}
