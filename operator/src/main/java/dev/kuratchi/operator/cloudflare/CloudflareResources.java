package dev.kuratchi.operator.cloudflare;

import static dev.kuratchi.operator.cloudflare.CloudflareClient.segment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The account resources an organization owns on Cloudflare (Workers KV namespaces, R2 buckets, Queues), made safe to
 * call again after a crash: {@code ensure*} creates, and adopts the one already there when Cloudflare says the name
 * is taken (an earlier attempt created it and died before recording its id), so there is never a duplicate;
 * {@code delete*} answers false for one already gone instead of failing. Every call goes through
 * {@link CloudflareClient}: the shared rate limit, its retries of 429 and 5xx, and its metrics.
 */
public final class CloudflareResources {
    /** Items asked for per page when searching a list by name. */
    private static final int PER_PAGE = 100;
    // A guard against a server that never says it is done: 100,000 items, far over every account limit.
    private static final int MAX_PAGES = 1000;

    private static final int KV_TITLE_TAKEN = 10014;
    private static final int KV_NOT_FOUND = 10013;
    private static final int R2_BUCKET_OWNED = 10004;
    private static final int R2_NO_SUCH_BUCKET = 10006;
    private static final int R2_BUCKET_NOT_EMPTY = 10008;
    private static final int QUEUE_NAME_TAKEN = 11009;
    private static final int QUEUE_NOT_FOUND = 10104;

    /** A Workers KV namespace. */
    public record KvNamespace(String id, String title) {}

    /** An R2 bucket; {@code location} and {@code creationDate} as Cloudflare reports them (may be empty). */
    public record R2Bucket(String name, String location, String creationDate) {}

    /** A queue; delete and get take its {@code id}, not its name. */
    public record Queue(String id, String name) {}

    /**
     * A kind that is created by a name, found by that name only by listing, and deleted by its id: KV namespaces and
     * queues. {@code endpoint} prefixes the metric names; {@code nameField} is the name in requests and in results.
     */
    private record Listed<T>(String kind, String path, String endpoint, String nameField, int takenCode,
            int notFoundCode, Function<JsonNode, T> read) {}

    private static final Listed<KvNamespace> KV = new Listed<>("KV namespace", "/storage/kv/namespaces",
            "kv_namespace", "title", KV_TITLE_TAKEN, KV_NOT_FOUND, CloudflareResources::kvNamespace);
    private static final Listed<Queue> QUEUES = new Listed<>("queue", "/queues", "queue", "queue_name",
            QUEUE_NAME_TAKEN, QUEUE_NOT_FOUND, CloudflareResources::queue);
    private static final String R2 = "/r2/buckets";

    private final CloudflareClient cloudflare;

    public CloudflareResources(CloudflareClient cloudflare) {
        this.cloudflare = Objects.requireNonNull(cloudflare);
    }

    // ---- Workers KV namespaces ----

    /** The namespace with this title: created, or the existing one (10014) adopted. */
    public KvNamespace ensureKvNamespace(String title) {
        return ensure(KV, title);
    }

    /** The namespace with this title, searched over every page of the list. */
    public Optional<KvNamespace> findKvNamespace(String title) {
        return find(KV, title);
    }

    /** The namespaces with these titles, by title: one walk over the list, which ends once all are found. */
    public Map<String, KvNamespace> findKvNamespaces(Collection<String> titles) {
        return findAll(KV, titles);
    }

    /** Deletes the namespace: true if it was deleted now, false if it was already gone. */
    public boolean deleteKvNamespace(String id) {
        return delete(KV, id);
    }

    // ---- R2 buckets ----

    /** The bucket with this name: created, or the existing one (409 / 10004, "you own it") adopted. */
    public R2Bucket ensureR2Bucket(String name) {
        return ensure("R2 bucket", name, R2_BUCKET_OWNED,
                () -> r2Bucket(create("r2_bucket_create", R2, "name", name)),
                () -> findR2Bucket(name));
    }

    public Optional<R2Bucket> findR2Bucket(String name) {
        try {
            return Optional.of(r2Bucket(result(cloudflare.exchange("r2_bucket_get", "GET", R2 + "/" + segment(name),
                    null))));
        } catch (CloudflareException e) {
            if (gone(e, R2_NO_SUCH_BUCKET)) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /**
     * Deletes the bucket: true if it was deleted now, false if it was already gone. A bucket that still holds objects
     * is not deleted (Cloudflare deletes only empty buckets): that is a REJECTED {@link CloudflareException} saying so.
     */
    public boolean deleteR2Bucket(String name) {
        try {
            return delete("r2_bucket_delete", R2 + "/" + segment(name), R2_NO_SUCH_BUCKET);
        } catch (CloudflareException e) {
            if (e.code() == R2_BUCKET_NOT_EMPTY
                    || e.status() == 409 && e.getMessage().toLowerCase(Locale.ROOT).contains("not empty")) {
                throw new CloudflareException(CloudflareException.Kind.REJECTED, e.status(), e.code(),
                        "R2 bucket '" + name + "' still holds objects and Cloudflare deletes only empty buckets: "
                                + "empty it (the dashboard's Empty Bucket, a lifecycle rule that expires every "
                                + "object, or deleting the objects over the S3 API), then the deletion can go on",
                        null, e);
            }
            throw e;
        }
    }

    // ---- Queues ----

    /** The queue with this name: created, or the existing one (11009, name taken) adopted. */
    public Queue ensureQueue(String name) {
        return ensure(QUEUES, name);
    }

    /** The queue with this name, from the list (Cloudflare finds queues by id only). */
    public Optional<Queue> findQueue(String name) {
        return find(QUEUES, name);
    }

    /** The queues with these names, by name: one walk over the list, which ends once all are found. */
    public Map<String, Queue> findQueues(Collection<String> names) {
        return findAll(QUEUES, names);
    }

    /** Deletes the queue: true if it was deleted now, false if it was already gone. */
    public boolean deleteQueue(String id) {
        return delete(QUEUES, id);
    }

    // ---- shared ----

    private <T> T ensure(Listed<T> listed, String name) {
        return ensure(listed.kind(), name, listed.takenCode(),
                () -> listed.read().apply(create(listed.endpoint() + "_create", listed.path(), listed.nameField(),
                        name)),
                () -> find(listed, name));
    }

    private <T> Optional<T> find(Listed<T> listed, String name) {
        Objects.requireNonNull(name, listed.kind() + " name");
        return Optional.ofNullable(findAll(listed, Set.of(name)).get(name));
    }

    private <T> Map<String, T> findAll(Listed<T> listed, Collection<String> names) {
        Set<String> wanted = Set.copyOf(names);
        Map<String, T> found = new LinkedHashMap<>();
        if (wanted.isEmpty()) {
            return found;
        }
        walkPages(listed.endpoint() + "_list", listed.path(), item -> {
            String name = item.path(listed.nameField()).asText(null);
            if (wanted.contains(name)) {
                found.putIfAbsent(name, listed.read().apply(item));
            }
            return found.size() == wanted.size();
        });
        return found;
    }

    private boolean delete(Listed<?> listed, String id) {
        return delete(listed.endpoint() + "_delete", listed.path() + "/" + segment(id), listed.notFoundCode());
    }

    /**
     * Creates, or on {@code takenCode} finds the existing one. Should that one vanish between the two calls (deleted
     * by someone else), creating is tried once more; if the name is still taken and still not listed, the failure is
     * transient (UNAVAILABLE) so the reconcile is retried later.
     */
    private static <T> T ensure(String kind, String name, int takenCode, Supplier<T> create,
            Supplier<Optional<T>> find) {
        Objects.requireNonNull(name, kind + " name");
        for (int attempt = 1; attempt <= 2; attempt++) {
            try {
                return create.get();
            } catch (CloudflareException e) {
                if (e.code() != takenCode) {
                    throw e;
                }
            }
            Optional<T> existing = find.get();
            if (existing.isPresent()) {
                return existing.get();
            }
        }
        throw new CloudflareException(CloudflareException.Kind.UNAVAILABLE, 0, takenCode, "Cloudflare says the "
                + kind + " name '" + name + "' is taken, yet the " + kind + " is not found; will try again", null,
                null);
    }

    private JsonNode create(String endpoint, String path, String field, String name) {
        return result(cloudflare.exchange(endpoint, "POST", path, JsonNodeFactory.instance.objectNode().put(field,
                name)));
    }

    private boolean delete(String endpoint, String path, int notFoundCode) {
        try {
            cloudflare.exchange(endpoint, "DELETE", path, null);
            return true;
        } catch (CloudflareException e) {
            if (gone(e, notFoundCode)) {
                return false;
            }
            throw e;
        }
    }

    /**
     * Cloudflare saying the resource does not exist: its not-found code, or a 404 in Cloudflare's envelope (an error
     * code). A 404 without one (a proxy, a wrong base URL) is not taken as "gone".
     */
    private static boolean gone(CloudflareException e, int notFoundCode) {
        return e.code() == notFoundCode || e.status() == 404 && e.code() != 0;
    }

    /**
     * Shows {@code visit} every item of a page-numbered list, going through the pages as {@code result_info} says,
     * until it answers true. A list without {@code result_info} is one page (Cloudflare's queue list may be).
     */
    private void walkPages(String endpoint, String path, Predicate<JsonNode> visitUntilDone) {
        for (int page = 1; page <= MAX_PAGES; page++) {
            JsonNode envelope = cloudflare.exchange(endpoint, "GET", path + "?page=" + page + "&per_page=" + PER_PAGE,
                    null);
            JsonNode items = envelope.path("result");
            for (JsonNode item : items) {
                if (visitUntilDone.test(item)) {
                    return;
                }
            }
            if (!morePages(envelope.path("result_info"), page, items.size())) {
                return;
            }
        }
    }

    private static boolean morePages(JsonNode info, int page, int count) {
        if (count == 0 || !info.isObject()) {
            return false;
        }
        if (info.has("total_pages")) {
            return page < info.path("total_pages").asInt();
        }
        int perPage = info.path("per_page").asInt(PER_PAGE);
        if (info.has("total_count")) {
            return (long) page * perPage < info.path("total_count").asLong();
        }
        return count >= perPage;
    }

    private static JsonNode result(JsonNode envelope) {
        return envelope.path("result");
    }

    private static KvNamespace kvNamespace(JsonNode ns) {
        return new KvNamespace(text(ns, "id"), text(ns, "title"));
    }

    private static R2Bucket r2Bucket(JsonNode bucket) {
        return new R2Bucket(text(bucket, "name"), bucket.path("location").asText(""),
                bucket.path("creation_date").asText(""));
    }

    private static Queue queue(JsonNode q) {
        return new Queue(text(q, "queue_id"), text(q, "queue_name"));
    }

    // A field a resource cannot do without; an answer lacking it is not one to record.
    private static String text(JsonNode node, String field) {
        JsonNode value = node.path(field);
        if (!value.isTextual() || value.asText().isEmpty()) {
            throw new CloudflareException(CloudflareException.Kind.UNAVAILABLE, 0, 0,
                    "Cloudflare's answer lacks the '" + field + "' of the resource", null, null);
        }
        return value.asText();
    }
}
