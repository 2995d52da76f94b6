package dev.kuratchi.operator.organization;

import static dev.kuratchi.operator.status.Conditions.FALSE;
import static dev.kuratchi.operator.status.Conditions.TRUE;

import dev.kuratchi.client.gateway.GatewayClient;
import dev.kuratchi.client.gateway.GatewayException;
import dev.kuratchi.client.token.DatabaseToken;
import dev.kuratchi.operator.cloudflare.CloudflareException;
import dev.kuratchi.operator.dodatabase.DeletionPolicy;
import dev.kuratchi.operator.dodatabase.DoDatabase;
import dev.kuratchi.operator.dodatabase.ExistingData;
import dev.kuratchi.operator.dodatabase.GatewayFailures;
import dev.kuratchi.operator.dodatabase.StageFailure;
import dev.kuratchi.operator.dodatabase.StorageChecks;
import dev.kuratchi.operator.dodatabase.TenancyRules;
import dev.kuratchi.operator.dodatabase.TokenSecret;
import dev.kuratchi.operator.dodatabase.TokenStatus;
import dev.kuratchi.operator.events.EventRecorder;
import dev.kuratchi.operator.gateway.GatewayDeployer;
import dev.kuratchi.operator.organization.OrganizationResources.Kind;
import dev.kuratchi.operator.status.Conditions;
import dev.kuratchi.operator.status.Redaction;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.HasMetadata;
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
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconciles a KuratchiOrganization, its parts in this order: its child DoDatabase (which does all the database work)
 * and that database's claim at the gateway; its owner in the organization database; its rows in the admin database;
 * its Cloudflare resources and their ConfigMap. Each part has a condition; Ready takes the reason and message of the
 * first part that is not True, in that order.
 *
 * <h2>What holds the slug</h2>
 * Every Cloudflare name and the admin rows derive from the slug, so two organizations with one slug would share them.
 * Nothing is touched in the admin database before the gateway confirms that this organization's child holds the
 * database's claim (a second organization with the slug as its database name is AlreadyManaged and stops there),
 * and nothing in Cloudflare before the admin database holds this organization's row for the slug (organizationSlug
 * is unique there, so a second organization with the slug and a database name of its own stops at SlugTaken). Which
 * organization a resource holds is the admin database's {@code kuratchiOwners} table's to say ({@link AdminRecords}),
 * written with the rows: rows of an organization held by another resource are never taken over, and rows nobody
 * holds only by the rule DoDatabase follows for data ({@link TenancyRules}). The finalizer deletes Cloudflare
 * resources and admin rows only when that table binds the slug's organization to this resource's uid: never from
 * status, which others may write, and a status that was lost loses nothing.
 *
 * <h2>Failures</h2>
 * A problem only a person can fix is a condition and no retry (checked again at the next verification, or at once
 * when the resource is touched: this controller is not generation-aware, so an annotation wakes it). One someone
 * else must resolve (a name taken, a bucket not empty, a database not ready yet) is checked again after a while or
 * when the informer sees the change. One that passes by itself (the gateway or Cloudflare unavailable, a rate limit)
 * is retried with JOSDK's backoff, or after Cloudflare's Retry-After, and {@link #updateErrorStatus} writes the status
 * the attempt reached, so ids of resources it made are kept. Spec problems stop an organization that has made
 * nothing yet before it makes anything; once it has, they stop only their part.
 *
 * <h2>Steady state</h2>
 * The status is written in one place ({@link #finish}) and only when it changed; Cloudflare resources recorded in
 * status are not called for (a slow {@link OrganizationResources#verify} looks them up once per
 * {@link Collaborators#verifyInterval()}, in memory, spread over the interval after a start); the admin rows and the
 * owner are read and written only when they differ. A reconcile that finds everything in place reads the database's
 * claim, the owner and the admin rows at the gateway and writes nothing anywhere.
 */
// Not generation-aware: touching the organization (an annotation) is how a person asks it to look again after fixing
// something outside it (an admin row in the way, say). A reconcile set off by its own status write writes nothing.
@ControllerConfiguration(name = OrganizationReconciler.NAME, generationAwareEventProcessing = false)
public class OrganizationReconciler implements Reconciler<KuratchiOrganization>, Cleaner<KuratchiOrganization> {
    public static final String NAME = "kuratchiorganization";
    public static final String READY = "Ready";
    public static final String DATABASE = "Database";
    public static final String OWNER = "Owner";
    public static final String ADMIN_RECORDS = "AdminRecords";
    /** The parts, in the order the reconcile does them: Ready reports the first that is not True. */
    public static final List<String> PARTS = Stream.concat(Stream.of(DATABASE, OWNER, ADMIN_RECORDS),
            Stream.of(Kind.values()).map(Kind::condition)).toList();
    /** How often Cloudflare is asked whether the resources status records are still there. */
    public static final Duration VERIFY_INTERVAL = Duration.ofHours(1);
    /** When something someone else must change (a name taken, a database not ready) is looked at again. */
    static final Duration RECHECK = Duration.ofMinutes(1);
    /** How long a deletion waits for the child to finish applying a change before it deletes the child anyway. */
    static final Duration CHILD_SETTLE_LIMIT = Duration.ofSeconds(10);
    private static final String ADMIN_SOURCE = "admin-database";
    private static final String SECRET_SOURCE = "token-secrets";
    private static final Logger LOG = LoggerFactory.getLogger(OrganizationReconciler.class);

    /**
     * What the reconciler works with.
     *
     * @param tenancy what namespaces may adopt (the rule DoDatabase follows), for admin rows nobody holds
     * @param verifyInterval how often each organization's Cloudflare resources are looked up ({@link #VERIFY_INTERVAL})
     * @param redaction what takes secrets out of text from elsewhere before it reaches a condition, event or log
     */
    public record Collaborators(GatewayDeployer deployer, GatewayAccess access, OrganizationResources resources,
            AdminDatabase adminDatabase, TenancyRules tenancy, EventRecorder events, Clock clock,
            Duration verifyInterval, Redaction redaction) {}

    private final Collaborators with;
    private final ChildDatabase child = new ChildDatabase();
    private final CloudflareConfigMap configMap = new CloudflareConfigMap();
    private final StorageChecks verifications;
    /** Organizations being deleted whose child is applying a change: since when (see {@link #settling}). */
    private final Map<String, Instant> childSettling = new java.util.concurrent.ConcurrentHashMap<>();

    public OrganizationReconciler(Collaborators with) {
        this.with = with;
        this.verifications = new StorageChecks(with.verifyInterval());
    }

    @Override
    public List<EventSource<?, KuratchiOrganization>> prepareEventSources(
            EventSourceContext<KuratchiOrganization> context) {
        AdminDatabase admin = with.adminDatabase();
        // The admin DoDatabase: organizations still waiting for it are woken when it changes.
        var adminDatabase = new InformerEventSource<>(InformerEventSourceConfiguration.from(DoDatabase.class,
                        KuratchiOrganization.class)
                .withName(ADMIN_SOURCE)
                .withNamespaces(Set.of(admin.namespace()))
                .withLabelSelector(AdminDatabase.LABEL + "=true")
                .withSecondaryToPrimaryMapper((DoDatabase db) -> !admin.databaseName().equals(db.getMetadata()
                        .getName()) ? Set.of() : context.getPrimaryCache().list(org -> org.getStatus() == null
                                || !Conditions.isTrue(org.getStatus().getConditions(), ADMIN_RECORDS))
                        .map(ResourceID::fromResource).collect(Collectors.toSet()))
                .withPrimaryToSecondaryMapper((KuratchiOrganization org) ->
                        Set.of(new ResourceID(admin.databaseName(), admin.namespace())))
                .build(), context);
        // The child's token Secret, only for spec.storeTokenInAdminDatabase: read from this cache, never with a GET.
        var tokenSecrets = new InformerEventSource<>(InformerEventSourceConfiguration.from(Secret.class,
                        KuratchiOrganization.class)
                .withName(SECRET_SOURCE)
                .withLabelSelector(TokenSecret.ORGANIZATION_SELECTOR)
                .withSecondaryToPrimaryMapper((Secret secret) -> Optional.ofNullable(secret.getMetadata()
                                .getOwnerReferences()).orElse(List.of()).stream()
                        .filter(ref -> "DoDatabase".equals(ref.getKind()) && Boolean.TRUE.equals(ref.getController()))
                        .map(ref -> new ResourceID(ref.getName(), secret.getMetadata().getNamespace()))
                        .collect(Collectors.toSet()))
                .withPrimaryToSecondaryMapper((KuratchiOrganization org) -> Set.of(new ResourceID(
                        ChildDatabase.secretName(org), org.getMetadata().getNamespace())))
                .build(), context);
        return List.of(child.eventSource(context).orElseThrow(), configMap.eventSource(context).orElseThrow(),
                adminDatabase, tokenSecrets);
    }

    // ---- reconcile

    /** What one reconcile found and did, and the problems it met on the way. */
    private static final class Attempt {
        final KuratchiOrganization organization;
        final OrganizationStatus status;
        final Conditions conditions;
        final Instant now;
        final List<StageFailure> problems = new ArrayList<>();

        Attempt(KuratchiOrganization organization, OrganizationStatus before, Instant now) {
            this.organization = organization;
            this.status = copy(before);
            this.conditions = new Conditions(before.getConditions(), organization.getMetadata().getGeneration(), now);
            this.now = now;
        }

        String uid() {
            return organization.getMetadata().getUid();
        }

        OrganizationSpec spec() {
            return organization.getSpec();
        }
    }

    @Override
    public UpdateControl<KuratchiOrganization> reconcile(KuratchiOrganization organization,
            Context<KuratchiOrganization> context) {
        OrganizationStatus before = organization.getStatus() == null ? new OrganizationStatus()
                : organization.getStatus();
        Attempt a = new Attempt(organization, before, with.clock().instant());
        boolean lostRace = false;
        try {
            converge(a, context);
        } catch (StageFailure stopped) {
            a.problems.add(0, stopped);
        } catch (KubernetesClientException e) {
            // A write lost a race (a stale resourceVersion): nothing to report, only to try again.
            lostRace = e.getCode() == 409;
            if (!lostRace) {
                a.problems.add(0, unexpected(e));
            }
        } catch (RuntimeException e) {
            a.problems.add(0, unexpected(e));
        }
        OrganizationStatus status = finish(a, before);
        Optional<StageFailure> retry = a.problems.stream().filter(StageFailure::isTransient).findFirst();
        if (lostRace || retry.isPresent()) {
            throw new RetryWithStatus(status, retry.orElse(null));
        }
        UpdateControl<KuratchiOrganization> control;
        if (status.equals(before)) {
            control = UpdateControl.noUpdate();
        } else {
            organization.setStatus(status);
            control = UpdateControl.patchStatus(organization);
        }
        return control.rescheduleAfter(nextLook(a));
    }

    /** The next look: the next verification, or sooner a recheck of something someone else must change. */
    private Duration nextLook(Attempt a) {
        Duration verify = Duration.between(a.now, verifications.nextCheck(a.uid(), a.now));
        Duration next = a.problems.stream().map(StageFailure::retryAfter).filter(Objects::nonNull)
                .min(Comparator.naturalOrder()).filter(recheck -> recheck.compareTo(verify) < 0).orElse(verify);
        return next.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : next;
    }

    private void converge(Attempt a, Context<KuratchiOrganization> context) {
        KuratchiOrganization organization = a.organization;
        OrganizationNames.resourceNameProblem(organization.getMetadata().getName()).ifPresent(problem -> {
            throw StageFailure.permanent(READY, "InvalidName", problem);
        });
        String slug = slug(organization);
        String databaseName = databaseName(organization.getSpec(), slug);
        // By name, not by owner: a labelled DoDatabase or ConfigMap of someone else's is in these caches too. An
        // unlabelled one is not, and its name is found taken when the create is refused.
        Optional<DoDatabase> existing = child.eventSource()
                .flatMap(cache -> cache.get(ResourceID.fromResource(organization)));
        if (existing.isPresent() && !ChildDatabase.ownedBy(existing.get(), organization)) {
            throw nameTaken(organization);
        }
        List<StageFailure> specProblems = specProblems(organization.getSpec());
        if (!specProblems.isEmpty() && existing.isEmpty()) {
            // Nothing made yet: make nothing until the spec is right.
            a.problems.addAll(specProblems.subList(1, specProblems.size()));
            throw specProblems.get(0);
        }
        Optional<ConfigMap> ids = configMap.eventSource().flatMap(cache -> cache.get(new ResourceID(
                CloudflareConfigMap.name(organization), organization.getMetadata().getNamespace())));
        if (ids.isPresent() && !ownedBy(ids.get(), organization)) {
            throw configMapTaken(organization);
        }

        DoDatabase database = ensureChild(a, context, databaseName, existing.isEmpty());
        URI endpoint = deploy(DATABASE);
        GatewayClient organizationDatabase = open(DATABASE, endpoint, databaseName, database.getMetadata().getUid());
        a.status.setSlug(slug);
        a.status.setDatabaseName(databaseName);
        a.status.setSecretName(ChildDatabase.secretName(organization));
        a.conditions.set(DATABASE, TRUE, "Ready", "database " + databaseName + " is ready and held by DoDatabase "
                + database.getMetadata().getName() + "; its token is in Secret " + a.status.getSecretName());

        String routedEmail = owner(a, organizationDatabase);
        adminRecords(a, context, endpoint, slug, databaseName, database, routedEmail);
        cloudflare(a, context, slug, ids.isEmpty());
    }

    /** Spec problems admission should have refused (it may not have: another API server, an object from before). */
    private static List<StageFailure> specProblems(OrganizationSpec spec) {
        List<StageFailure> problems = new ArrayList<>();
        if (spec.getOrganizationName() == null || spec.getOrganizationName().isBlank()) {
            problems.add(StageFailure.permanent(ADMIN_RECORDS, "InvalidOrganizationName", "spec.organizationName is "
                    + "empty: give the organization a display name (1-256 characters)"));
        }
        if (spec.getEmail() != null) {
            OwnerSpec.validateEmail("spec.email", spec.getEmail()).ifPresent(problem -> problems.add(
                    StageFailure.permanent(ADMIN_RECORDS, "InvalidEmail", problem + ", or remove it")));
        }
        if (spec.getOwner() != null) {
            OwnerSpec.validateEmail("spec.owner.email", spec.getOwner().getEmail()).ifPresent(problem -> problems.add(
                    StageFailure.permanent(OWNER, "InvalidOwnerEmail", problem)));
        }
        for (Kind kind : Kind.values()) {
            kind.shapeProblem(spec.getResources()).ifPresent(shape -> problems.add(StageFailure.permanent(
                    kind.condition(), "InvalidResources", shape)));
            List<String> invalid = kind.desired(spec.getResources()).stream()
                    .map(OrganizationNames::validateResourceName).flatMap(Optional::stream).toList();
            if (!invalid.isEmpty()) {
                problems.add(StageFailure.permanent(kind.condition(), "InvalidResourceName", "spec.resources."
                        + kind.field() + ": " + String.join("; ", invalid)));
            }
        }
        return problems;
    }

    /** The child DoDatabase as the organization says, once it is Ready for its current spec. */
    private DoDatabase ensureChild(Attempt a, Context<KuratchiOrganization> context, String databaseName,
            boolean creating) {
        KuratchiOrganization organization = a.organization;
        ChildDatabase.use(context, databaseName);
        DoDatabase database;
        try {
            database = child.reconcile(organization, context).getSingleResource().orElseThrow();
        } catch (KubernetesClientException e) {
            // Not in the cache of labelled children, yet there: a DoDatabase of someone else's without the label.
            if (creating && e.getCode() == 409) {
                StageFailure taken = nameTaken(organization);
                throw StageFailure.blocked(DATABASE, taken.reason(), taken.getMessage() + " (if it is this "
                        + "organization's own, it lost its label " + ChildDatabase.ORGANIZATION_LABEL + ": put it back)",
                        taken.retryAfter());
            }
            throw e;
        }
        String name = "DoDatabase " + database.getMetadata().getName();
        if (database.getMetadata().getDeletionTimestamp() != null) {
            throw StageFailure.blocked(DATABASE, "DatabaseDeleting", name + " is being deleted, which ends its claim "
                    + "and every token issued for it (an organization's DoDatabase goes with the organization: delete "
                    + "the organization instead); it is made again once it is gone, and with deletionPolicy Retain "
                    + "finds its data kept: set existingData: Adopt to take it back", RECHECK);
        }
        if (database.getStatus() == null || database.getStatus().getObservedGeneration() == null) {
            throw StageFailure.blocked(DATABASE, "Provisioning", name + " is being provisioned", RECHECK);
        }
        if (!Objects.equals(database.getStatus().getObservedGeneration(), database.getMetadata().getGeneration())) {
            throw StageFailure.blocked(DATABASE, "Updating", name + " is applying the organization's change", RECHECK);
        }
        Condition ready = Conditions.find(database.getStatus().getConditions(), READY).orElse(null);
        if (ready == null || !TRUE.equals(ready.getStatus()) || database.getStatus().getToken() == null) {
            // The child's reason is the organization's: AlreadyManaged, ExistingData, MigrationFailed... Its own
            // informer event wakes the organization when it changes; the recheck is only a safety net.
            throw StageFailure.blocked(DATABASE, ready == null ? "Provisioning" : ready.getReason(), name + ": "
                    + (ready == null ? "not ready yet" : ready.getMessage()), RECHECK);
        }
        return database;
    }

    /**
     * The owner, once: inserted or adopted in the organization database. Its problems stop only this part. Returns the
     * email the admin database should route to the organization: the owner row's (null for none).
     */
    private String owner(Attempt a, GatewayClient organizationDatabase) {
        OwnerSpec owner = a.spec().getOwner();
        if (owner == null) {
            a.conditions.set(OWNER, TRUE, "NoOwner", "no owner asked for (spec.owner)");
            return null;
        }
        Optional<String> invalid = OwnerSpec.validateEmail("spec.owner.email", owner.getEmail());
        if (invalid.isPresent()) {
            a.problems.add(StageFailure.permanent(OWNER, "InvalidOwnerEmail", invalid.get()
                    + "; no owner is made or routed until it is"));
            return null;
        }
        try {
            OwnerRecord.Outcome outcome = new OwnerRecord(organizationDatabase).ensure(a.uid(), a.status.getOwnerId(),
                    owner, a.spec().getOrganizationName());
            a.status.setOwnerId(outcome.ownerId());
            if (outcome.wrote()) {
                event(a.organization, EventRecorder.NORMAL, "OwnerCreated", "user " + outcome.ownerId() + " ("
                        + owner.getEmail() + ") inserted into database " + a.status.getDatabaseName() + " as owner");
            }
            if (outcome.deletedAt() != null) {
                a.conditions.set(OWNER, TRUE, "DeletedInApp", "user " + outcome.ownerId() + ", the owner, was deleted "
                        + "in the app at " + outcome.deletedAt() + "; the operator does not restore it: restore it in "
                        + "the app, or remove spec.owner");
            } else {
                a.conditions.set(OWNER, TRUE, outcome.adopted() ? "Adopted" : "InPlace", "user " + outcome.ownerId()
                        + " is the owner" + (outcome.adopted() ? " (a user that already held " + owner.getEmail()
                        + ", adopted as it is)" : ""));
            }
            return owner.getEmail();
        } catch (OwnerRecord.Refused refused) {
            a.problems.add(StageFailure.permanent(OWNER, refused.reason(), refused.getMessage()));
            return refused.ownerEmail();
        } catch (GatewayException e) {
            a.problems.add(GatewayFailures.of(OWNER, e, with.deployer()));
        } catch (IllegalStateException raced) {
            a.problems.add(StageFailure.transientFailure(OWNER, "OwnerChanging", raced.getMessage(), null));
        }
        return owner.getEmail();
    }

    /**
     * The organization's rows in the admin database: the lock on its slug. A problem here stops the reconcile, so
     * nothing is made in Cloudflare for a slug whose row is another's.
     */
    private void adminRecords(Attempt a, Context<KuratchiOrganization> context, URI endpoint, String slug,
            String databaseName, DoDatabase database, String routedEmail) {
        specProblems(a.spec()).stream().filter(p -> p.condition().equals(ADMIN_RECORDS)).findFirst()
                .ifPresent(problem -> {
                    throw problem;
                });
        DoDatabase admin = readyAdminDatabase(context);
        AdminRecords records = new AdminRecords(open(ADMIN_RECORDS, endpoint, with.adminDatabase().databaseName(),
                admin.getMetadata().getUid()), with.clock());
        TokenStatus token = database.getStatus().getToken();
        String tokenText = Boolean.TRUE.equals(a.spec().getStoreTokenInAdminDatabase())
                ? tokenText(context, database, databaseName, token.id()) : null;
        String namespace = a.organization.getMetadata().getNamespace();
        AdminRows rows = new AdminRows(a.uid(), namespace, a.organization.getMetadata().getName(),
                a.spec().getOrganizationName(), slug, a.spec().getEmail(), databaseName, token.id(),
                Instant.parse(token.notAfter()).toEpochMilli(), tokenText, routedEmail);
        AdminRecords.Adopting adopting = new AdminRecords.Adopting(a.spec().getExistingData() == ExistingData.Adopt,
                with.tenancy().adoption(namespace, databaseName, ExistingData.Adopt));
        AdminRecords.Outcome written;
        try {
            written = records.ensure(rows, adopting);
        } catch (AdminRecords.Conflict conflict) {
            throw "RowsRefused".equals(conflict.reason())
                    ? StageFailure.transientFailure(ADMIN_RECORDS, conflict.reason(), conflict.getMessage(), null)
                    : StageFailure.permanent(ADMIN_RECORDS, conflict.reason(), conflict.getMessage());
        } catch (GatewayException e) {
            throw GatewayFailures.of(ADMIN_RECORDS, e, with.deployer());
        }
        a.status.setOrganizationId(written.organizationId());
        String where = "the admin database " + with.adminDatabase().databaseName();
        if (written.wrote()) {
            event(a.organization, EventRecorder.NORMAL, "AdminRecordsWritten", "organization "
                    + written.organizationId() + " written to " + where + " (organization, database, token "
                    + token.id() + (tokenText != null ? " with the token itself" : "") + (routedEmail != null
                    ? ", owner routing" : "") + ")");
        }
        a.conditions.set(ADMIN_RECORDS, TRUE, "InPlace", "organization " + written.organizationId() + " is recorded in "
                + where + " with token " + token.id() + (tokenText != null ? " (the token itself too, as "
                + "spec.storeTokenInAdminDatabase asks)" : ""));
    }

    /** The admin DoDatabase from the informer cache, created when missing; stops this reconcile until it is Ready. */
    private DoDatabase readyAdminDatabase(Context<KuratchiOrganization> context) {
        AdminDatabase admin = with.adminDatabase();
        String named = "the admin database (DoDatabase " + admin.namespace() + "/" + admin.databaseName() + ")";
        Optional<DoDatabase> cached = adminDatabase(context);
        if (cached.isEmpty()) {
            if (admin.create(context.getClient())) {
                throw StageFailure.blocked(ADMIN_RECORDS, "AdminDatabaseCreating", named + " was just created; the "
                        + "rows are written once it is Ready", RECHECK);
            }
            throw StageFailure.blocked(ADMIN_RECORDS, "AdminDatabaseNotManaged", named + " exists without the label "
                    + AdminDatabase.LABEL + "=true, so the operator does not watch it: add that label (it must have "
                    + "the built-in admin schema)", RECHECK);
        }
        if (!AdminDatabase.isReady(cached.get())) {
            throw StageFailure.blocked(ADMIN_RECORDS, "AdminDatabaseNotReady", named + " is not ready ("
                    + AdminDatabase.whyNotReady(cached.get()) + "); the rows are written once it is", RECHECK);
        }
        return cached.get();
    }

    private static Optional<DoDatabase> adminDatabase(Context<KuratchiOrganization> context) {
        return context.getSecondaryResource(DoDatabase.class, ADMIN_SOURCE);
    }

    /** The token the child's Secret holds, from this controller's cache, once it is the one the child names. */
    private static String tokenText(Context<KuratchiOrganization> context, DoDatabase database, String databaseName,
            String tokenId) {
        Optional<DatabaseToken> token = context.getSecondaryResource(Secret.class, SECRET_SOURCE)
                .filter(secret -> TokenSecret.ownedBy(secret, database)).flatMap(TokenSecret::token)
                .flatMap(OrganizationReconciler::parse)
                .filter(t -> t.tokenId().equals(tokenId) && t.databaseName().equals(databaseName));
        return token.map(DatabaseToken::reveal).orElseThrow(() -> StageFailure.blocked(ADMIN_RECORDS,
                "TokenNotInSecret", "spec.storeTokenInAdminDatabase asks for the token in the admin database, and "
                        + "Secret " + TokenSecret.name(database) + " does not hold token " + tokenId + " that DoDatabase "
                        + database.getMetadata().getName() + " names yet; the row is written once it does", RECHECK));
    }

    private static Optional<DatabaseToken> parse(String token) {
        try {
            return Optional.of(DatabaseToken.parse(token));
        } catch (RuntimeException notAToken) {
            // Never its text in a message: it may be a token after all.
            return Optional.empty();
        }
    }

    /** The Cloudflare resources (verified when due) and the ConfigMap that lists them. */
    private void cloudflare(Attempt a, Context<KuratchiOrganization> context, String slug, boolean creatingConfigMap) {
        OrganizationSpec spec = a.spec();
        if (creatingConfigMap) {
            // Made before anything in Cloudflare, empty: a ConfigMap of that name that is not in the cache (one
            // without the label) refuses it, and nothing is made for a name that cannot be published.
            writeConfigMap(a, context, Map.of(), true);
        }
        boolean verify = verifications.due(a.uid(), a.now);
        OrganizationResources.Outcome outcome = verify
                ? with.resources().verify(slug, spec.getResources(), policy(spec), a.status)
                : with.resources().ensure(slug, spec.getResources(), policy(spec), a.status);
        outcome.writeTo(a.status);
        for (Kind kind : Kind.values()) {
            OrganizationResources.Problem problem = outcome.of(kind).problem();
            if (problem == null) {
                a.conditions.set(kind.condition(), TRUE, "InPlace", outcome.of(kind).readyMessage());
            } else {
                a.problems.add(problem.transientFailure()
                        ? StageFailure.transientFailure(kind.condition(), problem.reason(), problem.message(),
                                problem.retryAfter())
                        : problem.retryAfter() != null
                                ? StageFailure.blocked(kind.condition(), problem.reason(), problem.message(),
                                        problem.retryAfter())
                                : StageFailure.permanent(kind.condition(), problem.reason(), problem.message()));
            }
        }
        outcome.changes().forEach(change -> event(a.organization, EventRecorder.NORMAL, "CloudflareChanged", change));
        // A pass that made or looked up everything (a new organization's first) is a verification: the next is one
        // interval away, not at a random point of the first hour.
        if (outcome.confirmed() || verify && outcome.problems().stream()
                .noneMatch(OrganizationResources.Problem::transientFailure)) {
            verifications.checked(a.uid(), a.now);
        }
        writeConfigMap(a, context, outcome.configMapData(), false);
    }

    private void writeConfigMap(Attempt a, Context<KuratchiOrganization> context, Map<String, String> data,
            boolean creating) {
        CloudflareConfigMap.use(context, data);
        try {
            configMap.reconcile(a.organization, context);
        } catch (KubernetesClientException e) {
            if (creating && e.getCode() == 409) {
                throw configMapTaken(a.organization);
            }
            throw e;
        }
    }

    // ---- status, in one place

    /**
     * The status this attempt ends with, for success and failure alike: each problem on its part's condition, Ready
     * from the first part that is not True (a problem of the whole organization first), an event for each condition
     * that changed.
     */
    private OrganizationStatus finish(Attempt a, OrganizationStatus before) {
        List<StageFailure> whole = new ArrayList<>();
        for (StageFailure problem : a.problems) {
            if (problem.condition().equals(READY)) {
                whole.add(problem);
            } else {
                a.conditions.set(problem.condition(), FALSE, problem.reason(), scrub(problem.getMessage()));
            }
        }
        Optional<Condition> failing = PARTS.stream().map(type -> Conditions.find(a.conditions.list(), type))
                .flatMap(Optional::stream).filter(c -> !TRUE.equals(c.getStatus())).findFirst();
        Optional<String> pending = PARTS.stream().filter(type -> Conditions.find(a.conditions.list(), type).isEmpty())
                .findFirst();
        if (!whole.isEmpty()) {
            a.conditions.set(READY, FALSE, whole.get(0).reason(), scrub(whole.get(0).getMessage()));
        } else if (failing.isPresent()) {
            a.conditions.set(READY, FALSE, failing.get().getReason(), failing.get().getType() + ": "
                    + failing.get().getMessage());
        } else if (pending.isPresent()) {
            a.conditions.set(READY, FALSE, "InProgress", pending.get() + " is not done yet; the operator is on it");
        } else {
            a.conditions.set(READY, TRUE, "Ready", "organization " + a.spec().getOrganizationName() + " is ready: "
                    + "database " + a.status.getDatabaseName() + " (token in Secret " + a.status.getSecretName()
                    + "), Cloudflare ids in ConfigMap " + CloudflareConfigMap.name(a.organization));
        }
        OrganizationStatus status = a.status;
        status.setObservedGeneration(a.organization.getMetadata().getGeneration());
        status.setConditions(a.conditions.list());
        recordTransitions(a.organization, before.getConditions(), status.getConditions());
        return status;
    }

    private void recordTransitions(KuratchiOrganization organization, List<Condition> before, List<Condition> after) {
        // The parts first, then the summary.
        for (Condition changed : Conditions.changed(before, after).stream()
                .sorted(Comparator.comparing((Condition c) -> READY.equals(c.getType()))).toList()) {
            boolean good = TRUE.equals(changed.getStatus());
            // Ready=False repeats the failing part's reason: that part's event says it already.
            if (changed.getType().equals(READY) && !good && after.stream().anyMatch(c -> !READY.equals(c.getType())
                    && !TRUE.equals(c.getStatus()) && Objects.equals(c.getReason(), changed.getReason()))) {
                continue;
            }
            LOG.info("{}/{}: {}={} {}: {}", organization.getMetadata().getNamespace(),
                    organization.getMetadata().getName(), changed.getType(), changed.getStatus(), changed.getReason(),
                    changed.getMessage());
            with.events().record(organization, good ? EventRecorder.NORMAL : EventRecorder.WARNING,
                    changed.getReason(), changed.getType(), changed.getMessage());
        }
    }

    private void event(HasMetadata organization, String type, String reason, String note) {
        String scrubbed = scrub(note);
        LOG.info("{}/{}: {}: {}", organization.getMetadata().getNamespace(), organization.getMetadata().getName(),
                reason, scrubbed);
        with.events().record(organization, type, reason, "Reconcile", scrubbed);
    }

    // Messages carry text from the gateway, Cloudflare and the API server, which the operator does not control.
    private String scrub(String text) {
        return with.redaction().scrub(text);
    }

    @Override
    public ErrorStatusUpdateControl<KuratchiOrganization> updateErrorStatus(KuratchiOrganization organization,
            Context<KuratchiOrganization> context, Exception thrown) {
        // JOSDK hands over what reconcile threw wrapped in its own exception.
        Throwable e = thrown;
        while (e.getCause() != null && !(e instanceof RetryWithStatus)) {
            e = e.getCause();
        }
        if (!(e instanceof RetryWithStatus retry)) {
            // A status write that failed (a conflict, a busy API server): retrying is all there is to do.
            return ErrorStatusUpdateControl.noStatusUpdate();
        }
        ErrorStatusUpdateControl<KuratchiOrganization> control;
        if (retry.status.equals(organization.getStatus())) {
            control = ErrorStatusUpdateControl.noStatusUpdate();
        } else {
            organization.setStatus(retry.status);
            control = ErrorStatusUpdateControl.patchStatus(organization);
        }
        // Cloudflare's Retry-After, rather than a backoff that would ask again before it allows.
        return retry.retryAfter == null ? control : control.rescheduleAfter(retry.retryAfter);
    }

    /** What an exception nothing else explains means: a refusal of the Kubernetes API is for a person to fix. */
    private StageFailure unexpected(RuntimeException e) {
        if (e instanceof KubernetesClientException k && k.getCode() >= 400 && k.getCode() < 500 && k.getCode() != 429) {
            return StageFailure.permanent(READY, "KubernetesApiRefused", "the Kubernetes API refused a call (HTTP "
                    + k.getCode() + (k.getStatus() != null && k.getStatus().getMessage() != null ? ": "
                    + k.getStatus().getMessage() : "") + "); fix what it names");
        }
        LOG.warn("unexpected failure reconciling an organization: {}", scrub(String.valueOf(e)));
        LOG.debug("unexpected failure reconciling an organization", e);
        return StageFailure.transientFailure(READY, "ReconcileError", "unexpected " + e.getClass().getSimpleName()
                + ": " + e.getMessage() + "; retrying with backoff", null);
    }

    // ---- names

    /**
     * The slug: spec.slug, or metadata.name (immutable, unlike the display name) with dots turned into '-'.
     *
     * @throws StageFailure when it breaks the slug rule
     */
    static String slug(KuratchiOrganization organization) {
        boolean defaulted = organization.getSpec().getSlug() == null;
        String slug = defaulted ? organization.getMetadata().getName().replace('.', '-')
                : organization.getSpec().getSlug();
        Optional<String> problem = OrganizationNames.validateSlug(slug);
        if (problem.isPresent()) {
            throw StageFailure.permanent(DATABASE, "InvalidSlug", problem.get() + (defaulted ? "; the slug defaults "
                    + "to metadata.name, which does not fit: create the organization again with spec.slug set (it "
                    + "cannot be added later)" : "; the slug cannot change: create the organization again with a "
                    + "valid one") + ". Nothing was made");
        }
        return slug;
    }

    private String databaseName(OrganizationSpec spec, String slug) {
        String databaseName = spec.getDatabaseName() != null ? spec.getDatabaseName() : slug;
        if (databaseName.equals(with.adminDatabase().databaseName())) {
            throw StageFailure.permanent(DATABASE, "ReservedDatabaseName", "database " + databaseName + " is the "
                    + "admin database of this installation: create the organization again with another "
                    + (spec.getDatabaseName() != null ? "spec.databaseName" : "slug") + ". Nothing was made");
        }
        return databaseName;
    }

    private static StageFailure nameTaken(KuratchiOrganization organization) {
        return StageFailure.blocked(DATABASE, "NameTaken", "a DoDatabase named " + organization.getMetadata()
                .getName() + " already exists in namespace " + organization.getMetadata().getNamespace() + " and is "
                + "not this organization's; nothing was made or changed: delete or rename that DoDatabase, or create "
                + "the organization under another name", RECHECK);
    }

    private static StageFailure configMapTaken(KuratchiOrganization organization) {
        return StageFailure.blocked(READY, "ConfigMapTaken", "ConfigMap " + CloudflareConfigMap.name(organization)
                + " already exists and is not this organization's: it is never overwritten; delete or rename it, or "
                + "create the organization under another name", RECHECK);
    }

    private static boolean ownedBy(HasMetadata object, KuratchiOrganization organization) {
        return object.getMetadata().getOwnerReferences() != null && object.getMetadata().getOwnerReferences().stream()
                .anyMatch(ref -> organization.getMetadata().getUid().equals(ref.getUid())
                        && Boolean.TRUE.equals(ref.getController()));
    }

    private static DeletionPolicy policy(OrganizationSpec spec) {
        return spec.getDeletionPolicy() == null ? DeletionPolicy.Retain : spec.getDeletionPolicy();
    }

    // ---- the gateway

    private URI deploy(String condition) {
        try {
            return with.deployer().ensureDeployed().endpoint();
        } catch (CloudflareException e) {
            String message = "the gateway Worker could not be deployed (" + e.getMessage() + "); the DoDatabase "
                    + "conditions say more";
            throw e.isPermanent() ? StageFailure.permanent(condition, "GatewayNotDeployed", message)
                    : StageFailure.transientFailure(condition, "GatewayNotDeployed", message, e.retryAfter());
        }
    }

    private GatewayClient open(String condition, URI endpoint, String databaseName, String ownerUid) {
        try {
            return with.access().open(endpoint, databaseName, ownerUid);
        } catch (GatewayAccess.ClaimRefused refused) {
            throw StageFailure.blocked(condition, refused.reason(), refused.getMessage(), RECHECK);
        } catch (GatewayException e) {
            throw GatewayFailures.of(condition, e, with.deployer());
        }
    }

    // ---- deletion

    /**
     * Deletes the child first (once it has applied its last change, for a few seconds at most: {@link #settling}): its
     * finalizer releases the database at the gateway, which ends every token issued for it, so no token of the
     * organization keeps working while the rest of the deletion waits (for a bucket to be emptied, say). Then deletes (Delete) or releases (Retain) the organization's Cloudflare resources and deletes
     * or archives its admin rows, when the admin database binds them to this organization, and deletes its ConfigMap;
     * the finalizer goes only once all that is done and the child is gone. Something already gone counts as deleted;
     * every step may run again.
     */
    @Override
    public DeleteControl cleanup(KuratchiOrganization organization, Context<KuratchiOrganization> context) {
        try {
            Optional<DoDatabase> database = child.getSecondaryResource(organization, context)
                    .filter(db -> ChildDatabase.ownedBy(db, organization));
            if (database.isPresent() && database.get().getMetadata().getDeletionTimestamp() == null) {
                // The child erases or keeps the data by its own deletionPolicy: the organization's, also when it was
                // changed just before the deletion and no reconcile passed it on yet.
                DeletionPolicy policy = policy(organization.getSpec());
                DoDatabase current = database.get();
                if (current.getSpec().getDeletionPolicy() != policy) {
                    current = context.getClient().resource(current).edit(db -> {
                        db.getSpec().setDeletionPolicy(policy);
                        return db;
                    });
                }
                Optional<Duration> settling = settling(organization, current);
                if (settling.isPresent()) {
                    return DeleteControl.noFinalizerRemoval().rescheduleAfter(settling.get());
                }
                context.getClient().resource(current).delete();
            }
            Optional<Duration> wait = retire(organization, context);
            if (wait.isPresent()) {
                return DeleteControl.noFinalizerRemoval().rescheduleAfter(wait.get());
            }
            // Kubernetes objects: a real cluster's garbage collector takes them by their owner references too.
            configMap.getSecondaryResource(organization, context).filter(cm -> ownedBy(cm, organization))
                    .ifPresent(cm -> context.getClient().resource(cm).delete());
            if (database.isPresent()) {
                // Its deletion wakes this resource again; the recheck is a safety net.
                return DeleteControl.noFinalizerRemoval().rescheduleAfter(RECHECK);
            }
        } catch (StageFailure | GatewayException | CloudflareException | KubernetesClientException e) {
            event(organization, EventRecorder.WARNING, "CleanupFailed", "could not finish deleting the organization ("
                    + e.getMessage() + "); retrying with backoff. Removing the finalizer by hand gives up: what is "
                    + "left stays in Cloudflare and the admin database");
            throw e;
        }
        verifications.forget(organization.getMetadata().getUid());
        childSettling.remove(organization.getMetadata().getUid());
        Optional.ofNullable(organization.getStatus()).map(OrganizationStatus::getDatabaseName)
                .ifPresent(with.access()::forget);
        return DeleteControl.defaultDelete();
    }

    /**
     * How long to wait before deleting the child while it is still applying a change of its spec (its controller has
     * not written the status of its generation yet; the organization's own last change of the deletionPolicy, say).
     * Deleted meanwhile, its controller can miss the deletion: JOSDK drops a change of an object that reaches it
     * while it writes that object's status, when what it wrote already holds the change, and then nothing makes it
     * look again before its next scheduled look, so the child's tokens would keep working until then. Its status write
     * wakes this organization; after {@link #CHILD_SETTLE_LIMIT} the child is deleted anyway.
     */
    private Optional<Duration> settling(KuratchiOrganization organization, DoDatabase child) {
        String uid = organization.getMetadata().getUid();
        Long generation = child.getMetadata().getGeneration();
        boolean applying = generation != null && (child.getStatus() == null
                || !generation.equals(child.getStatus().getObservedGeneration()));
        Instant now = with.clock().instant();
        Instant since = applying ? childSettling.computeIfAbsent(uid, u -> now) : now;
        if (!applying || !now.isBefore(since.plus(CHILD_SETTLE_LIMIT))) {
            childSettling.remove(uid);
            return Optional.empty();
        }
        return Optional.of(Duration.ofSeconds(2));
    }

    /** Cloudflare resources and admin rows; a time to look again when that cannot be finished now. */
    private Optional<Duration> retire(KuratchiOrganization organization, Context<KuratchiOrganization> context) {
        String slug;
        try {
            slug = slug(organization);
        } catch (StageFailure invalid) {
            return Optional.empty(); // an invalid slug never made anything
        }
        OrganizationStatus status = organization.getStatus() == null ? new OrganizationStatus()
                : organization.getStatus();
        OrganizationSpec spec = organization.getSpec();
        Optional<DoDatabase> admin = adminDatabase(context).filter(AdminDatabase::isReady);
        if (admin.isEmpty()) {
            if (status.getOrganizationId() == null) {
                return Optional.empty(); // never recorded in the admin database, so nothing made in Cloudflare
            }
            if (adminDatabase(context).isEmpty()) {
                with.adminDatabase().create(context.getClient());
            }
            event(organization, EventRecorder.WARNING, "AdminDatabaseNotReady", "deletion waits for the admin "
                    + "database " + with.adminDatabase().databaseName() + " to be Ready: it alone tells what of slug "
                    + slug + " is this organization's to delete or archive");
            return Optional.of(RECHECK);
        }
        URI endpoint = deploy(ADMIN_RECORDS);
        AdminRecords records = new AdminRecords(open(ADMIN_RECORDS, endpoint, with.adminDatabase().databaseName(),
                admin.get().getMetadata().getUid()), with.clock());
        String uid = organization.getMetadata().getUid();
        Optional<String> held = records.heldOrganization(slug, uid);
        if (held.isEmpty()) {
            return Optional.empty(); // holds nothing of the slug (never did, or retired it already)
        }
        OrganizationResources.Cleanup cloudflare = with.resources().deleteAll(slug, spec.getResources(), status,
                policy(spec));
        cloudflare.changes().forEach(change -> event(organization, EventRecorder.NORMAL, "CloudflareChanged", change));
        if (!cloudflare.complete()) {
            String problems = cloudflare.problems().stream().map(OrganizationResources.Problem::message)
                    .collect(Collectors.joining("; "));
            event(organization, EventRecorder.WARNING, "CloudflareCleanupBlocked", problems);
            Optional<OrganizationResources.Problem> passing = cloudflare.problems().stream()
                    .filter(OrganizationResources.Problem::transientFailure).findFirst();
            if (passing.isPresent() && passing.get().retryAfter() == null) {
                throw StageFailure.transientFailure(passing.get().condition(), passing.get().reason(), problems, null);
            }
            return Optional.of(cloudflare.problems().stream().map(OrganizationResources.Problem::retryAfter)
                    .filter(Objects::nonNull).min(Comparator.naturalOrder()).orElse(RECHECK));
        }
        if (records.retire(uid, policy(spec))) {
            event(organization, EventRecorder.NORMAL, "AdminRecordsRetired", "organization " + held.get() + " "
                    + (policy(spec) == DeletionPolicy.Delete ? "deleted from" : "archived in") + " the admin database "
                    + with.adminDatabase().databaseName());
        }
        return Optional.empty();
    }

    private static OrganizationStatus copy(OrganizationStatus status) {
        OrganizationStatus copy = new OrganizationStatus();
        copy.setConditions(new ArrayList<>(status.getConditions() == null ? List.of() : status.getConditions()));
        copy.setObservedGeneration(status.getObservedGeneration());
        copy.setOrganizationId(status.getOrganizationId());
        copy.setSlug(status.getSlug());
        copy.setDatabaseName(status.getDatabaseName());
        copy.setSecretName(status.getSecretName());
        copy.setOwnerId(status.getOwnerId());
        copy.setResources(status.getResources());
        copy.setKvNamespaces(status.getKvNamespaces());
        copy.setR2Buckets(status.getR2Buckets());
        copy.setQueues(status.getQueues());
        return copy;
    }

    /** A failure that passes by itself, carrying the status the attempt reached so nothing it made is forgotten. */
    static final class RetryWithStatus extends RuntimeException {
        private final transient OrganizationStatus status;
        private final Duration retryAfter;

        /** @param cause null for a lost race, which leaves no condition to report */
        RetryWithStatus(OrganizationStatus status, StageFailure cause) {
            super(cause == null ? "a write lost a race; retrying" : cause.reason() + ": " + cause.getMessage(), cause,
                    false, false);
            this.status = status;
            this.retryAfter = cause == null ? null : cause.retryAfter();
        }
    }
}
