package dev.kuratchi.client.token;

import java.util.regex.Pattern;

/**
 * The one rule for database names, the same in the gateway Worker, this client and the operator's CRD: lowercase
 * letters, digits, {@code _} and {@code -}, 1-63 characters, starting with a letter or digit. No dots, because the
 * name is the first field of a dot-separated token.
 */
public final class DatabaseNames {
    public static final String PATTERN = "^[a-z0-9][a-z0-9_-]{0,62}$";
    public static final String RULE =
            "lowercase letters, digits, '_' and '-', 1-63 characters, starting with a letter or digit";
    private static final Pattern COMPILED = Pattern.compile(PATTERN);

    private DatabaseNames() {}

    public static boolean isValid(String name) {
        return name != null && COMPILED.matcher(name).matches();
    }

    /** Returns the name, or throws with the rule when it breaks it. */
    public static String require(String name) {
        if (!isValid(name)) {
            throw new IllegalArgumentException("invalid database name '" + name + "': use " + RULE);
        }
        return name;
    }
}
