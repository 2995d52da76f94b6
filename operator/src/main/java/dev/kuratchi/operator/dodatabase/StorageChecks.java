package dev.kuratchi.operator.dodatabase;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * When each database's storage is next checked at the gateway (one read), so that storage lost behind the
 * operator's back is found even when nothing else happens. Kept in memory, not in status: checking writes nothing.
 * A resource first seen after a start is checked at a random point within one interval, so a restart spreads the
 * reads instead of sending them all at once. The organization reconciler keeps its slow Cloudflare verification on
 * one of its own.
 */
public final class StorageChecks {
    private final Duration interval;
    private final Map<String, Instant> next = new ConcurrentHashMap<>();

    public StorageChecks(Duration interval) {
        this.interval = interval;
    }

    /** When the resource with {@code uid} is next due. */
    public Instant nextCheck(String uid, Instant now) {
        return next.computeIfAbsent(uid, u -> now.plusMillis(ThreadLocalRandom.current().nextLong(interval.toMillis() + 1)));
    }

    public boolean due(String uid, Instant now) {
        return !now.isBefore(nextCheck(uid, now));
    }

    /** The gateway was just read or written for it: nothing to check for one interval. */
    public void checked(String uid, Instant now) {
        next.put(uid, now.plus(interval));
    }

    public void forget(String uid) {
        next.remove(uid);
    }
}
