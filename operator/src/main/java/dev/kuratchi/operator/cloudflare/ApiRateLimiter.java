package dev.kuratchi.operator.cloudflare;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * A token bucket shared by every Cloudflare call of the operator, kept below Cloudflare's 1,200 requests per five
 * minutes per token. A 429 pauses every caller until its Retry-After. A caller never waits longer than
 * {@code maxWait}: past that it gets the wait back and the reconcile is rescheduled instead of blocking a thread.
 */
public final class ApiRateLimiter {
    private final double permitsPerNano;
    private final double capacity;
    private final Duration maxWait;
    private final LongSupplier nanoTime;
    private double available;
    private long updatedAt;
    private long pausedUntil;

    public ApiRateLimiter(int permits, Duration window, Duration maxWait, LongSupplier nanoTime) {
        this.permitsPerNano = permits / (double) window.toNanos();
        // A burst of up to a tenth of the window's budget, so a start-up with many resources is quick but a
        // steady stream stays under the limit.
        this.capacity = Math.max(1, permits / 10.0);
        this.maxWait = maxWait;
        this.nanoTime = nanoTime;
        this.available = capacity;
        this.updatedAt = nanoTime.getAsLong();
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
            wait = reserve();
            if (wait > maxWait.toNanos()) {
                available += 1;
                return Duration.ofNanos(wait);
            }
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

    // Takes a permit now (the balance may go negative) and returns how long the caller must wait for it.
    private long reserve() {
        long now = nanoTime.getAsLong();
        available = Math.min(capacity, available + (now - updatedAt) * permitsPerNano);
        updatedAt = now;
        available -= 1;
        long forRate = available >= 0 ? 0 : (long) Math.ceil(-available / permitsPerNano);
        return Math.max(forRate, pausedUntil - now);
    }
}
