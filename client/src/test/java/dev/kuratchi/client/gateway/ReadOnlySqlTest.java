package dev.kuratchi.client.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ReadOnlySqlTest {
    @ParameterizedTest
    @ValueSource(strings = {"SELECT 1", "  select * from t where id = ?", "WITH x AS (SELECT 1) SELECT * FROM x",
        "/* c */ SELECT 1;", "-- note\nSELECT 1", "VALUES (1)", "EXPLAIN QUERY PLAN SELECT 1"})
    void reads(String sql) {
        assertThat(ReadOnlySql.isReadOnly(sql)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"INSERT INTO t VALUES (1)", "UPDATE t SET a = 1", "DELETE FROM t",
        "WITH x AS (SELECT 1) DELETE FROM t", "SELECT 1; DELETE FROM t", "CREATE TABLE t (a)",
        "INSERT INTO t SELECT * FROM u RETURNING id", "REPLACE INTO t VALUES (1)", "PRAGMA foreign_keys = 0",
        "SELECT 1; SELECT 2", "select 1 -- note\n; delete from t"})
    void writesOrUnknown(String sql) {
        assertThat(ReadOnlySql.isReadOnly(sql)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"SELECT 'insert' AS x", "SELECT \"update\" FROM t", "SELECT `delete`, [drop] FROM t",
        "SELECT * FROM t WHERE note = 'update later'", "SELECT 'it''s; delete' AS x", "SELECT ';' AS semicolon",
        "SELECT \"a\"\"; DELETE\" FROM t", "SELECT `a``; drop` FROM t", "SELECT 1 /* ; DELETE FROM t */",
        "SELECT 1; -- DELETE FROM t", "SELECT x'2d2d' AS dashes", "SELECT 1;;"})
    void wordsInLiteralsQuotedNamesAndCommentsAreNotKeywords(String sql) {
        assertThat(ReadOnlySql.isReadOnly(sql)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"SELECT '--'; DELETE FROM t", "SELECT '/*'; DELETE FROM t; SELECT '*/'",
        "SELECT \"--\"; DELETE FROM t", "SELECT [/*]; DELETE FROM t; SELECT [*/]", "SELECT '''--'; DROP TABLE t",
        "SELECT 'a' -- '\n; DELETE FROM t"})
    void aWriteAfterALiteralThatLooksLikeACommentIsAWrite(String sql) {
        assertThat(ReadOnlySql.isReadOnly(sql)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"SELECT 'never closed", "SELECT \"never closed", "SELECT `never closed",
        "SELECT [never closed", "SELECT 1 /* never closed", "", " ;; ", "-- only a comment", "'select' 1",
        "(SELECT 1)", "SELECT :delete", "WITH x AS (SELECT $a(')) INSERT INTO t SELECT 7 --')",
        "SELECT @a(') ; DELETE FROM t; --')", "SELECT :a::b", "SELECT #a(x)"})
    void whatItCannotTellIsAWrite(String sql) {
        assertThat(ReadOnlySql.isReadOnly(sql)).isFalse();
    }

    @org.junit.jupiter.api.Test
    void theAnswersKeptForTextsAreBoundedAndTheSameAsReadingAgain() {
        for (int i = 0; i < ReadOnlySql.KEPT_TEXTS + 10; i++) {
            assertThat(ReadOnlySql.isReadOnly("SELECT " + i)).isTrue();
            assertThat(ReadOnlySql.isReadOnly("DELETE FROM t WHERE id = " + i)).isFalse();
        }
        assertThat(ReadOnlySql.keptTexts()).isEqualTo(ReadOnlySql.KEPT_TEXTS);
        String longRead = "SELECT 1" + " ".repeat(ReadOnlySql.KEPT_LENGTH);
        for (int again = 0; again < 2; again++) {
            assertThat(ReadOnlySql.isReadOnly(new String("SELECT 1"))).isTrue();
            assertThat(ReadOnlySql.isReadOnly(new String("SELECT 1; DELETE FROM t"))).isFalse();
            assertThat(ReadOnlySql.isReadOnly(longRead)).isTrue();
            assertThat(ReadOnlySql.isReadOnly(longRead + "; DROP TABLE t")).isFalse();
        }
    }
}
