package dev.kuratchi.operator.organization;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.javaoperatorsdk.operator.api.config.informer.InformerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.Matcher;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependentResourceConfigBuilder;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.util.Map;

/**
 * The {@code <name>-cloudflare} ConfigMap: the ids of the organization's Cloudflare resources, for apps and wrangler
 * configs (keys: see {@link OrganizationResources}). Exactly the data the last reconcile found in place.
 */
public final class CloudflareConfigMap extends CRUDKubernetesDependentResource<ConfigMap, KuratchiOrganization> {
    private static final String DATA = CloudflareConfigMap.class.getName() + ".data";

    public CloudflareConfigMap() {
        super(ConfigMap.class);
        configureWith(new KubernetesDependentResourceConfigBuilder<ConfigMap>()
                .withKubernetesDependentInformerConfig(InformerConfiguration.builder(ConfigMap.class)
                        .withLabelSelector(ChildDatabase.ORGANIZATION_LABEL).build())
                .build());
    }

    /** Sets the data found in this reconcile; {@link #reconcile} then writes it if it differs. */
    public static void use(Context<KuratchiOrganization> context, Map<String, String> data) {
        context.managedWorkflowAndDependentResourceContext().put(DATA, data);
    }

    public static String name(KuratchiOrganization organization) {
        return OrganizationNames.configMapName(organization.getMetadata().getName());
    }

    @Override
    protected ResourceID targetSecondaryResourceID(KuratchiOrganization primary, Context<KuratchiOrganization> context) {
        return new ResourceID(name(primary), primary.getMetadata().getNamespace());
    }

    @Override
    @SuppressWarnings("unchecked")
    protected ConfigMap desired(KuratchiOrganization organization, Context<KuratchiOrganization> context) {
        Map<String, String> data = context.managedWorkflowAndDependentResourceContext().getMandatory(DATA, Map.class);
        return new ConfigMapBuilder()
                .withNewMetadata().withName(name(organization)).withNamespace(organization.getMetadata().getNamespace())
                .withLabels(Map.of(ChildDatabase.ORGANIZATION_LABEL, organization.getMetadata().getName()))
                .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion(organization.getApiVersion())
                        .withKind(organization.getKind()).withName(organization.getMetadata().getName())
                        .withUid(organization.getMetadata().getUid()).withController(true).withBlockOwnerDeletion(true)
                        .build())
                .endMetadata()
                .withData(data)
                .build();
    }

    // Computed anew on each call, not once per reconcile as JOSDK caches it: the reconciler writes the ConfigMap twice
    // when it makes it (empty before anything is made in Cloudflare, then with the ids).
    @Override
    protected ConfigMap getOrComputeDesired(Context<KuratchiOrganization> context) {
        return desired(context.getPrimaryResource(), context);
    }

    @Override
    public Matcher.Result<ConfigMap> match(ConfigMap actual, ConfigMap desired, KuratchiOrganization primary,
            Context<KuratchiOrganization> context) {
        Map<String, String> data = actual.getData() == null ? Map.of() : actual.getData();
        return Matcher.Result.computed(data.equals(desired.getData()), desired);
    }
}
