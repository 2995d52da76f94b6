// Rate limiting like Cloudflare's, injected faults, and the call log tests use to count calls.
import assert from "node:assert/strict";
import { beforeEach, describe, test } from "node:test";
import { gatewayUpload } from "../support/cloudflare.mjs";
import { emulatorPerFile } from "./support.mjs";

const emulator = emulatorPerFile({ rateLimit: 5, rateWindowSeconds: 2 });
beforeEach(() => emulator.api.control("DELETE", "/__emulator/faults"));

const verify = (token) => emulator.api.call("GET", "/user/tokens/verify", undefined, token ? { token } : undefined);

describe("rate limit", () => {
  test("over the limit every call is 429 with Retry-After until the window ends, then calls pass again", async () => {
    const answers = [];
    for (let i = 0; i < 7; i++) answers.push(await verify());
    assert.deepEqual(answers.map((a) => a.status), [200, 200, 200, 200, 200, 429, 429]);
    const limited = answers[5];
    assert.equal(limited.body.errors[0].code, 971);
    const retryAfter = Number(limited.headers.get("retry-after"));
    assert.ok(retryAfter >= 1 && retryAfter <= 2, `Retry-After ${retryAfter}`);
    assert.match(limited.headers.get("ratelimit"), /^"default";r=0;t=\d+$/);
    assert.equal(limited.headers.get("ratelimit-policy"), '"default";q=5;w=2');
    assert.match(answers[0].headers.get("ratelimit"), /r=4;/);

    // After Retry-After seconds the window is over.
    await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000 + 50));
    assert.equal((await verify()).status, 200);
  });

  test("the limit can be changed at run time, which starts new windows", async () => {
    assert.equal((await emulator.api.control("PUT", "/__emulator/rate-limit", { limit: 1000, windowSeconds: 300 })).status, 200);
    for (let i = 0; i < 10; i++) assert.equal((await verify()).status, 200);
    assert.equal((await emulator.api.control("PUT", "/__emulator/rate-limit", { limit: 0, windowSeconds: 1 })).status, 400);
  });
});

describe("faults", () => {
  test("a status fault fails exactly the next N matching calls: 429 with Retry-After, 500, 502", async () => {
    await emulator.api.control("PUT", "/__emulator/rate-limit", { limit: 1000, windowSeconds: 300 });
    const added = await emulator.api.control("POST", "/__emulator/faults", [
      { method: "GET", path: "/user/tokens/verify", kind: "status", status: 429, retryAfter: 7, count: 1 },
      { method: "GET", path: "/user/tokens/verify", kind: "status", status: 500, count: 2 },
      { method: "GET", path: "/user/tokens/verify", kind: "status", status: 502, count: 1 },
    ]);
    assert.equal(added.status, 200);
    assert.equal((await emulator.api.control("GET", "/__emulator/faults")).body.result.length, 3);

    const statuses = [];
    let retryAfter;
    for (let i = 0; i < 5; i++) {
      const response = await verify();
      statuses.push(response.status);
      if (response.status === 429) retryAfter = response.headers.get("retry-after");
      if (response.status >= 400) assert.equal(response.body.success, false);
    }
    assert.deepEqual(statuses, [429, 500, 500, 502, 200]);
    assert.equal(retryAfter, "7");
    assert.deepEqual((await emulator.api.control("GET", "/__emulator/faults")).body.result, []);
  });

  test("a fault matches only its method and path pattern", async () => {
    await emulator.api.control("POST", "/__emulator/faults", {
      method: "PUT",
      path: "/accounts/*/workers/scripts/*",
      kind: "status",
      status: 500,
    });
    assert.equal((await verify()).status, 200);
    assert.equal((await emulator.api.call("GET", `${emulator.api.accountPath}/workers/scripts`)).status, 200);
    const upload = await emulator.api.upload("faulty", gatewayUpload({ apiKey: "k" }));
    assert.equal(upload.status, 500);
    assert.equal(upload.body.errors[0].code, 10002);
  });

  test("latency delays the call, which then succeeds", async () => {
    await emulator.api.control("POST", "/__emulator/faults", { path: "/user/tokens/verify", kind: "latency", latencyMs: 300 });
    const started = performance.now();
    const response = await verify();
    assert.equal(response.status, 200);
    assert.ok(performance.now() - started >= 290);
  });

  test("drop closes the connection without an answer", async () => {
    await emulator.api.control("POST", "/__emulator/faults", { path: "/user/tokens/verify", kind: "drop" });
    await assert.rejects(verify(), /fetch failed/);
    assert.equal((await verify()).status, 200);
  });

  test("faults can target workers.dev traffic, to take a gateway down for a while", async () => {
    await emulator.api.upload("down-test", gatewayUpload({ apiKey: "k" }));
    await emulator.api.enableSubdomain("down-test");
    await emulator.api.control("POST", "/__emulator/faults", {
      target: "workers",
      path: "/down-test/**",
      kind: "status",
      status: 503,
      count: 2,
    });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await fetch(`${emulator.api.scriptUrl("down-test")}/health`)).status);
    assert.deepEqual(statuses, [503, 503, 200]);
  });

  test("bad fault specs are refused with what to fix", async () => {
    for (const spec of [{ kind: "explode" }, { kind: "status" }, { kind: "status", status: 200 }, { kind: "drop", count: 0 }]) {
      const response = await emulator.api.control("POST", "/__emulator/faults", spec);
      assert.equal(response.status, 400, JSON.stringify(spec));
    }
  });
});

test("the call log records method, path and status of every API call, to count uploads", async () => {
  await emulator.api.control("PUT", "/__emulator/rate-limit", { limit: 1000, windowSeconds: 300 });
  await emulator.api.control("DELETE", "/__emulator/calls");
  await emulator.api.upload("counted", gatewayUpload({ apiKey: "k" }));
  await emulator.api.upload("counted", gatewayUpload({ apiKey: "k" }));
  await emulator.api.call("GET", "/nope");
  const uploads = await emulator.api.calls({ method: "PUT", path: /^\/accounts\/[0-9a-f]+\/workers\/scripts\/counted$/ });
  assert.deepEqual(uploads.map((c) => c.status), [200, 400]);
  const all = await emulator.api.calls();
  assert.deepEqual(all.at(-1), { ...all.at(-1), target: "api", method: "GET", path: "/nope", status: 404 });
  assert.ok(all.every((c, i) => i === 0 || c.seq > all[i - 1].seq));
});
