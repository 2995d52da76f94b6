package dev.kuratchi.client.admin;

import java.util.List;

/**
 * A database as the gateway sees it. {@code provisioned} is false for a name that was never provisioned (or was
 * wiped); {@code storageId} changes when the storage is lost or wiped; {@code owner} and {@code retainedBy} are null
 * when nobody manages it or retained it.
 */
public record DatabaseInfo(boolean provisioned, List<String> tables, long sizeBytes,
        List<AppliedMigration> migrations, String version, long revokedTokens, String storageId, String epoch,
        Owner owner, Owner retainedBy, boolean historyMissing) {
    public DatabaseInfo {
        tables = List.copyOf(tables);
        migrations = List.copyOf(migrations);
    }
}
