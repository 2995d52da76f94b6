package dev.kuratchi.operator.crd;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@code kubectl explain} has something to say about every field of every resource, objects included, and no list
 * holds objects whose fields the API server would prune.
 */
class SchemaDescriptionsTest {
    @Test
    void everyFieldOfEveryGeneratedCrdHasADescription() throws IOException {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        try (Stream<Path> files = Files.list(Path.of("target/classes/META-INF/fabric8"))) {
            List<Path> crds = files.filter(f -> f.toString().endsWith(".yml")).toList();
            assertThat(crds).isNotEmpty();
            List<String> undescribed = new ArrayList<>();
            for (Path crd : crds) {
                String kind = crd.getFileName().toString().replaceFirst("\\..*", "") + ": ";
                for (JsonNode version : yaml.readTree(crd.toFile()).path("spec").path("versions")) {
                    JsonNode root = version.path("schema").path("openAPIV3Schema");
                    root.path("properties").fields().forEachRemaining(field -> {
                        // apiVersion, kind and metadata are described by the API server itself.
                        if (field.getKey().equals("spec") || field.getKey().equals("status")) {
                            collectUndescribed(kind + field.getKey(), field.getValue(), undescribed);
                        }
                    });
                }
            }
            assertThat(undescribed).as("fields without a description").isEmpty();
        }
    }

    private static void collectUndescribed(String path, JsonNode schema, List<String> undescribed) {
        if (schema.path("description").asText().isBlank()) {
            undescribed.add(path);
        }
        JsonNode items = schema.path("items");
        if (items.path("type").asText().equals("object") && !items.has("properties")
                && !items.path("x-kubernetes-preserve-unknown-fields").asBoolean()) {
            // The API server would prune every field of such an item.
            undescribed.add(path + "[] (an object with no fields)");
        }
        for (Map.Entry<String, JsonNode> field : (Iterable<Map.Entry<String, JsonNode>>) schema.path("properties")::fields) {
            collectUndescribed(path + "." + field.getKey(), field.getValue(), undescribed);
        }
        if (items.has("properties")) {
            items.path("properties").fields().forEachRemaining(field ->
                    collectUndescribed(path + "[]." + field.getKey(), field.getValue(), undescribed));
        }
        if (schema.path("additionalProperties").has("properties")) {
            collectUndescribed(path + "{}", schema.path("additionalProperties"), undescribed);
        }
    }
}
