package dev.kuratchi.operator.organization;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kuratchi.client.gateway.GatewayClient;
import dev.kuratchi.client.gateway.Row;
import dev.kuratchi.operator.dodatabase.DoDatabase;
import dev.kuratchi.operator.dodatabase.DoDatabases;
import dev.kuratchi.operator.organization.OrganizationResources.Kind;
import dev.kuratchi.operator.status.Conditions;
import dev.kuratchi.operator.support.EmulatorProcess;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.events.v1.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Test helpers for organizations on a cluster and the emulator: create them, wait for conditions, read their
 * database, the admin database and Cloudflare as apps and admins would, count reconciles.
 */
final class Organizations {
    static final String ADMIN_NAMESPACE = "kuratchi-system";
    static final String ADMIN_DATABASE = "kuratchi-admin";
    static final String[] ADMIN_TABLES = {"organizations", "databases", "dbApiTokens", "organizationUsers"};
    private static final ObjectMapper JSON = new ObjectMapper();

    private final KubernetesClient client;
    private final EmulatorProcess emulator;
    private final DoDatabases dbs;

    Organizations(KubernetesClient client, EmulatorProcess emulator) {
        this.client = client;
        this.emulator = emulator;
        this.dbs = new DoDatabases(client);
    }

    // ---- specs

    /** An organization named {@code name} with no owner and no resources. */
    static OrganizationSpec named(String organizationName) {
        OrganizationSpec spec = new OrganizationSpec();
        spec.setOrganizationName(organizationName);
        return spec;
    }

    static Consumer<OrganizationSpec> owner(String email) {
        return spec -> {
            OwnerSpec owner = new OwnerSpec();
            owner.setEmail(email);
            spec.setOwner(owner);
        };
    }

    /** spec.resources from JSON, such as {@code {"kv": true, "r2": ["a", "b"]}}. */
    static Consumer<OrganizationSpec> resources(String json) {
        return spec -> {
            try {
                spec.setResources(JSON.readValue(json, ResourcesSpec.class));
            } catch (Exception e) {
                throw new IllegalArgumentException(e);
            }
        };
    }

    static final String ALL_KINDS = "{\"kv\": true, \"r2\": true, \"queues\": true}";

    // ---- the organization

    KuratchiOrganization create(String namespace, String name, Consumer<OrganizationSpec> spec) {
        KuratchiOrganization organization = new KuratchiOrganization();
        organization.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
        OrganizationSpec built = named("Org " + name);
        spec.accept(built);
        organization.setSpec(built);
        return client.resource(organization).create();
    }

    KuratchiOrganization get(String namespace, String name) {
        return client.resources(KuratchiOrganization.class).inNamespace(namespace).withName(name).get();
    }

    Condition condition(String namespace, String name, String type) {
        KuratchiOrganization organization = get(namespace, name);
        return organization == null || organization.getStatus() == null ? null
                : Conditions.find(organization.getStatus().getConditions(), type).orElse(null);
    }

    KuratchiOrganization awaitCondition(String namespace, String name, String type, String status, String reason) {
        DoDatabases.awaitCondition(() -> condition(namespace, name, type), type + " of " + namespace + "/" + name,
                status, reason);
        return get(namespace, name);
    }

    KuratchiOrganization awaitReady(String namespace, String name) {
        return awaitCondition(namespace, name, OrganizationReconciler.READY, Conditions.TRUE, "Ready");
    }

    void annotate(String namespace, String name, String key, String value) {
        client.resources(KuratchiOrganization.class).inNamespace(namespace).withName(name).edit(o -> {
            Map<String, String> annotations = new HashMap<>(o.getMetadata().getAnnotations() == null ? Map.of()
                    : o.getMetadata().getAnnotations());
            annotations.put(key, value);
            o.getMetadata().setAnnotations(annotations);
            return o;
        });
    }

    void delete(String namespace, String name) {
        client.resources(KuratchiOrganization.class).inNamespace(namespace).withName(name).delete();
    }

    void awaitGone(String namespace, String name) {
        await().atMost(Duration.ofSeconds(60)).until(() -> get(namespace, name) == null);
    }

    /** Events about the organization, as {@code type/reason: note}. */
    List<String> events(String namespace, String name) {
        return client.resources(Event.class).inNamespace(namespace).list().getItems().stream()
                .filter(e -> e.getRegarding() != null && name.equals(e.getRegarding().getName())
                        && "KuratchiOrganization".equals(e.getRegarding().getKind()))
                .map(e -> e.getType() + "/" + e.getReason() + ": " + e.getNote()).toList();
    }

    /** Every event of the namespace with its count, to tell a new or repeated event from none. */
    Map<String, Integer> eventCounts(String namespace) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        client.resources(Event.class).inNamespace(namespace).list().getItems().forEach(e -> counts.put(
                e.getMetadata().getName(), e.getSeries() == null ? 1 : e.getSeries().getCount()));
        return counts;
    }

    // ---- its database and the admin database

    DoDatabase child(String namespace, String name) {
        return dbs.get(namespace, name);
    }

    /** A client on the organization database with the token its Secret holds, as an app has it. */
    GatewayClient database(String namespace, String name) {
        return DoDatabases.gateway(dbs.secret(namespace, ChildDatabase.secretName(get(namespace, name))));
    }

    String token(String namespace, String secretName) {
        return dbs.token(namespace, secretName);
    }

    /** A client on the admin database with its own Secret's token. */
    GatewayClient adminDatabase() {
        DoDatabase admin = dbs.get(ADMIN_NAMESPACE, ADMIN_DATABASE);
        return DoDatabases.gateway(dbs.secret(ADMIN_NAMESPACE, admin.getStatus().getSecretName()));
    }

    /** The admin rows of one organization id, every column, by table: a write changes updated_at at least. */
    Map<String, List<Map<String, Object>>> adminRows(String organizationId) {
        GatewayClient admin = adminDatabase();
        Map<String, List<Map<String, Object>>> rows = new LinkedHashMap<>();
        rows.put("organizations", maps(admin.query("SELECT * FROM organizations WHERE id = ?", organizationId)));
        rows.put("databases", maps(admin.query("SELECT * FROM databases WHERE organizationId = ?", organizationId)));
        rows.put("dbApiTokens", maps(admin.query("SELECT * FROM dbApiTokens WHERE databaseId IN "
                + "(SELECT id FROM databases WHERE organizationId = ?)", organizationId)));
        rows.put("organizationUsers", maps(admin.query("SELECT * FROM organizationUsers WHERE organizationId = ?",
                organizationId)));
        return rows;
    }

    /** How many rows each admin table holds for one organization. */
    Map<String, Integer> adminRowCounts(String organizationId) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        adminRows(organizationId).forEach((table, rows) -> counts.put(table, rows.size()));
        return counts;
    }

    static List<Map<String, Object>> maps(List<Row> rows) {
        List<Map<String, Object>> maps = new ArrayList<>();
        rows.forEach(row -> {
            Map<String, Object> map = new LinkedHashMap<>();
            row.columns().forEach(column -> map.put(column, row.get(column)));
            maps.add(map);
        });
        return maps;
    }

    // ---- Cloudflare

    /** The names of every resource of a kind in the account. */
    List<String> cloudflare(Kind kind) {
        JsonNode result = emulator.api("GET", switch (kind) {
            case KV -> "/storage/kv/namespaces?per_page=1000";
            case R2 -> "/r2/buckets?per_page=1000";
            case QUEUES -> "/queues?per_page=1000";
        }, null).path("result");
        String field = switch (kind) {
            case KV -> "title";
            case R2 -> "name";
            case QUEUES -> "queue_name";
        };
        List<String> names = new ArrayList<>();
        (result.isArray() ? result : result.path("buckets")).forEach(item -> names.add(item.path(field).asText()));
        return names;
    }

    /** How many resources of a kind carry the name derived for the slug's resource {@code name}. */
    long cloudflareCount(Kind kind, String slug, String name) {
        return cloudflare(kind).stream().filter(kind.cloudflareName(slug, name)::equals).count();
    }

    /** The Cloudflare API calls since {@code seq} that change something: every method but GET. */
    List<String> cloudflareWrites(long since) {
        return emulator.callsSince(since).stream().filter(c -> !c.path("method").asText().equals("GET"))
                .map(c -> c.path("method").asText() + " " + c.path("path").asText() + " " + c.path("status").asInt())
                .toList();
    }

    // ---- reconciles

    /**
     * Reconciles of organizations finished so far, failed or not (JOSDK's own counts, which are per controller:
     * a test counts while its organization is the only one with work to do).
     */
    static double reconciles(MeterRegistry registry) {
        return reconciles(registry, Tags.empty());
    }

    /** Reconciles of the organizations in {@code namespace} finished so far (the harness tags JOSDK's counts so). */
    static double reconciles(MeterRegistry registry, String namespace) {
        return reconciles(registry, Tags.of("namespace", namespace));
    }

    private static double reconciles(MeterRegistry registry, Tags tags) {
        return Stream.of("reconciliations.success.total", "reconciliations.failure.total")
                .flatMap(name -> registry.find(name).tag("controller.name", OrganizationReconciler.NAME).tags(tags)
                        .counters().stream())
                .mapToDouble(c -> c.count()).sum();
    }
}
