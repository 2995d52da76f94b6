package dev.kuratchi.operator.dodatabase;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Which of several resources naming the same database manages it. The one that already holds the claim keeps
 * it; otherwise the oldest wins (then namespace/name, so the answer never depends on the order of a list).
 */
public final class DatabaseClaims {
    /** A resource naming a database. {@code holds} is true when its status already records the claim. */
    public record Claimant(String namespace, String name, Instant created, boolean holds) {
        String key() {
            return namespace + "/" + name;
        }
    }

    private DatabaseClaims() {}

    public static Optional<Claimant> owner(List<Claimant> claimants) {
        return claimants.stream().min(Comparator.comparing((Claimant c) -> !c.holds())
                .thenComparing(Claimant::created)
                .thenComparing(Claimant::key));
    }
}
