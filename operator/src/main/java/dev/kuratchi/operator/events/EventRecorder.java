package dev.kuratchi.operator.events;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.MicroTime;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.events.v1.Event;
import io.fabric8.kubernetes.api.model.events.v1.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes events (events.k8s.io/v1) about a resource, shown by {@code kubectl describe}. The same event again
 * within {@link #SERIES_WINDOW} of the last one is counted on it (the event's {@code series}) instead of creating
 * another, so a failure retried in a loop shows as one event with a count. Best effort: a failed event never fails
 * a reconcile. Notes are the conditions' messages, which never hold a secret.
 */
public final class EventRecorder {
    public static final String NORMAL = "Normal";
    public static final String WARNING = "Warning";
    static final Duration SERIES_WINDOW = Duration.ofMinutes(10);
    private static final int REMEMBERED = 4096;
    private static final Logger LOG = LoggerFactory.getLogger(EventRecorder.class);
    private static final DateTimeFormatter MICRO_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'")
            .withZone(ZoneOffset.UTC);

    private record Recorded(String name, int count, Instant last) {}

    private final KubernetesClient client;
    private final Clock clock;
    private final String controller;
    private final String instance;
    // The most recent events, so a repeat finds the one to count on; bounded, the oldest forgotten first.
    private final Map<String, Recorded> recent = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Recorded> eldest) {
            return size() > REMEMBERED;
        }
    };

    /**
     * @param instance the replica that reports (its pod's name), so {@code kubectl get events -o wide} tells which
     *     of several replicas acted; the API server takes at most 128 characters
     */
    public EventRecorder(KubernetesClient client, Clock clock, String controller, String instance) {
        this.client = client;
        this.clock = clock;
        this.controller = controller;
        this.instance = instance.substring(0, Math.min(instance.length(), 128));
    }

    public void record(HasMetadata resource, String type, String reason, String action, String note) {
        String namespace = resource.getMetadata().getNamespace();
        String text = note.length() > 1000 ? note.substring(0, 1000) : note;
        String key = String.join("\u0000", resource.getMetadata().getUid(), type, reason, action, text);
        Instant now = clock.instant();
        Recorded previous;
        synchronized (recent) {
            previous = recent.get(key);
        }
        try {
            Recorded recorded = previous != null && previous.last().plus(SERIES_WINDOW).isAfter(now)
                    ? repeat(namespace, previous, now) : null;
            if (recorded == null) {
                recorded = create(resource, type, reason, action, text, now);
            }
            synchronized (recent) {
                recent.put(key, recorded);
            }
        } catch (KubernetesClientException e) {
            LOG.debug("could not record event {} for {}/{}: {}", reason, namespace, resource.getMetadata().getName(),
                    e.getMessage());
        }
    }

    /** Counts a repeat on the earlier event; null when that event is gone (expired), so a new one is made. */
    private Recorded repeat(String namespace, Recorded previous, Instant now) {
        int count = previous.count() + 1;
        // Patched through an object that names it, so the client does not read the event first.
        Event named = new EventBuilder().withNewMetadata().withName(previous.name()).withNamespace(namespace)
                .endMetadata().build();
        try {
            client.resource(named).patch(PatchContext.of(PatchType.JSON_MERGE), "{\"series\":{\"count\":" + count
                    + ",\"lastObservedTime\":\"" + MICRO_TIME.format(now) + "\"}}");
            return new Recorded(previous.name(), count, now);
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
                throw e;
            }
            // The event expired meanwhile (the API server keeps events for an hour by default).
            return null;
        }
    }

    private Recorded create(HasMetadata resource, String type, String reason, String action, String note,
            Instant now) {
        String namespace = resource.getMetadata().getNamespace();
        // An event's name is a DNS subdomain too: a long resource name is cut to leave room for the suffix.
        String base = resource.getMetadata().getName();
        String name = base.substring(0, Math.min(base.length(), 240)).replaceAll("[.-]+$", "") + "."
                + UUID.randomUUID().toString().substring(0, 8);
        client.resource(new EventBuilder()
                .withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
                .withEventTime(new MicroTime(MICRO_TIME.format(now)))
                .withReportingController(controller)
                .withReportingInstance(instance)
                .withAction(action)
                .withReason(reason)
                .withType(type)
                .withNote(note)
                .withRegarding(new ObjectReferenceBuilder().withApiVersion(resource.getApiVersion())
                        .withKind(resource.getKind()).withName(resource.getMetadata().getName())
                        .withNamespace(namespace).withUid(resource.getMetadata().getUid()).build())
                .build()).create();
        return new Recorded(name, 1, now);
    }
}
