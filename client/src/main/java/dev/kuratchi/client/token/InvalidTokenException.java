package dev.kuratchi.client.token;

/** A token that cannot be used, with the reason the gateway would give. The message never contains the token. */
public final class InvalidTokenException extends RuntimeException {
    /** The reasons, with the codes the gateway Worker answers with. */
    public enum Reason {
        MALFORMED_TOKEN("malformed_token"),
        TOKEN_DB_MISMATCH("token_db_mismatch"),
        INVALID_SIGNATURE("invalid_signature"),
        TOKEN_EXPIRED("token_expired");

        private final String code;

        Reason(String code) {
            this.code = code;
        }

        public String code() {
            return code;
        }
    }

    private final Reason reason;

    InvalidTokenException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
