// The emulator's persisted state: accounts with their workers.dev subdomain, scripts (modules, bindings, Durable
// Object classes), KV namespaces, R2 buckets and queues. One JSON file in the data directory, replaced atomically
// (write, fsync, rename) after every change, so a crash leaves either the old or the new state, never half of one.
// It holds secret bindings, so it is readable by its owner only.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { join } from "node:path";

const FORMAT = 1;

export class StateStore {
  constructor(dataDir, { accountIds, subdomain }) {
    this.file = join(dataDir, "state.json");
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    this.state = existsSync(this.file) ? JSON.parse(readFileSync(this.file, "utf8")) : { format: FORMAT, accounts: {} };
    if (this.state.format !== FORMAT) throw new Error(`${this.file}: unknown state format ${this.state.format}`);
    for (const id of accountIds) {
      this.state.accounts[id] ??= { subdomain, scripts: {}, kvNamespaces: [], r2Buckets: [], queues: [] };
    }
    this.save();
  }

  /** The account's record, or undefined for an account this emulator does not serve. */
  account(accountId) {
    return this.state.accounts[accountId];
  }

  accounts() {
    return Object.entries(this.state.accounts);
  }

  save() {
    const temporary = `${this.file}.tmp`;
    const fd = openSync(temporary, "w", 0o600);
    try {
      writeSync(fd, JSON.stringify(this.state));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, this.file);
  }
}
