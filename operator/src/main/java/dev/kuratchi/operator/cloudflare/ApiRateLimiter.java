package dev.kuratchi.operator.cloudflare;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * A sliding window shared by every Cloudflare call of the operator: at most {@code permits} calls in any
 * {@code window}, kept below Cloudflare's 1,200 requests per five minutes per token (exceeding it blocks every call
 * for five minutes). The whole budget may be spent at once — creating 200 organizations is 600 calls, which go out as
 * fast as Cloudflare answers — and then each call waits for the one {@code permits} calls before it to leave the
 * window. A 429 pauses every caller until its Retry-After. A caller never waits longer than {@code maxWait}: past that
 * it gets the wait back and the reconcile is rescheduled instead of blocking a thread.
 */
public final class ApiRateLimiter {
    private final long windowNanos;
    private final Duration maxWait;
    private final LongSupplier nanoTime;
    /** When each of the last {@code permits} calls was allowed to go, oldest at {@code oldest}. */
    private final long[] sent;
    private int oldest;
    private int taken;
    private long pausedUntil;

    public ApiRateLimiter(int permits, Duration window, Duration maxWait, LongSupplier nanoTime) {
        if (permits < 1) {
            throw new IllegalArgumentException("permits must be at least 1");
        }
        this.windowNanos = window.toNanos();
        this.maxWait = maxWait;
        this.nanoTime = nanoTime;
        this.sent = new long[permits];
    }

    public static ApiRateLimiter of(int permits, Duration window) {
        return new ApiRateLimiter(permits, window, Duration.ofSeconds(10), System::nanoTime);
    }

    /**
     * Takes one permit, waiting if needed. Returns Duration.ZERO when taken, or the time still to wait when that
     * is longer than maxWait (nothing is taken then).
     */
    public Duration acquire() throws InterruptedException {
        long wait;
        synchronized (this) {
            long now = nanoTime.getAsLong();
            // Calls are recorded in the order they may go, so the oldest of the last `permits` is the one to outlive.
            long free = taken < sent.length ? now : Math.max(now, sent[oldest] + windowNanos);
            long goAt = Math.max(free, pausedUntil);
            wait = goAt - now;
            if (wait > maxWait.toNanos()) {
                return Duration.ofNanos(wait);
            }
            record(goAt);
        }
        if (wait > 0) {
            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
        return Duration.ZERO;
    }

    /** Stops every caller until {@code retryAfter} has passed. */
    public synchronized void pause(Duration retryAfter) {
        pausedUntil = Math.max(pausedUntil, nanoTime.getAsLong() + retryAfter.toNanos());
    }

    private void record(long goAt) {
        if (taken < sent.length) {
            sent[(oldest + taken++) % sent.length] = goAt;
        } else {
            sent[oldest] = goAt;
            oldest = (oldest + 1) % sent.length;
        }
    }
}
