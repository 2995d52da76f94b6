package dev.kuratchi.operator.cache;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;
import io.javaoperatorsdk.operator.processing.event.source.informer.TransformingItemStore;

/**
 * An informer cache that keeps objects without {@code metadata.managedFields}: the API server's record of which
 * manager set which field, as large as the rest of a DoDatabase or a Secret once the operator and a user have both
 * written it, and read by nothing but a server-side-apply matcher. Only for caches no such matcher reads: the token
 * Secrets' (matched by {@code TokenSecret.match}).
 */
public final class LeanItemStore {
    private LeanItemStore() {}

    public static <R extends HasMetadata> ItemStore<R> withoutManagedFields() {
        return new TransformingItemStore<>(resource -> {
            resource.getMetadata().setManagedFields(null);
            return resource;
        });
    }
}
