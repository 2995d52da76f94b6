// An in-process emulator per test file, on free ports and a throwaway data directory.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import { startEmulator } from "../../emulator/server.js";
import { CloudflareApi } from "../support/cloudflare.mjs";

export const TOKEN = "emulator-test-token";
export const ACCOUNT = "0123456789abcdef0123456789abcdef";

export async function emulatorForTest(options = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), "cf-emulator-test-"));
  const emulator = await startEmulator({
    dataDir,
    apiTokens: [TOKEN],
    accountIds: [ACCOUNT],
    subdomain: "test-account",
    log: () => {},
    ...options,
  });
  return {
    emulator,
    api: new CloudflareApi(emulator.describe(), TOKEN),
    async close() {
      await emulator.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Starts an emulator before the file's tests and closes it after them; `handle.api` is ready inside tests. */
export function emulatorPerFile(options) {
  const handle = {};
  before(async () => Object.assign(handle, await emulatorForTest(options)));
  after(() => handle.close?.());
  return handle;
}
