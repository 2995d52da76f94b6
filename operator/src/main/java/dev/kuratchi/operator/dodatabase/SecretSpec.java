package dev.kuratchi.operator.dodatabase;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import java.util.Map;

/** The token Secret: keys databaseName, token, endpoint and expiresAt. */
@JsonIgnoreProperties(ignoreUnknown = true)
public class SecretSpec {
    @JsonPropertyDescription("Name of the Secret. Default: <metadata.name>-db. A Secret of that name that this "
            + "DoDatabase does not own is never overwritten.")
    @Pattern("^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
    private String name;

    @JsonPropertyDescription("Labels added to the Secret.")
    private Map<String, String> labels;

    @JsonPropertyDescription("Annotations added to the Secret.")
    private Map<String, String> annotations;

    @JsonPropertyDescription("Also write the master gateway key (key gatewayKey). Only for legacy kuratchi-sdk apps "
            + "that send it; anyone who can read the Secret can then open every database. Default false.")
    private Boolean includeGatewayKey;

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    public Map<String, String> getLabels() {
        return labels;
    }

    public void setLabels(Map<String, String> labels) {
        this.labels = labels;
    }

    public Map<String, String> getAnnotations() {
        return annotations;
    }

    public void setAnnotations(Map<String, String> annotations) {
        this.annotations = annotations;
    }

    public Boolean getIncludeGatewayKey() {
        return includeGatewayKey;
    }

    public void setIncludeGatewayKey(Boolean includeGatewayKey) {
        this.includeGatewayKey = includeGatewayKey;
    }
}
