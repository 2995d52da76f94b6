package dev.kuratchi.client.admin;

/** Whether a claim may take over a database that already holds data no current owner manages. */
public enum Adoption {
    /** Never: a database holding data is refused ({@code database_exists}). */
    NONE("none"),
    /** Only data retained by a former owner from the claimant's own namespace. */
    SAME_NAMESPACE("sameNamespace"),
    /**
     * Data retained from the claimant's own namespace, or created outside the operator (kuratchi-sdk); never data
     * another namespace retained. For a database no tenant may hand over, such as an installation's admin database.
     */
    SAME_NAMESPACE_OR_UNMANAGED("sameNamespaceOrUnmanaged"),
    /** Any data: retained from another namespace, or created outside the operator (kuratchi-sdk). */
    ANY("any");

    private final String wire;

    Adoption(String wire) {
        this.wire = wire;
    }

    String wire() {
        return wire;
    }
}
