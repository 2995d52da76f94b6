package dev.kuratchi.client.orm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kuratchi.client.gateway.Statement;
import dev.kuratchi.client.schema.DatabaseSchema;
import dev.kuratchi.client.schema.Schemas;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/** The SQL every ORM call builds, without a gateway. */
class TableQueryTest {
    private final Database db = new Database(null, Schemas.parse("""
            name: shop
            tables:
              - name: users
                columns:
                  - {name: id, type: integer, primaryKey: true}
                  - {name: email, type: text, notNull: true}
                  - {name: name, type: text}
                  - {name: age, type: integer}
                  - {name: avatar, type: blob}
                  - {name: created, type: integer, mode: timestamp_ms}
            """));

    private TableQuery users() {
        return db.table("users");
    }

    /** Integers in {@code params} are compared as the Longs a Statement holds them as. */
    private static void assertSql(Statement statement, String sql, Object... params) {
        assertThat(statement.sql()).isEqualTo(sql);
        assertThat(statement.params()).containsExactly(
                Arrays.stream(params).map(p -> p instanceof Integer i ? (Object) i.longValue() : p).toArray());
    }

    @Test
    void selectWithEveryOperator() {
        assertSql(users().selectStatement(), "SELECT * FROM \"users\"");
        assertSql(users().where("email", "a@b.c").selectStatement(), "SELECT * FROM \"users\" WHERE \"email\" = ?", "a@b.c");
        assertSql(users().where("name", null).selectStatement(), "SELECT * FROM \"users\" WHERE \"name\" IS NULL");
        assertSql(users().where(Where.ne("name", "x")).where(Where.gt("age", 1)).where(Where.gte("age", 2))
                .where(Where.lt("age", 9)).where(Where.lte("age", 8)).where(Where.like("email", "%@x.io"))
                .selectStatement(),
                "SELECT * FROM \"users\" WHERE (\"name\" <> ? AND \"age\" > ? AND \"age\" >= ? AND \"age\" < ? "
                        + "AND \"age\" <= ? AND \"email\" LIKE ?)", "x", 1, 2, 9, 8, "%@x.io");
        assertSql(users().where(Where.in("id", List.of(1L, 2L, 3L))).where(Where.notIn("age", List.of(7))).selectStatement(),
                "SELECT * FROM \"users\" WHERE (\"id\" IN (?, ?, ?) AND \"age\" NOT IN (?))", 1L, 2L, 3L, 7);
        assertSql(users().where(Where.isNull("name")).where(Where.isNotNull("email")).selectStatement(),
                "SELECT * FROM \"users\" WHERE (\"name\" IS NULL AND \"email\" IS NOT NULL)");
    }

    @Test
    void equalityNeverBecomesLikeAndAnEmptyInMatchesNothing() {
        assertSql(users().where("name", "org_acme%").selectStatement(),
                "SELECT * FROM \"users\" WHERE \"name\" = ?", "org_acme%");
        assertSql(users().where(Where.in("id", List.of())).selectStatement(), "SELECT * FROM \"users\" WHERE 0 = 1");
        assertSql(users().where(Where.notIn("id", List.of())).selectStatement(), "SELECT * FROM \"users\" WHERE 1 = 1");
    }

    @Test
    void orGroupsAndAnyOf() {
        assertSql(users().where("email", "a").where("age", 3).orWhere("name", "b").selectStatement(),
                "SELECT * FROM \"users\" WHERE ((\"email\" = ? AND \"age\" = ?) OR \"name\" = ?)", "a", 3, "b");
        assertSql(users().where(Where.anyOf(Where.eq("name", "a"), Where.allOf(Where.gt("age", 1), Where.lt("age", 5))))
                .selectStatement(),
                "SELECT * FROM \"users\" WHERE (\"name\" = ? OR (\"age\" > ? AND \"age\" < ?))", "a", 1, 5);
    }

    @Test
    void anAnyOfStaysInsideTheConditionItIsAndedWith() {
        assertSql(users().where("name", "t1").where(Where.anyOf(Where.eq("age", 1), Where.eq("age", 2))).deleteStatement(),
                "DELETE FROM \"users\" WHERE (\"name\" = ? AND (\"age\" = ? OR \"age\" = ?))", "t1", 1, 2);
        assertSql(users().where(Where.allOf(Where.eq("name", "t1"), Where.anyOf(Where.isNull("age"), Where.gt("age", 3))))
                        .orWhere("id", 9).countStatement(),
                "SELECT COUNT(*) AS \"count\" FROM \"users\" WHERE ((\"name\" = ? AND (\"age\" IS NULL OR \"age\" > ?))"
                        + " OR \"id\" = ?)", "t1", 3, 9);
    }

    @Test
    void aLongChainOfConditionsIsSplitSoItsExpressionStaysShallow() {
        assertSql(users().where(Where.anyOf(ages(8))).selectStatement(), "SELECT * FROM \"users\" WHERE ("
                + IntStream.range(0, 8).mapToObj(i -> "\"age\" = ?").collect(Collectors.joining(" OR ")) + ")",
                0, 1, 2, 3, 4, 5, 6, 7);
        String four = "(\"age\" = ? OR \"age\" = ? OR \"age\" = ? OR \"age\" = ?)";
        assertSql(users().where(Where.anyOf(ages(9))).selectStatement(),
                "SELECT * FROM \"users\" WHERE (" + four + " OR (" + four.substring(1, four.length() - 1) + " OR \"age\" = ?))",
                0, 1, 2, 3, 4, 5, 6, 7, 8);
        TableQuery chained = users();
        for (int i = 0; i < 1000; i++) {
            chained = chained.where(Where.isNotNull("email"));
        }
        String sql = chained.selectStatement().sql();
        int depth = 0;
        int deepest = 0;
        for (char c : sql.toCharArray()) {
            depth += c == '(' ? 1 : c == ')' ? -1 : 0;
            deepest = Math.max(deepest, depth);
        }
        assertThat(deepest).isLessThan(10);
    }

    @Test
    void kuratchiMapForm() {
        Map<String, Object> where = new LinkedHashMap<>();
        where.put("age", Map.of("gte", 18));
        where.put("name", null);
        where.put("id", Map.of("in", List.of(1, 2)));
        assertSql(users().where(where).selectStatement(),
                "SELECT * FROM \"users\" WHERE (\"age\" >= ? AND \"name\" IS NULL AND \"id\" IN (?, ?))", 18, 1, 2);
        assertSql(users().where(Map.of("name", Map.of("isNull", false))).selectStatement(),
                "SELECT * FROM \"users\" WHERE \"name\" IS NOT NULL");
        assertThatThrownBy(() -> users().where(Map.of("age", Map.of("between", 1))))
                .hasMessageContaining("unknown operator 'between'");
        assertThatThrownBy(() -> users().where(Map.of())).hasMessageContaining("use all()");
    }

    @Test
    void mapFormRefusesAValueItsOperatorCannotUseAndSaysWhatItNeeds() {
        assertThatThrownBy(() -> users().where(Map.of("name", Map.of("like", 5)))).isInstanceOf(OrmException.class)
                .hasMessage("operator 'like' on column 'name' needs a String pattern, got java.lang.Integer");
        assertThatThrownBy(() -> users().where(Map.of("name", Map.of("isNull", "yes")))).isInstanceOf(OrmException.class)
                .hasMessage("operator 'isNull' on column 'name' needs true or false, got java.lang.String");
        assertThatThrownBy(() -> users().where(Map.of("id", Map.of("in", 3)))).isInstanceOf(OrmException.class)
                .hasMessage("operator 'in' on column 'id' needs a collection of values, got java.lang.Integer");
        assertThatThrownBy(() -> users().where(Map.of("id", Map.of("notIn", "1,2")))).isInstanceOf(OrmException.class)
                .hasMessage("operator 'notIn' on column 'id' needs a collection of values, got java.lang.String");
        assertThatThrownBy(() -> users().where(Map.of("age", Map.of("gt", Map.of("nested", 1)))))
                .isInstanceOf(OrmException.class)
                .hasMessageStartingWith("operator 'gt' on column 'age': unsupported SQL parameter type java.util.")
                .hasMessageContaining("String, Long, Integer, Double, Boolean, byte[], Instant or null");
        assertThatThrownBy(() -> users().where(Map.of("id", List.of(1, 2)))).isInstanceOf(OrmException.class)
                .hasMessageStartingWith("operator 'eq' on column 'id': unsupported SQL parameter type java.util.");
        assertThatThrownBy(() -> users().where(Map.of("id", Map.of("in", List.of(1, new Object())))))
                .isInstanceOf(OrmException.class)
                .hasMessageStartingWith("operator 'in' on column 'id': unsupported SQL parameter type java.lang.Object");
        assertSql(users().where(Map.of("name", Map.of("like", "a%"))).selectStatement(),
                "SELECT * FROM \"users\" WHERE \"name\" LIKE ?", "a%");
        assertSql(users().where(Map.of("name", Map.of("isNull", true))).selectStatement(),
                "SELECT * FROM \"users\" WHERE \"name\" IS NULL");
    }

    @Test
    void whereBindsAnInstantAsEpochMillisecondsLikeInsertAndUpdate() {
        Instant at = Instant.ofEpochMilli(1234);
        assertSql(users().where(Where.lt("created", at)).orWhere("created", at).selectStatement(),
                "SELECT * FROM \"users\" WHERE (\"created\" < ? OR \"created\" = ?)", 1234L, 1234L);
        assertSql(users().where(Map.of("created", Map.of("gte", at))).countStatement(),
                "SELECT COUNT(*) AS \"count\" FROM \"users\" WHERE \"created\" >= ?", 1234L);
        assertSql(users().where(Where.in("created", List.of(at))).where(Where.notIn("created", List.of(at)))
                        .deleteStatement(),
                "DELETE FROM \"users\" WHERE (\"created\" IN (?) AND \"created\" NOT IN (?))", 1234L, 1234L);
        assertSql(users().where(Where.ne("created", at)).updateStatement(Map.of("created", at)),
                "UPDATE \"users\" SET \"created\" = ? WHERE \"created\" <> ?", 1234L, 1234L);
        assertThatThrownBy(() -> users().insertStatements(List.of(Map.of("email", new StringBuilder("x")))))
                .isInstanceOf(OrmException.class)
                .hasMessageStartingWith("column 'email' of insert(): unsupported SQL parameter type java.lang.StringBuilder");
    }

    @Test
    void anInListLongerThanTenValuesBindsAsOneJsonParameter() {
        List<Long> ids = LongStream.rangeClosed(1, 150).boxed().toList();
        List<String> names = IntStream.range(0, 11).mapToObj(i -> "n" + i).toList();
        Statement statement = users().where(Where.in("id", ids)).where(Where.notIn("name", names))
                .where(Where.in("age", List.of(1, 2))).selectStatement();
        assertThat(statement.sql()).isEqualTo("SELECT * FROM \"users\" WHERE (\"id\" IN (SELECT value FROM json_each(?))"
                + " AND \"name\" NOT IN (SELECT value FROM json_each(?)) AND \"age\" IN (?, ?))");
        assertThat(statement.params()).containsExactly(
                ids.stream().map(String::valueOf).collect(Collectors.joining(",", "[", "]")),
                names.stream().map(n -> '"' + n + '"').collect(Collectors.joining(",", "[", "]")), 1L, 2L);
        assertThat(users().where(Where.in("age", List.of(1, 2.5, true, Instant.ofEpochMilli(7), "x", 6, 7, 8, 9, 10, 11)))
                .selectStatement().params()).containsExactly("[1,2.5,true,7,\"x\",6,7,8,9,10,11]");
        List<byte[]> blobs = IntStream.range(0, 11).mapToObj(i -> new byte[] {(byte) i}).toList();
        assertThatThrownBy(() -> Where.in("avatar", blobs)).isInstanceOf(OrmException.class)
                .hasMessageContaining("operator 'in' on column 'avatar'").hasMessageContaining("blob");
    }

    @Test
    void aStatementOverTheGatewaysParameterLimitIsRefusedBeforeAnyRequest() {
        TableQuery hundred = users().where(Where.anyOf(ages(100)));
        assertThat(hundred.countStatement().params()).hasSize(100);
        TableQuery over = users().where(Where.anyOf(ages(101)));
        // No gateway: anything that got as far as sending would fail with a NullPointerException instead.
        for (Runnable call : List.<Runnable>of(over::many, over::count, over::exists, over::delete,
                () -> hundred.update(Map.of("name", "x")), over::first)) {
            assertThatThrownBy(call::run).isInstanceOf(OrmException.class)
                    .hasMessageContaining("on 'users' needs 101 parameters").hasMessageContaining("at most 100");
        }
        List<Long> many = LongStream.range(0, 500).boxed().toList();
        assertThat(users().where(Where.in("id", many)).where(Where.notIn("age", many)).selectStatement().params())
                .hasSize(2);

        DatabaseSchema wide = Schemas.parse("name: wide\ntables:\n  - name: t\n    columns:\n"
                + IntStream.range(0, 101).mapToObj(i -> "      - {name: c" + i + ", type: integer}\n")
                        .collect(Collectors.joining()));
        Map<String, Object> row = new LinkedHashMap<>();
        IntStream.range(0, 101).forEach(i -> row.put("c" + i, i));
        TableQuery t = new Database(null, wide).table("t");
        assertThatThrownBy(() -> t.insert(row)).isInstanceOf(OrmException.class)
                .hasMessageContaining("INSERT on 't' needs 101 parameters");
        assertThatThrownBy(() -> t.all().update(row)).isInstanceOf(OrmException.class)
                .hasMessageContaining("UPDATE on 't' needs 101 parameters");
    }

    private static Condition[] ages(int count) {
        return IntStream.range(0, count).mapToObj(i -> Where.eq("age", i)).toArray(Condition[]::new);
    }

    @Test
    void projectionOrderLimitOffset() {
        assertSql(users().select("id", "email").orderBy("age", Direction.DESC).orderBy("id").limit(10).offset(20)
                        .selectStatement(),
                "SELECT \"id\", \"email\" FROM \"users\" ORDER BY \"age\" DESC, \"id\" ASC LIMIT 10 OFFSET 20");
        assertSql(users().offset(5).selectStatement(), "SELECT * FROM \"users\" LIMIT -1 OFFSET 5");
        assertThatThrownBy(() -> users().limit(-1)).isInstanceOf(OrmException.class);
    }

    @Test
    void countAndExists() {
        assertSql(users().where("age", 3).countStatement(), "SELECT COUNT(*) AS \"count\" FROM \"users\" WHERE \"age\" = ?", 3);
        assertSql(users().existsStatement(), "SELECT EXISTS(SELECT 1 FROM \"users\") AS \"e\"");
    }

    @Test
    void insertOneAndManyWithinTheParameterLimit() {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("email", "a@b.c");
        row.put("avatar", new byte[] {1, 2});
        row.put("created", Instant.ofEpochMilli(1234));
        Statement one = users().insertStatements(List.of(row)).get(0);
        assertThat(one.sql()).isEqualTo("INSERT INTO \"users\" (\"email\", \"avatar\", \"created\") VALUES (?, ?, ?)");
        assertThat(one.params()).hasSize(3).element(2).isEqualTo(1234L);

        assertSql(users().insertStatements(List.of(Map.of("name", "x", "email", "y"))).get(0),
                "INSERT INTO \"users\" (\"email\", \"name\") VALUES (?, ?)", "y", "x");

        List<Map<String, Object>> rows = new ArrayList<>();
        for (int i = 0; i < 120; i++) {
            rows.add(Map.of("email", "u" + i, "age", i));
        }
        List<Statement> statements = users().insertStatements(rows);
        assertThat(statements).hasSize(3);
        assertThat(statements).allSatisfy(s -> assertThat(s.params()).hasSizeLessThanOrEqualTo(100));
        assertThat(statements.stream().mapToInt(s -> s.params().size()).sum()).isEqualTo(240);
        assertThat(statements.get(0).sql()).startsWith("INSERT INTO \"users\" (\"age\", \"email\") VALUES (?, ?), (?, ?)");

        List<Statement> mixed = users().insertStatements(List.of(Map.of("email", "a"), Map.of("email", "b", "age", 1)));
        assertThat(mixed).extracting(Statement::sql).containsExactly(
                "INSERT INTO \"users\" (\"email\") VALUES (?)", "INSERT INTO \"users\" (\"age\", \"email\") VALUES (?, ?)");
    }

    @Test
    void updateAndDeleteNeedAWhereOrAll() {
        assertSql(users().where("id", 7).updateStatement(Map.of("name", "n", "age", 2)),
                "UPDATE \"users\" SET \"age\" = ?, \"name\" = ? WHERE \"id\" = ?", 2, "n", 7);
        assertSql(users().where("id", 7).deleteStatement(), "DELETE FROM \"users\" WHERE \"id\" = ?", 7);
        assertThatThrownBy(() -> users().deleteStatement()).hasMessageContaining("call all() first");
        assertThatThrownBy(() -> users().updateStatement(Map.of("age", 1))).hasMessageContaining("call all() first");
        assertSql(users().all().deleteStatement(), "DELETE FROM \"users\"");
        assertSql(users().all().updateStatement(Map.of("age", 0)), "UPDATE \"users\" SET \"age\" = ?", 0);
        assertThatThrownBy(() -> users().where("id", 1).updateStatement(Map.of())).hasMessageContaining("at least one column");
    }

    @Test
    void unknownNamesNeverReachSql() {
        assertThatThrownBy(() -> db.table("users; DROP TABLE users")).isInstanceOf(OrmException.class)
                .hasMessageContaining("no table");
        assertThatThrownBy(() -> users().where("email\" OR 1=1 --", "x")).isInstanceOf(OrmException.class)
                .hasMessageContaining("no column");
        assertThatThrownBy(() -> users().orderBy("nope")).isInstanceOf(OrmException.class);
        assertThatThrownBy(() -> users().select("id", "secret")).isInstanceOf(OrmException.class);
        assertThatThrownBy(() -> users().insertStatements(List.of(Map.of("admin", true)))).isInstanceOf(OrmException.class);
        assertThatThrownBy(() -> users().all().updateStatement(Map.of("nope", 1))).isInstanceOf(OrmException.class);
        assertThatThrownBy(() -> users().where(Where.gt("age", null))).hasMessageContaining("isNull");
    }

    @Test
    void queriesAreImmutable() {
        TableQuery base = users().where("age", 1);
        base.where("name", "x").limit(3);
        assertSql(base.selectStatement(), "SELECT * FROM \"users\" WHERE \"age\" = ?", 1);
    }
}
