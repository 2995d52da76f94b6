package dev.kuratchi.operator.organization;

import dev.kuratchi.client.token.DatabaseNames;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.Normalizer;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The naming rules of a KuratchiOrganization: its default slug, what a slug and a resource name may be, and the
 * Cloudflare names derived from them. Pure functions; every output here names something that outlives the operator
 * (a database, a bucket, a queue), so <b>a change to any derivation orphans existing resources</b>: the tests pin exact
 * values, and a new derivation needs a new version tag and a migration, never an edit.
 *
 * <h2>The slug: a DNS label, not any database name</h2>
 * The slug is the organization's identity: its database name (by default), its {@code organizationSlug} in the admin
 * database, and the readable part of its Cloudflare names. The operator accepts only {@value #SLUG_RULE} (a DNS
 * label), although the database name rule ({@link DatabaseNames}) allows much more, and kuratchi-sdk named databases
 * after display names such as {@code Acme Corp}. The trade-off:
 * <ul>
 *   <li>For the narrow rule: every Cloudflare name can carry the slug readably and unchanged (R2 and Queues take only
 *       lowercase letters, digits and dashes); the slug is a valid Kubernetes label value, so the reconciler can label
 *       its objects with it and find a second organization with the same slug by a label selector; it is typed in
 *       URLs, CLIs and wrangler configs without quoting; and two slugs that differ only in case or punctuation
 *       ({@code Acme Corp}, {@code acme-corp}, {@code acme_corp}) cannot both exist and confuse humans.</li>
 *   <li>Against it: a team migrating from kuratchi-sdk cannot keep a database named {@code Acme Corp} by choosing
 *       that as its slug. That need is better met by naming the database separately (an optional, immutable
 *       {@code spec.databaseName} with the full {@link DatabaseNames} rule, defaulting to the slug, handed to the
 *       child DoDatabase with its {@code existingData: Adopt}) than by widening the slug: a wide slug would make
 *       every Cloudflare name lossy, leave uniqueness to the digest alone, and make the slug unusable as a label.</li>
 * </ul>
 * Every valid slug is also a valid database name; {@link #validateSlug} checks both rules and reuses
 * {@link DatabaseNames} for the second, so a change there is seen here.
 *
 * <h2>Cloudflare names: readable, stable, and unique per account even against a hostile tenant</h2>
 * The reconciler adopts a Cloudflare resource that already carries the derived name (an earlier attempt died before
 * writing status), so two different (slug, resource name) pairs mapping to one name would hand one tenant another
 * tenant's bucket. A readable name cannot be injective within 63 characters (slug 63 + resource name 20 + prefix do
 * not fit), so every name ends in {@value #DIGEST_HEX} hex characters ({@value #DIGEST_BITS} bits) of a SHA-256 of the
 * exact pair, and a collision needs a second preimage of that digest. The readable part in front also has to match,
 * which makes the attack single-target: a tenant can only aim at an organization whose name has the same readable
 * part, not at all of them at once, so the work stays near 2^{@value #DIGEST_BITS} rather than dropping with the
 * number of organizations. The names are {@code kuratchi-<slug, cut to fit>-<resource name>-<digest>}; the three kinds use the
 * same string (their rules coincide for it), so an admin finds an organization's KV namespace, bucket and queue by
 * one search. The prefix tells an account admin what made them.
 */
public final class OrganizationNames {
    /** The slug rule, for messages and {@code kubectl explain}. */
    public static final String SLUG_RULE = "1-63 lowercase letters, digits and '-', starting and ending with a letter "
            + "or digit";
    /** The slug pattern without the length limit, readable alike by Java, JavaScript and Kubernetes' RE2. */
    public static final String SLUG_PATTERN = "^[a-z0-9]([a-z0-9-]*[a-z0-9])?$";
    public static final int SLUG_MAX_LENGTH = 63;

    /** The resource name used when {@code spec.resources.kv} (or r2, queues) is just {@code true}. */
    public static final String DEFAULT_RESOURCE_NAME = "default";
    public static final String RESOURCE_NAME_RULE = "1-20 lowercase letters, digits and '-', starting and ending with "
            + "a letter or digit";
    public static final String RESOURCE_NAME_PATTERN = SLUG_PATTERN;
    /** Short, so that a cut slug keeps at least 12 readable characters next to it in a 63-character name. */
    public static final int RESOURCE_NAME_MAX_LENGTH = 20;

    /** Every Cloudflare name starts with this, so an account admin sees what made it. */
    public static final String CLOUDFLARE_PREFIX = "kuratchi-";
    /** R2 bucket names: 3-63 characters (Cloudflare's published pattern, plus the length). */
    public static final Pattern R2_BUCKET_NAME = Pattern.compile("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$");
    /** Queue names: 1-63 lowercase letters, digits and dashes, starting and ending with a letter or digit. */
    public static final Pattern QUEUE_NAME = Pattern.compile("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$");
    /** KV namespace titles take any text; the operator keeps them within this many UTF-8 bytes. */
    public static final int KV_TITLE_MAX_BYTES = 512;

    /** The ConfigMap {@code <metadata.name>-cloudflare} that lists an organization's Cloudflare ids. */
    public static final String CONFIGMAP_SUFFIX = "-cloudflare";
    /** ConfigMap names are DNS subdomains: at most 253 characters. */
    public static final int CONFIGMAP_NAME_MAX_LENGTH = 253;

    static final int DIGEST_HEX = 20;
    static final int DIGEST_BITS = DIGEST_HEX * 4;
    /** Versions the derivation: a new derivation is a new tag, never a silent change of this one. */
    private static final String DIGEST_TAG = "kuratchi.dev/organization-resource/v1";
    private static final int CLOUDFLARE_MAX_LENGTH = 63;
    private static final int FALLBACK_HEX = 12;
    private static final String FALLBACK_PREFIX = "org-";

    private static final Pattern SLUG = Pattern.compile(SLUG_PATTERN);
    private static final Pattern COMBINING_MARKS = Pattern.compile("\\p{M}+");
    private static final Pattern NOT_SLUG_CHARACTERS = Pattern.compile("[^a-z0-9]+");
    /** Letters NFKD leaves whole but whose ASCII spelling is obvious; lowercase, as they are looked up after it. */
    private static final Map<Character, String> LETTERS = Map.of(
            'ß', "ss", 'æ', "ae", 'œ', "oe", 'ø', "o", 'ł', "l", 'đ', "d", 'ð', "d", 'þ', "th", 'ı', "i");

    private OrganizationNames() {}

    /**
     * The slug of an organization whose spec has none, from its display name. Lowercase ASCII, because slugs are
     * ({@link #SLUG_RULE}); accents and compatibility forms become their base letters (NFKD, then combining marks
     * dropped: {@code Café Ünïon} is {@code cafe-union}, {@code Ｆｕｌｌ} is {@code full}) and a few letters with an
     * obvious spelling are spelled out ({@code ß} is {@code ss}), so a Latin-script name stays recognisable; every
     * other run of characters becomes one {@code -}, because that is how people write slugs; leading and trailing
     * {@code -} go, because a slug starts and ends alphanumeric. Longer than 63 characters, it is cut after the last
     * whole word that fits (a single longer word is cut at 63). A name with nothing left ({@code 日本}) gets
     * {@code org-} and 12 hex characters of the SHA-256 of its trimmed NFC form: deterministic, so a rerun finds the
     * same organization, and the same for the same visible name however it was encoded.
     *
     * <p>The reconciler should record the slug it used (in status) rather than recompute it: the result depends on
     * the JDK's Unicode tables for characters that a later Unicode version assigns.
     *
     * @throws IllegalArgumentException when the name is null or blank (an organization needs a name)
     */
    public static String defaultSlug(String organizationName) {
        if (organizationName == null || organizationName.isBlank()) {
            throw new IllegalArgumentException("organizationName is empty: give the organization a display name");
        }
        String decomposed = Normalizer.normalize(organizationName, Normalizer.Form.NFKD);
        String lower = COMBINING_MARKS.matcher(decomposed).replaceAll("").toLowerCase(Locale.ROOT);
        StringBuilder spelled = new StringBuilder(lower.length());
        for (char c : lower.toCharArray()) {
            spelled.append(LETTERS.getOrDefault(c, String.valueOf(c)));
        }
        String slug = trimDashes(NOT_SLUG_CHARACTERS.matcher(spelled).replaceAll("-"));
        if (slug.length() > SLUG_MAX_LENGTH) {
            boolean wholeWord = slug.charAt(SLUG_MAX_LENGTH) == '-';
            slug = slug.substring(0, SLUG_MAX_LENGTH);
            int lastDash = slug.lastIndexOf('-');
            if (!wholeWord && lastDash > 0) {
                slug = slug.substring(0, lastDash);
            }
            slug = trimDashes(slug);
        }
        if (slug.isEmpty()) {
            String canonical = Normalizer.normalize(organizationName.strip(), Normalizer.Form.NFC);
            return FALLBACK_PREFIX + sha256Hex(canonical, FALLBACK_HEX);
        }
        return slug;
    }

    /**
     * What is wrong with a slug, and what to do, or empty when it is valid: a valid database name
     * ({@link DatabaseNames}), because it becomes one, and {@link #SLUG_RULE}, so that every Cloudflare name can be
     * built from it (see the class comment).
     */
    public static Optional<String> validateSlug(String slug) {
        if (slug == null || slug.isEmpty()) {
            return Optional.of("slug is empty: omit it to derive one from organizationName, or use " + SLUG_RULE);
        }
        if (!DatabaseNames.isValid(slug)) {
            return Optional.of("slug '" + slug + "' cannot be a database name (" + DatabaseNames.RULE + "): use "
                    + SLUG_RULE + suggestion(slug));
        }
        if (slug.length() > SLUG_MAX_LENGTH || !SLUG.matcher(slug).matches()) {
            return Optional.of("slug '" + slug + "' is not a valid slug: use " + SLUG_RULE + suggestion(slug));
        }
        return Optional.empty();
    }

    /**
     * What is wrong with a name listed under {@code spec.resources.kv}, {@code r2} or {@code queues}, and what to do,
     * or empty when it is valid: {@value #RESOURCE_NAME_RULE}, so that it fits readably into every Cloudflare name
     * next to the slug.
     */
    public static Optional<String> validateResourceName(String resourceName) {
        if (resourceName == null || resourceName.length() > RESOURCE_NAME_MAX_LENGTH
                || !SLUG.matcher(resourceName).matches()) {
            return Optional.of("resource name '" + resourceName + "' is not valid: use " + RESOURCE_NAME_RULE
                    + ", or true for one resource named " + DEFAULT_RESOURCE_NAME);
        }
        return Optional.empty();
    }

    /**
     * The title of the organization's KV namespace {@code resourceName}. Titles take any text; this one is the same
     * string as the bucket and queue names, well within {@value #KV_TITLE_MAX_BYTES} bytes.
     *
     * @throws IllegalArgumentException when the slug or the resource name is invalid
     */
    public static String kvNamespaceTitle(String slug, String resourceName) {
        String title = cloudflareName(slug, resourceName);
        if (title.getBytes(StandardCharsets.UTF_8).length > KV_TITLE_MAX_BYTES) {
            throw new IllegalStateException("KV namespace title too long: " + title);
        }
        return title;
    }

    /**
     * The name of the organization's R2 bucket {@code resourceName} ({@link #R2_BUCKET_NAME}).
     *
     * @throws IllegalArgumentException when the slug or the resource name is invalid
     */
    public static String r2BucketName(String slug, String resourceName) {
        return requireMatch(R2_BUCKET_NAME, cloudflareName(slug, resourceName), "R2 bucket name");
    }

    /**
     * The name of the organization's queue {@code resourceName} ({@link #QUEUE_NAME}).
     *
     * @throws IllegalArgumentException when the slug or the resource name is invalid
     */
    public static String queueName(String slug, String resourceName) {
        return requireMatch(QUEUE_NAME, cloudflareName(slug, resourceName), "queue name");
    }

    /**
     * The ConfigMap {@code <metadata.name>-cloudflare}. A resource name longer than 242 characters, valid for the
     * organization itself, leaves no room for the suffix.
     *
     * @throws IllegalArgumentException when the ConfigMap name would be longer than a Kubernetes name may be
     */
    public static String configMapName(String organizationResourceName) {
        resourceNameProblem(organizationResourceName).ifPresent(problem -> {
            throw new IllegalArgumentException(problem);
        });
        return organizationResourceName + CONFIGMAP_SUFFIX;
    }

    /** What is wrong with an organization's metadata.name: one too long leaves no room for its ConfigMap's suffix. */
    public static Optional<String> resourceNameProblem(String organizationResourceName) {
        int room = CONFIGMAP_NAME_MAX_LENGTH - CONFIGMAP_SUFFIX.length();
        return organizationResourceName.length() <= room ? Optional.empty() : Optional.of("metadata.name is "
                + organizationResourceName.length() + " characters, too long for its ConfigMap <name>"
                + CONFIGMAP_SUFFIX + ": recreate the organization with a name of at most " + room + " characters");
    }

    // kuratchi-<slug cut to fit>-<resource name>-<digest>. The resource name is kept whole (at most 20 characters),
    // so an admin tells an organization's resources apart even when its slug is long; the slug keeps at least 12.
    private static String cloudflareName(String slug, String resourceName) {
        validateSlug(slug).ifPresent(problem -> {
            throw new IllegalArgumentException(problem);
        });
        validateResourceName(resourceName).ifPresent(problem -> {
            throw new IllegalArgumentException(problem);
        });
        String digest = sha256Hex(DIGEST_TAG + '\n' + slug + '\n' + resourceName, DIGEST_HEX);
        int slugRoom = CLOUDFLARE_MAX_LENGTH - CLOUDFLARE_PREFIX.length() - resourceName.length() - DIGEST_HEX - 2;
        String readableSlug = slug.length() <= slugRoom ? slug : trimDashes(slug.substring(0, slugRoom));
        return CLOUDFLARE_PREFIX + readableSlug + '-' + resourceName + '-' + digest;
    }

    private static String requireMatch(Pattern pattern, String name, String kind) {
        if (!pattern.matcher(name).matches()) {
            throw new IllegalStateException("derived " + kind + " breaks Cloudflare's rule: " + name);
        }
        return name;
    }

    private static String suggestion(String slug) {
        String suggested = slug.isBlank() ? "" : defaultSlug(slug);
        return suggested.isEmpty() || suggested.equals(slug) ? "" : ", such as '" + suggested + "'";
    }

    private static String trimDashes(String value) {
        int start = 0;
        int end = value.length();
        while (start < end && value.charAt(start) == '-') {
            start++;
        }
        while (end > start && value.charAt(end - 1) == '-') {
            end--;
        }
        return value.substring(start, end);
    }

    private static String sha256Hex(String value, int hexCharacters) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, hexCharacters / 2);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
