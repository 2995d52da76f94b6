package dev.kuratchi.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kuratchi.operator.dodatabase.DoDatabase;
import dev.kuratchi.operator.dodatabase.DoDatabases;
import dev.kuratchi.operator.dodatabase.PendingRevocation;
import dev.kuratchi.operator.support.EmulatorProcess;
import dev.kuratchi.operator.support.OperatorHarness;
import dev.kuratchi.operator.support.OperatorProcess;
import dev.kuratchi.operator.support.RealCluster;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.events.v1.Event;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two replicas with leader election, as the Helm chart runs two, each acting as a ServiceAccount bound to exactly the
 * roles in deploy/: only the Lease holder reconciles and writes; killed (SIGKILL) in the middle of creates, with
 * revocations pending, it is replaced by the standby within the lease time, which converges every DoDatabase without
 * issuing a token twice and revokes every replaced token when its grace period ends.
 */
class LeaderElectionE2ETest {
    private static final String NAMESPACE = "e2e-leader";
    private static final String LEASE = "kuratchi-e2e";
    // JOSDK's lease duration; a standby takes over after the Lease expires, at its next try (every 2 s).
    private static final Duration LEASE_DURATION = Duration.ofSeconds(15);
    private static final Duration GRACE = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    /** One replica: the operator's jar as a pod of the Deployment runs it, named by POD_NAME. */
    private OperatorProcess replica(String name, Map<String, String> environment) throws Exception {
        Map<String, String> named = new HashMap<>(environment);
        named.put("POD_NAME", name);
        // Its log kept in target/ for a failure to be read.
        return OperatorProcess.start(named, List.of("-Xmx256m"), Files.createDirectories(Path.of("target",
                "leader-election")), name);
    }

    /** deploy/'s ClusterRole bound in the one namespace it watches, and deploy/'s Lease Role there too. */
    private static void grantDeployRoles(RealCluster cluster, String account) throws IOException {
        Path deploy = RealCluster.repositoryRoot().resolve("deploy");
        ClusterRole operatorRole = Serialization.unmarshal(Files.readString(deploy.resolve("operator-clusterrole.yaml")),
                ClusterRole.class);
        Role leaseRole = Serialization.unmarshal(Files.readString(deploy.resolve("operator-leader-election-role.yaml")),
                Role.class);
        leaseRole.getMetadata().setNamespace(NAMESPACE);
        cluster.client().resource(operatorRole).serverSideApply();
        cluster.client().resource(leaseRole).serverSideApply();
        for (HasMetadata role : List.of(operatorRole, leaseRole)) {
            cluster.client().resource(new RoleBindingBuilder().withNewMetadata()
                    .withName(role.getMetadata().getName()).withNamespace(NAMESPACE).endMetadata()
                    .withNewRoleRef("rbac.authorization.k8s.io", role.getKind(), role.getMetadata().getName())
                    .addNewSubject().withKind("ServiceAccount").withName(account).withNamespace(NAMESPACE).endSubject()
                    .build()).serverSideApply();
        }
    }

    private static String holder(RealCluster cluster) {
        Lease lease = cluster.client().resources(Lease.class).inNamespace(NAMESPACE).withName(LEASE).get();
        return lease == null || lease.getSpec() == null ? "" : String.valueOf(lease.getSpec().getHolderIdentity());
    }

    private static List<DoDatabase> tenants(RealCluster cluster, String prefix) {
        return cluster.client().resources(DoDatabase.class).inNamespace(NAMESPACE).list().getItems().stream()
                .filter(db -> db.getMetadata().getName().startsWith(prefix)).toList();
    }

    private static void create(RealCluster cluster, String name) {
        DoDatabase db = new DoDatabase();
        db.getMetadata().setName(name);
        db.getMetadata().setNamespace(NAMESPACE);
        db.setSpec(new dev.kuratchi.operator.dodatabase.DoDatabaseSpec());
        cluster.client().resource(db).create();
    }

    private static String tokenId(DoDatabase db) {
        return db.getStatus().getToken().id();
    }

    private static List<PendingRevocation> pending(DoDatabase db) {
        return Optional.ofNullable(db.getStatus().getPendingRevocations()).orElse(List.of());
    }

    @Test
    void onlyTheLeaseHolderReconcilesAndTheStandbyTakesOverLosingAndDuplicatingNothing() throws Exception {
        RealCluster cluster = RealCluster.shared();
        RealClusterE2ETest.namespace(NAMESPACE);
        grantDeployRoles(cluster, "kuratchi-operator");
        Path kubeconfig = cluster.serviceAccountKubeconfig(NAMESPACE, "kuratchi-operator", dir.resolve("kubeconfig"));
        DoDatabases dbs = new DoDatabases(cluster.client());
        try (EmulatorProcess emulator = EmulatorProcess.start()) {
            Map<String, String> environment = new HashMap<>(OperatorHarness.environment(emulator));
            environment.putAll(Map.of("KUBECONFIG", kubeconfig.toString(), "KURATCHI_WATCH_NAMESPACES", NAMESPACE,
                    "KURATCHI_ADMIN_NAMESPACE", NAMESPACE, "KURATCHI_ADMIN_DATABASE", "e2e-leader-admin",
                    "KURATCHI_LEADER_ELECTION", "true", "KURATCHI_LEADER_ELECTION_LEASE_NAME", LEASE,
                    "KURATCHI_TOKEN_REVOCATION_GRACE", GRACE.toSeconds() + "s"));
            try (OperatorProcess a = replica("replica-a", environment)) {
                await().atMost(Duration.ofSeconds(90)).until(() -> holder(cluster).equals("replica-a"));
                // Started means ready: a standby's informers are synced too.
                try (OperatorProcess b = replica("replica-b", environment)) {
                    standbyWritesNothingWhileTheLeaderDoesEverything(cluster, dbs, a, b);
                    takeoverLosesAndDuplicatesNothing(cluster, dbs, emulator, a, b);
                }
            }
        }
    }

    private void standbyWritesNothingWhileTheLeaderDoesEverything(RealCluster cluster, DoDatabases dbs,
            OperatorProcess a, OperatorProcess b) throws Exception {
        IntStream.range(0, 20).forEach(i -> create(cluster, "first-" + i));
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                assertThat(tenants(cluster, "first-")).hasSize(20).allMatch(RealClusterE2ETest::ready));
        assertThat(dbs.get(NAMESPACE, "e2e-leader-admin")).as("made by the leader when it won the Lease").isNotNull();

        assertThat(a.metric("kuratchi_leader")).isEqualTo(1);
        assertThat(b.metric("kuratchi_leader")).isZero();
        assertThat(a.metric("reconciliations_started_total")).isGreaterThanOrEqualTo(20);
        assertThat(b.metric("reconciliations_started_total")).as("the standby reconciles nothing").isZero();
        assertThat(b.metric("kuratchi_cloudflare_calls_total")).isZero();
        List<Event> events = cluster.client().events().v1().events().inNamespace(NAMESPACE).list().getItems();
        assertThat(events).isNotEmpty().allSatisfy(event ->
                assertThat(event.getReportingInstance()).isEqualTo("replica-a"));
    }

    private void takeoverLosesAndDuplicatesNothing(RealCluster cluster, DoDatabases dbs, EmulatorProcess emulator,
            OperatorProcess a, OperatorProcess b) throws Exception {
        // Ten tokens replaced: the old ones stay valid for the grace period, which outlasts the leader.
        Map<String, String> replaced = IntStream.range(0, 10).mapToObj(i -> "first-" + i)
                .collect(Collectors.toMap(Function.identity(), name -> dbs.token(NAMESPACE, name + "-db")));
        replaced.keySet().forEach(name -> cluster.client().resources(DoDatabase.class).inNamespace(NAMESPACE)
                .withName(name).edit(db -> {
                    Map<String, String> annotations = new HashMap<>(Optional.ofNullable(db.getMetadata()
                            .getAnnotations()).orElse(Map.of()));
                    annotations.put(DoDatabase.ROTATE_ANNOTATION, "takeover");
                    db.getMetadata().setAnnotations(annotations);
                    return db;
                }));
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> replaced.forEach((name, old) -> {
            assertThat(dbs.token(NAMESPACE, name + "-db")).isNotEqualTo(old);
            assertThat(pending(dbs.get(NAMESPACE, name))).hasSize(1);
        }));

        ExecutorService creators = Executors.newFixedThreadPool(4);
        IntStream.range(0, 20).forEach(i -> creators.submit(() -> create(cluster, "second-" + i)));
        await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(50)).until(() ->
                tenants(cluster, "second-").stream().filter(RealClusterE2ETest::ready).count() >= 3);
        a.process().destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        Instant killed = Instant.now();
        Map<String, String> tokensAtKill = tenants(cluster, "").stream().filter(RealClusterE2ETest::ready)
                .collect(Collectors.toMap(db -> db.getMetadata().getName(), LeaderElectionE2ETest::tokenId));
        List<String> revocationsPendingAtKill = tenants(cluster, "first-").stream()
                .filter(db -> !pending(db).isEmpty()).map(db -> db.getMetadata().getName()).toList();
        creators.shutdown();
        assertThat(creators.awaitTermination(1, TimeUnit.MINUTES)).isTrue();
        replaced.values().forEach(old -> assertThat(OperatorHarness.app(emulator, old).query("SELECT 1"))
                .as("still in its grace period").hasSize(1));

        await().atMost(LEASE_DURATION.plusSeconds(15)).pollInterval(Duration.ofMillis(200))
                .until(() -> holder(cluster).equals("replica-b"));
        Duration takeover = Duration.between(killed, Instant.now());
        System.out.printf("leader killed; replica-b took the Lease after %.1f s (lease duration %d s)%n",
                takeover.toMillis() / 1000.0, LEASE_DURATION.toSeconds());
        assertThat(b.metric("kuratchi_leader")).isEqualTo(1);

        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            assertThat(tenants(cluster, "first-")).hasSize(20).allMatch(RealClusterE2ETest::ready)
                    .allSatisfy(db -> assertThat(pending(db)).isEmpty());
            assertThat(tenants(cluster, "second-")).hasSize(20).allMatch(RealClusterE2ETest::ready);
        });
        assertThat(revocationsPendingAtKill).as("the kill came before any grace period ended")
                .containsExactlyInAnyOrderElementsOf(replaced.keySet());
        // Every replaced token refused: the standby did the revocations the leader had only scheduled.
        replaced.values().forEach(old -> DoDatabases.assertRevoked(OperatorHarness.app(emulator, old)));

        // No token issued twice: a database Ready at the kill keeps its token; every one has exactly one Secret,
        // owned by it, holding the token its status names, which works.
        List<DoDatabase> all = tenants(cluster, "");
        tokensAtKill.forEach((name, id) -> assertThat(all).filteredOn(db -> db.getMetadata().getName().equals(name))
                .singleElement().satisfies(db -> assertThat(tokenId(db)).as(name).isEqualTo(id)));
        List<Secret> secrets = cluster.client().secrets().inNamespace(NAMESPACE)
                .withLabel("app.kubernetes.io/managed-by", "kuratchi-operator").list().getItems();
        assertThat(secrets).hasSize(all.size());
        for (DoDatabase db : all) {
            Secret secret = secrets.stream().filter(s -> s.getMetadata().getName().equals(db.getMetadata().getName()
                    + "-db")).findFirst().orElseThrow();
            assertThat(secret.getMetadata().getOwnerReferences()).singleElement()
                    .satisfies(ref -> assertThat(ref.getUid()).isEqualTo(db.getMetadata().getUid()));
            assertThat(RealClusterE2ETest.token(secret)).contains("." + tokenId(db) + ".");
            assertThat(OperatorHarness.app(emulator, RealClusterE2ETest.token(secret)).query("SELECT 1")).hasSize(1);
        }
        List<Integer> uploads = emulator.calls().stream()
                .filter(c -> c.path("method").asText().equals("PUT")
                        && c.path("path").asText().endsWith("/workers/scripts/" + OperatorHarness.SCRIPT))
                .map((JsonNode c) -> c.path("status").asInt()).toList();
        assertThat(uploads).as("the new leader found the Worker up to date").containsExactly(200);

        // A replica asked to stop (a rolling update) ends well inside the pod's 30 s grace period.
        Instant asked = Instant.now();
        b.process().destroy();
        assertThat(b.process().waitFor(30, TimeUnit.SECONDS)).as("replica-b stopped on SIGTERM").isTrue();
        System.out.printf("replica-b stopped %.1f s after SIGTERM%n",
                Duration.between(asked, Instant.now()).toMillis() / 1000.0);
    }
}
