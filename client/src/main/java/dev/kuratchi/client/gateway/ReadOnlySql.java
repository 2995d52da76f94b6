package dev.kuratchi.client.gateway;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Whether a statement only reads, so that repeating it after a failure is harmless. Conservative: anything it
 * cannot tell is treated as a write.
 *
 * <p>It reads the text as SQLite's tokenizer does, so that a keyword or {@code ;} inside a string literal, a quoted
 * name or a comment counts for nothing, and a literal that looks like a comment ({@code '--'}, {@code '/*'}) cannot
 * hide what follows it.
 */
final class ReadOnlySql {
    private static final Set<String> READ_STARTS = Set.of("select", "with", "values", "explain");
    private static final Set<String> WRITE_WORDS = Set.of("insert", "update", "delete", "replace", "create", "drop",
            "alter", "returning", "upsert", "vacuum", "reindex", "attach", "detach");
    // Stands for a string literal, a quoted name or a symbol: never a keyword, but it makes a statement non-empty.
    private static final String OTHER = "";

    private ReadOnlySql() {}

    static boolean isReadOnly(String sql) {
        List<List<String>> statements = statements(sql);
        if (statements == null || statements.size() != 1) {
            return false;
        }
        List<String> tokens = statements.get(0);
        return READ_STARTS.contains(tokens.get(0)) && tokens.stream().noneMatch(WRITE_WORDS::contains);
    }

    /**
     * The non-empty statements of the text, each as its tokens: an unquoted word lower-cased, anything else
     * {@link #OTHER}; comments dropped. {@code null} when a literal, quoted name or comment is not closed.
     */
    private static List<List<String>> statements(String sql) {
        List<List<String>> statements = new ArrayList<>();
        List<String> tokens = new ArrayList<>();
        int i = 0;
        while (i < sql.length()) {
            char c = sql.charAt(i);
            int next;
            if (Character.isWhitespace(c)) {
                next = i + 1;
            } else if (sql.startsWith("--", i)) {
                int newline = sql.indexOf('\n', i);
                next = newline < 0 ? sql.length() : newline + 1;
            } else if (sql.startsWith("/*", i)) {
                next = after(sql, "*/", i + 2);
            } else if (c == '\'' || c == '"' || c == '`') {
                next = afterQuoted(sql, c, i + 1);
                tokens.add(OTHER);
            } else if (c == '[') {
                next = after(sql, "]", i + 1);
                tokens.add(OTHER);
            } else if (c == ';') {
                next = i + 1;
                if (!tokens.isEmpty()) {
                    statements.add(tokens);
                    tokens = new ArrayList<>();
                }
            } else if (isWordChar(c)) {
                next = i + 1;
                while (next < sql.length() && isWordChar(sql.charAt(next))) {
                    next++;
                }
                tokens.add(sql.substring(i, next).toLowerCase(Locale.ROOT));
            } else {
                next = i + 1;
                tokens.add(OTHER);
            }
            if (next < 0) {
                return null;
            }
            i = next;
        }
        if (!tokens.isEmpty()) {
            statements.add(tokens);
        }
        return statements;
    }

    /** The index after {@code end}, searched from {@code from}, or -1 when it never comes. */
    private static int after(String sql, String end, int from) {
        int at = sql.indexOf(end, from);
        return at < 0 ? -1 : at + end.length();
    }

    /** The index after the closing quote; a doubled quote stands for the quote itself. -1 when it never closes. */
    private static int afterQuoted(String sql, char quote, int from) {
        int at = sql.indexOf(quote, from);
        while (at >= 0 && at + 1 < sql.length() && sql.charAt(at + 1) == quote) {
            at = sql.indexOf(quote, at + 2);
        }
        return at < 0 ? -1 : at + 1;
    }

    // As SQLite's identifier characters: parameters such as :name and @name are a symbol and then a word.
    private static boolean isWordChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == '$' || c >= 0x80;
    }
}
