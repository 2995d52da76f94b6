package dev.kuratchi.operator;

import dev.kuratchi.client.admin.AdminClient;
import dev.kuratchi.client.gateway.GatewayTransport;
import dev.kuratchi.client.gateway.RetryPolicy;
import dev.kuratchi.client.token.GatewayKey;
import dev.kuratchi.client.token.Tokens;
import dev.kuratchi.operator.cache.LeanSerialization;
import dev.kuratchi.operator.cloudflare.ApiRateLimiter;
import dev.kuratchi.operator.cloudflare.CloudflareClient;
import dev.kuratchi.operator.cloudflare.CloudflareResources;
import dev.kuratchi.operator.config.OperatorConfig;
import dev.kuratchi.operator.dodatabase.DoDatabase;
import dev.kuratchi.operator.dodatabase.DoDatabaseReconciler;
import dev.kuratchi.operator.dodatabase.TenancyRules;
import dev.kuratchi.operator.events.EventRecorder;
import dev.kuratchi.operator.gateway.GatewayDeployer;
import dev.kuratchi.operator.gateway.WorkerBundle;
import dev.kuratchi.operator.metrics.OperatorMetrics;
import dev.kuratchi.operator.organization.AdminDatabase;
import dev.kuratchi.operator.organization.AdminDatabaseStartup;
import dev.kuratchi.operator.organization.GatewayAccess;
import dev.kuratchi.operator.organization.KuratchiOrganization;
import dev.kuratchi.operator.organization.OrganizationReconciler;
import dev.kuratchi.operator.organization.OrganizationResources;
import dev.kuratchi.operator.status.Redaction;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.ConfigurationServiceOverrider;
import io.javaoperatorsdk.operator.api.config.ControllerConfigurationOverrider;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetricsV2;
import io.javaoperatorsdk.operator.processing.retry.GenericRetry;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;
import okhttp3.OkHttpClient;

/** Builds the operator from its configuration: one place that wires every collaborator, for Main and for tests. */
public final class OperatorFactory {
    private OperatorFactory() {}

    /**
     * Failures that pass by themselves (an unreachable gateway, a Cloudflare 5xx) are retried for as long as they
     * last, from 1 s doubling to 5 min: giving up would leave tokens unrenewed. Failures only a person can fix never
     * reach JOSDK's retry: they are conditions.
     */
    static GenericRetry retry() {
        return new GenericRetry().setInitialInterval(Duration.ofSeconds(1)).setIntervalMultiplier(2)
                .setMaxInterval(Duration.ofMinutes(5).toMillis()).withoutMaxAttempts();
    }

    /** The operator's Kubernetes client, to be built with the connection's configuration (see LeanSerialization). */
    public static KubernetesClientBuilder clientBuilder() {
        return new KubernetesClientBuilder().withKubernetesSerialization(LeanSerialization.create());
    }

    /**
     * The Prometheus registry. JOSDK 5.3.2 registers events.received both with and without an "action" tag, and
     * Prometheus requires one tag set per name, so that tag is dropped.
     */
    public static PrometheusMeterRegistry newRegistry() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.config().meterFilter(MeterFilter.ignoreTags("action"));
        return registry;
    }

    /**
     * @param tuning extra JOSDK settings (tests against the Fabric8 mock server turn server-side apply off there)
     */
    public static Operator create(OperatorConfig config, KubernetesClient client, MeterRegistry registry, Clock clock,
            Consumer<ConfigurationServiceOverrider> tuning) {
        OkHttpClient http = new OkHttpClient.Builder().connectTimeout(Duration.ofSeconds(10))
                .callTimeout(Duration.ofSeconds(60)).build();
        CloudflareClient cloudflare = new CloudflareClient(config.cloudflareApiBaseUrl(), config.cloudflareApiToken(),
                config.accountId(), http, ApiRateLimiter.of(config.cloudflareRequestsPerWindow(), config.cloudflareWindow()),
                registry);
        GatewayDeployer deployer = new GatewayDeployer(cloudflare, WorkerBundle.fromClasspath(), config.scriptName(),
                config.gatewayKey(), config.previousGatewayKey(), config.workersSubdomain(), config::gatewayEndpoint, http);
        // No retries inside a call: JOSDK retries the reconcile with backoff, and a call that sleeps and repeats holds
        // a reconcile thread other tenants are waiting for.
        GatewayTransport transport = new GatewayTransport(null, RetryPolicy.NONE, pause -> { });
        Map<URI, AdminClient> admins = new ConcurrentHashMap<>();
        List<GatewayKey> keys = new ArrayList<>(List.of(config.gatewayKey()));
        config.previousGatewayKey().ifPresent(keys::add);

        Function<URI, AdminClient> adminClients =
                endpoint -> admins.computeIfAbsent(endpoint, e -> new AdminClient(e, config.gatewayKey(), transport));
        EventRecorder events = new EventRecorder(client, clock, "kuratchi-operator",
                config.instance());
        TenancyRules tenancy = new TenancyRules(config.gatewayKeyNamespaces(), config.adoptionNamespaces(),
                TenancyRules.Reserved.adminDatabase(config.adminNamespace(), config.adminDatabaseName()));
        DoDatabaseReconciler dodatabases = new DoDatabaseReconciler(new DoDatabaseReconciler.Collaborators(deployer,
                adminClients,
                List.copyOf(keys), clock, config.revocationGracePeriod(), config.storageCheckInterval(),
                tenancy, events, new OperatorMetrics(registry, clock)));

        // With the organization controller: the admin DoDatabase is made at start, so it holds its name first.
        AdminDatabaseStartup adminStartup = new AdminDatabaseStartup(new AdminDatabase(config.adminNamespace(),
                config.adminDatabaseName()), client);
        OrganizationReconciler organizations = new OrganizationReconciler(new OrganizationReconciler.Collaborators(
                deployer, new GatewayAccess(adminClients, new Tokens(config.gatewayKey(), clock), transport, clock),
                new OrganizationResources(new CloudflareResources(cloudflare)),
                new AdminDatabase(config.adminNamespace(), config.adminDatabaseName()), tenancy, events, clock,
                OrganizationReconciler.VERIFY_INTERVAL, new Redaction(List.copyOf(keys))));

        Leadership leadership = new Leadership(config, registry);
        Operator operator = new Operator(overrider -> {
            overrider.withKubernetesClient(client)
                    .withConcurrentReconciliationThreads(config.reconcileThreads())
                    .withMetrics(MicrometerMetricsV2.newBuilder(registry).build());
            // A standby writes nothing: the admin DoDatabase too waits for the Lease.
            leadership.configuration(adminStartup::start).ifPresent(overrider::withLeaderElectionConfiguration);
            tuning.accept(overrider);
        }) {
            @Override
            public synchronized void start() {
                super.start();
                if (!config.leaderElection().enabled()) {
                    adminStartup.start();
                }
            }

            @Override
            public void stop() {
                adminStartup.close();
                super.stop();
            }
        };
        operator.register(dodatabases, (ControllerConfigurationOverrider<DoDatabase> o) -> {
            o.withRetry(retry());
            watch(o, config);
        });
        operator.register(organizations, (ControllerConfigurationOverrider<KuratchiOrganization> o) -> {
            o.withRetry(retry());
            watch(o, config);
        });
        return operator;
    }

    private static void watch(ControllerConfigurationOverrider<?> overrider, OperatorConfig config) {
        if (config.watchNamespaces().isEmpty()) {
            overrider.watchingAllNamespaces();
        } else {
            overrider.settingNamespaces(config.watchNamespaces());
        }
    }
}
