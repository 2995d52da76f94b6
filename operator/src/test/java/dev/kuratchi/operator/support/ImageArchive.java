package dev.kuratchi.operator.support;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * An image in a docker-archive (as {@code jib:buildTar} and {@code docker save} write it), unpacked into a root file
 * system and run as a container runtime runs it, with no runtime: its entrypoint and command with its environment,
 * working directory and user, in a mount and PID namespace of its own (it is PID 1 there) on the host's network, on a
 * read-only root with a tmpfs at /tmp, /proc, a few devices, the host's /sys, /etc/hosts and /etc/resolv.conf
 * (read-only), and volumes mounted read-only. Needs root; every mount lives and dies with the namespace.
 */
public final class ImageArchive implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Run by unshare in the new namespaces: mounts, then the command chrooted, as the image's user. */
    private static final String RUN = """
            root=$1 wd=$2 uid=$3 gid=$4; shift 4
            mount --bind "$root" "$root"
            mount -t proc -o nosuid,nodev,noexec proc "$root/proc"
            mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs "$root/tmp"
            mount -t tmpfs -o nosuid,mode=755 tmpfs "$root/dev"
            for device in null zero full random urandom tty; do
              touch "$root/dev/$device"; mount --bind "/dev/$device" "$root/dev/$device"
            done
            ln -s /proc/self/fd "$root/dev/fd"
            mount --rbind /sys "$root/sys"; mount -o remount,bind,ro "$root/sys"
            for file in hosts resolv.conf hostname; do
              if [ -f "/etc/$file" ]; then touch "$root/etc/$file"; mount -o bind,ro "/etc/$file" "$root/etc/$file"; fi
            done
            volumes=$1; shift
            for ((i = 0; i < volumes; i++)); do
              mkdir -p "$root$2"; mount -o bind,ro "$1" "$root$2"; shift 2
            done
            mount -o remount,bind,ro "$root"
            environment=$1; shift
            exec env -i "${@:1:environment}" unshare --root="$root" --wd="$wd" --setgid="$gid" --setuid="$uid" \\
              -- "${@:environment+1}"
            """;

    private final Path rootfs;
    private final JsonNode config;
    private final long compressedBytes;

    private ImageArchive(Path rootfs, JsonNode config, long compressedBytes) {
        this.rootfs = rootfs;
        this.config = config;
        this.compressedBytes = compressedBytes;
    }

    /** Reads the archive and unpacks its layers in order, as overlays: whiteouts delete what earlier layers made. */
    public static ImageArchive unpack(Path archive) throws IOException {
        Path work = Files.createTempDirectory("kuratchi-image-");
        Path rootfs = Files.createDirectory(work.resolve("rootfs"));
        Path blobs = Files.createDirectory(work.resolve("archive"));
        try {
            command(List.of("tar", "-xf", archive.toString(), "-C", blobs.toString()));
            JsonNode manifest = JSON.readTree(blobs.resolve("manifest.json").toFile()).get(0);
            long compressed = 0;
            for (JsonNode layer : manifest.get("Layers")) {
                Path file = blobs.resolve(layer.asText());
                compressed += Files.size(file);
                for (String entry : command(List.of("tar", "-tzf", file.toString())).lines().toList()) {
                    whiteout(rootfs, entry);
                }
                // As root, tar keeps each file's owner and mode; the whiteout markers themselves are not files.
                command(List.of("tar", "-xzf", file.toString(), "-C", rootfs.toString(), "--numeric-owner",
                        "--exclude=.wh.*", "--warning=no-unknown-keyword"));
            }
            JsonNode config = JSON.readTree(blobs.resolve(manifest.get("Config").asText()).toFile());
            return new ImageArchive(rootfs, config, compressed);
        } finally {
            command(List.of("rm", "-rf", blobs.toString()));
        }
    }

    private static void whiteout(Path rootfs, String entry) throws IOException {
        Path path = Path.of(entry.replaceFirst("^\\./", "").replaceFirst("^/", ""));
        String name = path.getFileName() == null ? "" : path.getFileName().toString();
        Path directory = path.getParent() == null ? rootfs : rootfs.resolve(path.getParent());
        if (name.equals(".wh..wh..opq")) {
            if (Files.isDirectory(directory)) {
                try (Stream<Path> children = Files.list(directory)) {
                    for (Path child : children.toList()) {
                        command(List.of("rm", "-rf", "--one-file-system", child.toString()));
                    }
                }
            }
        } else if (name.startsWith(".wh.")) {
            command(List.of("rm", "-rf", "--one-file-system", directory.resolve(name.substring(4)).toString()));
        }
    }

    /** The image's configuration ({@code config} of the image's JSON: Entrypoint, Env, User...). */
    public JsonNode config() {
        return config.get("config");
    }

    public Path rootfs() {
        return rootfs;
    }

    /** What a registry stores and a node pulls: the compressed layers. */
    public long compressedBytes() {
        return compressedBytes;
    }

    /** What the layers take once unpacked. */
    public long unpackedBytes() {
        return Long.parseLong(command(List.of("du", "-sb", rootfs.toString())).split("\\s+")[0]);
    }

    /** Runs the image's entrypoint and command, as {@code docker run} with these variables and read-only volumes. */
    public Container run(Map<String, String> environment, Map<Path, String> volumes, Path log) throws IOException {
        List<String> command = new ArrayList<>();
        config().path("Entrypoint").forEach(a -> command.add(a.asText()));
        config().path("Cmd").forEach(a -> command.add(a.asText()));
        return run(command, environment, volumes, log);
    }

    /** Runs another command in the image, as {@code docker run --entrypoint}. */
    public Container run(List<String> command, Map<String, String> environment, Map<Path, String> volumes, Path log)
            throws IOException {
        String[] user = config().path("User").asText().split(":");
        if (user.length != 2 || !user[0].matches("\\d+") || !user[1].matches("\\d+")) {
            throw new AssertionError("the image's User is not numeric uid:gid: " + config().path("User"));
        }
        String workdir = config().path("WorkingDir").asText("/").isEmpty() ? "/" : config().path("WorkingDir").asText();
        List<String> args = new ArrayList<>(List.of("unshare", "--mount", "--pid", "--fork", "--propagation",
                "private", "bash", "-euc", RUN, "run-image", rootfs.toString(), workdir, user[0], user[1]));
        args.add(String.valueOf(volumes.size()));
        volumes.forEach((host, container) -> args.addAll(List.of(host.toString(), container)));
        List<String> env = new ArrayList<>();
        config().path("Env").forEach(e -> env.add(e.asText()));
        environment.forEach((name, value) -> env.add(name + "=" + value));
        args.add(String.valueOf(env.size()));
        args.addAll(env);
        args.addAll(command);
        return new Container(new ProcessBuilder(args).redirectErrorStream(true).redirectOutput(log.toFile()).start(),
                user, log);
    }

    /** A running container: the unshare that waits for it, and its PID 1, the entrypoint. */
    public static final class Container {
        private final Process process;
        private final String[] user;
        private final Path log;

        Container(Process process, String[] user, Path log) {
            this.process = process;
            this.user = user;
            this.log = log;
        }

        /** The entrypoint's process, as the host sees it (PID 1 in the container). */
        public ProcessHandle pid1() {
            await().atMost(Duration.ofSeconds(10)).until(() -> process.children().findAny().isPresent()
                    || !process.isAlive());
            return process.children().findFirst().orElseThrow(() -> new AssertionError("the container ended: "
                    + log()));
        }

        /** Runs a command of the image in the running container as its user, as {@code docker exec} does. */
        public Processes.Finished exec(String... command) {
            List<String> args = new ArrayList<>(List.of("nsenter", "--target", String.valueOf(pid1().pid()), "--mount",
                    "--pid", "--root", "--wd", "--setgid", user[1], "--setuid", user[0]));
            args.addAll(List.of(command));
            return Processes.run(new ProcessBuilder(args), Duration.ofMinutes(1));
        }

        public String log() {
            try {
                return Files.readString(log);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        public boolean isAlive() {
            return process.isAlive();
        }

        /** Waits for the container to end by itself; its exit code. */
        public int waitFor(Duration limit) throws InterruptedException {
            if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                kill();
                throw new AssertionError("still running after " + limit + ": " + log());
            }
            return process.exitValue();
        }

        /** SIGTERM to PID 1, as {@code docker stop} and the kubelet send it; its exit code. */
        public int stop(Duration limit) throws InterruptedException {
            process.children().forEach(ProcessHandle::destroy);
            return waitFor(limit);
        }

        /** SIGKILL to everything in the container, and the unshare waiting for it. */
        public void kill() throws InterruptedException {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly().waitFor();
        }
    }

    /** What the image unpacked into: no mount may be left under it (each belongs to a namespace that has ended). */
    @Override
    public void close() {
        Path work = rootfs.getParent();
        String mounted = command(List.of("findmnt", "--list", "--noheadings", "--output", "TARGET")).lines()
                .filter(target -> target.startsWith(work.toString())).reduce("", (a, b) -> a + b + "\n");
        if (!mounted.isEmpty()) {
            throw new AssertionError("still mounted, left in place: " + mounted);
        }
        command(List.of("rm", "-rf", "--one-file-system", work.toString()));
    }

    private static String command(List<String> command) {
        Processes.Finished finished = Processes.run(new ProcessBuilder(command), Duration.ofMinutes(2));
        if (finished.exitCode() != 0) {
            throw new IllegalStateException(command + " failed: " + finished.stdout() + finished.stderr());
        }
        return finished.stdout();
    }
}
