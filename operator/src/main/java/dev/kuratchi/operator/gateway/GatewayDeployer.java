package dev.kuratchi.operator.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kuratchi.client.token.GatewayKey;
import dev.kuratchi.operator.cloudflare.CloudflareClient;
import dev.kuratchi.operator.cloudflare.CloudflareClient.Module;
import dev.kuratchi.operator.cloudflare.CloudflareException;
import java.io.IOException;
import java.net.URI;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes sure the gateway Worker runs in the account, once per account rather than once per database. The upload
 * carries a plain-text binding with a hash of its content and keys, so an unchanged Worker is never uploaded
 * again, not even after an operator restart. Concurrent reconciles share one deployment in flight.
 */
public final class GatewayDeployer {
    static final String BUNDLE_HASH_BINDING = "KURATCHI_BUNDLE_HASH";
    private static final Logger LOG = LoggerFactory.getLogger(GatewayDeployer.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);

    /** The deployed gateway: where apps reach it. */
    public record Deployment(URI endpoint, String bundleHash) {}

    private final CloudflareClient cloudflare;
    private final WorkerBundle bundle;
    private final String scriptName;
    private final GatewayKey key;
    private final Optional<GatewayKey> previousKey;
    private final Function<String, URI> endpointForSubdomain;
    private final Optional<String> configuredSubdomain;
    private final OkHttpClient http;
    private final String bundleHash;
    private CompletableFuture<Deployment> current;

    public GatewayDeployer(CloudflareClient cloudflare, WorkerBundle bundle, String scriptName, GatewayKey key,
            Optional<GatewayKey> previousKey, Optional<String> configuredSubdomain,
            Function<String, URI> endpointForSubdomain, OkHttpClient http) {
        this.cloudflare = cloudflare;
        this.bundle = bundle;
        this.scriptName = scriptName;
        this.key = key;
        this.previousKey = previousKey;
        this.configuredSubdomain = configuredSubdomain;
        this.endpointForSubdomain = endpointForSubdomain;
        this.http = http;
        this.bundleHash = hash(bundle, key, previousKey);
    }

    /** The deployment, deploying first when this process has not yet (or the last attempt failed). */
    public Deployment ensureDeployed() {
        CompletableFuture<Deployment> deployment;
        boolean mine = false;
        synchronized (this) {
            if (current == null || current.isCompletedExceptionally()) {
                current = new CompletableFuture<>();
                mine = true;
            }
            deployment = current;
        }
        if (mine) {
            try {
                deployment.complete(deploy());
            } catch (RuntimeException e) {
                deployment.completeExceptionally(e);
            }
        }
        try {
            return deployment.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException cause ? cause : e;
        }
    }

    /**
     * Forgets the deployment, so the next {@link #ensureDeployed} checks Cloudflare again: for when the gateway
     * answers as if nothing were deployed (the script was deleted, or its workers.dev route disabled).
     */
    public synchronized void forget() {
        if (current != null && current.isDone()) {
            current = null;
        }
    }

    private Deployment deploy() {
        Optional<JsonNode> settings = cloudflare.scriptSettings(scriptName);
        boolean upToDate = settings.map(s -> hasBundleHash(s, bundleHash)).orElse(false);
        if (upToDate) {
            LOG.info("gateway Worker {} is up to date ({}); not uploading", scriptName, bundleHash.substring(0, 12));
        } else {
            upload(settings.isEmpty());
        }
        if (!upToDate || !cloudflare.scriptSubdomain(scriptName).path("enabled").asBoolean(false)) {
            cloudflare.enableScriptSubdomain(scriptName);
        }
        URI endpoint = endpointForSubdomain.apply(configuredSubdomain.orElseGet(cloudflare::accountSubdomain));
        if (!upToDate) {
            waitUntilServing(endpoint);
        }
        return new Deployment(endpoint, bundleHash);
    }

    // A new script needs the new_sqlite_classes migration; an existing one refuses it (10074). As kuratchi-sdk
    // does, the other form is tried once when Cloudflare says the class state is not what we thought.
    private void upload(boolean scriptIsNew) {
        LOG.info("uploading gateway Worker {} ({})", scriptName, bundleHash.substring(0, 12));
        try {
            cloudflare.uploadScript(scriptName, metadata(scriptIsNew), bundle.modules());
        } catch (CloudflareException e) {
            boolean classExists = e.code() == 10074 || e.getMessage().contains("already depended on");
            boolean classMissing = e.code() == 10061;
            if (!(scriptIsNew && classExists) && !(!scriptIsNew && classMissing)) {
                throw e;
            }
            cloudflare.uploadScript(scriptName, metadata(!scriptIsNew), bundle.modules());
        }
    }

    ObjectNode metadata(boolean withMigration) {
        ObjectNode metadata = JSON.createObjectNode();
        metadata.put("main_module", bundle.mainModule());
        metadata.put("compatibility_date", bundle.compatibilityDate());
        ArrayNode bindings = metadata.putArray("bindings");
        bindings.addObject().put("type", "durable_object_namespace").put("name", bundle.durableObjectBinding())
                .put("class_name", bundle.durableObjectClass());
        bindings.addObject().put("type", "secret_text").put("name", bundle.gatewayKeyBinding()).put("text", key.reveal());
        previousKey.ifPresent(previous -> bindings.addObject().put("type", "secret_text")
                .put("name", bundle.previousGatewayKeyBinding()).put("text", previous.reveal()));
        bindings.addObject().put("type", "plain_text").put("name", BUNDLE_HASH_BINDING).put("text", bundleHash);
        if (withMigration) {
            metadata.putObject("migrations").putArray("new_sqlite_classes").add(bundle.durableObjectClass());
        }
        return metadata;
    }

    private static boolean hasBundleHash(JsonNode settings, String hash) {
        for (JsonNode binding : settings.path("bindings")) {
            if (BUNDLE_HASH_BINDING.equals(binding.path("name").asText())) {
                return hash.equals(binding.path("text").asText());
            }
        }
        return false;
    }

    // A newly enabled workers.dev route can take a moment to answer; the database is not usable before it does.
    private void waitUntilServing(URI endpoint) {
        Instant deadline = Instant.now().plus(READY_TIMEOUT);
        Duration pause = Duration.ofMillis(100);
        while (true) {
            try (Response response = http.newCall(new Request.Builder().url(endpoint + "/health").build()).execute()) {
                if (response.code() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // keep waiting
            }
            if (Instant.now().isAfter(deadline)) {
                throw new CloudflareException(CloudflareException.Kind.UNAVAILABLE, 0, 0,
                        "the gateway Worker was uploaded but " + endpoint + "/health did not answer within "
                                + READY_TIMEOUT.toSeconds() + "s", null, null);
            }
            try {
                Thread.sleep(pause.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            pause = pause.multipliedBy(2).compareTo(Duration.ofSeconds(2)) > 0 ? Duration.ofSeconds(2) : pause.multipliedBy(2);
        }
    }

    static String hash(WorkerBundle bundle, GatewayKey key, Optional<GatewayKey> previousKey) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(bundle.manifest().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            for (Module module : bundle.modules()) {
                digest.update(module.name().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                digest.update(module.content());
            }
            // Fingerprints, not keys: a key change must re-upload, and the hash is visible in the script's settings.
            digest.update(key.fingerprint().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            previousKey.ifPresent(k -> digest.update(k.fingerprint().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
