package dev.kuratchi.operator.dodatabase;

import dev.kuratchi.client.admin.AdminClient;
import dev.kuratchi.client.admin.Migration;
import dev.kuratchi.client.admin.Owner;
import dev.kuratchi.operator.status.Conditions;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * One reconcile of one DoDatabase: what it works on, the status it builds, and the problems it found that do not
 * stop the stages after them (a schema that cannot be applied must not stop token renewal).
 */
final class Attempt {
    final DoDatabase resource;
    final DoDatabaseStatus status;
    final Conditions conditions;
    final Instant now;
    final List<StageFailure> problems = new ArrayList<>();
    String databaseName;
    URI endpoint;
    AdminClient admin;
    /** The migrations to apply; null when their source could not be read this time. */
    List<Migration> migrations;
    /** The token epoch as the gateway confirmed this resource's claim in this reconcile; null until then. */
    String confirmedEpoch;
    /** The other DoDatabases of the cluster that name the same database and may claim it. */
    List<DoDatabase> otherClaimants = List.of();
    /** A failure that passes by itself, met on the way and retried once the stages after it have run. */
    StageFailure retryLater;

    private Attempt(DoDatabase resource, DoDatabaseStatus status, Conditions conditions, Instant now) {
        this.resource = resource;
        this.status = status;
        this.conditions = conditions;
        this.now = now;
    }

    /** An attempt that starts from {@code before}, the status as observed, which it leaves untouched. */
    static Attempt startingFrom(DoDatabase resource, DoDatabaseStatus before, Instant now) {
        return new Attempt(resource, DoDatabaseStatus.copyOf(before),
                new Conditions(before.getConditions(), resource.getMetadata().getGeneration(), now), now);
    }

    String uid() {
        return resource.getMetadata().getUid();
    }

    String namespace() {
        return resource.getMetadata().getNamespace();
    }

    /** The claim this resource makes at the gateway: its uid, and where it lives (for retained data's origin). */
    Owner owner() {
        return new Owner(uid(), namespace(), resource.getMetadata().getName());
    }
}
