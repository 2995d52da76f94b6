package dev.kuratchi.operator.dodatabase;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as Kubernetes users write them: Go's form ({@code 720h}, {@code 1h30m}, {@code 90s}) plus days. */
public final class Durations {
    private static final Pattern WHOLE = Pattern.compile("^(\\d+(d|h|ms|m|s))+$");
    private static final Pattern PART = Pattern.compile("(\\d+)(d|h|ms|m|s)");

    private Durations() {}

    /** Parses {@code text}, or throws IllegalArgumentException with what is accepted. */
    public static Duration parse(String text) {
        if (text == null || !WHOLE.matcher(text).matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration: write it like 720h, 1h30m, 90s or 30d");
        }
        Duration total = Duration.ZERO;
        Matcher part = PART.matcher(text);
        while (part.find()) {
            long amount = Long.parseLong(part.group(1));
            total = total.plus(switch (part.group(2)) {
                case "d" -> Duration.ofDays(amount);
                case "h" -> Duration.ofHours(amount);
                case "m" -> Duration.ofMinutes(amount);
                case "s" -> Duration.ofSeconds(amount);
                default -> Duration.ofMillis(amount);
            });
        }
        return total;
    }
}
