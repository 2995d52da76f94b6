package dev.kuratchi.operator.dodatabase;

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
 * A tenant database: one SQLite database in a Cloudflare Durable Object behind the kuratchi gateway, with its
 * migrations applied and a token for it written into a Secret that apps mount.
 */
@Group("kuratchi.dev")
@Version("v1alpha1")
// Spelled out: Fabric8 otherwise derives it with a list of regular expressions each time it makes an instance, for
// every watch event, response and copy.
@Plural("dodatabases")
@ShortNames("dodb")
@AdditionalPrinterColumn(name = "Ready", type = AdditionalPrinterColumn.Type.STRING,
        jsonPath = ".status.conditions[?(@.type==\"Ready\")].status")
@AdditionalPrinterColumn(name = "Reason", type = AdditionalPrinterColumn.Type.STRING, priority = 1,
        jsonPath = ".status.conditions[?(@.type==\"Ready\")].reason")
@AdditionalPrinterColumn(name = "Database", type = AdditionalPrinterColumn.Type.STRING, jsonPath = ".status.databaseName")
@AdditionalPrinterColumn(name = "Secret", type = AdditionalPrinterColumn.Type.STRING, jsonPath = ".status.secretName")
// A string: kubectl shows a date column as the time since, and a future time as <invalid>.
@AdditionalPrinterColumn(name = "Expires", type = AdditionalPrinterColumn.Type.STRING, jsonPath = ".status.token.notAfter")
@AdditionalPrinterColumn(name = "Age", type = AdditionalPrinterColumn.Type.DATE, jsonPath = ".metadata.creationTimestamp")
@ValidationRule(value = "(has(self.spec) && has(self.spec.secret) && has(self.spec.secret.name)) "
        + "|| size(self.metadata.name) <= 250",
        message = "metadata.name is too long for the default Secret name <name>-db (253 characters at most): set "
                + "spec.secret.name")
public class DoDatabase extends CustomResource<DoDatabaseSpec, DoDatabaseStatus> implements Namespaced {
    /** Set to any new value to have the token re-issued now (the old one is revoked after a grace period). */
    public static final String ROTATE_ANNOTATION = "kuratchi.dev/rotate";

    @Override
    @JsonPropertyDescription("The database you want: its name at the gateway, its schema, its token and the Secret that holds it, and what happens to its data on deletion.")
    public DoDatabaseSpec getSpec() {
        return super.getSpec();
    }

    @Override
    @JsonPropertyDescription("What the operator did, written by the operator only: conditions that say what to do when something is not Ready, the database name, the Secret, the current token and the applied migrations.")
    public DoDatabaseStatus getStatus() {
        return super.getStatus();
    }

    @Override
    protected DoDatabaseSpec initSpec() {
        return new DoDatabaseSpec();
    }
}
