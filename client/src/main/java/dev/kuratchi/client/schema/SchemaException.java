package dev.kuratchi.client.schema;

/** A schema that cannot be used, with what to fix. */
public final class SchemaException extends RuntimeException {
    public SchemaException(String message) {
        super(message);
    }

    public SchemaException(String message, Throwable cause) {
        super(message, cause);
    }
}
