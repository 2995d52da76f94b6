package dev.kuratchi.operator;

import dev.kuratchi.operator.config.OperatorConfig;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfigurationBuilder;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Whether this replica reconciles, as JOSDK's leader election decides, and what only the leader does besides
 * reconciling (making the admin DoDatabase). JOSDK starts event processing when the Lease is won and ends the process
 * when it is lost, so "leading" only ever goes from false to true. Exposed as the gauge {@code kuratchi_leader}
 * (1 on the replica that reconciles), which is how a person, or a test, tells the replicas apart.
 */
final class Leadership {
    private final OperatorConfig config;
    private final AtomicBoolean leading;

    Leadership(OperatorConfig config, MeterRegistry registry) {
        this.config = config;
        this.leading = new AtomicBoolean(!config.leaderElection().enabled());
        Gauge.builder("kuratchi_leader", leading, l -> l.get() ? 1 : 0)
                .description("1 on the replica that reconciles (the Lease holder, or the only one without leader "
                        + "election), 0 on a standby").register(registry);
    }

    /** JOSDK's configuration, when leader election is on: {@code onStartLeading} runs once the Lease is won. */
    Optional<LeaderElectionConfiguration> configuration(Runnable onStartLeading) {
        OperatorConfig.LeaderElection election = config.leaderElection();
        if (!election.enabled()) {
            return Optional.empty();
        }
        return Optional.of(LeaderElectionConfigurationBuilder.aLeaderElectionConfiguration(election.leaseName())
                .withLeaseNamespace(election.namespace())
                .withIdentity(config.instance())
                .withLeaderCallbacks(new LeaderCallbacks(() -> {
                    leading.set(true);
                    onStartLeading.run();
                }, () -> leading.set(false), leader -> { }))
                .build());
    }
}
