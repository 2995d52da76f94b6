package dev.kuratchi.operator.dodatabase;

import java.time.Duration;

/**
 * A stage of the reconcile that could not complete: which condition it sets False, why (a CamelCase reason), what
 * to do (the message), and when to try again (null: not until something changes). Shared by the DoDatabase and
 * KuratchiOrganization reconcilers.
 */
public final class StageFailure extends RuntimeException {
    private final String condition;
    private final String reason;
    private final Duration retryAfter;
    private final boolean transientFailure;

    private StageFailure(String condition, String reason, String message, Duration retryAfter, boolean transientFailure) {
        super(message);
        this.condition = condition;
        this.reason = reason;
        this.retryAfter = retryAfter;
        this.transientFailure = transientFailure;
    }

    /** Fixing the resource, a ConfigMap or the operator's configuration is the only way forward. */
    public static StageFailure permanent(String condition, String reason, String message) {
        return new StageFailure(condition, reason, message, null, false);
    }

    /** Someone else must act (for example free a name); checked again after {@code recheck}. */
    public static StageFailure blocked(String condition, String reason, String message, Duration recheck) {
        return new StageFailure(condition, reason, message, recheck, false);
    }

    /** Expected to pass by itself: retried with backoff, or after the server's Retry-After when given. */
    public static StageFailure transientFailure(String condition, String reason, String message, Duration retryAfter) {
        return new StageFailure(condition, reason, message, retryAfter, true);
    }

    /** The same failure, reported on another condition. */
    public StageFailure on(String otherCondition) {
        return new StageFailure(otherCondition, reason, getMessage(), retryAfter, transientFailure);
    }

    public String condition() {
        return condition;
    }

    public String reason() {
        return reason;
    }

    public Duration retryAfter() {
        return retryAfter;
    }

    public boolean isTransient() {
        return transientFailure;
    }
}
