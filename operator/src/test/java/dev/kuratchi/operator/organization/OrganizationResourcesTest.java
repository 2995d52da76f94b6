package dev.kuratchi.operator.organization;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.kuratchi.operator.OperatorFactory;
import dev.kuratchi.operator.cloudflare.ApiRateLimiter;
import dev.kuratchi.operator.cloudflare.CloudflareClient;
import dev.kuratchi.operator.cloudflare.CloudflareResources;
import dev.kuratchi.operator.dodatabase.DeletionPolicy;
import dev.kuratchi.operator.organization.OrganizationResources.Cleanup;
import dev.kuratchi.operator.organization.OrganizationResources.Kind;
import dev.kuratchi.operator.organization.OrganizationResources.Outcome;
import dev.kuratchi.operator.organization.OrganizationResources.Problem;
import dev.kuratchi.operator.organization.OrganizationStatus.CloudflareResource;
import dev.kuratchi.operator.support.EmulatorProcess;
import dev.kuratchi.operator.support.SharedEmulator;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An organization's Cloudflare resources against the emulator: made once, adopted after a lost status, a steady state
 * without a call, removals deleted or released, a forged status that cannot reach another tenant, cleanup under both
 * policies, and faults. One emulator for the class; every test uses its own slugs. Calls are counted in the
 * emulator's log.
 */
class OrganizationResourcesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicInteger SLUGS = new AtomicInteger();
    private static final String ALL_TRUE = "{\"kv\": true, \"r2\": true, \"queues\": true}";
    @RegisterExtension
    static final SharedEmulator EMULATOR = new SharedEmulator();

    private OrganizationResources resources;

    @BeforeEach
    void newClient() {
        resources = onEmulator(EmulatorProcess.API_TOKEN);
    }

    private static EmulatorProcess emulator() {
        return EMULATOR.get();
    }

    // ---- making

    @Test
    void allThreeKindsTrueMakeOneEachInStatusAndTheConfigMap() throws Exception {
        String slug = slug("acme");
        Outcome outcome = resources.ensure(slug, spec(ALL_TRUE), DeletionPolicy.Retain, null);

        assertThat(outcome.problems()).isEmpty();
        assertThat(outcome.retry()).isEmpty();
        String kvId = onlyId(Kind.KV, OrganizationNames.kvNamespaceTitle(slug, "default"));
        String queueId = onlyId(Kind.QUEUES, OrganizationNames.queueName(slug, "default"));
        String bucket = OrganizationNames.r2BucketName(slug, "default");
        assertThat(listed(Kind.R2)).filteredOn(bucket::equals).hasSize(1);

        OrganizationStatus status = status(outcome);
        assertThat(status.getKvNamespaces()).containsExactly(
                new CloudflareResource("default", OrganizationNames.kvNamespaceTitle(slug, "default"), kvId));
        assertThat(status.getR2Buckets()).containsExactly(new CloudflareResource("default", bucket, null));
        assertThat(status.getQueues()).containsExactly(
                new CloudflareResource("default", OrganizationNames.queueName(slug, "default"), queueId));
        assertThat(status.getResources()).isEqualTo("kv:1 r2:1 queues:1");
        assertThat(outcome.of(Kind.KV).readyMessage()).isEqualTo("1 KV namespace in place: default");
        assertThat(outcome.changes()).hasSize(3);

        Map<String, String> data = outcome.configMapData();
        assertThat(data).containsOnlyKeys("kv.default.id", "kv.default.title", "r2.default.bucket", "queues.default.id",
                "queues.default.name", OrganizationResources.RESOURCES_JSON, OrganizationResources.WRANGLER_JSON);
        assertThat(data).containsEntry("kv.default.id", kvId)
                .containsEntry("kv.default.title", OrganizationNames.kvNamespaceTitle(slug, "default"))
                .containsEntry("r2.default.bucket", bucket).containsEntry("queues.default.id", queueId)
                .containsEntry("queues.default.name", OrganizationNames.queueName(slug, "default"));
        assertThat(JSON.readTree(data.get(OrganizationResources.RESOURCES_JSON))).isEqualTo(JSON.readTree(
                "{\"kv\": {\"default\": {\"id\": \"" + kvId + "\", \"title\": \""
                        + OrganizationNames.kvNamespaceTitle(slug, "default") + "\"}}, \"r2\": {\"default\": "
                        + "{\"bucket\": \"" + bucket + "\"}}, \"queues\": {\"default\": {\"id\": \"" + queueId
                        + "\", \"name\": \"" + OrganizationNames.queueName(slug, "default") + "\"}}}"));
        assertThat(JSON.readTree(data.get(OrganizationResources.WRANGLER_JSON))).isEqualTo(JSON.readTree(
                "{\"kv_namespaces\": [{\"binding\": \"KV\", \"id\": \"" + kvId + "\"}], \"r2_buckets\": "
                        + "[{\"binding\": \"R2\", \"bucket_name\": \"" + bucket + "\"}], \"queues\": {\"producers\": "
                        + "[{\"binding\": \"QUEUE\", \"queue\": \"" + OrganizationNames.queueName(slug, "default")
                        + "\"}]}}"));
    }

    @Test
    void aSteadyStateMakesNoCloudflareCall() {
        String slug = slug("steady");
        ResourcesSpec spec = spec("{\"kv\": [\"sessions\", \"cache\"], \"r2\": true, \"queues\": [\"jobs\"]}");
        Outcome first = resources.ensure(slug, spec, DeletionPolicy.Delete, null);
        assertThat(first.problems()).isEmpty();
        long since = emulator().lastSeq();

        Outcome outcome = first;
        for (int i = 0; i < 20; i++) {
            outcome = resources.ensure(slug, spec, DeletionPolicy.Delete, status(outcome));
            assertThat(outcome.changes()).isEmpty();
        }

        assertThat(emulator().callsSince(since)).isEmpty();
        assertThat(outcome.kinds()).isEqualTo(first.kinds());
        assertThat(outcome.configMapData()).isEqualTo(first.configMapData());
        // The first pass made everything, so it counts as a verification; the steady one took status on trust.
        assertThat(first.confirmed()).isTrue();
        assertThat(outcome.confirmed()).isFalse();
        assertThat(resources.verify(slug, spec, DeletionPolicy.Delete, status(outcome)).confirmed()).isTrue();
    }

    @Test
    void aLostStatusAdoptsWhatIsThereAndDuplicatesNothing() {
        String slug = slug("lost");
        ResourcesSpec spec = spec(ALL_TRUE);
        Outcome first = resources.ensure(slug, spec, DeletionPolicy.Retain, null);

        Outcome again = resources.ensure(slug, spec, DeletionPolicy.Retain, new OrganizationStatus());

        assertThat(again.kinds()).isEqualTo(first.kinds());
        assertThat(again.configMapData()).isEqualTo(first.configMapData());
        assertThat(again.changes()).hasSize(3);
        for (Kind kind : Kind.values()) {
            assertThat(listed(kind)).filteredOn(first.of(kind).inPlace().get(0).cloudflareName()::equals).hasSize(1);
        }
    }

    @Test
    void resourcesMadeByAnAttemptThatDiedBeforeStatusAreAdopted() {
        String slug = slug("crashed");
        String kvId = emulator().api("POST", "/storage/kv/namespaces", "{\"title\": \""
                + OrganizationNames.kvNamespaceTitle(slug, "default") + "\"}").path("result").path("id").asText();
        emulator().api("POST", "/r2/buckets", "{\"name\": \"" + OrganizationNames.r2BucketName(slug, "default") + "\"}");
        String queueId = emulator().api("POST", "/queues", "{\"queue_name\": \""
                + OrganizationNames.queueName(slug, "default") + "\"}").path("result").path("queue_id").asText();

        Outcome outcome = resources.ensure(slug, spec(ALL_TRUE), DeletionPolicy.Retain, null);

        assertThat(outcome.problems()).isEmpty();
        assertThat(outcome.of(Kind.KV).inPlace().get(0).id()).isEqualTo(kvId);
        assertThat(outcome.of(Kind.QUEUES).inPlace().get(0).id()).isEqualTo(queueId);
        for (Kind kind : Kind.values()) {
            assertThat(listed(kind)).filteredOn(outcome.of(kind).inPlace().get(0).cloudflareName()::equals).hasSize(1);
        }
    }

    @Test
    void aListOfNamesMakesOneEachInTheSpecsOrderWithBindings() throws Exception {
        String slug = slug("names");
        Outcome outcome = resources.ensure(slug, spec("{\"kv\": [\"sessions\", \"cache\"], \"r2\": [\"uploads\"], "
                + "\"queues\": [\"jobs\", \"mail-out\"]}"), DeletionPolicy.Retain, null);

        assertThat(outcome.problems()).isEmpty();
        assertThat(outcome.of(Kind.KV).inPlace()).extracting(CloudflareResource::name)
                .containsExactly("sessions", "cache");
        assertThat(outcome.of(Kind.QUEUES).inPlace()).extracting(CloudflareResource::name)
                .containsExactly("jobs", "mail-out");
        assertThat(outcome.of(Kind.KV).inPlace()).extracting(CloudflareResource::cloudflareName).containsExactly(
                OrganizationNames.kvNamespaceTitle(slug, "sessions"), OrganizationNames.kvNamespaceTitle(slug, "cache"));
        assertThat(status(outcome).getResources()).isEqualTo("kv:2 r2:1 queues:2");
        assertThat(outcome.configMapData()).containsKeys("kv.sessions.id", "kv.cache.title", "r2.uploads.bucket",
                "queues.jobs.id", "queues.mail-out.name");
        JsonNode wrangler = JSON.readTree(outcome.configMapData().get(OrganizationResources.WRANGLER_JSON));
        assertThat(wrangler.path("kv_namespaces").findValuesAsText("binding")).containsExactly("KV_CACHE",
                "KV_SESSIONS");
        assertThat(wrangler.path("r2_buckets").findValuesAsText("binding")).containsExactly("R2_UPLOADS");
        assertThat(wrangler.path("queues").path("producers").findValuesAsText("binding"))
                .containsExactly("QUEUE_JOBS", "QUEUE_MAIL_OUT");
    }

    // ---- removal

    @Test
    void aNameRemovedFromTheSpecIsDeletedUnderDelete() {
        String slug = slug("remove");
        Outcome two = resources.ensure(slug, spec("{\"kv\": [\"a\", \"b\"], \"r2\": [\"a\", \"b\"], \"queues\": "
                + "[\"a\", \"b\"]}"), DeletionPolicy.Delete, null);
        ResourcesSpec one = spec("{\"kv\": [\"a\"], \"r2\": [\"a\"], \"queues\": [\"a\"]}");

        Outcome outcome = resources.ensure(slug, one, DeletionPolicy.Delete, status(two));

        assertThat(outcome.problems()).isEmpty();
        for (Kind kind : Kind.values()) {
            assertThat(outcome.of(kind).recorded()).extracting(CloudflareResource::name).containsExactly("a");
            assertThat(listed(kind)).contains(two.of(kind).inPlace().get(0).cloudflareName())
                    .doesNotContain(two.of(kind).inPlace().get(1).cloudflareName());
        }
        assertThat(outcome.configMapData().keySet()).noneMatch(key -> key.contains(".b."));
        assertThat(outcome.changes()).hasSize(3).allMatch(change -> change.startsWith("deleted "));
        long since = emulator().lastSeq();
        assertThat(resources.ensure(slug, one, DeletionPolicy.Delete, status(outcome)).changes()).isEmpty();
        assertThat(emulator().callsSince(since)).isEmpty();
    }

    @Test
    void aNameRemovedFromTheSpecIsReleasedUnderRetain() {
        String slug = slug("release");
        Outcome two = resources.ensure(slug, spec("{\"kv\": [\"a\", \"b\"], \"r2\": [\"a\", \"b\"], \"queues\": "
                + "[\"a\", \"b\"]}"), DeletionPolicy.Retain, null);
        long since = emulator().lastSeq();

        Outcome outcome = resources.ensure(slug, spec("{\"kv\": [\"a\"], \"r2\": [\"a\"], \"queues\": [\"a\"]}"),
                DeletionPolicy.Retain, status(two));

        assertThat(emulator().callsSince(since)).isEmpty();
        assertThat(outcome.problems()).isEmpty();
        for (Kind kind : Kind.values()) {
            assertThat(outcome.of(kind).recorded()).extracting(CloudflareResource::name).containsExactly("a");
            assertThat(listed(kind)).contains(two.of(kind).inPlace().get(1).cloudflareName());
        }
        assertThat(outcome.configMapData().keySet()).noneMatch(key -> key.contains(".b."));
        assertThat(outcome.changes()).hasSize(3).allMatch(change -> change.startsWith("released "));
    }

    @Test
    void aForgedStatusNeverReachesAnotherTenantsResources() {
        String victim = slug("victim");
        Outcome victims = resources.ensure(victim, spec("{\"kv\": [\"default\", \"x\"], \"r2\": [\"default\", "
                + "\"x\"], \"queues\": [\"default\", \"x\"]}"), DeletionPolicy.Delete, null);
        String attacker = slug("attacker");
        // The attacker's status claims the victim's resources as its own, under the victim's names and ids, plus
        // entries that are no name the operator gives.
        OrganizationStatus forged = status(victims);
        forged.getKvNamespaces().add(new CloudflareResource("../x", victims.of(Kind.KV).inPlace().get(0)
                .cloudflareName(), victims.of(Kind.KV).inPlace().get(0).id()));
        forged.getR2Buckets().add(new CloudflareResource("Victim_Bucket", victims.of(Kind.R2).inPlace().get(0)
                .cloudflareName(), null));
        long since = emulator().lastSeq();

        // Asks for "default" (entries under the victim's names and ids) and removes "x", with Delete.
        Outcome outcome = resources.ensure(attacker, spec(ALL_TRUE), DeletionPolicy.Delete, forged);
        Cleanup cleanup = resources.deleteAll(attacker, spec(ALL_TRUE), forged, DeletionPolicy.Delete);

        assertThat(outcome.problems()).isEmpty();
        assertThat(cleanup.complete()).isTrue();
        for (Kind kind : Kind.values()) {
            assertThat(listed(kind)).containsAll(victims.of(kind).inPlace().stream()
                    .map(CloudflareResource::cloudflareName).toList());
            // The attacker got its own, under its own name, not the victim's id.
            CloudflareResource own = outcome.of(kind).inPlace().get(0);
            assertThat(own.cloudflareName()).isEqualTo(kind == Kind.KV
                    ? OrganizationNames.kvNamespaceTitle(attacker, "default") : kind == Kind.R2
                            ? OrganizationNames.r2BucketName(attacker, "default")
                            : OrganizationNames.queueName(attacker, "default"));
            assertThat(outcome.of(kind).recorded()).containsExactly(own);
        }
        assertThat(outcome.configMapData().values()).noneMatch(value -> victims.of(Kind.KV).inPlace().stream()
                .anyMatch(r -> value.contains(r.id())));
        List<String> victimHandles = new ArrayList<>();
        for (Kind kind : Kind.values()) {
            victims.of(kind).inPlace().forEach(r -> victimHandles.add(kind == Kind.R2 ? r.cloudflareName() : r.id()));
        }
        assertThat(emulator().callsSince(since)).filteredOn(call -> call.path("method").asText().equals("DELETE"))
                .noneMatch(call -> victimHandles.stream().anyMatch(call.path("path").asText()::endsWith))
                .isNotEmpty(); // the attacker's own, deleted by its cleanup
        assertThat(outcome.changes()).anyMatch(change -> change.contains("'../x'"))
                .anyMatch(change -> change.contains("'Victim_Bucket'"));
    }

    // ---- cleanup

    @Test
    void deleteAllUnderDeleteDeletesEverythingAndTwiceIsFine() {
        String slug = slug("gone");
        Outcome made = resources.ensure(slug, spec("{\"kv\": [\"default\", \"more\"], \"r2\": true, \"queues\": "
                + "[\"jobs\"]}"), DeletionPolicy.Delete, null);

        Cleanup first = resources.deleteAll(slug, null, status(made), DeletionPolicy.Delete);
        Cleanup second = resources.deleteAll(slug, null, status(made), DeletionPolicy.Delete);

        assertThat(first.complete()).isTrue();
        assertThat(first.changes()).hasSize(4).allMatch(change -> change.startsWith("deleted "));
        assertThat(second.complete()).isTrue();
        assertThat(second.changes()).isEmpty();
        for (Kind kind : Kind.values()) {
            assertThat(listed(kind)).noneMatch(name -> name.startsWith("kuratchi-" + slug + "-"));
        }
    }

    @Test
    void deleteAllFindsWhatAStatusLostAfterCreatingDoesNotList() {
        String slug = slug("lost-gone");
        resources.ensure(slug, spec("{\"kv\": true, \"r2\": [\"uploads\"], \"queues\": true}"), DeletionPolicy.Delete,
                null);

        // No status: the spec's names and the default are derived again.
        Cleanup cleanup = resources.deleteAll(slug, spec("{\"r2\": [\"uploads\"]}"), null, DeletionPolicy.Delete);

        assertThat(cleanup.complete()).isTrue();
        assertThat(cleanup.changes()).hasSize(3);
        for (Kind kind : Kind.values()) {
            assertThat(listed(kind)).noneMatch(name -> name.startsWith("kuratchi-" + slug + "-"));
        }
    }

    @Test
    void deleteAllUnderRetainKeepsEverythingWithoutACall() {
        String slug = slug("kept");
        Outcome made = resources.ensure(slug, spec(ALL_TRUE), DeletionPolicy.Retain, null);
        long since = emulator().lastSeq();

        Cleanup first = resources.deleteAll(slug, spec(ALL_TRUE), status(made), DeletionPolicy.Retain);
        Cleanup second = resources.deleteAll(slug, spec(ALL_TRUE), status(made), DeletionPolicy.Retain);

        assertThat(emulator().callsSince(since)).isEmpty();
        assertThat(first.complete()).isTrue();
        assertThat(first.changes()).hasSize(3).allMatch(change -> change.startsWith("released "));
        assertThat(second).isEqualTo(first);
        for (Kind kind : Kind.values()) {
            assertThat(listed(kind)).contains(made.of(kind).inPlace().get(0).cloudflareName());
        }
    }

    // ---- verification

    @Test
    void verifyMakesAgainWhatWasDeletedBehindTheOperatorsBack() {
        String slug = slug("verify");
        Outcome made = resources.ensure(slug, spec(ALL_TRUE), DeletionPolicy.Retain, null);
        String oldId = made.of(Kind.KV).inPlace().get(0).id();
        emulator().api("DELETE", "/storage/kv/namespaces/" + oldId, null);

        // Status cannot show it: the steady state trusts it.
        assertThat(resources.ensure(slug, spec(ALL_TRUE), DeletionPolicy.Retain, status(made)).configMapData())
                .containsEntry("kv.default.id", oldId);
        long since = emulator().lastSeq();
        Outcome verified = resources.verify(slug, spec(ALL_TRUE), DeletionPolicy.Retain, status(made));

        assertThat(verified.problems()).isEmpty();
        String newId = verified.of(Kind.KV).inPlace().get(0).id();
        assertThat(newId).isNotEqualTo(oldId).isEqualTo(onlyId(Kind.KV, OrganizationNames.kvNamespaceTitle(slug,
                "default")));
        assertThat(verified.configMapData()).containsEntry("kv.default.id", newId);
        assertThat(verified.changes()).hasSize(2).anyMatch(change -> change.contains("was gone"));
        assertThat(verified.of(Kind.R2)).isEqualTo(made.of(Kind.R2));
        assertThat(verified.of(Kind.QUEUES)).isEqualTo(made.of(Kind.QUEUES));
        // Only reads, but for the one made again.
        assertThat(emulator().callsSince(since)).filteredOn(call -> !call.path("method").asText().equals("GET"))
                .extracting(call -> call.path("method").asText() + " " + call.path("path").asText())
                .hasSize(1).allMatch(call -> call.startsWith("POST ") && call.endsWith("/storage/kv/namespaces"));

        since = emulator().lastSeq();
        assertThat(resources.verify(slug, spec(ALL_TRUE), DeletionPolicy.Retain, status(verified)).changes()).isEmpty();
        assertThat(emulator().callsSince(since)).allMatch(call -> call.path("method").asText().equals("GET"));
    }

    // ---- bad input

    @Test
    void aBadNameLeavesItsKindAsItWasAndSaysWhatToDo() {
        String slug = slug("bad");
        Outcome made = resources.ensure(slug, spec("{\"kv\": [\"a\", \"b\"]}"), DeletionPolicy.Delete, null);
        long since = emulator().lastSeq();

        Outcome outcome = resources.ensure(slug, spec("{\"kv\": [\"a\", \"Bad_Name\"], \"r2\": true}"),
                DeletionPolicy.Delete, status(made));

        assertThat(emulator().callsSince(since)).noneMatch(call -> call.path("path").asText().contains("/storage/kv/"));
        Problem problem = problem(outcome, Kind.KV, "InvalidResourceName", false, null);
        assertThat(problem.message()).contains("spec.resources.kv", OrganizationNames.validateResourceName("Bad_Name")
                .orElseThrow(), "no KV namespace is made or removed");
        // b is neither deleted nor forgotten; the ConfigMap lists only what the spec still asks for.
        assertThat(outcome.of(Kind.KV).recorded()).isEqualTo(made.of(Kind.KV).inPlace());
        assertThat(outcome.configMapData()).containsKey("kv.a.id").doesNotContainKey("kv.b.id");
        assertThat(listed(Kind.KV)).contains(made.of(Kind.KV).inPlace().get(1).cloudflareName());
        assertThat(outcome.of(Kind.R2).problem()).isNull();
        assertThat(outcome.of(Kind.R2).inPlace()).hasSize(1);
    }

    @Test
    void aValueOfTheWrongShapeLeavesItsKindAsItWasUnderDelete() {
        String slug = slug("shape");
        Outcome made = resources.ensure(slug, spec("{\"kv\": [\"sessions\"], \"queues\": [\"jobs\"]}"),
                DeletionPolicy.Delete, null);
        long since = emulator().lastSeq();

        // A typo: a name where a list belongs. Read as "none", it would delete the namespace.
        Outcome outcome = resources.ensure(slug, spec("{\"kv\": \"sessions\", \"queues\": [\"jobs\"]}"),
                DeletionPolicy.Delete, status(made));

        assertThat(emulator().callsSince(since)).isEmpty();
        Problem problem = problem(outcome, Kind.KV, "InvalidResources", false, null);
        assertThat(problem.message()).contains("spec.resources.kv must be true, false or a list of names",
                "\"sessions\"", "no KV namespace is made or removed");
        assertThat(outcome.of(Kind.KV).recorded()).isEqualTo(made.of(Kind.KV).inPlace());
        assertThat(outcome.configMapData()).containsKey("kv.sessions.id");
        assertThat(listed(Kind.KV)).contains(made.of(Kind.KV).inPlace().get(0).cloudflareName());
        assertThat(outcome.of(Kind.QUEUES).problem()).isNull();
    }

    @Test
    void moreNamesThanAnOrganizationMayHaveIsAShapeProblem() {
        String slug = slug("many");
        String names = java.util.stream.IntStream.rangeClosed(1, ResourcesSpec.MAX_NAMES + 1)
                .mapToObj(i -> "\"n" + i + "\"").collect(java.util.stream.Collectors.joining(", "));
        long since = emulator().lastSeq();

        Outcome outcome = resources.ensure(slug, spec("{\"queues\": [" + names + "]}"), DeletionPolicy.Delete, null);

        assertThat(emulator().callsSince(since)).isEmpty();
        assertThat(problem(outcome, Kind.QUEUES, "InvalidResources", false, null).message())
                .contains("lists 21 names; an organization has at most 20");
    }

    @Test
    void deleteAllWalksEachListOnceWhateverTheNumberOfNames() {
        String slug = slug("walk");
        Outcome made = resources.ensure(slug, spec("{\"kv\": [\"a\", \"b\", \"c\"], \"queues\": [\"a\", \"b\"]}"),
                DeletionPolicy.Delete, null);
        // A status someone padded with names the operator never made: they cost nothing but a place in the walk.
        OrganizationStatus padded = status(made);
        List<CloudflareResource> kv = new ArrayList<>(padded.getKvNamespaces());
        for (int i = 0; i < 500; i++) {
            kv.add(new CloudflareResource("x" + i, OrganizationNames.kvNamespaceTitle(slug, "x" + i), "id" + i));
        }
        padded.setKvNamespaces(kv);
        long since = emulator().lastSeq();

        Cleanup cleanup = resources.deleteAll(slug, null, padded, DeletionPolicy.Delete);

        assertThat(cleanup.complete()).isTrue();
        assertThat(cleanup.changes()).hasSize(5);
        List<JsonNode> calls = emulator().callsSince(since);
        assertThat(calls).filteredOn(call -> call.path("method").asText().equals("GET")
                && call.path("path").asText().contains("/storage/kv/namespaces")).hasSize(1);
        assertThat(calls).filteredOn(call -> call.path("method").asText().equals("GET")
                && call.path("path").asText().contains("/queues")).hasSize(1);
        assertThat(calls).filteredOn(call -> call.path("method").asText().equals("DELETE")
                && !call.path("path").asText().contains("/r2/buckets")).hasSize(5);
        // R2 has no list to walk: one call per name, so the names are bounded (the default among them).
        assertThat(calls).filteredOn(call -> call.path("path").asText().contains("/r2/buckets"))
                .hasSizeLessThanOrEqualTo(2 * ResourcesSpec.MAX_NAMES + 1);
    }

    // ---- faults

    @Test
    void a500IsRetriedByTheClientAndChangesNothing() {
        String slug = slug("blip");
        emulator().fault("{\"method\": \"POST\", \"path\": \"/accounts/*/queues\", \"kind\": \"status\", \"status\": 500}");
        long since = emulator().lastSeq();

        Outcome outcome = resources.ensure(slug, spec(ALL_TRUE), DeletionPolicy.Retain, null);

        assertThat(outcome.problems()).isEmpty();
        assertThat(emulator().statuses("POST", "/queues", since)).containsExactly(500, 200);
        assertThat(listed(Kind.QUEUES)).filteredOn(OrganizationNames.queueName(slug, "default")::equals).hasSize(1);
    }

    @Test
    void anUnavailableApiEndsThePassAsTransientAndTheNextPassConverges() {
        String slug = slug("outage");
        emulator().fault("{\"method\": \"POST\", \"path\": \"/accounts/*/storage/kv/namespaces\", \"kind\": \"status\", "
                + "\"status\": 503, \"count\": 8}");
        long since = emulator().lastSeq();

        Outcome failed = resources.ensure(slug, spec(ALL_TRUE), DeletionPolicy.Retain, null);

        for (Kind kind : Kind.values()) {
            assertThat(problem(failed, kind, "CloudflareUnavailable", true, null).message())
                    .contains("retrying with backoff");
        }
        assertThat(failed.retry()).hasValueSatisfying(problem -> assertThat(problem.transientFailure()).isTrue());
        // The client tried four times; nothing else was called.
        assertThat(emulator().callsSince(since)).extracting(call -> call.path("status").asInt()).containsExactly(503, 503, 503,
                503);
        assertThat(status(failed).getResources()).isNull();

        emulator().clearFaults();
        Outcome recovered = resources.ensure(slug, spec(ALL_TRUE), DeletionPolicy.Retain, status(failed));
        assertThat(recovered.problems()).isEmpty();
        assertThat(status(recovered).getResources()).isEqualTo("kv:1 r2:1 queues:1");
    }

    @Test
    void a429WithALongRetryAfterIsTransientAfterThatDelay() {
        String slug = slug("throttled");
        emulator().fault("{\"method\": \"POST\", \"path\": \"/accounts/*/r2/buckets\", \"kind\": \"status\", "
                + "\"status\": 429, \"retryAfter\": 30}");
        long since = emulator().lastSeq();

        Outcome outcome = resources.ensure(slug, spec(ALL_TRUE), DeletionPolicy.Retain, null);

        assertThat(outcome.of(Kind.KV).problem()).isNull();
        assertThat(outcome.of(Kind.KV).inPlace()).hasSize(1);
        for (Kind kind : List.of(Kind.R2, Kind.QUEUES)) {
            problem(outcome, kind, "CloudflareRateLimited", true, Duration.ofSeconds(30));
        }
        assertThat(emulator().callsSince(since)).noneMatch(call -> call.path("path").asText().contains("/queues"));
        assertThat(emulator().statuses("POST", "/r2/buckets", since)).containsExactly(429);

        // Once the wait is over (a new client: this one's limiter holds every call for 30 s), it converges.
        Outcome later = onEmulator(EmulatorProcess.API_TOKEN).ensure(slug, spec(ALL_TRUE),
                DeletionPolicy.Retain, status(outcome));
        assertThat(later.problems()).isEmpty();
        assertThat(later.of(Kind.KV)).isEqualTo(outcome.of(Kind.KV));
    }

    @Test
    void aRefusedCreateIsPermanentAndTheOtherKindsGoOn() {
        String slug = slug("refused");
        emulator().fault("{\"method\": \"POST\", \"path\": \"/accounts/*/queues\", \"kind\": \"status\", \"status\": 400}");
        long since = emulator().lastSeq();

        Outcome outcome = resources.ensure(slug, spec(ALL_TRUE), DeletionPolicy.Retain, null);

        assertThat(problem(outcome, Kind.QUEUES, "CloudflareRejected", false, null).message()).contains(OrganizationNames.queueName(slug, "default"), "spec.resources.queues",
                "choose another name");
        assertThat(outcome.retry()).isEmpty();
        assertThat(emulator().statuses("POST", "/queues", since)).containsExactly(400);
        assertThat(outcome.of(Kind.KV).problem()).isNull();
        assertThat(outcome.of(Kind.R2).problem()).isNull();
        assertThat(outcome.configMapData()).containsKeys("kv.default.id", "r2.default.bucket")
                .doesNotContainKey("queues.default.id");
    }

    @Test
    void aRefusedTokenEndsThePassAndSaysWhatToFix() {
        Outcome outcome = onEmulator("not-the-token").ensure(slug("token"), spec(ALL_TRUE),
                DeletionPolicy.Retain, null);

        for (Kind kind : Kind.values()) {
            assertThat(problem(outcome, kind, "CloudflareAuthenticationFailed", false, null).message()).contains("KURATCHI_CF_API_TOKEN", "Workers KV Storage Write")
                    .doesNotContain("not-the-token");
        }
    }

    /**
     * The emulator keeps no objects, so Cloudflare's refusal to delete a bucket that holds some (409, 10008) comes
     * from a stand-in server; the removal then goes on against the emulator once the bucket is "emptied".
     */
    @Test
    void aBucketThatHoldsObjectsBlocksItsRemovalUntilEmptied() throws Exception {
        String slug = slug("full");
        ResourcesSpec one = spec("{\"r2\": [\"a\"]}");
        Outcome two = resources.ensure(slug, spec("{\"r2\": [\"a\", \"b\"]}"), DeletionPolicy.Delete, null);
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        AtomicInteger deletes = new AtomicInteger();
        server.createContext("/", exchange -> {
            boolean delete = exchange.getRequestMethod().equals("DELETE");
            if (delete) {
                deletes.incrementAndGet();
            }
            // Lists are empty; every deletion is refused as Cloudflare refuses a bucket's that holds objects.
            byte[] body = (delete ? "{\"success\": false, \"errors\": [{\"code\": 10008, \"message\": \"The "
                    + "bucket you tried to delete is not empty.\"}], \"messages\": [], \"result\": null}"
                    : "{\"success\": true, \"errors\": [], \"messages\": [], \"result\": [], \"result_info\": "
                            + "{\"page\": 1, \"per_page\": 100, \"count\": 0, \"total_count\": 0}}")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("content-type", "application/json");
            exchange.sendResponseHeaders(delete ? 409 : 200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        Outcome blocked;
        Cleanup cleanup;
        try {
            OrganizationResources full = new OrganizationResources(new CloudflareResources(new CloudflareClient(
                    URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/client/v4"), "token",
                    emulator().accountId(), new OkHttpClient(), ApiRateLimiter.of(100, Duration.ofMinutes(1)),
                    OperatorFactory.newRegistry())));
            blocked = full.ensure(slug, one, DeletionPolicy.Delete, status(two));
            assertThat(deletes.get()).isEqualTo(1);
            cleanup = full.deleteAll(slug, null, status(blocked), DeletionPolicy.Delete);
        } finally {
            server.stop(0);
        }

        Problem problem = problem(blocked, Kind.R2, "BucketNotEmpty", false, OrganizationResources.RECHECK_BLOCKED);
        assertThat(problem.message()).contains(OrganizationNames.r2BucketName(slug, "b"), "empty it",
                "deletionPolicy: Retain");
        assertThat(blocked.retry()).contains(problem);
        assertThat(blocked.of(Kind.R2).inPlace()).extracting(CloudflareResource::name).containsExactly("a");
        assertThat(blocked.of(Kind.R2).pendingRemoval()).extracting(CloudflareResource::name).containsExactly("b");
        assertThat(blocked.configMapData()).containsKey("r2.a.bucket").doesNotContainKey("r2.b.bucket");
        assertThat(cleanup.complete()).isFalse();
        assertThat(cleanup.problems()).extracting(Problem::reason).containsExactly("BucketNotEmpty");

        Outcome emptied = resources.ensure(slug, one, DeletionPolicy.Delete, status(blocked));
        assertThat(emptied.problems()).isEmpty();
        assertThat(emptied.of(Kind.R2).recorded()).extracting(CloudflareResource::name).containsExactly("a");
        assertThat(listed(Kind.R2)).doesNotContain(OrganizationNames.r2BucketName(slug, "b"));
    }

    // ---- helpers

    /** With a client of its own: a 429 with a long Retry-After pauses only that one. */
    private static OrganizationResources onEmulator(String token) {
        return new OrganizationResources(new CloudflareResources(emulator().cloudflareClient(token,
                OperatorFactory.newRegistry())));
    }

    private static String slug(String prefix) {
        return prefix + "-" + SLUGS.incrementAndGet();
    }

    private static ResourcesSpec spec(String json) {
        try {
            return JSON.readValue(json, ResourcesSpec.class);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** The status a reconciler writes from the outcome (lists copied, so a test may change them). */
    private static OrganizationStatus status(Outcome outcome) {
        OrganizationStatus status = new OrganizationStatus();
        outcome.writeTo(status);
        status.setKvNamespaces(copy(status.getKvNamespaces()));
        status.setR2Buckets(copy(status.getR2Buckets()));
        status.setQueues(copy(status.getQueues()));
        return status;
    }

    private static List<CloudflareResource> copy(List<CloudflareResource> list) {
        return list == null ? null : new ArrayList<>(list);
    }

    private static List<String> listed(Kind kind) {
        return switch (kind) {
            case KV -> names("/storage/kv/namespaces?per_page=1000", "title");
            case R2 -> names("/r2/buckets?per_page=1000", "name");
            case QUEUES -> names("/queues?per_page=1000", "queue_name");
        };
    }

    private static List<String> names(String path, String field) {
        JsonNode result = emulator().api("GET", path, null).path("result");
        List<String> names = new ArrayList<>();
        (result.isArray() ? result : result.path("buckets")).forEach(item -> names.add(item.path(field).asText()));
        return names;
    }

    /** The id of the one KV namespace or queue with this name. */
    private static String onlyId(Kind kind, String name) {
        JsonNode result = emulator().api("GET", kind == Kind.KV ? "/storage/kv/namespaces?per_page=1000"
                : "/queues?per_page=1000", null).path("result");
        List<String> ids = new ArrayList<>();
        result.forEach(item -> {
            if (item.path(kind == Kind.KV ? "title" : "queue_name").asText().equals(name)) {
                ids.add(item.path(kind == Kind.KV ? "id" : "queue_id").asText());
            }
        });
        assertThat(ids).hasSize(1);
        return ids.get(0);
    }

    /** The kind's problem, checked: its reason, and how the reconciler is to retry. */
    private static Problem problem(Outcome outcome, Kind kind, String reason, boolean transientFailure,
            Duration retryAfter) {
        Problem problem = outcome.of(kind).problem();
        assertThat(problem).as(kind + " problem").isNotNull();
        assertThat(problem.reason()).isEqualTo(reason);
        assertThat(problem.condition()).isEqualTo(kind.condition());
        assertThat(problem.transientFailure()).isEqualTo(transientFailure);
        assertThat(problem.retryAfter()).isEqualTo(retryAfter);
        return problem;
    }
}
