package dev.kuratchi.client.gateway;

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

    public GatewayException(int status, String code, String message) {
        this(status, code, message, null, null, null);
    }

    public GatewayException(int status, String code, String message, String sqliteCode, Integer statementIndex,
            Throwable cause) {
        super(message, cause);
        this.status = status;
        this.code = code;
        this.sqliteCode = sqliteCode;
        this.statementIndex = statementIndex;
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

    /** True when the token was refused: expired, revoked, for another database, or badly signed. */
    public boolean isAuthenticationFailure() {
        return status == 401;
    }

    @Override
    public String toString() {
        return "GatewayException[status=" + status + ", code=" + code + "]: " + getMessage();
    }
}
