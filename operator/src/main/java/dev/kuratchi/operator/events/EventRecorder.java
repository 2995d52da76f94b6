package dev.kuratchi.operator.events;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.events.v1.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes events (events.k8s.io/v1) about a resource, shown by {@code kubectl describe}. Best effort: a failed
 * event never fails a reconcile. Messages are the conditions' messages, which never hold a secret.
 */
public final class EventRecorder {
    private static final Logger LOG = LoggerFactory.getLogger(EventRecorder.class);
    private static final DateTimeFormatter MICRO_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'")
            .withZone(ZoneOffset.UTC);
    public static final String NORMAL = "Normal";
    public static final String WARNING = "Warning";

    private final KubernetesClient client;
    private final Clock clock;
    private final String controller;

    public EventRecorder(KubernetesClient client, Clock clock, String controller) {
        this.client = client;
        this.clock = clock;
        this.controller = controller;
    }

    public void record(HasMetadata resource, String type, String reason, String action, String note) {
        String namespace = resource.getMetadata().getNamespace();
        try {
            client.resource(new EventBuilder()
                    .withNewMetadata().withName(resource.getMetadata().getName() + "." + UUID.randomUUID().toString()
                            .substring(0, 8)).withNamespace(namespace).endMetadata()
                    .withEventTime(new io.fabric8.kubernetes.api.model.MicroTime(MICRO_TIME.format(clock.instant())))
                    .withReportingController(controller)
                    .withReportingInstance(controller)
                    .withAction(action)
                    .withReason(reason)
                    .withType(type)
                    .withNote(note.length() > 1000 ? note.substring(0, 1000) : note)
                    .withRegarding(new ObjectReferenceBuilder().withApiVersion(resource.getApiVersion())
                            .withKind(resource.getKind()).withName(resource.getMetadata().getName())
                            .withNamespace(namespace).withUid(resource.getMetadata().getUid()).build())
                    .build()).create();
        } catch (KubernetesClientException e) {
            LOG.debug("could not record event {} for {}/{}: {}", reason, namespace, resource.getMetadata().getName(),
                    e.getMessage());
        }
    }
}
