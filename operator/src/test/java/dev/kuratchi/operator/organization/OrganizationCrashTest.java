package dev.kuratchi.operator.organization;

import static dev.kuratchi.operator.organization.Organizations.ALL_KINDS;
import static dev.kuratchi.operator.organization.Organizations.owner;
import static dev.kuratchi.operator.organization.Organizations.resources;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.kuratchi.operator.OperatorFactory;
import dev.kuratchi.operator.organization.OrganizationResources.Kind;
import dev.kuratchi.operator.support.EmulatorProcess;
import dev.kuratchi.operator.support.MockCluster;
import dev.kuratchi.operator.support.OperatorHarness;
import dev.kuratchi.operator.support.TestCluster;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.javaoperatorsdk.operator.api.config.ConfigurationServiceOverrider;
import java.net.URI;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The operator dies between "made in Cloudflare" (or "written to the admin database") and "status written": a first
 * operator whose status writes of organizations never arrive, stopped at the cut, then a second one on the same
 * cluster and Cloudflare account. After it: one of each, the ones the first made, adopted. The cut is placed by
 * failing the next create in Cloudflare, which the order of the parts (admin rows, then KV, R2, queues) turns into
 * "everything before it made, nothing after".
 */
class OrganizationCrashTest {
    private static final Map<String, String> ENVIRONMENT = Map.of("KURATCHI_ADMIN_NAMESPACE",
            Organizations.ADMIN_NAMESPACE);
    private static MockCluster cluster;
    private static EmulatorProcess emulator;
    private static Organizations orgs;

    @BeforeAll
    static void start() {
        cluster = new MockCluster();
        emulator = EmulatorProcess.start();
        orgs = new Organizations(cluster.client(), emulator);
    }

    @AfterAll
    static void stop() throws Exception {
        emulator.close();
        cluster.close();
    }

    /** Where the first operator dies: after what it made, before the create that the fault fails. */
    enum Cut {
        AFTER_ADMIN_ROWS("/accounts/*/storage/kv/namespaces", List.of()),
        AFTER_KV("/accounts/*/r2/buckets", List.of(Kind.KV)),
        AFTER_R2("/accounts/*/queues", List.of(Kind.KV, Kind.R2)),
        AFTER_EVERYTHING(null, List.of(Kind.KV, Kind.R2, Kind.QUEUES));

        final String failedCreate;
        final List<Kind> made;

        Cut(String failedCreate, List<Kind> made) {
            this.failedCreate = failedCreate;
            this.made = made;
        }
    }

    @ParameterizedTest
    @EnumSource(Cut.class)
    void aRestartAfterACrashBeforeTheStatusWriteAdoptsWhatTheFirstOperatorMadeAndDuplicatesNothing(Cut cut)
            throws Exception {
        String namespace = "crash-" + cut.ordinal();
        String name = "org-" + cut.ordinal();
        if (cut.failedCreate != null) {
            emulator.fault("{\"method\": \"POST\", \"path\": \"" + cut.failedCreate + "\", \"kind\": \"status\", "
                    + "\"status\": 503, \"count\": 100000}");
        }
        KuratchiOrganization created;
        Map<Kind, String> madeIds = new EnumMap<>(Kind.class);
        try (StatusWritesLost dying = new StatusWritesLost(cluster);
                OperatorHarness first = new OperatorHarness(dying, false, emulator, false, ENVIRONMENT)) {
            created = orgs.create(namespace, name, owner("owner@" + name + ".example").andThen(resources(ALL_KINDS)));
            String uid = created.getMetadata().getUid();
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> {
                assertThat(orgs.adminRowCounts(uid)).isEqualTo(Map.of("organizations", 1, "databases", 1,
                        "dbApiTokens", 1, "organizationUsers", 1));
                for (Kind kind : cut.made) {
                    assertThat(orgs.cloudflareCount(kind, name, "default")).as(kind.name()).isOne();
                }
                if (cut.failedCreate != null) {
                    assertThat(emulator.calls()).as("the cut was reached").anyMatch(c -> c.path("status").asInt() == 503
                            && c.path("path").asText().matches(cut.failedCreate.replace("*", "[^/]+")));
                } else {
                    assertThat(cluster.client().configMaps().inNamespace(namespace).withName(name + "-cloudflare")
                            .get()).isNotNull();
                }
            });
            assertThat(orgs.database(namespace, name).query("SELECT count(*) AS n FROM users").get(0).getLong("n"))
                    .isOne();
            for (Kind kind : cut.made) {
                madeIds.put(kind, id(kind, name));
            }
            assertThat(orgs.get(namespace, name).getStatus()).as("no status was ever written").isNull();
        } finally {
            emulator.clearFaults();
        }

        try (OperatorHarness second = new OperatorHarness(cluster, false, emulator, false, ENVIRONMENT)) {
            KuratchiOrganization ready = orgs.awaitReady(namespace, name);
            for (Kind kind : Kind.values()) {
                assertThat(orgs.cloudflareCount(kind, name, "default")).as(kind.name()).isOne();
            }
            madeIds.forEach((kind, id) -> assertThat(id(kind, name)).as("%s adopted", kind).isEqualTo(id));
            assertThat(ready.getStatus().getKvNamespaces().get(0).id()).isEqualTo(id(Kind.KV, name));
            assertThat(ready.getStatus().getQueues().get(0).id()).isEqualTo(id(Kind.QUEUES, name));
            assertThat(ready.getStatus().getOrganizationId()).isEqualTo(created.getMetadata().getUid());
            assertThat(orgs.adminRowCounts(created.getMetadata().getUid())).isEqualTo(Map.of("organizations", 1,
                    "databases", 1, "dbApiTokens", 1, "organizationUsers", 1));
            assertThat(orgs.adminDatabase().query("SELECT count(*) AS n FROM organizations WHERE organizationSlug = ?",
                    name).get(0).getLong("n")).isOne();
            assertThat(orgs.database(namespace, name).query("SELECT id, role FROM users").stream()
                    .map(row -> row.getString("id") + "/" + row.getString("role")))
                    .containsExactly(created.getMetadata().getUid() + "-owner/owner");

            if (cut == Cut.AFTER_EVERYTHING) {
                // And then a steady state: 20 reconciles, no Cloudflare write, no admin write.
                long since = emulator.lastSeq();
                var adminRows = orgs.adminRows(created.getMetadata().getUid());
                for (int i = 0; i < 20; i++) {
                    double before = Organizations.reconciles(second.registry());
                    orgs.annotate(namespace, name, "touched", "t" + i);
                    await().atMost(Duration.ofSeconds(10)).until(() -> Organizations.reconciles(second.registry())
                            > before);
                }
                assertThat(orgs.cloudflareWrites(since)).isEmpty();
                assertThat(orgs.adminRows(created.getMetadata().getUid())).isEqualTo(adminRows);
                assertThat(orgs.get(namespace, name).getStatus()).isEqualTo(ready.getStatus());
            }
        }
    }

    /** The id Cloudflare gave the one resource of this kind named for the slug (R2 buckets: their name). */
    private static String id(Kind kind, String slug) {
        String cloudflareName = kind.cloudflareName(slug, "default");
        if (kind == Kind.R2) {
            return cloudflareName;
        }
        var result = emulator.api("GET", kind == Kind.KV ? "/storage/kv/namespaces?per_page=1000"
                : "/queues?per_page=1000", null).path("result");
        for (var item : result) {
            if (item.path(kind == Kind.KV ? "title" : "queue_name").asText().equals(cloudflareName)) {
                return item.path(kind == Kind.KV ? "id" : "queue_id").asText();
            }
        }
        throw new AssertionError("no " + kind + " named " + cloudflareName);
    }

    /**
     * The cluster as seen by an operator that dies before any status write of an organization arrives: those writes
     * go nowhere (a refused connection), everything else reaches the cluster.
     */
    static final class StatusWritesLost implements TestCluster {
        private static final Pattern ORGANIZATION_STATUS = Pattern.compile(".*/kuratchiorganizations/[^/]+/status");
        private final TestCluster cluster;
        private final KubernetesClient client;

        StatusWritesLost(TestCluster cluster) {
            this.cluster = cluster;
            // No retries of a refused connection: the writes are lost at once, as the operator died before them.
            this.client = OperatorFactory.clientBuilder().withConfig(new ConfigBuilder(cluster.client()
                            .getConfiguration()).withRequestRetryBackoffLimit(0).build())
                    .withHttpClientBuilderConsumer(builder -> builder.addOrReplaceInterceptor("status-writes-lost",
                            new Interceptor() {
                                @Override
                                public void before(BasicBuilder request, HttpRequest sent, RequestTags tags) {
                                    if (!"GET".equals(sent.method())
                                            && ORGANIZATION_STATUS.matcher(sent.uri().getPath()).matches()) {
                                        request.uri(URI.create("http://127.0.0.1:9/lost"));
                                    }
                                }
                            }))
                    .build();
        }

        @Override
        public KubernetesClient client() {
            return client;
        }

        @Override
        public KubernetesClient operatorClient() {
            return client;
        }

        @Override
        public void tune(ConfigurationServiceOverrider overrider) {
            cluster.tune(overrider);
        }

        @Override
        public void close() {
            client.close();
        }
    }
}
