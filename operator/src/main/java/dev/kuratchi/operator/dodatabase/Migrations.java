package dev.kuratchi.operator.dodatabase;

import dev.kuratchi.client.admin.Migration;
import dev.kuratchi.client.schema.SchemaSql;
import dev.kuratchi.client.schema.Schemas;
import io.fabric8.kubernetes.api.model.ConfigMap;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/** The ordered migrations a DoDatabase asks for. */
public final class Migrations {
    private static final Pattern KEY = Pattern.compile("^(\\d{4}_[A-Za-z0-9_.-]{1,100})\\.sql$");

    private Migrations() {}

    /**
     * The migrations a built-in schema adds after its initial one, in order, each a file
     * {@code builtin/<schema>/<id>.sql} beside this class. The gateway refuses an applied migration whose SQL changed,
     * and the initial one is generated from the schema kuratchi-sdk shares: never edit either once released; add a
     * file and list it here.
     */
    private static final Map<String, List<String>> LATER = Map.of(
            "admin", List.of("0002_kuratchi_owners"),
            "organization", List.of());

    /** A built-in schema's migrations: its initial one, then those added later. */
    public static List<Migration> builtIn(String name) {
        if (!Schemas.BUILT_IN.contains(name)) {
            throw new InvalidSpecException("spec.schema.builtIn is '" + name + "'; use one of " + Schemas.BUILT_IN);
        }
        List<Migration> migrations = new ArrayList<>(List.of(SchemaSql.initialMigration(Schemas.builtIn(name))));
        for (String id : LATER.getOrDefault(name, List.of())) {
            migrations.add(new Migration(id, resource("builtin/" + name + "/" + id + ".sql")));
        }
        return List.copyOf(migrations);
    }

    private static String resource(String path) {
        try (InputStream in = Migrations.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("built-in migration " + path + " is missing from the operator's jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The ConfigMap's migrations in key order. Every key must be NNNN_name.sql, so a stray key is reported rather
     * than silently skipped or applied in a surprising order.
     */
    public static List<Migration> fromConfigMap(ConfigMap configMap) {
        Map<String, String> data = new TreeMap<>(configMap.getData() == null ? Map.of() : configMap.getData());
        List<Migration> migrations = new ArrayList<>();
        for (Map.Entry<String, String> entry : data.entrySet()) {
            var match = KEY.matcher(entry.getKey());
            if (!match.matches()) {
                throw new InvalidSpecException("InvalidMigrationName", "ConfigMap " + configMap.getMetadata().getName()
                        + " has key '" + entry.getKey() + "'; name every key NNNN_name.sql (e.g. 0001_create_users.sql)");
            }
            if (entry.getValue() == null || entry.getValue().isBlank()) {
                throw new InvalidSpecException("InvalidMigrationName", "ConfigMap " + configMap.getMetadata().getName()
                        + " key '" + entry.getKey() + "' is empty; put the migration's SQL in it");
            }
            migrations.add(new Migration(match.group(1), entry.getValue()));
        }
        return migrations;
    }
}
