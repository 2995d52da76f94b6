package dev.kuratchi.example;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A directory laid out as the kubelet lays out a Secret volume, so the app is tested against what it reads in a pod:
 * each key is a symlink into {@code ..data}, which links to a hidden timestamped directory holding the files. An
 * update writes a new timestamped directory, points {@code ..data} at it with one rename (the swap is atomic: a reader
 * sees all old files or all new ones), then deletes the old directory.
 */
final class SecretVolume {
    private static final String DATA = "..data";

    private final Path directory;
    private int generation;

    private SecretVolume(Path directory) {
        this.directory = directory;
    }

    static SecretVolume create(Path directory, Map<String, String> data) throws IOException {
        Files.createDirectories(directory);
        SecretVolume volume = new SecretVolume(directory);
        volume.update(data);
        for (String key : data.keySet()) {
            Files.createSymbolicLink(directory.resolve(key), Path.of(DATA, key));
        }
        return volume;
    }

    /** Swaps in new content as the kubelet does when the Secret changes; returns the directory it replaced. */
    Path update(Map<String, String> data) throws IOException {
        Path next = directory.resolve("..generation_" + ++generation);
        Files.createDirectory(next);
        for (Map.Entry<String, String> entry : data.entrySet()) {
            Files.writeString(next.resolve(entry.getKey()), entry.getValue());
        }
        Path link = directory.resolve(DATA);
        Path previous = Files.isSymbolicLink(link) ? directory.resolve(Files.readSymbolicLink(link)) : null;
        Path staged = Files.createSymbolicLink(directory.resolve("..data_tmp"), next.getFileName());
        Files.move(staged, link, StandardCopyOption.ATOMIC_MOVE);
        if (previous != null) {
            deleteTree(previous);
        }
        return previous;
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}
