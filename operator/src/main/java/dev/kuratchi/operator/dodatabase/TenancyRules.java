package dev.kuratchi.operator.dodatabase;

import dev.kuratchi.client.admin.Adoption;
import java.util.Set;

/**
 * What the platform team allows tenants beyond their own databases, from the operator's configuration: which
 * namespaces may put the master gateway key into a Secret, and which may adopt data their namespace did not retain.
 * Everything defaults to none.
 */
public record TenancyRules(Set<String> gatewayKeyNamespaces, Set<String> adoptionNamespaces) {
    public TenancyRules {
        gatewayKeyNamespaces = Set.copyOf(gatewayKeyNamespaces);
        adoptionNamespaces = Set.copyOf(adoptionNamespaces);
    }

    /** Whether a Secret in {@code namespace} may hold the gateway key (which opens every database). */
    public boolean mayHoldGatewayKey(String namespace) {
        return gatewayKeyNamespaces.contains(namespace);
    }

    /** What a claim from {@code namespace} may take over, given what its resource asks for. */
    public Adoption adoption(String namespace, ExistingData asked) {
        if (asked != ExistingData.Adopt) {
            return Adoption.NONE;
        }
        return adoptionNamespaces.contains(namespace) ? Adoption.ANY : Adoption.SAME_NAMESPACE;
    }
}
