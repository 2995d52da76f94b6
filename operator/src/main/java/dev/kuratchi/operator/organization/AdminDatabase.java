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
 * admin schema in the operator's namespace, made by the operator at start ({@link AdminDatabaseStartup}), and again
 * by an organization that finds it missing. Its name is reserved: the DoDatabase reconciler refuses it to every other
 * DoDatabase ({@link dev.kuratchi.operator.dodatabase.TenancyRules#mayClaim}). It is not owned by any organization
 * and outlives them all; its data is retained if someone deletes the resource.
 * The organization reconciler watches it through an informer of its own (namespace {@link #namespace()}, label
 * {@link #LABEL}), so organizations waiting for it are woken when it becomes Ready.
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

    /** Whether the admin DoDatabase exists: a list of one name (the operator may list DoDatabases, not get them). */
    public boolean exists(KubernetesClient client) {
        return !client.resources(DoDatabase.class).inNamespace(namespace).withField("metadata.name", name).list()
                .getItems().isEmpty();
    }

    /**
     * Creates the admin DoDatabase; false when one of that name already exists: made a moment ago by another
     * reconcile (the informer cache shows it soon), or made without the label {@link #LABEL}, which the cache never
     * shows. The operator reads it only from its informer cache, never with a GET.
     */
    public boolean create(KubernetesClient client) {
        try {
            client.resources(DoDatabase.class).inNamespace(namespace).resource(desired()).create();
            return true;
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
            return false;
        }
    }

    /** Whether {@code admin} is Ready for its current spec. */
    public static boolean isReady(DoDatabase admin) {
        return admin.getStatus() != null && Conditions.isTrue(admin.getStatus().getConditions(), "Ready")
                && admin.getMetadata().getGeneration() != null
                && admin.getMetadata().getGeneration().equals(admin.getStatus().getObservedGeneration());
    }

    /** Why {@code admin} is not Ready, from its own Ready condition (for the organization's condition). */
    public static String whyNotReady(DoDatabase admin) {
        return Optional.ofNullable(admin.getStatus()).flatMap(s -> Conditions.find(s.getConditions(), "Ready"))
                .filter(ready -> admin.getMetadata().getGeneration() != null
                        && admin.getMetadata().getGeneration().equals(admin.getStatus().getObservedGeneration()))
                .map(ready -> ready.getReason() + ": " + ready.getMessage())
                .orElse("it is being provisioned");
    }

    DoDatabase desired() {
        DoDatabase admin = new DoDatabase();
        admin.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace)
                .withLabels(Map.of(LABEL, "true")).build());
        admin.getSpec().setDatabaseName(name);
        admin.getSpec().setSchema(ChildDatabase.builtIn(Schemas.admin().name()));
        admin.getSpec().setDeletionPolicy(DeletionPolicy.Retain);
        // Its own data, retained by an earlier admin DoDatabase of this namespace, is taken back. A database of this
        // name holding kuratchi-sdk's admin rows is the one teams migrate; taking it over is the platform team's
        // decision, made by listing the operator's namespace in KURATCHI_ADOPTION_NAMESPACES. Data another namespace
        // retained here is never taken, whatever is listed (TenancyRules#adoption).
        admin.getSpec().setExistingData(ExistingData.Adopt);
        return admin;
    }
}
