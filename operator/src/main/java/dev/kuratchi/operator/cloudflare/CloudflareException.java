package dev.kuratchi.operator.cloudflare;

import java.time.Duration;

/**
 * A Cloudflare API call that failed, classified: a permanent failure (bad token, unknown account, a refused
 * request) is not retried; a transient one (rate limit, 5xx, network) is. The message is Cloudflare's own
 * {@code message [code: N]}, which never holds our token.
 */
public final class CloudflareException extends RuntimeException {
    /** How to react. */
    public enum Kind {
        /** The API token or account was refused: fix the operator's configuration. */
        AUTHENTICATION,
        /** Cloudflare refused the request itself (validation); retrying the same call will not help. */
        REJECTED,
        /** Rate limited; try again after {@link #retryAfter()}. */
        RATE_LIMITED,
        /** 5xx or no answer; try again later. */
        UNAVAILABLE
    }

    private final Kind kind;
    private final int status;
    private final int code;
    private final Duration retryAfter;

    public CloudflareException(Kind kind, int status, int code, String message, Duration retryAfter, Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.status = status;
        this.code = code;
        this.retryAfter = retryAfter;
    }

    public Kind kind() {
        return kind;
    }

    public int status() {
        return status;
    }

    /** Cloudflare's first error code, 0 when there was none. */
    public int code() {
        return code;
    }

    public Duration retryAfter() {
        return retryAfter;
    }

    public boolean isPermanent() {
        return kind == Kind.AUTHENTICATION || kind == Kind.REJECTED;
    }
}
