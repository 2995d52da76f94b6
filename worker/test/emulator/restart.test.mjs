// The emulator as a command: flags and help, ready line, clean stop on SIGTERM, and a restart on the same data
// directory keeps scripts, resources and Durable Object data, private to the emulator's user.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { gatewayUpload, spawnEmulator } from "../support/cloudflare.mjs";
import { CloudflareApi } from "../support/cloudflare.mjs";
import { Gateway } from "../support/gateway.mjs";

const TOKEN = "restart-token";
const KEY = "restart-gateway-key";
const MAIN = new URL("../../emulator/main.js", import.meta.url).pathname;
const FLAGS = ["host", "port", "workers-port", "data-dir", "api-token", "account-id", "subdomain", "rate-limit"]
  .concat(["rate-window", "max-script-bytes", "quiet", "help"]);

function childrenOf(pid) {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        return readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1].split(" ")[1] === String(pid);
      } catch {
        return false;
      }
    })
    .map(Number);
}

test("restart with the same data directory keeps scripts, resources and Durable Object data", async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), "cf-emulator-restart-"));
  // A TMPDIR of its own, to see that a stop leaves nothing there (Miniflare keeps scratch files under it).
  const scratch = mkdtempSync(join(tmpdir(), "cf-emulator-tmpdir-"));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  t.after(() => rmSync(scratch, { recursive: true, force: true }));
  const args = ["--data-dir", dataDir, "--api-token", TOKEN, "--subdomain", "restart-test"];

  const first = await spawnEmulator(args, { env: { ...process.env, TMPDIR: scratch } });
  const api = new CloudflareApi(first.info, TOKEN);
  assert.equal(first.info.subdomain, "restart-test");
  assert.match(first.info.apiUrl, /^http:\/\/127\.0\.0\.1:\d+\/client\/v4$/);
  let runtimePids;
  try {
    assert.equal((await api.upload("kuratchi-do-internal", gatewayUpload({ apiKey: KEY }))).status, 200);
    await api.enableSubdomain("kuratchi-do-internal");
    const gateway = new Gateway(null, new URL(`${api.scriptUrl("kuratchi-do-internal")}/`), KEY);
    await gateway.provision("survivor", [{ id: "0001", sql: "CREATE TABLE t (v TEXT)" }]);
    await gateway.sql("survivor", "INSERT INTO t VALUES ('kept')");
    await api.call("POST", `${api.accountPath}/storage/kv/namespaces`, { title: "kv-kept" });
    await api.call("POST", `${api.accountPath}/r2/buckets`, { name: "r2-kept" });
    await api.call("POST", `${api.accountPath}/queues`, { queue_name: "queue-kept" });
    runtimePids = childrenOf(first.child.pid);
    assert.ok(runtimePids.length > 0, "the script runs in a workerd child process");
  } finally {
    assert.equal(await first.stop("SIGTERM"), 0, first.stderr());
  }
  for (const pid of runtimePids) assert.ok(!existsSync(`/proc/${pid}`), `workerd ${pid} was left running`);
  assert.deepEqual(readdirSync(scratch), [], "a stop leaves no temporary file");
  await assert.rejects(fetch(`${first.info.workersUrl}/kuratchi-do-internal/health`), "the port is closed");

  const second = await spawnEmulator(args);
  try {
    const again = new CloudflareApi(second.info, TOKEN);
    const scripts = (await again.call("GET", `${again.accountPath}/workers/scripts`)).body.result;
    assert.deepEqual(scripts.map((s) => s.id), ["kuratchi-do-internal"]);
    const gateway = new Gateway(null, new URL(`${again.scriptUrl("kuratchi-do-internal")}/`), KEY);
    assert.deepEqual(await gateway.sql("survivor", "SELECT v FROM t"), [{ v: "kept" }]);
    const kv = (await again.call("GET", `${again.accountPath}/storage/kv/namespaces`)).body.result;
    assert.deepEqual(kv.map((ns) => ns.title), ["kv-kept"]);
    const r2 = (await again.call("GET", `${again.accountPath}/r2/buckets`)).body.result.buckets;
    assert.deepEqual(r2.map((b) => b.name), ["r2-kept"]);
    const queues = (await again.call("GET", `${again.accountPath}/queues`)).body.result;
    assert.deepEqual(queues.map((q) => q.queue_name), ["queue-kept"]);
    // A re-upload of the same class still knows the migration was applied before the restart.
    assert.equal((await again.upload("kuratchi-do-internal", gatewayUpload({ apiKey: KEY }))).body.errors[0].code, 10074);
  } finally {
    assert.equal(await second.stop("SIGINT"), 0);
  }
});

test("missing or wrong configuration stops start-up with one clear line", async () => {
  await assert.rejects(spawnEmulator([]), /no API token: pass --api-token/);
  await assert.rejects(spawnEmulator(["--api-token", "t", "--account-id", "xyz"]), /account ids must be 32 lowercase hex/);
});

test("--help prints one line per flag and exits 0; an unknown flag prints the usage and exits 2", () => {
  const help = spawnSync(process.execPath, [MAIN, "--help"], { encoding: "utf8" });
  assert.equal(help.status, 0, help.stderr);
  const lines = help.stdout.trimEnd().split("\n");
  assert.match(lines[0], /^usage: /);
  assert.deepEqual(
    lines.slice(1).map((line) => /^ {2}--([a-z-]+)/.exec(line)?.[1]),
    FLAGS,
    help.stdout,
  );

  for (const args of [["--nope"], ["--api-token", "t", "stray"], ["--api-token"]]) {
    const refused = spawnSync(process.execPath, [MAIN, ...args], { encoding: "utf8" });
    assert.equal(refused.status, 2, args.join(" "));
    assert.equal(refused.stdout, "");
    assert.ok(refused.stderr.includes(help.stdout.trimEnd()), refused.stderr);
  }
});

function modes(root) {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(entry.parentPath ?? entry.path, entry.name))
    .concat(root)
    .map((dir) => [dir, statSync(dir).mode & 0o777]);
}

test("Durable Object storage directories are private on every start, also ones an earlier run left at 0755", async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), "cf-emulator-private-"));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const args = ["--data-dir", dataDir, "--api-token", TOKEN];
  const storage = join(dataDir, "durable-objects");
  const state = join(dataDir, "state.json");

  const first = await spawnEmulator(args);
  try {
    const api = new CloudflareApi(first.info, TOKEN);
    await api.upload("kuratchi-do-internal", gatewayUpload({ apiKey: KEY }));
    await api.enableSubdomain("kuratchi-do-internal");
    const gateway = new Gateway(null, new URL(`${api.scriptUrl("kuratchi-do-internal")}/`), KEY);
    await gateway.provision("private", [{ id: "0001", sql: "CREATE TABLE t (v TEXT)" }]);
    await gateway.sql("private", "INSERT INTO t VALUES ('only mine')");
  } finally {
    await first.stop();
  }
  const account = join(storage, first.info.accountId);
  for (const dir of [storage, account, join(account, "kuratchi-do-internal")]) {
    assert.equal(statSync(dir).mode & 0o777, 0o700, dir);
  }
  assert.equal(statSync(state).mode & 0o777, 0o600);

  // As an emulator without this rule, or a umask of 022, left them; and a state file a crash left half-written.
  for (const [dir] of modes(storage)) chmodSync(dir, 0o755);
  chmodSync(state, 0o644);
  writeFileSync(`${state}.tmp`, "{}", { mode: 0o644 });
  chmodSync(`${state}.tmp`, 0o644);

  const second = await spawnEmulator(args);
  try {
    for (const [dir, mode] of modes(storage)) assert.equal(mode, 0o700, `${dir} before any request`);
    assert.equal(statSync(state).mode & 0o777, 0o600);
    const api = new CloudflareApi(second.info, TOKEN);
    const gateway = new Gateway(null, new URL(`${api.scriptUrl("kuratchi-do-internal")}/`), KEY);
    assert.deepEqual(await gateway.sql("private", "SELECT v FROM t"), [{ v: "only mine" }]);
  } finally {
    await second.stop();
  }
});
