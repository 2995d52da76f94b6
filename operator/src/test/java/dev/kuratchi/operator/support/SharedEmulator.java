package dev.kuratchi.operator.support;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One emulator for a test class, registered as a static {@code @RegisterExtension} field: started before the class's
 * first test, its injected faults cleared after each test, stopped after the last.
 */
public final class SharedEmulator implements BeforeAllCallback, AfterEachCallback, AfterAllCallback {
    private EmulatorProcess process;

    public EmulatorProcess get() {
        if (process == null) {
            throw new IllegalStateException("the emulator runs only while the test class does");
        }
        return process;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        process = EmulatorProcess.start();
    }

    @Override
    public void afterEach(ExtensionContext context) {
        process.clearFaults();
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        if (process != null) {
            process.close();
            process = null;
        }
    }
}
