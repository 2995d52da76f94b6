package dev.kuratchi.operator.cloudflare;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kuratchi.client.http.JsonResponses;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import okhttp3.MediaType;
import okhttp3.MultipartBody;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * The Cloudflare API calls the operator makes, all through one rate limiter. Transient failures (429 with
 * Retry-After, 5xx, no answer) are retried with backoff a few times; permanent ones are thrown at once, classified.
 * Every call is counted by endpoint and outcome.
 */
public final class CloudflareClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final MediaType JSON_TYPE = MediaType.get("application/json");
    private static final MediaType MODULE_TYPE = MediaType.get("application/javascript+module");
    private static final int MAX_ATTEMPTS = 4;

    /** One module of a Worker upload. */
    public record Module(String name, byte[] content) {}

    private final URI base;
    private final String apiToken;
    private final String accountId;
    private final OkHttpClient http;
    private final ApiRateLimiter limiter;
    private final MeterRegistry metrics;

    public CloudflareClient(URI base, String apiToken, String accountId, OkHttpClient http, ApiRateLimiter limiter,
            MeterRegistry metrics) {
        this.base = base;
        this.apiToken = apiToken;
        this.accountId = accountId;
        this.http = http;
        this.limiter = limiter;
        this.metrics = metrics;
    }

    /** The script's settings (bindings without secret values), or empty when there is no such script. */
    public Optional<JsonNode> scriptSettings(String script) {
        try {
            return Optional.of(call("script_settings", get("/workers/scripts/" + script + "/settings")));
        } catch (CloudflareException e) {
            if (e.status() == 404) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** Uploads (creates or replaces) a module Worker. */
    public JsonNode uploadScript(String script, JsonNode metadata, List<Module> modules) {
        return call("script_upload", () -> {
            MultipartBody.Builder form = new MultipartBody.Builder().setType(MultipartBody.FORM)
                    .addFormDataPart("metadata", "metadata.json",
                            RequestBody.create(metadata.toString().getBytes(StandardCharsets.UTF_8), JSON_TYPE));
            for (Module module : modules) {
                form.addFormDataPart(module.name(), module.name(), RequestBody.create(module.content(), MODULE_TYPE));
            }
            return request("/workers/scripts/" + script).put(form.build()).build();
        });
    }

    public JsonNode scriptSubdomain(String script) {
        return call("script_subdomain", get("/workers/scripts/" + script + "/subdomain"));
    }

    public JsonNode enableScriptSubdomain(String script) {
        return call("script_subdomain_enable", () -> request("/workers/scripts/" + script + "/subdomain")
                .post(RequestBody.create("{\"enabled\":true}", JSON_TYPE)).build());
    }

    /** The account's workers.dev subdomain. */
    public String accountSubdomain() {
        return call("account_subdomain", get("/workers/subdomain")).path("subdomain").asText();
    }

    /**
     * A JSON call on a path below the account (its segments already {@link #segment encoded}) through the same
     * limiter, retries and metrics as every other call. Returns the whole envelope, so that lists can read
     * {@code result_info}. {@code body} null sends none.
     */
    JsonNode exchange(String endpoint, String method, String accountPath, JsonNode body) {
        return send(endpoint, () -> request(accountPath)
                .method(method, body == null ? null : RequestBody.create(body.toString(), JSON_TYPE)).build());
    }

    /**
     * One path segment, percent-encoded. An empty segment, {@code .} or {@code ..} would change the path the call
     * goes to (they are resolved away before sending, even encoded), so they are refused.
     */
    static String segment(String value) {
        if (value == null || value.isEmpty() || value.equals(".") || value.equals("..")) {
            throw new IllegalArgumentException("not usable as a Cloudflare API path segment: '" + value + "'");
        }
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private interface RequestFactory {
        Request create();
    }

    private RequestFactory get(String path) {
        return () -> request(path).get().build();
    }

    private Request.Builder request(String accountPath) {
        return new Request.Builder().url(base + "/accounts/" + accountId + accountPath)
                .header("authorization", "Bearer " + apiToken);
    }

    private JsonNode call(String endpoint, RequestFactory factory) {
        return send(endpoint, factory).path("result");
    }

    // The whole envelope of a successful call.
    private JsonNode send(String endpoint, RequestFactory factory) {
        CloudflareException last = null;
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            waitForPermit(endpoint);
            try (Response response = http.newCall(factory.create()).execute()) {
                JsonNode body = JsonResponses.objectOrNull(response);
                if (response.isSuccessful() && body != null && body.path("success").asBoolean(false)) {
                    count(endpoint, "success");
                    return body;
                }
                last = failure(response, body);
            } catch (IOException e) {
                last = new CloudflareException(CloudflareException.Kind.UNAVAILABLE, 0, 0,
                        "Cloudflare API unreachable at " + base.getHost() + ": " + e.getMessage(), null, e);
            }
            count(endpoint, last.status() == 404 ? "not_found" : last.kind().name().toLowerCase());
            if (last.isPermanent()) {
                throw last;
            }
            Duration pause = last.retryAfter() != null ? last.retryAfter()
                    : Duration.ofMillis(200L << Math.min(attempt - 1, 6));
            if (last.kind() == CloudflareException.Kind.RATE_LIMITED) {
                limiter.pause(pause);
                if (pause.compareTo(Duration.ofSeconds(10)) > 0) {
                    throw last;
                }
            } else {
                sleep(pause);
            }
        }
        throw last;
    }

    private void waitForPermit(String endpoint) {
        try {
            Duration wait = limiter.acquire();
            if (!wait.isZero()) {
                count(endpoint, "throttled");
                throw new CloudflareException(CloudflareException.Kind.RATE_LIMITED, 429, 0,
                        "the operator is holding back Cloudflare API calls to stay under the account's rate limit",
                        wait, null);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CloudflareException(CloudflareException.Kind.UNAVAILABLE, 0, 0, "interrupted", null, e);
        }
    }

    private static CloudflareException failure(Response response, JsonNode body) {
        int status = response.code();
        JsonNode error = body == null ? null : body.path("errors").path(0);
        int code = error == null ? 0 : error.path("code").asInt(0);
        String message = error == null || error.isMissingNode()
                ? "Cloudflare API answered HTTP " + status
                : error.path("message").asText() + " [code: " + code + "]";
        Duration retryAfter = Optional.ofNullable(response.header("retry-after")).flatMap(CloudflareClient::seconds)
                .orElse(null);
        CloudflareException.Kind kind;
        if (status == 429) {
            kind = CloudflareException.Kind.RATE_LIMITED;
            retryAfter = retryAfter == null ? Duration.ofSeconds(60) : retryAfter;
        } else if (status >= 500) {
            kind = CloudflareException.Kind.UNAVAILABLE;
        } else if (status == 401 || status == 403) {
            kind = CloudflareException.Kind.AUTHENTICATION;
        } else {
            kind = CloudflareException.Kind.REJECTED;
        }
        return new CloudflareException(kind, status, code, message, retryAfter, null);
    }

    private static Optional<Duration> seconds(String header) {
        try {
            return Optional.of(Duration.ofSeconds(Long.parseLong(header.trim())));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private void count(String endpoint, String outcome) {
        Counter.builder("kuratchi_cloudflare_calls").description("Cloudflare API calls by endpoint and outcome")
                .tags("endpoint", endpoint, "outcome", outcome).register(metrics).increment();
    }

    private static void sleep(Duration pause) {
        try {
            Thread.sleep(pause.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "CloudflareClient[" + base + ", account=" + accountId + "]";
    }
}
