package dev.kuratchi.client.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kuratchi.client.http.JsonResponses;
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
        byte[] payload = body == null ? null : serialize(body);
        for (int attempt = 1; ; attempt++) {
            RetryPolicy.Failure failure;
            Duration retryAfter = null;
            GatewayException error;
            try (Response response = http.newCall(request(method, url, headers, payload)).execute()) {
                JsonNode answer = JsonResponses.objectOrNull(response);
                if (answer != null && response.isSuccessful() && answer.path("success").asBoolean(false)) {
                    return answer;
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
                error = new GatewayException(0, "unreachable",
                        "gateway unreachable at " + url.getScheme() + "://" + url.getAuthority() + ": " + e.getMessage(),
                        null, null, e);
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

    private static Request request(String method, URI url, Map<String, String> headers, byte[] payload) {
        Request.Builder builder = new Request.Builder().url(url.toString());
        headers.forEach(builder::header);
        return builder.method(method, payload == null ? null : oneShot(payload)).build();
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

    private static byte[] serialize(Object body) {
        try {
            return JSON.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new IllegalArgumentException("request body cannot be written as JSON", e);
        }
    }
}
