package dev.kuratchi.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kuratchi.operator.dodatabase.DoDatabases;
import dev.kuratchi.operator.support.OperatorHarness;
import java.net.BindException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class OperatorHttpServerTest {
    private static HttpResponse<String> get(int port, String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void probesAndPrometheusMetrics() throws Exception {
        try (OperatorHarness harness = new OperatorHarness(Map.of());
                OperatorHttpServer http = new OperatorHttpServer("127.0.0.1", 0, harness.operator(), harness.registry())) {
            DoDatabases dbs = new DoDatabases(harness.client());
            dbs.create("metrics", "m1", spec -> { });
            dbs.awaitReady("metrics", "m1");
            // The other one: the admin database, which the operator makes at start.
            dbs.awaitReady("kuratchi-system", "kuratchi-admin");
            assertThat(http.address().getAddress().getHostAddress()).as("KURATCHI_HTTP_HOST").isEqualTo("127.0.0.1");
            assertThat(get(http.port(), "/healthz").statusCode()).isEqualTo(200);
            assertThat(get(http.port(), "/readyz").statusCode()).isEqualTo(200);
            HttpResponse<String> metrics = get(http.port(), "/metrics");
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.body()).contains("kuratchi_databases_ready 2.0",
                    "kuratchi_token_expiry_seconds{name=\"m1\",namespace=\"metrics\"}",
                    "kuratchi_cloudflare_calls_total{endpoint=\"script_upload\",outcome=\"success\"} 1.0",
                    "reconciliations_execution_duration_seconds_count{controller_name=\"dodatabase\"");
        }
    }

    @Test
    void aHostWithNoAddressIsABindFailureMainReportsAsASetting() throws Exception {
        try (OperatorHarness harness = new OperatorHarness(Map.of())) {
            assertThatThrownBy(() -> new OperatorHttpServer("no-such-host.invalid", 0, harness.operator(),
                    harness.registry())).isInstanceOf(BindException.class)
                    .hasMessage("no address for the host name no-such-host.invalid");
        }
    }

    @Test
    void missingConfigurationStopsStartUpWithOneClearLine() throws Exception {
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), Main.class.getName()).redirectErrorStream(true).start();
        process.getOutputStream().close();
        // The child inherits no KURATCHI_* variables from the test environment.
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        List<String> lines = new String(process.getInputStream().readAllBytes()).lines().toList();
        assertThat(process.exitValue()).isEqualTo(2);
        assertThat(lines).containsExactly("kuratchi-operator: missing KURATCHI_CF_ACCOUNT_ID: set it to the Cloudflare "
                + "account id (32 hex digits)");
    }
}
