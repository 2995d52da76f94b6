package dev.kuratchi.client.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class SchemasTest {
    private static final String BLOG_YAML = """
            name: blog
            version: 2
            tables:
              - name: authors
                columns:
                  - {name: id, type: integer, primaryKey: true}
                  - {name: email, type: text, notNull: true, unique: true}
                  - {name: role, type: text, enum: [owner, "it's"], default: {kind: value, value: owner}}
                  - {name: active, type: integer, mode: boolean, default: {kind: value, value: true}}
              - name: posts
                columns:
                  - {name: id, type: integer, primaryKey: true}
                  - {name: author_id, type: integer, references: {table: authors, column: id, onDelete: set null}}
                  - {name: body, type: json, default: {kind: raw, sql: (json_object())}}
                  - {name: score, type: real, default: {kind: value, value: 1.5}}
                  - {name: raw, type: blob}
                indexes:
                  - {name: posts_author, columns: [author_id]}
                  - {name: posts_unique_body, columns: [author_id, body], unique: true}
                checks: ["score >= 0"]
            """;

    @Test
    void yamlAndJsonParseToTheSameSchema() {
        DatabaseSchema fromYaml = Schemas.parse(BLOG_YAML);
        DatabaseSchema fromJson = Schemas.parse(Schemas.toJson(fromYaml));
        assertThat(fromJson).isEqualTo(fromYaml);
        assertThat(fromYaml.version()).isEqualTo(2);
        assertThat(fromYaml.table("posts").orElseThrow().column("body").orElseThrow().type()).isEqualTo(ColumnType.JSON);
    }

    @Test
    void ddlHasEveryColumnClauseInKuratchiOrderWithQuotedIdentifiers() {
        String sql = SchemaSql.createStatements(Schemas.parse(BLOG_YAML));
        assertThat(sql).isEqualTo("""
                CREATE TABLE IF NOT EXISTS "authors" (
                  "id" INTEGER PRIMARY KEY,
                  "email" TEXT NOT NULL UNIQUE,
                  "role" TEXT DEFAULT 'owner' CHECK ("role" IN ('owner', 'it''s')),
                  "active" INTEGER DEFAULT 1
                );

                CREATE TABLE IF NOT EXISTS "posts" (
                  "id" INTEGER PRIMARY KEY,
                  "author_id" INTEGER REFERENCES "authors"("id") ON DELETE SET NULL,
                  "body" TEXT DEFAULT (json_object()),
                  "score" REAL DEFAULT 1.5,
                  "raw" BLOB,
                  CHECK (score >= 0)
                );

                CREATE INDEX IF NOT EXISTS "posts_author" ON "posts" ("author_id");

                CREATE UNIQUE INDEX IF NOT EXISTS "posts_unique_body" ON "posts" ("author_id", "body");
                """);
    }

    @Test
    void organizationSchemaHasKuratchiSdksTablesAndColumns() {
        DatabaseSchema organization = Schemas.organization();
        assertThat(organization.tables()).extracting(Table::name).containsExactly("users", "session",
                "passwordResetTokens", "emailVerificationToken", "magicLinkTokens", "activity", "roles", "oauthAccounts");
        assertThat(organization.table("users").orElseThrow().columns()).extracting(Column::name).containsExactly("id",
                "name", "firstName", "lastName", "phone", "email", "emailVerified", "image", "status", "role",
                "password_hash", "accessAttempts", "tenantId", "organization", "updated_at", "created_at", "deleted_at");
        assertThat(SchemaSql.createTable(organization.table("session").orElseThrow())).isEqualTo("""
                CREATE TABLE IF NOT EXISTS "session" (
                  "sessionToken" TEXT NOT NULL PRIMARY KEY,
                  "userId" TEXT NOT NULL REFERENCES "users"("id") ON DELETE CASCADE,
                  "expires" INTEGER NOT NULL,
                  "updated_at" TEXT DEFAULT (CURRENT_TIMESTAMP),
                  "created_at" TEXT DEFAULT (CURRENT_TIMESTAMP),
                  "deleted_at" TEXT
                );""");
        assertThat(SchemaSql.columnClause(organization.table("users").orElseThrow().column("role").orElseThrow()))
                .isEqualTo("\"role\" TEXT CHECK (\"role\" IN ('owner', 'editor', 'member'))");
    }

    @Test
    void adminSchemaHasKuratchiSdksTablesColumnsAndIndexes() {
        DatabaseSchema admin = Schemas.admin();
        assertThat(admin.tables()).extracting(Table::name).containsExactly("organizations", "organizationUsers",
                "databases", "dbApiTokens", "users", "session", "passwordResetTokens", "magicLinkTokens",
                "emailVerificationToken", "activity", "oauthAccounts");
        assertThat(admin.table("databases").orElseThrow().columns()).extracting(Column::name).containsExactly("id", "name",
                "dbuuid", "isArchived", "isActive", "lastBackup", "schemaVersion", "needsSchemaUpdate", "lastSchemaSync",
                "organizationId", "updated_at", "created_at", "deleted_at");
        String sql = SchemaSql.createStatements(admin);
        assertThat(sql).contains("\"schemaVersion\" INTEGER DEFAULT 1", "\"needsSchemaUpdate\" INTEGER DEFAULT 0",
                "\"token\" TEXT NOT NULL UNIQUE",
                "CREATE UNIQUE INDEX IF NOT EXISTS \"token_idx\" ON \"dbApiTokens\" (\"token\");",
                "CREATE UNIQUE INDEX IF NOT EXISTS \"dbuuid_idx\" ON \"databases\" (\"dbuuid\");",
                "\"role\" TEXT CHECK (\"role\" IN ('superadmin', 'owner', 'editor', 'member'))");
        assertThat(sql.split("CREATE TABLE", -1)).hasSize(admin.tables().size() + 1);
        assertThat(SchemaSql.initialMigration(admin).id()).isEqualTo("initial");
    }

    @Test
    void badSchemasAreRefusedWithWhatToFix() {
        List.of(
                new String[] {"{\"name\": \"x\", \"tables\": []}", "has no tables"},
                new String[] {"{\"name\": \"x\", \"tables\": {\"users\": {\"id\": \"text primary key\"}}}", "DSL form"},
                new String[] {"{\"name\": \"x\", \"tables\": [{\"name\": \"t\", \"columns\": [{\"name\": \"a\", \"type\": \"varchar\"}]}]}",
                    "unknown column type 'varchar'"},
                new String[] {"{\"name\": \"x\", \"tables\": [{\"name\": \"t; drop\", \"columns\": [{\"name\": \"a\", \"type\": \"text\"}]}]}",
                    "invalid table name"},
                new String[] {"{\"name\": \"x\", \"tables\": [{\"name\": \"t\", \"columns\": [{\"name\": \"a\", \"type\": \"text\", "
                    + "\"references\": {\"table\": \"u\", \"column\": \"id\"}}]}]}", "references 'u.id'"},
                new String[] {"{\"name\": \"x\", \"tables\": [{\"name\": \"t\", \"columns\": [{\"name\": \"a\", \"type\": \"text\"},"
                    + " {\"name\": \"A\", \"type\": \"text\"}]}]}", "defined twice"},
                new String[] {"{\"name\": \"x\", \"tables\": [{\"name\": \"t\", \"columns\": [{\"name\": \"a\", \"type\": \"text\"}],"
                    + " \"indexes\": [{\"name\": \"i\", \"columns\": [\"b\"]}]}]}", "unknown column 't.b'"},
                new String[] {"{\"name\": \"x\", \"tables\": [{\"name\": \"t\", \"columns\": [{\"name\": \"a\", \"type\": \"text\", "
                    + "\"mode\": \"boolean\"}]}]}", "needs type integer"},
                new String[] {"{\"name\": \"x\", \"tables\": [{\"name\": \"t\", \"columns\": [{\"name\": \"a\", \"type\": \"text\", "
                    + "\"colour\": \"red\"}]}]}", "colour"},
                new String[] {"name: [unclosed", "cannot be read"})
                .forEach(c -> assertThatThrownBy(() -> Schemas.parse(c[0])).as(c[1])
                        .isInstanceOf(SchemaException.class).hasMessageContaining(c[1]));
        assertThatThrownBy(() -> Schemas.builtIn("billing")).hasMessageContaining("built-in schemas: [admin, organization]");
    }
}
