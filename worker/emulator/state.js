// The emulator's persisted state: accounts with their workers.dev subdomain, scripts (modules, bindings, Durable
// Object classes), KV namespaces, R2 buckets and queues. One JSON file in the data directory, replaced atomically
// (write, fsync, rename) after every change, so a crash leaves either the old or the new state, never half of one.
// It holds secret bindings, so it is readable by its owner only.
//
// Accounts and scripts are Maps in memory: their keys come from request paths and Host headers, and a name such as
// "constructor" or "__proto__" must find nothing rather than a property every object inherits.
import { closeSync, existsSync, fchmodSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { join } from "node:path";

const FORMAT = 1;

export class StateStore {
  constructor(dataDir, { accountIds, subdomain }) {
    this.file = join(dataDir, "state.json");
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const saved = existsSync(this.file) ? JSON.parse(readFileSync(this.file, "utf8")) : { format: FORMAT, accounts: {} };
    if (saved.format !== FORMAT) throw new Error(`${this.file}: unknown state format ${saved.format}`);
    this.accountsById = new Map(
      Object.entries(saved.accounts).map(([id, account]) => [id, { ...account, scripts: new Map(Object.entries(account.scripts)) }]),
    );
    for (const id of accountIds) {
      if (!this.accountsById.has(id)) {
        this.accountsById.set(id, { subdomain, scripts: new Map(), kvNamespaces: [], r2Buckets: [], queues: [] });
      }
    }
    this.save();
  }

  /** The account's record, or undefined for an account this emulator does not serve. */
  account(accountId) {
    return this.accountsById.get(accountId);
  }

  accounts() {
    return [...this.accountsById];
  }

  save() {
    const accounts = Object.fromEntries(
      [...this.accountsById].map(([id, account]) => [id, { ...account, scripts: Object.fromEntries(account.scripts) }]),
    );
    const temporary = `${this.file}.tmp`;
    const fd = openSync(temporary, "w", 0o600);
    try {
      // The mode given to openSync applies only to a new file; one left behind by a crash keeps its own.
      fchmodSync(fd, 0o600);
      writeSync(fd, JSON.stringify({ format: FORMAT, accounts }));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, this.file);
  }
}
