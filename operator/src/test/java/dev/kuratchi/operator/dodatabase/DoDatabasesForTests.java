package dev.kuratchi.operator.dodatabase;

import io.fabric8.kubernetes.client.KubernetesClient;

/** The DoDatabase test helpers, for tests outside this package. */
public final class DoDatabasesForTests {
    private final DoDatabases dbs;

    public DoDatabasesForTests(KubernetesClient client) {
        this.dbs = new DoDatabases(client);
    }

    public DoDatabase createAndAwaitReady(String namespace, String name) {
        dbs.create(namespace, name, spec -> { });
        return dbs.awaitReady(namespace, name);
    }

    public DoDatabase awaitReady(String namespace, String name) {
        return dbs.awaitReady(namespace, name);
    }

    public static dev.kuratchi.client.gateway.GatewayClient gateway(io.fabric8.kubernetes.api.model.Secret secret) {
        return DoDatabases.gateway(secret);
    }
}
