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
 *   earlier attempt created under the same derived name). A DoDatabase or ConfigMap of that name that is not the
 *   organization's is never taken over: NameTaken or ConfigMapTaken, before anything is made (the ConfigMap is
 *   created, empty, before the first Cloudflare call).</li>
 *   <li><b>The database is the child's work.</b> No second copy of claim, schema or token logic: the organization
 *   writes a DoDatabase (databaseName from the slug, schema default builtIn organization, token and secret passed
 *   through, deletionPolicy passed through, existingData Refuse unless the spec asks to adopt) and reads its
 *   conditions back into its {@code Database} condition (waiting while the child has not observed its latest
 *   spec). A slug another resource holds surfaces as the child's
 *   {@code AlreadyManaged}, which the organization reports as its own and touches nothing else.</li>
 *   <li><b>The slug is immutable and unique per account</b>: it is the database name and the root of every Cloudflare
 *   name, which embed a digest of the exact slug, so two slugs never share a Cloudflare name and a crash-time
 *   adoption can never hand one tenant another's bucket.</li>
 *   <li><b>Admin database.</b> One DoDatabase (default {@code kuratchi-admin}, builtIn admin schema) in the
 *   operator's namespace, created by the operator at start (so it holds its name before any tenant could ask; the
 *   DoDatabase reconciler refuses that name to every other DoDatabase anyway, and the admin database never adopts
 *   data another namespace retained in it), again by an organization that finds it missing, and watched through an
 *   informer of the organization controller's (label {@code kuratchi.dev/admin-database}), so organizations waiting
 *   for it wake when it is Ready. The reconciler writes through {@link GatewayAccess} (a short-lived token of its own,
 *   once the gateway confirms the admin DoDatabase's claim). Rows use ids derived from the organization's uid
 *   ({@code organizations.id = uid}, {@code databases.id = uid + "-database"}, {@code organizationUsers.id = uid +
 *   "-owner"}, a token row per token id), written with {@code INSERT ... ON CONFLICT(id) DO UPDATE} in one batch, and
 *   only when a read shows they differ: a rerun after a crash never duplicates a row, and a steady state writes
 *   nothing. Without the opt-in the token row holds the token id, not the token; with it, the token is read from the
 *   child's Secret through an informer the organization controller owns (label-filtered as the DoDatabase's, never a
 *   GET), once it is the token the child names. Deletion: {@code Delete} removes the rows, {@code Retain} sets
 *   {@code deleted_at} (kuratchi-sdk's soft delete). Two clusters sharing a Cloudflare account need admin databases
 *   of different names: the second's admin DoDatabase would otherwise be AlreadyManaged.</li>
 *   <li><b>What holds the slug, and the order of the parts.</b> Every Cloudflare name and the admin rows derive from
 *   the slug. The reconcile goes: child DoDatabase Ready, then the gateway confirms the child holds the database's
 *   claim (a second organization with the slug as database name stops here: AlreadyManaged), then the owner, then
 *   the admin rows, whose unique {@code organizationSlug} locks the slug (a second organization with the slug and a
 *   database of its own stops here: SlugTaken), and only then Cloudflare. The admin database's own table
 *   {@code kuratchiOwners} (migration 0002 of the built-in admin schema), written in the rows' batch, binds each
 *   organization to the resource holding it (uid, namespace) or, once that is deleted with Retain, to the
 *   namespace that retained it: rows another resource holds are never taken over, and rows nobody holds only by
 *   DoDatabase's adoption rule (its own namespace's with existingData: Adopt; kuratchi-sdk's and other namespaces'
 *   only from a namespace KURATCHI_ADOPTION_NAMESPACES lists). Status is never trusted for anything: the finalizer
 *   deletes Cloudflare resources and retires rows only of the organization that table binds to the uid.</li>
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
 *   <li><b>Deletion</b> with a finalizer: the child deleted first (its own finalizer retires the database at the
 *   gateway, which ends every token either way, so none keeps working while the rest waits), then Cloudflare
 *   resources deleted ({@code Delete}) or released ({@code Retain}), admin rows removed or archived, the ConfigMap
 *   deleted; the organization goes only once all of it is done and the child is gone. Something already gone counts
 *   as deleted; every step may run again.</li>
 *   <li><b>Failures and the steady state</b> as the DoDatabase reconciler: a condition per part with a reason and a
 *   message that says what to do, Ready the first failing part's; what a person must fix is not retried (a touch of
 *   the organization, which is not generation-aware, asks again), what someone else must change is rechecked, what
 *   passes is retried with backoff or after Cloudflare's Retry-After, with the status the attempt reached written.
 *   Cloudflare resources recorded in status are looked up again only hourly (in memory, spread after a start).</li>
 * </ul>
 */
package dev.kuratchi.operator.organization;
