package dev.kuratchi.operator.dodatabase;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.ValidationRule;

/** Where a database's migrations come from: a built-in schema or a ConfigMap, not both. */
@JsonIgnoreProperties(ignoreUnknown = true)
@ValidationRule(value = "!(has(self.builtIn) && has(self.configMap))",
        message = "set either builtIn or configMap, not both")
public class SchemaSource {
    @JsonPropertyDescription("A built-in schema with kuratchi-sdk's tables: organization or admin. Applied as the "
            + "migration 'initial'.")
    @io.fabric8.generator.annotation.Pattern("^(organization|admin)$")
    private String builtIn;

    @JsonPropertyDescription("Name of a ConfigMap in this namespace whose keys are migrations named NNNN_name.sql, "
            + "applied in name order; each is applied once, in its own transaction. Add a key to migrate further; "
            + "an applied migration must not change.")
    private String configMap;

    public String getBuiltIn() {
        return builtIn;
    }

    public void setBuiltIn(String builtIn) {
        this.builtIn = builtIn;
    }

    public String getConfigMap() {
        return configMap;
    }

    public void setConfigMap(String configMap) {
        this.configMap = configMap;
    }
}
