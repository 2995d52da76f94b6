package dev.kuratchi.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kuratchi.operator.config.ConfigException;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.OperatorException;
import java.io.File;
import java.net.ConnectException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KubernetesAccessTest {
    @Test
    void aKubeconfigPathThatNamesNoFileIsASettingToFix(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> KubernetesAccess.checkKubeconfig(Map.of("KUBECONFIG", dir.resolve("nope").toString())))
                .isInstanceOf(ConfigException.class)
                .hasMessage("KUBECONFIG names no file that exists: " + dir.resolve("nope"));

        Path present = Files.writeString(dir.resolve("config"), "apiVersion: v1\n");
        String list = dir.resolve("nope") + File.pathSeparator + present;
        assertThatCode(() -> KubernetesAccess.checkKubeconfig(Map.of("KUBECONFIG", list))).doesNotThrowAnyException();
        assertThatCode(() -> KubernetesAccess.checkKubeconfig(Map.of())).as("in a cluster, or ~/.kube/config")
                .doesNotThrowAnyException();
    }

    @Test
    void aStartFailureIsTheApiServersAnswerInOneLineWithWhatToDo() {
        KubernetesClientException forbidden = new KubernetesClientException(new StatusBuilder().withCode(403)
                .withMessage("dodatabases.kuratchi.dev is forbidden: User \"system:serviceaccount:x:y\" cannot list\n"
                        + "resource \"dodatabases\"").build());
        OperatorException wrapped = new OperatorException("Error starting operator",
                new OperatorException(new CompletionException(forbidden)));
        assertThat(KubernetesAccess.startFailure(wrapped)).isEqualTo("HTTP 403: dodatabases.kuratchi.dev is forbidden: "
                + "User \"system:serviceaccount:x:y\" cannot list resource \"dodatabases\" (grant the operator the "
                + "ClusterRole in deploy/operator-clusterrole.yaml)");

        KubernetesClientException missing = new KubernetesClientException(new StatusBuilder().withCode(404)
                .withMessage("the server could not find the requested resource").build());
        assertThat(KubernetesAccess.startFailure(new OperatorException(missing))).isEqualTo("HTTP 404: the server "
                + "could not find the requested resource (are the CRDs installed? kubectl apply -f crds/)");
    }

    @Test
    void aNetworkFailureIsItsInnermostCause() {
        KubernetesClientException refused = new KubernetesClientException("Operation: [get] failed",
                new CompletionException(new ConnectException("Connection refused")));
        assertThat(KubernetesAccess.describe(refused)).isEqualTo("ConnectException: Connection refused");
    }
}
