package dev.kuratchi.operator.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kuratchi.client.token.GatewayKey;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OperatorConfigTest {
    private static final Map<String, String> MINIMAL = Map.of(
            "KURATCHI_CF_API_TOKEN", "cf-token-value",
            "KURATCHI_CF_ACCOUNT_ID", "0123456789abcdef0123456789abcdef",
            "KURATCHI_GATEWAY_KEY", "gateway-key-value-0123456789abcdef");

    private static Map<String, String> with(String key, String value) {
        Map<String, String> env = new HashMap<>(MINIMAL);
        if (value == null) {
            env.remove(key);
        } else {
            env.put(key, value);
        }
        return env;
    }

    @Test
    void defaults() {
        OperatorConfig config = OperatorConfig.fromEnvironment(MINIMAL);
        assertThat(config.cloudflareApiBaseUrl()).isEqualTo(URI.create("https://api.cloudflare.com/client/v4"));
        assertThat(config.gatewayEndpoint("acct")).isEqualTo(URI.create("https://kuratchi-do-internal.acct.workers.dev"));
        assertThat(config.watchNamespaces()).isEmpty();
        assertThat(config.reconcileThreads()).isEqualTo(10);
        assertThat(config.revocationGracePeriod()).isEqualTo(Duration.ofMinutes(5));
        assertThat(config.cloudflareRequestsPerWindow()).isLessThan(1200);
        assertThat(config.gatewayKeyNamespaces()).as("no namespace may hold the gateway key by default").isEmpty();
        assertThat(config.adoptionNamespaces()).isEmpty();
        assertThat(config.storageCheckInterval()).isEqualTo(Duration.ofMinutes(10));
        assertThat(config.adminNamespace()).isEqualTo("kuratchi-system");
        assertThat(config.adminDatabaseName()).isEqualTo("kuratchi-admin");
        assertThat(config.httpHost()).isEqualTo("0.0.0.0");
        assertThat(config.leaderElection().enabled()).isFalse();
        assertThat(config.leaderElection().leaseName()).isEqualTo("kuratchi-operator");
        assertThat(config.leaderElection().namespace()).isEqualTo("kuratchi-system");
        assertThat(config.toString()).doesNotContain("cf-token-value", "gateway-key-value");
    }

    @Test
    void everySettingFromTheEnvironment() {
        Map<String, String> env = new HashMap<>(MINIMAL);
        env.putAll(Map.of("KURATCHI_CF_API_BASE_URL", "http://127.0.0.1:1234/client/v4/",
                "KURATCHI_GATEWAY_URL", "http://127.0.0.1:5678/kuratchi-do-internal",
                "KURATCHI_WATCH_NAMESPACES", "team-a, team-b", "KURATCHI_RECONCILE_THREADS", "4",
                "KURATCHI_TOKEN_REVOCATION_GRACE", "30s", "KURATCHI_WORKERS_SUBDOMAIN", "acct",
                "KURATCHI_GATEWAY_KEY_PREVIOUS", "old-key-value-0123456789abcdefghij",
                "KURATCHI_GATEWAY_KEY_NAMESPACES", "legacy", "KURATCHI_ADOPTION_NAMESPACES", "migration,legacy",
                "KURATCHI_STORAGE_CHECK_INTERVAL", "2m"));
        OperatorConfig config = OperatorConfig.fromEnvironment(env);
        assertThat(config.cloudflareApiBaseUrl()).isEqualTo(URI.create("http://127.0.0.1:1234/client/v4"));
        assertThat(config.gatewayEndpoint("ignored")).isEqualTo(URI.create("http://127.0.0.1:5678/kuratchi-do-internal"));
        assertThat(config.watchNamespaces()).isEqualTo(Set.of("team-a", "team-b"));
        assertThat(config.reconcileThreads()).isEqualTo(4);
        assertThat(config.revocationGracePeriod()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.workersSubdomain()).contains("acct");
        assertThat(config.previousGatewayKey()).isPresent();
        assertThat(config.gatewayKeyNamespaces()).isEqualTo(Set.of("legacy"));
        assertThat(config.adoptionNamespaces()).isEqualTo(Set.of("migration", "legacy"));
        assertThat(config.storageCheckInterval()).isEqualTo(Duration.ofMinutes(2));
    }

    @Test
    void leaderElectionAndTheProbeAddress() {
        Map<String, String> env = new HashMap<>(MINIMAL);
        env.putAll(Map.of("KURATCHI_LEADER_ELECTION", "TRUE", "KURATCHI_LEADER_ELECTION_LEASE_NAME", "kuratchi-a",
                "POD_NAME", "kuratchi-operator-7d9f-x2x", "POD_NAMESPACE", "platform",
                "KURATCHI_HTTP_HOST", "127.0.0.1"));
        OperatorConfig config = OperatorConfig.fromEnvironment(env);
        assertThat(config.leaderElection())
                .isEqualTo(new OperatorConfig.LeaderElection(true, "kuratchi-a", "platform"));
        assertThat(config.instance()).isEqualTo("kuratchi-operator-7d9f-x2x");
        env.put("KURATCHI_ADMIN_NAMESPACE", "tenants-admin");
        assertThat(OperatorConfig.fromEnvironment(env).leaderElection().namespace())
                .as("the pod's namespace, where the chart binds the Lease Role").isEqualTo("platform");
        env.remove("POD_NAMESPACE");
        assertThat(OperatorConfig.fromEnvironment(env).leaderElection().namespace()).as("outside a pod")
                .isEqualTo("tenants-admin");
        assertThat(config.httpHost()).isEqualTo("127.0.0.1");
        assertThat(config.toString()).contains("Lease platform/kuratchi-a as kuratchi-operator-7d9f-x2x");
    }

    /**
     * A Lease's name is a DNS subdomain. The chart's schema allows dots in leaderElection.leaseName, and its default
     * is the release's full name, which has dots when the release's name has (helm install my.ops ...): refused here,
     * the pod would end at start with exit code 2, again and again, after an install that succeeded.
     */
    @Test
    void aLeaseNameMayHaveDotsAsTheChartAndHelmReleaseNamesAllow() {
        for (String name : java.util.List.of("my.ops-kuratchi-operator", "a.b.c", "kuratchi-operator")) {
            assertThat(OperatorConfig.fromEnvironment(with("KURATCHI_LEADER_ELECTION_LEASE_NAME", name))
                    .leaderElection().leaseName()).isEqualTo(name);
        }
        for (String name : java.util.List.of("a..b", ".a", "a.", "a.-b", "A.b", "a_b", "x".repeat(254))) {
            assertThatThrownBy(() -> OperatorConfig.fromEnvironment(with("KURATCHI_LEADER_ELECTION_LEASE_NAME", name)))
                    .as(name).hasMessageContaining("KURATCHI_LEADER_ELECTION_LEASE_NAME is not an object name");
        }
    }

    @Test
    void outsideAPodTwoProcessesOnOneHostNeverShareAnIdentity() {
        Map<String, String> env = new HashMap<>(MINIMAL);
        env.put("HOSTNAME", "build-host");
        String first = OperatorConfig.fromEnvironment(env).instance();
        String second = OperatorConfig.fromEnvironment(env).instance();
        assertThat(first).startsWith("build-host_").isNotEqualTo(second);
    }

    @Test
    void aGatewayKeyKeepsItsSpacesButNotItsLineEnd(@TempDir Path dir) throws Exception {
        // kuratchi-sdk took any key: spaces inside and in front are the key's (its header is `Bearer <key>`).
        String sdkKey = "  a key with spaces, as kuratchi-sdk took it";
        assertThat(OperatorConfig.fromEnvironment(with("KURATCHI_GATEWAY_KEY", sdkKey + "\n")).gatewayKey())
                .isEqualTo(GatewayKey.of(sdkKey));
        Path file = Files.writeString(dir.resolve("key"), "\n" + sdkKey + "\r\n");
        Map<String, String> env = with("KURATCHI_GATEWAY_KEY", null);
        env.put("KURATCHI_GATEWAY_KEY_FILE", file.toString());
        assertThat(OperatorConfig.fromEnvironment(env).gatewayKey()).isEqualTo(GatewayKey.of(sdkKey));
    }

    @Test
    void aGatewayKeyShorterThan32BytesIsRefusedAtStartUp() {
        assertThatThrownBy(() -> OperatorConfig.fromEnvironment(with("KURATCHI_GATEWAY_KEY", "short-key")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("KURATCHI_GATEWAY_KEY is shorter than 32 bytes")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("short-key"));
        assertThat(OperatorConfig.fromEnvironment(with("KURATCHI_GATEWAY_KEY", "k".repeat(32))).gatewayKey().reveal())
                .hasSize(32);
        Map<String, String> previous = with("KURATCHI_GATEWAY_KEY_PREVIOUS", "old-key");
        assertThatThrownBy(() -> OperatorConfig.fromEnvironment(previous))
                .hasMessageContaining("KURATCHI_GATEWAY_KEY_PREVIOUS is shorter than 32 bytes");
    }

    @Test
    void secretsFromMountedFiles(@TempDir Path dir) throws Exception {
        Path key = Files.writeString(dir.resolve("key"), "from-file-0123456789abcdef0123456789\n");
        Map<String, String> env = with("KURATCHI_GATEWAY_KEY", null);
        env.put("KURATCHI_GATEWAY_KEY_FILE", key.toString());
        assertThat(OperatorConfig.fromEnvironment(env).gatewayKey().reveal())
                .isEqualTo("from-file-0123456789abcdef0123456789");
        env.put("KURATCHI_GATEWAY_KEY_FILE", dir.resolve("missing").toString());
        assertThatThrownBy(() -> OperatorConfig.fromEnvironment(env)).hasMessageContaining("cannot read KURATCHI_GATEWAY_KEY_FILE");
    }

    @Test
    void missingOrWrongSettingsSayWhatToSetInOneLine() {
        assertThatThrownBy(() -> OperatorConfig.fromEnvironment(with("KURATCHI_CF_API_TOKEN", null)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("missing KURATCHI_CF_API_TOKEN");
        assertThatThrownBy(() -> OperatorConfig.fromEnvironment(with("KURATCHI_GATEWAY_KEY", " ")))
                .hasMessageContaining("missing KURATCHI_GATEWAY_KEY");
        assertThatThrownBy(() -> OperatorConfig.fromEnvironment(with("KURATCHI_CF_ACCOUNT_ID", "acct-1")))
                .hasMessageContaining("32 lowercase hex");
        assertThatThrownBy(() -> OperatorConfig.fromEnvironment(with("KURATCHI_CF_API_BASE_URL", "ftp://x")))
                .hasMessageContaining("http(s) URL");
        assertThatThrownBy(() -> OperatorConfig.fromEnvironment(with("KURATCHI_RECONCILE_THREADS", "zero")))
                .hasMessageContaining("positive whole number");
        assertThatThrownBy(() -> OperatorConfig.fromEnvironment(with("KURATCHI_TOKEN_REVOCATION_GRACE", "soon")))
                .hasMessageContaining("KURATCHI_TOKEN_REVOCATION_GRACE");
        assertThatThrownBy(() -> OperatorConfig.fromEnvironment(with("KURATCHI_STORAGE_CHECK_INTERVAL", "0s")))
                .hasMessageContaining("KURATCHI_STORAGE_CHECK_INTERVAL must be at least 1s");
        // The admin DoDatabase is made at start under these names: the API server must take them.
        assertThatThrownBy(() -> OperatorConfig.fromEnvironment(with("KURATCHI_ADMIN_DATABASE", "Kuratchi Admin")))
                .hasMessageContaining("KURATCHI_ADMIN_DATABASE is also the admin DoDatabase's metadata.name");
        assertThatThrownBy(() -> OperatorConfig.fromEnvironment(with("KURATCHI_ADMIN_DATABASE", "a".repeat(251))))
                .hasMessageContaining("at most 250 characters");
        assertThat(OperatorConfig.fromEnvironment(with("KURATCHI_ADMIN_DATABASE", "a".repeat(250)))
                .adminDatabaseName()).hasSize(250);
        assertThatThrownBy(() -> OperatorConfig.fromEnvironment(with("KURATCHI_ADMIN_NAMESPACE", "Platform")))
                .hasMessageContaining("KURATCHI_ADMIN_NAMESPACE is not a namespace name");
        assertThatThrownBy(() -> OperatorConfig.fromEnvironment(with("KURATCHI_LEADER_ELECTION", "yes")))
                .hasMessageContaining("KURATCHI_LEADER_ELECTION must be true or false, got yes");
        assertThatThrownBy(() -> OperatorConfig.fromEnvironment(with("KURATCHI_LEADER_ELECTION_LEASE_NAME", "Lease")))
                .hasMessageContaining("KURATCHI_LEADER_ELECTION_LEASE_NAME is not an object name");
        Map<String, String> both = with("KURATCHI_GATEWAY_KEY_FILE", "/x");
        assertThatThrownBy(() -> OperatorConfig.fromEnvironment(both)).hasMessageContaining("not both");
        assertThatThrownBy(() -> OperatorConfig.fromEnvironment(with("KURATCHI_CF_API_TOKEN", null)))
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }
}
