package dev.kuratchi.client.support;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The real gateway Worker running in workerd (Miniflare) for a test class, on a free port. Started through
 * worker/test/support/serve-gateway.mjs; stopped by closing its standard input, so it cannot outlive the JVM.
 */
public final class WorkerProcess implements AutoCloseable {
    private final Process process;
    private final URI url;

    private WorkerProcess(Process process, URI url) {
        this.process = process;
        this.url = url;
    }

    public static WorkerProcess start(String gatewayKey) {
        Path workerDir = Path.of(System.getProperty("kuratchi.worker.dir", "../worker")).toAbsolutePath().normalize();
        ProcessBuilder builder = new ProcessBuilder("node", "test/support/serve-gateway.mjs")
                .directory(workerDir.toFile())
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        builder.environment().put("GATEWAY_API_KEY", gatewayKey);
        try {
            Process process = builder.start();
            BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            if (line == null) {
                throw new IllegalStateException("the gateway Worker did not start (exit " + process.waitFor() + ")");
            }
            String url = new ObjectMapper().readTree(line).get("url").asText();
            return new WorkerProcess(process, URI.create(url.replaceAll("/+$", "")));
        } catch (IOException e) {
            throw new IllegalStateException("cannot start node: is Node.js 20 installed and npm ci done in worker/?", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public URI url() {
        return url;
    }

    @Override
    public void close() throws Exception {
        process.getOutputStream().close();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }
}
