package dev.kuratchi.operator.dodatabase;

import dev.kuratchi.client.admin.Adoption;
import java.util.Objects;
import java.util.Set;

/**
 * What the platform team allows tenants beyond their own databases, from the operator's configuration: which
 * namespaces may put the master gateway key into a Secret, and which may adopt data their namespace did not retain.
 * Everything defaults to none. One database name is no tenant's at all: the installation's admin database, which
 * only the operator's own admin DoDatabase may claim.
 */
public record TenancyRules(Set<String> gatewayKeyNamespaces, Set<String> adoptionNamespaces, Reserved adminDatabase) {
    public TenancyRules {
        gatewayKeyNamespaces = Set.copyOf(gatewayKeyNamespaces);
        adoptionNamespaces = Set.copyOf(adoptionNamespaces);
        Objects.requireNonNull(adminDatabase, "adminDatabase");
    }

    /**
     * A database name only one DoDatabase may claim: {@code databaseName}, held by DoDatabase
     * {@code namespace}/{@code resourceName} (KURATCHI_ADMIN_NAMESPACE and KURATCHI_ADMIN_DATABASE).
     */
    public record Reserved(String databaseName, String namespace, String resourceName) {
        public Reserved {
            Objects.requireNonNull(databaseName, "databaseName");
            Objects.requireNonNull(namespace, "namespace");
            Objects.requireNonNull(resourceName, "resourceName");
        }

        /** The admin DoDatabase as the operator makes it: its metadata.name is the database name. */
        public static Reserved adminDatabase(String namespace, String databaseName) {
            return new Reserved(databaseName, namespace, databaseName);
        }
    }

    /** Whether a Secret in {@code namespace} may hold the gateway key (which opens every database). */
    public boolean mayHoldGatewayKey(String namespace) {
        return gatewayKeyNamespaces.contains(namespace);
    }

    /**
     * Whether DoDatabase {@code namespace}/{@code resourceName} may claim {@code databaseName}: any name but the
     * admin database's, which only the admin DoDatabase may, whatever else is configured. Names are compared exactly,
     * as the gateway keys its Durable Objects by the exact name ({@code Kuratchi-admin} is another database).
     */
    public boolean mayClaim(String namespace, String resourceName, String databaseName) {
        return !adminDatabase.databaseName().equals(databaseName)
                || adminDatabase.namespace().equals(namespace) && adminDatabase.resourceName().equals(resourceName);
    }

    /**
     * What a claim of {@code databaseName} from {@code namespace} may take over, given what its resource asks for.
     * The admin database never takes data another namespace retained (a tenant could have planted tables and
     * triggers there): only its own namespace's, and, where KURATCHI_ADOPTION_NAMESPACES lists that namespace, data
     * made outside the operator (kuratchi-sdk's admin database, being migrated).
     */
    public Adoption adoption(String namespace, String databaseName, ExistingData asked) {
        if (asked != ExistingData.Adopt) {
            return Adoption.NONE;
        }
        boolean listed = adoptionNamespaces.contains(namespace);
        if (adminDatabase.databaseName().equals(databaseName)) {
            return listed ? Adoption.SAME_NAMESPACE_OR_UNMANAGED : Adoption.SAME_NAMESPACE;
        }
        return listed ? Adoption.ANY : Adoption.SAME_NAMESPACE;
    }
}
