package dev.kuratchi.client.admin;

import java.util.List;

/** A database as the gateway sees it. {@code provisioned} is false for a name that was never provisioned. */
public record DatabaseInfo(boolean provisioned, List<String> tables, long sizeBytes,
        List<AppliedMigration> migrations, String version, long revokedTokens) {
    public DatabaseInfo {
        tables = List.copyOf(tables);
        migrations = List.copyOf(migrations);
    }
}
