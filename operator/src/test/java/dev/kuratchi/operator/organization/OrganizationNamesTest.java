package dev.kuratchi.operator.organization;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kuratchi.client.token.DatabaseNames;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.BinaryOperator;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The naming rules of KuratchiOrganization, with examples and generated inputs. */
class OrganizationNamesTest {
    private static final Pattern SLUG = Pattern.compile(OrganizationNames.SLUG_PATTERN);
    private static final String SLUG_CHARACTERS = "abcdefghijklmnopqrstuvwxyz0123456789-";
    private static final Map<String, BinaryOperator<String>> KINDS = Map.of(
            "kv", OrganizationNames::kvNamespaceTitle,
            "r2", OrganizationNames::r2BucketName,
            "queue", OrganizationNames::queueName);

    @Test
    void defaultSlugFromOrdinaryNames() {
        assertThat(OrganizationNames.defaultSlug("Acme Corp")).isEqualTo("acme-corp");
        assertThat(OrganizationNames.defaultSlug("acme_corp")).isEqualTo("acme-corp");
        assertThat(OrganizationNames.defaultSlug("  --Acme,   Corp!!  ")).isEqualTo("acme-corp");
        assertThat(OrganizationNames.defaultSlug("ACME.corp 2")).isEqualTo("acme-corp-2");
        assertThat(OrganizationNames.defaultSlug("acme")).isEqualTo("acme");
    }

    @Test
    void defaultSlugTransliteratesWhereTrivial() {
        assertThat(OrganizationNames.defaultSlug("Café Ünïon")).isEqualTo("cafe-union");
        // The same visible name, decomposed (as macOS writes it), gives the same slug.
        assertThat(OrganizationNames.defaultSlug(Normalizer.normalize("Café Ünïon", Normalizer.Form.NFD)))
                .isEqualTo("cafe-union");
        assertThat(OrganizationNames.defaultSlug("Straße İstanbul Łódź Ærø")).isEqualTo("strasse-istanbul-lodz-aero");
        assertThat(OrganizationNames.defaultSlug("Ｆｕｌｌ ｗｉｄｔｈ ①")).isEqualTo("full-width-1");
        assertThat(OrganizationNames.defaultSlug("Ωmega Café")).isEqualTo("mega-cafe");
    }

    @Test
    void defaultSlugFallsBackToADigestWhenNothingIsLeft() {
        String slug = OrganizationNames.defaultSlug("日本");
        assertThat(slug).isEqualTo("org-cf2abf0c5be3").matches(SLUG);
        assertThat(OrganizationNames.defaultSlug(" 日本 ")).isEqualTo(slug);
        assertThat(OrganizationNames.defaultSlug("中国")).isNotEqualTo(slug).startsWith("org-").hasSize(16);
        assertThat(OrganizationNames.defaultSlug("!!!")).startsWith("org-").hasSize(16);
        String decomposed = "\u1100\u1161"; // 가 written as two jamo: NFC composes it
        assertThat(OrganizationNames.defaultSlug(decomposed)).isEqualTo(OrganizationNames.defaultSlug("가"));
    }

    @Test
    void defaultSlugIsCutAfterTheLastWholeWord() {
        String words = "International Association of Very Long Organization Names and Friends";
        String slug = OrganizationNames.defaultSlug(words);
        assertThat(slug).isEqualTo("international-association-of-very-long-organization-names-and");
        assertThat(slug.length()).isLessThanOrEqualTo(63);

        assertThat(OrganizationNames.defaultSlug("a".repeat(100))).isEqualTo("a".repeat(63));
        // A word ending exactly at the limit is kept whole.
        assertThat(OrganizationNames.defaultSlug("b".repeat(63) + " c")).isEqualTo("b".repeat(63));
        assertThat(OrganizationNames.defaultSlug("d".repeat(62) + " ee")).isEqualTo("d".repeat(62));
    }

    @Test
    void defaultSlugRefusesAnEmptyName() {
        assertThatThrownBy(() -> OrganizationNames.defaultSlug("")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("organizationName");
        assertThatThrownBy(() -> OrganizationNames.defaultSlug("   ")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> OrganizationNames.defaultSlug(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void everyDefaultSlugIsAValidSlug() {
        Random random = new Random(12);
        for (int i = 0; i < 20_000; i++) {
            String name = randomName(random);
            if (name.isBlank()) {
                continue;
            }
            String slug = OrganizationNames.defaultSlug(name);
            assertThat(OrganizationNames.validateSlug(slug)).as("slug %s of %s", slug, name).isEmpty();
            assertThat(OrganizationNames.defaultSlug(name)).isEqualTo(slug);
        }
    }

    @Test
    void validSlugs() {
        for (String slug : List.of("a", "0", "acme", "acme-corp", "a--b", "org-cf2abf0c5be3", "x".repeat(63))) {
            assertThat(OrganizationNames.validateSlug(slug)).as(slug).isEmpty();
            assertThat(DatabaseNames.isValid(slug)).isTrue();
        }
    }

    @Test
    void invalidSlugsSayWhatToDo() {
        assertThat(OrganizationNames.validateSlug("Acme Corp")).hasValueSatisfying(message -> assertThat(message)
                .contains("'Acme Corp'", OrganizationNames.SLUG_RULE, "'acme-corp'"));
        assertThat(OrganizationNames.validateSlug("acme_corp")).hasValueSatisfying(message -> assertThat(message)
                .contains("'acme-corp'"));
        // Not even a database name: the database rule is named too.
        assertThat(OrganizationNames.validateSlug("acme.corp")).hasValueSatisfying(message -> assertThat(message)
                .contains(DatabaseNames.RULE, "'acme-corp'"));
        assertThat(OrganizationNames.validateSlug(" acme")).hasValueSatisfying(message -> assertThat(message)
                .contains(DatabaseNames.RULE));
        assertThat(OrganizationNames.validateSlug("")).hasValueSatisfying(message -> assertThat(message)
                .contains("omit it"));
        assertThat(OrganizationNames.validateSlug(null)).isPresent();
        for (String slug : List.of("-acme", "acme-", "-", "ACME", "acme corp", "x".repeat(64), "café", "日本",
                "a\tb", "a/b", "x".repeat(300))) {
            assertThat(OrganizationNames.validateSlug(slug)).as(slug).isPresent();
        }
        // The suggestion is itself valid.
        assertThat(OrganizationNames.validateSlug("x".repeat(64)).orElseThrow()).contains("'" + "x".repeat(63) + "'");
    }

    @Test
    void resourceNames() {
        for (String name : List.of("default", "a", "cache", "uploads-2", "x".repeat(20))) {
            assertThat(OrganizationNames.validateResourceName(name)).as(name).isEmpty();
        }
        for (String name : List.of("", "-a", "a-", "Cache", "up_loads", "x".repeat(21), "a.b")) {
            assertThat(OrganizationNames.validateResourceName(name)).as(name).hasValueSatisfying(message ->
                    assertThat(message).contains(OrganizationNames.RESOURCE_NAME_RULE, "true"));
        }
        assertThat(OrganizationNames.validateResourceName(null)).isPresent();
    }

    // A change here orphans every existing KV namespace, bucket and queue: never update these values, add a new
    // derivation next to the old one instead. Computed independently: "kuratchi-" + slug (cut to fit) + "-" +
    // resource name + "-" + the first 20 hex of sha256("kuratchi.dev/organization-resource/v1\n<slug>\n<resource>").
    @Test
    void pinnedNames() {
        assertThat(OrganizationNames.r2BucketName("acme-corp", "default"))
                .isEqualTo("kuratchi-acme-corp-default-cd9e23d2d452fe5155e5");
        assertThat(OrganizationNames.queueName("acme-corp", "emails"))
                .isEqualTo("kuratchi-acme-corp-emails-ee5ac8584a0d552a364e");
        assertThat(OrganizationNames.kvNamespaceTitle("a", "default")).isEqualTo("kuratchi-a-default-3f941ba2627df3f6cce9");
        assertThat(OrganizationNames.r2BucketName("x".repeat(63), "x".repeat(20)))
                .isEqualTo("kuratchi-xxxxxxxxxxxx-xxxxxxxxxxxxxxxxxxxx-502d4b7ab1f6b7c9e971");
    }

    @Test
    void theThreeKindsShareOneNamePerPair() {
        String name = OrganizationNames.r2BucketName("acme-corp", "default");
        assertThat(OrganizationNames.kvNamespaceTitle("acme-corp", "default")).isEqualTo(name);
        assertThat(OrganizationNames.queueName("acme-corp", "default")).isEqualTo(name);
    }

    @Test
    void longSlugsAreCutButKeepTheResourceName() {
        String slug = "international-association-of-very-long-organization-names-and";
        String name = OrganizationNames.r2BucketName(slug, "uploads");
        assertThat(name).hasSizeLessThanOrEqualTo(63).startsWith("kuratchi-international-").contains("-uploads-");
        // A cut that lands on a dash leaves no double dash.
        String dashed = "abcdefghijk-" + "l".repeat(40);
        assertThat(OrganizationNames.queueName(dashed, "x".repeat(20))).doesNotContain("--")
                .startsWith("kuratchi-abcdefghijk-xxxx");
    }

    @Test
    void invalidInputsAreRefusedNotMangled() {
        for (BinaryOperator<String> kind : KINDS.values()) {
            assertThatThrownBy(() -> kind.apply("Acme Corp", "default")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(OrganizationNames.SLUG_RULE);
            assertThatThrownBy(() -> kind.apply("acme", "Default")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(OrganizationNames.RESOURCE_NAME_RULE);
            assertThatThrownBy(() -> kind.apply(null, "default")).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> kind.apply("acme", null)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void lookalikePairsGetDifferentNames() {
        // The readable parts of these pairs coincide; only the digest tells them apart.
        assertDistinctForEveryKind(List.of(
                List.of("a-b", "c"), List.of("a", "b-c"),
                List.of("acme-corp", "default"), List.of("acme", "corp-default"), List.of("acme-corp-default", "a"),
                List.of("x".repeat(63), "a"), List.of("x".repeat(62), "a"), List.of("x".repeat(40) + "-y", "a"),
                List.of("x".repeat(40) + "-z", "a"), List.of("x".repeat(12) + "-" + "y".repeat(50), "a"),
                List.of("x".repeat(12) + "-" + "z".repeat(50), "a")));
        // Display names differing only in case or punctuation share a default slug: the second organization is
        // refused (same slug), it never gets the first one's resources.
        assertThat(List.of(OrganizationNames.defaultSlug("Acme Corp"), OrganizationNames.defaultSlug("acme-corp"),
                OrganizationNames.defaultSlug("acme_corp"))).containsOnly("acme-corp");
    }

    @Test
    void generatedSlugsGiveValidStableAndDistinctNames() {
        Random random = new Random(42);
        Set<List<String>> pairs = new LinkedHashSet<>();
        List<String> slugs = new ArrayList<>();
        for (int i = 0; i < 3_000; i++) {
            String slug = i % 3 == 0 ? OrganizationNames.defaultSlug("Org " + randomName(random) + i)
                    : randomSlug(random, 1 + random.nextInt(i % 2 == 0 ? 63 : 8));
            slugs.add(slug);
        }
        // Near neighbours of long slugs: same readable prefix, different tails.
        for (int i = 0; i < 500; i++) {
            String base = "tenant-" + "q".repeat(40);
            slugs.add(base + randomSlug(random, 1 + random.nextInt(63 - base.length())));
        }
        List<String> resourceNames = List.of("default", "a", "uploads", "x".repeat(20), "default-2", "d");
        for (String slug : slugs) {
            for (String resourceName : resourceNames) {
                pairs.add(List.of(slug, resourceName));
            }
            pairs.add(List.of(slug, randomSlug(random, 1 + random.nextInt(20))));
        }
        assertDistinctForEveryKind(new ArrayList<>(pairs));
    }

    private static void assertDistinctForEveryKind(List<List<String>> pairs) {
        for (Map.Entry<String, BinaryOperator<String>> kind : KINDS.entrySet()) {
            Map<String, List<String>> seen = new HashMap<>();
            for (List<String> pair : pairs) {
                String slug = pair.get(0);
                String resourceName = pair.get(1);
                assertThat(OrganizationNames.validateSlug(slug)).as(slug).isEmpty();
                assertThat(OrganizationNames.validateResourceName(resourceName)).as(resourceName).isEmpty();
                String name = kind.getValue().apply(slug, resourceName);
                assertCloudflareRule(kind.getKey(), name);
                assertThat(name).startsWith("kuratchi-");
                assertThat(kind.getValue().apply(slug, resourceName)).isEqualTo(name);
                List<String> earlier = seen.putIfAbsent(name, pair);
                assertThat(earlier).as("%s name %s of %s", kind.getKey(), name, pair).isNull();
            }
        }
    }

    private static void assertCloudflareRule(String kind, String name) {
        switch (kind) {
            case "r2" -> assertThat(name).matches("^[a-z0-9][a-z0-9-]*[a-z0-9]$").hasSizeBetween(3, 63);
            case "queue" -> assertThat(name).matches("^[a-z0-9]([a-z0-9-]*[a-z0-9])?$").hasSizeBetween(1, 63);
            case "kv" -> assertThat(name.getBytes(StandardCharsets.UTF_8).length).isBetween(1, 512);
            default -> throw new AssertionError(kind);
        }
    }

    // Printable ASCII mostly, some Latin letters with accents, sometimes long.
    private static String randomName(Random random) {
        String extra = "éüßøæÆŁİ日本 _.,!";
        int length = random.nextInt(10) == 0 ? 64 + random.nextInt(200) : random.nextInt(24);
        StringBuilder name = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            name.append(random.nextInt(8) == 0 ? extra.charAt(random.nextInt(extra.length()))
                    : (char) (' ' + random.nextInt(95)));
        }
        return name.toString();
    }

    private static String randomSlug(Random random, int length) {
        StringBuilder slug = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            boolean end = i == 0 || i == length - 1;
            slug.append(SLUG_CHARACTERS.charAt(random.nextInt(SLUG_CHARACTERS.length() - (end ? 1 : 0))));
        }
        return slug.toString();
    }
}
