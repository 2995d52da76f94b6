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
        "SELECT * FROM t WHERE note = 'update later'"})
    void writesOrUnknown(String sql) {
        assertThat(ReadOnlySql.isReadOnly(sql)).isFalse();
    }
}
