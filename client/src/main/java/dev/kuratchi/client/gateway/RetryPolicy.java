package dev.kuratchi.client.gateway;

import java.time.Duration;
import java.util.Optional;

/**
 * When a failed call may be sent again. A call that may have reached the database is repeated only when repeating
 * it is harmless (reads, and idempotent control-plane calls); a write is repeated only when it never left this
 * process (the connection could not be made) or was refused before it ran (429).
 */
public record RetryPolicy(int maxAttempts, Duration initialBackoff, Duration maxBackoff) {
    public static final RetryPolicy DEFAULT = new RetryPolicy(3, Duration.ofMillis(100), Duration.ofSeconds(5));
    public static final RetryPolicy NONE = new RetryPolicy(1, Duration.ZERO, Duration.ZERO);

    public RetryPolicy {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1");
        }
    }

    /** What went wrong with one attempt. */
    public enum Failure {
        /** The connection could not be made: the request was never sent. */
        CONNECT,
        /** The connection failed after the request may have been sent (reset, timeout). */
        IO,
        /** The gateway (or the edge in front of it) answered 5xx. */
        SERVER_ERROR,
        /** Rate limited: the request was refused before it ran. */
        RATE_LIMITED
    }

    /**
     * The pause before attempt {@code attempt + 1}, or empty when the call must not be repeated.
     * {@code retryAfter} is the server's Retry-After, if it gave one.
     */
    public Optional<Duration> nextDelay(int attempt, Failure failure, boolean idempotent, Duration retryAfter) {
        if (attempt >= maxAttempts) {
            return Optional.empty();
        }
        boolean safe = switch (failure) {
            case CONNECT, RATE_LIMITED -> true;
            case IO, SERVER_ERROR -> idempotent;
        };
        if (!safe) {
            return Optional.empty();
        }
        Duration backoff = initialBackoff.multipliedBy(1L << Math.min(attempt - 1, 20));
        Duration delay = retryAfter != null && retryAfter.compareTo(backoff) > 0 ? retryAfter : backoff;
        return Optional.of(delay.compareTo(maxBackoff) > 0 ? maxBackoff : delay);
    }
}
