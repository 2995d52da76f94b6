package dev.kuratchi.client.admin;

import java.util.List;

/**
 * What a provision call did: the migrations it applied now, all applied ones, and the latest (the version); the
 * storage's id, the token epoch (null until a claim), and whether this call adopted existing data.
 */
public record ProvisionResult(List<String> applied, List<AppliedMigration> migrations, String version,
        String storageId, String epoch, boolean adopted) {
    public ProvisionResult {
        applied = List.copyOf(applied);
        migrations = List.copyOf(migrations);
    }
}
