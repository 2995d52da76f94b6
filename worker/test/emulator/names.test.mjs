// Names every JavaScript object inherits ("constructor", "__proto__", ...) are ordinary names to the emulator: on
// every route that takes one they find nothing, or name a new resource, and never reach the emulator's internals.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { requestWithHost } from "../support/cloudflare.mjs";
import { emulatorPerFile } from "./support.mjs";

const DANGEROUS = ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf", "__defineGetter__"];
const emulator = emulatorPerFile();
const account = () => emulator.api.accountPath;

function assertError(response, status, code, what) {
  assert.equal(response.status, status, `${what}: ${JSON.stringify(response.body)}`);
  assert.equal(response.body.success, false, what);
  assert.equal(response.body.result, null, what);
  assert.equal(response.body.errors[0].code, code, what);
}

function echoUpload(metadata = {}, source = "export default { fetch: (request) => new Response(new URL(request.url).pathname) };") {
  const form = new FormData();
  form.append("metadata", JSON.stringify({ main_module: "index.js", compatibility_date: "2025-08-17", ...metadata }));
  form.append("index.js", new Blob([source], { type: "application/javascript+module" }), "index.js");
  return form;
}

async function assertStillServing() {
  assert.equal((await fetch(new URL("/__emulator/health", emulator.api.info.apiUrl))).status, 200);
  assert.equal((await emulator.api.call("GET", `${account()}/workers/scripts`)).status, 200);
  assert.ok(!Object.hasOwn(Object.prototype, "subdomain"), "nothing was written onto Object.prototype");
  assert.ok(!Object.hasOwn(Object, "subdomain"), "nothing was written onto Object");
}

// A crash inside a handler leaves its request unanswered: the timeout turns that into a failure, not a hang.
describe("names every object inherits", { timeout: 60_000 }, () => {
  test("on workers.dev, by Host and by path, they reach no script", async () => {
    for (const name of DANGEROUS) {
      const byHost = await requestWithHost(emulator.api.info.workersUrl, `${name}.test-account.workers.dev`, "/health", {
        method: "GET",
      });
      assert.equal(byHost.status, 404, `Host ${name}`);
      assert.equal((await fetch(`${emulator.api.info.workersUrl}/${name}/health`)).status, 404, `path /${name}`);
    }
    await assertStillServing();
  });

  test("script routes answer 404/10007 for a script that does not exist", async () => {
    for (const name of DANGEROUS) {
      const script = `${account()}/workers/scripts/${encodeURIComponent(name)}`;
      for (const [method, path, body] of [
        ["GET", script],
        ["DELETE", script],
        ["GET", `${script}/settings`],
        ["GET", `${script}/subdomain`],
        ["POST", `${script}/subdomain`, { enabled: true }],
        ["DELETE", `${script}/subdomain`],
      ]) {
        assertError(await emulator.api.call(method, path, body), 404, 10007, `${method} ${path}`);
      }
    }
    await assertStillServing();
  });

  test("an upload under such a name is refused as invalid, or is an ordinary script", async () => {
    for (const name of DANGEROUS.filter((n) => n !== "constructor")) {
      assertError(await emulator.api.upload(name, echoUpload()), 400, 10016, name);
    }
    const upload = await emulator.api.upload("constructor", echoUpload());
    assert.equal(upload.status, 200, JSON.stringify(upload.body));
    assert.equal((await emulator.api.enableSubdomain("constructor")).status, 200);
    assert.equal(await (await fetch(`${emulator.api.info.workersUrl}/constructor/hello`)).text(), "/hello");
    const byHost = await requestWithHost(emulator.api.info.workersUrl, "constructor.test-account.workers.dev", "/hi", {
      method: "GET",
    });
    assert.equal(byHost.text, "/hi");
    const listed = (await emulator.api.call("GET", `${account()}/workers/scripts`)).body.result.map((s) => s.id);
    assert.deepEqual(listed, ["constructor"]);
    assert.equal((await emulator.api.call("DELETE", `${account()}/workers/scripts/constructor`)).status, 200);
    assertError(await emulator.api.call("GET", `${account()}/workers/scripts/constructor`), 404, 10007, "deleted");
    await assertStillServing();
  });

  test("Durable Object classes and module types named like them are not found by inheritance", async () => {
    for (const name of DANGEROUS) {
      const binding = { bindings: [{ type: "durable_object_namespace", name: "DO", class_name: name }] };
      assertError(await emulator.api.upload("classes", echoUpload(binding)), 400, 10061, `binding to ${name}`);
      const deleted = { migrations: { deleted_classes: [name] } };
      assertError(await emulator.api.upload("classes", echoUpload(deleted)), 400, 10001, `deleting ${name}`);
    }
    const migrated = echoUpload(
      {
        migrations: { new_sqlite_classes: ["constructor"] },
        bindings: [{ type: "durable_object_namespace", name: "DO", class_name: "constructor" }],
      },
      'import { DurableObject } from "cloudflare:workers";\n' +
        "class Counter extends DurableObject { count() { return 1; } }\n" +
        "export { Counter as constructor };\n" +
        "export default { fetch: (request, env) => Response.json(typeof env.DO.idFromName) };",
    );
    const upload = await emulator.api.upload("classes", migrated);
    assert.equal(upload.status, 200, JSON.stringify(upload.body));
    assert.deepEqual(upload.body.result.named_handlers, [{ name: "constructor", handlers: ["class"] }]);

    const form = echoUpload();
    form.append("extra", new Blob(["x"], { type: "constructor" }), "extra");
    assertError(await emulator.api.upload("classes", form), 400, 10001, "a part typed 'constructor'");
    await assertStillServing();
  });

  test("KV namespaces, R2 buckets and queues find nothing under such a name and take it as a name", async () => {
    for (const name of DANGEROUS) {
      const segment = encodeURIComponent(name);
      const kv = `${account()}/storage/kv/namespaces/${segment}`;
      assertError(await emulator.api.call("GET", kv), 404, 10013, `GET ${kv}`);
      assertError(await emulator.api.call("PUT", kv, { title: "renamed" }), 404, 10013, `PUT ${kv}`);
      assertError(await emulator.api.call("DELETE", kv), 404, 10013, `DELETE ${kv}`);
      const r2 = `${account()}/r2/buckets/${segment}`;
      assertError(await emulator.api.call("GET", r2), 404, 10006, `GET ${r2}`);
      assertError(await emulator.api.call("DELETE", r2), 404, 10006, `DELETE ${r2}`);
      const queue = `${account()}/queues/${segment}`;
      assertError(await emulator.api.call("GET", queue), 400, 10107, `GET ${queue}`);
      assertError(await emulator.api.call("DELETE", queue), 400, 10107, `DELETE ${queue}`);
      assertError(await emulator.api.call("GET", `/accounts/${segment}/workers/scripts`), 404, 7003, `account ${name}`);

      assert.equal((await emulator.api.call("POST", `${account()}/storage/kv/namespaces`, { title: name })).status, 200);
    }
    assert.equal((await emulator.api.call("POST", `${account()}/r2/buckets`, { name: "constructor" })).status, 200);
    assertError(await emulator.api.call("POST", `${account()}/r2/buckets`, { name: "__proto__" }), 400, 10005, "bucket");
    assert.equal((await emulator.api.call("POST", `${account()}/queues`, { queue_name: "constructor" })).status, 200);
    assertError(await emulator.api.call("POST", `${account()}/queues`, { queue_name: "__proto__" }), 400, 11003, "queue");

    const titles = (await emulator.api.call("GET", `${account()}/storage/kv/namespaces?per_page=100`)).body.result;
    assert.deepEqual(titles.map((ns) => ns.title).sort(), [...DANGEROUS].sort());
    await assertStillServing();
  });

  test("a path segment that is not valid percent-encoding is a routing error, not a crash", async () => {
    for (const segment of ["%E0%A4%A", "%", "%zz"]) {
      const response = await emulator.api.call("GET", `${account()}/workers/scripts/${segment}`);
      assertError(response, 404, 7003, segment);
    }
    await assertStillServing();
  });
});
