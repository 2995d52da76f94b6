package dev.kuratchi.operator.dodatabase;

import dev.kuratchi.client.gateway.GatewayException;
import dev.kuratchi.operator.gateway.GatewayDeployer;

/**
 * What a refused or failed gateway call means for a stage. A 4xx is permanent (retrying sends the same request to
 * the same refusal), a 429 or 5xx passes by itself, and only an answer that did not come from the gateway Worker
 * (no answer, a 404, another Worker's reply) means the Worker may be gone, so its deployment is checked again.
 */
public final class GatewayFailures {
    private GatewayFailures() {}

    /** Whether the operator should check (and redo) the Worker's deployment before trying again. */
    public static boolean workerMayBeGone(GatewayException e) {
        return e.isFromElsewhere();
    }

    /** Takes note of a failed call: when the Worker may be gone, the next attempt checks its deployment first. */
    public static void noticed(GatewayException e, GatewayDeployer deployer) {
        if (workerMayBeGone(e)) {
            deployer.forget();
        }
    }

    /** What a failed call means for a stage, once {@link #noticed}. */
    public static StageFailure of(String condition, GatewayException e, GatewayDeployer deployer) {
        noticed(e, deployer);
        return of(condition, e);
    }

    static StageFailure of(String condition, GatewayException e) {
        if (workerMayBeGone(e)) {
            return StageFailure.transientFailure(condition, "GatewayNotFound", "the gateway Worker did not answer as "
                    + "itself (" + e.getMessage() + "): it was deleted, or another Worker such as kuratchi-sdk's now "
                    + "serves its name; the operator checks its deployment and deploys it again", null);
        }
        if (e.status() == 401) {
            return StageFailure.permanent(condition, "GatewayKeyRejected", "the gateway refused the operator's key ("
                    + e.getMessage() + "): KURATCHI_GATEWAY_KEY differs from the API_KEY the Worker holds; fix the "
                    + "operator's configuration and restart it");
        }
        if (e.status() == 413) {
            return StageFailure.permanent(condition, "RequestTooLarge", "the gateway refused a request over its size "
                    + "limit (" + e.getMessage() + "): split large migrations into several ConfigMap keys");
        }
        if (e.status() == 429 || e.status() >= 500) {
            return StageFailure.transientFailure(condition, "GatewayUnavailable", "the gateway did not answer as "
                    + "expected (HTTP " + e.status() + ": " + e.getMessage() + "); retrying with backoff", null);
        }
        return StageFailure.permanent(condition, "GatewayRejected", "the gateway refused the request (HTTP "
                + e.status() + ", " + e.code() + ": " + e.getMessage() + "); fix what it names: the operator tries "
                + "again at its next check of the database, or when the resource changes");
    }
}
