package dev.kuratchi.operator.dodatabase;

import static dev.kuratchi.operator.status.Conditions.TRUE;

import dev.kuratchi.client.admin.DatabaseInfo;
import dev.kuratchi.client.admin.Migration;
import dev.kuratchi.client.admin.ProvisionResult;
import dev.kuratchi.client.gateway.GatewayException;
import dev.kuratchi.operator.gateway.GatewayDeployer;
import dev.kuratchi.operator.status.Conditions;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The database at the gateway: this resource's claim on its name (the gateway records the owner, so no other
 * resource, in any namespace or cluster, can provision, adopt or delete it meanwhile), its migrations, and a
 * periodic read that finds storage lost behind the operator's back (a deleted or replaced Worker takes its Durable
 * Object storage with it).
 */
final class DatabaseStage {
    static final String DATABASE_PROVISIONED = DoDatabaseReconciler.DATABASE_PROVISIONED;
    static final String SCHEMA_APPLIED = DoDatabaseReconciler.SCHEMA_APPLIED;
    static final Duration RECHECK_BLOCKED = Duration.ofMinutes(1);
    /** Failures that say the claim itself is not this resource's, or the operator cannot act at all. */
    private static final java.util.Set<String> CLAIM_FAILURES = java.util.Set.of("AlreadyManaged", "ExistingData",
            "GatewayKeyRejected", "GatewayNotFound");

    private final TenancyRules tenancy;
    private final StorageChecks checks;
    private final GatewayDeployer deployer;

    DatabaseStage(TenancyRules tenancy, StorageChecks checks, GatewayDeployer deployer) {
        this.tenancy = tenancy;
        this.checks = checks;
        this.deployer = deployer;
    }

    /**
     * Claims and migrates when the claim or the schema needs it; otherwise checks the storage when that is due, or
     * when the last attempt failed, so a condition a passing failure left is set right.
     */
    void ensure(Attempt a) {
        boolean claimed = a.status.getStorageId() != null && a.status.getEpoch() != null;
        String hash = schemaHash(a);
        boolean due = checks.due(a.uid(), a.now);
        // A schema the gateway refused is tried again once a check interval: a person may have fixed the database.
        boolean schemaStuck = due && hash != null && !Conditions.isTrue(a.conditions.list(), SCHEMA_APPLIED);
        if (!claimed || hash != null && !hash.equals(a.status.getSchemaHash()) || schemaStuck) {
            try {
                provision(a);
            } catch (StageFailure failure) {
                if (!claimed || CLAIM_FAILURES.contains(failure.reason())) {
                    throw failure;
                }
                // The claim stands from before and only the schema failed: confirm the claim with a read, so the
                // token does not wait on the schema; a passing failure is retried after the token stage, another
                // one is tried again at the next check.
                StageFailure schema = failure.on(SCHEMA_APPLIED);
                if (schema.isTransient()) {
                    a.retryLater = schema;
                } else {
                    a.problems.add(schema);
                    a.status.setSchemaHash(hash);
                }
                try {
                    verify(a);
                } catch (StageFailure unconfirmed) {
                    a.problems.add(schema);
                    throw unconfirmed;
                }
            }
        } else if (due || !Conditions.isTrue(a.conditions.list(), DATABASE_PROVISIONED)) {
            verify(a);
        }
    }

    /** The token epoch, confirmed by the gateway for this resource's claim (read now if not yet in this reconcile). */
    String confirmedEpoch(Attempt a) {
        if (a.confirmedEpoch == null) {
            verify(a);
        }
        return a.confirmedEpoch;
    }

    private static String schemaHash(Attempt a) {
        return a.migrations == null ? null : MigrationHash.of(a.databaseName, a.endpoint, a.migrations);
    }

    private void verify(Attempt a) {
        DatabaseInfo info;
        try {
            info = a.admin.info(a.databaseName);
        } catch (GatewayException e) {
            throw GatewayFailures.of(DATABASE_PROVISIONED, e, deployer);
        }
        boolean ours = info.owner() != null && a.uid().equals(info.owner().uid());
        if (ours && Objects.equals(info.storageId(), a.status.getStorageId())) {
            claimed(a, info.storageId(), info.epoch(), false);
            checks.checked(a.uid(), a.now);
            return;
        }
        // Not as this resource left it: the storage was lost or wiped, or the claim is gone. Claiming again tells which.
        provision(a);
    }

    private void provision(Attempt a) {
        String hash = schemaHash(a);
        List<Migration> migrations = a.migrations == null ? List.of() : a.migrations;
        if (a.status.getStorageId() == null && a.otherClaimants.stream().anyMatch(DatabaseStage::heldIt)) {
            // The gateway decides who holds a name, but it forgets when its storage is lost: a resource of this
            // cluster that held the name (terminating or not) keeps it, and a newcomer waiting for it never takes it.
            throw alreadyManaged(a);
        }
        try {
            ProvisionResult result = a.admin.provision(a.databaseName, migrations, a.owner(),
                    tenancy.adoption(a.namespace(), a.databaseName, a.resource.getSpec().getExistingData()));
            claimed(a, result.storageId(), result.epoch(), result.adopted());
            if (hash != null) {
                a.status.setSchemaHash(hash);
                a.status.setAppliedMigrations(result.migrations().isEmpty() ? null
                        : result.migrations().stream().map(m -> m.id()).toList());
                a.status.setSchemaVersion(result.version());
                a.conditions.set(SCHEMA_APPLIED, TRUE, "Applied", migrations.isEmpty() ? "no schema requested"
                        // The history, not this call's work: an adopted database may hold what kuratchi-sdk applied.
                        : "version " + result.version() + "; " + result.migrations().size()
                                + " migrations in migrations_history");
            }
        } catch (GatewayException e) {
            switch (e.code()) {
                case "database_owned" -> throw alreadyManaged(a);
                case "database_exists" -> throw StageFailure.blocked(DATABASE_PROVISIONED, "ExistingData",
                        existingData(a, e), RECHECK_BLOCKED);
                case "migration_failed", "migration_changed", "history_missing", "sql_error" -> {
                    if (e.details().get("epoch") == null) {
                        // The error undid the claim with everything else (an SQLite error that resets the object).
                        throw GatewayFailures.of(DATABASE_PROVISIONED, e, deployer);
                    }
                    // The claim stands; only the schema is stuck, and it must not hold up the token.
                    claimed(a, e.details().get("storageId"), e.details().get("epoch"), false);
                    a.status.setSchemaHash(hash);
                    a.problems.add(StageFailure.permanent(SCHEMA_APPLIED, schemaReason(e.code()), e.getMessage()
                            + "; fix it in " + source(a) + (e.code().equals("history_missing") ? ""
                            : " (migrations before it stay applied)")));
                }
                case "body_too_large" -> {
                    if (migrations.isEmpty()) {
                        throw GatewayFailures.of(DATABASE_PROVISIONED, e, deployer);
                    }
                    // Claim without the migrations, so the token does not wait on them.
                    a.problems.add(StageFailure.permanent(SCHEMA_APPLIED, "MigrationsTooLarge", "the migrations of "
                            + source(a) + " are larger than the gateway takes in one request (" + e.getMessage()
                            + "); split them, or raise the Worker's MAX_BODY_BYTES"));
                    a.migrations = null;
                    provision(a);
                    a.status.setSchemaHash(hash);
                    return;
                }
                default -> throw GatewayFailures.of(DATABASE_PROVISIONED, e, deployer);
            }
        }
        checks.checked(a.uid(), a.now);
    }

    private static boolean heldIt(DoDatabase other) {
        return other.getStatus() != null && other.getStatus().getStorageId() != null;
    }

    private static StageFailure alreadyManaged(Attempt a) {
        return StageFailure.blocked(DATABASE_PROVISIONED, "AlreadyManaged", "database " + a.databaseName + " is "
                + "already managed by another resource (in this or another namespace, or another cluster sharing the "
                + "Cloudflare account); this one touches nothing: choose another spec.databaseName", RECHECK_BLOCKED);
    }

    private static void claimed(Attempt a, String storageId, String epoch, boolean adopted) {
        String before = a.status.getStorageId();
        boolean lost = before != null && !before.equals(storageId);
        a.status.setStorageId(storageId);
        a.status.setEpoch(epoch);
        a.confirmedEpoch = epoch;
        if (lost) {
            a.status.setStorageLostAt(a.now.toString());
            // The new storage has none of the schema: apply it again.
            a.status.setSchemaHash(null);
            a.conditions.set(DATABASE_PROVISIONED, TRUE, "Reprovisioned", "the storage of database " + a.databaseName
                    + " was lost (the gateway Worker was deleted or replaced outside the operator, or the data was "
                    + "wiped); it was provisioned again, empty");
        } else if (adopted) {
            a.conditions.set(DATABASE_PROVISIONED, TRUE, "Adopted", "database " + a.databaseName + " and the data it "
                    + "held are now managed by this resource; tokens issued for it before no longer work");
        } else if (!Conditions.isTrue(a.conditions.list(), DATABASE_PROVISIONED)) {
            a.conditions.set(DATABASE_PROVISIONED, TRUE, "Provisioned", "database " + a.databaseName + " exists");
        }
    }

    private String existingData(Attempt a, GatewayException e) {
        boolean sameNamespace = Boolean.parseBoolean(e.details().get("sameNamespace"));
        boolean adopting = a.resource.getSpec().getExistingData() == ExistingData.Adopt;
        String held = sameNamespace ? "data kept (deletionPolicy Retain) by a deleted DoDatabase of this namespace"
                : "retained".equals(e.details().get("origin")) ? "data kept by a deleted DoDatabase of another namespace"
                : "data created outside this operator (for example by kuratchi-sdk)";
        String todo = sameNamespace || adopting && tenancy.adoptionNamespaces().contains(a.namespace())
                ? "set spec.existingData: Adopt to take it over with its data, or choose another spec.databaseName"
                : "this namespace may take it over only if the operator's KURATCHI_ADOPTION_NAMESPACES lists it "
                        + "(ask your platform team) and spec.existingData is Adopt; or choose another spec.databaseName";
        if (a.databaseName.equals(tenancy.adminDatabase().databaseName()) && !sameNamespace) {
            todo = adminTodo(a, "retained".equals(e.details().get("origin")));
        }
        return "database " + a.databaseName + " already holds " + held + "; nothing was touched: " + todo;
    }

    /** What the platform team can do about data in the admin database's name that the admin database may not take. */
    private String adminTodo(Attempt a, boolean retained) {
        String erase = "erase it at the gateway (DELETE /admin/databases/" + a.databaseName + " with the gateway key; "
                + "the admin database is then made empty), or set KURATCHI_ADMIN_DATABASE to another name";
        return retained ? "the admin database never takes over data another namespace kept (a tenant could have "
                + "planted tables or triggers in it): " + erase
                : "kuratchi-sdk's admin database is taken over with its rows only when the operator's "
                        + "KURATCHI_ADOPTION_NAMESPACES lists namespace " + a.namespace() + " and spec.existingData is "
                        + "Adopt (as the operator makes it); or " + erase;
    }

    private static String schemaReason(String code) {
        return switch (code) {
            case "migration_failed", "sql_error" -> "MigrationFailed";
            case "migration_changed" -> "MigrationChanged";
            default -> "MigrationHistoryMissing";
        };
    }

    private static String source(Attempt a) {
        SchemaSource schema = a.resource.getSpec().getSchema();
        return schema != null && schema.getConfigMap() != null ? "ConfigMap " + schema.getConfigMap() : "spec.schema";
    }
}
