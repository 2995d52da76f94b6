package dev.kuratchi.client.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kuratchi.client.gateway.GatewayException;
import dev.kuratchi.client.gateway.GatewayTransport;
import dev.kuratchi.client.token.DatabaseNames;
import dev.kuratchi.client.token.GatewayKey;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * The gateway's control plane, with the gateway key: provision (and claim) a database with its migrations, read its
 * info, revoke token ids, retire or wipe it. Every call is idempotent, so each may be repeated after a failure.
 */
public final class AdminClient {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI endpoint;
    private final GatewayKey key;
    private final GatewayTransport transport;

    public AdminClient(URI endpoint, GatewayKey key, GatewayTransport transport) {
        this.endpoint = URI.create(endpoint.toString().replaceAll("/+$", ""));
        this.key = key;
        this.transport = transport;
    }

    /** Applies, in order, the migrations the database has not recorded yet, without claiming it. */
    public ProvisionResult provision(String databaseName, List<Migration> migrations) {
        return provision(databaseName, migrations, null, Adoption.NONE);
    }

    /**
     * Claims the database for {@code owner} (refused with 409 {@code database_owned} when another owner holds it, or
     * {@code database_exists} when it holds data {@code adopt} does not allow taking over), then applies, in order,
     * the migrations it has not recorded yet. The claim stands even when a migration then fails.
     */
    public ProvisionResult provision(String databaseName, List<Migration> migrations, Owner owner, Adoption adopt) {
        ObjectNode body = JSON.createObjectNode();
        ArrayNode list = body.putArray("migrations");
        migrations.forEach(m -> list.addObject().put("id", m.id()).put("sql", m.sql()));
        if (owner != null) {
            owner(body.putObject("owner"), owner);
            body.put("adopt", adopt.wire());
        }
        JsonNode answer = call("PUT", databasePath(databaseName), body);
        List<String> applied = new ArrayList<>();
        answer.path("applied").forEach(id -> applied.add(id.asText()));
        return new ProvisionResult(applied, migrations(answer.path("migrations")), text(answer.path("version")),
                text(answer.path("storageId")), text(answer.path("epoch")), answer.path("adopted").asBoolean());
    }

    public DatabaseInfo info(String databaseName) {
        JsonNode answer = call("GET", databasePath(databaseName), null);
        List<String> tables = new ArrayList<>();
        answer.path("tables").forEach(table -> tables.add(table.asText()));
        return new DatabaseInfo(answer.path("provisioned").asBoolean(), tables, answer.path("sizeBytes").asLong(),
                migrations(answer.path("migrations")), text(answer.path("version")),
                answer.path("revokedTokens").asLong(), text(answer.path("storageId")), text(answer.path("epoch")),
                owner(answer.path("owner")), owner(answer.path("retainedBy")),
                answer.path("historyMissing").asBoolean());
    }

    /**
     * Ends {@code owner}'s management of the database: every token issued for it so far stops working for good,
     * the data is wiped ({@code wipe}) or kept for an explicit adoption, and the name is free. Returns false, having
     * done nothing, when {@code owner} does not manage the database (it never did, or an earlier retire succeeded).
     */
    public boolean retire(String databaseName, Owner owner, boolean wipe) {
        ObjectNode body = JSON.createObjectNode();
        owner(body.putObject("owner"), owner);
        body.put("wipe", wipe);
        try {
            return call("POST", databasePath(databaseName) + "/retire", body).path("retired").asBoolean();
        } catch (GatewayException e) {
            if ("not_owner".equals(e.code())) {
                return false;
            }
            throw e;
        }
    }

    /**
     * Revokes token ids: the gateway refuses them from now on. {@code notAfter}, when known, is when those tokens
     * expire anyway, after which the gateway may forget the revocation. Returns how many were newly revoked.
     */
    public int revoke(String databaseName, Collection<String> tokenIds, Instant notAfter) {
        ObjectNode body = JSON.createObjectNode();
        ArrayNode ids = body.putArray("tokenIds");
        tokenIds.forEach(ids::add);
        if (notAfter != null) {
            body.put("notAfter", notAfter.toEpochMilli());
        }
        return call("POST", databasePath(databaseName) + "/revocations", body).path("revoked").asInt();
    }

    /**
     * Wipes the database's data (its owner, token epoch and revocations stay). Returns false when there was nothing
     * to wipe.
     */
    public boolean delete(String databaseName) {
        return call("DELETE", databasePath(databaseName), null).path("deleted").asBoolean();
    }

    private JsonNode call(String method, String path, Object body) {
        return transport.call(method, URI.create(endpoint + path), Map.of("authorization", "Bearer " + key.reveal()),
                body, true);
    }

    private static String databasePath(String databaseName) {
        return "/admin/databases/" + DatabaseNames.pathSegment(databaseName);
    }

    private static List<AppliedMigration> migrations(JsonNode array) {
        List<AppliedMigration> list = new ArrayList<>();
        array.forEach(m -> list.add(new AppliedMigration(m.path("id").asText(),
                Instant.ofEpochMilli(m.path("appliedAt").asLong()))));
        return list;
    }

    private static void owner(ObjectNode node, Owner owner) {
        node.put("uid", owner.uid()).put("namespace", owner.namespace()).put("name", owner.name());
    }

    private static Owner owner(JsonNode node) {
        return node.isObject() ? new Owner(node.path("uid").asText(), node.path("namespace").asText(),
                node.path("name").asText()) : null;
    }

    private static String text(JsonNode node) {
        return node.isTextual() ? node.asText() : null;
    }

    @Override
    public String toString() {
        return "AdminClient[" + endpoint + "]";
    }
}
