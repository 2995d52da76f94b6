package dev.kuratchi.operator.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The operator's own gauges: databases ready, and seconds until each token expires (per resource, so an alert can
 * name the one whose renewal is failing).
 */
public final class OperatorMetrics {
    private final MeterRegistry registry;
    private final Clock clock;
    private final Map<String, Boolean> ready = new ConcurrentHashMap<>();
    private final Map<String, Instant> expiries = new ConcurrentHashMap<>();
    private final Map<String, Gauge> expiryGauges = new ConcurrentHashMap<>();

    public OperatorMetrics(MeterRegistry registry, Clock clock) {
        this.registry = registry;
        this.clock = clock;
        Gauge.builder("kuratchi_databases_ready", ready, m -> m.values().stream().filter(Boolean::booleanValue).count())
                .description("DoDatabases whose Ready condition is True").register(registry);
    }

    public void observed(String namespace, String name, boolean isReady, Instant tokenExpiry) {
        String key = namespace + "/" + name;
        ready.put(key, isReady);
        if (tokenExpiry == null) {
            return;
        }
        expiries.put(key, tokenExpiry);
        expiryGauges.computeIfAbsent(key, k -> Gauge.builder("kuratchi_token_expiry_seconds", expiries,
                        m -> m.containsKey(k) ? Duration.between(clock.instant(), m.get(k)).toSeconds() : Double.NaN)
                .description("Seconds until the database token expires").tags("namespace", namespace, "name", name)
                .register(registry));
    }

    public void forget(String namespace, String name) {
        String key = namespace + "/" + name;
        ready.remove(key);
        expiries.remove(key);
        Gauge gauge = expiryGauges.remove(key);
        if (gauge != null) {
            registry.remove(gauge);
        }
    }
}
