package dev.kuratchi.client.gateway;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Whether a statement only reads, so that repeating it after a failure is harmless. Conservative: anything it
 * cannot tell is treated as a write.
 */
final class ReadOnlySql {
    private static final Pattern COMMENTS = Pattern.compile("(?s)/\\*.*?\\*/|--[^\\n]*");
    private static final Pattern WRITE_WORDS = Pattern.compile(
            "\\b(insert|update|delete|replace|create|drop|alter|returning|upsert|vacuum|reindex|attach|detach)\\b");

    private ReadOnlySql() {}

    static boolean isReadOnly(String sql) {
        String text = COMMENTS.matcher(sql).replaceAll(" ").strip().toLowerCase(Locale.ROOT).replaceFirst(";\\s*$", "");
        boolean readStart = text.startsWith("select") || text.startsWith("with") || text.startsWith("values")
                || text.startsWith("explain");
        return readStart && !text.contains(";") && !WRITE_WORDS.matcher(text).find();
    }
}
