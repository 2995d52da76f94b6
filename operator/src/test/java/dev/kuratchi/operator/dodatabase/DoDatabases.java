package dev.kuratchi.operator.dodatabase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.kuratchi.client.gateway.GatewayClient;
import dev.kuratchi.client.gateway.GatewayConnection;
import dev.kuratchi.client.gateway.GatewayException;
import dev.kuratchi.client.token.DatabaseToken;
import dev.kuratchi.operator.status.Conditions;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;

/** Test helpers: create DoDatabases, wait for conditions, open their Secrets. */
public final class DoDatabases {
    private final KubernetesClient client;

    public DoDatabases(KubernetesClient client) {
        this.client = client;
    }

    /** A spec with a built-in schema. */
    public static Consumer<DoDatabaseSpec> builtIn(String schema) {
        return spec -> {
            SchemaSource source = new SchemaSource();
            source.setBuiltIn(schema);
            spec.setSchema(source);
        };
    }

    /** A spec with the migrations of a ConfigMap. */
    public static Consumer<DoDatabaseSpec> fromConfigMap(String name) {
        return spec -> {
            SchemaSource source = new SchemaSource();
            source.setConfigMap(name);
            spec.setSchema(source);
        };
    }

    /** A spec with a token lifetime and renewal lead. */
    public static Consumer<DoDatabaseSpec> tokenLifetime(String ttl, String renewBefore) {
        return spec -> {
            TokenSpec token = new TokenSpec();
            token.setTtl(ttl);
            token.setRenewBefore(renewBefore);
            spec.setToken(token);
        };
    }

    public DoDatabase create(String namespace, String name, Consumer<DoDatabaseSpec> spec) {
        DoDatabase resource = new DoDatabase();
        resource.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
        DoDatabaseSpec s = new DoDatabaseSpec();
        spec.accept(s);
        resource.setSpec(s);
        return client.resource(resource).create();
    }

    /** A ConfigMap of migrations, labelled so the operator sees it. */
    public void migrations(String namespace, String name, Map<String, String> migrations) {
        client.resource(new ConfigMapBuilder().withNewMetadata().withName(name).withNamespace(namespace)
                .addToLabels(DoDatabaseReconciler.MIGRATIONS_LABEL, "true").endMetadata().addToData(migrations).build())
                .create();
    }

    /** Changes an annotation on the resource, which makes the operator reconcile it now. */
    public void annotate(String namespace, String name, String key, String value) {
        client.resources(DoDatabase.class).inNamespace(namespace).withName(name).edit(d -> {
            d.getMetadata().setAnnotations(new java.util.HashMap<>(
                    d.getMetadata().getAnnotations() == null ? Map.of() : d.getMetadata().getAnnotations()));
            d.getMetadata().getAnnotations().put(key, value);
            return d;
        });
    }

    public DoDatabase get(String namespace, String name) {
        return client.resources(DoDatabase.class).inNamespace(namespace).withName(name).get();
    }

    public Condition condition(String namespace, String name, String type) {
        DoDatabase resource = get(namespace, name);
        return resource == null || resource.getStatus() == null ? null
                : Conditions.find(resource.getStatus().getConditions(), type).orElse(null);
    }

    public DoDatabase awaitCondition(String namespace, String name, String type, String status, String reason) {
        awaitCondition(() -> condition(namespace, name, type), type + " of " + namespace + "/" + name, status, reason);
        return get(namespace, name);
    }

    /** Waits (a minute at most) until {@code current} is a condition with this status and reason. */
    public static void awaitCondition(Supplier<Condition> current, String what, String status, String reason) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            Condition condition = current.get();
            assertThat(condition).as(what).isNotNull();
            assertThat(condition.getStatus() + "/" + condition.getReason()).as(condition.getMessage())
                    .isEqualTo(status + "/" + reason);
        });
    }

    public DoDatabase awaitReady(String namespace, String name) {
        return awaitCondition(namespace, name, DoDatabaseReconciler.READY, Conditions.TRUE, "Ready");
    }

    public Secret secret(String namespace, String name) {
        return client.secrets().inNamespace(namespace).withName(name).get();
    }

    public static Map<String, String> data(Secret secret) {
        Map<String, String> decoded = new java.util.HashMap<>();
        secret.getData().forEach((k, v) -> decoded.put(k, new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8)));
        return decoded;
    }

    /** The token a Secret holds. */
    public String token(String namespace, String secretName) {
        return data(secret(namespace, secretName)).get("token");
    }

    /** The gateway refuses the client's token as revoked (by id, or by a new epoch). */
    public static void assertRevoked(GatewayClient client) {
        assertThatThrownBy(() -> client.query("SELECT 1")).isInstanceOfSatisfying(GatewayException.class,
                e -> assertThat(e.code()).isEqualTo("token_revoked"));
    }

    /** A gateway client built from a token Secret, as an app that mounts it would. */
    public static GatewayClient gateway(Secret secret) {
        return gatewayFor(secret, data(secret).get("token"));
    }

    /** A gateway client at the Secret's endpoint with another token (one an app kept from before). */
    public static GatewayClient gatewayFor(Secret secret, String token) {
        DatabaseToken parsed = DatabaseToken.parse(token);
        return GatewayClient.builder().connectionSource(new GatewayConnection(URI.create(data(secret).get("endpoint")),
                parsed.databaseName(), parsed)).build();
    }
}
