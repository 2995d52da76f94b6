package dev.kuratchi.operator.organization;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kuratchi.operator.cloudflare.CloudflareException;
import dev.kuratchi.operator.cloudflare.CloudflareResources;
import dev.kuratchi.operator.dodatabase.DeletionPolicy;
import dev.kuratchi.operator.organization.OrganizationStatus.CloudflareResource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * An organization's Cloudflare resources (Workers KV namespaces, R2 buckets, queues), kept as
 * {@code spec.resources} asks: called once per reconcile with the status the previous one wrote, it answers what is
 * now in place (for status), the data of the {@code <metadata.name>-cloudflare} ConfigMap, and one problem per kind
 * for the KV, R2 and Queues conditions. Every Cloudflare name is derived from the slug and the name in the spec
 * ({@link OrganizationNames}); the names decide everything, status only spares calls.
 *
 * <h2>Only for the organization that holds the slug</h2>
 * The names are a function of the slug, so two organizations with one slug would share them. The reconciler calls
 * {@link #ensure} only once the slug is this organization's (its child DoDatabase holds the database, not
 * AlreadyManaged), and {@link #deleteAll} only when status.slug shows it held it: the second organization with a
 * slug touches nothing, also when it is deleted.
 *
 * <h2>Crash safety and the steady state</h2>
 * A desired resource is made with {@code ensure*} only, which adopts the one already under its derived name: a status
 * lost after a create (the operator died before writing it) costs a few calls and never makes a duplicate. When
 * {@code previous} already records a desired resource under the name derived now (and, for KV and queues, an id),
 * Cloudflare is not called for it at all: a steady state makes no call. Trusting status for the id is safe because
 * the name is re-derived and compared, never taken from status: a status written by someone else (status is a
 * subresource, writable by whoever may write this organization's status) can only make the operator skip creating
 * one of this organization's own resources, or report a wrong id for it in the ConfigMap; it can never make it
 * adopt, report or delete a resource under a name it did not derive. What status cannot show is a resource deleted
 * behind the operator's back (in the dashboard, say), whose stale id the ConfigMap would then hand to apps for
 * good: {@link #verify} looks each desired one up by its name, read-only, corrects the id and makes again what is
 * missing. It is worth its cost on a slow schedule, so the reconciler runs it when due (as DoDatabase checks its
 * storage: per uid, in memory, spread over the interval, say hourly) and {@link #ensure} otherwise. Its cost is one
 * lookup per desired resource: a GET for a bucket, a walk of the account's list for a KV namespace or a queue (one
 * page of 100 per 100 namespaces), no write.
 *
 * <h2>Removal, and status that lies</h2>
 * A resource recorded in {@code previous} but no longer in the spec is deleted ({@link DeletionPolicy#Delete}) or
 * released ({@link DeletionPolicy#Retain}: dropped from status and the ConfigMap, left in Cloudflare). The name or id
 * in status is never deleted as is: the Cloudflare name is derived again from the slug and the spec name recorded in
 * status, and for KV and queues the id is looked up by that name. A status that names another tenant's resource
 * therefore finds nothing of ours to delete, and one with a name that breaks the rule is dropped without a call.
 * A resource removed from the spec while status was lost is not found by this (its name is nowhere any more) and
 * stays in Cloudflare, with the organization's prefix and slug in its name.
 *
 * <h2>Failures</h2>
 * Kinds are done in the order KV, R2, queues, each its desired resources first (so a rename makes the new one before
 * the old one goes), then its removals. A bad name in the spec ({@link OrganizationNames#validateResourceName}) leaves
 * its whole kind as it was, without a call: nothing half-made, and no removal while the list is in doubt. Cloudflare
 * refusing one create is that resource's problem (permanent: the same call gets the same answer) and the others go
 * on. A rate limit or an unavailable API (after the client's own retries) and a refused API token end the pass: the
 * rest would fail alike and spend the account's shared rate limit; kinds that still had work report the same problem.
 * A {@link Problem} says whether to retry with backoff ({@link Problem#transientFailure()}, after
 * {@link Problem#retryAfter()} when Cloudflare said), to check again after a while (someone else must act, such as
 * empty a bucket), or to wait for a change of the resource.
 *
 * <h2>The ConfigMap (a contract: apps and deploy scripts read these keys)</h2>
 * Only resources the spec asks for and that are in place; keys use the name in the spec:
 * <ul>
 *   <li>{@code kv.<name>.id}, {@code kv.<name>.title}: a KV namespace's id and title;</li>
 *   <li>{@code r2.<name>.bucket}: an R2 bucket's name (R2 buckets have no other id);</li>
 *   <li>{@code queues.<name>.id}, {@code queues.<name>.name}: a queue's id and name;</li>
 *   <li>{@value #RESOURCES_JSON}: all of it in one JSON object,
 *       {@code {"kv": {"<name>": {"id", "title"}}, "r2": {"<name>": {"bucket"}}, "queues": {"<name>": {"id",
 *       "name"}}}}, each kind present (possibly empty), names sorted;</li>
 *   <li>{@value #WRANGLER_JSON}: the bindings in wrangler's JSON config shape, to merge into an app's
 *       {@code wrangler.json}: {@code {"kv_namespaces": [{"binding", "id"}], "r2_buckets": [{"binding",
 *       "bucket_name"}], "queues": {"producers": [{"binding", "queue"}]}}}. The binding of the resource named
 *       {@code default} (the spec's {@code true}) is {@code KV}, {@code R2} or {@code QUEUE}, as kuratchi-sdk bound
 *       them; any other is {@code KV_}, {@code R2_} or {@code QUEUE_} and the name in capitals with {@code -} as
 *       {@code _} ({@code sessions-v2} is {@code KV_SESSIONS_V2}).</li>
 * </ul>
 */
public final class OrganizationResources {
    /** The ConfigMap key holding every resource as JSON. */
    public static final String RESOURCES_JSON = "resources.json";
    /** The ConfigMap key holding the bindings in wrangler's config shape. */
    public static final String WRANGLER_JSON = "wrangler.json";
    /** When a deletion someone else must unblock (a bucket that holds objects) is tried again. */
    public static final Duration RECHECK_BLOCKED = Duration.ofMinutes(1);

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int R2_BUCKET_NOT_EMPTY = 10008;

    /** A kind of Cloudflare resource, with its condition and its field under {@code spec.resources}. */
    public enum Kind {
        KV("KV", "kv", "kvNamespaces", "KV namespace", "KV namespaces", "KV", "Workers KV Storage Write"),
        R2("R2", "r2", "r2Buckets", "R2 bucket", "R2 buckets", "R2", "Workers R2 Storage Write"),
        QUEUES("Queues", "queues", "queues", "queue", "queues", "QUEUE", "Queues Write");

        private final String condition;
        private final String field;
        private final String statusField;
        private final String noun;
        private final String plural;
        private final String binding;
        private final String permission;

        Kind(String condition, String field, String statusField, String noun, String plural, String binding,
                String permission) {
            this.condition = condition;
            this.field = field;
            this.statusField = statusField;
            this.noun = noun;
            this.plural = plural;
            this.binding = binding;
            this.permission = permission;
        }

        /** The type of this kind's condition: KV, R2 or Queues. */
        public String condition() {
            return condition;
        }

        /** The field under {@code spec.resources}, which is also the first part of this kind's ConfigMap keys. */
        public String field() {
            return field;
        }

        /** What is wrong with the shape of this kind's field; the kind is then left as it is. */
        Optional<String> shapeProblem(ResourcesSpec spec) {
            return spec == null ? Optional.empty() : spec.shapeProblem(field);
        }

        /** The names asked for (none when {@link #shapeProblem} has something to say). */
        List<String> desired(ResourcesSpec spec) {
            if (spec == null || shapeProblem(spec).isPresent()) {
                return List.of();
            }
            return switch (this) {
                case KV -> spec.kvNames();
                case R2 -> spec.r2Names();
                case QUEUES -> spec.queueNames();
            };
        }

        List<CloudflareResource> recorded(OrganizationStatus status) {
            List<CloudflareResource> recorded = status == null ? null : switch (this) {
                case KV -> status.getKvNamespaces();
                case R2 -> status.getR2Buckets();
                case QUEUES -> status.getQueues();
            };
            return recorded == null ? List.of() : recorded.stream().filter(Objects::nonNull).toList();
        }

        String cloudflareName(String slug, String name) {
            return switch (this) {
                case KV -> OrganizationNames.kvNamespaceTitle(slug, name);
                case R2 -> OrganizationNames.r2BucketName(slug, name);
                case QUEUES -> OrganizationNames.queueName(slug, name);
            };
        }

        String binding(String name) {
            return OrganizationNames.DEFAULT_RESOURCE_NAME.equals(name) ? binding
                    : binding + "_" + name.toUpperCase(Locale.ROOT).replace('-', '_');
        }

        String describe(String name, String cloudflareName) {
            return noun + " " + cloudflareName + " (spec.resources." + field + " '" + name + "')";
        }
    }

    /**
     * Why a kind is not as the spec asks, for its condition (status False): a CamelCase reason and a message that says
     * what to do. {@code transientFailure}: retry with backoff, not before {@code retryAfter} when it is set (the
     * reconcile should fail so that JOSDK backs off). Otherwise {@code retryAfter} set: someone else must act, check
     * again after it. Neither: only a change of the resource (or the operator's configuration) helps.
     */
    public record Problem(Kind kind, String reason, String message, boolean transientFailure, Duration retryAfter) {
        public String condition() {
            return kind.condition();
        }

        Problem on(Kind other) {
            return new Problem(other, reason, message, transientFailure, retryAfter);
        }
    }

    /**
     * One kind after a pass. {@code inPlace}: the resources the spec asks for that exist, in the spec's order (status
     * and the ConfigMap). {@code pendingRemoval}: ones removed from the spec and not yet deleted, because the deletion
     * failed or a bad name holds the kind (status keeps them, so a later pass deletes them; the ConfigMap does not
     * list them). {@code problem} null: the kind is as the spec asks.
     */
    public record KindOutcome(Kind kind, List<CloudflareResource> inPlace, List<CloudflareResource> pendingRemoval,
            Problem problem) {
        public KindOutcome {
            inPlace = List.copyOf(inPlace);
            pendingRemoval = List.copyOf(pendingRemoval);
        }

        /** What status lists for this kind: in place, then pending removal. */
        public List<CloudflareResource> recorded() {
            return Stream.concat(inPlace.stream(), pendingRemoval.stream()).toList();
        }

        /** The message of a True condition. */
        public String readyMessage() {
            return inPlace.isEmpty() ? "no " + kind.plural + " asked for"
                    : inPlace.size() + " " + (inPlace.size() == 1 ? kind.noun : kind.plural) + " in place: "
                            + inPlace.stream().map(CloudflareResource::name).collect(Collectors.joining(", "));
        }
    }

    /**
     * What {@link #ensure} (or {@link #verify}) found and did: each kind, the ConfigMap's data, and what changed in
     * Cloudflare or status, one sentence each (for events; empty in a steady state).
     *
     * @param confirmed every resource in place was made, adopted or looked up in Cloudflare by this pass, none taken
     *     from status on trust, and nothing failed: as good as a verification
     */
    public record Outcome(Map<Kind, KindOutcome> kinds, Map<String, String> configMapData, List<String> changes,
            boolean confirmed) {
        public Outcome {
            kinds = Map.copyOf(kinds);
            configMapData = Map.copyOf(configMapData);
            changes = List.copyOf(changes);
        }

        public KindOutcome of(Kind kind) {
            return kinds.get(kind);
        }

        public List<Problem> problems() {
            return Stream.of(Kind.values()).map(kinds::get).map(KindOutcome::problem).filter(Objects::nonNull).toList();
        }

        /**
         * What the reconcile should do next: the first transient problem (fail, so JOSDK retries with backoff), else
         * the soonest recheck of a blocked one; empty when only a change of the resource can help, or nothing is
         * wrong.
         */
        public Optional<Problem> retry() {
            List<Problem> problems = problems();
            return problems.stream().filter(Problem::transientFailure).findFirst().or(() -> problems.stream()
                    .filter(p -> p.retryAfter() != null).min(Comparator.comparing(Problem::retryAfter)));
        }

        /** status.resources, the printer column: e.g. {@code kv:1 r2:1 queues:2}; kinds with none left out. */
        public String summary() {
            String summary = Stream.of(Kind.values()).filter(k -> !kinds.get(k).inPlace().isEmpty())
                    .map(k -> k.field() + ":" + kinds.get(k).inPlace().size()).collect(Collectors.joining(" "));
            return summary.isEmpty() ? null : summary;
        }

        /** Sets status.kvNamespaces, r2Buckets, queues (null when empty) and resources. */
        public void writeTo(OrganizationStatus status) {
            status.setKvNamespaces(nullIfEmpty(kinds.get(Kind.KV).recorded()));
            status.setR2Buckets(nullIfEmpty(kinds.get(Kind.R2).recorded()));
            status.setQueues(nullIfEmpty(kinds.get(Kind.QUEUES).recorded()));
            status.setResources(summary());
        }
    }

    /** What {@link #deleteAll} did; {@link #complete()} when nothing of the organization is left to delete. */
    public record Cleanup(List<String> changes, List<Problem> problems) {
        public Cleanup {
            changes = List.copyOf(changes);
            problems = List.copyOf(problems);
        }

        public boolean complete() {
            return problems.isEmpty();
        }
    }

    private final CloudflareResources cloudflare;

    public OrganizationResources(CloudflareResources cloudflare) {
        this.cloudflare = Objects.requireNonNull(cloudflare);
    }

    /**
     * Makes Cloudflare hold what {@code spec} asks for, trusting {@code previous} for resources it records under the
     * name derived now (no call for those).
     *
     * @param slug the organization's slug (valid: the reconciler checked it)
     * @param spec spec.resources; null asks for nothing
     * @param policy what a resource removed from the spec becomes: deleted or released
     * @param previous the status the last reconcile wrote; null or empty when lost
     * @throws IllegalArgumentException when the slug is invalid
     */
    public Outcome ensure(String slug, ResourcesSpec spec, DeletionPolicy policy, OrganizationStatus previous) {
        return pass(slug, spec, policy, previous, false);
    }

    /**
     * As {@link #ensure}, but every desired resource is looked up by its derived name (read-only), not trusted from
     * status: one deleted behind the operator's back is made again, a wrong id is corrected.
     */
    public Outcome verify(String slug, ResourcesSpec spec, DeletionPolicy policy, OrganizationStatus previous) {
        return pass(slug, spec, policy, previous, true);
    }

    /**
     * The organization's cleanup (its finalizer). {@link DeletionPolicy#Retain} leaves every resource in Cloudflare
     * and makes no call. {@link DeletionPolicy#Delete} deletes every resource the organization may have: the names
     * recorded in {@code previous}, those in {@code spec} (made by an attempt that died before writing status) and
     * {@code default} (the spec's {@code true}), each under the name derived from the slug, KV namespaces and queues
     * by the id found under that name. Something already gone counts as deleted, so it may run any number of times.
     *
     * @param spec spec.resources at deletion; null for none
     * @throws IllegalArgumentException when the slug is invalid
     */
    public Cleanup deleteAll(String slug, ResourcesSpec spec, OrganizationStatus previous, DeletionPolicy policy) {
        requireSlug(slug);
        Pass pass = new Pass();
        List<Problem> problems = new ArrayList<>();
        for (Kind kind : Kind.values()) {
            Set<String> names = new LinkedHashSet<>();
            kind.recorded(previous).forEach(r -> names.add(r.name()));
            names.addAll(kind.desired(spec));
            names.add(OrganizationNames.DEFAULT_RESOURCE_NAME);
            names.removeIf(name -> name == null || OrganizationNames.validateResourceName(name).isPresent());
            if (policy != DeletionPolicy.Delete) {
                kind.recorded(previous).stream().map(CloudflareResource::name).distinct().filter(names::contains)
                        .forEach(name -> pass.changes.add("released " + kind.describe(name, kind.cloudflareName(slug,
                                name)) + ": deletionPolicy Retain keeps it in Cloudflare"));
                continue;
            }
            Problems ofKind = new Problems();
            deleteNamed(pass, kind, slug, List.copyOf(names)).forEach(ofKind::add);
            ofKind.merged().ifPresent(problems::add);
        }
        return new Cleanup(pass.changes, problems);
    }

    /**
     * Deletes the resources of these names that exist. KV namespaces and queues are deleted by id, found in one walk
     * over the list for all the names, so a cleanup pass costs a list walk and a call per resource still there. R2
     * buckets are deleted by name, a call each: the operator records at most what a spec may ask for (the spec's
     * names, those it replaced, the default), so more names than that come from a status someone else wrote, and are
     * not called for.
     */
    private List<Problem> deleteNamed(Pass pass, Kind kind, String slug, List<String> names) {
        if (kind == Kind.R2) {
            return names.stream().limit(2L * ResourcesSpec.MAX_NAMES + 1).map(name -> delete(pass, kind, slug, name))
                    .flatMap(Optional::stream).toList();
        }
        Map<String, String> byCloudflareName = new LinkedHashMap<>();
        names.forEach(name -> byCloudflareName.put(kind.cloudflareName(slug, name), name));
        Set<String> cloudflareNames = byCloudflareName.keySet();
        Answer<Map<String, String>> ids = call(pass, kind, Step.LOOK_UP, names.get(0),
                cloudflareNames.iterator().next(), () -> Optional.of(kind == Kind.KV
                        ? idsByName(cloudflare.findKvNamespaces(cloudflareNames), CloudflareResources.KvNamespace::id)
                        : idsByName(cloudflare.findQueues(cloudflareNames), CloudflareResources.Queue::id)));
        if (ids.problem() != null) {
            return List.of(ids.problem());
        }
        List<Problem> problems = new ArrayList<>();
        ids.value().orElseThrow().forEach((cloudflareName, id) -> deleteOne(pass, kind,
                byCloudflareName.get(cloudflareName), cloudflareName,
                () -> kind == Kind.KV ? cloudflare.deleteKvNamespace(id) : cloudflare.deleteQueue(id))
                .ifPresent(problems::add));
        return problems;
    }

    private static <T> Map<String, String> idsByName(Map<String, T> found, Function<T, String> id) {
        Map<String, String> ids = new LinkedHashMap<>();
        found.forEach((name, resource) -> ids.put(name, id.apply(resource)));
        return ids;
    }

    // ---- one pass

    /** State shared by the calls of one pass: the failure that ended it, and what changed. */
    private static final class Pass {
        private Problem stoppedBy;
        private final List<String> changes = new ArrayList<>();
        private boolean tookOnTrust;
    }

    private enum Step {
        CREATE("creating"), LOOK_UP("looking up"), DELETE("deleting");

        private final String doing;

        Step(String doing) {
            this.doing = doing;
        }
    }

    private Outcome pass(String slug, ResourcesSpec spec, DeletionPolicy policy, OrganizationStatus previous,
            boolean verify) {
        requireSlug(slug);
        Pass pass = new Pass();
        Map<Kind, KindOutcome> kinds = new EnumMap<>(Kind.class);
        for (Kind kind : Kind.values()) {
            kinds.put(kind, kind(pass, kind, slug, spec, policy, previous, verify));
        }
        boolean problems = kinds.values().stream().anyMatch(k -> k.problem() != null);
        return new Outcome(kinds, configMapData(kinds), pass.changes, !pass.tookOnTrust && !problems);
    }

    private KindOutcome kind(Pass pass, Kind kind, String slug, ResourcesSpec spec, DeletionPolicy policy,
            OrganizationStatus previous, boolean verify) {
        // Status as far as it can be believed: a valid name, first entry per name. Whether its Cloudflare name is
        // the one derived now is checked where it matters (trusted).
        Map<String, CloudflareResource> recorded = new LinkedHashMap<>();
        for (CloudflareResource r : kind.recorded(previous)) {
            if (r.name() == null || OrganizationNames.validateResourceName(r.name()).isPresent()) {
                pass.changes.add("dropped the entry '" + r.name() + "' from status." + kind.statusField + ": not a "
                        + "name the operator gives, so it made nothing for it");
            } else {
                recorded.putIfAbsent(r.name(), r);
            }
        }
        Optional<String> shape = kind.shapeProblem(spec);
        if (shape.isPresent()) {
            // What the spec asks for is unknown: everything recorded stays, nothing is made or removed.
            return new KindOutcome(kind, recorded.values().stream().filter(r -> trusted(kind, slug, r)).toList(),
                    List.of(), new Problem(kind, "InvalidResources", shape.get() + "; no " + kind.noun + " is made or "
                            + "removed until it is", false, null));
        }
        List<String> desired = kind.desired(spec);
        List<String> invalid = desired.stream().map(OrganizationNames::validateResourceName).flatMap(Optional::stream)
                .map(problem -> "spec.resources." + kind.field() + ": " + problem).toList();
        if (!invalid.isEmpty()) {
            return new KindOutcome(kind,
                    recorded.values().stream().filter(r -> desired.contains(r.name()) && trusted(kind, slug, r))
                            .toList(),
                    recorded.values().stream().filter(r -> !desired.contains(r.name())).toList(),
                    new Problem(kind, "InvalidResourceName", String.join("; ", invalid) + "; no " + kind.noun
                            + " is made or removed until every name is valid", false, null));
        }

        List<CloudflareResource> inPlace = new ArrayList<>();
        List<CloudflareResource> pendingRemoval = new ArrayList<>();
        Problems problems = new Problems();
        for (String name : desired) {
            CloudflareResource known = recorded.get(name);
            boolean trusted = known != null && trusted(kind, slug, known);
            if (trusted && !verify) {
                inPlace.add(known);
                pass.tookOnTrust = true;
                continue;
            }
            String cloudflareName = kind.cloudflareName(slug, name);
            Optional<CloudflareResource> found = Optional.empty();
            if (trusted) {
                Answer<CloudflareResource> lookedUp = call(pass, kind, Step.LOOK_UP, name, cloudflareName,
                        () -> find(kind, name, cloudflareName));
                if (lookedUp.problem() != null) {
                    inPlace.add(known); // not verified this time: status stands
                    problems.add(lookedUp.problem());
                    continue;
                }
                found = lookedUp.value();
                if (found.isEmpty()) {
                    pass.changes.add(kind.describe(name, cloudflareName) + " was gone from Cloudflare: making it "
                            + "again");
                } else if (!found.get().equals(known)) {
                    pass.changes.add(kind.describe(name, cloudflareName) + " has id " + found.get().id() + ", not "
                            + "the " + known.id() + " status recorded");
                }
            }
            if (found.isEmpty()) {
                Answer<CloudflareResource> made = call(pass, kind, Step.CREATE, name, cloudflareName,
                        () -> Optional.of(ensure(kind, name, cloudflareName)));
                if (made.problem() != null) {
                    problems.add(made.problem());
                    continue;
                }
                found = made.value();
                if (!found.get().equals(known)) {
                    pass.changes.add(kind.describe(name, cloudflareName) + " is in place"
                            + (found.get().id() == null ? "" : ", id " + found.get().id()));
                }
            }
            inPlace.add(found.get());
        }
        for (CloudflareResource r : recorded.values()) {
            if (desired.contains(r.name())) {
                continue;
            }
            if (policy != DeletionPolicy.Delete) {
                pass.changes.add("released " + kind.describe(r.name(), kind.cloudflareName(slug, r.name()))
                        + ": removed from the spec, deletionPolicy Retain keeps it in Cloudflare");
                continue;
            }
            Optional<Problem> failed = delete(pass, kind, slug, r.name());
            if (failed.isPresent()) {
                pendingRemoval.add(r);
                problems.add(failed.get());
            }
        }
        return new KindOutcome(kind, inPlace, pendingRemoval, problems.merged().orElse(null));
    }

    /**
     * A kind's problems as one condition: every message, and the reason and retry of the most pressing one
     * (transient before blocked before permanent), so a kind that is also waiting for Cloudflare is retried.
     */
    private static final class Problems {
        private final List<Problem> all = new ArrayList<>();

        void add(Problem problem) {
            all.add(problem);
        }

        Optional<Problem> merged() {
            Comparator<Problem> urgency = Comparator.comparingInt(p -> p.transientFailure() ? 0
                    : p.retryAfter() != null ? 1 : 2);
            return all.stream().min(urgency).map(lead -> new Problem(lead.kind(), lead.reason(), all.stream()
                    .map(Problem::message).distinct().collect(Collectors.joining("; ")), lead.transientFailure(),
                    lead.retryAfter()));
        }
    }

    /**
     * Status's entry may spare the calls for this resource: it is under the name derived now, with an id (KV, queues)
     * or without one (R2 buckets have none), as this class writes it.
     */
    private static boolean trusted(Kind kind, String slug, CloudflareResource r) {
        return kind.cloudflareName(slug, r.name()).equals(r.cloudflareName())
                && (kind == Kind.R2 ? r.id() == null : r.id() != null && !r.id().isBlank());
    }

    /** Deletes the resource {@code name} under the name derived for it; empty when it is gone (now or before). */
    private Optional<Problem> delete(Pass pass, Kind kind, String slug, String name) {
        String cloudflareName = kind.cloudflareName(slug, name);
        return deleteOne(pass, kind, name, cloudflareName, () -> switch (kind) {
            case KV -> cloudflare.findKvNamespace(cloudflareName)
                    .map(ns -> cloudflare.deleteKvNamespace(ns.id())).orElse(false);
            case R2 -> cloudflare.deleteR2Bucket(cloudflareName);
            case QUEUES -> cloudflare.findQueue(cloudflareName).map(q -> cloudflare.deleteQueue(q.id())).orElse(false);
        });
    }

    /** One delete call: its problem, or the change it made (true: deleted now; false: it was gone already). */
    private Optional<Problem> deleteOne(Pass pass, Kind kind, String name, String cloudflareName,
            Supplier<Boolean> delete) {
        Answer<Boolean> deleted = call(pass, kind, Step.DELETE, name, cloudflareName,
                () -> Optional.of(delete.get()));
        if (deleted.problem() != null) {
            return Optional.of(deleted.problem());
        }
        if (Boolean.TRUE.equals(deleted.value().orElse(null))) {
            pass.changes.add("deleted " + kind.describe(name, cloudflareName));
        }
        return Optional.empty();
    }

    private CloudflareResource ensure(Kind kind, String name, String cloudflareName) {
        return switch (kind) {
            case KV -> {
                CloudflareResources.KvNamespace ns = cloudflare.ensureKvNamespace(cloudflareName);
                yield new CloudflareResource(name, ns.title(), ns.id());
            }
            case R2 -> new CloudflareResource(name, cloudflare.ensureR2Bucket(cloudflareName).name(), null);
            case QUEUES -> {
                CloudflareResources.Queue q = cloudflare.ensureQueue(cloudflareName);
                yield new CloudflareResource(name, q.name(), q.id());
            }
        };
    }

    private Optional<CloudflareResource> find(Kind kind, String name, String cloudflareName) {
        return switch (kind) {
            case KV -> cloudflare.findKvNamespace(cloudflareName)
                    .map(ns -> new CloudflareResource(name, ns.title(), ns.id()));
            case R2 -> cloudflare.findR2Bucket(cloudflareName).map(b -> new CloudflareResource(name, b.name(), null));
            case QUEUES -> cloudflare.findQueue(cloudflareName).map(q -> new CloudflareResource(name, q.name(), q.id()));
        };
    }

    /** The answer of one call, or why there is none. */
    private record Answer<T>(Optional<T> value, Problem problem) {}

    /**
     * One Cloudflare call, unless the pass has ended (then the failure that ended it, for this kind). A rate limit, an
     * unavailable API and a refused token end the pass.
     */
    private static <T> Answer<T> call(Pass pass, Kind kind, Step step, String name, String cloudflareName,
            Supplier<Optional<T>> call) {
        if (pass.stoppedBy != null) {
            return new Answer<>(Optional.empty(), pass.stoppedBy.on(kind));
        }
        try {
            return new Answer<>(call.get(), null);
        } catch (CloudflareException e) {
            Problem problem = problem(kind, step, name, cloudflareName, e);
            if (problem.transientFailure() || e.kind() == CloudflareException.Kind.AUTHENTICATION) {
                pass.stoppedBy = problem;
            }
            return new Answer<>(Optional.empty(), problem);
        }
    }

    /** A failed call as a condition: permanent, blocked or transient, as DoDatabase classifies Cloudflare's. */
    private static Problem problem(Kind kind, Step step, String name, String cloudflareName, CloudflareException e) {
        String what = step.doing + " " + kind.describe(name, cloudflareName);
        return switch (e.kind()) {
            case AUTHENTICATION -> new Problem(kind, "CloudflareAuthenticationFailed", "Cloudflare refused the "
                    + "operator's API token or account while " + what + " (" + e.getMessage() + "): check that "
                    + "KURATCHI_CF_API_TOKEN has " + kind.permission + " and KURATCHI_CF_ACCOUNT_ID, then restart the "
                    + "operator", false, null);
            case RATE_LIMITED -> new Problem(kind, "CloudflareRateLimited", "Cloudflare is rate limiting the "
                    + "operator (" + what + "); it tries again when Cloudflare's Retry-After allows", true,
                    e.retryAfter());
            case UNAVAILABLE -> new Problem(kind, "CloudflareUnavailable", "the Cloudflare API failed while " + what
                    + " (" + e.getMessage() + "); retrying with backoff", true, e.retryAfter());
            case REJECTED -> switch (step) {
                case DELETE -> kind == Kind.R2 && (e.code() == R2_BUCKET_NOT_EMPTY || e.status() == 409)
                        ? new Problem(kind, "BucketNotEmpty", what + ": " + e.getMessage() + "; or set "
                                + "deletionPolicy: Retain to keep it instead", false, RECHECK_BLOCKED)
                        : new Problem(kind, "DeleteRejected", "Cloudflare refused " + what + " (" + e.getMessage()
                                + "): remove what it names (a Worker bound to it, say), or set deletionPolicy: "
                                + "Retain to keep it; the operator tries again", false, RECHECK_BLOCKED);
                case CREATE, LOOK_UP -> new Problem(kind, "CloudflareRejected", "Cloudflare refused " + what + " ("
                        + e.getMessage() + "): when it names a limit of the account, free room in the account or "
                        + "have the limit raised; otherwise choose another name in spec.resources." + kind.field()
                        + "; the operator tries again when the resource changes", false, null);
            };
        };
    }

    // ---- the ConfigMap

    private static Map<String, String> configMapData(Map<Kind, KindOutcome> kinds) {
        Map<String, String> data = new TreeMap<>();
        ObjectNode all = JSON.createObjectNode();
        ObjectNode wrangler = JSON.createObjectNode();
        ArrayNode kvBindings = wrangler.putArray("kv_namespaces");
        ArrayNode r2Bindings = wrangler.putArray("r2_buckets");
        ArrayNode queueBindings = wrangler.putObject("queues").putArray("producers");
        for (Kind kind : Kind.values()) {
            ObjectNode ofKind = all.putObject(kind.field());
            List<CloudflareResource> sorted = kinds.get(kind).inPlace().stream()
                    .sorted(Comparator.comparing(CloudflareResource::name)).toList();
            for (CloudflareResource r : sorted) {
                String key = kind.field() + "." + r.name() + ".";
                ObjectNode entry = ofKind.putObject(r.name());
                switch (kind) {
                    case KV -> {
                        data.put(key + "id", r.id());
                        data.put(key + "title", r.cloudflareName());
                        entry.put("id", r.id()).put("title", r.cloudflareName());
                        kvBindings.addObject().put("binding", kind.binding(r.name())).put("id", r.id());
                    }
                    case R2 -> {
                        data.put(key + "bucket", r.cloudflareName());
                        entry.put("bucket", r.cloudflareName());
                        r2Bindings.addObject().put("binding", kind.binding(r.name()))
                                .put("bucket_name", r.cloudflareName());
                    }
                    case QUEUES -> {
                        data.put(key + "id", r.id());
                        data.put(key + "name", r.cloudflareName());
                        entry.put("id", r.id()).put("name", r.cloudflareName());
                        queueBindings.addObject().put("binding", kind.binding(r.name()))
                                .put("queue", r.cloudflareName());
                    }
                }
            }
        }
        data.put(RESOURCES_JSON, all.toString());
        data.put(WRANGLER_JSON, wrangler.toString());
        return data;
    }

    private static void requireSlug(String slug) {
        OrganizationNames.validateSlug(slug).ifPresent(problem -> {
            throw new IllegalArgumentException(problem);
        });
    }

    private static <T> List<T> nullIfEmpty(List<T> list) {
        return list.isEmpty() ? null : list;
    }
}
