package dev.kuratchi.operator.support;

import dev.kuratchi.client.support.WorkerProcess;
import dev.kuratchi.client.token.GatewayKey;
import java.net.URI;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The real gateway Worker in workerd for one test class, with its gateway key: a static {@code @RegisterExtension}
 * field starts it before the class's tests and stops it after them (the client's {@link WorkerProcess}).
 */
public final class GatewayWorker implements BeforeAllCallback, AfterAllCallback {
    private final GatewayKey key;
    private WorkerProcess process;

    /** {@code key}: the gateway key the Worker holds (at least 32 characters). */
    public GatewayWorker(String key) {
        this.key = GatewayKey.of(key);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        process = WorkerProcess.start(key.reveal());
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        if (process != null) {
            process.close();
        }
    }

    public GatewayKey key() {
        return key;
    }

    public URI url() {
        return process.url();
    }
}
