// Runs each uploaded script in its own workerd process through Miniflare: an upload to one script never restarts
// another, and each script keeps its Durable Object storage in its own directory (Miniflare instances sharing a
// persist directory fail under concurrent load). Scripts restored from the data directory start on first use.
//
// Durable Object data is tenants' data: its directories are private to the emulator's user (0700), and those an
// older emulator or a looser umask left wider are made private again on every start.
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Miniflare } from "miniflare";
import { errors } from "./cloudflare.js";

const STDERR_LINES_KEPT = 40;

export class ScriptRuntimes {
  constructor({ dataDir, logRuntime }) {
    this.storageRoot = join(dataDir, "durable-objects");
    this.logRuntime = logRuntime;
    this.running = new Map(); // key -> { mf, url, etag, stderr: string[] }
    this.queues = new Map(); // key -> tail of the per-script operation chain
    if (existsSync(this.storageRoot)) makePrivate(this.storageRoot);
  }

  /** Serializes operations on one script (uploads, deletes, lazy starts); other scripts are not held up. */
  exclusive(key, operation) {
    const previous = this.queues.get(key) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(operation);
    this.queues.set(key, next);
    next.finally(() => {
      if (this.queues.get(key) === next) this.queues.delete(key);
    }).catch(() => {});
    return next;
  }

  storageDir(accountId, scriptName) {
    return join(this.storageRoot, accountId, scriptName);
  }

  options(accountId, record, stderr) {
    const bindings = {};
    const durableObjects = {};
    for (const binding of record.bindings) {
      if (binding.type === "durable_object_namespace") {
        durableObjects[binding.name] = {
          className: binding.class_name,
          useSQLite: record.classes[binding.class_name].sqlite,
        };
      } else {
        bindings[binding.name] = binding.text;
      }
    }
    const storage = this.storageDir(accountId, record.id);
    mkdirSync(storage, { recursive: true, mode: 0o700 });
    return {
      name: record.id,
      modules: record.modules.map((m) => ({
        type: m.type,
        path: m.name,
        contents: m.type === "ESModule" || m.type === "CommonJS" || m.type === "Text"
          ? Buffer.from(m.base64, "base64").toString("utf8")
          : new Uint8Array(Buffer.from(m.base64, "base64")),
      })),
      compatibilityDate: record.compatibility_date,
      compatibilityFlags: record.compatibility_flags,
      bindings,
      durableObjects,
      durableObjectsPersist: storage,
      cf: false,
      port: 0,
      handleRuntimeStdio: (stdout, stderrStream) => {
        forwardLines(stdout, (line) => this.logRuntime(record.id, line));
        forwardLines(stderrStream, (line) => {
          stderr.push(line);
          if (stderr.length > STDERR_LINES_KEPT) stderr.shift();
          this.logRuntime(record.id, line);
        });
      },
    };
  }

  /**
   * Starts the record's code, or replaces the running version. If the new code does not start, the previous
   * version keeps (or goes back to) serving and the upload fails with workerd's own message, as Cloudflare
   * refuses a script that throws at start-up. Returns the start-up time in ms.
   */
  async deploy(accountId, record, previousRecord) {
    const key = runtimeKey(accountId, record.id);
    const current = this.running.get(key);
    const stderr = [];
    const startedAt = performance.now();
    try {
      if (current) {
        await current.mf.setOptions(this.options(accountId, record, stderr));
        current.url = await current.mf.ready;
        current.etag = record.etag;
      } else {
        this.running.set(key, await this.start(accountId, record, stderr));
      }
      return Math.round(performance.now() - startedAt);
    } catch (error) {
      if (current && previousRecord) {
        await current.mf.setOptions(this.options(accountId, previousRecord, [])).catch(() => this.stopNow(key));
      }
      throw errors.scriptValidation(startupFailure(error, stderr));
    }
  }

  async start(accountId, record, stderr = []) {
    const mf = new Miniflare(this.options(accountId, record, stderr));
    try {
      return { mf, url: await mf.ready, etag: record.etag };
    } catch (error) {
      await mf.dispose().catch(() => {});
      throw error;
    }
  }

  /** The base URL of the script's runtime, starting it from its record if this process has not yet. */
  async url(accountId, record) {
    const key = runtimeKey(accountId, record.id);
    const running = this.running.get(key);
    if (running && running.etag === record.etag && !this.queues.has(key)) return running.url;
    return this.exclusive(key, async () => {
      const now = this.running.get(key);
      if (now) return now.url;
      const started = await this.start(accountId, record);
      this.running.set(key, started);
      return started.url;
    });
  }

  /** Stops the script; with `deleteStorage`, its Durable Objects' data goes too. */
  async remove(accountId, scriptName, { deleteStorage }) {
    await this.stopNow(runtimeKey(accountId, scriptName));
    if (deleteStorage) rmSync(this.storageDir(accountId, scriptName), { recursive: true, force: true });
  }

  async stopNow(key) {
    const running = this.running.get(key);
    this.running.delete(key);
    await running?.mf.dispose().catch(() => {});
  }

  async closeAll() {
    await Promise.all([...this.running.keys()].map((key) => this.stopNow(key)));
  }
}

function makePrivate(dir) {
  chmodSync(dir, 0o700);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) makePrivate(join(dir, entry.name));
  }
}

export function runtimeKey(accountId, scriptName) {
  return `${accountId}/${scriptName}`;
}

function startupFailure(error, stderr) {
  const reason = stderr.filter((line) => /error|uncaught|exception/i.test(line)).join("\n") || stderr.join("\n");
  const summary = String(error?.message ?? error).split("\n")[0];
  return `Uploaded script failed to start: ${reason || summary}`.slice(0, 2000);
}

function forwardLines(stream, onLine) {
  let buffered = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk) => {
    buffered += chunk;
    let newline;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      onLine(buffered.slice(0, newline));
      buffered = buffered.slice(newline + 1);
    }
  });
  stream.on("end", () => buffered && onLine(buffered));
}
