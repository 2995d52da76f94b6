package dev.kuratchi.operator.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/** Starting a helper process (emulator, cluster) that prints one JSON line on stdout when it is ready. */
final class ReadyLine {
    private ReadyLine() {}

    record Started(Process process, JsonNode info) {}

    static Started start(ProcessBuilder builder, String what) {
        try {
            Process process = builder.redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String line = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))
                    .readLine();
            if (line == null) {
                throw new IllegalStateException(what + " did not start (exit " + process.waitFor() + ")");
            }
            return new Started(process, new ObjectMapper().readTree(line));
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + what, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
