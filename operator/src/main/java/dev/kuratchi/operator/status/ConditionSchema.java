package dev.kuratchi.operator.status;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;

/**
 * The schema the CRDs give a status condition: Fabric8's {@code Condition}, which the operator reads and writes, has
 * the fields but no descriptions, and {@code kubectl explain} would show nothing for them. Never instantiated.
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY)
public final class ConditionSchema {
    @Required
    @JsonPropertyDescription("The part of the resource this condition is about (Ready sums up the others).")
    private String type;

    @Required
    @JsonPropertyDescription("True, False or Unknown.")
    private String status;

    @JsonPropertyDescription("Why, in one CamelCase word (for example InProgress, AlreadyManaged, "
            + "CloudflareRateLimited).")
    private String reason;

    @JsonPropertyDescription("What happened and, when it is not True, what to do about it.")
    private String message;

    @JsonPropertyDescription("The resource's metadata.generation this condition was set for.")
    private Long observedGeneration;

    @JsonPropertyDescription("When status last changed (RFC 3339).")
    private String lastTransitionTime;

    private ConditionSchema() {}
}
