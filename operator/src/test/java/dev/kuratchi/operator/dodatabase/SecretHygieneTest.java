package dev.kuratchi.operator.dodatabase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.kuratchi.client.gateway.GatewayClient;
import dev.kuratchi.client.gateway.GatewayException;
import dev.kuratchi.operator.support.OperatorHarness;
import io.fabric8.kubernetes.api.model.events.v1.Event;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** No gateway key and no token ever reaches a log line, an event, a status or an exception message. */
class SecretHygieneTest {
    @Test
    void keysAndTokensAppearOnlyInTheSecrets() throws Exception {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream original = System.err;
        System.setErr(new PrintStream(new Tee(original, captured), true, StandardCharsets.UTF_8));
        Set<String> secrets = new HashSet<>(Set.of(OperatorHarness.GATEWAY_KEY));
        List<String> texts = new ArrayList<>();
        try (OperatorHarness harness = new OperatorHarness(Map.of())) {
            DoDatabases dbs = new DoDatabases(harness.client());
            dbs.migrations("hygiene", "leaky", Map.of("0001_bad.sql", "CREATE TABLE ("));
            dbs.create("hygiene", "plain", spec -> { });
            dbs.create("hygiene", "failing", DoDatabases.fromConfigMap("leaky"));
            DoDatabase first = dbs.awaitReady("hygiene", "plain");
            secrets.add(DoDatabases.data(dbs.secret("hygiene", "plain-db")).get("token"));
            GatewayClient oldClient = DoDatabases.gateway(dbs.secret("hygiene", "plain-db"));
            harness.client().resources(DoDatabase.class).inNamespace("hygiene").withName("plain").edit(d -> {
                d.getMetadata().setAnnotations(Map.of(DoDatabase.ROTATE_ANNOTATION, "now"));
                return d;
            });
            await().atMost(Duration.ofSeconds(30)).until(() -> !dbs.get("hygiene", "plain").getStatus().getToken().id()
                    .equals(first.getStatus().getToken().id()));
            secrets.add(DoDatabases.data(dbs.secret("hygiene", "plain-db")).get("token"));
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThatThrownBy(() -> oldClient.query("SELECT 1"))
                    .isInstanceOfSatisfying(GatewayException.class, e -> {
                        assertThat(e.code()).isEqualTo("token_revoked");
                        texts.add(e.getMessage());
                        texts.add(e.toString());
                    }));
            dbs.awaitCondition("hygiene", "failing", DoDatabaseReconciler.SCHEMA_APPLIED, "False", "MigrationFailed");

            for (DoDatabase db : harness.client().resources(DoDatabase.class).inAnyNamespace().list().getItems()) {
                texts.add(Serialization.asJson(db.getStatus()));
            }
            for (Event event : harness.client().resources(Event.class).inAnyNamespace().list().getItems()) {
                texts.add(event.getNote());
            }
            assertThat(texts).hasSizeGreaterThan(4);
        } finally {
            System.setErr(original);
        }
        texts.add(captured.toString(StandardCharsets.UTF_8));
        assertThat(texts.get(texts.size() - 1)).contains("MigrationFailed");
        for (String secret : secrets) {
            // The whole value, and a token's signature on its own.
            List<String> needles = new ArrayList<>(List.of(secret));
            String[] parts = secret.split("\\.");
            if (parts.length == 4) {
                needles.add(parts[3]);
            }
            for (String text : texts) {
                for (String needle : needles) {
                    assertThat(text).doesNotContain(needle);
                }
            }
        }
    }

    private static final class Tee extends OutputStream {
        private final OutputStream first;
        private final OutputStream second;

        Tee(OutputStream first, OutputStream second) {
            this.first = first;
            this.second = second;
        }

        @Override
        public synchronized void write(int b) throws java.io.IOException {
            first.write(b);
            second.write(b);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) throws java.io.IOException {
            first.write(b, off, len);
            second.write(b, off, len);
        }
    }
}
