package dev.kuratchi.client.admin;

import java.util.Objects;

/**
 * The resource that manages a database, as the gateway records it: a claim is made and released under its uid, and
 * the namespace says whose data a database retained after it (see {@link Adoption}).
 */
public record Owner(String uid, String namespace, String name) {
    public Owner {
        Objects.requireNonNull(uid, "uid");
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
    }
}
