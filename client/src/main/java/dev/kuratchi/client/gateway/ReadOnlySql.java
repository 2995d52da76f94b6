package dev.kuratchi.client.gateway;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Whether a statement only reads, so that repeating it after a failure is harmless. Conservative: anything it
 * cannot tell is treated as a write.
 *
 * <p>It reads the text as SQLite's tokenizer does, so that a keyword or {@code ;} inside a string literal, a quoted
 * name or a comment counts for nothing, and a literal that looks like a comment ({@code '--'}, {@code '/*'}) cannot
 * hide what follows it.
 */
final class ReadOnlySql {
    private static final String[] READ_STARTS = {"select", "with", "values", "explain"};
    private static final String[] WRITE_WORDS = {"insert", "update", "delete", "replace", "create", "drop", "alter",
        "returning", "upsert", "vacuum", "reindex", "attach", "detach"};

    // It runs on every query, and apps send the same few statement texts again and again (parameters go apart):
    // the answer for a text is kept, as it depends on the text alone. Bounded, so texts that differ every time
    // (values written into the SQL) cost memory only until it is full; after that they are read each time.
    static final int KEPT_TEXTS = 1024;
    static final int KEPT_LENGTH = 4096;
    private static final Map<String, Boolean> KEPT = new ConcurrentHashMap<>();

    private ReadOnlySql() {}

    static boolean isReadOnly(String sql) {
        Boolean kept = KEPT.get(sql);
        if (kept != null) {
            return kept;
        }
        boolean readOnly = read(sql);
        if (sql.length() <= KEPT_LENGTH && KEPT.size() < KEPT_TEXTS) {
            KEPT.put(sql, readOnly);
        }
        return readOnly;
    }

    static int keptTexts() {
        return KEPT.size();
    }

    /**
     * True when the text holds exactly one non-empty statement, its first token is a word of {@link #READ_STARTS}
     * and no token is a word of {@link #WRITE_WORDS}. One pass, no allocation.
     */
    private static boolean read(String sql) {
        int statements = 0;
        boolean inStatement = false;
        boolean readStart = false;
        int i = 0;
        while (i < sql.length()) {
            char c = sql.charAt(i);
            int next;
            int word = -1; // the start of an unquoted word; any other token is a literal, a quoted name or a symbol
            if (Character.isWhitespace(c)) {
                i++;
                continue;
            } else if (c == '-' && sql.startsWith("--", i)) {
                int newline = sql.indexOf('\n', i);
                i = newline < 0 ? sql.length() : newline + 1;
                continue;
            } else if (c == '/' && sql.startsWith("/*", i)) {
                next = after(sql, "*/", i + 2);
                if (next < 0) {
                    return false;
                }
                i = next;
                continue;
            } else if (c == ';') {
                inStatement = false;
                i++;
                continue;
            } else if (c == '\'' || c == '"' || c == '`') {
                next = afterQuoted(sql, c, i + 1);
            } else if (c == '[') {
                next = after(sql, "]", i + 1);
            } else if (isParameterWithSuffix(sql, i)) {
                return false; // SQLite reads on to the ')', quotes and all: what it hides cannot be told
            } else if (isWordChar(c)) {
                word = i;
                next = i + 1;
                while (next < sql.length() && isWordChar(sql.charAt(next))) {
                    next++;
                }
            } else {
                next = i + 1;
            }
            if (next < 0) {
                return false; // a literal, quoted name or comment that never closes
            }
            if (!inStatement) {
                inStatement = true;
                if (++statements > 1) {
                    return false;
                }
                readStart = word >= 0 && isAny(sql, word, next, READ_STARTS);
            }
            if (word >= 0 && isAny(sql, word, next, WRITE_WORDS)) {
                return false;
            }
            i = next;
        }
        return statements == 1 && readStart;
    }

    /** Whether {@code sql[start, end)} is one of the lower-case ASCII keywords, in any case. */
    private static boolean isAny(String sql, int start, int end, String[] keywords) {
        char first = lower(sql.charAt(start));
        for (String keyword : keywords) {
            if (keyword.charAt(0) == first && keyword.length() == end - start && isKeyword(sql, start, keyword)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isKeyword(String sql, int start, String keyword) {
        for (int k = 1; k < keyword.length(); k++) {
            if (lower(sql.charAt(start + k)) != keyword.charAt(k)) {
                return false;
            }
        }
        return true;
    }

    // ASCII case folding only: SQLite's keywords are ASCII, and no other character lower-cases to one of theirs.
    private static char lower(char c) {
        return c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c;
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

    /**
     * A parameter such as {@code $name(...)} or {@code :a::b}: SQLite's tokenizer (TCL-style variables) takes the
     * {@code (...)} up to the next {@code )} or space, quotes included, as part of the parameter, so a quote there
     * opens no literal and the text after it is SQL this scanner would otherwise read as a string.
     */
    private static boolean isParameterWithSuffix(String sql, int at) {
        char c = sql.charAt(at);
        if (c != '$' && c != '@' && c != ':' && c != '#') {
            return false;
        }
        int end = at + 1;
        while (end < sql.length() && isWordChar(sql.charAt(end))) {
            end++;
        }
        return end > at + 1 && (sql.startsWith("(", end) || sql.startsWith("::", end));
    }

    // As SQLite's identifier characters: parameters such as :name and @name are a symbol and then a word.
    private static boolean isWordChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == '$' || c >= 0x80;
    }
}
