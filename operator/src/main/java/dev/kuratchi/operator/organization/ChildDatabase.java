package dev.kuratchi.operator.organization;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kuratchi.operator.dodatabase.DeletionPolicy;
import dev.kuratchi.operator.dodatabase.DoDatabase;
import dev.kuratchi.operator.dodatabase.DoDatabaseSpec;
import dev.kuratchi.operator.dodatabase.ExistingData;
import dev.kuratchi.operator.dodatabase.SchemaSource;
import dev.kuratchi.operator.dodatabase.TokenSecret;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.javaoperatorsdk.operator.api.config.informer.InformerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.Matcher;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependentResourceConfigBuilder;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.util.Map;
import java.util.Objects;

/**
 * The organization's database, as a child DoDatabase that does all the database work (claim, schema, token, Secret,
 * release at deletion): the organization only says what it should be. Same name as the organization, controlled by
 * it (owner reference), labelled so the informer watches only children.
 */
public final class ChildDatabase extends CRUDKubernetesDependentResource<DoDatabase, KuratchiOrganization> {
    public static final String ORGANIZATION_LABEL = "kuratchi.dev/organization";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DATABASE_NAME = ChildDatabase.class.getName() + ".databaseName";

    public ChildDatabase() {
        super(DoDatabase.class);
        configureWith(new KubernetesDependentResourceConfigBuilder<DoDatabase>()
                .withKubernetesDependentInformerConfig(InformerConfiguration.builder(DoDatabase.class)
                        .withLabelSelector(ORGANIZATION_LABEL).build())
                .build());
    }

    /** Sets the database name chosen in this reconcile; {@link #reconcile} then writes the child if it differs. */
    public static void use(Context<KuratchiOrganization> context, String databaseName) {
        context.managedWorkflowAndDependentResourceContext().put(DATABASE_NAME, databaseName);
    }

    /** True when the DoDatabase is this organization's child (by uid), not a tenant's own resource of that name. */
    public static boolean ownedBy(DoDatabase child, KuratchiOrganization organization) {
        return child.getMetadata().getOwnerReferences() != null && child.getMetadata().getOwnerReferences().stream()
                .anyMatch(ref -> organization.getMetadata().getUid().equals(ref.getUid())
                        && Boolean.TRUE.equals(ref.getController()));
    }

    /** The Secret the child writes its token to. */
    public static String secretName(KuratchiOrganization organization) {
        DoDatabase named = new DoDatabase();
        named.setMetadata(new ObjectMetaBuilder().withName(organization.getMetadata().getName()).build());
        named.getSpec().setSecret(organization.getSpec().getSecret());
        return TokenSecret.name(named);
    }

    @Override
    protected ResourceID targetSecondaryResourceID(KuratchiOrganization primary, Context<KuratchiOrganization> context) {
        return ResourceID.fromResource(primary);
    }

    @Override
    protected DoDatabase desired(KuratchiOrganization organization, Context<KuratchiOrganization> context) {
        OrganizationSpec spec = organization.getSpec();
        DoDatabase child = new DoDatabase();
        child.setMetadata(new ObjectMetaBuilder().withName(organization.getMetadata().getName())
                .withNamespace(organization.getMetadata().getNamespace())
                .withLabels(Map.of(ORGANIZATION_LABEL, organization.getMetadata().getName()))
                // blockOwnerDeletion: a foreground deletion of the organization waits for the database's release.
                .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion(organization.getApiVersion())
                        .withKind(organization.getKind()).withName(organization.getMetadata().getName())
                        .withUid(organization.getMetadata().getUid()).withController(true).withBlockOwnerDeletion(true)
                        .build())
                .build());
        DoDatabaseSpec childSpec = child.getSpec();
        childSpec.setDatabaseName(context.managedWorkflowAndDependentResourceContext()
                .getMandatory(DATABASE_NAME, String.class));
        childSpec.setSchema(spec.getSchema() != null ? spec.getSchema() : builtIn("organization"));
        childSpec.setToken(spec.getToken());
        childSpec.setSecret(spec.getSecret());
        // Explicit, as the API server defaults them: a desired spec that left them out would never match.
        childSpec.setDeletionPolicy(Objects.requireNonNullElse(spec.getDeletionPolicy(), DeletionPolicy.Retain));
        childSpec.setExistingData(Objects.requireNonNullElse(spec.getExistingData(), ExistingData.Refuse));
        return child;
    }

    // The spec must be exactly what the organization says; of labels only ours must be there. Compared as JSON, so a
    // field the API server defaulted and the desired spec sets to the same value matches.
    @Override
    public Matcher.Result<DoDatabase> match(DoDatabase actual, DoDatabase desired, KuratchiOrganization primary,
            Context<KuratchiOrganization> context) {
        boolean same = JSON.valueToTree(actual.getSpec()).equals(JSON.valueToTree(desired.getSpec()))
                && actual.getMetadata().getLabels() != null
                && actual.getMetadata().getLabels().entrySet().containsAll(desired.getMetadata().getLabels().entrySet())
                && ownedBy(actual, primary);
        return Matcher.Result.computed(same, desired);
    }

    static SchemaSource builtIn(String name) {
        SchemaSource schema = new SchemaSource();
        schema.setBuiltIn(name);
        return schema;
    }
}
