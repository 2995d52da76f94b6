package dev.kuratchi.operator.organization;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.kuratchi.client.gateway.GatewayClient;
import dev.kuratchi.client.gateway.Row;
import dev.kuratchi.operator.dodatabase.DoDatabase;
import dev.kuratchi.operator.dodatabase.DoDatabases;
import dev.kuratchi.operator.status.Conditions;
import dev.kuratchi.operator.support.EmulatorProcess;
import dev.kuratchi.operator.support.RealCluster;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** Test helpers for KuratchiOrganizations on the real API server: create, wait for Ready, and look at what they made. */
public final class RealOrganizations {
    /** The admin tables kuratchi-sdk writes per organization, with the column that ties a row to it. */
    public static final Map<String, String> ADMIN_TABLES = adminTables();

    private final KubernetesClient client;

    public RealOrganizations(KubernetesClient client) {
        this.client = client;
    }

    private static Map<String, String> adminTables() {
        Map<String, String> tables = new LinkedHashMap<>();
        tables.put("organizations", "id = ?");
        tables.put("databases", "organizationId = ?");
        tables.put("dbApiTokens", "databaseId IN (SELECT id FROM databases WHERE organizationId = ?)");
        tables.put("organizationUsers", "organizationId = ?");
        return tables;
    }

    /**
     * examples/organization.yaml (owner, KV, R2 and a queue) under another name, with contact and owner emails of
     * that name: they are unique in the admin database.
     */
    public static KuratchiOrganization example(String namespace, String name) throws IOException {
        KuratchiOrganization organization = Serialization.unmarshal(Files.readString(RealCluster.repositoryRoot()
                .resolve("examples/organization.yaml")), KuratchiOrganization.class);
        organization.getMetadata().setName(name);
        organization.getMetadata().setNamespace(namespace);
        organization.getSpec().setEmail("billing@" + name + ".example");
        organization.getSpec().getOwner().setEmail("ann@" + name + ".example");
        return organization;
    }

    /** A JSON list of names, as spec.resources takes it. */
    public static JsonNode names(String... names) {
        var list = JsonNodeFactory.instance.arrayNode();
        for (String name : names) {
            list.add(name);
        }
        return list;
    }

    public KuratchiOrganization create(String namespace, String name, Consumer<OrganizationSpec> spec) {
        KuratchiOrganization organization = new KuratchiOrganization();
        organization.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
        spec.accept(organization.getSpec());
        return client.resource(organization).create();
    }

    public Resource<KuratchiOrganization> resource(String namespace, String name) {
        return client.resources(KuratchiOrganization.class).inNamespace(namespace).withName(name);
    }

    public KuratchiOrganization get(String namespace, String name) {
        return resource(namespace, name).get();
    }

    /** Waits for Ready (90 s: the admin database is made on the way); fails with the conditions as they were. */
    public KuratchiOrganization awaitReady(String namespace, String name) {
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
            KuratchiOrganization organization = get(namespace, name);
            assertThat(organization).as("%s/%s", namespace, name).isNotNull();
            assertThat(organization.getStatus() != null && Conditions.isTrue(organization.getStatus().getConditions(),
                    OrganizationReconciler.READY)).as("Ready of %s/%s; status: %s", namespace, name,
                    organization.getStatus() == null ? null : organization.getStatus().getConditions()).isTrue();
        });
        return get(namespace, name);
    }

    /** Waits until the organization, its child DoDatabase, the child's Secret and its ConfigMap are all gone. */
    public void awaitGone(String namespace, String name, String secretName) {
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
            assertThat(get(namespace, name)).as("the organization").isNull();
            assertThat(client.resources(DoDatabase.class).inNamespace(namespace).withName(name).get())
                    .as("the child DoDatabase").isNull();
            assertThat(client.secrets().inNamespace(namespace).withName(secretName).get()).as("the token Secret")
                    .isNull();
            assertThat(client.configMaps().inNamespace(namespace).withName(OrganizationNames.configMapName(name)).get())
                    .as("the ConfigMap").isNull();
        });
    }

    /** The admin database, opened with its own DoDatabase's token, as an app that reads it would. */
    public GatewayClient adminDatabase(String namespace, String name) {
        DoDatabase admin = client.resources(DoDatabase.class).inNamespace(namespace).withName(name).get();
        return DoDatabases.gateway(client.secrets().inNamespace(namespace).withName(admin.getStatus().getSecretName())
                .get());
    }

    /** The organization's rows in each admin table ({@link #ADMIN_TABLES}). */
    public static Map<String, List<Row>> adminRows(GatewayClient admin, String organizationId) {
        Map<String, List<Row>> rows = new LinkedHashMap<>();
        ADMIN_TABLES.forEach((table, where) -> rows.put(table,
                admin.query("SELECT * FROM " + table + " WHERE " + where, organizationId)));
        return rows;
    }

    /** The Cloudflare names of every KV namespace, R2 bucket and queue in the emulator's account. */
    public static List<String> cloudflareNames(EmulatorProcess emulator) {
        List<String> names = new ArrayList<>();
        Map.of("/storage/kv/namespaces?per_page=1000", "title", "/r2/buckets?per_page=1000", "name",
                "/queues?per_page=1000", "queue_name").forEach((path, field) -> {
                    JsonNode result = emulator.api("GET", path, null).path("result");
                    (result.isArray() ? result : result.path("buckets")).forEach(item -> names.add(item.path(field)
                            .asText()));
                });
        return names;
    }

    /** The Cloudflare names status records for the organization's KV namespaces, R2 buckets and queues. */
    public static List<String> recordedCloudflareNames(OrganizationStatus status) {
        List<String> names = new ArrayList<>();
        for (var list : Arrays.asList(status.getKvNamespaces(), status.getR2Buckets(), status.getQueues())) {
            if (list != null) {
                list.forEach(resource -> names.add(resource.cloudflareName()));
            }
        }
        return names;
    }
}
