package dev.kuratchi.operator.dodatabase;

/** What a DoDatabase does with a database name that already holds data it did not create. */
public enum ExistingData {
    /** Touch nothing and report ExistingData. */
    Refuse,
    /** Take the data over (within the limits the operator's configuration sets). */
    Adopt
}
