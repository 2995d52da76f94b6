/**
 * KuratchiOrganization: the Kubernetes form of kuratchi-sdk's {@code auth.createOrganization}. One resource gives a
 * tenant its admin records, its database (a child DoDatabase), its first user and its Cloudflare resources.
 *
 * <h2>Design (decided before the code; change it with evidence)</h2>
 * <ul>
 *   <li><b>One reconciler, dependents that say what they desire.</b> The child DoDatabase and the
 *   {@code <name>-cloudflare} ConfigMap are JOSDK Kubernetes dependents (owner references, so the garbage collector
 *   takes them on a real cluster; the mock server has none, so cleanup deletes them itself). The admin rows and each
 *   Cloudflare resource kind are external dependents whose desired state is a pure function of the spec and the
 *   derived names ({@link OrganizationNames}); each is idempotent and crash-safe on its own (create, or adopt what an
 *   earlier attempt created under the same derived name).</li>
 *   <li><b>The database is the child's work.</b> No second copy of claim, schema or token logic: the organization
 *   writes a DoDatabase (databaseName from the slug, schema default builtIn organization, token and secret passed
 *   through, deletionPolicy passed through, existingData Refuse unless the spec asks to adopt) and reads its
 *   conditions back into {@code DatabaseReady}. A slug another resource holds surfaces as the child's
 *   {@code AlreadyManaged}, which the organization reports as its own and touches nothing else.</li>
 *   <li><b>The slug is immutable and unique per account</b>: it is the database name and the root of every Cloudflare
 *   name, which embed a digest of the exact slug, so two slugs never share a Cloudflare name and a crash-time
 *   adoption can never hand one tenant another's bucket.</li>
 *   <li><b>Admin database.</b> One DoDatabase (default {@code kuratchi-admin}, builtIn admin schema) in the
 *   operator's namespace, created by the operator; the organization reconciler writes through its token, read from
 *   the operator's own Secret informer. Rows use ids derived from the organization's uid ({@code organizations.id =
 *   uid}, {@code databases.id = uid + "-database"}, {@code organizationUsers.id = uid + "-owner"}, a token row per
 *   token id), written with {@code INSERT ... ON CONFLICT(id) DO UPDATE} in one batch, and only when a read shows
 *   they differ: a rerun after a crash never duplicates a row, and a steady state writes nothing. Without the opt-in
 *   the token row holds the token id, not the token. Deletion: {@code Delete} removes the rows, {@code Retain} sets
 *   {@code deleted_at} (kuratchi-sdk's soft delete).</li>
 *   <li><b>Owner.</b> Inserted once into the organization database ({@code users}, role owner, id derived from the
 *   uid; a user already holding the email is adopted as it is; a changed email is reported, never a second owner:
 *   {@link OwnerRecord}), and routed in {@code organizationUsers}. The operator writes there with a short-lived
 *   token of its own, minted only once the gateway confirms that the child DoDatabase holds the database's claim
 *   ({@link GatewayAccess}): no Secret is read, and a stale or forged status cannot point it at another resource's
 *   database. No session cookie: a session is the
 *   app's, bound to its auth secret and its cookie policy; an operator minting one would hold a login for every
 *   tenant.</li>
 *   <li><b>Cloudflare resources.</b> {@link dev.kuratchi.operator.organization.OrganizationResources}: made only with
 *   {@code ensure*} (adopting what a crashed attempt made), no call in a steady state, a removed name deleted or
 *   released under the name derived again (never a name or id taken from status), and the ConfigMap's keys.</li>
 *   <li><b>Deletion</b> with a finalizer: Cloudflare resources deleted ({@code Delete}) or released ({@code Retain}),
 *   admin rows removed or archived, the child deleted (its own finalizer retires the database, which ends every token
 *   at the gateway either way). Something already gone counts as deleted.</li>
 * </ul>
 */
package dev.kuratchi.operator.organization;
