package dev.kuratchi.operator.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.marcnuri.helm.Helm;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The chart helm/kuratchi-operator, rendered through helm-java (Helm's own Go code, no CLI), and its output as
 * Kubernetes objects.
 */
public final class HelmChart {
    /** The release name and namespace README's commands use. */
    public static final String RELEASE = "kuratchi-operator";
    public static final String NAMESPACE = "kuratchi-system";
    private static final YAMLMapper YAML = new YAMLMapper();

    private HelmChart() {}

    public static Path path() {
        return RealCluster.repositoryRoot().resolve("helm/kuratchi-operator");
    }

    public static Helm helm() {
        return new Helm(path());
    }

    /**
     * Values given as dotted paths and values ({@code "credentials.existingSecret", "creds", ...}), as the nested maps
     * of a values file; a later path may refine an earlier one's map.
     */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> values(Map<String, Object> base, Object... pathsAndValues) {
        Map<String, Object> values = deepCopy(base);
        for (int i = 0; i < pathsAndValues.length; i += 2) {
            String[] keys = ((String) pathsAndValues[i]).split("\\.");
            Map<String, Object> map = values;
            for (int k = 0; k < keys.length - 1; k++) {
                map = (Map<String, Object>) map.computeIfAbsent(keys[k], key -> new LinkedHashMap<String, Object>());
            }
            map.put(keys[keys.length - 1], pathsAndValues[i + 1]);
        }
        return values;
    }

    public static Map<String, Object> values(Object... pathsAndValues) {
        return values(Map.of(), pathsAndValues);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> deepCopy(Map<String, Object> map) {
        Map<String, Object> copy = new LinkedHashMap<>();
        map.forEach((k, v) -> copy.put(k, v instanceof Map<?, ?> m ? deepCopy((Map<String, Object>) m) : v));
        return copy;
    }

    /** The values as a values file: lists, maps and nulls reach Helm as a user writes them. */
    public static Path valuesFile(Map<String, Object> values) {
        try {
            Path file = Files.createTempFile("kuratchi-values-", ".yaml");
            file.toFile().deleteOnExit();
            YAML.writeValue(file.toFile(), values);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code helm template} of README's release, with these values. */
    public static Rendered template(Map<String, Object> values) {
        return template(RELEASE, NAMESPACE, values);
    }

    public static Rendered template(String release, String namespace, Map<String, Object> values) {
        Path file = valuesFile(values);
        try {
            return Rendered.parse(helm().template().withName(release).withNamespace(namespace).withValuesFile(file)
                    .call());
        } finally {
            file.toFile().delete();
        }
    }

    /** Parses the YAML documents of a rendering, each as a generic object. */
    public static List<GenericKubernetesResource> parse(String yaml) {
        return documents(yaml).stream()
                .map(document -> Serialization.unmarshal(document.toString(), GenericKubernetesResource.class)).toList();
    }

    /** A generic object as its model class. */
    public static <T> T as(GenericKubernetesResource object, Class<T> type) {
        return Serialization.unmarshal(Serialization.asJson(object), type);
    }

    /** The YAML documents of a file or a rendering, as JSON trees, empty ones left out. */
    public static List<JsonNode> documents(String yaml) {
        List<JsonNode> nodes = new ArrayList<>();
        try (MappingIterator<JsonNode> documents = YAML.readerFor(JsonNode.class).readValues(yaml)) {
            while (documents.hasNext()) {
                JsonNode document = documents.next();
                if (document != null && !document.isNull() && !document.isEmpty()) {
                    nodes.add(document);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return nodes;
    }

    /** The objects a chart rendered. */
    public record Rendered(String yaml, List<GenericKubernetesResource> objects) {
        static Rendered parse(String yaml) {
            return new Rendered(yaml, HelmChart.parse(yaml));
        }

        /** The rendered documents as JSON trees, exactly as Helm wrote them. */
        public List<JsonNode> documents() {
            return HelmChart.documents(yaml);
        }

        public List<GenericKubernetesResource> ofKind(String kind) {
            return objects.stream().filter(o -> o.getKind().equals(kind)).toList();
        }

        public <T extends HasMetadata> List<T> all(Class<T> type) {
            return ofKind(HasMetadata.getKind(type)).stream().map(o -> as(o, type)).toList();
        }

        public <T extends HasMetadata> T one(Class<T> type) {
            List<T> all = all(type);
            if (all.size() != 1) {
                throw new AssertionError("expected one " + HasMetadata.getKind(type) + ", rendered " + all.size()
                        + ":\n" + yaml);
            }
            return all.get(0);
        }

        public Deployment deployment() {
            return one(Deployment.class);
        }

        public Container container() {
            List<Container> containers = deployment().getSpec().getTemplate().getSpec().getContainers();
            if (containers.size() != 1) {
                throw new AssertionError("expected one container: " + containers);
            }
            return containers.get(0);
        }

        /** The container's environment by name, in the rendered order. */
        public Map<String, EnvVar> env() {
            Map<String, EnvVar> env = new LinkedHashMap<>();
            container().getEnv().forEach(e -> {
                if (env.put(e.getName(), e) != null) {
                    throw new AssertionError(e.getName() + " is rendered twice");
                }
            });
            return env;
        }

        /** The variables with a plain value, by name. */
        public Map<String, String> plainEnv() {
            Map<String, String> env = new LinkedHashMap<>();
            env().forEach((name, variable) -> {
                if (variable.getValueFrom() == null) {
                    env.put(name, variable.getValue());
                }
            });
            return env;
        }
    }
}
