package dev.kuratchi.operator;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The CRDs checked in under crds/ are exactly the generated ones. */
class CrdDriftTest {
    @Test
    void checkedInCrdsMatchTheGeneratedOnes() throws IOException {
        Path generated = Path.of("target/classes/META-INF/fabric8");
        Path checkedIn = Path.of(System.getProperty("kuratchi.crds.dir", "../crds"));
        try (Stream<Path> files = Files.list(generated)) {
            var crds = files.filter(f -> f.toString().endsWith(".yml")).toList();
            assertThat(crds).isNotEmpty();
            for (Path crd : crds) {
                Path copy = checkedIn.resolve(crd.getFileName());
                assertThat(copy).as("crds/%s is missing; regenerate as crds/README.md says", crd.getFileName()).exists();
                assertThat(Files.readString(copy)).as("crds/%s differs from the generated CRD; regenerate it as "
                        + "crds/README.md says, never edit it by hand", crd.getFileName()).isEqualTo(Files.readString(crd));
            }
        }
    }
}
