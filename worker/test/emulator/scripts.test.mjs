// Uploading the real gateway Worker through the emulated Cloudflare API and using it through workers.dev.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { gatewayUpload, requestWithHost } from "../support/cloudflare.mjs";
import { Gateway, manifest, workerModules } from "../support/gateway.mjs";
import { emulatorPerFile } from "./support.mjs";

const GATEWAY_KEY = "gateway-key-under-test";
const SCRIPT = manifest.scriptName;
const emulator = emulatorPerFile();

/** The gateway as seen through workers.dev (path form), with the harness's helpers. */
function gatewayThroughWorkersDev(key = GATEWAY_KEY) {
  return new Gateway(null, new URL(`${emulator.api.scriptUrl(SCRIPT)}/`), key);
}

async function pathFormFetch(path, init) {
  return fetch(`${emulator.api.scriptUrl(SCRIPT)}${path}`, init);
}

describe("the gateway Worker deployed through the API", () => {
  test("upload, enable workers.dev, provision a database and run SQL through it", async () => {
    const upload = await emulator.api.upload(SCRIPT, gatewayUpload({ apiKey: GATEWAY_KEY }));
    assert.equal(upload.status, 200, JSON.stringify(upload.body));
    const result = upload.body.result;
    assert.equal(result.id, SCRIPT);
    assert.match(result.etag, /^[0-9a-f]{64}$/);
    assert.equal(result.has_modules, true);
    assert.deepEqual(result.named_handlers, [{ name: manifest.durableObject.className, handlers: ["class"] }]);
    assert.ok(result.startup_time_ms > 0);

    // Not reachable until its workers.dev subdomain is enabled.
    assert.equal((await pathFormFetch("/health")).status, 404);
    const enabled = await emulator.api.enableSubdomain(SCRIPT);
    assert.deepEqual(enabled.body.result, { enabled: true, previews_enabled: false });

    const gateway = gatewayThroughWorkersDev();
    const provision = await gateway.provision("orders", [{ id: "0001", sql: "CREATE TABLE orders (id INTEGER PRIMARY KEY, total REAL)" }]);
    assert.equal(provision.status, 200, JSON.stringify(provision.body));
    assert.deepEqual(provision.body.applied, ["0001"]);
    await gateway.sql("orders", "INSERT INTO orders (total) VALUES (?)", [12.5]);
    assert.deepEqual(await gateway.sql("orders", "SELECT total FROM orders"), [{ total: 12.5 }]);
  });

  test("the Host form <script>.<subdomain>.workers.dev reaches the same Worker", async () => {
    const response = await requestWithHost(emulator.api.info.workersUrl, `${SCRIPT}.test-account.workers.dev`, "/health", {
      method: "GET",
    });
    assert.equal(response.status, 200);
    assert.deepEqual(JSON.parse(response.text), { success: true, status: "ok" });
    const unknown = await requestWithHost(emulator.api.info.workersUrl, "nope.test-account.workers.dev", "/health", { method: "GET" });
    assert.equal(unknown.status, 404);
  });

  test("a second new_sqlite_classes migration is refused with 10074, and the upload without it works", async () => {
    const again = await emulator.api.upload(SCRIPT, gatewayUpload({ apiKey: GATEWAY_KEY }));
    assert.equal(again.status, 400);
    assert.equal(again.body.success, false);
    assert.equal(again.body.errors[0].code, 10074);
    assert.match(again.body.errors[0].message, /new-class migration.*already depended on/);

    const without = await emulator.api.upload(SCRIPT, gatewayUpload({ apiKey: GATEWAY_KEY, migrations: false }));
    assert.equal(without.status, 200, JSON.stringify(without.body));
  });

  test("a re-upload keeps Durable Object data, keeps created_on and changes etag when the code changes", async () => {
    const before = (await emulator.api.call("GET", `${emulator.api.accountPath}/workers/scripts`)).body.result[0];
    const modules = workerModules().map((m) =>
      m.path === manifest.mainModule ? { ...m, contents: `${m.contents}\n// revision 2\n` } : m,
    );
    const upload = await emulator.api.upload(SCRIPT, gatewayUpload({ apiKey: GATEWAY_KEY, migrations: false, modules }));
    assert.equal(upload.status, 200);
    assert.equal(upload.body.result.created_on, before.created_on);
    assert.notEqual(upload.body.result.etag, before.etag);
    assert.deepEqual(await gatewayThroughWorkersDev().sql("orders", "SELECT total FROM orders"), [{ total: 12.5 }]);
  });

  test("a script that fails to start is refused with workerd's message and the old version keeps serving", async () => {
    const broken = [{ type: "ESModule", path: "index.js", contents: "export default { fetch( {" }];
    const upload = await emulator.api.upload(SCRIPT, gatewayUpload({ apiKey: GATEWAY_KEY, migrations: false, modules: broken }));
    assert.equal(upload.status, 400);
    assert.equal(upload.body.errors[0].code, 10021);
    assert.match(upload.body.errors[0].message, /SyntaxError/);
    assert.deepEqual(await gatewayThroughWorkersDev().sql("orders", "SELECT total FROM orders"), [{ total: 12.5 }]);
  });

  test("a binding to a class that never had a new-class migration is refused with 10061", async () => {
    const upload = await emulator.api.upload("no-migration", gatewayUpload({ apiKey: GATEWAY_KEY, migrations: false }));
    assert.equal(upload.status, 400);
    assert.equal(upload.body.errors[0].code, 10061);
  });

  test("invalid uploads get a clear error", async () => {
    const noMain = new FormData();
    noMain.append("metadata", JSON.stringify({ main_module: "missing.js" }));
    noMain.append("index.js", new Blob(["export default {}"], { type: "application/javascript+module" }), "index.js");
    assert.match((await emulator.api.upload("bad-one", noMain)).body.errors[0].message, /No such module "missing.js"/);

    const noMetadata = new FormData();
    noMetadata.append("index.js", new Blob(["export default {}"], { type: "application/javascript+module" }), "index.js");
    assert.match((await emulator.api.upload("bad-two", noMetadata)).body.errors[0].message, /metadata/);

    const badName = await emulator.api.upload("Bad.Name", gatewayUpload({ apiKey: GATEWAY_KEY }));
    assert.equal(badName.body.errors[0].code, 10016);
  });

  test("settings list bindings without secret values; the script list never shows them", async () => {
    const settings = await emulator.api.call("GET", `${emulator.api.accountPath}/workers/scripts/${SCRIPT}/settings`);
    assert.equal(settings.status, 200);
    assert.deepEqual(settings.body.result.bindings.find((b) => b.type === "secret_text"), {
      type: "secret_text",
      name: "API_KEY",
    });
    const list = await emulator.api.call("GET", `${emulator.api.accountPath}/workers/scripts`);
    assert.ok(!JSON.stringify(list.body).includes(GATEWAY_KEY));
    assert.ok(!JSON.stringify(settings.body).includes(GATEWAY_KEY));
    const namespaces = await emulator.api.call("GET", `${emulator.api.accountPath}/workers/durable_objects/namespaces`);
    assert.equal(namespaces.body.result[0].class, manifest.durableObject.className);
    assert.equal(namespaces.body.result[0].use_sqlite, true);
  });

  test("concurrent uploads of one script are applied one at a time and all succeed", async () => {
    const uploads = await Promise.all(
      Array.from({ length: 4 }, () => emulator.api.upload(SCRIPT, gatewayUpload({ apiKey: GATEWAY_KEY, migrations: false }))),
    );
    assert.deepEqual(uploads.map((u) => u.status), [200, 200, 200, 200]);
    assert.deepEqual(await gatewayThroughWorkersDev().sql("orders", "SELECT count(*) AS n FROM orders"), [{ n: 1 }]);
  });

  test("disabling the subdomain makes the script unreachable; deleting it removes it and its data", async () => {
    await emulator.api.call("DELETE", `${emulator.api.accountPath}/workers/scripts/${SCRIPT}/subdomain`);
    assert.equal((await pathFormFetch("/health")).status, 404);
    await emulator.api.enableSubdomain(SCRIPT);
    assert.equal((await pathFormFetch("/health")).status, 200);

    const deleted = await emulator.api.call("DELETE", `${emulator.api.accountPath}/workers/scripts/${SCRIPT}?force=true`);
    assert.equal(deleted.status, 200);
    assert.equal(deleted.body.result, null);
    assert.equal((await pathFormFetch("/health")).status, 404);
    const missing = await emulator.api.call("DELETE", `${emulator.api.accountPath}/workers/scripts/${SCRIPT}`);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.errors[0].code, 10007);

    // A new script of that name starts with empty Durable Objects.
    await emulator.api.upload(SCRIPT, gatewayUpload({ apiKey: GATEWAY_KEY }));
    await emulator.api.enableSubdomain(SCRIPT);
    const info = await gatewayThroughWorkersDev().admin("GET", "/admin/databases/orders");
    assert.deepEqual(info.body.tables, []);
  });
});
