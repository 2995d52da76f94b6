package dev.kuratchi.operator.organization;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.crd.generator.annotation.PreserveUnknownFields;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.StreamSupport;

/**
 * The Cloudflare resources of an organization. Each kind is {@code true} (one resource, named {@code default}) or a
 * list of at most {@value #MAX_NAMES} names; absent or {@code false} means none. Cloudflare names are derived from the
 * slug and these names.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public class ResourcesSpec {
    /** The name of the one resource a kind gets when the spec says just {@code true}. */
    public static final String DEFAULT_NAME = "default";
    /**
     * The most names of one kind an organization may ask for: each costs calls against the account's shared rate limit
     * at every verification and cleanup, and Cloudflare's account limits are shared by every tenant.
     */
    public static final int MAX_NAMES = 20;

    @JsonPropertyDescription("Workers KV namespaces: true for one (named default), or a list of at most 20 names.")
    @PreserveUnknownFields
    private JsonNode kv;

    @JsonPropertyDescription("R2 buckets: true for one (named default), or a list of at most 20 names.")
    @PreserveUnknownFields
    private JsonNode r2;

    @JsonPropertyDescription("Queues: true for one (named default), or a list of at most 20 names.")
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
     * What is wrong with the shape of {@code spec.resources.<field>}, if anything. Checked here, not at admission: the
     * API server cannot compile a CEL rule on a field whose schema leaves its type open (preserve-unknown-fields), and
     * a field that is either a boolean or a list has no structural type. A kind whose field has a problem is left as
     * it is: a typo must not read as "none" and delete what is there.
     *
     * @param field kv, r2 or queues
     */
    public Optional<String> shapeProblem(String field) {
        JsonNode value = switch (field) {
            case "kv" -> kv;
            case "r2" -> r2;
            case "queues" -> queues;
            default -> throw new IllegalArgumentException("no field spec.resources." + field);
        };
        if (value == null || value.isNull() || value.isMissingNode() || value.isBoolean()) {
            return Optional.empty();
        }
        String where = "spec.resources." + field;
        if (!value.isArray() || !StreamSupport.stream(value.spliterator(), false).allMatch(JsonNode::isTextual)) {
            return Optional.of(where + " must be true, false or a list of names (for example [default, emails]), not "
                    + abbreviated(value));
        }
        if (value.size() > MAX_NAMES) {
            return Optional.of(where + " lists " + value.size() + " names; an organization has at most " + MAX_NAMES
                    + " of each kind: ask the platform team for an exception, or use fewer");
        }
        return Optional.empty();
    }

    // The value goes into a condition message: a huge one must not make the status huge.
    private static String abbreviated(JsonNode value) {
        String text = value.toString();
        return text.length() <= 60 ? text : text.substring(0, 57) + "...";
    }

    // A value of the wrong shape (see shapeProblem) asks for nothing here; callers check shapeProblem first.
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
