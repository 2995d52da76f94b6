// Benchmark of the gateway Worker hosted by Miniflare on loopback, with N concurrent clients:
// requests/s and p50/p99 for a primary-key SELECT, an INSERT, and the first request to a brand-new database
// (provision with one migration, then a query: time to a usable database). The same workload is also sent
// straight to the Durable Object through an entry module without the gateway's auth, in the same run, and the
// ratio shows what auth costs.
// Both targets run side by side and are measured in alternating rounds; each figure is the median over rounds,
// so drift on a busy 2-core machine does not favour whichever ran first.
//
// Usage: npm run bench -- [--clients 16] [--requests 3000] [--new-databases 200] [--rounds 3]
import { parseArgs } from "node:util";
import { performance } from "node:perf_hooks";
import { Miniflare } from "miniflare";
import { gatewayOptions, workerModules } from "../test/support/gateway.mjs";
import { importSigningKey, randomTokenId, signToken } from "../src/token.js";

const { values: args } = parseArgs({
  options: {
    clients: { type: "string", default: "16" },
    requests: { type: "string", default: "3000" },
    "new-databases": { type: "string", default: "200" },
    rounds: { type: "string", default: "3" },
  },
});
const CLIENTS = Number(args.clients);
const REQUESTS = Number(args.requests);
const NEW_DATABASES = Number(args["new-databases"]);
const ROUNDS = Number(args.rounds);
const KEY = "bench-gateway-key";
const SEEDED_ROWS = 1000;

// Entry without auth: the gateway's own validation and forwarding, minus token checks.
const UNAUTHENTICATED_ENTRY = `
import { runDataRequest } from "./gateway.js";
export { KuratchiDoInternal } from "./database.js";
export default {
  fetch(request, env) {
    const operation = new URL(request.url).pathname.slice("/api/".length);
    return runDataRequest(operation, request, env, request.headers.get("x-db-name"), null);
  },
};`;

async function start(modules) {
  const mf = new Miniflare(gatewayOptions({ apiKey: KEY, modules }));
  return { mf, url: await mf.ready };
}

const signingKey = await importSigningKey(KEY);
const tokenFor = (databaseName) =>
  signToken(signingKey, { databaseName, tokenId: randomTokenId(), expiresAt: Date.now() + 3_600_000 });

async function post(url, path, databaseName, token, body) {
  const response = await fetch(new URL(path, url), {
    method: path.startsWith("/admin/") ? "PUT" : "POST",
    headers: { "content-type": "application/json", "x-db-name": databaseName, authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${path}: ${response.status} ${text}`);
  return text;
}

/** Runs `total` calls of `once(i)` from CLIENTS concurrent loops; returns latencies (ms) and elapsed seconds. */
async function load(total, once) {
  const latencies = new Array(total);
  let next = 0;
  const startedAt = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      for (let i = next++; i < total; i = next++) {
        const t0 = performance.now();
        await once(i);
        latencies[i] = performance.now() - t0;
      }
    }),
  );
  return { latencies, seconds: (performance.now() - startedAt) / 1000 };
}

function summarize({ latencies, seconds }) {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { rps: latencies.length / seconds, p50: at(0.5), p99: at(0.99) };
}

async function seed(url, shop, shopToken) {
  await post(url, "/api/exec", shop, shopToken, {
    query: "CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL)",
  });
  await post(url, "/api/batch", shop, shopToken, {
    batch: Array.from({ length: SEEDED_ROWS }, (_, i) => ({
      query: "INSERT OR REPLACE INTO items (id, name, price) VALUES (?, ?, ?)",
      params: [i + 1, `item-${i + 1}`, i * 0.5],
    })),
  });
  // Warm up connections and the object.
  await load(200, () => post(url, "/api/first", shop, shopToken, { query: "SELECT 1 AS x" }));
}

async function measure(url, label, shop, shopToken) {
  const select = summarize(
    await load(REQUESTS, (i) =>
      post(url, "/api/first", shop, shopToken, {
        query: "SELECT id, name, price FROM items WHERE id = ?",
        params: [(i % SEEDED_ROWS) + 1],
      }),
    ),
  );
  const insert = summarize(
    await load(REQUESTS, (i) =>
      post(url, "/api/run", shop, shopToken, { query: "INSERT INTO items (name, price) VALUES (?, ?)", params: [`n${i}`, i] }),
    ),
  );

  const names = Array.from({ length: NEW_DATABASES }, (_, i) => `bench-new-${label}-${i}-${randomTokenId().slice(0, 8)}`);
  const tokens = await Promise.all(names.map(tokenFor));
  const migration = { id: "0001_items", sql: "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)" };
  // A brand-new database per call: its first request creates a table, the second queries it.
  const fresh = summarize(
    await load(NEW_DATABASES, async (i) => {
      await post(url, "/api/exec", names[i], tokens[i], { query: migration.sql });
      await post(url, "/api/run", names[i], tokens[i], { query: "SELECT count(*) FROM items" });
    }),
  );
  // The operator's way, gateway only (the direct target has no admin path): provision with one recorded
  // migration, then the first query.
  const provisionTokens = await Promise.all(names.map((name) => tokenFor(`${name}-p`)));
  const provisioned =
    label === "gateway"
      ? summarize(
          await load(NEW_DATABASES, async (i) => {
            const name = `${names[i]}-p`;
            await post(url, `/admin/databases/${name}`, name, KEY, { migrations: [migration] });
            await post(url, "/api/run", name, provisionTokens[i], { query: "SELECT count(*) FROM items" });
          }),
        )
      : null;
  return { select, insert, fresh, provisioned };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const format = (n, digits = 2) => n.toFixed(digits).padStart(10);
const allModules = workerModules();
const unauthenticatedModules = [{ type: "ESModule", path: "bench-entry.js", contents: UNAUTHENTICATED_ENTRY }, ...allModules];
const WORKLOADS = [
  ["primary-key SELECT", "select"],
  ["INSERT", "insert"],
  ["new database, first requests", "fresh"],
];

console.log(
  `gateway benchmark: ${CLIENTS} concurrent clients, ${REQUESTS} requests per workload, ${NEW_DATABASES} new ` +
    `databases, ${ROUNDS} alternating rounds (medians), Miniflare on loopback, node ${process.version}`,
);
const targets = {
  direct: await start(unauthenticatedModules),
  gateway: await start(allModules),
};
const rounds = { direct: [], gateway: [] };
try {
  for (const [label, { url }] of Object.entries(targets)) {
    targets[label].shop = `bench-shop-${label}`;
    targets[label].token = await tokenFor(targets[label].shop);
    await seed(url, targets[label].shop, targets[label].token);
  }
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? ["direct", "gateway"] : ["gateway", "direct"];
    for (const label of order) {
      process.stderr.write(`round ${round + 1}/${ROUNDS}: ${label}\n`);
      const { url, shop, token } = targets[label];
      rounds[label].push(await measure(url, label, shop, token));
    }
  }
} finally {
  await Promise.all(Object.values(targets).map((t) => t.mf.dispose()));
}

const result = (label, key, metric) => median(rounds[label].map((r) => r[key][metric]));

console.log(`\n${"workload".padEnd(38)}${"target".padEnd(8)}${"req/s".padStart(10)}${"p50 ms".padStart(10)}${"p99 ms".padStart(10)}`);
for (const [name, key] of WORKLOADS) {
  for (const label of ["direct", "gateway"]) {
    console.log(
      `${name.padEnd(38)}${label.padEnd(8)}${format(result(label, key, "rps"), 0)}` +
        `${format(result(label, key, "p50"))}${format(result(label, key, "p99"))}`,
    );
  }
}
console.log(
  `${"new database, admin provision+query".padEnd(38)}${"gateway".padEnd(8)}${format(result("gateway", "provisioned", "rps"), 0)}` +
    `${format(result("gateway", "provisioned", "p50"))}${format(result("gateway", "provisioned", "p99"))}`,
);
console.log("\ncost of the gateway's auth, gateway / direct (throughput below 1, latency above 1: auth costs time)");
for (const [name, key] of WORKLOADS) {
  const ratio = (metric) => (result("gateway", key, metric) / result("direct", key, metric)).toFixed(2);
  console.log(`${name.padEnd(38)}throughput x${ratio("rps")}   p50 x${ratio("p50")}   p99 x${ratio("p99")}`);
}
