package dev.kuratchi.operator;

import dev.kuratchi.operator.config.ConfigException;
import dev.kuratchi.operator.config.OperatorConfig;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.BindException;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the operator: configuration from the environment, the Kubernetes client from the usual places. Anything
 * that keeps it from starting ends the process with one line on stderr: exit code 2 for a setting to fix, 1 for a
 * cluster that does not answer or refuses to start the informers.
 */
public final class Main {
    private static final Logger LOG = LoggerFactory.getLogger(Main.class);

    private Main() {}

    public static void main(String[] args) {
        try {
            start();
        } catch (ConfigException e) {
            exit(2, e.getMessage());
        } catch (KubernetesAccess.StartupException e) {
            exit(1, e.getMessage());
        } catch (RuntimeException e) {
            // JOSDK has logged the details; without an exit the probe server's thread would keep a process that
            // never starts alive.
            exit(1, "cannot start: " + KubernetesAccess.startFailure(e));
        }
    }

    private static void start() {
        OperatorConfig config = OperatorConfig.fromEnvironment(System.getenv());
        KubernetesAccess.checkKubeconfig(System.getenv());
        KubernetesClient client = OperatorFactory.clientBuilder().build();
        // Before anything logs, so that a cluster out of reach is the one line printed. Fabric8 retries the request
        // with backoff for about 20 s, which also rides out an API server that is still starting.
        KubernetesAccess.checkReachable(client);
        LOG.info("starting with {}", config);
        PrometheusMeterRegistry registry = OperatorFactory.newRegistry();
        Operator operator = OperatorFactory.create(config, client, registry, Clock.systemUTC(), overrider -> { });
        OperatorHttpServer http;
        try {
            http = new OperatorHttpServer(config.httpHost(), config.httpPort(), operator, registry);
        } catch (BindException e) {
            throw new ConfigException("cannot serve probes on " + config.httpHost() + ":" + config.httpPort()
                    + " (KURATCHI_HTTP_HOST, KURATCHI_HTTP_PORT): " + e.getMessage());
        } catch (IOException e) {
            throw new KubernetesAccess.StartupException("cannot serve probes on " + config.httpHost() + ":"
                    + config.httpPort() + ": " + e.getMessage());
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            http.close();
            operator.stop();
        }, "shutdown"));
        operator.start();
        LOG.info("kuratchi-operator started; probes and metrics on {}:{}", config.httpHost(), http.port());
    }

    private static void exit(int code, String message) {
        System.err.println("kuratchi-operator: " + message);
        System.exit(code);
    }
}
