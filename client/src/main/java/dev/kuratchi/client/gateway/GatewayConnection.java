package dev.kuratchi.client.gateway;

import dev.kuratchi.client.token.DatabaseNames;
import dev.kuratchi.client.token.DatabaseToken;
import java.net.URI;

/** The gateway endpoint, the database and the token that opens it. */
public record GatewayConnection(URI endpoint, String databaseName, DatabaseToken token) implements ConnectionSource {
    public GatewayConnection {
        DatabaseNames.require(databaseName);
        if (!token.databaseName().equals(databaseName)) {
            throw new IllegalArgumentException(
                    "the token is for database '" + token.databaseName() + "', not '" + databaseName + "'");
        }
        String path = endpoint.getPath();
        if (path != null && path.endsWith("/")) {
            endpoint = URI.create(endpoint.toString().replaceAll("/+$", ""));
        }
    }

    @Override
    public GatewayConnection current() {
        return this;
    }

    URI resolve(String path) {
        return URI.create(endpoint + path);
    }
}
