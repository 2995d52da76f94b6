package dev.kuratchi.client.orm;

/**
 * A query the ORM refuses before any SQL is sent: an unknown table or column, a missing WHERE, a value an operator
 * cannot use, or more parameters than the gateway binds in one statement.
 */
public final class OrmException extends RuntimeException {
    public OrmException(String message) {
        super(message);
    }
}
