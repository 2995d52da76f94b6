package dev.kuratchi.operator.config;

import dev.kuratchi.client.token.GatewayKey;
import dev.kuratchi.operator.dodatabase.Durations;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The operator's configuration, from environment variables; each secret may instead come from a mounted file
 * ({@code <NAME>_FILE}). {@link #fromEnvironment} fails with one line saying what to set.
 */
public record OperatorConfig(
        String cloudflareApiToken,
        String accountId,
        URI cloudflareApiBaseUrl,
        Optional<String> workersSubdomain,
        GatewayKey gatewayKey,
        Optional<GatewayKey> previousGatewayKey,
        Optional<URI> gatewayUrl,
        String scriptName,
        Set<String> watchNamespaces,
        Set<String> gatewayKeyNamespaces,
        Set<String> adoptionNamespaces,
        Duration storageCheckInterval,
        int reconcileThreads,
        Duration revocationGracePeriod,
        int cloudflareRequestsPerWindow,
        Duration cloudflareWindow,
        String httpHost,
        int httpPort,
        String adminNamespace,
        String adminDatabaseName,
        String instance,
        LeaderElection leaderElection) {

    public static final String DEFAULT_API_BASE = "https://api.cloudflare.com/client/v4";
    /**
     * Every tenant holds a token, which is an HMAC sample of the key, and the deployed Worker's bundle hash depends
     * on it: a short key could be searched for from either.
     */
    public static final int MIN_GATEWAY_KEY_BYTES = 32;
    private static final Pattern ACCOUNT_ID = Pattern.compile("^[0-9a-f]{32}$");
    private static final Pattern NAMESPACE = Pattern.compile("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$");
    // A Kubernetes object name without '.', which no database name holds.
    private static final Pattern OBJECT_NAME = Pattern.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$");
    /**
     * A Lease's name: a DNS subdomain, dots allowed, as the API server, the chart's schema and Helm's release names
     * (the chart's default Lease name is the release's full name) allow.
     */
    private static final Pattern LEASE_NAME =
            Pattern.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$");

    public static OperatorConfig fromEnvironment(Map<String, String> env) {
        Reader read = new Reader(env);
        String accountId = read.required("KURATCHI_CF_ACCOUNT_ID", "the Cloudflare account id (32 hex digits)");
        if (!ACCOUNT_ID.matcher(accountId).matches()) {
            throw new ConfigException("KURATCHI_CF_ACCOUNT_ID must be 32 lowercase hex digits (the account id in the "
                    + "Cloudflare dashboard URL)");
        }
        return new OperatorConfig(
                read.secret("KURATCHI_CF_API_TOKEN", "a Cloudflare API token with Workers Scripts Write").orElseThrow(),
                accountId,
                read.uri("KURATCHI_CF_API_BASE_URL").orElse(URI.create(DEFAULT_API_BASE)),
                read.optional("KURATCHI_WORKERS_SUBDOMAIN"),
                gatewayKey("KURATCHI_GATEWAY_KEY", read.secret("KURATCHI_GATEWAY_KEY", "the master gateway key")
                        .orElseThrow()),
                read.optionalSecret("KURATCHI_GATEWAY_KEY_PREVIOUS").map(k -> gatewayKey("KURATCHI_GATEWAY_KEY_PREVIOUS", k)),
                read.uri("KURATCHI_GATEWAY_URL"),
                read.optional("KURATCHI_WORKER_SCRIPT_NAME").orElse("kuratchi-do-internal"),
                read.namespaces("KURATCHI_WATCH_NAMESPACES"),
                read.namespaces("KURATCHI_GATEWAY_KEY_NAMESPACES"),
                read.namespaces("KURATCHI_ADOPTION_NAMESPACES"),
                atLeast("KURATCHI_STORAGE_CHECK_INTERVAL", read.duration("KURATCHI_STORAGE_CHECK_INTERVAL",
                        Duration.ofMinutes(10)), Duration.ofSeconds(1)),
                read.integer("KURATCHI_RECONCILE_THREADS", 10),
                read.duration("KURATCHI_TOKEN_REVOCATION_GRACE", Duration.ofMinutes(5)),
                read.integer("KURATCHI_CF_RATE_LIMIT", 1000),
                read.duration("KURATCHI_CF_RATE_WINDOW", Duration.ofMinutes(5)),
                read.optional("KURATCHI_HTTP_HOST").orElse("0.0.0.0"),
                read.integer("KURATCHI_HTTP_PORT", 8080),
                // The operator's own namespace, as the downward API gives it to the pod.
                adminNamespace(read.optional("KURATCHI_ADMIN_NAMESPACE").or(() -> read.optional("POD_NAMESPACE"))
                        .orElse("kuratchi-system")),
                adminDatabaseName(read.optional("KURATCHI_ADMIN_DATABASE").orElse("kuratchi-admin")),
                // The replica's name, in the Lease and on events: the pod's (unique among the pods alive at once,
                // and a container restarted in its pod takes its own Lease back at once), otherwise the host name and
                // a random suffix, so that two processes on one host never both believe they lead.
                read.optional("POD_NAME").orElseGet(() -> read.optional("HOSTNAME").orElse("kuratchi-operator") + "_"
                        + UUID.randomUUID()),
                new LeaderElection(read.bool("KURATCHI_LEADER_ELECTION", false),
                        leaseName("KURATCHI_LEADER_ELECTION_LEASE_NAME",
                                read.optional("KURATCHI_LEADER_ELECTION_LEASE_NAME").orElse("kuratchi-operator")),
                        // Where its pods run, which the Lease Role is bound in, whatever the admin namespace.
                        adminNamespace(read.optional("POD_NAMESPACE").or(() -> read.optional("KURATCHI_ADMIN_NAMESPACE"))
                                .orElse("kuratchi-system"))));
    }

    /**
     * When enabled, one replica at a time reconciles: the one holding the Lease {@code namespace/leaseName}, in the
     * operator's own namespace. The others keep their caches warm and take over when it stops renewing.
     */
    public record LeaderElection(boolean enabled, String leaseName, String namespace) {}

    private static String leaseName(String name, String value) {
        if (value.length() > 253 || !LEASE_NAME.matcher(value).matches()) {
            throw new ConfigException(name + " is not an object name: use lowercase letters, digits, '-' and '.', "
                    + "each part between dots starting and ending with a letter or digit");
        }
        return value;
    }

    private static String adminDatabaseName(String name) {
        if (!dev.kuratchi.client.token.DatabaseNames.isValid(name)) {
            throw new ConfigException("KURATCHI_ADMIN_DATABASE is not a database name: use "
                    + dev.kuratchi.client.token.DatabaseNames.RULE);
        }
        // The operator makes the admin DoDatabase under this name at start: refused by the API server, it never would.
        if (name.length() > 250 || !OBJECT_NAME.matcher(name).matches()) {
            throw new ConfigException("KURATCHI_ADMIN_DATABASE is also the admin DoDatabase's metadata.name: use "
                    + "lowercase letters, digits and '-', starting and ending with a letter or digit, at most 250 "
                    + "characters");
        }
        return name;
    }

    private static String adminNamespace(String namespace) {
        if (!NAMESPACE.matcher(namespace).matches()) {
            throw new ConfigException("KURATCHI_ADMIN_NAMESPACE is not a namespace name: use lowercase letters, "
                    + "digits and '-', starting and ending with a letter or digit, at most 63 characters");
        }
        return namespace;
    }

    private static Duration atLeast(String name, Duration value, Duration minimum) {
        if (value.compareTo(minimum) < 0) {
            throw new ConfigException(name + " must be at least " + Durations.format(minimum));
        }
        return value;
    }

    private static GatewayKey gatewayKey(String name, String value) {
        if (value.getBytes(StandardCharsets.UTF_8).length < MIN_GATEWAY_KEY_BYTES) {
            throw new ConfigException(name + " is shorter than " + MIN_GATEWAY_KEY_BYTES + " bytes; use a random key, "
                    + "for example: openssl rand -hex 32");
        }
        return GatewayKey.of(value);
    }

    /** The URL apps reach the gateway at, given the account's workers.dev subdomain. */
    public URI gatewayEndpoint(String subdomain) {
        return gatewayUrl.orElseGet(() -> URI.create("https://" + scriptName + "." + subdomain + ".workers.dev"));
    }

    @Override
    public String toString() {
        return "OperatorConfig[account=" + accountId + ", api=" + cloudflareApiBaseUrl + ", script=" + scriptName
                + ", gatewayKey=" + gatewayKey.fingerprint() + ", namespaces=" + (watchNamespaces.isEmpty() ? "all"
                : watchNamespaces) + ", gatewayKeyNamespaces=" + gatewayKeyNamespaces + ", adoptionNamespaces="
                + adoptionNamespaces + ", threads=" + reconcileThreads + ", leaderElection=" + (leaderElection.enabled()
                ? "Lease " + leaderElection.namespace() + "/" + leaderElection.leaseName() + " as " + instance
                : "off") + "]";
    }

    private record Reader(Map<String, String> env) {
        Optional<String> optional(String name) {
            return Optional.ofNullable(env.get(name)).map(String::strip).filter(v -> !v.isEmpty());
        }

        String required(String name, String what) {
            return optional(name).orElseThrow(() -> new ConfigException("missing " + name + ": set it to " + what));
        }

        // A secret is taken as written but for line breaks around it and spaces after it: a gateway key may start with
        // a space and still work in kuratchi-sdk's `Bearer <key>` header, where HTTP trims only the end.
        private static String secretText(String value) {
            return value.replaceFirst("^[\\r\\n]+", "").stripTrailing();
        }

        Optional<String> optionalSecret(String name) {
            Optional<String> direct = Optional.ofNullable(env.get(name)).map(Reader::secretText).filter(v -> !v.isEmpty());
            Optional<String> file = optional(name + "_FILE");
            if (direct.isPresent() && file.isPresent()) {
                throw new ConfigException("set " + name + " or " + name + "_FILE, not both");
            }
            if (file.isEmpty()) {
                return direct;
            }
            try {
                String value = secretText(Files.readString(Path.of(file.get()), StandardCharsets.UTF_8));
                if (value.isEmpty()) {
                    throw new ConfigException(name + "_FILE points at an empty file: " + file.get());
                }
                return Optional.of(value);
            } catch (IOException e) {
                throw new ConfigException("cannot read " + name + "_FILE (" + file.get() + "): " + e.getMessage());
            }
        }

        Optional<String> secret(String name, String what) {
            Optional<String> value = optionalSecret(name);
            if (value.isEmpty()) {
                throw new ConfigException("missing " + name + " (or " + name + "_FILE): set it to " + what);
            }
            return value;
        }

        Optional<URI> uri(String name) {
            return optional(name).map(value -> {
                URI uri;
                try {
                    uri = URI.create(value.replaceAll("/+$", ""));
                } catch (IllegalArgumentException e) {
                    throw new ConfigException(name + " is not a URL: " + value);
                }
                if (!"https".equals(uri.getScheme()) && !"http".equals(uri.getScheme()) || uri.getHost() == null) {
                    throw new ConfigException(name + " must be an http(s) URL, got " + value);
                }
                return uri;
            });
        }

        Set<String> namespaces(String name) {
            return optional(name).map(v -> Arrays.stream(v.split(",")).map(String::strip).filter(s -> !s.isEmpty())
                    .collect(Collectors.toUnmodifiableSet())).orElse(Set.of());
        }

        boolean bool(String name, boolean fallback) {
            return optional(name).map(value -> switch (value.toLowerCase(Locale.ROOT)) {
                case "true" -> true;
                case "false" -> false;
                default -> throw new ConfigException(name + " must be true or false, got " + value);
            }).orElse(fallback);
        }

        int integer(String name, int fallback) {
            return optional(name).map(value -> {
                try {
                    int parsed = Integer.parseInt(value);
                    if (parsed <= 0) {
                        throw new NumberFormatException();
                    }
                    return parsed;
                } catch (NumberFormatException e) {
                    throw new ConfigException(name + " must be a positive whole number, got " + value);
                }
            }).orElse(fallback);
        }

        Duration duration(String name, Duration fallback) {
            return optional(name).map(value -> {
                try {
                    return Durations.parse(value);
                } catch (IllegalArgumentException e) {
                    throw new ConfigException(name + ": " + e.getMessage());
                }
            }).orElse(fallback);
        }
    }
}
