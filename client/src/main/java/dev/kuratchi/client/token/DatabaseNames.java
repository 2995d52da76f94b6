package dev.kuratchi.client.token;

import java.util.regex.Pattern;

/**
 * The one rule for database names, the same in the gateway Worker ({@code worker/src/names.js}), this client and the
 * operator's CRD, checked against the shared vectors in {@code worker/test/vectors/names.json}: every name
 * kuratchi-sdk can put in a token and send as {@code x-db-name}. Printable ASCII, because the name travels as an HTTP
 * header value; no {@code .}, because the name is the first field of a dot-separated token; no space at either end,
 * because HTTP trims header values; at most 255 characters. Names are case-sensitive: {@code Acme} and {@code acme}
 * are two databases.
 */
public final class DatabaseNames {
    /** The pattern without the length limit, in a form Java, JavaScript and Kubernetes' RE2 read alike. */
    public static final String PATTERN = "^[!-\\-/-~]([ -\\-/-~]*[!-\\-/-~])?$";
    public static final int MAX_LENGTH = 255;
    public static final String RULE = "1-255 printable ASCII characters except '.', not starting or ending with a space";
    private static final Pattern COMPILED = Pattern.compile(PATTERN);

    private DatabaseNames() {}

    public static boolean isValid(String name) {
        return name != null && name.length() <= MAX_LENGTH && COMPILED.matcher(name).matches();
    }

    /** Returns the name, or throws with the rule when it breaks it. */
    public static String require(String name) {
        if (!isValid(name)) {
            throw new IllegalArgumentException("invalid database name '" + name + "': use " + RULE);
        }
        return name;
    }

    /** The name as one URL path segment: every character but letters, digits, '-', '_' and '~' percent-encoded. */
    public static String pathSegment(String name) {
        StringBuilder segment = new StringBuilder(require(name).length());
        for (char c : name.toCharArray()) {
            if (Character.isLetterOrDigit(c) || c == '-' || c == '_' || c == '~') {
                segment.append(c);
            } else {
                segment.append('%').append(String.format("%02X", (int) c));
            }
        }
        return segment.toString();
    }
}
