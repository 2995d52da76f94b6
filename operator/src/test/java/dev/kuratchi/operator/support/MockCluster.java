package dev.kuratchi.operator.support;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.javaoperatorsdk.operator.api.config.ConfigurationServiceOverrider;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The Fabric8 mock API server in CRUD mode with our CRD registered (without it, status-subresource semantics do
 * not hold). It has no garbage collector, no admission and no server-side apply: the operator is configured for that.
 */
public final class MockCluster implements TestCluster {
    // JUL keeps loggers weakly: without these references the level would be forgotten.
    private static final Logger MOCK_LOG = Logger.getLogger("io.fabric8.mockwebserver");
    private static final Logger OKHTTP_MOCK_LOG = Logger.getLogger("okhttp3.mockwebserver");
    private final KubernetesMockServer server;
    private final KubernetesClient client;

    public MockCluster() {
        MOCK_LOG.setLevel(Level.WARNING);
        OKHTTP_MOCK_LOG.setLevel(Level.WARNING);
        server = new KubernetesMockServer(new Context(Serialization.jsonMapper()), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        server.init();
        client = server.createClient();
        for (String name : new String[] {"dodatabases", "kuratchiorganizations"}) {
            String path = "/META-INF/fabric8/" + name + ".kuratchi.dev-v1.yml";
            try (InputStream crd = MockCluster.class.getResourceAsStream(path)) {
                client.resource(Serialization.unmarshal(crd, CustomResourceDefinition.class)).create();
            } catch (IOException | NullPointerException e) {
                throw new IllegalStateException("the generated CRD " + path + " is missing: run mvn process-classes", e);
            }
        }
    }

    @Override
    public KubernetesClient client() {
        return client;
    }

    @Override
    public void tune(ConfigurationServiceOverrider overrider) {
        overrider.withUseSSAToPatchPrimaryResource(false)
                .withSSABasedCreateUpdateMatchForDependentResources(false)
                .withInformerStoppedHandler((informer, e) -> { });
    }

    @Override
    public void close() {
        client.close();
        server.destroy();
    }
}
