package dev.kuratchi.operator.organization;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.kuratchi.operator.status.ConditionSchema;
import io.fabric8.crd.generator.annotation.SchemaFrom;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** What the operator made for the organization, and how each part stands. */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public class OrganizationStatus {
    @JsonPropertyDescription("The generation of the spec this status describes.")
    private Long observedGeneration;

    @JsonPropertyDescription("Ready (the summary), AdminRecords, Database, Owner, KV, R2 and Queues, each with a reason "
            + "and a message that says what to do.")
    @SchemaFrom(type = ConditionSchema[].class)
    private List<Condition> conditions = new ArrayList<>();

    @JsonPropertyDescription("The organization's id in the admin database (its organizations row): this resource's "
            + "uid, or the id of the organization it adopted. Shown only: the operator never reads it back.")
    private String organizationId;

    @JsonPropertyDescription("The slug in use: the database name and the root of the Cloudflare names.")
    private String slug;

    @JsonPropertyDescription("The organization's database (the child DoDatabase's).")
    private String databaseName;

    @JsonPropertyDescription("The Secret with the organization database's token.")
    private String secretName;

    @JsonPropertyDescription("The id of the owner's users row in the organization database.")
    private String ownerId;

    @JsonPropertyDescription("The resources made, as kind/count, e.g. kv:1 r2:1 queues:1.")
    private String resources;

    @JsonPropertyDescription("The KV namespaces: name in the spec, Cloudflare title and id.")
    private List<CloudflareResource> kvNamespaces;

    @JsonPropertyDescription("The R2 buckets: name in the spec and Cloudflare bucket name.")
    private List<CloudflareResource> r2Buckets;

    @JsonPropertyDescription("The queues: name in the spec, Cloudflare queue name and id.")
    private List<CloudflareResource> queues;

    /** One Cloudflare resource of the organization. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record CloudflareResource(
            @JsonPropertyDescription("The name in the spec (default when the spec says true).") String name,
            @JsonPropertyDescription("The name in Cloudflare.") String cloudflareName,
            @JsonPropertyDescription("The id Cloudflare gave it (R2 buckets have none but their name).") String id) {}

    public Long getObservedGeneration() {
        return observedGeneration;
    }

    public void setObservedGeneration(Long observedGeneration) {
        this.observedGeneration = observedGeneration;
    }

    public List<Condition> getConditions() {
        return conditions;
    }

    public void setConditions(List<Condition> conditions) {
        this.conditions = conditions;
    }

    public String getOrganizationId() {
        return organizationId;
    }

    public void setOrganizationId(String organizationId) {
        this.organizationId = organizationId;
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

    public String getSecretName() {
        return secretName;
    }

    public void setSecretName(String secretName) {
        this.secretName = secretName;
    }

    public String getOwnerId() {
        return ownerId;
    }

    public void setOwnerId(String ownerId) {
        this.ownerId = ownerId;
    }

    public String getResources() {
        return resources;
    }

    public void setResources(String resources) {
        this.resources = resources;
    }

    public List<CloudflareResource> getKvNamespaces() {
        return kvNamespaces;
    }

    public void setKvNamespaces(List<CloudflareResource> kvNamespaces) {
        this.kvNamespaces = kvNamespaces;
    }

    public List<CloudflareResource> getR2Buckets() {
        return r2Buckets;
    }

    public void setR2Buckets(List<CloudflareResource> r2Buckets) {
        this.r2Buckets = r2Buckets;
    }

    public List<CloudflareResource> getQueues() {
        return queues;
    }

    public void setQueues(List<CloudflareResource> queues) {
        this.queues = queues;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OrganizationStatus that && Objects.equals(observedGeneration, that.observedGeneration)
                && Objects.equals(conditions, that.conditions) && Objects.equals(organizationId, that.organizationId)
                && Objects.equals(slug, that.slug) && Objects.equals(databaseName, that.databaseName)
                && Objects.equals(secretName, that.secretName) && Objects.equals(ownerId, that.ownerId)
                && Objects.equals(resources, that.resources)
                && Objects.equals(kvNamespaces, that.kvNamespaces) && Objects.equals(r2Buckets, that.r2Buckets)
                && Objects.equals(queues, that.queues);
    }

    @Override
    public int hashCode() {
        return Objects.hash(observedGeneration, conditions, organizationId, slug, databaseName, secretName, resources);
    }
}
