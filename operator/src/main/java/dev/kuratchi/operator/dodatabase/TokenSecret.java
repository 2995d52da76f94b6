package dev.kuratchi.operator.dodatabase;

import dev.kuratchi.client.secret.MountedSecret;
import dev.kuratchi.client.token.DatabaseToken;
import dev.kuratchi.client.token.GatewayKey;
import dev.kuratchi.client.token.InvalidTokenException;
import dev.kuratchi.client.token.Tokens;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The token Secret a DoDatabase writes: what it should hold, and whether an existing one still holds it. */
public final class TokenSecret {
    public static final String MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
    public static final String MANAGED_BY = "kuratchi-operator";
    public static final String DATABASE_LABEL = "kuratchi.dev/database";
    public static final String TOKEN_ID_ANNOTATION = "kuratchi.dev/token-id";
    public static final String GATEWAY_KEY = "gatewayKey";

    private TokenSecret() {}

    public static String name(DoDatabase resource) {
        SecretSpec spec = resource.getSpec().getSecret();
        return spec != null && spec.getName() != null ? spec.getName() : resource.getMetadata().getName() + "-db";
    }

    /** Whether the resource asks for the gateway key in its Secret (legacy kuratchi-sdk apps only). */
    public static boolean includesGatewayKey(DoDatabase resource) {
        SecretSpec spec = resource.getSpec().getSecret();
        return spec != null && Boolean.TRUE.equals(spec.getIncludeGatewayKey());
    }

    /** True when the Secret is owned (controller reference) by this very resource. */
    public static boolean ownedBy(Secret secret, DoDatabase resource) {
        return secret.getMetadata().getOwnerReferences() != null && secret.getMetadata().getOwnerReferences().stream()
                .anyMatch(ref -> resource.getMetadata().getUid().equals(ref.getUid()));
    }

    /**
     * The Secret's token when it verifies for this database with the gateway keys and every other key is as it
     * should be; empty when something was changed by hand (or the token expired).
     */
    public static Optional<DatabaseToken> validToken(Secret secret, String databaseName, URI endpoint,
            List<GatewayKey> keys, GatewayKey currentKey, boolean includeGatewayKey, Instant now) {
        Map<String, String> data = decoded(secret);
        try {
            DatabaseToken token = Tokens.verify(data.get(MountedSecret.TOKEN), databaseName, keys, now);
            boolean consistent = databaseName.equals(data.get(MountedSecret.DATABASE_NAME))
                    && endpoint.toString().equals(data.get(MountedSecret.ENDPOINT))
                    && token.expiresAt().toString().equals(data.get(MountedSecret.EXPIRES_AT))
                    && (includeGatewayKey ? currentKey.reveal().equals(data.get(GATEWAY_KEY)) : !data.containsKey(GATEWAY_KEY));
            return consistent ? Optional.of(token) : Optional.empty();
        } catch (InvalidTokenException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    public static boolean holdsToken(Secret secret) {
        return decoded(secret).containsKey(MountedSecret.TOKEN);
    }

    /** The Secret as it should be, holding {@code token}. */
    public static Secret desired(DoDatabase resource, String databaseName, URI endpoint, DatabaseToken token,
            GatewayKey key) {
        SecretSpec spec = resource.getSpec().getSecret();
        Map<String, String> labels = new HashMap<>(spec == null || spec.getLabels() == null ? Map.of() : spec.getLabels());
        labels.put(MANAGED_BY_LABEL, MANAGED_BY);
        labels.put(DATABASE_LABEL, databaseName);
        Map<String, String> annotations = new HashMap<>(
                spec == null || spec.getAnnotations() == null ? Map.of() : spec.getAnnotations());
        annotations.put(TOKEN_ID_ANNOTATION, token.tokenId());
        Map<String, String> data = new HashMap<>();
        data.put(MountedSecret.DATABASE_NAME, databaseName);
        data.put(MountedSecret.TOKEN, token.reveal());
        data.put(MountedSecret.ENDPOINT, endpoint.toString());
        data.put(MountedSecret.EXPIRES_AT, token.expiresAt().toString());
        if (includesGatewayKey(resource)) {
            data.put(GATEWAY_KEY, key.reveal());
        }
        Map<String, String> encoded = new HashMap<>();
        data.forEach((k, v) -> encoded.put(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
        return new SecretBuilder()
                .withNewMetadata().withName(name(resource)).withNamespace(resource.getMetadata().getNamespace())
                .withLabels(labels).withAnnotations(annotations)
                .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion(resource.getApiVersion())
                        .withKind(resource.getKind()).withName(resource.getMetadata().getName())
                        .withUid(resource.getMetadata().getUid()).withController(true).withBlockOwnerDeletion(true)
                        .build())
                .endMetadata()
                .withType("Opaque")
                .withData(encoded)
                .build();
    }

    /** Whether two Secrets hold the same data, labels and annotations (what the operator manages). */
    public static boolean same(Secret actual, Secret desired) {
        return decoded(actual).equals(decoded(desired))
                && containsAll(actual.getMetadata().getLabels(), desired.getMetadata().getLabels())
                && containsAll(actual.getMetadata().getAnnotations(), desired.getMetadata().getAnnotations());
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
