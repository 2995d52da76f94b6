package dev.kuratchi.operator.dodatabase;

import static dev.kuratchi.operator.status.Conditions.FALSE;
import static dev.kuratchi.operator.status.Conditions.TRUE;

import dev.kuratchi.client.admin.AdminClient;
import dev.kuratchi.client.admin.Migration;
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
import dev.kuratchi.operator.status.Redaction;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
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
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconciles a DoDatabase: the gateway Worker is deployed (once per account), the database is claimed at the
 * gateway and migrated, a token is kept valid in the Secret, replaced tokens are revoked after a grace period, and
 * the status says where each stage stands. Each stage is idempotent; a reconcile that finds everything in place makes
 * no write at all. The token stage never waits on the schema: a missing ConfigMap or a failing migration is reported
 * while tokens keep being renewed and revoked.
 *
 * <p>Failures: a problem only the user can fix is a condition and no retry; one that passes by itself is thrown to
 * JOSDK's retry, and {@link #updateErrorStatus} writes the status the attempt had reached, so a renewed token or a
 * pending revocation is never lost.
 */
// Not generation-aware: the rotate and acknowledge annotations are metadata, which do not change the generation. A
// reconcile set off by our own status write finds everything in place and writes nothing.
@ControllerConfiguration(name = DoDatabaseReconciler.NAME, generationAwareEventProcessing = false)
public class DoDatabaseReconciler implements Reconciler<DoDatabase>, Cleaner<DoDatabase> {
    public static final String NAME = "dodatabase";
    public static final String READY = "Ready";
    public static final String WORKER_DEPLOYED = "WorkerDeployed";
    public static final String DATABASE_PROVISIONED = "DatabaseProvisioned";
    public static final String SCHEMA_APPLIED = "SchemaApplied";
    public static final String TOKEN_ISSUED = "TokenIssued";
    /** The label a ConfigMap of migrations must carry: the operator watches only those. */
    public static final String MIGRATIONS_LABEL = "kuratchi.dev/migrations";
    /** Set to the value of status.storageLostAt once the lost data is dealt with, to clear DataLost. */
    public static final String ACKNOWLEDGE_DATA_LOSS = "kuratchi.dev/data-loss-acknowledged";
    private static final List<String> STAGES = List.of(WORKER_DEPLOYED, DATABASE_PROVISIONED, SCHEMA_APPLIED,
            TOKEN_ISSUED);
    private static final String CONFIG_MAP_INDEX = "configMap";
    private static final String DATABASE_INDEX = "databaseName";
    // A Secret name: a DNS subdomain (RFC 1123), at most 253 characters.
    private static final Pattern SECRET_NAME = Pattern.compile("^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$");
    private static final Logger LOG = LoggerFactory.getLogger(DoDatabaseReconciler.class);

    /** What the reconciler works with. */
    public record Collaborators(GatewayDeployer deployer, Function<URI, AdminClient> admins, List<GatewayKey> keys,
            Clock clock, Duration revocationGracePeriod, Duration storageCheckInterval, TenancyRules tenancy,
            EventRecorder events, OperatorMetrics metrics) {
        /** The key that signs tokens and opens the control plane: the first of {@link #keys}. */
        GatewayKey gatewayKey() {
            return keys.get(0);
        }
    }

    private final Collaborators with;
    private final TokenKeeper tokens;
    private final TokenSecret tokenSecret = new TokenSecret();
    private final StorageChecks storageChecks;
    private final DatabaseStage database;
    private final Redaction redaction;

    public DoDatabaseReconciler(Collaborators with) {
        this.with = with;
        this.tokens = new TokenKeeper(new Tokens(with.gatewayKey(), with.clock()), with.keys(),
                with.revocationGracePeriod());
        this.storageChecks = new StorageChecks(with.storageCheckInterval());
        this.database = new DatabaseStage(with.tenancy(), storageChecks, with.deployer());
        this.redaction = new Redaction(with.keys());
    }

    @Override
    public List<EventSource<?, DoDatabase>> prepareEventSources(EventSourceContext<DoDatabase> context) {
        context.getPrimaryCache().addIndexer(CONFIG_MAP_INDEX, db -> configMapName(db)
                .map(name -> List.of(db.getMetadata().getNamespace() + "/" + name)).orElse(List.of()));
        context.getPrimaryCache().addIndexer(DATABASE_INDEX, db -> List.of(effectiveName(db)));
        // Only ConfigMaps labelled as migrations, read from this cache: a tenant's other ConfigMaps are never read.
        var configMaps = new InformerEventSource<>(InformerEventSourceConfiguration.from(ConfigMap.class, DoDatabase.class)
                .withLabelSelector(MIGRATIONS_LABEL + "=true")
                .withSecondaryToPrimaryMapper((ConfigMap configMap) -> context.getPrimaryCache()
                        .byIndex(CONFIG_MAP_INDEX, configMap.getMetadata().getNamespace() + "/"
                                + configMap.getMetadata().getName())
                        .stream().map(ResourceID::fromResource).collect(java.util.stream.Collectors.toSet()))
                .withPrimaryToSecondaryMapper((DoDatabase db) -> configMapName(db)
                        .map(name -> java.util.Set.of(new ResourceID(name, db.getMetadata().getNamespace())))
                        .orElse(java.util.Set.of()))
                .build(), context);
        List<EventSource<?, DoDatabase>> sources = new ArrayList<>();
        sources.add(tokenSecret.eventSource(context).orElseThrow());
        sources.add(configMaps);
        return sources;
    }

    @Override
    public UpdateControl<DoDatabase> reconcile(DoDatabase resource, Context<DoDatabase> context) {
        Instant now = with.clock().instant();
        DoDatabaseStatus before = resource.getStatus() == null ? new DoDatabaseStatus() : resource.getStatus();
        Attempt attempt = Attempt.startingFrom(resource, before, now);
        Duration requeue = null;
        StageFailure stopped = null;
        boolean lostRace = false;
        try {
            requeue = converge(attempt, context);
        } catch (StageFailure failure) {
            stopped = failure;
            requeue = failure.retryAfter() != null ? failure.retryAfter() : untilRenewal(attempt);
        } catch (KubernetesClientException e) {
            // A write lost a race (a stale resourceVersion): nothing to report, only to try again.
            lostRace = e.getCode() == 409;
            stopped = lostRace ? null : unexpected(e);
            requeue = untilRenewal(attempt);
        } catch (RuntimeException e) {
            stopped = unexpected(e);
        }
        DoDatabaseStatus status = finish(resource, before, attempt, stopped);
        if (lostRace || stopped != null && stopped.isTransient()) {
            // JOSDK's retry, with the status this attempt reached: a token it wrote is never forgotten.
            throw new RetryWithStatus(status, stopped);
        }
        UpdateControl<DoDatabase> control;
        if (status.equals(before)) {
            control = UpdateControl.noUpdate();
        } else {
            resource.setStatus(status);
            control = UpdateControl.patchStatus(resource);
        }
        return requeue == null ? control : control.rescheduleAfter(requeue);
    }

    private Duration converge(Attempt a, Context<DoDatabase> context) {
        DoDatabase resource = a.resource;
        a.databaseName = databaseName(resource);
        refuseReservedName(resource, a.databaseName);
        a.otherClaimants = context.getPrimaryCache().byIndex(DATABASE_INDEX, a.databaseName).stream()
                .filter(other -> !other.getMetadata().getUid().equals(a.uid()))
                // One refused the admin database's name never holds it against the admin DoDatabase, whatever its
                // status says (forged, or left from before the name was reserved); the gateway still has its say.
                .filter(other -> with.tenancy().mayClaim(other.getMetadata().getNamespace(),
                        other.getMetadata().getName(), a.databaseName))
                .toList();
        String secretName = secretName(resource);
        TokenPolicy policy = tokenPolicy(resource);
        a.status.setDatabaseName(a.databaseName);
        a.status.setSecretName(secretName);

        a.endpoint = deploy();
        a.status.setEndpoint(a.endpoint.toString());
        a.conditions.set(WORKER_DEPLOYED, TRUE, "Deployed", "the gateway Worker serves at " + a.endpoint);
        a.admin = with.admins().apply(a.endpoint);

        try {
            a.migrations = migrations(resource, context);
        } catch (StageFailure sourceProblem) {
            a.problems.add(sourceProblem);
            // Applied again once the source is fixed, even if it then asks for what was applied before.
            a.status.setSchemaHash(null);
        }
        database.ensure(a);

        DatabaseToken token = token(a, context, policy);
        try {
            a.status.setPendingRevocations(nullIfEmpty(tokens.revokeDue(a.admin::revoke, a.databaseName,
                    Optional.ofNullable(a.status.getPendingRevocations()).orElse(List.of()), a.now)));
        } catch (GatewayException e) {
            throw GatewayFailures.of(TOKEN_ISSUED, e, with.deployer());
        }
        dataLoss(a);
        if (a.retryLater != null) {
            throw a.retryLater;
        }

        Instant renewal = policy.renewalTime(token);
        Instant next = Stream.concat(Stream.of(renewal, storageChecks.nextCheck(a.uid(), a.now)),
                Optional.ofNullable(a.status.getPendingRevocations()).orElse(List.of()).stream()
                        .map(PendingRevocation::dueAt))
                .min(Comparator.naturalOrder()).orElse(renewal);
        Duration wait = Duration.between(a.now, next);
        return wait.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : wait;
    }

    /** Keeps a valid token in the Secret; the Secret is written before status names the token. */
    private DatabaseToken token(Attempt a, Context<DoDatabase> context, TokenPolicy policy) {
        DoDatabase resource = a.resource;
        Optional<Secret> secret = tokenSecret.getSecondaryResource(resource, context);
        String rotate = annotation(resource, DoDatabase.ROTATE_ANNOTATION);
        TokenKeeper.Outcome outcome = tokens.ensure(a.uid(), a.databaseName, secret.flatMap(TokenSecret::token),
                secret.flatMap(TokenSecret::replaces), a.status, policy, rotate, () -> database.confirmedEpoch(a),
                a.now);
        boolean mayHoldKey = with.tenancy().mayHoldGatewayKey(a.namespace());
        if (TokenSecret.asksForGatewayKey(resource) && !mayHoldKey) {
            a.problems.add(StageFailure.permanent(READY, "GatewayKeyNotAllowed", "spec.secret.includeGatewayKey is "
                    + "not allowed in namespace " + a.namespace() + ": the gateway key opens every database, so only "
                    + "namespaces the operator's KURATCHI_GATEWAY_KEY_NAMESPACES lists may hold it (ask your platform "
                    + "team); the Secret holds the database token alone"));
        }
        TokenSecret.use(context, new TokenSecret.Content(a.databaseName, a.endpoint, outcome.token(), outcome.replaces(),
                TokenSecret.asksForGatewayKey(resource) && mayHoldKey ? Optional.of(with.gatewayKey()) : Optional.empty()));
        writeSecret(a, context, secret.isEmpty());

        DatabaseToken token = outcome.token();
        TokenStatus previous = a.status.getToken();
        boolean recorded = outcome.reissued().isEmpty() && previous != null && !token.tokenId().equals(previous.id());
        a.status.setToken(new TokenStatus(token.tokenId(), token.expiresAt().toString(),
                policy.renewalTime(token).toString()));
        a.status.setPendingRevocations(nullIfEmpty(outcome.pending()));
        if (outcome.reissued().isPresent()) {
            if (rotate != null) {
                a.status.setLastRotation(rotate);
            }
            a.conditions.set(TOKEN_ISSUED, TRUE, verb(outcome.reissued().get(), previous), issued(resource, token)
                    + explanation(outcome.reissued().get()));
        } else if (recorded || !Conditions.isTrue(a.conditions.list(), TOKEN_ISSUED)) {
            a.conditions.set(TOKEN_ISSUED, TRUE, "Issued", issued(resource, token) + (recorded ? " (written before "
                    + "an interrupted update named it; the token it replaced is revoked)" : ""));
        }
        return token;
    }

    /**
     * @param creating the Secret is not in the cache of this resource's Secrets: a create, which a Secret of that
     *     name already there refuses
     */
    private void writeSecret(Attempt a, Context<DoDatabase> context, boolean creating) {
        String secretName = TokenSecret.name(a.resource);
        try {
            tokenSecret.reconcile(a.resource, context);
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409 && creating) {
                throw StageFailure.blocked(TOKEN_ISSUED, "SecretConflict", "Secret " + secretName + " already exists "
                        + "and is not one this DoDatabase manages (owned by something else, or without the label "
                        + TokenSecret.MANAGED_BY_LABEL + "=" + TokenSecret.MANAGED_BY + "); it is never overwritten: "
                        + "delete it, or set spec.secret.name to another name", DatabaseStage.RECHECK_BLOCKED);
            }
            if (e.getCode() == 422 || e.getCode() == 400) {
                throw StageFailure.permanent(TOKEN_ISSUED, "SecretRejected", "the Kubernetes API refused Secret "
                        + secretName + " (" + redaction.scrub(apiMessage(e)) + "): fix what it names in spec.secret "
                        + "(labels, annotations, name), or delete the Secret if it was made immutable");
            }
            throw e;
        }
    }

    private static String verb(TokenDecision.Reason reason, TokenStatus previous) {
        return switch (reason) {
            case Missing -> previous == null ? "Issued" : "Reissued";
            case Invalid, NotCurrent, WrongEpoch, SignedWithPreviousKey, TtlShortened -> "Reissued";
            case DueForRenewal -> "Renewed";
            case RotationRequested -> "Rotated";
        };
    }

    private static String explanation(TokenDecision.Reason reason) {
        return switch (reason) {
            case Invalid -> " (the Secret's token no longer verified: changed by hand, or expired)";
            case NotCurrent -> " (the Secret held another token than status names: restored from a backup, written by "
                    + "hand, or left by an interrupted update; that one is revoked too)";
            case WrongEpoch -> " (the database was claimed anew or its storage replaced, which ends earlier tokens)";
            case SignedWithPreviousKey -> " (it was signed with the gateway key being rotated out)";
            case TtlShortened -> " (spec.token.ttl was shortened)";
            case Missing, DueForRenewal, RotationRequested -> "";
        };
    }

    private static String issued(DoDatabase resource, DatabaseToken token) {
        return "token " + token.tokenId() + " in Secret " + TokenSecret.name(resource) + ", expires " + token.expiresAt();
    }

    /** Ready stays False after lost storage until a person says the data is dealt with. */
    private static void dataLoss(Attempt a) {
        String lostAt = a.status.getStorageLostAt();
        if (lostAt == null) {
            return;
        }
        if (lostAt.equals(annotation(a.resource, ACKNOWLEDGE_DATA_LOSS))) {
            a.status.setStorageLostAt(null);
            a.conditions.set(DATABASE_PROVISIONED, TRUE, "Provisioned", "database " + a.databaseName + " exists; "
                    + "the loss of its storage at " + lostAt + " was acknowledged");
            return;
        }
        a.problems.add(StageFailure.permanent(READY, "DataLost", "the storage of database " + a.databaseName
                + " was lost at " + lostAt + " (the gateway Worker was deleted or replaced outside the operator, or "
                + "the data was wiped); it was provisioned again with its schema and a new token, and holds none of "
                + "the earlier data: restore it from a backup, then set the annotation " + ACKNOWLEDGE_DATA_LOSS
                + "=" + lostAt + " on this DoDatabase"));
    }

    /**
     * The status this attempt ends with, in one place for success and failure: the stopping failure's condition,
     * the problems found on the way, Ready summing up the stages, events for what changed, and the gauges.
     */
    private DoDatabaseStatus finish(DoDatabase resource, DoDatabaseStatus before, Attempt a, StageFailure stopped) {
        List<StageFailure> readyProblems = new ArrayList<>();
        for (StageFailure problem : stopped == null ? a.problems
                : Stream.concat(Stream.of(stopped), a.problems.stream()).toList()) {
            if (problem.condition().equals(READY)) {
                readyProblems.add(problem);
            } else {
                a.conditions.set(problem.condition(), FALSE, problem.reason(), problem.getMessage());
            }
        }
        Optional<Condition> failingStage = STAGES.stream()
                .map(type -> Conditions.find(a.conditions.list(), type))
                .flatMap(Optional::stream).filter(c -> !TRUE.equals(c.getStatus())).findFirst();
        Optional<String> pendingStage = STAGES.stream()
                .filter(type -> Conditions.find(a.conditions.list(), type).isEmpty()).findFirst();
        if (!readyProblems.isEmpty()) {
            a.conditions.set(READY, FALSE, readyProblems.get(0).reason(), readyProblems.get(0).getMessage());
        } else if (failingStage.isPresent()) {
            a.conditions.set(READY, FALSE, failingStage.get().getReason(), failingStage.get().getMessage());
        } else if (pendingStage.isPresent()) {
            a.conditions.set(READY, FALSE, "InProgress", pendingStage.get() + " is not done yet; the operator is on it");
        } else {
            a.conditions.set(READY, TRUE, "Ready", "database " + a.status.getDatabaseName() + " is ready; apps mount "
                    + "Secret " + a.status.getSecretName());
        }
        DoDatabaseStatus status = a.status;
        status.setObservedGeneration(resource.getMetadata().getGeneration());
        status.setConditions(a.conditions.list());
        recordTransitions(resource, before.getConditions(), status.getConditions());
        with.metrics().observed(resource.getMetadata().getNamespace(), resource.getMetadata().getName(),
                Conditions.isTrue(status.getConditions(), READY), status.getToken() == null ? null
                        : PendingRevocation.parse(status.getToken().notAfter(), null));
        return status;
    }

    @Override
    public ErrorStatusUpdateControl<DoDatabase> updateErrorStatus(DoDatabase resource, Context<DoDatabase> context,
            Exception thrown) {
        // JOSDK hands over what reconcile threw wrapped in its own OperatorException.
        Throwable e = thrown;
        while (e.getCause() != null && !(e instanceof RetryWithStatus) && !(e instanceof KubernetesClientException)) {
            e = e.getCause();
        }
        DoDatabaseStatus before = resource.getStatus() == null ? new DoDatabaseStatus() : resource.getStatus();
        if (e instanceof RetryWithStatus retry) {
            if (retry.status().equals(before)) {
                return retry.retryAfter() == null ? ErrorStatusUpdateControl.noStatusUpdate()
                        : ErrorStatusUpdateControl.<DoDatabase>noStatusUpdate().rescheduleAfter(retry.retryAfter());
            }
            resource.setStatus(retry.status());
            ErrorStatusUpdateControl<DoDatabase> control = ErrorStatusUpdateControl.patchStatus(resource);
            return retry.retryAfter() == null ? control : control.rescheduleAfter(retry.retryAfter());
        }
        if (e instanceof KubernetesClientException k && (k.getCode() == 409 || k.getCode() == 429)) {
            // Someone else wrote first, or the API server is busy: retrying is all there is to do.
            return ErrorStatusUpdateControl.noStatusUpdate();
        }
        Instant now = with.clock().instant();
        Attempt attempt = Attempt.startingFrom(resource, before, now);
        StageFailure failure = unexpected(e);
        resource.setStatus(finish(resource, before, attempt, failure));
        ErrorStatusUpdateControl<DoDatabase> control = ErrorStatusUpdateControl.patchStatus(resource);
        return failure.isTransient() ? control : control.withNoRetry();
    }

    /** What an exception nothing else explains means: a refusal of the Kubernetes API is for a person to fix. */
    private StageFailure unexpected(Throwable e) {
        if (e instanceof KubernetesClientException k && k.getCode() >= 400 && k.getCode() < 500 && k.getCode() != 429) {
            return StageFailure.permanent(READY, "KubernetesApiRefused", "the Kubernetes API refused a call ("
                    + redaction.scrub(apiMessage(k)) + "); fix what it names");
        }
        return StageFailure.transientFailure(READY, "ReconcileError", "unexpected " + e.getClass().getSimpleName()
                + ": " + redaction.scrub(String.valueOf(e.getMessage())) + "; retrying with backoff", null);
    }

    /** When a stopped attempt looks again: at the token's renewal time, so a failure never outlives a token. */
    private static Duration untilRenewal(Attempt a) {
        Instant renewal = a.status.getToken() == null ? null
                : PendingRevocation.parse(a.status.getToken().renewalTime(), null);
        return renewal == null || !renewal.isAfter(a.now) ? null : Duration.between(a.now, renewal);
    }

    private static String apiMessage(KubernetesClientException e) {
        return e.getStatus() != null && e.getStatus().getMessage() != null ? "HTTP " + e.getCode() + ": "
                + e.getStatus().getMessage() : "HTTP " + e.getCode();
    }

    private static String effectiveName(DoDatabase resource) {
        return Optional.ofNullable(resource.getSpec().getDatabaseName()).orElse(resource.getMetadata().getName());
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

    /**
     * The admin database's name belongs to the operator's admin DoDatabase alone: any other resource naming it, in
     * any namespace and whatever KURATCHI_ADOPTION_NAMESPACES says, stops here, before the gateway is called.
     */
    private void refuseReservedName(DoDatabase resource, String name) {
        if (!with.tenancy().mayClaim(resource.getMetadata().getNamespace(), resource.getMetadata().getName(), name)) {
            TenancyRules.Reserved admin = with.tenancy().adminDatabase();
            throw StageFailure.permanent(READY, "ReservedDatabaseName", "database name '" + name + "' is reserved "
                    + "for the operator's admin database (DoDatabase " + admin.namespace() + "/"
                    + admin.resourceName() + ", which holds every organization's records); nothing was made and no "
                    + "claim taken: delete this DoDatabase and create it again with another "
                    + (resource.getSpec().getDatabaseName() == null ? "metadata.name or spec.databaseName"
                    : "spec.databaseName"));
        }
    }

    private static String secretName(DoDatabase resource) {
        String name = TokenSecret.name(resource);
        if (!SECRET_NAME.matcher(name).matches()) {
            throw StageFailure.permanent(READY, "InvalidSecretName", "Secret name '" + name + "' is not a valid "
                    + "Kubernetes name (lowercase letters, digits, '-' and '.', at most 253 characters)"
                    + (resource.getSpec().getSecret() == null || resource.getSpec().getSecret().getName() == null
                    ? ": metadata.name is too long for <name>-db, so set spec.secret.name" : ""));
        }
        return name;
    }

    private static TokenPolicy tokenPolicy(DoDatabase resource) {
        try {
            return TokenPolicy.of(resource.getSpec().getToken());
        } catch (InvalidSpecException e) {
            throw StageFailure.permanent(READY, e.reason(), e.getMessage());
        }
    }

    private static Optional<String> configMapName(DoDatabase resource) {
        return Optional.ofNullable(resource.getSpec().getSchema()).map(SchemaSource::getConfigMap);
    }

    private static String annotation(DoDatabase resource, String key) {
        Map<String, String> annotations = resource.getMetadata().getAnnotations();
        return annotations == null ? null : annotations.get(key);
    }

    private List<Migration> migrations(DoDatabase resource, Context<DoDatabase> context) {
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
            ConfigMap configMap = context.getSecondaryResource(ConfigMap.class).orElseThrow(() -> new InvalidSpecException(
                    "ConfigMapNotFound", "ConfigMap " + schema.getConfigMap() + " (spec.schema.configMap) with label "
                    + MIGRATIONS_LABEL + "=true does not exist in namespace " + resource.getMetadata().getNamespace()
                    + "; create it with the migrations and that label, or fix the name"));
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
                case RATE_LIMITED -> "Cloudflare is rate limiting the operator; it tries again when Cloudflare's "
                        + "Retry-After allows";
                case UNAVAILABLE -> "the Cloudflare API is unavailable (" + e.getMessage() + "); retrying with backoff";
            };
            throw e.isPermanent() ? StageFailure.permanent(WORKER_DEPLOYED, reason, message)
                    : StageFailure.transientFailure(WORKER_DEPLOYED, reason, message, e.retryAfter());
        }
    }

    /**
     * Logs every condition that changed, and makes an event of those a person needs: each failure, and each success
     * but the stages that succeed on the way to Ready (one event for a new database, not five: events are writes,
     * and the API server keeps them an hour).
     */
    private void recordTransitions(DoDatabase resource, List<Condition> before, List<Condition> after) {
        List<Condition> changes = Conditions.changed(before, after);
        boolean turnsReady = changes.stream().anyMatch(c -> c.getType().equals(READY) && TRUE.equals(c.getStatus()));
        for (Condition changed : changes) {
            boolean good = TRUE.equals(changed.getStatus());
            LOG.info("{}/{}: {}={} {}: {}", resource.getMetadata().getNamespace(), resource.getMetadata().getName(),
                    changed.getType(), changed.getStatus(), changed.getReason(), changed.getMessage());
            // Ready=False repeats the failing stage's reason and message: one event for it is enough.
            boolean repeatsStage = changed.getType().equals(READY) && !good && after.stream().anyMatch(
                    c -> !c.getType().equals(READY) && Objects.equals(c.getReason(), changed.getReason()));
            boolean onTheWayToReady = good && turnsReady && !changed.getType().equals(READY);
            if (!repeatsStage && !onTheWayToReady) {
                with.events().record(resource, good ? EventRecorder.NORMAL : EventRecorder.WARNING,
                        changed.getReason(), changed.getType(), changed.getMessage());
            }
        }
    }

    /**
     * Ends this resource's claim on its database at the gateway: every token issued for it stops working, the data
     * is wiped ({@code Delete}) or kept for an explicit adoption ({@code Retain}). Uses only the name the resource
     * holds (immutable) and the configured gateway, never anything read from status. The gateway refuses a resource
     * that does not hold the claim, so a resource that never managed the database, or whose earlier attempt already
     * succeeded, touches nothing.
     */
    @Override
    public DeleteControl cleanup(DoDatabase resource, Context<DoDatabase> context) {
        String databaseName = effectiveName(resource);
        if (DatabaseNames.isValid(databaseName)) {
            boolean wipe = resource.getSpec().getDeletionPolicy() == DeletionPolicy.Delete;
            try {
                URI endpoint = with.deployer().ensureDeployed().endpoint();
                boolean retired = with.admins().apply(endpoint).retire(databaseName,
                        new dev.kuratchi.client.admin.Owner(resource.getMetadata().getUid(),
                                resource.getMetadata().getNamespace(), resource.getMetadata().getName()), wipe);
                if (retired) {
                    with.events().record(resource, EventRecorder.NORMAL, "Retired", "Delete", "database "
                            + databaseName + (wipe ? " erased" : " kept for an explicit adoption (spec.existingData: "
                            + "Adopt)") + "; every token issued for it no longer works");
                }
            } catch (GatewayException | CloudflareException e) {
                if (e instanceof GatewayException g) {
                    GatewayFailures.noticed(g, with.deployer());
                }
                with.events().record(resource, EventRecorder.WARNING, "RetireFailed", "Delete", "could not release "
                        + "database " + databaseName + " at the gateway (" + redaction.scrub(e.getMessage()) + "); "
                        + "retrying. Removing the finalizer by hand gives up: its tokens would then work until they "
                        + "expire");
                throw e;
            }
        }
        // The Secret goes either way. A real cluster's garbage collector would take it by its owner reference too.
        tokenSecret.getSecondaryResource(resource, context).filter(secret -> TokenSecret.ownedBy(secret, resource))
                .ifPresent(secret -> context.getClient().resource(secret).delete());
        storageChecks.forget(resource.getMetadata().getUid());
        with.metrics().forget(resource.getMetadata().getNamespace(), resource.getMetadata().getName());
        return DeleteControl.defaultDelete();
    }

    private static <T> List<T> nullIfEmpty(List<T> list) {
        return list.isEmpty() ? null : list;
    }

    /** A failure that passes by itself, carrying the status the attempt reached so nothing it did is forgotten. */
    static final class RetryWithStatus extends RuntimeException {
        private final transient DoDatabaseStatus status;
        private final Duration retryAfter;

        /** @param cause null for a lost race, which leaves no condition to report */
        RetryWithStatus(DoDatabaseStatus status, StageFailure cause) {
            super(cause == null ? "a write lost a race; retrying" : cause.reason() + ": " + cause.getMessage(), cause,
                    false, false);
            this.status = status;
            this.retryAfter = cause == null ? null : cause.retryAfter();
        }

        DoDatabaseStatus status() {
            return status;
        }

        Duration retryAfter() {
            return retryAfter;
        }
    }
}
