package dev.kuratchi.operator.organization;

import dev.kuratchi.client.token.DatabaseToken;
import java.util.Objects;

/**
 * What the admin database should say about one organization: the inputs of the rows {@link AdminRecords} keeps, a
 * pure function of the resource and its current token.
 *
 * <p>Row ids derive from the resource's uid: {@code organizations.id} is the uid, {@code databases.id} is
 * {@code uid + "-database"}, {@code organizationUsers.id} is {@code uid + "-owner"} and the {@code dbApiTokens} row's
 * id is the token id. Adopted rows keep their own ids ({@link AdminRecords#ensure}); which organization the uid
 * holds is the admin database's {@code kuratchiOwners} table's to say, never status.
 *
 * @param uid the KuratchiOrganization's metadata.uid
 * @param namespace the KuratchiOrganization's namespace (recorded with the rows: what it retains goes back to it)
 * @param name the KuratchiOrganization's metadata.name (recorded for people reading the admin database)
 * @param tokenText the whole token, only when the spec opts in with storeTokenInAdminDatabase; otherwise null, and
 *     the row's {@code token} column (NOT NULL UNIQUE in the admin schema) holds the token id, which opens nothing
 * @param email the organization's contact email, or null (the column is then NULL, also on an adopted row)
 * @param ownerEmail the owner's email, routed in {@code organizationUsers}; null for no owner
 */
public record AdminRows(String uid, String namespace, String name, String organizationName, String slug, String email,
        String databaseName, String tokenId, long tokenExpiresAtMillis, String tokenText, String ownerEmail) {
    public AdminRows {
        Objects.requireNonNull(uid, "uid");
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(organizationName, "organizationName");
        Objects.requireNonNull(slug, "slug");
        Objects.requireNonNull(databaseName, "databaseName");
        Objects.requireNonNull(tokenId, "tokenId");
    }

    /**
     * The rows for an organization: its names from the spec (with the slug and database name already resolved from
     * their defaults), the token's id and expiry, and the token itself only with the spec's opt-in.
     */
    public static AdminRows of(KuratchiOrganization organization, String slug, String databaseName,
            DatabaseToken token) {
        OrganizationSpec spec = organization.getSpec();
        boolean storeToken = Boolean.TRUE.equals(spec.getStoreTokenInAdminDatabase());
        String ownerEmail = spec.getOwner() == null ? null : spec.getOwner().getEmail();
        return new AdminRows(organization.getMetadata().getUid(), organization.getMetadata().getNamespace(),
                organization.getMetadata().getName(), spec.getOrganizationName(), slug, spec.getEmail(), databaseName,
                token.tokenId(), token.expiresAtMillis(), storeToken ? token.reveal() : null, ownerEmail);
    }

    /** The id of the databases row this resource creates (an adopted row keeps its own). */
    public String databaseId() {
        return uid + "-database";
    }

    /** The id of the organizationUsers row this resource creates for its owner (an adopted row keeps its own). */
    public String ownerRowId() {
        return uid + "-owner";
    }

    /** The dbApiTokens.token column: the token with the opt-in, else its id (the column cannot be NULL). */
    public String tokenColumn() {
        return tokenText != null ? tokenText : tokenId;
    }

    // The record's default would print the token.
    @Override
    public String toString() {
        return "AdminRows[uid=" + uid + ", namespace=" + namespace + ", name=" + name + ", slug=" + slug
                + ", databaseName=" + databaseName + ", tokenId=" + tokenId + ", tokenStored=" + (tokenText != null)
                + ", owner=" + (ownerEmail != null) + "]";
    }
}
