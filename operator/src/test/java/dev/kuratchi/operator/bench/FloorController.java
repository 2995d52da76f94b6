package dev.kuratchi.operator.bench;

import dev.kuratchi.client.admin.AdminClient;
import dev.kuratchi.client.admin.Adoption;
import dev.kuratchi.client.admin.Owner;
import dev.kuratchi.client.secret.MountedSecret;
import dev.kuratchi.client.token.DatabaseToken;
import dev.kuratchi.client.token.Tokens;
import dev.kuratchi.operator.dodatabase.DoDatabase;
import dev.kuratchi.operator.dodatabase.DoDatabaseStatus;
import dev.kuratchi.operator.dodatabase.TokenSecret;
import dev.kuratchi.operator.dodatabase.TokenStatus;
import dev.kuratchi.operator.events.EventRecorder;
import dev.kuratchi.operator.status.Conditions;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The floor: what a correct operator must do for each new DoDatabase and no less, with the same kinds of writes the
 * operator makes, on as many threads as the operator reconciles with. Per database, as it appears in a watch:
 * <ol>
 *   <li>the finalizer, by server-side apply (JOSDK's way);</li>
 *   <li>one provisioning call at the gateway, with the owner (namespace, uid), as the operator claims a database;</li>
 *   <li>a token, minted (HMAC, no call);</li>
 *   <li>the Secret, created with its owner reference, labels, annotations and all four data keys;</li>
 *   <li>the status, by server-side apply, with the payload the operator writes (five conditions, token, endpoint);</li>
 *   <li>one event.</li>
 * </ol>
 * Nothing is cached, retried or checked twice: a Ready in the watch is where both it and the operator are timed to.
 */
final class FloorController implements AutoCloseable {
    private static final String FINALIZER = "dodatabases.kuratchi.dev/finalizer";
    private static final String MANAGER = "kuratchi-floor";

    private final KubernetesClient client;
    private final AdminClient admin;
    private final Tokens tokens;
    private final URI endpoint;
    private final EventRecorder events;
    private final ThreadPoolExecutor workers;
    private final SharedIndexInformer<DoDatabase> informer;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    FloorController(KubernetesClient client, String namespace, int threads, AdminClient admin, Tokens tokens,
            URI endpoint) {
        this.client = client;
        this.admin = admin;
        this.tokens = tokens;
        this.endpoint = endpoint;
        this.events = new EventRecorder(client, Clock.systemUTC(), MANAGER, MANAGER);
        this.workers = (ThreadPoolExecutor) Executors.newFixedThreadPool(threads);
        this.informer = client.resources(DoDatabase.class).inNamespace(namespace).inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(DoDatabase db) {
                if (db.getStatus() == null) {
                    workers.execute(() -> converge(db));
                }
            }

            @Override
            public void onUpdate(DoDatabase old, DoDatabase db) {
            }

            @Override
            public void onDelete(DoDatabase db, boolean unknown) {
            }
        });
    }

    /** The first failure of any database's work, so a broken floor never reports a time. */
    void check() {
        if (failure.get() != null) {
            throw new IllegalStateException("the floor failed", failure.get());
        }
    }

    /** Until every database's work is done, the event after its Ready included (as the operator's is waited for). */
    void awaitIdle() throws InterruptedException {
        while (workers.getActiveCount() > 0 || !workers.getQueue().isEmpty()) {
            Thread.sleep(50);
        }
    }

    private void converge(DoDatabase db) {
        try {
            String namespace = db.getMetadata().getNamespace();
            String name = db.getMetadata().getName();
            DoDatabase finalizer = new DoDatabase();
            finalizer.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace)
                    .withFinalizers(FINALIZER).build());
            client.resource(finalizer).patch(apply());

            admin.provision(name, List.of(), new Owner(db.getMetadata().getUid(), namespace, name), Adoption.NONE);
            DatabaseToken token = tokens.issue(name, Tokens.DEFAULT_TTL);
            String secretName = name + "-db";
            client.resource(new SecretBuilder().withNewMetadata().withName(secretName).withNamespace(namespace)
                    .withLabels(Map.of(TokenSecret.MANAGED_BY_LABEL, TokenSecret.MANAGED_BY))
                    .withAnnotations(Map.of(TokenSecret.DATABASE_ANNOTATION, name,
                            TokenSecret.TOKEN_ID_ANNOTATION, token.tokenId(), TokenSecret.REPLACES_ANNOTATION, ""))
                    .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion(db.getApiVersion())
                            .withKind(db.getKind()).withName(name).withUid(db.getMetadata().getUid())
                            .withController(true).withBlockOwnerDeletion(true).build())
                    .endMetadata().withType("Opaque")
                    .withData(Map.of(MountedSecret.DATABASE_NAME, base64(name), MountedSecret.TOKEN,
                            base64(token.reveal()), MountedSecret.ENDPOINT, base64(endpoint.toString()),
                            MountedSecret.EXPIRES_AT, base64(token.expiresAt().toString())))
                    .build()).create();

            DoDatabase status = new DoDatabase();
            status.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
            status.setStatus(status(db, token, secretName));
            client.resource(status).subresource("status").patch(apply());
            events.record(db, EventRecorder.NORMAL, "Ready", "Reconcile", "database " + name + " is ready; apps "
                    + "mount Secret " + secretName);
        } catch (Throwable e) {
            failure.compareAndSet(null, e);
        }
    }

    private DoDatabaseStatus status(DoDatabase db, DatabaseToken token, String secretName) {
        String name = db.getMetadata().getName();
        Instant now = Instant.now();
        Conditions conditions = new Conditions(List.of(), db.getMetadata().getGeneration(), now)
                .set("WorkerDeployed", Conditions.TRUE, "Deployed", "the gateway Worker serves at " + endpoint)
                .set("DatabaseProvisioned", Conditions.TRUE, "Provisioned", "database " + name + " exists")
                .set("SchemaApplied", Conditions.TRUE, "Applied", "no schema requested")
                .set("TokenIssued", Conditions.TRUE, "Issued", "token " + token.tokenId() + " in Secret " + secretName
                        + ", expires " + token.expiresAt())
                .set("Ready", Conditions.TRUE, "Ready", "database " + name + " is ready; apps mount Secret "
                        + secretName);
        DoDatabaseStatus status = new DoDatabaseStatus();
        status.setObservedGeneration(db.getMetadata().getGeneration());
        status.setConditions(conditions.list());
        status.setDatabaseName(name);
        status.setEndpoint(endpoint.toString());
        status.setSecretName(secretName);
        status.setToken(new TokenStatus(token.tokenId(), token.expiresAt().toString(),
                token.expiresAt().minus(Tokens.DEFAULT_TTL.dividedBy(3)).toString()));
        return status;
    }

    private static PatchContext apply() {
        return new PatchContext.Builder().withPatchType(PatchType.SERVER_SIDE_APPLY).withFieldManager(MANAGER)
                .withForce(true).build();
    }

    private static String base64(String value) {
        return Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void close() {
        informer.close();
        workers.shutdownNow();
    }
}
