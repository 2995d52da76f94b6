package dev.kuratchi.operator.support;

import dev.kuratchi.client.admin.AdminClient;
import dev.kuratchi.client.gateway.GatewayClient;
import dev.kuratchi.client.gateway.GatewayConnection;
import dev.kuratchi.client.gateway.GatewayTransport;
import dev.kuratchi.client.token.DatabaseToken;
import dev.kuratchi.client.token.GatewayKey;
import dev.kuratchi.operator.OperatorFactory;
import dev.kuratchi.operator.config.OperatorConfig;
import dev.kuratchi.operator.dodatabase.DoDatabase;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetricsV2;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.HashMap;
import java.util.Map;

/**
 * The operator, built exactly as Main builds it, running against a mock cluster and the emulator (which runs the
 * real gateway Worker). Settings the mock server needs: no server-side apply, and no exit on informer errors. JOSDK's
 * counts carry the resource's namespace, so that a test can count its own tenant's reconciles.
 */
public final class OperatorHarness implements AutoCloseable {
    public static final String GATEWAY_KEY = "operator-test-gateway-key-0123456789";
    public static final String SCRIPT = "kuratchi-do-internal";

    private final TestCluster cluster;
    private final boolean ownsCluster;
    private final EmulatorProcess emulator;
    private final boolean ownsEmulator;
    private final KubernetesClient operatorClient;
    private final Operator operator;
    private final PrometheusMeterRegistry registry = OperatorFactory.newRegistry();
    private final TestClock clock = new TestClock();
    private final OperatorConfig config;

    /** A fresh mock cluster and emulator. */
    public OperatorHarness(Map<String, String> extraEnvironment) {
        this(new MockCluster(), true, EmulatorProcess.start(), extraEnvironment);
    }

    /** The operator on a given cluster (kept open on close when not owned) and emulator (closed with it). */
    public OperatorHarness(TestCluster cluster, boolean ownsCluster, EmulatorProcess emulator,
            Map<String, String> extraEnvironment) {
        this(cluster, ownsCluster, emulator, true, extraEnvironment);
    }

    /**
     * The operator on a given cluster and emulator, each closed with it only when owned: a test stops one operator
     * and starts another on the same cluster and Cloudflare account, as a restart or an upgrade does.
     */
    public OperatorHarness(TestCluster cluster, boolean ownsCluster, EmulatorProcess emulator, boolean ownsEmulator,
            Map<String, String> extraEnvironment) {
        this.cluster = cluster;
        this.ownsCluster = ownsCluster;
        this.emulator = emulator;
        this.ownsEmulator = ownsEmulator;
        Map<String, String> env = environment(emulator);
        env.putAll(extraEnvironment);
        config = OperatorConfig.fromEnvironment(env);
        // JOSDK tags an event with the namespace only when it has a resource, and Prometheus wants one set of tags.
        registry.config().meterFilter(new MeterFilter() {
            @Override
            public Meter.Id map(Meter.Id id) {
                return id.getName().equals("events.received") ? id.replaceTags(id.getTags().stream()
                        .filter(tag -> !tag.getKey().equals("namespace")).toList()) : id;
            }
        });
        operatorClient = cluster.operatorClient();
        operator = OperatorFactory.create(config, operatorClient, registry, clock, o -> {
            o.withCloseClientOnStop(false);
            o.withMetrics(MicrometerMetricsV2.newBuilder(registry).withNamespaceAsTag().build());
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

    /** The operator's clock: move it to reach renewal times. */
    public TestClock clock() {
        return clock;
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

    /** A gateway client with {@code token}, as an app that holds it would use it. */
    public GatewayClient app(String token) {
        return app(emulator, token);
    }

    /** A gateway client with {@code token}, through the emulator's gateway, as an app that holds it would use it. */
    public static GatewayClient app(EmulatorProcess emulator, String token) {
        DatabaseToken parsed = DatabaseToken.parse(token);
        return GatewayClient.builder().connectionSource(new GatewayConnection(emulator.gatewayUrl(SCRIPT),
                parsed.databaseName(), parsed)).build();
    }

    public DoDatabase get(String namespace, String name) {
        return client().resources(DoDatabase.class).inNamespace(namespace).withName(name).get();
    }

    @Override
    public void close() throws Exception {
        operator.stop();
        operatorClient.close();
        if (ownsEmulator) {
            emulator.close();
        }
        if (ownsCluster) {
            cluster.close();
        }
    }
}
