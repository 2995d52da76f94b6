package dev.kuratchi.client.gateway;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kuratchi.client.http.JsonResponses;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import okhttp3.Headers;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSink;

/**
 * Sends JSON calls to the gateway over a shared OkHttp connection pool, with the {@link RetryPolicy}'s rules, and
 * turns the gateway's answers into JSON or a {@link GatewayException}. Shared by the data-plane and admin clients.
 */
public final class GatewayTransport {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final MediaType JSON_TYPE = MediaType.get("application/json");
    // One pool and dispatcher for every client built without its own OkHttpClient.
    private static final OkHttpClient SHARED_HTTP = new OkHttpClient.Builder()
            .connectTimeout(Duration.ofSeconds(5))
            .readTimeout(Duration.ofSeconds(30))
            .callTimeout(Duration.ofSeconds(60))
            .build();

    /** Pauses between attempts; replaced in tests so they do not wait. */
    public interface Sleeper {
        void sleep(Duration duration) throws InterruptedException;
    }

    private final OkHttpClient http;
    private final RetryPolicy retryPolicy;
    private final Sleeper sleeper;

    public GatewayTransport(OkHttpClient http, RetryPolicy retryPolicy, Sleeper sleeper) {
        this.http = http == null ? SHARED_HTTP : http;
        this.retryPolicy = retryPolicy;
        this.sleeper = sleeper;
    }

    public static GatewayTransport withDefaults() {
        return new GatewayTransport(null, RetryPolicy.DEFAULT, duration -> Thread.sleep(duration.toMillis()));
    }

    /**
     * Sends one call and returns the gateway's JSON answer when {@code success} is true. {@code idempotent} says
     * whether the call may be repeated after it may have reached the gateway.
     */
    public JsonNode call(String method, URI url, Map<String, String> headers, Object body, boolean idempotent) {
        return call(method, HttpUrl.get(url.toString()), Headers.of(headers), body == null ? null : serialize(body),
                idempotent, WHOLE);
    }

    /** Reads a value from a parser at its first token, through its last. Never null. */
    interface JsonReader<T> {
        T read(JsonParser json) throws IOException;
    }

    /** The whole answer as a tree. */
    static final JsonReader<JsonNode> WHOLE = json -> {
        ObjectNode answer = JSON.createObjectNode().put("success", true);
        while (json.nextToken() == JsonToken.FIELD_NAME) {
            String field = json.currentName();
            json.nextToken();
            answer.set(field, JSON.readTree(json));
        }
        return answer;
    };

    /** Writes a request body with Jackson's generator. */
    interface Body {
        void write(JsonGenerator json) throws IOException;
    }

    /** The bytes of one JSON object, written straight: no tree to build and walk again on every query. */
    static byte[] object(Body fields) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
        try (JsonGenerator json = JSON.getFactory().createGenerator(bytes)) {
            json.writeStartObject();
            fields.write(json);
            json.writeEndObject();
        } catch (IOException e) {
            throw new IllegalArgumentException("request body cannot be written as JSON", e);
        }
        return bytes.toByteArray();
    }

    /**
     * As above, with the URL and headers already in OkHttp's form and the body already written. {@code reader} reads
     * a successful answer into what the call returns: it starts just after the answer's {@code "success": true} and
     * reads the other fields through the object's end, skipping those it does not use.
     */
    <T> T call(String method, HttpUrl url, Headers headers, byte[] payload, boolean idempotent, JsonReader<T> reader) {
        for (int attempt = 1; ; attempt++) {
            RetryPolicy.Failure failure;
            Duration retryAfter = null;
            GatewayException error;
            try (Response response = http.newCall(request(method, url, headers, payload)).execute()) {
                byte[] body = response.body().bytes();
                if (response.isSuccessful()) {
                    T read = readStreaming(body, reader);
                    if (read != null) {
                        return read;
                    }
                }
                JsonNode answer = JsonResponses.objectOrNull(body);
                if (answer != null && response.isSuccessful() && answer.path("success").asBoolean(false)) {
                    return readTree(answer, reader);
                }
                error = errorOf(response.code(), answer);
                if (response.code() == 429) {
                    failure = RetryPolicy.Failure.RATE_LIMITED;
                    retryAfter = retryAfter(response.header("retry-after"));
                } else if (response.code() >= 500) {
                    failure = RetryPolicy.Failure.SERVER_ERROR;
                } else {
                    throw error;
                }
            } catch (IOException e) {
                failure = isConnectFailure(e) ? RetryPolicy.Failure.CONNECT : RetryPolicy.Failure.IO;
                error = new GatewayException(0, "unreachable", "gateway unreachable at " + origin(url) + ": "
                        + e.getMessage(), null, null, e);
            }
            Optional<Duration> delay = retryPolicy.nextDelay(attempt, failure, idempotent, retryAfter);
            if (delay.isEmpty()) {
                throw error;
            }
            try {
                sleeper.sleep(delay.get());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw error;
            }
        }
    }

    // The common case, read without a tree: the gateway writes "success": true first. Anything else (another order,
    // a success that is not the literal true, a body that does not parse or a reader that cannot take it) is left to
    // the tree, which decides between an answer and an error as it always has: then this returns null.
    private static <T> T readStreaming(byte[] body, JsonReader<T> reader) {
        try (JsonParser json = JSON.getFactory().createParser(body)) {
            // A second "success" (false, say) would be read past; the tree takes the last one, as it always did.
            json.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
            if (json.nextToken() == JsonToken.START_OBJECT && json.nextToken() == JsonToken.FIELD_NAME
                    && "success".equals(json.currentName()) && json.nextToken() == JsonToken.VALUE_TRUE) {
                return reader.read(json);
            }
        } catch (IOException | RuntimeException e) {
            // the tree says what is wrong
        }
        return null;
    }

    private static <T> T readTree(JsonNode answer, JsonReader<T> reader) {
        if (reader == WHOLE) {
            @SuppressWarnings("unchecked")
            T whole = (T) answer;
            return whole;
        }
        try (JsonParser json = answer.traverse(JSON)) {
            json.nextToken();
            return reader.read(json);
        } catch (IOException e) {
            throw new GatewayException(200, "invalid_response",
                    "the gateway's answer cannot be read: " + e.getMessage());
        }
    }

    private static Request request(String method, HttpUrl url, Headers headers, byte[] payload) {
        return new Request.Builder().url(url).headers(headers)
                .method(method, payload == null ? null : oneShot(payload)).build();
    }

    // Scheme, host and port only: a user:password in the endpoint must not reach an exception message.
    private static String origin(HttpUrl url) {
        String host = url.host().contains(":") ? "[" + url.host() + "]" : url.host();
        return url.scheme() + "://" + host + ":" + url.port();
    }

    // A one-shot body stops OkHttp from silently re-sending a request whose connection failed after it was
    // sent: whether to repeat a call is the RetryPolicy's decision alone, because a write may have been applied.
    private static RequestBody oneShot(byte[] payload) {
        return new RequestBody() {
            @Override
            public MediaType contentType() {
                return JSON_TYPE;
            }

            @Override
            public long contentLength() {
                return payload.length;
            }

            @Override
            public boolean isOneShot() {
                return true;
            }

            @Override
            public void writeTo(BufferedSink sink) throws IOException {
                sink.write(payload);
            }
        };
    }

    private static GatewayException errorOf(int status, JsonNode answer) {
        if (answer == null) {
            // The body is not quoted: it is not the gateway's and may be anything.
            return new GatewayException(status, "http_" + status,
                    "gateway answered HTTP " + status + " without a JSON body (wrong endpoint, or an error in front of it)");
        }
        String code = answer.path("code").asText("http_" + status);
        String message = answer.path("error").asText("gateway answered HTTP " + status);
        JsonNode sqlite = answer.get("sqliteCode");
        JsonNode index = answer.get("index");
        Map<String, String> details = new HashMap<>();
        answer.fields().forEachRemaining(field -> {
            if (field.getValue().isValueNode() && !field.getValue().isNull()
                    && !List.of("success", "code", "error").contains(field.getKey())) {
                details.put(field.getKey(), field.getValue().asText());
            }
        });
        return new GatewayException(status, code, message, sqlite == null ? null : sqlite.asText(),
                index == null || !index.isInt() ? null : index.intValue(), null, details);
    }

    private static Duration retryAfter(String header) {
        try {
            return header == null ? null : Duration.ofSeconds(Long.parseLong(header.trim()));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static boolean isConnectFailure(IOException e) {
        return e instanceof ConnectException || e instanceof UnknownHostException || e instanceof NoRouteToHostException;
    }

    static byte[] serialize(Object body) {
        try {
            return JSON.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new IllegalArgumentException("request body cannot be written as JSON", e);
        }
    }
}
