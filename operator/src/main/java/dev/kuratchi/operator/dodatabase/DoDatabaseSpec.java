package dev.kuratchi.operator.dodatabase;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.ValidationRule;

/** What database to provide, with which schema, and where to put its token. */
@JsonIgnoreProperties(ignoreUnknown = true)
@ValidationRule(value = "!has(oldSelf.databaseName) || (has(self.databaseName) && self.databaseName == oldSelf.databaseName)",
        message = "databaseName is immutable: create a new DoDatabase for another database")
public class DoDatabaseSpec {
    @JsonPropertyDescription("Name of the database in the gateway. Defaults to metadata.name. Lowercase letters, digits, "
            + "'_' and '-', 1-63 characters, starting with a letter or digit. Immutable.")
    @Pattern("^[a-z0-9][a-z0-9_-]{0,62}$")
    private String databaseName;

    @JsonPropertyDescription("The database's schema: a built-in schema or a ConfigMap of migrations. None when omitted.")
    private SchemaSource schema;

    @JsonPropertyDescription("Lifetime and renewal of the database token.")
    private TokenSpec token;

    @JsonPropertyDescription("The Secret the token is written to.")
    private SecretSpec secret;

    @JsonPropertyDescription("What happens to the database's data when this resource is deleted: Retain (the default) "
            + "keeps it, Delete erases it. The token Secret is deleted either way.")
    @Default("Retain")
    private DeletionPolicy deletionPolicy;

    public String getDatabaseName() {
        return databaseName;
    }

    public void setDatabaseName(String databaseName) {
        this.databaseName = databaseName;
    }

    public SchemaSource getSchema() {
        return schema;
    }

    public void setSchema(SchemaSource schema) {
        this.schema = schema;
    }

    public TokenSpec getToken() {
        return token;
    }

    public void setToken(TokenSpec token) {
        this.token = token;
    }

    public SecretSpec getSecret() {
        return secret;
    }

    public void setSecret(SecretSpec secret) {
        this.secret = secret;
    }

    public DeletionPolicy getDeletionPolicy() {
        return deletionPolicy;
    }

    public void setDeletionPolicy(DeletionPolicy deletionPolicy) {
        this.deletionPolicy = deletionPolicy;
    }
}
