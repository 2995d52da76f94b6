package dev.kuratchi.operator.organization;

import dev.kuratchi.client.admin.Adoption;
import dev.kuratchi.client.gateway.GatewayClient;
import dev.kuratchi.client.gateway.GatewayException;
import dev.kuratchi.client.gateway.Row;
import dev.kuratchi.client.gateway.Statement;
import dev.kuratchi.operator.dodatabase.DeletionPolicy;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * Keeps one organization's rows in the admin database (migrated with the built-in {@code admin} schema), through a
 * {@link GatewayClient} opened on that database: the rows kuratchi-sdk's {@code createOrganization} writes
 * ({@code organizations}, {@code databases}, {@code dbApiTokens}, {@code organizationUsers}), keyed by the resource's
 * uid ({@link AdminRows}), and the operator's own {@code kuratchiOwners} row, which binds the organization to the
 * resource's uid and namespace.
 *
 * <h2>Who holds an organization</h2>
 * {@code kuratchiOwners} alone says it (status is writable by whoever may patch it, and a migrated organization keeps
 * kuratchi-sdk's random id, so neither tells): a row with {@code retained} 0 is held by the live resource
 * {@code ownerUid}, a row with {@code retained} 1 was kept (deletionPolicy Retain) by a resource of its
 * {@code namespace} that is gone, and an organization without a row was made outside the operator (kuratchi-sdk's).
 * Rows of an organization the resource does not hold are taken over by the rule DoDatabase follows for data
 * ({@code TenancyRules}): never while another resource holds them; those its own namespace retained with
 * {@code existingData: Adopt}; any other only with Adopt in a namespace {@code KURATCHI_ADOPTION_NAMESPACES} lists.
 * The binding is written in the same batch as the rows, first, and only if the ownership is still as read: of two
 * resources adopting the same organization at once, the second's batch fails as a whole and reads as a conflict.
 *
 * <p>{@link #ensure} reads the rows in one read-only batch, compares them with the desired ones and, only when
 * something differs, writes all of them in one batch (atomic at the gateway) of {@code INSERT ... ON CONFLICT DO
 * UPDATE}: a rerun after a crash never duplicates a row, and a steady state makes one read and no write. Before
 * writing it looks for rows of others holding a UNIQUE value of ours (slug, email, database name, token) or routing
 * the owner's email, so a conflict is a {@link Conflict} that says what to do, never an SQL error, and names nothing
 * of the other organization (it may be another tenant's). Every value is a parameter.
 */
public final class AdminRecords {
    /** The operator's table binding each organization to the resource holding it (migration 0002 of admin). */
    static final String OWNERS = "kuratchiOwners";

    private static final DateTimeFormatter ISO_MILLIS =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
    private static final String ACTIVE = "active";
    private static final String TOKEN_NAME = "primary";
    private static final String HELD_BY = "SELECT organizationId FROM " + OWNERS + " WHERE ownerUid = ? AND retained = 0";

    private final GatewayClient admin;
    private final Clock clock;

    /** {@code admin}: a client on the admin database; {@code clock}: the time of {@code deleted_at}. */
    public AdminRecords(GatewayClient admin, Clock clock) {
        this.admin = Objects.requireNonNull(admin);
        this.clock = Objects.requireNonNull(clock);
    }

    /**
     * What {@link #ensure} did: whether it wrote, and the ids the rows have. {@code organizationId} differs from the
     * uid once a kuratchi-sdk row (or a retained one) was adopted; the reconciler shows it in status.organizationId,
     * and never reads it back.
     */
    public record Outcome(boolean wrote, String organizationId, String databaseId) {}

    /**
     * What the resource may take over of an organization it does not hold. {@code asked}: spec.existingData is
     * Adopt. {@code allowed}: what its namespace may adopt when it asks ({@code TenancyRules.adoption}):
     * {@link Adoption#SAME_NAMESPACE} (what a resource of its namespace retained), or {@link Adoption#ANY} in a
     * namespace {@code KURATCHI_ADOPTION_NAMESPACES} lists (also kuratchi-sdk's organizations, and what another
     * namespace retained).
     */
    public record Adopting(boolean asked, Adoption allowed) {
        public Adopting {
            Objects.requireNonNull(allowed, "allowed");
        }

        /** Nothing: the resource does not ask to adopt (its namespace may adopt what it retained, if it asks). */
        public static final Adopting NOTHING = new Adopting(false, Adoption.SAME_NAMESPACE);
    }

    /**
     * A row not made by this resource holds a value the organization needs (the admin schema makes it UNIQUE), or
     * routes its owner's email elsewhere. The message says what to do and names nothing of the row's organization;
     * nothing was written.
     */
    public static final class Conflict extends RuntimeException {
        private final String reason;

        Conflict(String reason, String message) {
            super(message);
            this.reason = reason;
        }

        /**
         * The condition reason, CamelCase: SlugTaken, EmailTaken, DatabaseNameTaken, TokenTaken or OwnerEmailRouted
         * (someone must change the spec or the rows in the way), or RowsRefused (the write was refused twice
         * without a conflict to read: a concurrent writer or a hand-edited row; worth retrying with backoff).
         */
        public String reason() {
            return reason;
        }
    }

    /**
     * Makes the admin database hold {@code desired}: one row of each kind (no organizationUsers row without an
     * owner), the token row current, every other token row of the database revoked (kuratchi-sdk takes the newest
     * row that is not revoked), and the organization bound to this resource in {@code kuratchiOwners}.
     *
     * @param adopting what may be taken over: an organization row with our slug that this resource does not hold
     *     (kuratchi-sdk rows have random ids that apps reference, so it keeps its id), and likewise a databases row
     *     with our database name, by the rule in the class comment. An email held by another organization is a
     *     conflict either way: adoption goes by slug.
     * @throws Conflict when a row of others is in the way (nothing written)
     * @throws GatewayException when the admin database could not be read or written
     */
    public Outcome ensure(AdminRows desired, Adopting adopting) {
        for (int attempt = 1; ; attempt++) {
            Plan plan = plan(desired, adopting, read(desired));
            Outcome outcome = new Outcome(!plan.writes().isEmpty(), plan.organizationId(), plan.databaseId());
            if (plan.writes().isEmpty()) {
                return outcome;
            }
            try {
                admin.batch(plan.writes());
                return outcome;
            } catch (GatewayException e) {
                if (!"SQLITE_CONSTRAINT".equals(e.sqliteCode())) {
                    throw e;
                }
                // Someone wrote between our read and our write: read again, so a conflict reads as one.
                if (attempt == 2) {
                    throw new Conflict("RowsRefused", "the admin database refused organization "
                            + plan.organizationId() + "'s rows although no other row held its slug, email, database "
                            + "name or token when read: another writer is changing these rows, or a row was edited "
                            + "by hand (check organizations, databases, dbApiTokens, organizationUsers and "
                            + OWNERS + " for ids " + plan.organizationId() + ", " + plan.databaseId() + "); the "
                            + "operator tries again. The admin database said: " + e.getMessage());
                }
            }
        }
    }

    /**
     * Retires the organization the resource {@code uid} holds (by {@code kuratchiOwners}; nothing when it holds
     * none): {@link DeletionPolicy#Delete} deletes its rows (tokens, databases, owner routing rows, the organization
     * and its binding); {@link DeletionPolicy#Retain} archives them as kuratchi-sdk's {@code deleteOrganization}
     * does: {@code organizations.deleted_at} set, {@code databases} archived ({@code isArchived} 1, {@code isActive}
     * 0, {@code deleted_at} set) and every token row revoked ({@code revoked} 1, {@code deleted_at} set), and marks
     * the binding retained, so that only the resource's namespace (or one KURATCHI_ADOPTION_NAMESPACES lists) may
     * adopt it. {@code organizationUsers} rows stay, as kuratchi-sdk leaves them: they hold no credential, a login
     * they route ends at an archived organization whose tokens the gateway refuses, and a resource that adopts the
     * organization again finds its owner's row where it was. A {@code deleted_at} already set keeps its time.
     * Idempotent: once retired, the uid holds nothing and a second call changes nothing.
     *
     * @return whether any row changed
     */
    public boolean retire(String uid, DeletionPolicy policy) {
        Objects.requireNonNull(uid, "uid");
        List<Statement> statements;
        // The binding last: every statement before it finds the organization through it.
        if (policy == DeletionPolicy.Delete) {
            statements = List.of(
                    Statement.of("DELETE FROM dbApiTokens WHERE databaseId IN (SELECT id FROM databases WHERE "
                            + "organizationId IN (" + HELD_BY + ")) RETURNING id", uid),
                    Statement.of("DELETE FROM databases WHERE organizationId IN (" + HELD_BY + ") RETURNING id", uid),
                    Statement.of("DELETE FROM organizationUsers WHERE organizationId IN (" + HELD_BY + ") "
                            + "RETURNING id", uid),
                    Statement.of("DELETE FROM organizations WHERE id IN (" + HELD_BY + ") RETURNING id", uid),
                    Statement.of("DELETE FROM " + OWNERS + " WHERE ownerUid = ? AND retained = 0 "
                            + "RETURNING organizationId", uid));
        } else {
            String now = ISO_MILLIS.format(clock.instant().truncatedTo(ChronoUnit.MILLIS));
            statements = List.of(
                    Statement.of("UPDATE dbApiTokens SET revoked = 1, deleted_at = COALESCE(deleted_at, ?), "
                            + "updated_at = CURRENT_TIMESTAMP WHERE databaseId IN (SELECT id FROM databases WHERE "
                            + "organizationId IN (" + HELD_BY + ")) AND (revoked IS NOT 1 OR deleted_at IS NULL) "
                            + "RETURNING id", now, uid),
                    Statement.of("UPDATE databases SET isArchived = 1, isActive = 0, deleted_at = COALESCE(deleted_at, "
                            + "?), updated_at = CURRENT_TIMESTAMP WHERE organizationId IN (" + HELD_BY + ") AND "
                            + "(isArchived IS NOT 1 OR isActive IS NOT 0 OR deleted_at IS NULL) RETURNING id",
                            now, uid),
                    Statement.of("UPDATE organizations SET deleted_at = ?, updated_at = CURRENT_TIMESTAMP "
                            + "WHERE id IN (" + HELD_BY + ") AND deleted_at IS NULL RETURNING id", now, uid),
                    Statement.of("UPDATE " + OWNERS + " SET retained = 1, updated_at = CURRENT_TIMESTAMP "
                            + "WHERE ownerUid = ? AND retained = 0 RETURNING organizationId", uid));
        }
        return admin.batch(statements).stream().anyMatch(rows -> !rows.isEmpty());
    }

    /**
     * The id of the organization the resource {@code uid} holds, by {@code kuratchiOwners}, when its row holds
     * {@code slug}. Empty when it holds none: it never wrote its rows (another organization holds the slug, or it
     * never got that far), or they are retired already. One read. The finalizer deletes the slug's Cloudflare
     * resources and retires rows only when there is one: a resource that never held the slug (a second organization
     * with the same slug, or one whose status was forged) deletes nothing of another's, and one whose status was
     * lost still finds what it holds, an adopted kuratchi-sdk organization too.
     *
     * @throws GatewayException when the admin database could not be read
     */
    public Optional<String> heldOrganization(String slug, String uid) {
        return admin.query("SELECT o.id AS id FROM organizations o JOIN " + OWNERS + " k ON k.organizationId = o.id "
                + "WHERE k.ownerUid = ? AND k.retained = 0 AND o.organizationSlug = ?", uid, slug).stream()
                .map(AdminRecords::id).findFirst();
    }

    // ---- reading

    /**
     * The rows that may matter: ours by id or binding, others' holding a UNIQUE value of ours or routing the owner's
     * email (with whether their organization is live), and the bindings of all of them.
     */
    private record Current(List<Row> organizations, List<Row> databases, List<Row> tokens, List<Row> routes,
            List<Row> owners) {}

    private Current read(AdminRows d) {
        List<List<Row>> rows = admin.batch(List.of(
                Statement.of("SELECT id, organizationName, email, organizationSlug, status, deleted_at "
                        + "FROM organizations WHERE id = ? OR organizationSlug = ? OR email = ? OR id IN ("
                        + HELD_BY + ")", d.uid(), d.slug(), d.email(), d.uid()),
                Statement.of("SELECT id, name, dbuuid, isActive, isArchived, organizationId, deleted_at "
                        + "FROM databases WHERE id = ? OR name = ?", d.databaseId(), d.databaseName()),
                Statement.of("SELECT id, token, name, databaseId, expires, revoked, deleted_at FROM dbApiTokens "
                        + "WHERE id = ? OR token = ? OR databaseId IN (SELECT id FROM databases WHERE id = ? OR name = ?)",
                        d.tokenId(), d.tokenColumn(), d.databaseId(), d.databaseName()),
                // Emails without case: a sign-in lookup may not care either.
                Statement.of("SELECT u.id, u.email, u.organizationId, u.organizationSlug, u.deleted_at, "
                        + "o.id IS NOT NULL AND o.deleted_at IS NULL AS routesToLive FROM organizationUsers u "
                        + "LEFT JOIN organizations o ON o.id = u.organizationId "
                        + "WHERE u.id = ? OR u.email = ? COLLATE NOCASE", d.ownerRowId(), d.ownerEmail()),
                Statement.of("SELECT organizationId, ownerUid, namespace, name, retained FROM " + OWNERS + " WHERE "
                        + "ownerUid = ? OR organizationId = ? OR organizationId IN (SELECT id FROM organizations "
                        + "WHERE organizationSlug = ? OR email = ?) OR organizationId IN (SELECT organizationId FROM "
                        + "databases WHERE name = ?)", d.uid(), d.uid(), d.slug(), d.email(), d.databaseName())));
        return new Current(rows.get(0), rows.get(1), rows.get(2), rows.get(3), rows.get(4));
    }

    // ---- who holds an organization

    /** An organization's holder, as kuratchiOwners says, seen from the resource ensuring its rows. */
    private enum Holder {
        /** This resource. */
        US(null),
        /** Another live resource: never taken over. */
        ANOTHER(null),
        /** Retained by a resource of this resource's namespace. */
        RETAINED_HERE(Adoption.SAME_NAMESPACE),
        /** Retained by a resource of another namespace. */
        RETAINED_ELSEWHERE(Adoption.ANY),
        /** Nobody: made outside the operator (kuratchi-sdk's). */
        NOBODY(Adoption.ANY);

        /** What adopting it takes; null: nothing can. */
        final Adoption needs;

        Holder(Adoption needs) {
            this.needs = needs;
        }
    }

    private static Holder holder(AdminRows d, String organizationId, List<Row> owners) {
        Optional<Row> owner = find(owners, r -> organizationId != null && organizationId.equals(r.get("organizationId")));
        if (owner.isEmpty()) {
            // Our own uid as id (a row written before the binding existed) is ours: nobody else writes that id.
            return d.uid().equals(organizationId) ? Holder.US : Holder.NOBODY;
        }
        boolean retained = Long.valueOf(1).equals(owner.get().get("retained"));
        if (!retained) {
            return d.uid().equals(owner.get().get("ownerUid")) ? Holder.US : Holder.ANOTHER;
        }
        return d.namespace().equals(owner.get().get("namespace")) ? Holder.RETAINED_HERE : Holder.RETAINED_ELSEWHERE;
    }

    /**
     * Whether the resource may take over {@code what} (an organization's row, or one of its database rows), whose
     * organization {@code holder} holds; a {@link Conflict} that says what to do when not.
     */
    private static void mayTakeOver(Holder holder, Adopting adopting, String reason, String what, String instead) {
        if (holder == Holder.US) {
            return;
        }
        if (holder == Holder.ANOTHER) {
            throw new Conflict(reason, what + " is held by another organization in the admin database, and an "
                    + "organization is never taken over from another that exists, whatever existingData says: "
                    + instead);
        }
        boolean allowed = holder.needs == Adoption.SAME_NAMESPACE || adopting.allowed() == Adoption.ANY;
        if (allowed && adopting.asked()) {
            return;
        }
        String whose = switch (holder) {
            case RETAINED_HERE -> "that a deleted KuratchiOrganization of this namespace retained (deletionPolicy "
                    + "Retain), with its Cloudflare resources";
            case RETAINED_ELSEWHERE -> "that a deleted KuratchiOrganization of another namespace retained";
            default -> "made outside this operator (by kuratchi-sdk, say)";
        };
        throw new Conflict(reason, what + " belongs to an organization of the admin database " + whose + ": " + (allowed
                ? "set existingData: Adopt to take it over, or " + instead
                : "this namespace may take it over only if the operator's KURATCHI_ADOPTION_NAMESPACES lists it (ask "
                        + "your platform team) and existingData is Adopt; or " + instead));
    }

    // ---- planning

    /** One row as it should be: its table, id, and the columns this class manages. */
    private record Desired(String table, String id, Map<String, Object> columns) {}

    private record Plan(String organizationId, String databaseId, List<Statement> writes) {}

    private static Plan plan(AdminRows d, Adopting adopting, Current current) {
        String organizationId = organizationId(d, adopting, current);
        String databaseId = databaseId(d, adopting, organizationId, current);
        if (find(current.tokens(), r -> d.tokenColumn().equals(r.get("token")) && !d.tokenId().equals(r.get("id")))
                .isPresent()) {
            throw new Conflict("TokenTaken", "a dbApiTokens row this organization did not write holds its token in "
                    + "the admin database: ask your platform team to delete that row; the operator then writes its "
                    + "own");
        }
        String ownerRowId = d.ownerEmail() == null ? null : ownerRowId(d, organizationId, current.routes());

        List<Desired> rows = new ArrayList<>();
        rows.add(new Desired("organizations", organizationId, columns("organizationName", d.organizationName(),
                "email", d.email(), "organizationSlug", d.slug(), "status", ACTIVE, "deleted_at", null)));
        // dbuuid NULL: a Durable Object database (kuratchi-sdk's D1 databases carry their D1 uuid there).
        rows.add(new Desired("databases", databaseId, columns("name", d.databaseName(), "dbuuid", null,
                "isActive", 1L, "isArchived", 0L, "organizationId", organizationId, "deleted_at", null)));
        rows.add(new Desired("dbApiTokens", d.tokenId(), columns("token", d.tokenColumn(), "name", TOKEN_NAME,
                "databaseId", databaseId, "expires", d.tokenExpiresAtMillis(), "revoked", 0L, "deleted_at", null)));
        if (ownerRowId != null) {
            rows.add(new Desired("organizationUsers", ownerRowId, columns("email", d.ownerEmail(),
                    "organizationId", organizationId, "organizationSlug", d.slug(), "deleted_at", null)));
        }
        Optional<Row> binding = find(current.owners(), r -> organizationId.equals(r.get("organizationId")));
        boolean bound = binding.filter(r -> d.uid().equals(r.get("ownerUid")) && d.namespace().equals(r.get("namespace"))
                && d.name().equals(r.get("name")) && Long.valueOf(0).equals(r.get("retained"))).isPresent();
        boolean staleTokens = current.tokens().stream().anyMatch(r -> databaseId.equals(r.get("databaseId"))
                && !d.tokenId().equals(r.get("id")) && !Long.valueOf(1).equals(r.get("revoked")));
        Map<String, List<Row>> byTable = Map.of("organizations", current.organizations(), "databases",
                current.databases(), "dbApiTokens", current.tokens(), "organizationUsers", current.routes());
        boolean upToDate = bound && !staleTokens && rows.stream().allMatch(row -> find(byTable.get(row.table()),
                r -> row.id().equals(r.get("id"))).filter(r -> matches(r, row)).isPresent());
        if (upToDate) {
            return new Plan(organizationId, databaseId, List.of());
        }
        List<Statement> writes = new ArrayList<>();
        writes.add(bind(d, organizationId, binding));
        // In this order for the foreign keys (databases -> organizations, dbApiTokens -> databases).
        rows.stream().map(AdminRecords::upsert).forEach(writes::add);
        writes.add(Statement.of("UPDATE dbApiTokens SET revoked = 1, updated_at = CURRENT_TIMESTAMP "
                + "WHERE databaseId = ? AND id <> ? AND revoked IS NOT 1", databaseId, d.tokenId()));
        return new Plan(organizationId, databaseId, writes);
    }

    /**
     * The organization's id: the one kuratchiOwners binds to the uid, else the row holding our slug when the rule
     * lets us take it over, else the uid (a new organization).
     */
    private static String organizationId(AdminRows d, Adopting adopting, Current current) {
        Optional<String> held = find(current.owners(), r -> d.uid().equals(r.get("ownerUid"))
                && Long.valueOf(0).equals(r.get("retained"))).map(r -> r.getString("organizationId"));
        Optional<String> slugHolder = find(current.organizations(), r -> d.slug().equals(r.get("organizationSlug")))
                .map(AdminRecords::id);
        String what = "slug " + d.slug();
        String instead = "choose another slug (create the organization again with spec.slug set)";
        String organizationId;
        if (held.isPresent()) {
            // Never a second organization for one uid: the one it holds keeps the slug, or nothing is written.
            if (slugHolder.isPresent() && !slugHolder.get().equals(held.get())) {
                mayTakeOver(Holder.ANOTHER, adopting, "SlugTaken", what, instead);
            }
            organizationId = held.get();
        } else {
            organizationId = slugHolder.orElse(d.uid());
            mayTakeOver(holder(d, organizationId, current.owners()), adopting, "SlugTaken", what, instead);
        }
        String ours = organizationId;
        if (d.email() != null && find(current.organizations(),
                r -> d.email().equals(r.get("email")) && !ours.equals(id(r))).isPresent()) {
            throw new Conflict("EmailTaken", "email " + d.email() + " is held by another organization in the admin "
                    + "database, where emails are unique: give this organization another spec.email, or none "
                    + "(existingData: Adopt takes an organization over by slug, not by email)");
        }
        return organizationId;
    }

    private static String databaseId(AdminRows d, Adopting adopting, String organizationId, Current current) {
        Optional<Row> nameHolder = find(current.databases(), r -> d.databaseName().equals(r.get("name")));
        if (nameHolder.isEmpty() || d.databaseId().equals(id(nameHolder.get()))) {
            return d.databaseId();
        }
        Row holder = nameHolder.get();
        // A row of the organization we hold (adopted with it) is ours already, even once the spec stops asking to adopt.
        if (!organizationId.equals(holder.get("organizationId"))) {
            Object of = holder.get("organizationId");
            mayTakeOver(holder(d, of instanceof String s ? s : null, current.owners()), adopting, "DatabaseNameTaken",
                    "database name " + d.databaseName(), "choose another spec.databaseName (it defaults to the slug)");
        }
        return id(holder);
    }

    /**
     * The id of the organizationUsers row routing the owner's email to us. kuratchi-sdk routes the owner with a row of
     * random id: an adopted organization keeps it rather than gain a second. A new route for an email a live row
     * routes to another organization is refused: sign-in would find either organization by it.
     */
    private static String ownerRowId(AdminRows d, String organizationId, List<Row> routes) {
        Predicate<Row> sameEmail = r -> r.get("email") instanceof String email && email.equalsIgnoreCase(d.ownerEmail());
        String rowId = find(routes, r -> d.ownerRowId().equals(r.get("id"))).map(AdminRecords::id)
                .or(() -> find(routes, r -> sameEmail.test(r) && organizationId.equals(r.get("organizationId")))
                        .map(AdminRecords::id))
                .orElse(d.ownerRowId());
        boolean routedHere = find(routes, r -> rowId.equals(r.get("id")) && sameEmail.test(r)
                && organizationId.equals(r.get("organizationId")) && r.get("deleted_at") == null).isPresent();
        boolean routedElsewhere = find(routes, r -> sameEmail.test(r) && !organizationId.equals(r.get("organizationId"))
                && r.get("deleted_at") == null && Long.valueOf(1).equals(r.get("routesToLive"))).isPresent();
        if (!routedHere && routedElsewhere) {
            throw new Conflict("OwnerEmailRouted", "owner email " + d.ownerEmail() + " is routed to another "
                    + "organization in the admin database (organizationUsers, where kuratchi-sdk's sign-in finds a "
                    + "user's organization by email), and one email is routed to one organization only: choose "
                    + "another spec.owner.email, or remove spec.owner; the owner user in this organization's own "
                    + "database is not affected");
        }
        return rowId;
    }

    /**
     * The binding of the organization to this resource, and the write batch's guard: it runs first, and when the
     * binding is no longer as this plan read it (another resource bound or retained the organization since), it
     * writes a NULL owner, which the NOT NULL column refuses, and the whole batch with it.
     */
    private static Statement bind(AdminRows d, String organizationId, Optional<Row> asRead) {
        String unchanged = asRead.isEmpty()
                ? "NOT EXISTS (SELECT 1 FROM " + OWNERS + " WHERE organizationId = ?)"
                : "EXISTS (SELECT 1 FROM " + OWNERS + " WHERE organizationId = ? AND ownerUid = ? AND namespace = ? "
                        + "AND retained = ?)";
        List<Object> params = new ArrayList<>(List.of(organizationId, organizationId));
        asRead.ifPresent(r -> params.addAll(List.of(r.get("ownerUid"), r.get("namespace"), r.get("retained"))));
        params.addAll(List.of(d.uid(), d.namespace(), d.name()));
        return new Statement("INSERT INTO " + OWNERS + " (organizationId, ownerUid, namespace, name, retained) "
                + "VALUES (?, CASE WHEN " + unchanged + " THEN ? END, ?, ?, 0) ON CONFLICT(organizationId) DO UPDATE "
                + "SET ownerUid = excluded.ownerUid, namespace = excluded.namespace, name = excluded.name, "
                + "retained = 0, updated_at = CURRENT_TIMESTAMP", params);
    }

    private static boolean matches(Row row, Desired desired) {
        return desired.columns().entrySet().stream()
                .allMatch(column -> Objects.equals(row.get(column.getKey()), column.getValue()));
    }

    // The column names are this class's constants; the values are parameters.
    private static Statement upsert(Desired row) {
        List<String> names = new ArrayList<>(row.columns().keySet());
        List<Object> params = new ArrayList<>();
        params.add(row.id());
        params.addAll(row.columns().values());
        return new Statement("INSERT INTO " + row.table() + " (id, " + String.join(", ", names) + ") VALUES (?"
                + ", ?".repeat(names.size()) + ") ON CONFLICT(id) DO UPDATE SET "
                + names.stream().map(n -> n + " = excluded." + n).collect(Collectors.joining(", "))
                + ", updated_at = CURRENT_TIMESTAMP", params);
    }

    private static Map<String, Object> columns(Object... namesAndValues) {
        Map<String, Object> columns = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            columns.put((String) namesAndValues[i], namesAndValues[i + 1]);
        }
        return columns;
    }

    private static Optional<Row> find(List<Row> rows, Predicate<Row> test) {
        return rows.stream().filter(test).findFirst();
    }

    private static String id(Row row) {
        return row.getString("id");
    }
}
