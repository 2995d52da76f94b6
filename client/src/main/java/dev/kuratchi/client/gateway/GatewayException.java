package dev.kuratchi.client.gateway;

import java.util.Map;

/**
 * A call the gateway refused or could not answer: the HTTP status, the gateway's error code (for example
 * {@code sql_error}, {@code token_expired}) and message. The message comes from the gateway, which never echoes a
 * token or key; this client adds none. {@code status} is 0 when no HTTP answer arrived.
 */
public class GatewayException extends RuntimeException {
    private final int status;
    private final String code;
    private final String sqliteCode;
    private final Integer statementIndex;
    private final Map<String, String> details;

    public GatewayException(int status, String code, String message) {
        this(status, code, message, null, null, null, Map.of());
    }

    public GatewayException(int status, String code, String message, String sqliteCode, Integer statementIndex,
            Throwable cause) {
        this(status, code, message, sqliteCode, statementIndex, cause, Map.of());
    }

    public GatewayException(int status, String code, String message, String sqliteCode, Integer statementIndex,
            Throwable cause, Map<String, String> details) {
        super(message, cause);
        this.status = status;
        this.code = code;
        this.sqliteCode = sqliteCode;
        this.statementIndex = statementIndex;
        this.details = Map.copyOf(details);
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    /** SQLite's result code for SQL errors, such as {@code SQLITE_CONSTRAINT}; null otherwise. */
    public String sqliteCode() {
        return sqliteCode;
    }

    /** In a batch, the index of the statement that failed; null otherwise. */
    public Integer statementIndex() {
        return statementIndex;
    }

    /** The answer's other scalar fields, as text (for example a refused claim's {@code origin}). */
    public Map<String, String> details() {
        return details;
    }

    /**
     * True when the answer says the gateway Worker that should serve is not there: no HTTP answer at all, a 404
     * (the route or the script is gone, or another version serves it), or any answer below 500 without the
     * gateway's envelope (another Worker, such as kuratchi-sdk's, now serves the script name, or a login page sits in
     * front of it). A 5xx is not: an edge error passes by itself.
     */
    public boolean isFromElsewhere() {
        return status == 0 || status == 404 || status < 500 && code.startsWith("http_");
    }

    /** True when the token was refused: expired, revoked, for another database, or badly signed. */
    public boolean isAuthenticationFailure() {
        return status == 401;
    }

    @Override
    public String toString() {
        return "GatewayException[status=" + status + ", code=" + code + "]: " + getMessage();
    }
}
