// Measures the emulator as the operator's tests and the local mode meet it: start-up (spawn to the ready line),
// and the time from the start of a Worker upload to the first request answered through workers.dev.
// Usage: npm run bench:emulator -- [--runs 5]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { CloudflareApi, gatewayUpload, spawnEmulator } from "../test/support/cloudflare.mjs";
import { Gateway, manifest } from "../test/support/gateway.mjs";

const { values } = parseArgs({ options: { runs: { type: "string", default: "5" } } });
const RUNS = Number(values.runs);
const TOKEN = "bench-token";
const KEY = "bench-key";

const samples = { startup: [], upload: [], uploadToFirstAnswer: [], reupload: [], provisionToFirstQuery: [], stop: [] };
for (let run = 0; run < RUNS; run++) {
  const dataDir = mkdtempSync(join(tmpdir(), "cf-emulator-bench-"));
  const spawnedAt = performance.now();
  const emulator = await spawnEmulator(["--data-dir", dataDir, "--api-token", TOKEN]);
  samples.startup.push(performance.now() - spawnedAt);
  try {
    const api = new CloudflareApi(emulator.info, TOKEN);
    const uploadAt = performance.now();
    const upload = await api.upload(manifest.scriptName, gatewayUpload({ apiKey: KEY }));
    if (upload.status !== 200) throw new Error(JSON.stringify(upload.body));
    samples.upload.push(performance.now() - uploadAt);
    await api.enableSubdomain(manifest.scriptName);
    const health = await fetch(`${api.scriptUrl(manifest.scriptName)}/health`);
    if (health.status !== 200) throw new Error(`health ${health.status}`);
    samples.uploadToFirstAnswer.push(performance.now() - uploadAt);

    const reuploadAt = performance.now();
    await api.upload(manifest.scriptName, gatewayUpload({ apiKey: KEY, migrations: false }));
    samples.reupload.push(performance.now() - reuploadAt);

    const gateway = new Gateway(null, new URL(`${api.scriptUrl(manifest.scriptName)}/`), KEY);
    const provisionAt = performance.now();
    await gateway.provision("bench", [{ id: "0001", sql: "CREATE TABLE t (id INTEGER PRIMARY KEY)" }]);
    await gateway.sql("bench", "SELECT count(*) FROM t");
    samples.provisionToFirstQuery.push(performance.now() - provisionAt);
  } finally {
    const stopAt = performance.now();
    await emulator.stop();
    samples.stop.push(performance.now() - stopAt);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
console.log(`emulator benchmark: ${RUNS} runs, medians (min-max), node ${process.version}`);
const labels = {
  startup: "start-up: spawn to ready line",
  upload: "gateway upload (PUT script)",
  uploadToFirstAnswer: "upload start to first answered request",
  reupload: "re-upload (hot replace)",
  provisionToFirstQuery: "provision + first query via workers.dev",
  stop: "SIGTERM to exit",
};
for (const [key, label] of Object.entries(labels)) {
  const values = samples[key];
  console.log(
    `${label.padEnd(42)}${median(values).toFixed(0).padStart(6)} ms  (${Math.min(...values).toFixed(0)}-${Math.max(...values).toFixed(0)})`,
  );
}
