// Data written through the gateway survives a full restart of the runtime on the same persist directory.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { startGateway } from "./support/gateway.mjs";

test("tables, rows, migration history, revocations and the claim survive a Miniflare restart", async (t) => {
  const persistDir = mkdtempSync(join(tmpdir(), "kuratchi-persist-"));
  t.after(() => rmSync(persistDir, { recursive: true, force: true }));
  const options = { apiKey: "persist-key", persistDir };
  const owner = { uid: "persist-uid", namespace: "default", name: "keep" };
  let claimed;
  let revokedId;

  const first = await startGateway(options);
  try {
    claimed = (await first.provision("keep", [{ id: "0001", sql: "CREATE TABLE notes (body TEXT)" }], { owner })).body;
    const token = await first.issueToken("keep", { epoch: claimed.epoch });
    await first.data("run", "keep", { query: "INSERT INTO notes VALUES ('still here')" }, token);
    revokedId = claimed.epoch + "ab".repeat(8);
    await first.admin("POST", "/admin/databases/keep/revocations", { tokenIds: [revokedId] });
  } finally {
    await first.dispose();
  }

  const second = await startGateway(options);
  try {
    const token = await second.issueToken("keep", { epoch: claimed.epoch });
    const rows = await second.data("run", "keep", { query: "SELECT body FROM notes" }, token);
    assert.deepEqual(rows.body.results, [{ body: "still here" }]);
    const again = await second.provision("keep", [{ id: "0001", sql: "CREATE TABLE notes (body TEXT)" }], { owner });
    assert.deepEqual(again.body.applied, []);
    assert.equal(again.body.epoch, claimed.epoch);
    assert.equal(again.body.storageId, claimed.storageId);
    assert.deepEqual((await second.info("keep")).owner, owner);
    const revoked = await second.issueToken("keep", { tokenId: revokedId });
    assert.equal((await second.data("run", "keep", { query: "SELECT 1" }, revoked)).body.error, "Token revoked");
  } finally {
    await second.dispose();
  }
});
