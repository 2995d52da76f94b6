package dev.kuratchi.operator.organization;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * An organization of a multi-tenant app, as kuratchi-sdk's createOrganization makes one: its records in the admin
 * database, its own database with a token in a Secret, its first user, and its Cloudflare KV namespaces, R2 buckets
 * and queues.
 */
@Group("kuratchi.dev")
@Version("v1alpha1")
// Spelled out: Fabric8 otherwise derives it with a list of regular expressions each time it makes an instance, for
// every watch event, response and copy.
@Plural("kuratchiorganizations")
@ShortNames("korg")
@AdditionalPrinterColumn(name = "Ready", type = AdditionalPrinterColumn.Type.STRING,
        jsonPath = ".status.conditions[?(@.type==\"Ready\")].status")
@AdditionalPrinterColumn(name = "Reason", type = AdditionalPrinterColumn.Type.STRING, priority = 1,
        jsonPath = ".status.conditions[?(@.type==\"Ready\")].reason")
@AdditionalPrinterColumn(name = "Organization", type = AdditionalPrinterColumn.Type.STRING,
        jsonPath = ".spec.organizationName")
@AdditionalPrinterColumn(name = "Database", type = AdditionalPrinterColumn.Type.STRING, jsonPath = ".status.databaseName")
@AdditionalPrinterColumn(name = "Secret", type = AdditionalPrinterColumn.Type.STRING, jsonPath = ".status.secretName")
@AdditionalPrinterColumn(name = "Resources", type = AdditionalPrinterColumn.Type.STRING, jsonPath = ".status.resources")
@AdditionalPrinterColumn(name = "Age", type = AdditionalPrinterColumn.Type.DATE, jsonPath = ".metadata.creationTimestamp")
@ValidationRule(value = "size(self.metadata.name) <= 242", message = "metadata.name is too long for the ConfigMap "
        + "<name>-cloudflare (253 characters at most): use at most 242 characters")
public class KuratchiOrganization extends CustomResource<OrganizationSpec, OrganizationStatus> implements Namespaced {
    @Override
    @JsonPropertyDescription("The organization you want: its name and slug, its database (schema, token, Secret), its first user, its Cloudflare KV namespaces, R2 buckets and queues, and what happens to all of it on deletion.")
    public OrganizationSpec getSpec() {
        return super.getSpec();
    }

    @Override
    @JsonPropertyDescription("What the operator did, written by the operator only: a condition per part (database, owner, admin rows, each Cloudflare resource kind) that says what to do when it is not Ready, and the ids of what it made.")
    public OrganizationStatus getStatus() {
        return super.getStatus();
    }

    @Override
    protected OrganizationSpec initSpec() {
        return new OrganizationSpec();
    }
}
