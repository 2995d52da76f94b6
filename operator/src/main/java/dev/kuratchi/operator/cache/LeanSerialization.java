package dev.kuratchi.operator.cache;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

/**
 * The operator's Kubernetes serialization, which never reads or writes {@code metadata.managedFields}: the API
 * server's record of which manager set which field. Once a user and the operator have both written a DoDatabase or a
 * Secret it is about as large as the rest of the object, in every watch event, every response and every informer
 * cache entry, and the operator reads none of it (its dependents compare the fields themselves). Skipped while
 * parsing, it costs neither the objects nor most of the time; JOSDK's copy of each resource per reconcile is smaller
 * too. Leaving it out of what is sent is what the API server expects: an update without it keeps the stored one, and
 * server-side apply refuses a body that has it.
 */
public final class LeanSerialization {
    private LeanSerialization() {}

    @JsonIgnoreProperties("managedFields")
    private abstract static class WithoutManagedFields {}

    public static KubernetesSerialization create() {
        return new KubernetesSerialization(mapper(), true);
    }

    /**
     * Field names are not canonicalized. A Secret's managedFields name its owner by uid ({@code k:{"uid":"…"}}), and
     * even skipped they pass through Jackson's symbol table. That table is shared by every parser and grows with each
     * new name, and a parser that adds one copies it first: at 6,000 Secrets that was 1.7 MB of copies per database
     * created, a fifth of all the operator allocated.
     */
    static ObjectMapper mapper() {
        ObjectMapper mapper = new ObjectMapper(JsonFactory.builder()
                .disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES).build());
        mapper.addMixIn(ObjectMeta.class, WithoutManagedFields.class);
        return mapper;
    }
}
