#!/usr/bin/env node
// Starts the local Cloudflare API emulator and prints one JSON line when it is ready:
//   {"apiUrl", "workersUrl", "accountId", "accountIds", "subdomain", "dataDir"}
// Every flag has an environment variable; see README.md beside this file. SIGTERM or SIGINT stop it cleanly.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startEmulator } from "./server.js";

const DEFAULT_ACCOUNT_ID = "0123456789abcdef0123456789abcdef";

function settings() {
  const { values } = parseArgs({
    options: {
      host: { type: "string", default: process.env.CF_EMULATOR_HOST ?? "127.0.0.1" },
      port: { type: "string", default: process.env.CF_EMULATOR_PORT ?? "0" },
      "workers-port": { type: "string", default: process.env.CF_EMULATOR_WORKERS_PORT ?? "0" },
      "data-dir": { type: "string", default: process.env.CF_EMULATOR_DATA_DIR },
      "api-token": { type: "string", multiple: true, default: csv(process.env.CF_EMULATOR_API_TOKENS) },
      "account-id": { type: "string", multiple: true, default: csv(process.env.CF_EMULATOR_ACCOUNT_IDS) },
      subdomain: { type: "string", default: process.env.CF_EMULATOR_SUBDOMAIN ?? "kuratchi-local" },
      "rate-limit": { type: "string", default: process.env.CF_EMULATOR_RATE_LIMIT ?? "1200" },
      "rate-window": { type: "string", default: process.env.CF_EMULATOR_RATE_WINDOW_SECONDS ?? "300" },
      "max-script-bytes": { type: "string", default: process.env.CF_EMULATOR_MAX_SCRIPT_BYTES ?? String(10 * 1024 * 1024) },
      quiet: { type: "boolean", default: false },
    },
  });
  const number = (name) => {
    const value = Number(values[name]);
    if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a non-negative number`);
    return value;
  };
  const apiTokens = values["api-token"].flatMap(csv);
  if (apiTokens.length === 0) {
    throw new Error("no API token: pass --api-token <token> or set CF_EMULATOR_API_TOKENS");
  }
  return {
    host: values.host,
    port: number("port"),
    workersPort: number("workers-port"),
    dataDir: values["data-dir"],
    apiTokens,
    accountIds: values["account-id"].flatMap(csv).length > 0 ? values["account-id"].flatMap(csv) : [DEFAULT_ACCOUNT_ID],
    subdomain: values.subdomain,
    rateLimit: number("rate-limit"),
    rateWindowSeconds: number("rate-window"),
    maxScriptBytes: number("max-script-bytes"),
    quiet: values.quiet,
  };
}

function csv(text) {
  return (text ?? "").split(",").map((s) => s.trim()).filter(Boolean);
}

let config;
let temporaryDataDir;
let emulator;
try {
  config = settings();
  if (!config.dataDir) temporaryDataDir = config.dataDir = mkdtempSync(join(tmpdir(), "cf-emulator-"));
  emulator = await startEmulator({ ...config, log: config.quiet ? () => {} : undefined });
} catch (error) {
  console.error(`cloudflare emulator: ${error.message}`);
  if (temporaryDataDir) rmSync(temporaryDataDir, { recursive: true, force: true });
  process.exit(2);
}

let stopping = false;
async function stop(signal) {
  if (stopping) return;
  stopping = true;
  await emulator.close();
  if (temporaryDataDir) rmSync(temporaryDataDir, { recursive: true, force: true });
  if (!config.quiet) console.error(`cloudflare emulator: stopped (${signal})`);
  process.exit(0);
}
const onSignal = (signal) => stop(signal);
process.on("SIGTERM", onSignal);
process.on("SIGINT", onSignal);
// Miniflare adds its own SIGTERM/SIGINT listeners, which kill workerd and exit(143) at once, before in-flight
// requests finish and the servers close. The emulator disposes every runtime itself on a signal, so it keeps the
// signals to itself; Miniflare's "exit" listener stays, and still kills workerd if the process exits another way.
process.on("newListener", (event, listener) => {
  if ((event === "SIGTERM" || event === "SIGINT") && listener !== onSignal) {
    queueMicrotask(() => process.removeListener(event, listener));
  }
});

console.log(JSON.stringify(emulator.describe()));
