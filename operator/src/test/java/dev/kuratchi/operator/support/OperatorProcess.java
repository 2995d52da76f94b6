package dev.kuratchi.operator.support;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The operator as it ships, {@code java -jar operator/target/kuratchi-operator-<version>.jar}, in a JVM of its own,
 * so what it costs is measured alone: its heap from its GC log (the peak in use before any collection, and what is
 * live after a full one, asked for with jcmd), its resident memory and CPU time from /proc, its reconcile counts from
 * its own /metrics. The benchmark measures it; the leader-election test runs two and kills one.
 */
public final class OperatorProcess implements AutoCloseable {
    // "GC(12) Pause Young (Normal) (G1 Evacuation Pause) 60M->12M(256M) 3.1ms"
    private static final Pattern GC_LINE = Pattern.compile("GC\\(\\d+\\) Pause (\\w+).* (\\d+)M->(\\d+)M\\(\\d+M\\)");
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final Process process;
    private final int port;
    private final Path gcLog;

    private OperatorProcess(Process process, int port, Path gcLog) {
        this.process = process;
        this.port = port;
        this.gcLog = gcLog;
    }

    /** The built distribution; {@code mvn -B -q install -DskipTests} (or package) makes it. */
    public static Path jar() throws IOException {
        Path target = RealCluster.repositoryRoot().resolve("operator/target");
        try (Stream<Path> files = Files.list(target)) {
            return files.filter(f -> f.getFileName().toString().matches("kuratchi-operator-.*\\.jar"))
                    .findFirst().orElseThrow(() -> new IllegalStateException("no operator jar in " + target
                            + ": build it first (mvn -B -q install -DskipTests)"));
        }
    }

    /** Starts it with {@code environment} and extra JVM options, and waits until /readyz answers 200. */
    public static OperatorProcess start(Map<String, String> environment, List<String> jvmOptions, Path dir, String name)
            throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Path gcLog = dir.resolve(name + "-gc.log");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-Xlog:gc:file=" + gcLog));
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", jar().toString()));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(environment);
        builder.environment().putAll(Map.of("KURATCHI_HTTP_HOST", "127.0.0.1", "KURATCHI_HTTP_PORT",
                Integer.toString(port)));
        Path log = dir.resolve(name + ".log");
        OperatorProcess started = new OperatorProcess(builder.redirectErrorStream(true).redirectOutput(log.toFile())
                .start(), port, gcLog);
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (!started.ready()) {
            if (!started.process.isAlive() || System.nanoTime() > deadline) {
                started.close();
                throw new IllegalStateException("the operator did not become ready; see " + log);
            }
            Thread.sleep(100);
        }
        return started;
    }

    public boolean ready() {
        try {
            return get("/readyz").statusCode() == 200;
        } catch (IOException e) {
            return false;
        }
    }

    private HttpResponse<String> get(String path) throws IOException {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    /** The sum of a Prometheus metric over the series whose line contains {@code filter}; 0 if there is none. */
    public double metric(String name, String filter) throws IOException {
        return get("/metrics").body().lines()
                .filter(line -> line.startsWith(name + " ") || line.startsWith(name + "{"))
                .filter(line -> line.contains(filter))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).sum();
    }

    /** The sum of a Prometheus metric over all its series; 0 if there is none. */
    public double metric(String name) throws IOException {
        return metric(name, "");
    }

    /** What the heap held at most before any collection so far, in MiB (from the GC log). */
    public long peakHeapMib() throws IOException {
        return gcLines().stream().mapToLong(m -> Long.parseLong(m.group(2))).max().orElse(0);
    }

    /** A full collection (jcmd GC.run), then what it left: the live heap, in MiB. */
    public long liveHeapMib() throws Exception {
        int before = gcLines().size();
        Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(process.pid()), "GC.run").redirectErrorStream(true).start();
        jcmd.getInputStream().readAllBytes();
        if (!jcmd.waitFor(60, TimeUnit.SECONDS) || jcmd.exitValue() != 0) {
            throw new IllegalStateException("jcmd GC.run failed for the operator");
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            List<Matcher> lines = gcLines();
            for (Matcher line : lines.subList(Math.min(before, lines.size()), lines.size())) {
                if (line.group(1).equals("Full")) {
                    return Long.parseLong(line.group(3));
                }
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("no full collection in the operator's GC log after jcmd GC.run");
    }

    private List<Matcher> gcLines() throws IOException {
        return Files.readAllLines(gcLog).stream().map(GC_LINE::matcher).filter(Matcher::find).toList();
    }

    /** Resident memory now and at most, in MiB (/proc status VmRSS, VmHWM). */
    public long[] residentMib() throws IOException {
        long rss = 0;
        long hwm = 0;
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
            if (line.startsWith("VmRSS:")) {
                rss = Long.parseLong(line.replaceAll("\\D", "")) / 1024;
            } else if (line.startsWith("VmHWM:")) {
                hwm = Long.parseLong(line.replaceAll("\\D", "")) / 1024;
            }
        }
        return new long[] {rss, hwm};
    }

    /** CPU seconds used so far, user and system (/proc stat; clock ticks of 1/100 s). */
    public double cpuSeconds() throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / 100.0;
    }

    /** The process itself: to kill it (SIGKILL), or to time its end. */
    public Process process() {
        return process;
    }

    /** SIGTERM, as a pod is stopped, and waits for the end. */
    public void stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            stop();
        }
    }
}
