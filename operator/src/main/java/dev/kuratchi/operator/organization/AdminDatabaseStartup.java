package dev.kuratchi.operator.organization;

import dev.kuratchi.operator.dodatabase.Durations;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the admin DoDatabase when the operator starts, so that it holds the admin database's name at the gateway
 * from the start rather than from the first organization on (the DoDatabase reconciler refuses that name to every
 * other DoDatabase in any case). One that exists already is left as it is. A create the API server refuses (RBAC
 * without create on dodatabases in the admin namespace, the namespace missing) is logged with what to do and tried
 * again, from {@link #FIRST_RETRY} doubling to {@link #MAX_RETRY}, on a thread of its own: the operator and its
 * DoDatabases carry on meanwhile, and organizations report the admin database's state in their AdminRecords
 * condition.
 */
public final class AdminDatabaseStartup implements AutoCloseable {
    public static final Duration FIRST_RETRY = Duration.ofSeconds(5);
    public static final Duration MAX_RETRY = Duration.ofMinutes(5);
    private static final Logger LOG = LoggerFactory.getLogger(AdminDatabaseStartup.class);

    private final AdminDatabase admin;
    private final KubernetesClient client;
    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(task -> {
        Thread thread = new Thread(task, "admin-database-startup");
        thread.setDaemon(true);
        return thread;
    });
    private Duration nextRetry;
    private volatile boolean done;
    private volatile String problem;

    public AdminDatabaseStartup(AdminDatabase admin, KubernetesClient client) {
        this(admin, client, FIRST_RETRY);
    }

    AdminDatabaseStartup(AdminDatabase admin, KubernetesClient client, Duration firstRetry) {
        this.admin = admin;
        this.client = client;
        this.nextRetry = firstRetry;
    }

    /** Tries now, on its own thread, and again after each failure until the admin DoDatabase exists. */
    public void start() {
        executor.execute(this::attempt);
    }

    /** Whether the admin DoDatabase was made, or found to exist. */
    public boolean done() {
        return done;
    }

    /** Why the last attempt failed, and what to do; empty once done or before a failure. */
    public Optional<String> problem() {
        return Optional.ofNullable(problem);
    }

    private void attempt() {
        String named = "the admin database (DoDatabase " + admin.namespace() + "/" + admin.databaseName() + ")";
        try {
            // Looked for first: a restart of the operator writes nothing.
            if (!admin.exists(client) && admin.create(client)) {
                LOG.info("created {}: it holds its name at the gateway once Ready", named);
            } else {
                LOG.info("{} exists already; left as it is", named);
            }
            problem = null;
            done = true;
        } catch (RuntimeException e) {
            problem = "cannot create " + named + ": " + whatToDo(e) + "; trying again in "
                    + Durations.format(nextRetry);
            LOG.error("{}", problem);
            try {
                executor.schedule(this::attempt, nextRetry.toMillis(), TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException closed) {
                return; // the operator stops
            }
            Duration doubled = nextRetry.multipliedBy(2);
            nextRetry = doubled.compareTo(MAX_RETRY) > 0 ? MAX_RETRY : doubled;
        }
    }

    private String whatToDo(RuntimeException e) {
        if (!(e instanceof KubernetesClientException k)) {
            return e.getClass().getSimpleName() + ": " + e.getMessage();
        }
        String refusal = "HTTP " + k.getCode() + (k.getStatus() != null && k.getStatus().getMessage() != null
                ? ": " + k.getStatus().getMessage() : "");
        return switch (k.getCode()) {
            case 403 -> "the operator may not create DoDatabases in namespace " + admin.namespace() + " (" + refusal
                    + "): bind the ClusterRole of deploy/operator-clusterrole.yaml there (a RoleBinding in "
                    + admin.namespace() + ", or the ClusterRoleBinding)";
            case 404 -> "namespace " + admin.namespace() + " does not exist (" + refusal + "): create it, or set "
                    + "KURATCHI_ADMIN_NAMESPACE to the namespace the admin database is to live in";
            default -> "the Kubernetes API refused it (" + refusal + ")";
        };
    }

    /** Stops trying; an attempt under way finishes. */
    @Override
    public void close() {
        executor.shutdownNow();
    }
}
