package dev.kuratchi.client.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BinaryNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.stream.Stream;

/**
 * The database's key-value store, kuratchi-sdk's {@code kv}: {@code /api/kv/get}, {@code put}, {@code delete} and
 * {@code list}, with the same authentication as {@link GatewayClient}'s SQL calls. Get one from
 * {@link GatewayClient#kv()}.
 *
 * <p>A value is text, bytes or a JSON value, stored as it was put. Each getter reads any of them, as Workers KV's
 * types do: text and bytes convert through UTF-8 ({@link #getText} refuses bytes that are not UTF-8), and a JSON value
 * reads as its JSON text. Keys are non-empty, at most 2048 UTF-8 bytes, and must not start with {@code __kuratchi:}
 * (the gateway's own; refused with the code {@code reserved_key}). An expired key reads and lists as absent.
 *
 * <p>Gets, lists and puts are sent again after a 5xx or a broken connection (a put overwrites the whole entry, so a
 * second one changes nothing); a delete is not, see {@link #delete}. A refused token is reloaded as for SQL calls.
 * Thread-safe: it holds nothing but its {@link GatewayClient}.
 */
public final class KeyValueStore {
    private static final int MAX_LIST_LIMIT = 1000;

    private final GatewayClient gateway;

    KeyValueStore(GatewayClient gateway) {
        this.gateway = gateway;
    }

    /** A key's value and the metadata it was put with ({@code null} when it has none). */
    public record Entry<T>(T value, JsonNode metadata) {}

    /**
     * What to keep beside a value: JSON metadata (at most 1024 bytes as JSON text) and an expiry, either a time
     * ({@code expiresAt}) or a time to live from the put ({@code ttl}), at least 60 seconds ahead and in whole seconds.
     * Every field may be null.
     */
    public record PutOptions(JsonNode metadata, Instant expiresAt, Duration ttl) {
        public PutOptions {
            if (expiresAt != null && ttl != null) {
                throw new IllegalArgumentException("give an expiry time or a time to live, not both");
            }
        }

        /** No metadata and no expiry: a put with these removes what an earlier put kept. */
        public static PutOptions defaults() {
            return new PutOptions(null, null, null);
        }

        public PutOptions withMetadata(JsonNode metadata) {
            return new PutOptions(metadata, expiresAt, ttl);
        }

        /** Expires at this time (seconds are kept, the rest dropped); replaces a time to live. */
        public PutOptions withExpiresAt(Instant expiresAt) {
            return new PutOptions(metadata, expiresAt, null);
        }

        /** Expires this long after the gateway stores it (whole seconds); replaces an expiry time. */
        public PutOptions withTtl(Duration ttl) {
            return new PutOptions(metadata, null, ttl);
        }
    }

    /**
     * Which keys to list, in UTF-8 byte order: those with {@code prefix}, from {@code start} (or after
     * {@code startAfter}, not both) to before {@code end}, at most {@code limit} (1 to 1000) a page, in reverse when
     * {@code reverse}. Null strings mean no bound.
     */
    public record ListOptions(String prefix, String start, String startAfter, String end, int limit, boolean reverse) {
        public static ListOptions all() {
            return new ListOptions(null, null, null, null, MAX_LIST_LIMIT, false);
        }

        public static ListOptions prefixed(String prefix) {
            return all().withPrefix(prefix);
        }

        public ListOptions withPrefix(String prefix) {
            return new ListOptions(prefix, start, startAfter, end, limit, reverse);
        }

        public ListOptions withStart(String start) {
            return new ListOptions(prefix, start, startAfter, end, limit, reverse);
        }

        public ListOptions withStartAfter(String startAfter) {
            return new ListOptions(prefix, start, startAfter, end, limit, reverse);
        }

        /** Lists keys before {@code end} only ({@code end} itself is left out). */
        public ListOptions withEnd(String end) {
            return new ListOptions(prefix, start, startAfter, end, limit, reverse);
        }

        /** At most this many keys a page, 1 to 1000. */
        public ListOptions withLimit(int limit) {
            return new ListOptions(prefix, start, startAfter, end, limit, reverse);
        }

        /** Lists from the last key down. */
        public ListOptions reversed() {
            return new ListOptions(prefix, start, startAfter, end, limit, true);
        }
    }

    /** One listed key: its expiry, when it has one, and its metadata ({@code null} when none). */
    public record Key(String name, Optional<Instant> expiration, JsonNode metadata) {}

    /**
     * One page of keys. {@code complete} is true on the last page; otherwise {@code cursor} is what to pass to
     * {@link #list(ListOptions, String)}, with the same options, for the next one.
     */
    public record Page(List<Key> keys, boolean complete, Optional<String> cursor) {
        public Page {
            keys = List.copyOf(keys);
        }
    }

    /** The value as text; bytes must be UTF-8, and a JSON value that is not a string comes as its JSON text. */
    public Optional<String> getText(String key) {
        return get(key, "text", false, KeyValueStore::text).map(Entry::value);
    }

    /** The value as bytes; text comes as its UTF-8 bytes, and a JSON value that is not a string as its JSON text's. */
    public Optional<byte[]> getBytes(String key) {
        return get(key, "arrayBuffer", false, KeyValueStore::bytes).map(Entry::value);
    }

    /**
     * The value as JSON: a JSON value as it was put, text as a string node, bytes as a {@link BinaryNode}. A JSON
     * {@code null} that was put reads as absent: the gateway answers it as it answers a missing key.
     */
    public Optional<JsonNode> getJson(String key) {
        return get(key, "json", false, (k, value) -> value).map(Entry::value);
    }

    /** {@link #getText} with the key's metadata. */
    public Optional<Entry<String>> getTextWithMetadata(String key) {
        return get(key, "text", true, KeyValueStore::text);
    }

    /** {@link #getBytes} with the key's metadata. */
    public Optional<Entry<byte[]>> getBytesWithMetadata(String key) {
        return get(key, "arrayBuffer", true, KeyValueStore::bytes);
    }

    /** {@link #getJson} with the key's metadata. */
    public Optional<Entry<JsonNode>> getJsonWithMetadata(String key) {
        return get(key, "json", true, (k, value) -> value);
    }

    /** Stores text, without metadata or expiry. */
    public void putText(String key, String value) {
        putText(key, value, PutOptions.defaults());
    }

    /** Stores text, with the options' metadata and expiry. */
    public void putText(String key, String value, PutOptions options) {
        put(key, "text", TextNode.valueOf(Objects.requireNonNull(value, "value")), options);
    }

    /** Stores bytes, without metadata or expiry. */
    public void putBytes(String key, byte[] value) {
        putBytes(key, value, PutOptions.defaults());
    }

    /** Stores bytes, with the options' metadata and expiry. */
    public void putBytes(String key, byte[] value, PutOptions options) {
        String base64 = Base64.getEncoder().encodeToString(Objects.requireNonNull(value, "value"));
        put(key, "base64", TextNode.valueOf(base64), options);
    }

    /** Stores a JSON value, without metadata or expiry. */
    public void putJson(String key, JsonNode value) {
        putJson(key, value, PutOptions.defaults());
    }

    /** Stores a JSON value, with the options' metadata and expiry. */
    public void putJson(String key, JsonNode value, PutOptions options) {
        put(key, "json", Objects.requireNonNull(value, "value"), options);
    }

    /**
     * Deletes the key with its metadata; true when it was there (an expired key was not). After a 5xx or a broken
     * connection it throws rather than sending again, as the key may be gone already; deleting again is harmless.
     */
    public boolean delete(String key) {
        ObjectNode body = GatewayTransport.JSON.createObjectNode().put("key", requireKey(key));
        // Not repeated once it may have reached the gateway, unlike put: a repeat of a delete that was applied
        // would find nothing and answer false, so the answer would be wrong although the key is gone.
        return gateway.send("kv/delete", body, false).path("deleted").asBoolean();
    }

    /** The first page of keys. */
    public Page list(ListOptions options) {
        return list(options, null);
    }

    /** The page at {@code cursor} (from the previous {@link Page}, listed with the same options); null for the first. */
    public Page list(ListOptions options, String cursor) {
        ObjectNode body = GatewayTransport.JSON.createObjectNode();
        putIfGiven(body, "prefix", options.prefix());
        putIfGiven(body, "start", options.start());
        putIfGiven(body, "startAfter", options.startAfter());
        putIfGiven(body, "end", options.end());
        body.put("limit", options.limit()).put("reverse", options.reverse());
        putIfGiven(body, "cursor", cursor);
        JsonNode answer = gateway.send("kv/list", body, true);
        List<Key> keys = new ArrayList<>();
        answer.path("keys").forEach(key -> keys.add(new Key(key.path("name").asText(),
                key.hasNonNull("expiration") ? Optional.of(Instant.ofEpochSecond(key.get("expiration").asLong()))
                        : Optional.empty(),
                metadata(key))));
        JsonNode next = answer.path("cursor");
        return new Page(keys, answer.path("list_complete").asBoolean(), Optional.ofNullable(next.textValue()));
    }

    /**
     * Every key the options select, across pages of {@code limit} keys: the first is fetched now, each further one
     * when the stream reaches it.
     * Keys put or deleted meanwhile may or may not appear, as with pages listed one by one.
     */
    public Stream<Key> keys(ListOptions options) {
        return Stream.iterate(list(options), Objects::nonNull,
                        page -> page.cursor().map(cursor -> list(options, cursor)).orElse(null))
                .flatMap(page -> page.keys().stream());
    }

    @Override
    public String toString() {
        return "KeyValueStore[database=" + gateway.databaseName() + "]";
    }

    // The answer's value becomes one JSON node that still says what the gateway sent (bytes as a BinaryNode), which
    // `convert` turns into what the getter returns.
    private <T> Optional<Entry<T>> get(String key, String type, boolean withMetadata,
            BiFunction<String, JsonNode, T> convert) {
        ObjectNode body = GatewayTransport.JSON.createObjectNode().put("key", requireKey(key)).put("type", type)
                .put("withMetadata", withMetadata);
        JsonNode answer = gateway.send("kv/get", body, true);
        JsonNode value = answer.path("value");
        if (value.isNull() || value.isMissingNode()) {
            return Optional.empty();
        }
        JsonNode decoded = answer.path("encoding").asText().equals("base64")
                ? BinaryNode.valueOf(Base64.getDecoder().decode(value.asText()))
                : value;
        return Optional.of(new Entry<>(convert.apply(key, decoded), metadata(answer)));
    }

    // Repeated after a 5xx or a broken connection, like a read: a put overwrites the whole entry (value, metadata,
    // expiry), so a second application leaves what one leaves. Only a write by another client between the two
    // attempts can tell, and that write raced this put anyway.
    private void put(String key, String encoding, JsonNode value, PutOptions options) {
        ObjectNode body = GatewayTransport.JSON.createObjectNode().put("key", requireKey(key));
        body.set("value", value);
        body.put("encoding", encoding);
        if (options.metadata() != null) {
            body.set("metadata", options.metadata());
        }
        if (options.expiresAt() != null) {
            body.put("expiration", options.expiresAt().getEpochSecond());
        }
        if (options.ttl() != null) {
            body.put("expirationTtl", options.ttl().toSeconds());
        }
        gateway.send("kv/put", body, true);
    }

    private static String text(String key, JsonNode value) {
        if (!value.isBinary()) {
            return jsonText(value);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(((BinaryNode) value).binaryValue()))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new IllegalStateException("the value of '" + key + "' is bytes that are not UTF-8 text; "
                    + "read it with getBytes", e);
        }
    }

    private static byte[] bytes(String key, JsonNode value) {
        return value.isBinary() ? ((BinaryNode) value).binaryValue() : jsonText(value).getBytes(StandardCharsets.UTF_8);
    }

    // Workers KV keeps a JSON value as its text, so that is what the text and bytes views of one are.
    private static String jsonText(JsonNode value) {
        return value.isTextual() ? value.textValue() : value.toString();
    }

    private static JsonNode metadata(JsonNode node) {
        JsonNode metadata = node.get("metadata");
        return metadata == null || metadata.isNull() ? null : metadata;
    }

    private static void putIfGiven(ObjectNode body, String field, String value) {
        if (value != null) {
            body.put(field, value);
        }
    }

    // The gateway's own message for an empty key ("Key is required") does not say which call had it.
    private static String requireKey(String key) {
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("a key-value key must not be null or empty");
        }
        return key;
    }
}
