package dev.kuratchi.operator.organization;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.crd.generator.annotation.PreserveUnknownFields;
import java.util.ArrayList;
import java.util.List;

/**
 * The Cloudflare resources of an organization. Each kind is {@code true} (one resource, named {@code default}) or a
 * list of names; absent or {@code false} means none. Cloudflare names are derived from the slug and these names.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public class ResourcesSpec {
    /** The name of the one resource a kind gets when the spec says just {@code true}. */
    public static final String DEFAULT_NAME = "default";

    @JsonPropertyDescription("Workers KV namespaces: true for one, or a list of names.")
    @PreserveUnknownFields
    private JsonNode kv;

    @JsonPropertyDescription("R2 buckets: true for one, or a list of names.")
    @PreserveUnknownFields
    private JsonNode r2;

    @JsonPropertyDescription("Queues: true for one, or a list of names.")
    @PreserveUnknownFields
    private JsonNode queues;

    /** The names of the KV namespaces asked for, in order. */
    @JsonIgnore
    public List<String> kvNames() {
        return names(kv);
    }

    @JsonIgnore
    public List<String> r2Names() {
        return names(r2);
    }

    @JsonIgnore
    public List<String> queueNames() {
        return names(queues);
    }

    /**
     * What is wrong with the shape of the three fields, if anything. Checked here, not at admission: the API server
     * cannot compile a CEL rule on a field whose schema leaves its type open (preserve-unknown-fields), and a field
     * that is either a boolean or a list has no structural type.
     */
    @JsonIgnore
    public java.util.Optional<String> shapeProblem() {
        for (var field : java.util.Map.of("kv", nullToMissing(kv), "r2", nullToMissing(r2), "queues",
                nullToMissing(queues)).entrySet()) {
            JsonNode value = field.getValue();
            boolean ok = value.isMissingNode() || value.isNull() || value.isBoolean()
                    || value.isArray() && java.util.stream.StreamSupport.stream(value.spliterator(), false)
                            .allMatch(JsonNode::isTextual);
            if (!ok) {
                return java.util.Optional.of("spec.resources." + field.getKey() + " must be true, false or a list of "
                        + "names (for example [default, emails]), not " + value);
            }
        }
        return java.util.Optional.empty();
    }

    private static JsonNode nullToMissing(JsonNode value) {
        return value == null ? com.fasterxml.jackson.databind.node.MissingNode.getInstance() : value;
    }

    // A value of the wrong shape (see shapeProblem, which the reconciler reports) asks for nothing rather than for
    // something nobody meant.
    private static List<String> names(JsonNode value) {
        List<String> names = new ArrayList<>();
        if (value == null || value.isNull() || value.isMissingNode()) {
            return names;
        }
        if (value.isBoolean()) {
            if (value.booleanValue()) {
                names.add(DEFAULT_NAME);
            }
            return names;
        }
        value.forEach(name -> {
            if (name.isTextual() && !names.contains(name.asText())) {
                names.add(name.asText());
            }
        });
        return names;
    }

    public JsonNode getKv() {
        return kv;
    }

    public void setKv(JsonNode kv) {
        this.kv = kv;
    }

    public JsonNode getR2() {
        return r2;
    }

    public void setR2(JsonNode r2) {
        this.r2 = r2;
    }

    public JsonNode getQueues() {
        return queues;
    }

    public void setQueues(JsonNode queues) {
        this.queues = queues;
    }
}
