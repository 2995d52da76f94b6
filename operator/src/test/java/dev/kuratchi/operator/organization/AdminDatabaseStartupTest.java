package dev.kuratchi.operator.organization;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.kuratchi.operator.dodatabase.DoDatabase;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The admin DoDatabase made at start, against an API server that answers as a misconfigured cluster would: what to
 * do is reported, attempts back off, and an admin DoDatabase that exists already is left as it is.
 */
class AdminDatabaseStartupTest {
    private static final String PATH = "/apis/kuratchi.dev/v1alpha1/namespaces/platform/dodatabases";
    private static final AdminDatabase ADMIN = new AdminDatabase("platform", "kuratchi-admin");
    private static final String LOOK_UP = PATH + "?fieldSelector=metadata.name%3Dkuratchi-admin";

    private KubernetesMockServer server;
    private KubernetesClient client;

    @BeforeEach
    void start() {
        server = new KubernetesMockServer(false);
        server.init();
        client = server.createClient();
    }

    @AfterEach
    void stop() {
        client.close();
        server.destroy();
    }

    private void found(DoDatabase... items) {
        server.expect().get().withPath(LOOK_UP).andReturn(200, Map.of("apiVersion", "kuratchi.dev/v1alpha1",
                "kind", "DoDatabaseList", "metadata", Map.of(), "items", List.of(items))).always();
    }

    private static Status refusal(int code, String reason, String message) {
        return new StatusBuilder().withStatus("Failure").withCode(code).withReason(reason).withMessage(message).build();
    }

    @Test
    void aCreateTheClusterRefusesSaysWhatToDoAndIsTriedAgainWithBackoffUntilItIsAllowed() {
        found();
        server.expect().post().withPath(PATH).andReturn(404, refusal(404, "NotFound",
                "namespaces \"platform\" not found")).once();
        server.expect().post().withPath(PATH).andReturn(403, refusal(403, "Forbidden", "dodatabases.kuratchi.dev is "
                + "forbidden: User \"system:serviceaccount:kuratchi-system:kuratchi-operator\" cannot create resource "
                + "\"dodatabases\" in API group \"kuratchi.dev\" in the namespace \"platform\"")).once();
        server.expect().post().withPath(PATH).andReturn(201, ADMIN.desired()).once();
        try (AdminDatabaseStartup startup = new AdminDatabaseStartup(ADMIN, client, Duration.ofMillis(400))) {
            startup.start();
            await().pollInterval(Duration.ofMillis(10)).atMost(Duration.ofSeconds(5)).until(() -> startup.problem()
                    .filter(p -> p.contains("namespace platform does not exist")).isPresent());
            assertThat(startup.problem()).get().asString().contains("cannot create the admin database (DoDatabase "
                    + "platform/kuratchi-admin)", "create it, or set KURATCHI_ADMIN_NAMESPACE", "trying again in 400ms");
            await().pollInterval(Duration.ofMillis(10)).atMost(Duration.ofSeconds(5)).until(() -> startup.problem()
                    .filter(p -> p.contains("may not create")).isPresent());
            assertThat(startup.problem()).get().asString().contains("HTTP 403", "cannot create resource",
                    "bind the ClusterRole of deploy/operator-clusterrole.yaml there", "trying again in 800ms");
            assertThat(startup.done()).isFalse();
            // Each attempt looks first, then creates.
            assertDoneAfter(startup, 6);
        }
    }

    /** {@code startup} ends without a problem, having sent {@code requests} requests, and sends no more. */
    private void assertDoneAfter(AdminDatabaseStartup startup, int requests) {
        await().atMost(Duration.ofSeconds(5)).until(startup::done);
        assertThat(startup.problem()).isEmpty();
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
                .until(() -> server.getRequestCount() == requests);
    }

    @Test
    void anAdminDoDatabaseThatExistsAlreadyIsLeftAsItIsWithoutAWrite() {
        found(ADMIN.desired());
        try (AdminDatabaseStartup startup = new AdminDatabaseStartup(ADMIN, client, Duration.ofMillis(50))) {
            startup.start();
            // One look, as every restart of the operator makes: no create.
            assertDoneAfter(startup, 1);
        }
    }

    @Test
    void oneMadeBetweenTheLookAndTheCreateIsLeftAsItIs() {
        found();
        server.expect().post().withPath(PATH).andReturn(409, refusal(409, "AlreadyExists",
                "dodatabases.kuratchi.dev \"kuratchi-admin\" already exists")).always();
        try (AdminDatabaseStartup startup = new AdminDatabaseStartup(ADMIN, client, Duration.ofMillis(50))) {
            startup.start();
            // The create, refused: no update, no second try.
            assertDoneAfter(startup, 2);
        }
    }

    @Test
    void closingStopsTheAttempts() {
        found();
        server.expect().post().withPath(PATH).andReturn(403, refusal(403, "Forbidden", "forbidden")).always();
        AdminDatabaseStartup startup = new AdminDatabaseStartup(ADMIN, client, Duration.ofMillis(50));
        startup.start();
        await().atMost(Duration.ofSeconds(5)).until(() -> server.getRequestCount() >= 4);
        startup.close();
        int attempts = server.getRequestCount();
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
                .until(() -> server.getRequestCount() <= attempts + 2);
        assertThat(startup.done()).isFalse();
    }
}
