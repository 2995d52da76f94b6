package dev.kuratchi.client.orm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kuratchi.client.admin.AdminClient;
import dev.kuratchi.client.gateway.GatewayClient;
import dev.kuratchi.client.gateway.GatewayException;
import dev.kuratchi.client.gateway.GatewayTransport;
import dev.kuratchi.client.gateway.Row;
import dev.kuratchi.client.gateway.Statement;
import dev.kuratchi.client.schema.DatabaseSchema;
import dev.kuratchi.client.schema.SchemaSql;
import dev.kuratchi.client.schema.Schemas;
import dev.kuratchi.client.support.WorkerProcess;
import dev.kuratchi.client.token.GatewayKey;
import dev.kuratchi.client.token.Tokens;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The ORM over the built-in organization schema, against the real Worker. */
class DatabaseIntegrationTest {
    private static final String KEY = "orm-integration-gateway-key";
    private static WorkerProcess worker;
    private static Database db;

    @BeforeAll
    static void start() {
        worker = WorkerProcess.start(KEY);
        db = provisioned("acme", Schemas.organization());
    }

    private static Database provisioned(String name, DatabaseSchema schema) {
        new AdminClient(worker.url(), GatewayKey.of(KEY), GatewayTransport.withDefaults())
                .provision(name, List.of(SchemaSql.initialMigration(schema)));
        GatewayClient gateway = GatewayClient.builder()
                .connection(worker.url(), new Tokens(GatewayKey.of(KEY), Clock.systemUTC()).issue(name, Duration.ofMinutes(5)))
                .build();
        return new Database(gateway, schema);
    }

    @AfterAll
    static void stop() throws Exception {
        worker.close();
    }

    private static Map<String, Object> user(String id, String email, String role, long attempts) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("id", id);
        row.put("email", email);
        row.put("role", role);
        row.put("accessAttempts", attempts);
        return row;
    }

    @Test
    void insertQueryUpdateDelete() {
        TableQuery users = db.table("users");
        users.all().delete();
        assertThat(users.insert(user("u1", "ann@acme.io", "owner", 0))).isEqualTo(1);
        assertThat(users.insertMany(List.of(user("u2", "bob@acme.io", "editor", 3), user("u3", "cy@acme.io", "member", 5))))
                .isEqualTo(2);

        assertThat(users.count()).isEqualTo(3);
        assertThat(users.where("email", "bob@acme.io").first()).map(r -> r.getString("id")).contains("u2");
        assertThat(users.where(Where.gte("accessAttempts", 3)).orderBy("email", Direction.DESC).many())
                .extracting(r -> r.getString("id")).containsExactly("u3", "u2");
        assertThat(users.where("role", "owner").orWhere("role", "member").select("id").orderBy("id").many())
                .extracting(r -> r.getString("id")).containsExactly("u1", "u3");
        assertThat(users.where(Where.in("id", List.of("u1", "u3"))).count()).isEqualTo(2);
        assertThat(users.where(Where.like("email", "%@acme.io")).limit(2).offset(1).orderBy("id").many())
                .extracting(r -> r.getString("id")).containsExactly("u2", "u3");
        assertThat(users.where("id", "nobody").exists()).isFalse();

        assertThat(users.where(Where.lt("accessAttempts", 5)).update(Map.of("status", true))).isEqualTo(2);
        Row ann = users.where("id", "u1").first().orElseThrow();
        assertThat(ann.getBoolean("status")).isTrue();
        assertThat(ann.getString("created_at")).isNotBlank();

        assertThat(users.where("id", "u3").delete()).isEqualTo(1);
        assertThat(users.count()).isEqualTo(2);
    }

    @Test
    void insertManyIsAtomicAndConstraintsComeBackAsGatewayErrors() {
        TableQuery roles = db.table("roles");
        roles.all().delete();
        List<Map<String, Object>> many = new java.util.ArrayList<>();
        for (int i = 0; i < 150; i++) {
            many.add(Map.of("id", "r" + i, "name", "role " + i));
        }
        assertThat(roles.insertMany(many)).isEqualTo(150);
        assertThat(roles.count()).isEqualTo(150);
        assertThatThrownBy(() -> roles.insertMany(List.of(Map.of("id", "new", "name", "x"), Map.of("id", "r1", "name", "dup"))))
                .isInstanceOfSatisfying(GatewayException.class, e -> assertThat(e.sqliteCode()).isEqualTo("SQLITE_CONSTRAINT"));
        assertThat(roles.where("id", "new").exists()).isFalse();
        assertThatThrownBy(() -> db.table("users").insert(user("u9", "x@y.z", "superadmin", 0)))
                .isInstanceOfSatisfying(GatewayException.class, e -> assertThat(e.getMessage()).contains("CHECK constraint"));
    }

    @Test
    void expiredSessionsAreFoundAndDeletedByTheInstantTheyWereInsertedWith() {
        Database sessions = provisioned("sessions", Schemas.organization());
        sessions.table("users").insert(user("s1", "sam@acme.io", "member", 0));
        TableQuery session = sessions.table("session");
        Instant now = Instant.now();
        session.insert(Map.of("sessionToken", "old", "userId", "s1", "expires", now.minusSeconds(60)));
        session.insert(Map.of("sessionToken", "new", "userId", "s1", "expires", now.plusSeconds(60)));

        assertThat(session.where(Where.lt("expires", now)).many()).extracting(r -> r.getString("sessionToken"))
                .containsExactly("old");
        assertThat(session.where(Map.of("expires", Map.of("gte", now))).count()).isEqualTo(1);
        assertThat(session.where(Where.in("expires", List.of(now.plusSeconds(60)))).exists()).isTrue();
        assertThat(session.where(Where.lt("expires", now)).delete()).isEqualTo(1);
        assertThat(session.where("expires", now.plusSeconds(60)).update(Map.of("expires", now.plusSeconds(120))))
                .isEqualTo(1);
        assertThat(session.first().orElseThrow().getLong("expires")).isEqualTo(now.plusSeconds(120).toEpochMilli());
    }

    @Test
    void longInListsMatchStringsAndNumbersInTheWorkersSqlite() {
        Database shop = provisioned("lists", Schemas.parse("""
                name: lists
                tables:
                  - name: items
                    columns:
                      - {name: id, type: integer, primaryKey: true}
                      - {name: name, type: text}
                      - {name: price, type: real}
                """));
        TableQuery items = shop.table("items");
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int i = 0; i < 150; i++) {
            rows.add(Map.of("id", i, "name", "item-" + i, "price", i + 0.5));
        }
        items.insertMany(rows);

        List<Integer> evenIds = IntStream.range(0, 150).filter(i -> i % 2 == 0).boxed().toList();
        assertThat(items.where(Where.in("id", evenIds)).count()).isEqualTo(75);
        assertThat(items.where(Where.notIn("id", evenIds)).count()).isEqualTo(75);
        List<String> names = Stream.concat(IntStream.range(0, 120).mapToObj(i -> "item-" + i), Stream.of("none", "x"))
                .toList();
        assertThat(items.where(Where.in("name", names)).count()).isEqualTo(120);
        assertThat(items.where(Where.notIn("name", names)).orderBy("id").limit(1).many())
                .extracting(r -> r.getLong("id")).containsExactly(120L);
        List<Double> prices = IntStream.range(0, 20).mapToObj(i -> i + 0.5).toList();
        assertThat(items.where(Where.in("price", prices)).count()).isEqualTo(20);

        // The long form matches exactly what the short one does, also where SQLite converts a value's type.
        List<Object> mixed = List.of("1", 2.0, 3L);
        List<Object> mixedLong = new ArrayList<>(mixed);
        IntStream.range(1000, 1010).forEach(mixedLong::add);
        assertThat(items.where(Where.in("id", mixed)).count()).isEqualTo(3);
        assertThat(items.where(Where.in("id", mixedLong)).count()).isEqualTo(3);

        // A 500-value list is one parameter, leaving room for 99 more in the same statement.
        List<Integer> ids = IntStream.range(0, 500).boxed().toList();
        Condition[] cheap = IntStream.range(0, 99).mapToObj(i -> Where.lte("price", 10.5 + i)).toArray(Condition[]::new);
        assertThat(items.where(Where.in("id", ids)).where(Where.allOf(cheap)).count()).isEqualTo(11);
        assertThat(items.where(Where.in("id", ids)).update(Map.of("name", "renamed"))).isEqualTo(150);
        assertThat(items.where(Where.notIn("id", ids)).delete()).isZero();
    }

    @Test
    void theWorkerBindsAtMostOneHundredParametersAndTheOrmNeverSendsMore() {
        GatewayClient gateway = db.gateway();
        assertThat(gateway.raw(Statement.of("SELECT " + String.join(", ", Collections.nCopies(100, "?")),
                Collections.nCopies(100, 1).toArray()), false).get(0)).hasSize(100);
        assertThatThrownBy(() -> gateway.query("SELECT " + String.join(", ", Collections.nCopies(101, "?")),
                Collections.nCopies(101, 1).toArray()))
                .isInstanceOfSatisfying(GatewayException.class, e -> assertThat(e.getMessage()).contains("too many SQL variables"));

        TableQuery users = db.table("users");
        assertThat(users.where(Where.anyOf(ids(TableQuery.MAX_PARAMS_PER_STATEMENT))).count()).isZero();
        assertThatThrownBy(() -> users.where(Where.anyOf(ids(TableQuery.MAX_PARAMS_PER_STATEMENT + 1))).count())
                .isInstanceOf(OrmException.class).hasMessageContaining("at most 100");
    }

    @Test
    void aThousandConditionsStayWithinTheWorkersExpressionDepth() {
        assertThatThrownBy(() -> db.gateway().query("SELECT 1 WHERE " + String.join(" AND ", Collections.nCopies(100, "1 = 1"))))
                .isInstanceOfSatisfying(GatewayException.class, e -> assertThat(e.getMessage()).contains("Expression tree is too large"));
        TableQuery users = db.table("users");
        for (int i = 0; i < 1000; i++) {
            users = users.where(Where.isNotNull("email"));
        }
        assertThat(users.count()).isEqualTo(db.table("users").count());
    }

    private static Condition[] ids(int count) {
        return IntStream.range(0, count).mapToObj(i -> Where.eq("id", "nobody-" + i)).toArray(Condition[]::new);
    }
}
