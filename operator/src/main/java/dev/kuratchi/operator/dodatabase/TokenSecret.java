package dev.kuratchi.operator.dodatabase;

import dev.kuratchi.client.secret.MountedSecret;
import dev.kuratchi.client.token.DatabaseToken;
import dev.kuratchi.client.token.GatewayKey;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.javaoperatorsdk.operator.api.config.informer.InformerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.Matcher;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependentResourceConfigBuilder;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The token Secret of a DoDatabase, as a JOSDK dependent resource: it says what the Secret should hold (the token the
 * reconciler chose, see {@link #use}) and JOSDK creates or updates it, watching Secrets through a label-filtered
 * informer. An update keeps what others put on the Secret (labels, annotations, finalizers); the data keys are the
 * operator's alone, so a key it no longer writes (a gateway key no longer allowed) is removed.
 */
public final class TokenSecret extends CRUDKubernetesDependentResource<Secret, DoDatabase> {
    public static final String MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
    public static final String MANAGED_BY = "kuratchi-operator";
    /**
     * On the Secret of a DoDatabase a KuratchiOrganization controls: the organization controller watches only those,
     * so it does not hold every other DoDatabase's Secret a second time.
     */
    public static final String ORGANIZATION_LABEL = "kuratchi.dev/organization-database";
    private static final String OF_AN_ORGANIZATION = "true";
    /** Selects the token Secrets of the DoDatabases organizations control, and only those. */
    public static final String ORGANIZATION_SELECTOR = MANAGED_BY_LABEL + "=" + MANAGED_BY + ","
            + ORGANIZATION_LABEL + "=" + OF_AN_ORGANIZATION;
    // Annotations, not labels: a database name may end in '-' or '_', which no label value may.
    public static final String DATABASE_ANNOTATION = "kuratchi.dev/database";
    public static final String TOKEN_ID_ANNOTATION = "kuratchi.dev/token-id";
    /** The operator's proof of which token the Secret's token replaced (see TokenKeeper). */
    public static final String REPLACES_ANNOTATION = "kuratchi.dev/replaces";
    public static final String GATEWAY_KEY = "gatewayKey";
    private static final String CONTENT = TokenSecret.class.getName() + ".content";

    /**
     * What the Secret holds; {@code gatewayKey} only where the operator's configuration allows it, {@code replaces}
     * the proof of which token this one replaced.
     */
    public record Content(String databaseName, URI endpoint, DatabaseToken token, String replaces,
            Optional<GatewayKey> gatewayKey) {}

    public TokenSecret() {
        super(Secret.class);
        configureWith(new KubernetesDependentResourceConfigBuilder<Secret>()
                .withKubernetesDependentInformerConfig(InformerConfiguration.builder(Secret.class)
                        .withLabelSelector(MANAGED_BY_LABEL + "=" + MANAGED_BY).build())
                .build());
    }

    /** Sets what the Secret should hold in this reconcile; {@link #reconcile} then writes it if it differs. */
    public static void use(Context<DoDatabase> context, Content content) {
        context.managedWorkflowAndDependentResourceContext().put(CONTENT, content);
    }

    public static String name(DoDatabase resource) {
        SecretSpec spec = resource.getSpec().getSecret();
        return spec != null && spec.getName() != null ? spec.getName() : resource.getMetadata().getName() + "-db";
    }

    /** Whether the resource asks for the gateway key in its Secret (legacy kuratchi-sdk apps only). */
    public static boolean asksForGatewayKey(DoDatabase resource) {
        SecretSpec spec = resource.getSpec().getSecret();
        return spec != null && Boolean.TRUE.equals(spec.getIncludeGatewayKey());
    }

    /** True when the Secret is owned by this very resource (by uid). */
    public static boolean ownedBy(Secret secret, DoDatabase resource) {
        return secret.getMetadata().getOwnerReferences() != null && secret.getMetadata().getOwnerReferences().stream()
                .anyMatch(ref -> resource.getMetadata().getUid().equals(ref.getUid()));
    }

    private static boolean ofAnOrganization(DoDatabase resource) {
        return resource.getMetadata().getOwnerReferences() != null && resource.getMetadata().getOwnerReferences()
                .stream().anyMatch(ref -> "KuratchiOrganization".equals(ref.getKind())
                        && String.valueOf(ref.getApiVersion()).startsWith(HasMetadata.getGroup(DoDatabase.class) + "/")
                        && Boolean.TRUE.equals(ref.getController()));
    }

    /** The token text the Secret holds, if any. */
    public static Optional<String> token(Secret secret) {
        return Optional.ofNullable(decoded(secret).get(MountedSecret.TOKEN));
    }

    /** The Secret's proof of which token its token replaced, if any. */
    public static Optional<String> replaces(Secret secret) {
        return Optional.ofNullable(secret.getMetadata().getAnnotations()).map(a -> a.get(REPLACES_ANNOTATION));
    }

    @Override
    protected ResourceID targetSecondaryResourceID(DoDatabase primary, Context<DoDatabase> context) {
        return new ResourceID(name(primary), primary.getMetadata().getNamespace());
    }

    @Override
    protected Secret desired(DoDatabase resource, Context<DoDatabase> context) {
        Content content = context.managedWorkflowAndDependentResourceContext().getMandatory(CONTENT, Content.class);
        SecretSpec spec = resource.getSpec().getSecret();
        Map<String, String> labels = new HashMap<>(spec == null || spec.getLabels() == null ? Map.of() : spec.getLabels());
        labels.put(MANAGED_BY_LABEL, MANAGED_BY);
        if (ofAnOrganization(resource)) {
            labels.put(ORGANIZATION_LABEL, OF_AN_ORGANIZATION);
        }
        Map<String, String> annotations = new HashMap<>(
                spec == null || spec.getAnnotations() == null ? Map.of() : spec.getAnnotations());
        annotations.put(DATABASE_ANNOTATION, content.databaseName());
        annotations.put(TOKEN_ID_ANNOTATION, content.token().tokenId());
        annotations.put(REPLACES_ANNOTATION, content.replaces());
        Map<String, String> data = new HashMap<>();
        data.put(MountedSecret.DATABASE_NAME, content.databaseName());
        data.put(MountedSecret.TOKEN, content.token().reveal());
        data.put(MountedSecret.ENDPOINT, content.endpoint().toString());
        data.put(MountedSecret.EXPIRES_AT, content.token().expiresAt().toString());
        content.gatewayKey().ifPresent(key -> data.put(GATEWAY_KEY, key.reveal()));
        Map<String, String> encoded = new HashMap<>();
        data.forEach((k, v) -> encoded.put(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
        return new SecretBuilder()
                .withNewMetadata().withName(name(resource)).withNamespace(resource.getMetadata().getNamespace())
                .withLabels(labels).withAnnotations(annotations)
                // blockOwnerDeletion: kubectl delete --cascade=foreground waits for the Secret to go first.
                .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion(resource.getApiVersion())
                        .withKind(resource.getKind()).withName(resource.getMetadata().getName())
                        .withUid(resource.getMetadata().getUid()).withController(true).withBlockOwnerDeletion(true)
                        .build())
                .endMetadata()
                .withType("Opaque")
                .withData(encoded)
                .build();
    }

    // The data must be exactly ours (JOSDK's default match would accept extra keys, such as a gateway key the
    // configuration no longer allows); of labels and annotations only ours must be there.
    @Override
    public Matcher.Result<Secret> match(Secret actual, Secret desired, DoDatabase primary, Context<DoDatabase> context) {
        boolean same = decoded(actual).equals(decoded(desired))
                && containsAll(actual.getMetadata().getLabels(), desired.getMetadata().getLabels())
                && containsAll(actual.getMetadata().getAnnotations(), desired.getMetadata().getAnnotations());
        return Matcher.Result.computed(same, desired);
    }

    private static boolean containsAll(Map<String, String> actual, Map<String, String> desired) {
        return actual != null && actual.entrySet().containsAll(desired.entrySet());
    }

    private static Map<String, String> decoded(Secret secret) {
        Map<String, String> data = new HashMap<>();
        if (secret.getData() != null) {
            secret.getData().forEach((k, v) -> data.put(k, new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8)));
        }
        if (secret.getStringData() != null) {
            data.putAll(secret.getStringData());
        }
        return data;
    }
}
