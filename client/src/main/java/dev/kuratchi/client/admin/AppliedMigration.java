package dev.kuratchi.client.admin;

import java.time.Instant;

/** A migration recorded in the database's {@code migrations_history}. */
public record AppliedMigration(String id, Instant appliedAt) {}
