package dev.kuratchi.operator.crd;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A build step, not used by the operator at runtime: puts the {@code additionalPrinterColumns} of each generated CRD
 * into the order of its class's {@link AdditionalPrinterColumn} annotations, the order {@code kubectl get} prints
 * them in. The Fabric8 generator sorts them by {@code jsonPath} instead (fabric8io/kubernetes-client#3153, #7454),
 * which put AGE first; its Maven plugin (7.5.2) has no hook to change that ({@code CRDGenerator.withPostProcessor}
 * exists only for programmatic use), so operator/pom.xml runs this right after it, at process-classes, over
 * {@code target/classes/META-INF/fabric8}.
 *
 * <p>Only the list moves: its items are cut out of the generator's text and put back in the new order, so every other
 * byte stays the generator's, and the result must parse to the generated CRD with just its columns reordered. The
 * build fails on a column no annotation declares (a field's {@code @PrinterColumn} has no place in the class's
 * order: declare it on the class), an annotation with no column, and a generated file no listed class accounts for.
 */
public final class PrinterColumnOrder {
    private static final Pattern LIST_KEY = Pattern.compile("^ *(- )?additionalPrinterColumns:\\s*$");
    private static final KubernetesSerialization YAML = new KubernetesSerialization();

    private PrinterColumnOrder() {
    }

    /** {@code <directory of generated CRDs> <custom resource class>...}: every class whose CRD is generated there. */
    public static void main(String[] args) throws IOException, ClassNotFoundException {
        if (args.length < 2) {
            throw new IllegalArgumentException("usage: PrinterColumnOrder <generated CRD directory> <class>...");
        }
        Map<String, Map<String, Class<?>>> kindsByFile = new TreeMap<>();
        for (int i = 1; i < args.length; i++) {
            Class<?> kind = Class.forName(args[i], false, PrinterColumnOrder.class.getClassLoader());
            kindsByFile.computeIfAbsent(fileName(kind), f -> new HashMap<>()).put(HasMetadata.getVersion(kind), kind);
        }
        List<Path> crds;
        try (Stream<Path> files = Files.list(Path.of(args[0]))) {
            crds = files.filter(f -> f.getFileName().toString().endsWith(".yml")).sorted().toList();
        }
        for (Path crd : crds) {
            Map<String, Class<?>> kinds = kindsByFile.remove(crd.getFileName().toString());
            if (kinds == null) {
                throw new IllegalStateException(crd + " was generated but its class is not listed for PrinterColumnOrder "
                        + "in operator/pom.xml, so its printer columns would stay sorted by jsonPath: list it there");
            }
            String generated = Files.readString(crd);
            String ordered = reorder(generated, kinds);
            if (!ordered.equals(generated)) {
                Files.writeString(crd, ordered);
            }
            System.out.println("[PrinterColumnOrder] " + crd.getFileName() + ": columns in annotation order");
        }
        if (!kindsByFile.isEmpty()) {
            throw new IllegalStateException("no generated CRD in " + args[0] + " for " + kindsByFile.values());
        }
    }

    /** The name the generator gives the file of {@code kind}'s CRD. */
    public static String fileName(Class<?> kind) {
        return CustomResource.getCRDName(kind) + "-v1.yml";
    }

    /**
     * {@code crdYaml} (as the generator wrote it) with each version's printer columns in the annotation order of the
     * class of that version in {@code kindsByVersion}, and nothing else changed.
     */
    public static String reorder(String crdYaml, Map<String, Class<?>> kindsByVersion) {
        CustomResourceDefinition crd = YAML.unmarshal(crdYaml, CustomResourceDefinition.class);
        String name = crd.getMetadata().getName();
        List<String> lines = List.of(crdYaml.split("(?<=\\n)"));
        StringBuilder out = new StringBuilder();
        int line = 0;
        for (CustomResourceDefinitionVersion version : crd.getSpec().getVersions()) {
            Class<?> kind = kindsByVersion.get(version.getName());
            if (kind == null) {
                throw new IllegalStateException("no class listed for version " + version.getName() + " of " + name);
            }
            List<CustomResourceColumnDefinition> columns = version.getAdditionalPrinterColumns() == null ? List.of()
                    : version.getAdditionalPrinterColumns();
            List<AdditionalPrinterColumn> declared = requireSameColumns(kind, columns);
            if (columns.isEmpty()) {
                continue;
            }
            while (line < lines.size() && !LIST_KEY.matcher(lines.get(line)).matches()) {
                out.append(lines.get(line++));
            }
            List<StringBuilder> items = new ArrayList<>();
            if (line < lines.size()) {
                out.append(lines.get(line++));
                int indent = line < lines.size() ? indentOf(lines.get(line)) : 0;
                for (; line < lines.size(); line++) {
                    String text = lines.get(line);
                    boolean next = indentOf(text) == indent && text.startsWith("- ", indent);
                    if (!next && (items.isEmpty() || !text.isBlank() && indentOf(text) <= indent)) {
                        break;
                    }
                    if (next) {
                        items.add(new StringBuilder());
                    }
                    items.get(items.size() - 1).append(text);
                }
            }
            if (items.size() != columns.size()) {
                throw new IllegalStateException("found " + items.size() + " printer columns of version "
                        + version.getName() + " of " + name + " in the text, " + columns.size()
                        + " in the YAML: the generator's format changed");
            }
            List<CustomResourceColumnDefinition> ordered = new ArrayList<>();
            for (AdditionalPrinterColumn annotation : declared) {
                int index = indexOf(columns, annotation.jsonPath());
                out.append(items.get(index));
                ordered.add(columns.get(index));
            }
            version.setAdditionalPrinterColumns(ordered);
        }
        lines.subList(line, lines.size()).forEach(out::append);
        String result = out.toString();
        if (!YAML.unmarshal(result, CustomResourceDefinition.class).equals(crd)) {
            throw new IllegalStateException("reordering the printer columns of " + name + " changed more than their "
                    + "order: the generator's format changed");
        }
        return result;
    }

    /** The class's annotations, in source order, after checking they declare exactly {@code columns}. */
    private static List<AdditionalPrinterColumn> requireSameColumns(Class<?> kind,
            List<CustomResourceColumnDefinition> columns) {
        List<AdditionalPrinterColumn> declared = List.of(kind.getAnnotationsByType(AdditionalPrinterColumn.class));
        for (CustomResourceColumnDefinition column : columns) {
            if (declared.stream().noneMatch(a -> a.jsonPath().equals(column.getJsonPath()))) {
                throw new IllegalStateException("printer column " + column.getName() + " (" + column.getJsonPath()
                        + ") of the CRD of " + kind.getName() + " has no @AdditionalPrinterColumn on the class, so it "
                        + "has no place in the order kubectl prints: declare it there");
            }
        }
        for (AdditionalPrinterColumn annotation : declared) {
            if (declared.stream().filter(a -> a.jsonPath().equals(annotation.jsonPath())).count() > 1) {
                throw new IllegalStateException("two @AdditionalPrinterColumn of " + kind.getName() + " share the "
                        + "jsonPath " + annotation.jsonPath() + "; the generator keeps only one of them");
            }
            if (indexOf(columns, annotation.jsonPath()) < 0) {
                throw new IllegalStateException("@AdditionalPrinterColumn " + annotation.name() + " ("
                        + annotation.jsonPath() + ") of " + kind.getName() + " has no column in the generated CRD");
            }
        }
        return declared;
    }

    private static int indexOf(List<CustomResourceColumnDefinition> columns, String jsonPath) {
        for (int i = 0; i < columns.size(); i++) {
            if (columns.get(i).getJsonPath().equals(jsonPath)) {
                return i;
            }
        }
        return -1;
    }

    private static int indentOf(String line) {
        int indent = 0;
        while (indent < line.length() && line.charAt(indent) == ' ') {
            indent++;
        }
        return indent;
    }
}
