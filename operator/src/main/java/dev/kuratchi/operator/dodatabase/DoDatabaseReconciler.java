package dev.kuratchi.operator.dodatabase;

import static dev.kuratchi.operator.status.Conditions.FALSE;
import static dev.kuratchi.operator.status.Conditions.TRUE;

import dev.kuratchi.client.admin.AdminClient;
import dev.kuratchi.client.admin.Migration;
import dev.kuratchi.client.admin.ProvisionResult;
import dev.kuratchi.client.gateway.GatewayException;
import dev.kuratchi.client.token.DatabaseNames;
import dev.kuratchi.client.token.DatabaseToken;
import dev.kuratchi.client.token.GatewayKey;
import dev.kuratchi.client.token.Tokens;
import dev.kuratchi.operator.cloudflare.CloudflareException;
import dev.kuratchi.operator.events.EventRecorder;
import dev.kuratchi.operator.gateway.GatewayDeployer;
import dev.kuratchi.operator.metrics.OperatorMetrics;
import dev.kuratchi.operator.status.Conditions;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconciles a DoDatabase: the gateway Worker is deployed (once per account), the database is provisioned with its
 * migrations, a token is kept valid in the Secret, replaced tokens are revoked after a grace period, and the
 * status says where each stage stands. Each stage is idempotent; a reconcile that finds everything in place makes
 * no write at all.
 */
// Not generation-aware: the rotate annotation is metadata, which does not change the generation. A reconcile set
// off by our own status write finds everything in place and writes nothing.
@ControllerConfiguration(name = DoDatabaseReconciler.NAME, generationAwareEventProcessing = false)
public class DoDatabaseReconciler implements Reconciler<DoDatabase>, Cleaner<DoDatabase> {
    public static final String NAME = "dodatabase";
    public static final String READY = "Ready";
    public static final String WORKER_DEPLOYED = "WorkerDeployed";
    public static final String DATABASE_PROVISIONED = "DatabaseProvisioned";
    public static final String SCHEMA_APPLIED = "SchemaApplied";
    public static final String TOKEN_ISSUED = "TokenIssued";
    static final String ALREADY_MANAGED = "AlreadyManaged";
    private static final Duration RECHECK_BLOCKED = Duration.ofMinutes(1);
    private static final Duration MAX_BACKOFF = Duration.ofMinutes(5);
    private static final Logger LOG = LoggerFactory.getLogger(DoDatabaseReconciler.class);

    /** What the reconciler works with. */
    public record Collaborators(KubernetesClient client, GatewayDeployer deployer, Function<URI, AdminClient> admins,
            GatewayKey gatewayKey, List<GatewayKey> verificationKeys, Clock clock, Duration revocationGracePeriod,
            EventRecorder events, OperatorMetrics metrics) {}

    private final Collaborators with;
    private final TokenKeeper tokens;
    // Failed attempts in a row per resource, for the backoff of transient failures.
    private final Map<String, Integer> failures = new ConcurrentHashMap<>();

    public DoDatabaseReconciler(Collaborators with) {
        this.with = with;
        this.tokens = new TokenKeeper(with.client(), new Tokens(with.gatewayKey(), with.clock()), with.gatewayKey(),
                with.verificationKeys(), with.revocationGracePeriod());
    }

    @Override
    public List<EventSource<?, DoDatabase>> prepareEventSources(EventSourceContext<DoDatabase> context) {
        // Our Secrets, by owner reference: a Secret deleted or edited by hand is put back at once.
        var secrets = new InformerEventSource<>(InformerEventSourceConfiguration.from(Secret.class, DoDatabase.class)
                .withLabelSelector(TokenSecret.MANAGED_BY_LABEL + "=" + TokenSecret.MANAGED_BY).build(), context);
        // ConfigMaps of migrations: a new migration is applied as soon as it is added.
        var configMaps = new InformerEventSource<>(InformerEventSourceConfiguration.from(ConfigMap.class, DoDatabase.class)
                .withSecondaryToPrimaryMapper((ConfigMap configMap) -> context.getPrimaryCache()
                        .list(configMap.getMetadata().getNamespace(), db -> db.getSpec().getSchema() != null
                                && configMap.getMetadata().getName().equals(db.getSpec().getSchema().getConfigMap()))
                        .map(ResourceID::fromResource).collect(Collectors.toSet()))
                .build(), context);
        return List.of(secrets, configMaps);
    }

    @Override
    public UpdateControl<DoDatabase> reconcile(DoDatabase resource, Context<DoDatabase> context) {
        Instant now = with.clock().instant();
        DoDatabaseStatus before = resource.getStatus() == null ? new DoDatabaseStatus() : resource.getStatus();
        DoDatabaseStatus status = DoDatabaseStatus.copyOf(before);
        Conditions conditions = new Conditions(before.getConditions(), resource.getMetadata().getGeneration(), now);
        Duration requeue;
        try {
            requeue = converge(resource, context, status, conditions, now);
            failures.remove(resource.getMetadata().getUid());
            conditions.set(READY, TRUE, "Ready", "database " + status.getDatabaseName() + " is ready; apps mount Secret "
                    + status.getSecretName());
        } catch (StageFailure failure) {
            conditions.set(failure.condition(), FALSE, failure.reason(), failure.getMessage());
            if (!failure.condition().equals(READY)) {
                conditions.set(READY, FALSE, failure.reason(), failure.getMessage());
            }
            requeue = failure.isTransient() ? backoff(resource, failure.retryAfter()) : failure.retryAfter();
            LOG.info("{}/{}: {}: {}", resource.getMetadata().getNamespace(), resource.getMetadata().getName(),
                    failure.reason(), failure.getMessage());
        }
        status.setObservedGeneration(resource.getMetadata().getGeneration());
        status.setConditions(conditions.list());
        recordTransitions(resource, before.getConditions(), status.getConditions());
        with.metrics().observed(resource.getMetadata().getNamespace(), resource.getMetadata().getName(),
                Conditions.isTrue(status.getConditions(), READY),
                status.getToken() == null ? null : Instant.parse(status.getToken().notAfter()));

        UpdateControl<DoDatabase> control;
        if (status.equals(before)) {
            control = UpdateControl.noUpdate();
        } else {
            resource.setStatus(status);
            control = UpdateControl.patchStatus(resource);
        }
        return requeue == null ? control : control.rescheduleAfter(requeue);
    }

    private Duration converge(DoDatabase resource, Context<DoDatabase> context, DoDatabaseStatus status,
            Conditions conditions, Instant now) {
        String databaseName = databaseName(resource);
        if (status.getDatabaseName() != null && !status.getDatabaseName().equals(databaseName)) {
            throw StageFailure.permanent(READY, "DatabaseNameChanged", "spec.databaseName changed from "
                    + status.getDatabaseName() + " to " + databaseName + "; it is immutable: set it back, or create a "
                    + "new DoDatabase for the other database");
        }
        claim(resource, context, databaseName);
        TokenPolicy policy = tokenPolicy(resource);
        List<Migration> migrations = migrations(resource);
        String secretName = TokenSecret.name(resource);
        String namespace = resource.getMetadata().getNamespace();
        Secret existing = with.client().secrets().inNamespace(namespace).withName(secretName).get();
        if (existing != null && !TokenSecret.ownedBy(existing, resource)) {
            throw StageFailure.blocked(TOKEN_ISSUED, "SecretConflict", "Secret " + secretName + " already exists and "
                    + "is not owned by this DoDatabase; it is never overwritten: delete it, or set spec.secret.name to "
                    + "another name", RECHECK_BLOCKED);
        }
        status.setDatabaseName(databaseName);
        status.setSecretName(secretName);

        URI endpoint = deploy();
        status.setEndpoint(endpoint.toString());
        conditions.set(WORKER_DEPLOYED, TRUE, "Deployed", "the gateway Worker serves at " + endpoint);

        AdminClient admin = with.admins().apply(endpoint);
        String schemaHash = MigrationHash.of(databaseName, endpoint, migrations);
        boolean provisionedAlready = schemaHash.equals(status.getSchemaHash())
                && Conditions.isTrue(status.getConditions(), SCHEMA_APPLIED);
        if (!provisionedAlready) {
            ProvisionResult provisioned = provision(admin, databaseName, migrations, resource, conditions);
            status.setAppliedMigrations(provisioned.migrations().isEmpty() ? null
                    : provisioned.migrations().stream().map(m -> m.id()).toList());
            status.setSchemaVersion(provisioned.version());
            status.setSchemaHash(schemaHash);
            conditions.set(SCHEMA_APPLIED, TRUE, "Applied", migrations.isEmpty() ? "no schema requested"
                    : provisioned.migrations().size() + " migrations applied; version " + provisioned.version());
        }

        List<PendingRevocation> pending = new ArrayList<>(
                status.getPendingRevocations() == null ? List.of() : status.getPendingRevocations());
        DatabaseToken token = tokens.ensure(resource, existing, databaseName, endpoint, policy, status, conditions,
                pending, now);
        Instant renewal = policy.renewalTime(token);
        status.setToken(new TokenStatus(token.tokenId(), token.expiresAt().toString(), renewal.toString()));

        try {
            pending = tokens.revokeDue(admin, databaseName, pending, now);
        } catch (GatewayException e) {
            throw gatewayFailure(TOKEN_ISSUED, e);
        }
        status.setPendingRevocations(pending.isEmpty() ? null : pending);

        Instant next = pending.stream().map(p -> Instant.parse(p.revokeAfter())).min(Comparator.naturalOrder())
                .filter(t -> t.isBefore(renewal)).orElse(renewal);
        Duration wait = Duration.between(now, next);
        return wait.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : wait;
    }

    static String databaseName(DoDatabase resource) {
        String name = effectiveName(resource);
        if (!DatabaseNames.isValid(name)) {
            throw StageFailure.permanent(READY, "InvalidDatabaseName", "database name '" + name + "' is invalid: use "
                    + DatabaseNames.RULE + (resource.getSpec().getDatabaseName() == null
                    ? "; metadata.name does not fit, so set spec.databaseName" : ""));
        }
        return name;
    }

    // The first claimant keeps a database; a later resource naming it touches nothing.
    private void claim(DoDatabase resource, Context<DoDatabase> context, String databaseName) {
        List<DatabaseClaims.Claimant> claimants = context.getPrimaryCache().list()
                .filter(other -> other.getMetadata().getDeletionTimestamp() == null
                        || Objects.equals(other.getMetadata().getUid(), resource.getMetadata().getUid()))
                .filter(other -> databaseName.equals(effectiveName(other)))
                .map(other -> new DatabaseClaims.Claimant(other.getMetadata().getNamespace(),
                        other.getMetadata().getName(), Instant.parse(other.getMetadata().getCreationTimestamp()),
                        holdsClaim(other, databaseName)))
                .toList();
        DatabaseClaims.owner(claimants).filter(owner -> !owner.namespace().equals(resource.getMetadata().getNamespace())
                || !owner.name().equals(resource.getMetadata().getName())).ifPresent(owner -> {
                    throw StageFailure.blocked(READY, ALREADY_MANAGED, "database " + databaseName
                            + " is already managed by DoDatabase " + owner.namespace() + "/" + owner.name()
                            + "; this one touches nothing: set another spec.databaseName, or delete one of them",
                            RECHECK_BLOCKED);
                });
    }

    private static String effectiveName(DoDatabase resource) {
        return Optional.ofNullable(resource.getSpec().getDatabaseName()).orElse(resource.getMetadata().getName());
    }

    private static boolean holdsClaim(DoDatabase resource, String databaseName) {
        DoDatabaseStatus status = resource.getStatus();
        return status != null && databaseName.equals(status.getDatabaseName())
                && Conditions.find(status.getConditions(), READY).map(c -> !ALREADY_MANAGED.equals(c.getReason()))
                .orElse(true);
    }

    private static TokenPolicy tokenPolicy(DoDatabase resource) {
        try {
            return TokenPolicy.of(resource.getSpec().getToken());
        } catch (InvalidSpecException e) {
            throw StageFailure.permanent(READY, e.reason(), e.getMessage());
        }
    }

    private List<Migration> migrations(DoDatabase resource) {
        SchemaSource schema = resource.getSpec().getSchema();
        try {
            if (schema == null || schema.getBuiltIn() == null && schema.getConfigMap() == null) {
                return List.of();
            }
            if (schema.getBuiltIn() != null && schema.getConfigMap() != null) {
                throw new InvalidSpecException("spec.schema sets both builtIn and configMap; set one");
            }
            if (schema.getBuiltIn() != null) {
                return Migrations.builtIn(schema.getBuiltIn());
            }
            ConfigMap configMap = with.client().configMaps().inNamespace(resource.getMetadata().getNamespace())
                    .withName(schema.getConfigMap()).get();
            if (configMap == null) {
                throw new InvalidSpecException("ConfigMapNotFound", "ConfigMap " + schema.getConfigMap()
                        + " (spec.schema.configMap) does not exist in namespace " + resource.getMetadata().getNamespace()
                        + "; create it with the migrations, or fix the name");
            }
            return Migrations.fromConfigMap(configMap);
        } catch (InvalidSpecException e) {
            throw StageFailure.permanent(SCHEMA_APPLIED, e.reason(), e.getMessage());
        }
    }

    private URI deploy() {
        try {
            return with.deployer().ensureDeployed().endpoint();
        } catch (CloudflareException e) {
            String reason = switch (e.kind()) {
                case AUTHENTICATION -> "CloudflareAuthenticationFailed";
                case REJECTED -> "CloudflareRejected";
                case RATE_LIMITED -> "CloudflareRateLimited";
                case UNAVAILABLE -> "CloudflareUnavailable";
            };
            String message = switch (e.kind()) {
                case AUTHENTICATION -> "Cloudflare refused the operator's API token or account (" + e.getMessage()
                        + "): check KURATCHI_CF_API_TOKEN (it needs Workers Scripts Write) and KURATCHI_CF_ACCOUNT_ID, "
                        + "then restart the operator";
                case REJECTED -> "Cloudflare refused the gateway Worker upload (" + e.getMessage() + ")";
                case RATE_LIMITED -> "Cloudflare is rate limiting the operator; retrying after " + e.retryAfter();
                case UNAVAILABLE -> "the Cloudflare API is unavailable (" + e.getMessage() + "); retrying with backoff";
            };
            throw e.isPermanent() ? StageFailure.permanent(WORKER_DEPLOYED, reason, message)
                    : StageFailure.transientFailure(WORKER_DEPLOYED, reason, message, e.retryAfter());
        }
    }

    private ProvisionResult provision(AdminClient admin, String databaseName, List<Migration> migrations,
            DoDatabase resource, Conditions conditions) {
        try {
            ProvisionResult result = admin.provision(databaseName, migrations);
            conditions.set(DATABASE_PROVISIONED, TRUE, "Provisioned", "database " + databaseName + " exists");
            return result;
        } catch (GatewayException e) {
            switch (e.code()) {
                case "migration_failed", "migration_changed" -> {
                    conditions.set(DATABASE_PROVISIONED, TRUE, "Provisioned", "database " + databaseName + " exists");
                    String source = resource.getSpec().getSchema() != null && resource.getSpec().getSchema()
                            .getConfigMap() != null ? "ConfigMap " + resource.getSpec().getSchema().getConfigMap()
                            : "spec.schema";
                    throw StageFailure.permanent(SCHEMA_APPLIED, "migration_failed".equals(e.code())
                            ? "MigrationFailed" : "MigrationChanged", e.getMessage() + "; fix it in " + source
                            + " (migrations before it stay applied)");
                }
                default -> throw gatewayFailure(DATABASE_PROVISIONED, e);
            }
        }
    }

    private StageFailure gatewayFailure(String condition, GatewayException e) {
        // Not the gateway's own JSON, or no answer: the Worker may be gone. Check Cloudflare again next time.
        if (e.code().startsWith("http_") || e.status() == 0) {
            with.deployer().forget();
        }
        if (e.status() == 401) {
            return StageFailure.permanent(condition, "GatewayKeyRejected", "the gateway refused the operator's key ("
                    + e.getMessage() + "): KURATCHI_GATEWAY_KEY differs from the API_KEY the Worker holds");
        }
        return StageFailure.transientFailure(condition, "GatewayUnavailable", "the gateway did not answer as expected ("
                + e.getMessage() + "); retrying with backoff", null);
    }

    private Duration backoff(DoDatabase resource, Duration retryAfter) {
        int attempts = failures.merge(resource.getMetadata().getUid(), 1, Integer::sum);
        Duration exponential = Duration.ofSeconds(1L << Math.min(attempts - 1, 9));
        Duration wait = retryAfter != null && retryAfter.compareTo(exponential) > 0 ? retryAfter : exponential;
        return wait.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : wait;
    }

    private void recordTransitions(DoDatabase resource, List<Condition> before, List<Condition> after) {
        for (Condition changed : Conditions.changed(before, after)) {
            boolean good = TRUE.equals(changed.getStatus());
            // Ready=False repeats the failing stage's reason and message: one event for it is enough.
            boolean repeatsStage = changed.getType().equals(READY) && !good && after.stream().anyMatch(
                    c -> !c.getType().equals(READY) && Objects.equals(c.getReason(), changed.getReason()));
            if (repeatsStage) {
                continue;
            }
            with.events().record(resource, good ? EventRecorder.NORMAL : EventRecorder.WARNING, changed.getReason(),
                    changed.getType(), changed.getMessage());
        }
    }

    @Override
    public DeleteControl cleanup(DoDatabase resource, Context<DoDatabase> context) {
        DoDatabaseStatus status = resource.getStatus();
        boolean manages = status != null && status.getDatabaseName() != null && Conditions.find(status.getConditions(),
                READY).map(c -> !ALREADY_MANAGED.equals(c.getReason())).orElse(false);
        if (manages && resource.getSpec().getDeletionPolicy() == DeletionPolicy.Delete && status.getEndpoint() != null) {
            try {
                boolean deleted = with.admins().apply(URI.create(status.getEndpoint())).delete(status.getDatabaseName());
                with.events().record(resource, EventRecorder.NORMAL, "DatabaseDeleted", "Delete", "database "
                        + status.getDatabaseName() + (deleted ? " deleted" : " was already gone"));
            } catch (GatewayException e) {
                if (e.status() == 401) {
                    with.events().record(resource, EventRecorder.WARNING, "DeleteFailed", "Delete",
                            "the gateway refused the operator's key; the database was not deleted");
                } else {
                    with.events().record(resource, EventRecorder.WARNING, "DeleteFailed", "Delete", "could not delete "
                            + "database " + status.getDatabaseName() + " (" + e.getMessage() + "); retrying");
                    return DeleteControl.noFinalizerRemoval().rescheduleAfter(backoff(resource, null));
                }
            }
        }
        // The Secret goes either way. A real cluster's garbage collector would take it by its owner reference too.
        Secret secret = with.client().secrets().inNamespace(resource.getMetadata().getNamespace())
                .withName(TokenSecret.name(resource)).get();
        if (secret != null && TokenSecret.ownedBy(secret, resource)) {
            with.client().resource(secret).delete();
        }
        failures.remove(resource.getMetadata().getUid());
        with.metrics().forget(resource.getMetadata().getNamespace(), resource.getMetadata().getName());
        return DeleteControl.defaultDelete();
    }
}
