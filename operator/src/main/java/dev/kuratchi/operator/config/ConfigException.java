package dev.kuratchi.operator.config;

/** Configuration that stops start-up; the message is the one line the operator prints. */
public final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }
}
