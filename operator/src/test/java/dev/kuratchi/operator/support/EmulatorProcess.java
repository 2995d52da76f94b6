package dev.kuratchi.operator.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kuratchi.operator.cloudflare.ApiRateLimiter;
import dev.kuratchi.operator.cloudflare.CloudflareClient;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/** The local Cloudflare API emulator (worker/emulator) as a child process, with its test controls. */
public final class EmulatorProcess implements AutoCloseable {
    public static final String API_TOKEN = "operator-test-cloudflare-token";
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Process process;
    private final JsonNode info;
    private final Path dataDir;
    private final OkHttpClient http = new OkHttpClient();

    private EmulatorProcess(Process process, JsonNode info, Path dataDir) {
        this.process = process;
        this.info = info;
        this.dataDir = dataDir;
    }

    public static EmulatorProcess start() {
        Path workerDir = Path.of(System.getProperty("kuratchi.worker.dir", "../worker")).toAbsolutePath().normalize();
        Path dataDir;
        try {
            dataDir = Files.createTempDirectory("kuratchi-emulator-");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        ReadyLine.Started started = ReadyLine.start(new ProcessBuilder("node", "emulator/main.js", "--quiet",
                "--api-token", API_TOKEN, "--data-dir", dataDir.toString()).directory(workerDir.toFile()),
                "the emulator (is npm ci done in worker/?)");
        return new EmulatorProcess(started.process(), started.info(), dataDir);
    }

    public URI apiUrl() {
        return URI.create(info.get("apiUrl").asText());
    }

    public String accountId() {
        return info.get("accountId").asText();
    }

    /** The gateway's URL on the workers front (path form). */
    public URI gatewayUrl(String scriptName) {
        return URI.create(info.get("workersUrl").asText() + "/" + scriptName);
    }

    /** Method and path of every API call so far. */
    public List<JsonNode> calls() {
        return calls("api", 0);
    }

    /**
     * Requests after {@code seq} to {@code target}: {@code api} (Cloudflare's API) or {@code workers} (the uploaded
     * Workers, the gateway's data and control plane), in order; both count in one sequence.
     */
    public List<JsonNode> calls(String target, long seq) {
        return recorded("target=" + target + "&since=" + seq);
    }

    private List<JsonNode> recorded(String query) {
        JsonNode answer = control("GET", "/__emulator/calls?" + query, null);
        List<JsonNode> calls = new ArrayList<>();
        answer.path("result").forEach(calls::add);
        return calls;
    }

    /**
     * The sequence number of the last request so far, to either target (0 when none): where {@link #callsSince} and
     * {@link #calls(String, long)} start.
     */
    public long lastSeq() {
        List<JsonNode> calls = recorded("since=0");
        return calls.isEmpty() ? 0 : calls.get(calls.size() - 1).path("seq").asLong();
    }

    /** The API calls after {@code seq}, in order. */
    public List<JsonNode> callsSince(long seq) {
        return calls("api", seq);
    }

    /** The HTTP statuses of the calls after {@code seq} with this method and a path ending in {@code pathSuffix}. */
    public List<Integer> statuses(String method, String pathSuffix, long seq) {
        return callsSince(seq).stream().filter(c -> c.path("method").asText().equals(method)
                && c.path("path").asText().endsWith(pathSuffix)).map(c -> c.path("status").asInt()).toList();
    }

    /**
     * A Cloudflare client on this emulator, as the operator builds one, with a limiter of its own (a 429 pauses only
     * this client).
     */
    public CloudflareClient cloudflareClient(String apiToken, MeterRegistry metrics) {
        return new CloudflareClient(apiUrl(), apiToken, accountId(), new OkHttpClient(),
                ApiRateLimiter.of(1200, Duration.ofMinutes(5)), metrics);
    }

    public long count(String method, String pathSuffix) {
        return calls().stream().filter(c -> c.path("method").asText().equals(method)
                && c.path("path").asText().endsWith(pathSuffix)).count();
    }

    /** Calls the emulated Cloudflare API as the operator would (for tests that change things behind its back). */
    public int api(String method, String accountPath) {
        try (Response response = http.newCall(apiRequest(method, accountPath,
                method.equals("GET") || method.equals("DELETE") ? null : "{}")).execute()) {
            return response.code();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Like {@link #api(String, String)} with a JSON body (null for none); returns the answer's envelope. */
    public JsonNode api(String method, String accountPath, String jsonBody) {
        try (Response response = http.newCall(apiRequest(method, accountPath, jsonBody)).execute()) {
            return JSON.readTree(response.body().string());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private Request apiRequest(String method, String accountPath, String jsonBody) {
        return new Request.Builder().url(apiUrl() + "/accounts/" + accountId() + accountPath)
                .header("authorization", "Bearer " + API_TOKEN)
                .method(method, jsonBody == null ? null
                        : RequestBody.create(jsonBody, MediaType.get("application/json"))).build();
    }

    public void fault(String spec) {
        control("POST", "/__emulator/faults", spec);
    }

    public void clearFaults() {
        control("DELETE", "/__emulator/faults", null);
    }

    private JsonNode control(String method, String path, String body) {
        URI base = apiUrl();
        Request request = new Request.Builder().url(base.getScheme() + "://" + base.getAuthority() + path)
                .method(method, body == null ? null : RequestBody.create(body, MediaType.get("application/json"))).build();
        try (Response response = http.newCall(request).execute()) {
            return JSON.readTree(response.body().string());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
        try (var files = Files.walk(dataDir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
