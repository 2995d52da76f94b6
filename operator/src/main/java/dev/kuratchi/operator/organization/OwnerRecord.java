package dev.kuratchi.operator.organization;

import dev.kuratchi.client.gateway.GatewayClient;
import dev.kuratchi.client.gateway.GatewayException;
import dev.kuratchi.client.gateway.Row;
import dev.kuratchi.client.gateway.Statement;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The organization's first user, in its own database's {@code users} table (the built-in {@code organization}
 * schema's), through a {@link GatewayClient} opened on that database ({@link GatewayAccess}): the row kuratchi-sdk's
 * {@code createOrganization} seeds with {@code createUser}, made once.
 *
 * <p><b>Which row is the owner.</b> The row with id {@link #ownerId(String) uid + "-owner"} when this resource made
 * it; else the row the caller remembers (status, from an earlier {@link Outcome#ownerId()}); else a row holding the
 * owner's email (compared without regard to ASCII case, as SQLite's NOCASE does), made by kuratchi-sdk or by the
 * app: that is the same person, and it is <em>adopted</em> as the owner as it is: no column of it changes, not even
 * its role. Only when no row is found is the owner inserted: id, email, name ({@code spec.owner.name}, else the
 * organization's name), role {@code owner}, status true (bound as the database binds booleans: 1, or 'true' in data
 * kuratchi-sdk wrote); no password, which is the app's to set (a magic link, an invitation, a reset).
 *
 * <p><b>Once.</b> {@link #ensure} reads once; a steady state, or an adopted owner, writes nothing. The insert is
 * {@code INSERT ... ON CONFLICT DO NOTHING} in one batch with a read of the result, so a rerun after a crash finds the
 * row by its id, and a user the app inserts with the same email between the read and the write is adopted, never
 * duplicated: one read plus at most one write per call. The operator never changes the owner row after that: the app
 * owns its users.
 *
 * <p><b>A different email.</b> When the owner row holds another email than {@code spec.owner.email} (the spec was
 * edited, or the app changed the user's email), nothing is written and {@link Refused} ({@code OwnerEmailChanged})
 * says what to do. Updating the row would make the operator overwrite an email change made in the app, fighting the
 * user over their own address, and inserting a user for the new email would make a second owner. To change the
 * owner's email, change it in the app and then in the spec; a user already holding the new email is made owner in the
 * app. The routing row in the admin database should follow the owner row's email then ({@link Refused#ownerEmail()}).
 *
 * <p>A soft-deleted owner ({@code deleted_at} set) stays deleted: the outcome reports it and nothing is restored. A
 * row deleted outright is inserted again, as after the database lost its storage; to be rid of the owner, remove
 * {@code spec.owner}.
 */
public final class OwnerRecord {
    // The owner's candidates: the rows with its ids, and those with its email (ASCII case aside), oldest first.
    private static final String FIND = "SELECT id, email, role, deleted_at FROM users "
            + "WHERE id IN (?, ?) OR email = ? COLLATE NOCASE ORDER BY created_at, id";

    private final GatewayClient organization;

    /** {@code organization}: a client on the organization's database. */
    public OwnerRecord(GatewayClient organization) {
        this.organization = Objects.requireNonNull(organization);
    }

    /** The id of the users row this resource makes for its owner: {@code uid + "-owner"}. */
    public static String ownerId(String uid) {
        return Objects.requireNonNull(uid, "uid") + "-owner";
    }

    /**
     * What {@link #ensure} found or did.
     *
     * @param wrote whether this call inserted the owner
     * @param ownerId the owner row's id: keep it (status) and pass it back as {@code knownOwnerId}
     * @param adopted the owner is a row this resource did not make (its id is not {@link #ownerId(String)})
     * @param role the row's role as it is ({@code owner} for a row this resource made; an adopted row keeps its own)
     * @param deletedAt the row's {@code deleted_at}, or null: set, the app deleted the owner and it stays deleted
     */
    public record Outcome(boolean wrote, String ownerId, boolean adopted, String role, String deletedAt) {}

    /**
     * The owner cannot be made as the spec says; nothing was written. The message says what to do.
     */
    public static final class Refused extends RuntimeException {
        private final String reason;
        private final String ownerId;
        private final String ownerEmail;

        Refused(String reason, String ownerId, String ownerEmail, String message) {
            super(message);
            this.reason = reason;
            this.ownerId = ownerId;
            this.ownerEmail = ownerEmail;
        }

        /**
         * CamelCase: {@code OwnerEmailChanged} (the owner row holds another email than the spec), or
         * {@code UsersTableUnfit} (the database's schema has no users table the owner fits in).
         */
        public String reason() {
            return reason;
        }

        /** The owner row's id (null for UsersTableUnfit). */
        public String ownerId() {
            return ownerId;
        }

        /** The email the owner row holds (null for UsersTableUnfit). */
        public String ownerEmail() {
            return ownerEmail;
        }
    }

    /**
     * Makes sure the organization database has its owner.
     *
     * @param uid the KuratchiOrganization's metadata.uid
     * @param knownOwnerId the owner row's id from an earlier outcome, or null: needed to recognize an adopted owner
     *     whose email no longer matches the spec
     * @param owner spec.owner (email required)
     * @param organizationName spec.organizationName: the owner's name when the spec gives none
     * @throws Refused when the owner row holds another email, or the users table does not fit (nothing written)
     * @throws GatewayException when the database could not be read or written
     */
    public Outcome ensure(String uid, String knownOwnerId, OwnerSpec owner, String organizationName) {
        String ours = ownerId(uid);
        String email = Objects.requireNonNull(owner.getEmail(), "owner.email");
        String known = knownOwnerId == null || knownOwnerId.isEmpty() ? ours : knownOwnerId;
        Optional<Outcome> found = decide(ours, known, email,
                send(() -> organization.query(FIND, ours, known, email)));
        if (found.isPresent()) {
            return found.get();
        }
        String name = owner.getName() == null || owner.getName().isBlank() ? organizationName : owner.getName();
        List<List<Row>> written = send(() -> organization.batch(List.of(
                Statement.of("INSERT INTO users (id, email, name, role, status) VALUES (?, ?, ?, 'owner', ?) "
                        + "ON CONFLICT DO NOTHING RETURNING id", ours, email, name, true),
                Statement.of(FIND, ours, known, email))));
        boolean inserted = !written.get(0).isEmpty();
        // Not inserted: a row with our id or email appeared since the read (another reconcile, or the app).
        Outcome outcome = decide(ours, known, email, written.get(1)).orElseThrow(() -> new IllegalStateException(
                "the owner row of " + ours + " was neither inserted nor found: it was deleted meanwhile; tries again"));
        return inserted ? new Outcome(true, outcome.ownerId(), false, outcome.role(), outcome.deletedAt()) : outcome;
    }

    // The owner among the rows read: by id (the remembered one, then ours), else by email; none: insert it.
    private static Optional<Outcome> decide(String ours, String known, String email, List<Row> rows) {
        Optional<Row> byId = find(rows, known).or(() -> find(rows, ours));
        if (byId.isPresent()) {
            Row row = byId.get();
            if (!sameEmail(row.getString("email"), email)) {
                throw emailChanged(row, email, rows);
            }
            return Optional.of(outcome(row, ours));
        }
        // Several rows differing only in case: the one spelled as the spec spells it, else the oldest.
        return rows.stream().filter(row -> sameEmail(row.getString("email"), email))
                .min(Comparator.comparing((Row row) -> !email.equals(row.getString("email"))))
                .map(row -> outcome(row, ours));
    }

    private static Outcome outcome(Row row, String ours) {
        String id = row.getString("id");
        return new Outcome(false, id, !ours.equals(id), row.getString("role"), row.getString("deleted_at"));
    }

    private static Refused emailChanged(Row owner, String email, List<Row> rows) {
        String id = owner.getString("id");
        String current = owner.getString("email");
        Optional<String> holder = rows.stream().filter(row -> sameEmail(row.getString("email"), email))
                .map(row -> row.getString("id")).findFirst();
        return new Refused("OwnerEmailChanged", id, current, "the owner user (id " + id + ") has email " + current
                + ", not spec.owner.email " + email + (holder.map(other -> ", which user " + other + " holds")
                .orElse("")) + ": the operator makes the owner once and never changes a user (the app may have "
                + "changed this email itself), nor makes a second owner. Set spec.owner.email back to " + current
                + "; to give the owner the new email, change it in the app, where the operator then finds it"
                + (holder.isPresent() ? " (or make user " + holder.get() + " the owner there)" : "")
                + "; nothing was written");
    }

    private static Optional<Row> find(List<Row> rows, String id) {
        return rows.stream().filter(row -> id.equals(row.getString("id"))).findFirst();
    }

    // As SQLite's NOCASE: ASCII letters only.
    private static boolean sameEmail(String a, String b) {
        return a != null && b != null && asciiLower(a).equals(asciiLower(b));
    }

    private static String asciiLower(String text) {
        StringBuilder folded = new StringBuilder(text.length());
        text.chars().forEach(c -> folded.append((char) (c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c)));
        return folded.toString();
    }

    private static <T> T send(Supplier<T> call) {
        try {
            return call.get();
        } catch (GatewayException e) {
            if (!"sql_error".equals(e.code())) {
                throw e;
            }
            throw new Refused("UsersTableUnfit", null, null, "the organization database has no users table the "
                    + "owner fits in (" + e.getMessage() + "): spec.schema must make one as the built-in organization "
                    + "schema does (id, email UNIQUE, name, role allowing 'owner', status, deleted_at, created_at); "
                    + "nothing was written");
        }
    }
}
