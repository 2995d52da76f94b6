package dev.kuratchi.operator.organization;

import dev.kuratchi.client.schema.Schemas;
import dev.kuratchi.operator.dodatabase.DeletionPolicy;
import dev.kuratchi.operator.dodatabase.DoDatabase;
import dev.kuratchi.operator.dodatabase.ExistingData;
import dev.kuratchi.operator.status.Conditions;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.Map;
import java.util.Optional;

/**
 * The one admin database of the installation (kuratchi-sdk's {@code kuratchi-admin}): a DoDatabase with the built-in
 * admin schema in the operator's namespace, made by the operator the first time an organization needs it. It is not
 * owned by any organization and outlives them all; its data is retained if someone deletes the resource.
 */
public final class AdminDatabase {
    public static final String LABEL = "kuratchi.dev/admin-database";

    private final String namespace;
    private final String name;

    public AdminDatabase(String namespace, String name) {
        this.namespace = namespace;
        this.name = name;
    }

    public String namespace() {
        return namespace;
    }

    public String databaseName() {
        return name;
    }

    /** The admin DoDatabase, created when missing. Empty while it is not Ready yet (its own conditions say why). */
    public Optional<DoDatabase> ready(KubernetesClient client) {
        DoDatabase current = client.resources(DoDatabase.class).inNamespace(namespace).withName(name).get();
        if (current == null) {
            try {
                current = client.resources(DoDatabase.class).inNamespace(namespace).resource(desired()).create();
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409) {
                    throw e;
                }
                // Another reconcile made it a moment ago.
                current = client.resources(DoDatabase.class).inNamespace(namespace).withName(name).get();
            }
        }
        boolean ready = current != null && current.getStatus() != null
                && Conditions.isTrue(current.getStatus().getConditions(), "Ready")
                && current.getMetadata().getGeneration().equals(current.getStatus().getObservedGeneration());
        return ready ? Optional.of(current) : Optional.empty();
    }

    DoDatabase desired() {
        DoDatabase admin = new DoDatabase();
        admin.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace)
                .withLabels(Map.of(LABEL, "true")).build());
        admin.getSpec().setDatabaseName(name);
        admin.getSpec().setSchema(ChildDatabase.builtIn(Schemas.admin().name()));
        admin.getSpec().setDeletionPolicy(DeletionPolicy.Retain);
        // A database of this name holding kuratchi-sdk's admin rows is the one teams migrate; taking it over is the
        // platform team's decision, made by listing the operator's namespace in KURATCHI_ADOPTION_NAMESPACES.
        admin.getSpec().setExistingData(ExistingData.Adopt);
        return admin;
    }
}
