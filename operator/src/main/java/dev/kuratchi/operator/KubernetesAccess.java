package dev.kuratchi.operator;

import dev.kuratchi.operator.config.ConfigException;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.File;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * Start-up checks of the connection to Kubernetes, so that a wrong one stops the operator with one line instead of
 * the stack traces of every informer that fails to start.
 */
final class KubernetesAccess {
    private KubernetesAccess() {}

    /**
     * Fabric8 quietly falls back to the in-cluster address when KUBECONFIG names no file, so a typo in the path would
     * surface as an unknown host {@code kubernetes.default.svc}.
     */
    static void checkKubeconfig(Map<String, String> env) {
        String value = env.get("KUBECONFIG");
        if (value == null || value.isBlank()) {
            return;
        }
        boolean found = Arrays.stream(value.split(File.pathSeparator)).map(String::strip).filter(s -> !s.isEmpty())
                .anyMatch(file -> Files.isRegularFile(Path.of(file)));
        if (!found) {
            throw new ConfigException("KUBECONFIG names no file that exists: " + value);
        }
    }

    /** One request ({@code GET /version}); throws with one line when the API server does not answer it. */
    static void checkReachable(KubernetesClient client) {
        try {
            client.getKubernetesVersion();
        } catch (KubernetesClientException e) {
            URL server = client.getMasterUrl();
            String hint = server != null && "kubernetes.default.svc".equals(server.getHost())
                    ? " (no kubeconfig found: set KUBECONFIG, or run the operator in a cluster)" : "";
            throw new StartupException("cannot reach the Kubernetes API server at " + server + ": " + describe(e) + hint);
        }
    }

    /** Why the operator could not start (JOSDK wraps the cause several times), with what to do where it is known. */
    static String startFailure(Throwable e) {
        String why = describe(e);
        if (why.startsWith("HTTP 403")) {
            return why + " (grant the operator the ClusterRole in deploy/operator-clusterrole.yaml)";
        }
        if (why.startsWith("HTTP 404")) {
            return why + " (are the CRDs installed? kubectl apply -f crds/)";
        }
        return why;
    }

    /**
     * Says why in one line, without the exception chain: the first HTTP status an API server gave, with its message,
     * or else the innermost error (a network one, typically).
     */
    static String describe(Throwable e) {
        Throwable root = e;
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof KubernetesClientException k && k.getCode() > 0) {
                String message = k.getStatus() == null ? null : k.getStatus().getMessage();
                return oneLine("HTTP " + k.getCode() + (message == null || message.isBlank() ? "" : ": " + message));
            }
            root = t;
        }
        return oneLine(root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage()));
    }

    private static String oneLine(String text) {
        return text.replaceAll("\\s*\\R\\s*", " ");
    }

    /** A start-up failure that is not a setting: the process exits with 1 and this message. */
    static final class StartupException extends RuntimeException {
        StartupException(String message) {
            super(message);
        }
    }
}
