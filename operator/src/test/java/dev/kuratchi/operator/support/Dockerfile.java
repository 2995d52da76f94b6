package dev.kuratchi.operator.support;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Dockerfile read as Docker reads the parts image/Dockerfile uses: one instruction a line once continuation lines
 * are joined and comments dropped, stages starting at each FROM, exec-form ENTRYPOINT, key=value ENV and LABEL (a
 * value in double quotes may hold spaces) with $NAME taken from the stage's ARG defaults.
 */
public record Dockerfile(List<List<Instruction>> stages) {
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{?([A-Za-z_][A-Za-z0-9_]*)}?");

    public record Instruction(String keyword, String arguments) {}

    public static Dockerfile read(Path file) {
        List<String> logical = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.stripLeading().startsWith("#")) {
                    continue;
                }
                boolean continued = line.endsWith("\\");
                current.append(continued ? line.substring(0, line.length() - 1) : line).append(' ');
                if (!continued) {
                    if (!current.toString().isBlank()) {
                        logical.add(current.toString().strip());
                    }
                    current.setLength(0);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<List<Instruction>> stages = new ArrayList<>();
        for (String line : logical) {
            String[] parts = line.split("\\s+", 2);
            Instruction instruction = new Instruction(parts[0].toUpperCase(), parts.length > 1 ? parts[1] : "");
            if (instruction.keyword().equals("FROM")) {
                stages.add(new ArrayList<>());
            }
            if (!stages.isEmpty()) {
                stages.get(stages.size() - 1).add(instruction);
            }
        }
        return new Dockerfile(stages);
    }

    /** The instructions of the last stage, the image itself. */
    public List<Instruction> image() {
        return stages.get(stages.size() - 1);
    }

    public List<Instruction> stage(String name) {
        return stages.stream().filter(s -> s.get(0).arguments().matches("(?i).*\\s+AS\\s+" + name)).findFirst()
                .orElseThrow(() -> new AssertionError("no stage " + name));
    }

    /** The arguments of every instruction with this keyword in the image's stage. */
    public List<String> all(String keyword) {
        return image().stream().filter(i -> i.keyword().equals(keyword)).map(Instruction::arguments).toList();
    }

    /** The arguments of the one instruction with this keyword in the image's stage. */
    public String one(String keyword) {
        List<String> found = all(keyword);
        if (found.size() != 1) {
            throw new AssertionError("expected one " + keyword + " in the image's stage, found " + found);
        }
        return found.get(0);
    }

    public List<String> entrypoint() {
        try {
            return new ObjectMapper().readValue(one("ENTRYPOINT"), new TypeReference<List<String>>() { });
        } catch (IOException e) {
            throw new AssertionError("ENTRYPOINT is not in exec form (a JSON array): " + one("ENTRYPOINT"), e);
        }
    }

    /** Words split at white space outside double quotes, the quotes removed (key="a b" is one word). */
    static List<String> words(String text) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean quoted = false;
        boolean inWord = false;
        for (char c : text.toCharArray()) {
            if (c == '"') {
                quoted = !quoted;
                inWord = true;
            } else if (Character.isWhitespace(c) && !quoted) {
                if (inWord) {
                    words.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
            } else {
                word.append(c);
                inWord = true;
            }
        }
        if (quoted) {
            throw new AssertionError("an unclosed quote: " + text);
        }
        if (inWord) {
            words.add(word.toString());
        }
        return words;
    }

    /** The image stage's ARG defaults. */
    public Map<String, String> args() {
        Map<String, String> args = new LinkedHashMap<>();
        for (String arg : all("ARG")) {
            String[] nameValue = arg.split("=", 2);
            args.put(nameValue[0], nameValue.length > 1 ? nameValue[1] : "");
        }
        return args;
    }

    /** The key=value pairs of every instruction with this keyword (ENV, LABEL) in the image's stage. */
    public Map<String, String> pairs(String keyword) {
        Map<String, String> args = args();
        Map<String, String> pairs = new LinkedHashMap<>();
        for (String instruction : all(keyword)) {
            for (String word : words(instruction)) {
                String[] keyValue = word.split("=", 2);
                if (keyValue.length != 2) {
                    throw new AssertionError(keyword + " " + instruction + ": not in key=value form");
                }
                Matcher variable = VARIABLE.matcher(keyValue[1]);
                pairs.put(keyValue[0], variable.replaceAll(m -> Matcher.quoteReplacement(
                        args.getOrDefault(m.group(1), ""))));
            }
        }
        return pairs;
    }
}
