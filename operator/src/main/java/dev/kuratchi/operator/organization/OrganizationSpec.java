package dev.kuratchi.operator.organization;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.kuratchi.client.token.DatabaseNames;
import dev.kuratchi.operator.dodatabase.DeletionPolicy;
import dev.kuratchi.operator.dodatabase.ExistingData;
import dev.kuratchi.operator.dodatabase.SchemaSource;
import dev.kuratchi.operator.dodatabase.SecretSpec;
import dev.kuratchi.operator.dodatabase.TokenSpec;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** The organization, its first user and the Cloudflare resources it gets. */
@JsonIgnoreProperties(ignoreUnknown = true)
// The slug names every Cloudflare resource and the database names the data: changing either would orphan them.
@ValidationRule(value = "has(self.slug) == has(oldSelf.slug) && (!has(self.slug) || self.slug == oldSelf.slug)",
        message = "slug is immutable (also adding or removing it): it names the Cloudflare resources")
@ValidationRule(value = "has(self.databaseName) == has(oldSelf.databaseName) && (!has(self.databaseName) "
        + "|| self.databaseName == oldSelf.databaseName)",
        message = "databaseName is immutable (also adding or removing it): create a new organization for another database")
public class OrganizationSpec {
    @JsonPropertyDescription("The organization's display name (kuratchi-sdk's organizationName). May change.")
    @Required
    @Size(min = 1, max = 256)
    private String organizationName;

    @JsonPropertyDescription("Short, unique name of the organization in this Cloudflare account (kuratchi-sdk's "
            + "organizationSlug): the root of every Cloudflare resource name and the default database name. "
            + OrganizationNames.SLUG_RULE + ". Defaults to metadata.name, dots turned into '-'. Immutable.")
    @Pattern(OrganizationNames.SLUG_PATTERN)
    @Size(max = OrganizationNames.SLUG_MAX_LENGTH)
    private String slug;

    @JsonPropertyDescription("The organization database's name, when it is not the slug: for a database kuratchi-sdk "
            + "named after the organization (\"Acme Corp\"), adopted with existingData: Adopt. Any name a DoDatabase "
            + "takes. Immutable.")
    @Pattern(DatabaseNames.PATTERN)
    @Size(max = DatabaseNames.MAX_LENGTH)
    private String databaseName;

    @JsonPropertyDescription("What to do when the database already holds data, as for a DoDatabase: Refuse (the "
            + "default) or Adopt.")
    @Default("Refuse")
    private ExistingData existingData;

    @JsonPropertyDescription("Contact email of the organization (the organizations row's email). Optional. "
            + OwnerSpec.EMAIL_RULE + ".")
    @Size(max = 254)
    @Pattern(OwnerSpec.EMAIL_PATTERN)
    private String email;

    @JsonPropertyDescription("The organization database's schema. Defaults to the built-in organization schema.")
    private SchemaSource schema;

    @JsonPropertyDescription("Lifetime and renewal of the organization database's token, as for a DoDatabase.")
    private TokenSpec token;

    @JsonPropertyDescription("The Secret the token is written to, as for a DoDatabase.")
    private SecretSpec secret;

    @JsonPropertyDescription("The organization's first user, inserted once into its users table with role owner and "
            + "routed from the admin database. The operator creates no session for it: signing in is the app's.")
    private OwnerSpec owner;

    @JsonPropertyDescription("Cloudflare resources of the organization: KV namespaces, R2 buckets and queues.")
    private ResourcesSpec resources;

    @JsonPropertyDescription("What happens when this resource is deleted: Retain (the default) keeps the database's "
            + "data, the Cloudflare resources and the admin rows (archived); Delete erases all of them. Either way "
            + "every token issued for the organization stops working.")
    @Default("Retain")
    private DeletionPolicy deletionPolicy;

    @JsonPropertyDescription("Also store the token itself in the admin database's dbApiTokens row, for apps written "
            + "against kuratchi-sdk's admin-database lookup. Off by default: the row then holds the token id and "
            + "expiry only, and whoever reads the admin database cannot open the organization's database.")
    @Default("false")
    private Boolean storeTokenInAdminDatabase;

    public String getOrganizationName() {
        return organizationName;
    }

    public void setOrganizationName(String organizationName) {
        this.organizationName = organizationName;
    }

    public String getSlug() {
        return slug;
    }

    public void setSlug(String slug) {
        this.slug = slug;
    }

    public String getDatabaseName() {
        return databaseName;
    }

    public void setDatabaseName(String databaseName) {
        this.databaseName = databaseName;
    }

    public ExistingData getExistingData() {
        return existingData;
    }

    public void setExistingData(ExistingData existingData) {
        this.existingData = existingData;
    }

    public String getEmail() {
        return email;
    }

    public void setEmail(String email) {
        this.email = email;
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

    public OwnerSpec getOwner() {
        return owner;
    }

    public void setOwner(OwnerSpec owner) {
        this.owner = owner;
    }

    public ResourcesSpec getResources() {
        return resources;
    }

    public void setResources(ResourcesSpec resources) {
        this.resources = resources;
    }

    public DeletionPolicy getDeletionPolicy() {
        return deletionPolicy;
    }

    public void setDeletionPolicy(DeletionPolicy deletionPolicy) {
        this.deletionPolicy = deletionPolicy;
    }

    public Boolean getStoreTokenInAdminDatabase() {
        return storeTokenInAdminDatabase;
    }

    public void setStoreTokenInAdminDatabase(Boolean storeTokenInAdminDatabase) {
        this.storeTokenInAdminDatabase = storeTokenInAdminDatabase;
    }
}
