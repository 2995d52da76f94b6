package dev.kuratchi.operator.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kuratchi.operator.cloudflare.CloudflareClient.Module;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/** The gateway Worker as packaged in the operator's jar: worker.json and the modules it lists, unchanged. */
public record WorkerBundle(JsonNode manifest, List<Module> modules) {
    private static final String ROOT = "/dev/kuratchi/operator/worker/bundle/";

    public static WorkerBundle fromClasspath() {
        JsonNode manifest = json(read(ROOT + "worker.json"));
        List<Module> modules = new ArrayList<>();
        manifest.path("modules").forEach(name -> modules.add(new Module(name.asText(), read(ROOT + "src/" + name.asText()))));
        if (modules.isEmpty() || !modules.get(0).name().equals(manifest.path("mainModule").asText())) {
            throw new IllegalStateException("worker.json must list its modules, the main module first");
        }
        return new WorkerBundle(manifest, List.copyOf(modules));
    }

    public String mainModule() {
        return manifest.path("mainModule").asText();
    }

    public String compatibilityDate() {
        return manifest.path("compatibilityDate").asText();
    }

    public String durableObjectBinding() {
        return manifest.path("durableObject").path("binding").asText();
    }

    public String durableObjectClass() {
        return manifest.path("durableObject").path("className").asText();
    }

    /** The secret binding that holds the gateway key. */
    public String gatewayKeyBinding() {
        return manifest.path("secrets").path("gatewayKey").asText();
    }

    /** The secret binding that holds the key being rotated out. */
    public String previousGatewayKeyBinding() {
        return manifest.path("secrets").path("previousGatewayKey").asText();
    }

    private static byte[] read(String resource) {
        try (InputStream in = WorkerBundle.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("the operator jar lacks " + resource + "; rebuild it with the worker/ files");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode json(byte[] bytes) {
        try {
            return new ObjectMapper().readTree(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
