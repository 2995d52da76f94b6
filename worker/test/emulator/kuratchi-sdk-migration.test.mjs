// A team migrating from kuratchi-sdk, end to end in the emulator: the SDK's Worker (our fixture, written from the
// reference) holds their data; the operator's upload takes the script over with the same gateway key and no class
// migration; the apps keep working with the tokens and requests they already have, until the operator adopts the
// database. The tests run in order and build on each other, as the migration does.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { gatewayUpload, requestWithHost } from "../support/cloudflare.mjs";
import { SDK_CLASS_NAME, SDK_SCRIPT_NAME, SdkClient, createDatabase, mintSdkToken } from "../support/kuratchi-sdk.mjs";
import { emulatorPerFile } from "./support.mjs";

const GATEWAY_KEY = "team-gateway-key-kept-through-the-migration";
// kuratchi-sdk takes any name without '.'; "Acme Corp" is what its createOrganization derives from a display name.
const DATABASES = ["Acme Corp", "tenant_1"];
// Databases whose SDK-era KV keys look like the gateway's reserved state (see the last tests). kuratchi-sdk's Worker
// refused no key, so any may exist before a switch: under the gateway's reserved prefix, a forged marker included;
// and under the names the earlier v1alpha1 gateway used, with values not of the shapes it wrote.
const SOMEONE_ELSE = { uid: "someone-else", namespace: "other", name: "other" };
const LOOKALIKES = [
  {
    databaseName: "tenant_kv_meta",
    prefix: "meta:",
    readBack: ["meta:epoch", "epoch-zero"],
    plants: (sdkTokenId) => ({
      "meta:epoch": "epoch-zero",
      "meta:owner": "someone-else",
      "meta:storageId": 42,
      [`revoked:${sdkTokenId}`]: true,
    }),
  },
  {
    databaseName: "tenant_kv_reserved",
    prefix: "__kuratchi:",
    // Moved out of the reserved prefix, where the app reads it again.
    readBack: ["__kuratchi-epoch", "0000000000000000"],
    plants: (sdkTokenId) => ({
      "__kuratchi:gateway": 1,
      "__kuratchi:epoch": "0000000000000000",
      "__kuratchi:owner": SOMEONE_ELSE,
      "__kuratchi:booleans": "bogus",
      [`__kuratchi:revoked:${sdkTokenId}`]: { revokedAt: 1, notAfter: null },
    }),
  },
];
// A database the earlier v1alpha1 gateway served (its state under meta:* and revoked:*), and one holding a KV key that
// is not Unicode text (a lone surrogate), which kuratchi-sdk's Worker let an app store.
const EARLIER_GATEWAY = "earlier_gateway";
const UNADDRESSABLE = "unaddressable_key";
const ODD_TABLE = "odd_table_name";
// The earlier gateway's first release recorded a provisioning time but no storage id.
const FIRST_GATEWAY = "first_gateway";
const INITIAL_SQL =
  "CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL UNIQUE, active INTEGER)";
const SDK_HISTORY_TABLE =
  "CREATE TABLE IF NOT EXISTS migrations_history " +
  "(id INTEGER PRIMARY KEY AUTOINCREMENT, tag TEXT NOT NULL UNIQUE, created_at INTEGER)";
const INSERT_USER = "INSERT INTO users (email, active) VALUES (?, ?)";
const OWNER = { uid: "3f0c2a5e-uid-of-the-dodatabase", namespace: "acme", name: "main-db" };
const AVATAR = [0, 1, 2, 254, 255];
const KV_VALUES = [
  { key: "settings", put: { value: { theme: "dark", seats: 5 } }, expected: { theme: "dark", seats: 5 } },
  { key: "greeting", put: { value: "hello", encoding: "text" }, expected: "hello" },
  {
    key: "avatar",
    put: { value: Buffer.from(AVATAR).toString("base64"), encoding: "base64" },
    expected: new Uint8Array(AVATAR),
  },
];

const emulator = emulatorPerFile();
// What each database held under the SDK, recorded before the switch and compared after it.
const state = new Map();

/** Where the SDK's client connects: `https://kuratchi-do-internal.<subdomain>.workers.dev`, here the emulator. */
function connection() {
  const { workersUrl, subdomain } = emulator.api.info;
  return { workersUrl, workersSubdomain: `${subdomain}.workers.dev`, scriptName: SDK_SCRIPT_NAME };
}

function sdkClient(databaseName, dbToken) {
  return new SdkClient({ ...connection(), databaseName, dbToken, gatewayKey: GATEWAY_KEY });
}

/** A request to whatever serves the script, by its workers.dev host. */
async function toScript(method, path, { headers = {}, body } = {}) {
  const { workersUrl, workersSubdomain } = connection();
  const { status, text } = await requestWithHost(workersUrl, `${SDK_SCRIPT_NAME}.${workersSubdomain}`, path, {
    method,
    headers,
    body,
  });
  let parsed = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: kept as text
  }
  return { status, body: parsed };
}

/** A control-plane call as the operator makes it: gateway key as Bearer, the name percent-encoded. */
function admin(method, databaseName, body) {
  const headers = { authorization: `Bearer ${GATEWAY_KEY}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  return toScript(method, `/admin/databases/${encodeURIComponent(databaseName)}`, {
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function ok(resultPromise) {
  const result = await resultPromise;
  assert.equal(result.success, true, JSON.stringify(result));
  return result;
}

/** The SDK ORM's boolean filter, where({active: value}): the JSON boolean goes as a parameter. */
async function emailsWhereActive(client, value) {
  const result = await ok(client.query("SELECT email FROM users WHERE active = ? ORDER BY id", [value]));
  return result.results.map((row) => row.email);
}

describe("before: a team on kuratchi-sdk", () => {
  test("createDatabase uploads the SDK Worker; the next one retries without the class migration", async () => {
    const create = (databaseName) =>
      createDatabase(emulator.api, connection(), { databaseName, gatewayKey: GATEWAY_KEY });
    const first = await create(DATABASES[0]);
    assert.deepEqual(first.uploads.map((u) => u.status), [200]);
    assert.equal(first.ready, true);
    // The emulator takes the SDK's compatibility_flags and placement, as Cloudflare does.
    assert.deepEqual(first.uploads[0].body.result.compatibility_flags, ["nodejs_compat"]);
    assert.equal(first.uploads[0].body.result.placement_mode, "smart");

    // Every createDatabase uploads again; the class exists now, so the SDK's one retry drops the migration.
    const second = await create(DATABASES[1]);
    assert.deepEqual(second.uploads.map((u) => u.status), [400, 200]);
    assert.equal(second.uploads[0].body.errors[0].code, 10074);
    assert.equal(second.ready, true);

    const created = [first, second];
    for (const { databaseName } of LOOKALIKES) created.push(await create(databaseName));
    for (const databaseName of [EARLIER_GATEWAY, UNADDRESSABLE, ODD_TABLE, FIRST_GATEWAY]) {
      created.push(await create(databaseName));
    }
    for (const { databaseName, token } of created) state.set(databaseName, { token });
  });

  test("the SDK Worker answers as described: auth checks in order, 405, 500 for first on no rows", async () => {
    assert.equal((await toScript("OPTIONS", "/api/run")).status, 200);
    assert.deepEqual(await toScript("GET", "/health"), { status: 405, body: { error: "Method not allowed" } });

    const client = sdkClient("tenant_1", state.get("tenant_1").token);
    const refusals = [
      [{ gatewayKey: "another-key" }, "Invalid or missing gateway key"],
      [{ dbToken: undefined }, "Missing x-db-token"],
      [{ dbToken: "a.b.c" }, "Invalid token format"],
      [{ databaseName: "Acme Corp" }, "Token db mismatch"],
      [{ dbToken: mintSdkToken("tenant_1", GATEWAY_KEY, { ttlMs: -1000 }) }, "Token expired"],
      [{ dbToken: mintSdkToken("tenant_1", "another-key") }, "Invalid token signature"],
    ];
    for (const [change, error] of refusals) {
      const answer = await client.with(change).post("/api/run", { query: "SELECT 1" });
      assert.deepEqual([answer.status, answer.body], [401, { error }]);
    }
    assert.deepEqual(await client.first("SELECT 1 WHERE 0"), {
      success: false,
      error: JSON.stringify({ error: "Error: Expected exactly one result from SQL query, but got no results." }),
    });
    // columnNames is ignored: no header row.
    assert.deepEqual(await client.raw("SELECT 1 AS a, 'x' AS b", [], true), { success: true, results: [[1, "x"]] });
  });

  for (const databaseName of DATABASES) {
    test(`"${databaseName}": migrations_history, boolean rows and KV values written through the SDK`, async () => {
      const db = state.get(databaseName);
      const client = sdkClient(databaseName, db.token);
      // As the SDK's migration runner does: its history table, the migration, then the history row.
      await ok(client.exec(SDK_HISTORY_TABLE));
      await ok(client.exec(INITIAL_SQL));
      await ok(client.query("INSERT INTO migrations_history (tag, created_at) VALUES (?, ?)", ["initial", Date.now()]));

      await ok(client.query(INSERT_USER, ["alice@example.com", true]));
      await ok(client.query(INSERT_USER, ["bob@example.com", false]));
      await ok(
        client.batch([
          { query: INSERT_USER, params: ["carol@example.com", true] },
          { query: INSERT_USER, params: ["dan@example.com", false] },
        ]),
      );
      // workerd binds a JS boolean as its text, whatever the column: this is what SDK deployments hold.
      const stored = await ok(client.query("SELECT email, active, typeof(active) AS type FROM users ORDER BY id"));
      assert.deepEqual(
        stored.results.map((row) => [row.email, row.active, row.type]),
        [
          ["alice@example.com", "true", "text"],
          ["bob@example.com", "false", "text"],
          ["carol@example.com", "true", "text"],
          ["dan@example.com", "false", "text"],
        ],
      );
      db.rows = (await ok(client.query("SELECT id, email FROM users ORDER BY id"))).results;
      db.activeTrue = await emailsWhereActive(client, true);
      db.activeFalse = await emailsWhereActive(client, false);
      assert.deepEqual(db.activeTrue, ["alice@example.com", "carol@example.com"]);
      assert.deepEqual(db.activeFalse, ["bob@example.com", "dan@example.com"]);

      for (const { key, put, expected } of KV_VALUES) {
        assert.deepEqual(await client.kv.put({ key, ...put }), { success: true });
        assert.deepEqual((await ok(client.kv.get({ key }))).value, expected);
      }
      const listed = (await ok(client.kv.list({}))).keys.map((k) => k.name);
      assert.deepEqual(listed, KV_VALUES.map((v) => v.key).sort());
    });
  }

  for (const { databaseName, prefix, plants } of LOOKALIKES) {
    test(`"${databaseName}": the SDK puts KV keys that look like reserved state under ${prefix}`, async () => {
      const db = state.get(databaseName);
      const client = sdkClient(databaseName, db.token);
      await ok(client.exec("CREATE TABLE notes (body TEXT)"));
      await ok(client.query("INSERT INTO notes (body) VALUES (?)", ["kept"]));
      for (const [key, value] of Object.entries(plants(db.token.split(".")[1]))) await ok(client.kv.put({ key, value }));
    });
  }

  test(`"${EARLIER_GATEWAY}": the state the earlier v1alpha1 gateway kept, in its layout`, async () => {
    const db = state.get(EARLIER_GATEWAY);
    const client = sdkClient(EARLIER_GATEWAY, db.token);
    // That gateway's provisioning made migrations_history (with its checksum column).
    await ok(client.exec(`${SDK_HISTORY_TABLE.slice(0, -1)}, checksum TEXT)`));
    await ok(client.exec("CREATE TABLE notes (body TEXT)"));
    await ok(client.query("INSERT INTO notes (body) VALUES (?)", ["kept"]));
    db.epoch = "0123456789abcdef";
    db.revokedId = `${db.epoch}${"ab".repeat(8)}`;
    const layout = {
      "meta:provisionedAt": 1764000000000,
      "meta:storageId": "f".repeat(32),
      "meta:epoch": db.epoch,
      "meta:owner": { ...OWNER, since: 1764000000000 },
      [`revoked:${db.revokedId}`]: { revokedAt: 1764000000000, notAfter: null },
    };
    for (const [key, value] of Object.entries(layout)) await ok(client.kv.put({ key, value }));
  });

  test(`"${FIRST_GATEWAY}": what the earlier gateway's first release kept: a provisioning time, 1/0 booleans`, async () => {
    const client = sdkClient(FIRST_GATEWAY, state.get(FIRST_GATEWAY).token);
    await ok(client.exec(`${SDK_HISTORY_TABLE.slice(0, -1)}, checksum TEXT)`));
    await ok(client.exec("CREATE TABLE flags (active INTEGER); INSERT INTO flags VALUES (1), (0)"));
    await ok(client.kv.put({ key: "meta:provisionedAt", value: 1764000000000 }));
  });

  test(`"${ODD_TABLE}": an app names a table with a lone surrogate, which the SDK's Worker let through`, async () => {
    const client = sdkClient(ODD_TABLE, state.get(ODD_TABLE).token);
    await ok(client.exec('CREATE TABLE "\uD800odd" (x); INSERT INTO "\uD800odd" VALUES (1)'));
  });

  test(`"${UNADDRESSABLE}": an app stores a key holding a lone surrogate`, async () => {
    const client = sdkClient(UNADDRESSABLE, state.get(UNADDRESSABLE).token);
    await ok(client.kv.put({ key: "\uD800secret", value: "left behind?" }));
    // The same under the reserved prefix: the takeover cannot move it (it lists back changed), so it stays there.
    await ok(client.kv.put({ key: "__kuratchi:revoked:\uD800", value: null }));
  });
});

describe("the switch: the operator's upload takes the script over", () => {
  test("new_sqlite_classes again is refused with 10074; without migrations the class and storage stay", async () => {
    const namespacesPath = `${emulator.api.accountPath}/workers/durable_objects/namespaces`;
    const namespaces = (await emulator.api.call("GET", namespacesPath)).body.result;

    const withMigration = await emulator.api.upload(SDK_SCRIPT_NAME, gatewayUpload({ apiKey: GATEWAY_KEY }));
    assert.equal(withMigration.status, 400);
    assert.equal(withMigration.body.errors[0].code, 10074);

    const takeover = await emulator.api.upload(
      SDK_SCRIPT_NAME,
      gatewayUpload({ apiKey: GATEWAY_KEY, migrations: false }),
    );
    assert.equal(takeover.status, 200, JSON.stringify(takeover.body));
    assert.deepEqual(takeover.body.result.named_handlers, [{ name: SDK_CLASS_NAME, handlers: ["class"] }]);
    assert.equal((await emulator.api.enableSubdomain(SDK_SCRIPT_NAME)).status, 200);

    // Same class, same namespace id: no migration deleted or renamed the Durable Objects' storage.
    assert.deepEqual((await emulator.api.call("GET", namespacesPath)).body.result, namespaces);
    // Our gateway serves now: the SDK Worker answered every GET with 405.
    assert.deepEqual(await toScript("GET", "/health"), { status: 200, body: { success: true, status: "ok" } });
  });
});

for (const databaseName of DATABASES) {
  describe(`after the switch, "${databaseName}"`, () => {
    const db = () => state.get(databaseName);
    const client = () => sdkClient(databaseName, db().token);

    test("the SDK token issued before the switch still opens it with the SDK's headers", async () => {
      const answer = await client().post("/api/run", { query: "SELECT 1 AS test" });
      assert.equal(answer.status, 200, answer.text);
      assert.deepEqual(answer.body.results, [{ test: 1 }]);
    });

    test("every row written through the SDK is there", async () => {
      const rows = await ok(client().query("SELECT id, email FROM users ORDER BY id"));
      assert.deepEqual(rows.results, db().rows);
    });

    test("the SDK ORM's boolean filter finds the same rows, for rows written before and after the switch", async () => {
      assert.deepEqual(await emailsWhereActive(client(), true), db().activeTrue);
      assert.deepEqual(await emailsWhereActive(client(), false), db().activeFalse);

      await ok(client().query(INSERT_USER, ["erin@example.com", true]));
      await ok(client().batch([{ query: INSERT_USER, params: ["frank@example.com", false] }]));
      assert.deepEqual(await emailsWhereActive(client(), true), [...db().activeTrue, "erin@example.com"]);
      assert.deepEqual(await emailsWhereActive(client(), false), [...db().activeFalse, "frank@example.com"]);
    });

    test("KV values written through the SDK are read back by /api/kv/get", async () => {
      for (const { key, expected } of KV_VALUES) {
        const read = await client().kv.get({ key });
        assert.equal(read.success, true, `${key}: ${JSON.stringify(read)}`);
        assert.deepEqual(read.value, expected, key);
      }
    });

    test("admin GET reads the SDK's migrations_history; the database is not claimed", async () => {
      const info = await admin("GET", databaseName);
      assert.equal(info.status, 200, JSON.stringify(info.body));
      assert.deepEqual(info.body.migrations.map((m) => m.id), ["initial"]);
      assert.equal(info.body.historyMissing, false);
      assert.deepEqual(info.body.tables, ["migrations_history", "users"]);
      assert.deepEqual([info.body.owner, info.body.epoch], [null, null]);
    });

    test("admin PUT with an owner and adopt: any adopts the data and applies only the new migration", async () => {
      const answer = await admin("PUT", databaseName, {
        migrations: [
          { id: "initial", sql: INITIAL_SQL },
          { id: "m0002", sql: "ALTER TABLE users ADD COLUMN note TEXT" },
        ],
        owner: OWNER,
        adopt: "any",
      });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.equal(answer.body.adopted, true);
      assert.deepEqual(answer.body.applied, ["m0002"]);
      assert.deepEqual(answer.body.migrations.map((m) => m.id), ["initial", "m0002"]);
      assert.match(answer.body.epoch, /^[0-9a-f]{16}$/);
      db().epoch = answer.body.epoch;
    });

    test("after adoption the SDK token gets 401 token_revoked; a token of the new epoch reads the rows", async () => {
      const refused = await client().post("/api/run", { query: "SELECT 1" });
      assert.equal(refused.status, 401, refused.text);
      assert.equal(refused.body.code, "token_revoked");

      const { epoch } = db();
      assert.ok(epoch, "the adoption returned an epoch");
      const tokenId = epoch + mintSdkToken(databaseName, GATEWAY_KEY).split(".")[1].slice(epoch.length);
      const epochClient = sdkClient(databaseName, mintSdkToken(databaseName, GATEWAY_KEY, { tokenId }));
      const rows = await ok(epochClient.query("SELECT id, email, note FROM users ORDER BY id"));
      assert.deepEqual(
        rows.results.slice(0, db().rows.length),
        db().rows.map((row) => ({ ...row, note: null })),
      );
    });
  });
}

// Under the SDK, tenant KV keys live in the same _cf_KV table as the gateway's reserved state. Keys an app wrote before
// the switch must stay tenant data: read as an epoch, owner or revocation, they would let anyone who held a token
// before the switch pick the epoch, block the operator's claim (database_owned), or revoke tokens.
for (const { databaseName, prefix, readBack } of LOOKALIKES) {
  describe(`after the switch, "${databaseName}"`, () => {
    test(`KV keys the SDK stored as ${prefix}* stay tenant data: no epoch, owner or revocation`, async () => {
      const client = sdkClient(databaseName, state.get(databaseName).token);
      const opened = await client.post("/api/run", { query: "SELECT body FROM notes WHERE ? IS NOT NULL", params: [true] });
      assert.equal(opened.status, 200, opened.text);
      assert.deepEqual(opened.body.results, [{ body: "kept" }]);

      const info = await admin("GET", databaseName);
      assert.equal(info.status, 200, JSON.stringify(info.body));
      assert.deepEqual([info.body.owner, info.body.epoch, info.body.revokedTokens], [null, null, 0]);
      assert.equal(info.body.booleans, "text");

      const [key, value] = readBack;
      const read = await client.kv.get({ key });
      assert.deepEqual([read.success, read.value], [true, value], JSON.stringify(read));

      const claim = await admin("PUT", databaseName, { migrations: [], owner: OWNER, adopt: "any" });
      assert.equal(claim.status, 200, JSON.stringify(claim.body));
      assert.equal(claim.body.adopted, true);
      assert.notEqual(claim.body.epoch, "0000000000000000");
    });
  });
}

describe(`after the switch, "${EARLIER_GATEWAY}"`, () => {
  test("the earlier gateway's claim, epoch and revocations are carried over: an upgrade revives no token", async () => {
    const db = state.get(EARLIER_GATEWAY);
    const info = await admin("GET", EARLIER_GATEWAY);
    assert.equal(info.status, 200, JSON.stringify(info.body));
    assert.deepEqual(
      [info.body.owner, info.body.epoch, info.body.storageId, info.body.revokedTokens, info.body.provisioned],
      [OWNER, db.epoch, "f".repeat(32), 1, true],
    );

    // The SDK token's id does not start with the epoch; the revoked id does, but is revoked.
    const sdk = await sdkClient(EARLIER_GATEWAY, db.token).post("/api/run", { query: "SELECT 1" });
    assert.deepEqual([sdk.status, sdk.body.code], [401, "token_revoked"]);
    const revoked = mintSdkToken(EARLIER_GATEWAY, GATEWAY_KEY, { tokenId: db.revokedId });
    const refused = await sdkClient(EARLIER_GATEWAY, revoked).post("/api/run", { query: "SELECT 1" });
    assert.deepEqual([refused.status, refused.body.code], [401, "token_revoked"]);
    const current = mintSdkToken(EARLIER_GATEWAY, GATEWAY_KEY, { tokenId: `${db.epoch}${"cd".repeat(8)}` });
    const rows = await sdkClient(EARLIER_GATEWAY, current).post("/api/run", { query: "SELECT body FROM notes" });
    assert.deepEqual([rows.status, rows.body.results], [200, [{ body: "kept" }]]);
    // That gateway bound booleans as 1/0 and had provisioned the database: it stays that way.
    assert.equal((await admin("GET", EARLIER_GATEWAY)).body.booleans, "integer");

    const other = await admin("PUT", EARLIER_GATEWAY, { migrations: [], owner: SOMEONE_ELSE, adopt: "any" });
    assert.deepEqual([other.status, other.body.code], [409, "database_owned"]);
    const same = await admin("PUT", EARLIER_GATEWAY, { migrations: [], owner: OWNER });
    assert.deepEqual([same.status, same.body.adopted, same.body.epoch], [200, false, db.epoch]);
    // Its keys left the tenant's view with the move.
    const listed = (await sdkClient(EARLIER_GATEWAY, current).kv.list({})).keys.map((k) => k.name);
    assert.deepEqual(listed, []);
  });
});

describe(`after the switch, "${UNADDRESSABLE}"`, () => {
  test("a wipe that cannot remove a key no request can address is refused whole, not reported done", async () => {
    const claim = await admin("PUT", UNADDRESSABLE, { migrations: [], owner: OWNER, adopt: "any" });
    assert.equal(claim.status, 200, JSON.stringify(claim.body));
    // The leftover under the reserved prefix is not taken for a revocation, and revoking still works.
    const revocation = await toScript("POST", `/admin/databases/${UNADDRESSABLE}/revocations`, {
      headers: { authorization: `Bearer ${GATEWAY_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ tokenIds: ["12".repeat(16)], notAfter: 1 }),
    });
    assert.deepEqual([revocation.status, revocation.body.revoked], [200, 1], JSON.stringify(revocation.body));
    assert.equal((await admin("GET", UNADDRESSABLE)).body.revokedTokens, 0, "the lapsed revocation is dropped too");
    const wiped = await admin("DELETE", UNADDRESSABLE);
    assert.deepEqual([wiped.status, wiped.body.code], [409, "wipe_incomplete"]);
    const retired = await toScript("POST", `/admin/databases/${UNADDRESSABLE}/retire`, {
      headers: { authorization: `Bearer ${GATEWAY_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ owner: OWNER, wipe: true }),
    });
    assert.deepEqual([retired.status, retired.body.code], [409, "wipe_incomplete"]);
    // Nothing changed: the owner still holds it.
    assert.deepEqual((await admin("GET", UNADDRESSABLE)).body.owner, OWNER);
  });
});

describe(`after the switch, "${ODD_TABLE}"`, () => {
  test("a wipe drops a table named with a lone surrogate by its bytes, leaving a fresh database", async () => {
    const claim = await admin("PUT", ODD_TABLE, { migrations: [], owner: OWNER, adopt: "any" });
    assert.equal(claim.status, 200, JSON.stringify(claim.body));
    // Read back as text, the name's three bytes each become U+FFFD.
    const tables = (await admin("GET", ODD_TABLE)).body.tables.filter((t) => t !== "migrations_history");
    assert.deepEqual(tables, ["\uFFFD\uFFFD\uFFFDodd"]);
    const wiped = await admin("DELETE", ODD_TABLE);
    assert.deepEqual([wiped.status, wiped.body.deleted], [200, true], JSON.stringify(wiped.body));
    assert.deepEqual((await admin("GET", ODD_TABLE)).body.tables, []);
  });
});

describe(`after the switch, "${FIRST_GATEWAY}"`, () => {
  test("a provisioning time beside a migrations_history with checksum is that gateway's: 1/0 booleans stay", async () => {
    const info = await admin("GET", FIRST_GATEWAY);
    assert.deepEqual([info.status, info.body.provisioned], [200, true], JSON.stringify(info.body));
    const client = sdkClient(FIRST_GATEWAY, state.get(FIRST_GATEWAY).token);
    const active = await ok(client.query("SELECT count(*) AS n FROM flags WHERE active = ?", [true]));
    assert.equal(active.results[0].n, 1);
    assert.equal((await admin("GET", FIRST_GATEWAY)).body.booleans, "integer");
  });
});
