package dev.kuratchi.operator.dodatabase;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.kuratchi.client.token.DatabaseNames;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** What database to provide, with which schema, and where to put its token. */
@JsonIgnoreProperties(ignoreUnknown = true)
// Presence too: adding spec.databaseName to a resource created without it would move it to another database.
@ValidationRule(value = "has(self.databaseName) == has(oldSelf.databaseName) && (!has(self.databaseName) "
        + "|| self.databaseName == oldSelf.databaseName)",
        message = "databaseName is immutable (also adding or removing it): create a new DoDatabase for another database")
public class DoDatabaseSpec {
    @JsonPropertyDescription("Name of the database in the gateway. Defaults to metadata.name. Any name kuratchi-sdk "
            + "accepts: 1-255 printable ASCII characters except '.', not starting or ending with a space; case-sensitive "
            + "(Acme and acme are two databases). Immutable.")
    @Pattern(DatabaseNames.PATTERN)
    @Size(max = DatabaseNames.MAX_LENGTH)
    private String databaseName;

    @JsonPropertyDescription("The database's schema: a built-in schema or a ConfigMap of migrations. None when omitted.")
    private SchemaSource schema;

    @JsonPropertyDescription("Lifetime and renewal of the database token.")
    private TokenSpec token;

    @JsonPropertyDescription("The Secret the token is written to.")
    private SecretSpec secret;

    @JsonPropertyDescription("What happens to the database's data when this resource is deleted: Retain (the default) "
            + "keeps it for an explicit adoption (see existingData), Delete erases it. Either way every token issued "
            + "for it stops working and the token Secret is deleted.")
    @Default("Retain")
    private DeletionPolicy deletionPolicy;

    @JsonPropertyDescription("What to do when the database already holds data this resource did not create: data kept "
            + "by a deleted DoDatabase (deletionPolicy Retain), or created by kuratchi-sdk. Refuse (the default) "
            + "touches nothing and reports ExistingData. Adopt takes it over with its data: allowed for data "
            + "retained by a DoDatabase of this namespace, and for any other data only in namespaces the operator's "
            + "KURATCHI_ADOPTION_NAMESPACES lists. Tokens issued for it before never work again.")
    @Default("Refuse")
    private ExistingData existingData;

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

    public ExistingData getExistingData() {
        return existingData;
    }

    public void setExistingData(ExistingData existingData) {
        this.existingData = existingData;
    }

    public DeletionPolicy getDeletionPolicy() {
        return deletionPolicy;
    }

    public void setDeletionPolicy(DeletionPolicy deletionPolicy) {
        this.deletionPolicy = deletionPolicy;
    }
}
