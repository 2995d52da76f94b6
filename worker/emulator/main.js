#!/usr/bin/env node
// Starts the local Cloudflare API emulator and prints one JSON line when it is ready:
//   {"apiUrl", "workersUrl", "accountId", "accountIds", "subdomain", "dataDir"}
// Every flag but --quiet and --help has an environment variable; see README.md beside this file, or --help.
// SIGTERM or SIGINT stop it cleanly.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startEmulator } from "./server.js";

const DEFAULT_ACCOUNT_ID = "0123456789abcdef0123456789abcdef";

// Each flag once: its value's placeholder (none for a switch), environment variable, default and --help line.
const FLAGS = {
  host: { value: "address", env: "CF_EMULATOR_HOST", default: "127.0.0.1", help: "address both servers listen on" },
  port: { value: "port", env: "CF_EMULATOR_PORT", default: "0", help: "Cloudflare API port, 0 for a free one" },
  "workers-port": {
    value: "port",
    env: "CF_EMULATOR_WORKERS_PORT",
    default: "0",
    help: "workers.dev front port, 0 for a free one",
  },
  "data-dir": {
    value: "dir",
    env: "CF_EMULATOR_DATA_DIR",
    help: "persisted state; without it, a temporary directory removed on exit",
  },
  "api-token": {
    value: "token",
    env: "CF_EMULATOR_API_TOKENS",
    multiple: true,
    help: "accepted API token, repeatable or comma-separated; required",
  },
  "account-id": {
    value: "id",
    env: "CF_EMULATOR_ACCOUNT_IDS",
    multiple: true,
    help: `served account, 32 hex, repeatable; default ${DEFAULT_ACCOUNT_ID}`,
  },
  subdomain: {
    value: "label",
    env: "CF_EMULATOR_SUBDOMAIN",
    default: "kuratchi-local",
    help: "the accounts' workers.dev subdomain",
  },
  "rate-limit": {
    value: "n",
    env: "CF_EMULATOR_RATE_LIMIT",
    default: "1200",
    help: "API requests allowed per window and token",
  },
  "rate-window": { value: "seconds", env: "CF_EMULATOR_RATE_WINDOW_SECONDS", default: "300", help: "rate-limit window" },
  "max-script-bytes": {
    value: "bytes",
    env: "CF_EMULATOR_MAX_SCRIPT_BYTES",
    default: String(10 * 1024 * 1024),
    help: "largest script upload",
  },
  quiet: { help: "no logs on stderr" },
  help: { help: "print this help and exit" },
};

function usage() {
  const left = ([name, flag]) => `--${name}${flag.value ? ` <${flag.value}>` : ""}`;
  const width = Math.max(...Object.entries(FLAGS).map((entry) => left(entry).length)) + 2;
  const lines = Object.entries(FLAGS).map((entry) => {
    const [, flag] = entry;
    const details = [flag.env, flag.default === undefined ? null : `default ${flag.default}`].filter(Boolean);
    return `  ${left(entry).padEnd(width)}${flag.help}${details.length > 0 ? ` [${details.join(", ")}]` : ""}`;
  });
  return ["usage: node emulator/main.js --api-token <token> [flags]", ...lines].join("\n");
}

function parseFlags() {
  const options = Object.fromEntries(
    Object.entries(FLAGS).map(([name, flag]) => {
      if (!flag.value) return [name, { type: "boolean", default: false }];
      const fromEnv = process.env[flag.env];
      if (flag.multiple) return [name, { type: "string", multiple: true, default: csv(fromEnv) }];
      return [name, { type: "string", default: fromEnv ?? flag.default }];
    }),
  );
  try {
    return parseArgs({ options }).values;
  } catch (error) {
    if (!error.code?.startsWith("ERR_PARSE_ARGS_")) throw error;
    console.error(`cloudflare emulator: ${error.message}\n${usage()}`);
    process.exit(2);
  }
}

function settings(values) {
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

const flags = parseFlags();
if (flags.help) {
  console.log(usage());
  process.exit(0);
}

// Miniflare keeps scratch files (cache, workflows) in a directory of its own under os.tmpdir() and removes it on
// dispose() without waiting, so an exit right after leaves one behind for every script that ran. They go in a
// directory of the emulator's instead, removed as the process exits, however it exits.
const scratchDir = mkdtempSync(join(tmpdir(), "cf-emulator-scratch-"));
process.env.TMPDIR = scratchDir;
process.on("exit", () => rmSync(scratchDir, { recursive: true, force: true }));

let config;
let temporaryDataDir;
let emulator;
try {
  config = settings(flags);
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
