package dev.kuratchi.client.orm;

import dev.kuratchi.client.gateway.GatewayClient;
import dev.kuratchi.client.schema.DatabaseSchema;
import dev.kuratchi.client.schema.Table;

/**
 * The ORM over one database and its explicit schema: {@code db.table("users").where("email", e).first()}.
 * Every table and column name is checked against the schema, so an unknown name is an {@link OrmException} and
 * never reaches SQL; every value travels as a parameter.
 */
public final class Database {
    private final GatewayClient gateway;
    private final DatabaseSchema schema;

    public Database(GatewayClient gateway, DatabaseSchema schema) {
        this.gateway = gateway;
        this.schema = schema;
    }

    public TableQuery table(String name) {
        Table table = schema.table(name).orElseThrow(() -> new OrmException("no table '" + name + "' in schema '"
                + schema.name() + "'; tables: " + schema.tables().stream().map(Table::name).toList()));
        return TableQuery.of(gateway, table);
    }

    public DatabaseSchema schema() {
        return schema;
    }

    public GatewayClient gateway() {
        return gateway;
    }
}
