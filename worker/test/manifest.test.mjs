// worker.json is what the operator uploads from: it must list exactly the modules in src/, main module first.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { test } from "node:test";
import { manifest } from "./support/gateway.mjs";

test("worker.json lists every module in src/ once, the main module first", () => {
  const files = readdirSync(new URL("../src/", import.meta.url)).filter((name) => name.endsWith(".js"));
  assert.equal(manifest.modules[0], manifest.mainModule);
  assert.deepEqual([...manifest.modules].sort(), files.sort());
});
