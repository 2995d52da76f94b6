package dev.kuratchi.operator.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What one user asked of the API server between two moments, from local/kube's audit log (which records service
 * accounts' requests): the operator runs as a ServiceAccount of its own, so its requests are told apart from the
 * benchmark's.
 */
final class ApiAudit {
    private static final Set<String> WRITES = Set.of("create", "update", "patch", "delete", "deletecollection");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path log;
    private final String user;

    ApiAudit(Path log, String user) {
        this.log = log;
        this.user = user;
    }

    /** Where the log ends now: requests after this are counted by {@link #since}. */
    long mark() throws IOException {
        return Files.size(log);
    }

    /** The user's requests since {@code mark}, as "verb resource" to count. */
    Map<String, Integer> since(long mark) throws IOException {
        Map<String, Integer> counts = new TreeMap<>();
        try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "r")) {
            file.seek(mark);
            byte[] bytes = new byte[(int) (file.length() - mark)];
            file.readFully(bytes);
            for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode entry = JSON.readTree(line);
                if (!user.equals(entry.path("user").path("username").asText())) {
                    continue;
                }
                JsonNode ref = entry.path("objectRef");
                String resource = ref.path("resource").asText() + (ref.hasNonNull("subresource")
                        ? "/" + ref.path("subresource").asText() : "");
                counts.merge(entry.path("verb").asText() + " " + resource, 1, Integer::sum);
            }
        }
        return counts;
    }

    /** Of {@code counts}, the writes. */
    static int writes(Map<String, Integer> counts) {
        return counts.entrySet().stream().filter(e -> WRITES.contains(e.getKey().split(" ")[0]))
                .mapToInt(Map.Entry::getValue).sum();
    }
}
