package dev.kuratchi.example;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;

/**
 * examples/app-deployment.yaml wires the app to what examples/dodatabase.yaml makes. The API server accepts a
 * Deployment that mounts the wrong Secret or the right one at the wrong path (ExamplesE2ETest proves only that it is
 * accepted); this says the pieces fit.
 */
class DeploymentManifestTest {
    private static List<JsonNode> documents(String file) throws IOException {
        try (MappingIterator<JsonNode> documents = new YAMLMapper().readerFor(JsonNode.class)
                .readValues(TenantDatabase.examplesDirectory().resolve(file).toFile())) {
            return documents.readAll();
        }
    }

    private static JsonNode kind(List<JsonNode> documents, String kind) {
        return documents.stream().filter(d -> d.path("kind").asText().equals(kind)).findFirst().orElseThrow();
    }

    @Test
    void theDeploymentMountsTheExampleDatabasesSecretReadOnlyWhereTheAppReadsIt() throws IOException {
        String secretName = kind(documents("dodatabase.yaml"), "DoDatabase").at("/spec/secret/name").asText();
        List<JsonNode> manifests = documents("app-deployment.yaml");
        JsonNode pod = kind(manifests, "Deployment").at("/spec/template/spec");
        JsonNode container = pod.at("/containers/0");

        JsonNode volume = element(pod.path("volumes"), v -> v.has("secret"));
        assertThat(volume.at("/secret/secretName").asText()).isEqualTo(secretName);
        JsonNode mount = element(container.path("volumeMounts"), m -> m.path("name").equals(volume.path("name")));
        assertThat(mount.path("readOnly").asBoolean()).isTrue();
        // A subPath mount is never updated: the app would keep the first token until it expired.
        assertThat(mount.has("subPath")).isFalse();
        assertThat(mount.path("mountPath").asText()).isEqualTo(ExampleApp.DEFAULT_DIRECTORY)
                .isEqualTo(env(container, "KURATCHI_DB_DIR"));

        assertThat(container.at("/ports/0/containerPort").asText()).isEqualTo(env(container, "PORT"));
        assertThat(container.at("/readinessProbe/httpGet/path").asText()).isEqualTo("/healthz");
        assertThat(pod.at("/securityContext/runAsNonRoot").asBoolean()).isTrue();
        assertThat(kind(manifests, "Service").at("/spec/selector"))
                .isEqualTo(kind(manifests, "Deployment").at("/spec/selector/matchLabels"));
    }

    private static String env(JsonNode container, String name) {
        return element(container.path("env"), e -> e.path("name").asText().equals(name)).path("value").asText();
    }

    private static JsonNode element(JsonNode array, Predicate<JsonNode> which) {
        return StreamSupport.stream(array.spliterator(), false).filter(which).findFirst().orElseThrow();
    }
}
