package dev.kuratchi.operator.support;

import dev.kuratchi.operator.OperatorFactory;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.ConfigurationServiceOverrider;

/** A Kubernetes API for tests: the Fabric8 mock server or the real API server built from Go modules. */
public interface TestCluster extends AutoCloseable {
    KubernetesClient client();

    /** A client for the operator, built as Main builds its own, on the same API and credentials: closed with it. */
    default KubernetesClient operatorClient() {
        return OperatorFactory.clientBuilder().withConfig(client().getConfiguration()).build();
    }

    /** JOSDK settings this API needs (the mock server has no server-side apply). */
    void tune(ConfigurationServiceOverrider overrider);

    @Override
    void close();
}
