package dev.kuratchi.operator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.kuratchi.operator.support.Dockerfile;
import dev.kuratchi.operator.support.RealCluster;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPath;
import javax.xml.xpath.XPathConstants;
import javax.xml.xpath.XPathFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * image/Dockerfile and the Jib build in operator/pom.xml (profile "image") make the same image: the same entrypoint,
 * user, working directory, port and labels, and the entrypoint's files come from what the builds make; the chart's values
 * run it as it is meant to run. Checked without building either (no Docker engine runs here); ImageE2ETest runs the
 * image Jib builds.
 */
class ImageDefinitionTest {
    private static final Path ROOT = RealCluster.repositoryRoot();
    private static final Pattern PROPERTY = Pattern.compile("\\$\\{([^}]+)}");

    private final Dockerfile dockerfile = Dockerfile.read(ROOT.resolve("image/Dockerfile"));
    private final Pom pom = new Pom();

    /** The operator's pom, its Jib configuration, and the properties its values name. */
    private static final class Pom {
        private final XPath xpath = XPathFactory.newInstance().newXPath();
        private final Document operator = parse(ROOT.resolve("operator/pom.xml"));
        private final Map<String, String> properties = new LinkedHashMap<>();
        private final Element jib;

        Pom() {
            Document parent = parse(ROOT.resolve("pom.xml"));
            properties.put("project.version", text(parent, "/project/version"));
            properties.put("project.basedir", "operator");
            properties.put("project.build.directory", "operator/target");
            properties.put("project.build.finalName", text(operator, "/project/artifactId") + "-"
                    + properties.get("project.version"));
            for (Element property : elements(parent, "/project/properties/*")) {
                properties.put(property.getTagName(), property.getTextContent().trim());
            }
            for (Element property : elements(operator, "/project/profiles/profile[id='image']/properties/*")) {
                properties.put(property.getTagName(), property.getTextContent().trim());
            }
            jib = elements(operator, "/project/profiles/profile[id='image']/build/plugins/plugin"
                    + "[artifactId='jib-maven-plugin']/configuration").get(0);
        }

        private static Document parse(Path file) {
            try {
                return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(file.toFile());
            } catch (Exception e) {
                throw new AssertionError("cannot read " + file, e);
            }
        }

        List<Element> elements(Object context, String path) {
            try {
                NodeList nodes = (NodeList) xpath.evaluate(path, context, XPathConstants.NODESET);
                List<Element> found = new ArrayList<>();
                for (int i = 0; i < nodes.getLength(); i++) {
                    found.add((Element) nodes.item(i));
                }
                return found;
            } catch (Exception e) {
                throw new AssertionError(path, e);
            }
        }

        String text(Object context, String path) {
            List<Element> found = elements(context, path);
            assertThat(found).as(path).hasSize(1);
            return resolve(found.get(0).getTextContent().trim());
        }

        List<String> texts(Object context, String path) {
            return elements(context, path).stream().map(e -> resolve(e.getTextContent().trim())).toList();
        }

        String resolve(String value) {
            Matcher property = PROPERTY.matcher(value);
            return property.replaceAll(m -> Matcher.quoteReplacement(resolve(properties.getOrDefault(m.group(1),
                    m.group()))));
        }

        String jib(String path) {
            return text(jib, path);
        }

        Map<String, String> labels() {
            Map<String, String> labels = new LinkedHashMap<>();
            for (Element label : elements(jib, "container/labels/*")) {
                labels.put(label.getTagName(), resolve(label.getTextContent().trim()));
            }
            return labels;
        }

        /** The arguments of the exec-maven-plugin execution with this id in the profile. */
        List<String> execArguments(String id) {
            return texts(operator, "/project/profiles/profile[id='image']/build/plugins/plugin"
                    + "[artifactId='exec-maven-plugin']/executions/execution[id='" + id + "']/configuration/arguments/*");
        }
    }

    @Test
    void theEntrypointUserWorkingDirectoryPortAndLabelsAreTheJibBuilds() {
        assertThat(dockerfile.entrypoint()).isEqualTo(pom.texts(pom.jib, "container/entrypoint/arg"));
        // The JVM's options are the environment's JAVA_TOOL_OPTIONS, so that whoever runs the image can replace them.
        Map<String, String> environment = new LinkedHashMap<>();
        for (Element variable : pom.elements(pom.jib, "container/environment/*")) {
            environment.put(variable.getTagName(), pom.resolve(variable.getTextContent().trim()));
        }
        assertThat(environment).containsOnlyKeys("JAVA_TOOL_OPTIONS");
        assertThat(dockerfile.pairs("ENV")).containsAllEntriesOf(environment);
        assertThat(dockerfile.one("USER")).isEqualTo(pom.jib("container/user"));
        assertThat(dockerfile.one("WORKDIR")).isEqualTo(pom.jib("container/workingDirectory"));
        assertThat(dockerfile.one("EXPOSE")).isEqualTo(pom.jib("container/ports/port"));
        assertThat(dockerfile.pairs("LABEL")).isEqualTo(pom.labels())
                .containsEntry("org.opencontainers.image.version", pom.properties.get("project.version"))
                .containsKey("org.opencontainers.image.source");
        assertThat(dockerfile.one("FROM")).as("the Dockerfile's runtime: distroless, with the nonroot user's home")
                .endsWith(":nonroot");
    }

    @Test
    void theUserIsNumericNotRootAndTheBasesNonrootUser() throws Exception {
        String user = pom.jib("container/user");
        // Numeric, so that Kubernetes can check runAsNonRoot without a passwd file; the chart runs 65532 too.
        assertThat(user).matches("[1-9][0-9]*:[1-9][0-9]*").isEqualTo("65532:65532");
        assertThat(Files.readString(ROOT.resolve("image/base.sh"))).contains("\nNONROOT=65532\n");
    }

    /** The chart (helm/kuratchi-operator) runs this image, as its user, on its port, with its JVM options. */
    @Test
    void theChartsValuesAreTheImages() throws Exception {
        JsonNode values = new ObjectMapper(new YAMLFactory()).readTree(ROOT.resolve("helm/kuratchi-operator/values.yaml")
                .toFile());
        assertThat(values.at("/image/repository").asText()).isEqualTo(pom.properties.get("image.repository"));
        String[] user = pom.jib("container/user").split(":");
        assertThat(values.at("/podSecurityContext/runAsUser").asText()).isEqualTo(user[0]);
        assertThat(values.at("/podSecurityContext/runAsGroup").asText()).isEqualTo(user[1]);
        assertThat(values.at("/http/port").asText()).isEqualTo(pom.jib("container/ports/port"));
        // The chart sets JAVA_TOOL_OPTIONS, which replaces the image's: by default, with the same options.
        assertThat(values.at("/jvm/options").asText()).isEqualTo(pom.jib("container/environment/JAVA_TOOL_OPTIONS"));
    }

    @Test
    void theEntrypointsFilesAreWhatTheBuildsMake() throws Exception {
        List<String> entrypoint = dockerfile.entrypoint();
        assertThat(entrypoint).containsExactly("/opt/java/bin/java", "-Dfile.encoding=UTF-8", "-jar",
                "/app/kuratchi-operator.jar");

        // The jar: the shaded one the package phase makes, under one name whatever the version.
        String shaded = pom.properties.get("project.build.finalName") + ".jar";
        List<String> copies = dockerfile.all("COPY");
        String jarCopy = copies.stream().filter(c -> c.endsWith(" /app/kuratchi-operator.jar")).findFirst().orElseThrow();
        String[] words = jarCopy.split("\\s+");
        assertThat(words[0]).isEqualTo("--from=build");
        assertThat(words[1]).startsWith("/src/operator/target/");
        var glob = FileSystems.getDefault().getPathMatcher("glob:" + words[1].substring("/src/operator/target/".length()));
        assertThat(glob.matches(Path.of(shaded))).as(words[1] + " copies " + shaded).isTrue();
        assertThat(glob.matches(Path.of("original-" + shaded))).as("not the jar shade replaced").isFalse();
        assertThat(glob.matches(Path.of(pom.properties.get("project.build.finalName") + "-image.tar"))).isFalse();
        assertThat(String.join(" ", dockerfile.stage("build").stream().map(i -> i.keyword() + " " + i.arguments())
                .toList())).contains("WORKDIR /src", "COPY . .", "mvn -B -q -pl operator -am package");
        assertThat(pom.execArguments("image-jar")).endsWith("operator/target/" + shaded,
                "operator/target/image/app/kuratchi-operator.jar");
        assertThat(pom.elements(pom.jib, "extraDirectories/paths/path")).singleElement().satisfies(path -> {
            assertThat(pom.text(path, "from")).isEqualTo("operator/target/image/app");
            assertThat(pom.text(path, "into")).isEqualTo("/app");
        });

        // The Java runtime: image/base.sh's jlink, at /opt/java, in both.
        assertThat(String.join(" ", dockerfile.stage("build").stream().map(Dockerfile.Instruction::arguments)
                .toList())).contains("bash image/base.sh jre /opt/java");
        assertThat(copies).contains("--from=build /opt/java /opt/java");
        assertThat(Files.readString(ROOT.resolve("image/base.sh"))).contains("\nJAVA_DIR=/opt/java\n");
        assertThat(pom.execArguments("image-base")).containsExactly("operator/../image/base.sh", "archive",
                "operator/target/image/base.tar");
        assertThat(pom.jib("from/image")).isEqualTo("tar://operator/target/image/base.tar");
    }
}
