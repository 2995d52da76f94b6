package dev.kuratchi.operator.dodatabase;

/** The resource asks for something that cannot be done; fixing the resource is the only way forward. */
public final class InvalidSpecException extends RuntimeException {
    private final String reason;

    public InvalidSpecException(String message) {
        this("InvalidSpec", message);
    }

    public InvalidSpecException(String reason, String message) {
        super(message);
        this.reason = reason;
    }

    /** The condition reason, CamelCase. */
    public String reason() {
        return reason;
    }
}
