package dev.kuratchi.operator.status;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Conditions in the Kubernetes shape. Setting one keeps its lastTransitionTime unless its status changes, so a
 * reconcile that finds nothing new writes an identical status (and so no update at all).
 */
public final class Conditions {
    public static final String TRUE = "True";
    public static final String FALSE = "False";
    public static final String UNKNOWN = "Unknown";

    private final List<Condition> conditions;
    private final long generation;
    private final Instant now;

    public Conditions(List<Condition> previous, long generation, Instant now) {
        this.conditions = new ArrayList<>(previous == null ? List.of() : previous);
        this.generation = generation;
        this.now = now;
    }

    public Conditions set(String type, String status, String reason, String message) {
        Optional<Condition> existing = find(conditions, type);
        String transition = existing.filter(c -> status.equals(c.getStatus())).map(Condition::getLastTransitionTime)
                .orElse(now.toString());
        // One line: a message can carry text from elsewhere (SQLite's error), and it also goes to the log.
        Condition next = new ConditionBuilder().withType(type).withStatus(status).withReason(reason)
                .withMessage(message == null ? null : message.replaceAll("[\\r\\n]+", " "))
                .withObservedGeneration(generation).withLastTransitionTime(transition).build();
        existing.ifPresentOrElse(c -> conditions.set(conditions.indexOf(c), next), () -> conditions.add(next));
        return this;
    }

    public List<Condition> list() {
        return List.copyOf(conditions);
    }

    public static Optional<Condition> find(List<Condition> conditions, String type) {
        return conditions == null ? Optional.empty()
                : conditions.stream().filter(c -> Objects.equals(c.getType(), type)).findFirst();
    }

    public static boolean isTrue(List<Condition> conditions, String type) {
        return find(conditions, type).map(c -> TRUE.equals(c.getStatus())).orElse(false);
    }

    /** Conditions whose status, reason or message differ between two lists: what deserves an event. */
    public static List<Condition> changed(List<Condition> before, List<Condition> after) {
        List<Condition> changed = new ArrayList<>();
        for (Condition condition : after) {
            Optional<Condition> old = find(before, condition.getType());
            if (old.isEmpty() || !Objects.equals(old.get().getStatus(), condition.getStatus())
                    || !Objects.equals(old.get().getReason(), condition.getReason())
                    || !Objects.equals(old.get().getMessage(), condition.getMessage())) {
                changed.add(condition);
            }
        }
        return changed;
    }
}
