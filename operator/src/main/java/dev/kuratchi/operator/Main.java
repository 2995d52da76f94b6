package dev.kuratchi.operator;

import dev.kuratchi.operator.config.ConfigException;
import dev.kuratchi.operator.config.OperatorConfig;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.javaoperatorsdk.operator.Operator;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Starts the operator: configuration from the environment, the Kubernetes client from the usual places. */
public final class Main {
    private static final Logger LOG = LoggerFactory.getLogger(Main.class);

    private Main() {}

    public static void main(String[] args) throws IOException {
        OperatorConfig config;
        try {
            config = OperatorConfig.fromEnvironment(System.getenv());
        } catch (ConfigException e) {
            System.err.println("kuratchi-operator: " + e.getMessage());
            System.exit(2);
            return;
        }
        LOG.info("starting with {}", config);
        KubernetesClient client = new KubernetesClientBuilder().build();
        PrometheusMeterRegistry registry = OperatorFactory.newRegistry();
        Operator operator = OperatorFactory.create(config, client, registry, Clock.systemUTC(), overrider -> { });
        OperatorHttpServer http = new OperatorHttpServer(config.httpPort(), operator, registry);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            http.close();
            operator.stop();
        }, "shutdown"));
        operator.start();
        LOG.info("kuratchi-operator started; probes and metrics on :{}", http.port());
    }
}
