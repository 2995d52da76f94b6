package dev.kuratchi.operator.organization;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/** The organization's first user. */
@JsonIgnoreProperties(ignoreUnknown = true)
public class OwnerSpec {
    @JsonPropertyDescription("The owner's email: the users row's email and the admin database's routing key.")
    @Required
    @Size(min = 3, max = 254)
    private String email;

    @JsonPropertyDescription("The owner's display name. Defaults to the organization's name.")
    @Size(max = 256)
    private String name;

    public String getEmail() {
        return email;
    }

    public void setEmail(String email) {
        this.email = email;
    }

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }
}
