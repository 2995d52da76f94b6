package dev.kuratchi.operator.support;

import dev.kuratchi.client.admin.AdminClient;
import dev.kuratchi.client.gateway.GatewayTransport;
import dev.kuratchi.client.token.GatewayKey;
import dev.kuratchi.operator.OperatorFactory;
import dev.kuratchi.operator.config.OperatorConfig;
import dev.kuratchi.operator.dodatabase.DoDatabase;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;

/**
 * The operator, built exactly as Main builds it, running against a mock cluster and the emulator (which runs the
 * real gateway Worker). Settings the mock server needs: no server-side apply, and no exit on informer errors.
 */
public final class OperatorHarness implements AutoCloseable {
    public static final String GATEWAY_KEY = "operator-test-gateway-key-0123456789";
    public static final String SCRIPT = "kuratchi-do-internal";

    private final TestCluster cluster;
    private final boolean ownsCluster;
    private final EmulatorProcess emulator;
    private final Operator operator;
    private final PrometheusMeterRegistry registry = OperatorFactory.newRegistry();
    private final OperatorConfig config;

    /** A fresh mock cluster and emulator. */
    public OperatorHarness(Map<String, String> extraEnvironment) {
        this(new MockCluster(), true, EmulatorProcess.start(), extraEnvironment);
    }

    /** The operator on a given cluster (kept open on close when not owned) and emulator (always closed). */
    public OperatorHarness(TestCluster cluster, boolean ownsCluster, EmulatorProcess emulator,
            Map<String, String> extraEnvironment) {
        this.cluster = cluster;
        this.ownsCluster = ownsCluster;
        this.emulator = emulator;
        Map<String, String> env = environment(emulator);
        env.putAll(extraEnvironment);
        config = OperatorConfig.fromEnvironment(env);
        operator = OperatorFactory.create(config, cluster.client(), registry, Clock.systemUTC(), o -> {
            o.withCloseClientOnStop(false);
            cluster.tune(o);
        });
        operator.start();
    }

    /** The operator's configuration for the emulator, as environment variables. */
    public static Map<String, String> environment(EmulatorProcess emulator) {
        return new HashMap<>(Map.of(
                "KURATCHI_CF_API_TOKEN", EmulatorProcess.API_TOKEN,
                "KURATCHI_CF_ACCOUNT_ID", emulator.accountId(),
                "KURATCHI_CF_API_BASE_URL", emulator.apiUrl().toString(),
                "KURATCHI_GATEWAY_KEY", GATEWAY_KEY,
                "KURATCHI_GATEWAY_URL", emulator.gatewayUrl(SCRIPT).toString(),
                "KURATCHI_TOKEN_REVOCATION_GRACE", "1s"));
    }

    public Operator operator() {
        return operator;
    }

    public KubernetesClient client() {
        return cluster.client();
    }

    public EmulatorProcess emulator() {
        return emulator;
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    public AdminClient admin() {
        return new AdminClient(emulator.gatewayUrl(SCRIPT), GatewayKey.of(GATEWAY_KEY), GatewayTransport.withDefaults());
    }

    public DoDatabase get(String namespace, String name) {
        return client().resources(DoDatabase.class).inNamespace(namespace).withName(name).get();
    }

    @Override
    public void close() throws Exception {
        operator.stop();
        emulator.close();
        if (ownsCluster) {
            cluster.close();
        }
    }
}
