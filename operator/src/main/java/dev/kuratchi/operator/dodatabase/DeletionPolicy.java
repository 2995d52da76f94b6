package dev.kuratchi.operator.dodatabase;

/** What deleting a DoDatabase does to the database's data. */
public enum DeletionPolicy {
    /** Keep the data; a later DoDatabase takes it over only by opting in (spec.existingData: Adopt). */
    Retain,
    /** Erase the database's data through the gateway. */
    Delete
}
