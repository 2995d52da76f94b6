package dev.kuratchi.client.admin;

import java.util.List;

/** What a provision call did: the migrations it applied now, all applied ones, and the latest (the version). */
public record ProvisionResult(List<String> applied, List<AppliedMigration> migrations, String version) {
    public ProvisionResult {
        applied = List.copyOf(applied);
        migrations = List.copyOf(migrations);
    }
}
