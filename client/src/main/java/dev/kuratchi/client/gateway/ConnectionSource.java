package dev.kuratchi.client.gateway;

/**
 * Where a {@link GatewayClient} gets its endpoint, database and token for each call. A fixed connection, or one
 * that follows a mounted Secret as the operator renews the token.
 */
public interface ConnectionSource {
    GatewayConnection current();

    /** Looks again (for example re-reads files) after the gateway refused the token; by default the same. */
    default GatewayConnection reload() {
        return current();
    }
}
