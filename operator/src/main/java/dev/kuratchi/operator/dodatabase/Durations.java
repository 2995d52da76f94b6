package dev.kuratchi.operator.dodatabase;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as Kubernetes users write them: Go's form ({@code 720h}, {@code 1h30m}, {@code 90s}, {@code 500ms}), in
 * whole numbers, so that the API server's CEL {@code duration()} reads every accepted value the same way.
 */
public final class Durations {
    /** What the CRD's pattern accepts too: at most 6 digits a part keeps every value far from an overflow. */
    public static final String PATTERN = "^([0-9]{1,6}(ms|h|m|s))+$";
    private static final Pattern WHOLE = Pattern.compile(PATTERN);
    private static final Pattern PART = Pattern.compile("([0-9]+)(ms|h|m|s)");
    private static final int MAX_LENGTH = 32;

    private Durations() {}

    /** Parses {@code text}, or throws IllegalArgumentException with what is accepted. */
    public static Duration parse(String text) {
        if (text == null || text.length() > MAX_LENGTH || !WHOLE.matcher(text).matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration: write it like 720h, 1h30m or 90s");
        }
        Duration total = Duration.ZERO;
        Matcher part = PART.matcher(text);
        while (part.find()) {
            long amount = Long.parseLong(part.group(1));
            total = total.plus(switch (part.group(2)) {
                case "h" -> Duration.ofHours(amount);
                case "m" -> Duration.ofMinutes(amount);
                case "s" -> Duration.ofSeconds(amount);
                default -> Duration.ofMillis(amount);
            });
        }
        return total;
    }

    /** Go's shortest form, as users write it back (for messages). */
    public static String format(Duration duration) {
        if (duration.toMillisPart() != 0) {
            return duration.toMillis() + "ms";
        }
        long seconds = duration.toSeconds();
        StringBuilder text = new StringBuilder();
        if (seconds >= 3600) {
            text.append(seconds / 3600).append('h');
        }
        if (seconds % 3600 >= 60) {
            text.append(seconds % 3600 / 60).append('m');
        }
        if (seconds % 60 != 0 || text.length() == 0) {
            text.append(seconds % 60).append('s');
        }
        return text.toString();
    }
}
