package dev.kuratchi.client.token;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;

/** The test vectors the Worker's tests use too, in worker/test/vectors, so both sides are checked against one file. */
final class SharedVectors {
    private SharedVectors() {}

    static JsonNode read(String fileName) {
        Path file = Path.of(System.getProperty("kuratchi.worker.dir", "../worker"), "test/vectors", fileName);
        try {
            return new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the shared vectors at " + file, e);
        }
    }
}
