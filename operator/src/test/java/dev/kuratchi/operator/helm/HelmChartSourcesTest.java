package dev.kuratchi.operator.helm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kuratchi.operator.support.HelmChart;
import dev.kuratchi.operator.support.RealCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Helm reads no file outside the chart, so the chart holds copies of crds/ and of the RBAC and the finalizer guard in
 * deploy/ (which the end-to-end tier proves on the real API server), and its templates
 * render them as they are. These tests fail on the first byte a copy differs by, and say how to bring it back.
 */
class HelmChartSourcesTest {
    private static final Path ROOT = RealCluster.repositoryRoot();
    private static final Path FILES = HelmChart.path().resolve("files");

    private static List<String> names(Path dir, String suffix) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(suffix)).sorted().toList();
        }
    }

    @Test
    void theChartsCrdsAreTheFilesOfCrds() throws IOException {
        List<String> crds = names(ROOT.resolve("crds"), ".yml");
        assertThat(crds).isNotEmpty();
        assertThat(names(FILES.resolve("crds"), ".yml")).as("the CRDs in %s", FILES.resolve("crds"))
                .isEqualTo(crds);
        for (String crd : crds) {
            assertThat(Files.readString(FILES.resolve("crds").resolve(crd)))
                    .as("helm/kuratchi-operator/files/crds/%s differs from crds/%s: cp crds/*.yml "
                            + "helm/kuratchi-operator/files/crds/", crd, crd)
                    .isEqualTo(Files.readString(ROOT.resolve("crds").resolve(crd)));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"operator-clusterrole.yaml", "operator-leader-election-role.yaml", "finalizer-guard.yaml"})
    void theChartsRbacAndFinalizerGuardAreTheFilesOfDeploy(String file) throws IOException {
        assertThat(Files.readString(FILES.resolve("deploy").resolve(file)))
                .as("helm/kuratchi-operator/files/deploy/%s differs from deploy/%s: cp deploy/%s "
                        + "helm/kuratchi-operator/files/deploy/", file, file, file)
                .isEqualTo(Files.readString(ROOT.resolve("deploy").resolve(file)));
    }

    /** Every file the chart holds in files/deploy is one of deploy/'s, so none is left behind when deploy/ drops it. */
    @Test
    void theChartHoldsNoOtherCopy() throws IOException {
        assertThat(names(ROOT.resolve("deploy"), ".yaml")).containsAll(names(FILES.resolve("deploy"), ".yaml"));
    }

    @Test
    void theChartsVersionAndAppVersionAreTheProjects() throws IOException {
        String version = System.getProperty("kuratchi.project.version");
        assertThat(version).as("set by the pom").isNotBlank();
        JsonNode chart = HelmChart.documents(Files.readString(HelmChart.path().resolve("Chart.yaml"))).get(0);
        assertThat(chart.path("version").asText()).as("Chart.yaml version").isEqualTo(version);
        assertThat(chart.path("appVersion").asText()).as("Chart.yaml appVersion (the image's tag)").isEqualTo(version);
    }
}
