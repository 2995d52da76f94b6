package dev.kuratchi.operator.organization;

import static dev.kuratchi.operator.status.Conditions.FALSE;
import static dev.kuratchi.operator.status.Conditions.TRUE;

import dev.kuratchi.client.gateway.GatewayClient;
import dev.kuratchi.client.gateway.GatewayException;
import dev.kuratchi.client.token.DatabaseNames;
import dev.kuratchi.operator.cloudflare.CloudflareException;
import dev.kuratchi.operator.dodatabase.DeletionPolicy;
import dev.kuratchi.operator.dodatabase.DoDatabase;
import dev.kuratchi.operator.dodatabase.ExistingData;
import dev.kuratchi.operator.gateway.GatewayDeployer;
import dev.kuratchi.operator.status.Conditions;
import io.fabric8.kubernetes.api.model.Condition;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Reconciles a KuratchiOrganization, in order: its names; its child DoDatabase (which does the database work) and
 * that child's state; its Cloudflare resources and their ConfigMap; its owner in the organization database; its rows
 * in the admin database. A stage that cannot go on says why in its condition, and the stages after it wait. Nothing
 * in Cloudflare or the admin database is touched before the child holds the slug's database: two organizations with
 * one slug share every derived name, and the second must touch nothing (the child reports it AlreadyManaged).
 */
@ControllerConfiguration(name = OrganizationReconciler.NAME)
public class OrganizationReconciler implements Reconciler<KuratchiOrganization>, Cleaner<KuratchiOrganization> {
    public static final String NAME = "kuratchiorganization";
    public static final String READY = "Ready";
    public static final String DATABASE = "Database";
    public static final String OWNER = "Owner";
    public static final String ADMIN_RECORDS = "AdminRecords";
    private static final Duration WAIT_FOR_CHILD = Duration.ofSeconds(10);

    /** What the reconciler works with. */
    public record Collaborators(GatewayDeployer deployer, GatewayAccess access, OrganizationResources resources,
            AdminDatabase adminDatabase, Clock clock) {}

    private final Collaborators with;
    private final ChildDatabase child = new ChildDatabase();
    private final CloudflareConfigMap configMap = new CloudflareConfigMap();

    public OrganizationReconciler(Collaborators with) {
        this.with = with;
    }

    @Override
    public List<EventSource<?, KuratchiOrganization>> prepareEventSources(
            EventSourceContext<KuratchiOrganization> context) {
        return List.of(child.eventSource(context).orElseThrow(), configMap.eventSource(context).orElseThrow());
    }

    @Override
    public UpdateControl<KuratchiOrganization> reconcile(KuratchiOrganization organization,
            Context<KuratchiOrganization> context) {
        OrganizationStatus before = organization.getStatus() == null ? new OrganizationStatus() : organization.getStatus();
        OrganizationStatus status = copy(before);
        Conditions conditions = new Conditions(before.getConditions(), organization.getMetadata().getGeneration(),
                with.clock().instant());
        Stop stop = null;
        try {
            converge(organization, context, status, conditions);
        } catch (Stop s) {
            stop = s;
        }
        status.setObservedGeneration(organization.getMetadata().getGeneration());
        boolean ready = stop == null && List.of(DATABASE, OWNER, ADMIN_RECORDS).stream()
                .allMatch(type -> Conditions.isTrue(conditions.list(), type))
                && java.util.stream.Stream.of(OrganizationResources.Kind.values())
                        .allMatch(kind -> Conditions.isTrue(conditions.list(), kind.condition()));
        if (ready) {
            conditions.set(READY, TRUE, "Ready", "organization " + organization.getSpec().getOrganizationName()
                    + " is ready: its database " + status.getDatabaseName() + ", token in Secret "
                    + status.getSecretName() + ", Cloudflare resources in ConfigMap " + CloudflareConfigMap.name(organization));
        } else {
            Condition first = stop != null ? stop.condition : firstFalse(conditions.list());
            conditions.set(READY, FALSE, first == null ? "InProgress" : first.getReason(),
                    first == null ? "not all parts are in place yet" : first.getType() + ": " + first.getMessage());
        }
        status.setConditions(conditions.list());
        if (stop != null && stop.transientFailure) {
            throw new RetryWithStatus(status, stop);
        }
        UpdateControl<KuratchiOrganization> control;
        if (status.equals(before)) {
            control = UpdateControl.noUpdate();
        } else {
            organization.setStatus(status);
            control = UpdateControl.patchStatus(organization);
        }
        Duration recheck = stop != null && stop.recheck != null ? stop.recheck : null;
        return recheck == null ? control : control.rescheduleAfter(recheck);
    }

    private void converge(KuratchiOrganization organization, Context<KuratchiOrganization> context,
            OrganizationStatus status, Conditions conditions) {
        OrganizationSpec spec = organization.getSpec();
        String slug;
        try {
            slug = slug(organization);
        } catch (IllegalArgumentException invalid) {
            throw Stop.permanent(conditions, DATABASE, "InvalidSlug", invalid.getMessage()
                    + (organization.getSpec().getSlug() == null ? " (the slug defaults to metadata.name: set spec.slug)"
                            : ""));
        }
        String databaseName = spec.getDatabaseName() != null ? spec.getDatabaseName() : slug;
        if (databaseName.equals(with.adminDatabase().databaseName())) {
            throw Stop.permanent(conditions, DATABASE, "InvalidSpec", "the database name " + databaseName + " is the "
                    + "admin database's: set spec.slug or spec.databaseName to another name");
        }

        Optional<DoDatabase> existing = context.getSecondaryResource(DoDatabase.class);
        if (existing.isPresent() && !ChildDatabase.ownedBy(existing.get(), organization)) {
            throw Stop.permanent(conditions, DATABASE, "NameTaken", "a DoDatabase named "
                    + organization.getMetadata().getName() + " already exists in this namespace and is not this "
                    + "organization's; nothing was changed: delete or rename that DoDatabase, or name the organization "
                    + "otherwise");
        }
        ChildDatabase.use(context, databaseName);
        DoDatabase childNow = child.reconcile(organization, context).getSingleResource()
                .orElseThrow(() -> Stop.waiting(conditions, DATABASE, "Creating", "creating the child DoDatabase"));
        status.setDatabaseName(databaseName);
        status.setSecretName(ChildDatabase.secretName(organization));
        Optional<Condition> childReady = Optional.ofNullable(childNow.getStatus())
                .flatMap(s -> Conditions.find(s.getConditions(), READY));
        if (childReady.isEmpty() || !TRUE.equals(childReady.get().getStatus())) {
            String reason = childReady.map(Condition::getReason).orElse("Provisioning");
            String message = childReady.map(Condition::getMessage).orElse("the database is being provisioned");
            throw Stop.waiting(conditions, DATABASE, reason, "DoDatabase " + childNow.getMetadata().getName() + ": "
                    + message);
        }
        conditions.set(DATABASE, TRUE, "Ready", "database " + databaseName + " is ready; its token is in Secret "
                + status.getSecretName());
        // From here on the slug is this organization's: its child holds the slug's database.
        status.setSlug(slug);
        String childUid = childNow.getMetadata().getUid();

        OrganizationResources.Outcome resources = with.resources().ensure(slug, spec.getResources(),
                policy(spec), status);
        resources.writeTo(status);
        for (OrganizationResources.Kind kind : OrganizationResources.Kind.values()) {
            OrganizationResources.KindOutcome outcome = resources.of(kind);
            if (outcome.problem() == null) {
                conditions.set(kind.condition(), TRUE, "InPlace", outcome.readyMessage());
            } else {
                conditions.set(kind.condition(), FALSE, outcome.problem().reason(), outcome.problem().message());
            }
        }
        CloudflareConfigMap.use(context, resources.configMapData());
        configMap.reconcile(organization, context);
        resources.retry().ifPresent(problem -> {
            throw new Stop(conditions.list(), problem.condition(), problem.transientFailure(), problem.retryAfter());
        });

        URI endpoint = with.deployer().ensureDeployed().endpoint();
        String ownerEmail = null;
        if (spec.getOwner() == null) {
            conditions.set(OWNER, TRUE, "NoOwner", "no owner asked for (spec.owner)");
        } else {
            GatewayClient database = open(conditions, OWNER, endpoint, databaseName, childUid);
            try {
                OwnerRecord.Outcome owner = new OwnerRecord(database).ensure(organization.getMetadata().getUid(),
                        status.getOwnerId(), spec.getOwner(), spec.getOrganizationName());
                status.setOwnerId(owner.ownerId());
                ownerEmail = spec.getOwner().getEmail();
                conditions.set(OWNER, TRUE, owner.adopted() ? "Adopted" : "InPlace", "user " + owner.ownerId()
                        + " is the owner" + (owner.adopted() ? " (an existing user with that email)" : ""));
            } catch (OwnerRecord.Refused refused) {
                throw Stop.permanent(conditions, OWNER, refused.reason(), refused.getMessage());
            }
        }

        DoDatabase admin = with.adminDatabase().ready(context.getClient()).orElseThrow(() -> Stop.waiting(conditions,
                ADMIN_RECORDS, "AdminDatabaseNotReady", "the admin database " + with.adminDatabase().databaseName()
                        + " (DoDatabase " + with.adminDatabase().namespace() + "/" + with.adminDatabase().databaseName()
                        + ") is not ready yet; its conditions say why"));
        GatewayClient adminClient = open(conditions, ADMIN_RECORDS, endpoint, with.adminDatabase().databaseName(),
                admin.getMetadata().getUid());
        var token = childNow.getStatus().getToken();
        AdminRows rows = new AdminRows(organization.getMetadata().getUid(), status.getOrganizationId(),
                spec.getOrganizationName(), slug, spec.getEmail(), databaseName, token.id(),
                java.time.Instant.parse(token.notAfter()).toEpochMilli(), null, ownerEmail);
        try {
            AdminRecords.Outcome written = new AdminRecords(adminClient, with.clock()).ensure(rows,
                    spec.getExistingData() == ExistingData.Adopt);
            status.setOrganizationId(written.organizationId());
            conditions.set(ADMIN_RECORDS, TRUE, "InPlace", "organization " + written.organizationId()
                    + " is recorded in the admin database " + with.adminDatabase().databaseName());
        } catch (AdminRecords.Conflict conflict) {
            throw Stop.permanent(conditions, ADMIN_RECORDS, conflict.reason(), conflict.getMessage());
        }
    }

    private GatewayClient open(Conditions conditions, String condition, URI endpoint, String databaseName, String uid) {
        try {
            return with.access().open(endpoint, databaseName, uid);
        } catch (GatewayAccess.ClaimRefused refused) {
            throw Stop.waiting(conditions, condition, refused.reason(), refused.getMessage());
        } catch (GatewayException | CloudflareException e) {
            throw Stop.transientFailure(conditions, condition, "GatewayUnavailable", e.getMessage());
        }
    }

    /** The slug: spec.slug, or metadata.name (immutable, unlike the display name), dots turned into '-'. */
    static String slug(KuratchiOrganization organization) {
        String slug = organization.getSpec().getSlug() != null ? organization.getSpec().getSlug()
                : organization.getMetadata().getName().replace('.', '-');
        OrganizationNames.validateSlug(slug).ifPresent(problem -> {
            throw new IllegalArgumentException(problem);
        });
        if (!DatabaseNames.isValid(slug)) {
            throw new IllegalArgumentException("slug '" + slug + "' is not a database name: use " + DatabaseNames.RULE);
        }
        return slug;
    }

    private static DeletionPolicy policy(OrganizationSpec spec) {
        return spec.getDeletionPolicy() == null ? DeletionPolicy.Retain : spec.getDeletionPolicy();
    }

    /**
     * Deletes or releases what the organization made: its Cloudflare resources and admin rows (only if it ever held
     * its slug: a second organization with the same slug made nothing and deletes nothing), its ConfigMap and its
     * child, whose own finalizer releases the database at the gateway, which ends every token issued for it.
     */
    @Override
    public DeleteControl cleanup(KuratchiOrganization organization, Context<KuratchiOrganization> context) {
        OrganizationStatus status = organization.getStatus() == null ? new OrganizationStatus() : organization.getStatus();
        OrganizationSpec spec = organization.getSpec();
        Optional<DoDatabase> childNow = context.getSecondaryResource(DoDatabase.class)
                .filter(db -> ChildDatabase.ownedBy(db, organization));
        if (status.getSlug() != null) {
            OrganizationResources.Cleanup cloudflare = with.resources().deleteAll(status.getSlug(), spec.getResources(),
                    status, policy(spec));
            if (!cloudflare.complete()) {
                return DeleteControl.noFinalizerRemoval().rescheduleAfter(OrganizationResources.RECHECK_BLOCKED);
            }
            if (status.getOrganizationId() != null) {
                Optional<DoDatabase> admin = with.adminDatabase().ready(context.getClient());
                if (admin.isEmpty()) {
                    return DeleteControl.noFinalizerRemoval().rescheduleAfter(WAIT_FOR_CHILD);
                }
                URI endpoint = with.deployer().ensureDeployed().endpoint();
                new AdminRecords(with.access().open(endpoint, with.adminDatabase().databaseName(),
                        admin.get().getMetadata().getUid()), with.clock()).retire(status.getOrganizationId(),
                        policy(spec));
            }
        }
        context.getSecondaryResource(io.fabric8.kubernetes.api.model.ConfigMap.class)
                .ifPresent(cm -> context.getClient().resource(cm).delete());
        childNow.ifPresent(db -> context.getClient().resource(db).delete());
        Optional.ofNullable(status.getDatabaseName()).ifPresent(with.access()::forget);
        return DeleteControl.defaultDelete();
    }

    @Override
    public ErrorStatusUpdateControl<KuratchiOrganization> updateErrorStatus(KuratchiOrganization organization,
            Context<KuratchiOrganization> context, Exception thrown) {
        Throwable e = thrown;
        while (e.getCause() != null && !(e instanceof RetryWithStatus)) {
            e = e.getCause();
        }
        if (e instanceof RetryWithStatus retry && !retry.status.equals(organization.getStatus())) {
            organization.setStatus(retry.status);
            return ErrorStatusUpdateControl.patchStatus(organization);
        }
        return ErrorStatusUpdateControl.noStatusUpdate();
    }

    private static Condition firstFalse(List<Condition> conditions) {
        return conditions.stream().filter(c -> !READY.equals(c.getType()) && FALSE.equals(c.getStatus())).findFirst()
                .orElse(null);
    }

    private static OrganizationStatus copy(OrganizationStatus status) {
        OrganizationStatus copy = new OrganizationStatus();
        copy.setConditions(new java.util.ArrayList<>(status.getConditions()));
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

    /** A stage that cannot go on: its condition is set, and the reconcile ends here. */
    static final class Stop extends RuntimeException {
        final transient Condition condition;
        final boolean transientFailure;
        final Duration recheck;

        Stop(List<Condition> conditions, String type, boolean transientFailure, Duration recheck) {
            super(type, null, false, false);
            this.condition = Conditions.find(conditions, type).orElse(null);
            this.transientFailure = transientFailure;
            this.recheck = recheck;
        }

        static Stop permanent(Conditions conditions, String type, String reason, String message) {
            conditions.set(type, FALSE, reason, message);
            return new Stop(conditions.list(), type, false, null);
        }

        static Stop waiting(Conditions conditions, String type, String reason, String message) {
            conditions.set(type, FALSE, reason, message);
            return new Stop(conditions.list(), type, false, WAIT_FOR_CHILD);
        }

        static Stop transientFailure(Conditions conditions, String type, String reason, String message) {
            conditions.set(type, FALSE, reason, message);
            return new Stop(conditions.list(), type, true, null);
        }
    }

    /** A transient failure, carrying the status this attempt reached, for {@link #updateErrorStatus}. */
    static final class RetryWithStatus extends RuntimeException {
        final transient OrganizationStatus status;

        RetryWithStatus(OrganizationStatus status, Stop cause) {
            super(cause.condition == null ? "retrying" : cause.condition.getReason() + ": "
                    + cause.condition.getMessage(), cause, false, false);
            this.status = status;
        }
    }
}
