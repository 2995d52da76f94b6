package dev.kuratchi.client.schema;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;

/** Reads schemas from JSON or YAML text, and the built-in {@code admin} and {@code organization} schemas. */
public final class Schemas {
    /** The built-in schemas, by name: the same tables and columns as kuratchi-sdk's. */
    public static final List<String> BUILT_IN = List.of("admin", "organization");

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private Schemas() {}

    /** Parses a schema written as JSON or YAML (YAML is detected when the text does not start with '{'). */
    public static DatabaseSchema parse(String text) {
        ObjectMapper mapper = text.stripLeading().startsWith("{") ? JSON : YAML;
        try {
            JsonNode tree = mapper.readTree(text);
            if (tree == null || !tree.isObject()) {
                throw new SchemaException("a schema must be an object with name and tables");
            }
            if (tree.has("tables") && !tree.get("tables").isArray()) {
                throw new SchemaException("'tables' must be an array of tables; kuratchi-sdk's DSL form (tables as a "
                        + "map of column strings) is not supported, write the normalized form");
            }
            return mapper.treeToValue(tree, DatabaseSchema.class);
        } catch (ValueInstantiationException e) {
            throw e.getCause() instanceof SchemaException schema ? schema : new SchemaException(e.getOriginalMessage(), e);
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new SchemaException("the schema cannot be read: " + e.getOriginalMessage(), e);
        }
    }

    public static String toJson(DatabaseSchema schema) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(schema);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static DatabaseSchema builtIn(String name) {
        if (!BUILT_IN.contains(name)) {
            throw new SchemaException("no built-in schema '" + name + "'; built-in schemas: " + BUILT_IN);
        }
        try (InputStream in = Schemas.class.getResourceAsStream(name + ".json")) {
            return parse(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static DatabaseSchema admin() {
        return builtIn("admin");
    }

    public static DatabaseSchema organization() {
        return builtIn("organization");
    }
}
