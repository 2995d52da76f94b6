package dev.kuratchi.operator.status;

import dev.kuratchi.client.token.GatewayKey;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Takes secrets out of text that came from elsewhere (an API server's or gateway's error, an exception message)
 * before it goes into a condition, an event or a log line: the gateway keys, and anything shaped like a token.
 */
public final class Redaction {
    private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9_-]+\\.[0-9a-f]{32}\\.[0-9]{1,16}\\.[A-Za-z0-9_-]{43}");
    private static final String REDACTED = "<redacted>";

    private final List<String> keys;

    public Redaction(List<GatewayKey> keys) {
        this.keys = keys.stream().map(GatewayKey::reveal).toList();
    }

    public String scrub(String text) {
        if (text == null) {
            return null;
        }
        String scrubbed = TOKEN.matcher(text).replaceAll(REDACTED);
        for (String key : keys) {
            scrubbed = scrubbed.replace(key, REDACTED);
        }
        return scrubbed;
    }
}
