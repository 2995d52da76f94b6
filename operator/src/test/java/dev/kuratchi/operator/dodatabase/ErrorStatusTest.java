package dev.kuratchi.operator.dodatabase;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kuratchi.client.token.DatabaseToken;
import dev.kuratchi.client.token.GatewayKey;
import dev.kuratchi.client.token.Tokens;
import dev.kuratchi.operator.OperatorFactory;
import dev.kuratchi.operator.events.EventRecorder;
import dev.kuratchi.operator.metrics.OperatorMetrics;
import dev.kuratchi.operator.status.Conditions;
import dev.kuratchi.operator.support.MockCluster;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.events.v1.Event;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Anything unexpected a reconcile throws ends as a condition that says what happened, never as a silent loop. */
class ErrorStatusTest {
    private static final GatewayKey KEY = GatewayKey.of("error-status-test-gateway-key-0123456789");
    private MockCluster cluster;
    private DoDatabaseReconciler reconciler;

    @BeforeEach
    void start() {
        cluster = new MockCluster();
        Clock clock = Clock.systemUTC();
        reconciler = new DoDatabaseReconciler(new DoDatabaseReconciler.Collaborators(null, null, List.of(KEY), clock,
                Duration.ofMinutes(5), Duration.ofMinutes(10), new TenancyRules(Set.of(), Set.of(),
                        TenancyRules.Reserved.adminDatabase("kuratchi-system", "kuratchi-admin")),
                new EventRecorder(cluster.client(), clock, "test", "test-0"),
                new OperatorMetrics(OperatorFactory.newRegistry(), clock)));
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    private DoDatabase resource() {
        DoDatabase resource = new DoDatabase();
        resource.setMetadata(new ObjectMetaBuilder().withName("oops").withNamespace("errors").build());
        return cluster.client().resource(resource).create();
    }

    private static Condition ready(ErrorStatusUpdateControl<DoDatabase> control) {
        return Conditions.find(control.getResource().orElseThrow().getStatus().getConditions(), "Ready").orElseThrow();
    }

    @Test
    void anUnexpectedExceptionIsAReadyConditionWithoutSecretsAndIsRetried() {
        DatabaseToken token = Tokens.sign(KEY, "oops", "0".repeat(32), 9_999_999_999_999L);
        DoDatabase resource = resource();
        ErrorStatusUpdateControl<DoDatabase> control = reconciler.updateErrorStatus(resource, null,
                new IllegalStateException("failed near " + token.reveal() + " using " + KEY.reveal()));
        Condition ready = ready(control);
        assertThat(ready.getStatus()).isEqualTo("False");
        assertThat(ready.getReason()).isEqualTo("ReconcileError");
        assertThat(ready.getMessage()).contains("IllegalStateException", "retrying")
                .doesNotContain(token.reveal(), KEY.reveal());
        assertThat(ready.getObservedGeneration()).isEqualTo(resource.getMetadata().getGeneration());
        assertThat(control.isNoRetry()).isFalse();
        assertThat(cluster.client().resources(Event.class).inNamespace("errors").list().getItems())
                .extracting(Event::getReason).containsExactly("ReconcileError");
    }

    @Test
    void aRefusalOfTheKubernetesApiIsAConditionAndNotRetried() {
        KubernetesClientException refused = new KubernetesClientException(new StatusBuilder().withCode(422)
                .withMessage("Secret \"x\" is invalid: metadata.labels: Invalid value: \"a-\"").build());
        ErrorStatusUpdateControl<DoDatabase> control = reconciler.updateErrorStatus(resource(), null, refused);
        assertThat(ready(control).getReason()).isEqualTo("KubernetesApiRefused");
        assertThat(ready(control).getMessage()).contains("Invalid value");
        assertThat(control.isNoRetry()).isTrue();
    }

    @Test
    void aConflictIsRetriedWithoutTouchingTheStatus() {
        KubernetesClientException conflict = new KubernetesClientException(new StatusBuilder().withCode(409).build());
        assertThat(reconciler.updateErrorStatus(resource(), null, conflict).getResource()).isEmpty();
    }
}
