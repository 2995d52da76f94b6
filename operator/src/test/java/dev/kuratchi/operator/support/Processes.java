package dev.kuratchi.operator.support;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Commands run as a user runs them, and what they leave behind on this machine. */
public final class Processes {
    private Processes() {}

    /** How a command ended: its exit code, and what it printed on each stream. */
    public record Finished(int exitCode, String stdout, String stderr) {
        public List<String> stderrLines() {
            return stderr.lines().toList();
        }
    }

    /** Runs the command to its end; a command still running after {@code limit} is killed and fails the test. */
    public static Finished run(ProcessBuilder builder, Duration limit) {
        try {
            Path out = Files.createTempFile("kuratchi-command-", ".out");
            Path err = Files.createTempFile("kuratchi-command-", ".err");
            try {
                Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
                if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly().waitFor();
                    throw new AssertionError(builder.command() + " still running after " + limit + ":\n"
                            + Files.readString(out) + Files.readString(err));
                }
                return new Finished(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                        Files.readString(err, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Whether a server could listen on this loopback port now (as servers bind: TIME_WAIT does not count). */
    public static boolean portFree(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress("127.0.0.1", port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The processes whose environment holds {@code entry} ({@code NAME=value}): a variable set on a command reaches
     * everything it starts, so this finds what it left running, however deep.
     */
    public static List<Long> withEnvironmentEntry(String entry) {
        try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
            return entries.filter(p -> p.getFileName().toString().matches("\\d+"))
                    .filter(p -> environment(p).contains(entry))
                    .map(p -> Long.parseLong(p.getFileName().toString()))
                    .filter(pid -> pid != ProcessHandle.current().pid()).toList();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> environment(Path process) {
        try {
            return List.of(Files.readString(process.resolve("environ"), StandardCharsets.ISO_8859_1).split("\0"));
        } catch (IOException | SecurityException e) {
            return List.of(); // gone meanwhile, or another user's
        }
    }
}
