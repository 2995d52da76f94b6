package dev.kuratchi.client.orm;

/** Sort direction for {@link TableQuery#orderBy(String, Direction)}. */
public enum Direction {
    ASC,
    DESC
}
