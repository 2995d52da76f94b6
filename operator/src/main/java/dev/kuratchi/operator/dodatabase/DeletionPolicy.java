package dev.kuratchi.operator.dodatabase;

/** What deleting a DoDatabase does to the database's data. */
public enum DeletionPolicy {
    /** Keep the data; a new DoDatabase with the same databaseName finds it again. */
    Retain,
    /** Erase all of the database's storage through the gateway. */
    Delete
}
