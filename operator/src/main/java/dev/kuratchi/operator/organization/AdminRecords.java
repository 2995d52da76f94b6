package dev.kuratchi.operator.organization;

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
 * uid ({@link AdminRows}).
 *
 * <p>{@link #ensure} reads the rows in one read-only batch, compares them with the desired ones and, only when
 * something differs, writes all of them in one batch (atomic at the gateway) of {@code INSERT ... ON CONFLICT(id) DO
 * UPDATE}: a rerun after a crash never duplicates a row, and a steady state makes one read and no write. Before
 * writing it looks for rows of others holding a UNIQUE value of ours (slug, email, database name, token), so a
 * conflict is a {@link Conflict} that says what to do, never an SQL error. Every value is a parameter.
 */
public final class AdminRecords {
    private static final DateTimeFormatter ISO_MILLIS =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
    private static final String ACTIVE = "active";
    private static final String TOKEN_NAME = "primary";

    private final GatewayClient admin;
    private final Clock clock;

    /** {@code admin}: a client on the admin database; {@code clock}: the time of {@code deleted_at}. */
    public AdminRecords(GatewayClient admin, Clock clock) {
        this.admin = Objects.requireNonNull(admin);
        this.clock = Objects.requireNonNull(clock);
    }

    /**
     * What {@link #ensure} did: whether it wrote, and the ids the rows have. {@code organizationId} differs from the
     * uid once a kuratchi-sdk row was adopted: the reconciler keeps it in status.organizationId and passes it back in
     * {@link AdminRows#organizationId()}.
     */
    public record Outcome(boolean wrote, String organizationId, String databaseId) {}

    /**
     * A row not made by this resource holds a value the organization needs (the admin schema makes it UNIQUE). The
     * message says what to do; nothing was written.
     */
    public static final class Conflict extends RuntimeException {
        private final String reason;
        private final String existingId;

        Conflict(String reason, String existingId, String message) {
            super(message);
            this.reason = reason;
            this.existingId = existingId;
        }

        /**
         * The condition reason, CamelCase: SlugTaken, EmailTaken, DatabaseNameTaken or TokenTaken (someone must change
         * the spec or the rows in the way), or RowsRefused (the write was refused twice without a conflict to read: a
         * concurrent writer or a hand-edited row; worth retrying with backoff).
         */
        public String reason() {
            return reason;
        }

        /** The id of the row in the way (null for RowsRefused). */
        public String existingId() {
            return existingId;
        }
    }

    /**
     * Makes the admin database hold {@code desired}: one row of each kind (no organizationUsers row without an
     * owner), the token row current and every other token row of the database revoked (kuratchi-sdk takes the newest
     * row that is not revoked).
     *
     * @param adopt spec.existingData is Adopt: an organization row with our slug made by someone else (kuratchi-sdk
     *     rows have random ids that apps reference), and likewise a databases row with our database name, is taken
     *     over and keeps its id. Without it they are a {@link Conflict}. An email held by another organization is a
     *     conflict either way: adoption goes by slug.
     * @throws Conflict when a row of others is in the way (nothing written)
     * @throws GatewayException when the admin database could not be read or written
     */
    public Outcome ensure(AdminRows desired, boolean adopt) {
        for (int attempt = 1; ; attempt++) {
            Plan plan = plan(desired, adopt, read(desired));
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
                    throw new Conflict("RowsRefused", null, "the admin database refused organization "
                            + plan.organizationId() + "'s rows although no other row held its slug, email, database "
                            + "name or token when read: another writer is changing these rows, or a row was edited "
                            + "by hand (check organizations, databases, dbApiTokens and organizationUsers for ids "
                            + plan.organizationId() + ", " + plan.databaseId() + "); the operator tries again. The "
                            + "admin database said: " + e.getMessage());
                }
            }
        }
    }

    /**
     * Retires the organization's rows: {@link DeletionPolicy#Delete} deletes them (tokens, databases, owner routing
     * rows and the organization, by its id); {@link DeletionPolicy#Retain} archives them as kuratchi-sdk's
     * {@code deleteOrganization} does: {@code organizations.deleted_at} set, {@code databases} archived
     * ({@code isArchived} 1, {@code isActive} 0, {@code deleted_at} set) and every token row revoked
     * ({@code revoked} 1, {@code deleted_at} set). {@code organizationUsers} rows stay, as kuratchi-sdk leaves them:
     * they hold no credential, a login they route ends at an archived organization whose tokens the gateway refuses,
     * and a resource that adopts the organization again finds its owner's row where it was. A {@code deleted_at}
     * already set keeps its time. Idempotent: rows already gone or already archived are fine.
     *
     * @param organizationId the organization's id: status.organizationId, or the uid when none was recorded
     * @return whether any row changed
     */
    public boolean retire(String organizationId, DeletionPolicy policy) {
        Objects.requireNonNull(organizationId, "organizationId");
        List<Statement> statements;
        if (policy == DeletionPolicy.Delete) {
            statements = List.of(
                    Statement.of("DELETE FROM dbApiTokens WHERE databaseId IN "
                            + "(SELECT id FROM databases WHERE organizationId = ?) RETURNING id", organizationId),
                    Statement.of("DELETE FROM databases WHERE organizationId = ? RETURNING id", organizationId),
                    Statement.of("DELETE FROM organizationUsers WHERE organizationId = ? RETURNING id", organizationId),
                    Statement.of("DELETE FROM organizations WHERE id = ? RETURNING id", organizationId));
        } else {
            String now = ISO_MILLIS.format(clock.instant().truncatedTo(ChronoUnit.MILLIS));
            statements = List.of(
                    Statement.of("UPDATE dbApiTokens SET revoked = 1, deleted_at = COALESCE(deleted_at, ?), "
                            + "updated_at = CURRENT_TIMESTAMP WHERE databaseId IN (SELECT id FROM databases WHERE "
                            + "organizationId = ?) AND (revoked IS NOT 1 OR deleted_at IS NULL) RETURNING id",
                            now, organizationId),
                    Statement.of("UPDATE databases SET isArchived = 1, isActive = 0, deleted_at = COALESCE(deleted_at, "
                            + "?), updated_at = CURRENT_TIMESTAMP WHERE organizationId = ? AND (isArchived IS NOT 1 "
                            + "OR isActive IS NOT 0 OR deleted_at IS NULL) RETURNING id", now, organizationId),
                    Statement.of("UPDATE organizations SET deleted_at = ?, updated_at = CURRENT_TIMESTAMP "
                            + "WHERE id = ? AND deleted_at IS NULL RETURNING id", now, organizationId));
        }
        return admin.batch(statements).stream().anyMatch(rows -> !rows.isEmpty());
    }

    /**
     * The id of this resource's organizations row for {@code slug}: the row with id {@code uid}, or with
     * {@code rememberedId} (a kuratchi-sdk row adopted earlier, as status.organizationId remembers it), when it holds
     * that slug (archived or not). Empty when neither does: this resource never wrote its rows (another organization
     * holds the slug, or it never got that far), or they are deleted. One read. The finalizer retires only this row,
     * and deletes the slug's Cloudflare resources only when there is one: a resource that never held the slug (a
     * second organization with the same slug, or one whose status was forged) deletes nothing of another's.
     *
     * @throws GatewayException when the admin database could not be read
     */
    public Optional<String> heldOrganization(String slug, String uid, String rememberedId) {
        return admin.query("SELECT id FROM organizations WHERE organizationSlug = ? AND id IN (?, ?) ORDER BY id = ? DESC",
                slug, uid, rememberedId == null ? uid : rememberedId, uid).stream().map(AdminRecords::id).findFirst();
    }

    // ---- reading

    /** The rows that may matter: ours by id, and others' holding a UNIQUE value of ours. */
    private record Current(List<Row> organizations, List<Row> databases, List<Row> tokens, List<Row> owners) {}

    private Current read(AdminRows d) {
        List<List<Row>> rows = admin.batch(List.of(
                Statement.of("SELECT id, organizationName, email, organizationSlug, status, deleted_at "
                        + "FROM organizations WHERE id = ? OR organizationSlug = ? OR email = ?",
                        d.organizationId(), d.slug(), d.email()),
                Statement.of("SELECT id, name, dbuuid, isActive, isArchived, organizationId, deleted_at "
                        + "FROM databases WHERE id = ? OR name = ?", d.databaseId(), d.databaseName()),
                Statement.of("SELECT id, token, name, databaseId, expires, revoked, deleted_at FROM dbApiTokens "
                        + "WHERE id = ? OR token = ? OR databaseId IN (SELECT id FROM databases WHERE id = ? OR name = ?)",
                        d.tokenId(), d.tokenColumn(), d.databaseId(), d.databaseName()),
                Statement.of("SELECT id, email, organizationId, organizationSlug, deleted_at FROM organizationUsers "
                        + "WHERE id = ? OR (email = ? AND organizationId IN "
                        + "(SELECT id FROM organizations WHERE id = ? OR organizationSlug = ?))",
                        d.ownerRowId(), d.ownerEmail(), d.organizationId(), d.slug())));
        return new Current(rows.get(0), rows.get(1), rows.get(2), rows.get(3));
    }

    // ---- planning

    /** One row as it should be: its table, id, and the columns this class manages. */
    private record Desired(String table, String id, Map<String, Object> columns) {}

    private record Plan(String organizationId, String databaseId, List<Statement> writes) {}

    private static Plan plan(AdminRows d, boolean adopt, Current current) {
        String organizationId = organizationId(d, adopt, current.organizations());
        String databaseId = databaseId(d, adopt, organizationId, current.databases());
        find(current.tokens(), r -> d.tokenColumn().equals(r.get("token")) && !d.tokenId().equals(r.get("id")))
                .ifPresent(holder -> {
                    throw new Conflict("TokenTaken", id(holder), "the admin database already has a dbApiTokens row "
                            + "(id " + id(holder) + ") holding this organization's token, not made by this resource: "
                            + "delete that row; the operator writes its own");
                });

        List<Desired> rows = new ArrayList<>();
        rows.add(new Desired("organizations", organizationId, columns("organizationName", d.organizationName(),
                "email", d.email(), "organizationSlug", d.slug(), "status", ACTIVE, "deleted_at", null)));
        // dbuuid NULL: a Durable Object database (kuratchi-sdk's D1 databases carry their D1 uuid there).
        rows.add(new Desired("databases", databaseId, columns("name", d.databaseName(), "dbuuid", null,
                "isActive", 1L, "isArchived", 0L, "organizationId", organizationId, "deleted_at", null)));
        rows.add(new Desired("dbApiTokens", d.tokenId(), columns("token", d.tokenColumn(), "name", TOKEN_NAME,
                "databaseId", databaseId, "expires", d.tokenExpiresAtMillis(), "revoked", 0L, "deleted_at", null)));
        if (d.ownerEmail() != null) {
            rows.add(new Desired("organizationUsers", ownerRowId(d, organizationId, current.owners()),
                    columns("email", d.ownerEmail(), "organizationId", organizationId, "organizationSlug", d.slug(),
                            "deleted_at", null)));
        }
        boolean staleTokens = current.tokens().stream().anyMatch(r -> databaseId.equals(r.get("databaseId"))
                && !d.tokenId().equals(r.get("id")) && !Long.valueOf(1).equals(r.get("revoked")));
        Map<String, List<Row>> byTable = Map.of("organizations", current.organizations(), "databases",
                current.databases(), "dbApiTokens", current.tokens(), "organizationUsers", current.owners());
        boolean upToDate = !staleTokens && rows.stream().allMatch(row -> find(byTable.get(row.table()),
                r -> row.id().equals(r.get("id"))).filter(r -> matches(r, row)).isPresent());
        if (upToDate) {
            return new Plan(organizationId, databaseId, List.of());
        }
        // In this order for the foreign keys (databases -> organizations, dbApiTokens -> databases).
        List<Statement> writes = new ArrayList<>(rows.stream().map(AdminRecords::upsert).toList());
        writes.add(Statement.of("UPDATE dbApiTokens SET revoked = 1, updated_at = CURRENT_TIMESTAMP "
                + "WHERE databaseId = ? AND id <> ? AND revoked IS NOT 1", databaseId, d.tokenId()));
        return new Plan(organizationId, databaseId, writes);
    }

    private static String organizationId(AdminRows d, boolean adopt, List<Row> organizations) {
        // A remembered id (status.organizationId) counts only for the row holding our slug: status is writable by
        // others, and another organization's row must never be rewritten with our values.
        String remembered = d.organizationId();
        String organizationId = remembered.equals(d.uid()) || find(organizations,
                r -> remembered.equals(id(r)) && d.slug().equals(r.get("organizationSlug"))).isPresent()
                ? remembered : d.uid();
        Optional<Row> slugHolder = find(organizations, r -> d.slug().equals(r.get("organizationSlug")));
        if (slugHolder.isPresent() && !organizationId.equals(id(slugHolder.get()))) {
            Row holder = slugHolder.get();
            if (!adopt) {
                throw new Conflict("SlugTaken", id(holder), "the admin database already has " + described(holder)
                        + " with slug " + d.slug() + " (id " + id(holder) + archivedAt(holder) + "), not made by this "
                        + "resource: set existingData: Adopt to take it over, or choose another slug");
            }
            organizationId = id(holder);
        }
        String ours = organizationId;
        if (d.email() != null) {
            find(organizations, r -> d.email().equals(r.get("email")) && !ours.equals(id(r))).ifPresent(holder -> {
                throw new Conflict("EmailTaken", id(holder), "the admin database already has " + described(holder)
                        + " with email " + d.email() + " (id " + id(holder) + ", slug " + holder.get("organizationSlug")
                        + archivedAt(holder) + "), not made by this resource, and emails are unique there: give this "
                        + "organization another email or none (existingData: Adopt takes organizations over by slug, "
                        + "not by email)");
            });
        }
        return organizationId;
    }

    private static String databaseId(AdminRows d, boolean adopt, String organizationId, List<Row> databases) {
        Optional<Row> nameHolder = find(databases, r -> d.databaseName().equals(r.get("name")));
        if (nameHolder.isEmpty() || d.databaseId().equals(id(nameHolder.get()))) {
            return d.databaseId();
        }
        Row holder = nameHolder.get();
        // A row of the organization we adopted is ours already, even once the spec stops asking to adopt.
        if (!adopt && !organizationId.equals(holder.get("organizationId"))) {
            throw new Conflict("DatabaseNameTaken", id(holder), "the admin database already has "
                    + (holder.get("deleted_at") == null ? "a database" : "an archived database") + " named "
                    + d.databaseName() + " (id " + id(holder) + ", organization " + holder.get("organizationId")
                    + archivedAt(holder) + "), not made by this resource: set existingData: Adopt to take it over, or "
                    + "choose another databaseName (it defaults to the slug)");
        }
        return id(holder);
    }

    // kuratchi-sdk routes the owner with a row of random id: an adopted organization keeps it rather than gain a second.
    private static String ownerRowId(AdminRows d, String organizationId, List<Row> owners) {
        if (find(owners, r -> d.ownerRowId().equals(r.get("id"))).isPresent()) {
            return d.ownerRowId();
        }
        return find(owners, r -> d.ownerEmail().equals(r.get("email")) && organizationId.equals(r.get("organizationId")))
                .map(AdminRecords::id).orElse(d.ownerRowId());
    }

    private static String described(Row organization) {
        return organization.get("deleted_at") == null ? "an organization" : "an archived organization";
    }

    private static String archivedAt(Row row) {
        return row.get("deleted_at") == null ? "" : ", deleted at " + row.get("deleted_at")
                + "; an archived row keeps its unique values";
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
