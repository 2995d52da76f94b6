// Data written through the gateway survives a full restart of the runtime on the same persist directory.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { startGateway } from "./support/gateway.mjs";

test("tables, rows, migration history and revocations survive a Miniflare restart", async (t) => {
  const persistDir = mkdtempSync(join(tmpdir(), "kuratchi-persist-"));
  t.after(() => rmSync(persistDir, { recursive: true, force: true }));
  const options = { apiKey: "persist-key", persistDir };
  const revokedId = "ab".repeat(16);

  const first = await startGateway(options);
  try {
    await first.provision("keep", [{ id: "0001", sql: "CREATE TABLE notes (body TEXT)" }]);
    await first.sql("keep", "INSERT INTO notes VALUES ('still here')");
    await first.admin("POST", "/admin/databases/keep/revocations", { tokenIds: [revokedId] });
  } finally {
    await first.dispose();
  }

  const second = await startGateway(options);
  try {
    assert.deepEqual(await second.sql("keep", "SELECT body FROM notes"), [{ body: "still here" }]);
    const again = await second.provision("keep", [{ id: "0001", sql: "CREATE TABLE notes (body TEXT)" }]);
    assert.deepEqual(again.body.applied, []);
    const revoked = await second.issueToken("keep", { tokenId: revokedId });
    assert.equal((await second.data("run", "keep", { query: "SELECT 1" }, revoked)).body.code, "token_revoked");
  } finally {
    await second.dispose();
  }
});
