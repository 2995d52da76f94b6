// Benchmark of the gateway Worker in workerd (Miniflare on loopback): what its auth costs, and how many new databases
// workerd creates per second.
//
// One workerd serves both targets from the same isolate and the same Durable Objects: the gateway as deployed
// (handleRequest), and a no-auth baseline (/direct/...) that routes the same request the same way and runs it minus
// the credential checks: authenticate in the gateway (headers, database name, token), the token id check in the
// database's object. Both send the same headers and bodies.
// On a shared 2-core machine the load of other processes comes and goes within a second, so the two targets are
// measured in many short rounds, back to back, in alternating order; each round gives one auth / no-auth ratio, and
// the summary is the median ratio with its interquartile range and a distribution-free 95 % confidence interval of
// that median; auth is "within 5 %" only when the whole interval is. Beside throughput, workerd's CPU time per request
// (read from /proc, all its threads) shows the server's own cost, which in production does not share its machine
// with the clients. Auth's parts are also timed alone in workerd.
//
// New databases, both ways (first requests, and the operator's provision), at each concurrency in --creation-clients,
// all interleaved round by round, in a new workerd every 3 rounds (about 1000 databases: workerd fails after a few
// thousand). Nine rounds are the fewest whose confidence interval leaves out the lowest and the highest ratio.
//
// Usage: npm run bench -- [--clients 16] [--rounds 200] [--requests 100] [--creation-clients 8,32]
//                         [--creation-rounds 9] [--new-databases 16]
import { readFileSync, readdirSync } from "node:fs";
import http from "node:http";
import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import { performance } from "node:perf_hooks";
import { Miniflare } from "miniflare";
import { gatewayOptions, workerModules } from "../test/support/gateway.mjs";
import { importSigningKey, randomTokenId, signToken } from "../src/token.js";

const { values: args } = parseArgs({
  options: {
    clients: { type: "string", default: "16" },
    rounds: { type: "string", default: "200" },
    requests: { type: "string", default: "100" },
    "creation-clients": { type: "string", default: "8,32" },
    "creation-rounds": { type: "string", default: "9" },
    // Databases per round and target; at least 2 per client.
    "new-databases": { type: "string", default: "16" },
  },
});
const CLIENTS = Number(args.clients);
const ROUNDS = Number(args.rounds);
const REQUESTS = Number(args.requests);
const CREATION_CLIENTS = args["creation-clients"].split(",").map(Number);
const CREATION_ROUNDS = Number(args["creation-rounds"]);
const newDatabases = (clients) => Math.max(Number(args["new-databases"]), 2 * clients);
const ROUNDS_PER_WORKERD = 3;
const KEY = "bench-gateway-key";
const SEEDED_ROWS = 1000;
const SHOP = "bench-shop";

// The bench's entry module. Anything not under /direct/ or /bench/ takes the deployed path, handleRequest. /direct/
// routes as handleRequest does (route in gateway.js) and runs the request without auth. /bench/<what>?n= runs one
// part of auth n times, to time it alone: authenticate (the gateway's check of a token it verified before, as every
// request but a token's first), verify-token (the whole check of a token's first use), admit-token (the object's check
// of a token id it admitted before), token-refusal (its first check of a token id: two storage reads).
const ENTRY = `
import { authenticate, handleRequest, runAdminRequest, runDataRequest } from "./gateway.js";
import { KuratchiDoInternal as Database } from "./database.js";
import { gatewayKeys } from "./keys.js";
import { verifyToken } from "./token.js";

export class KuratchiDoInternal extends Database {
  checkTokens(what, n, tokenId) {
    for (let i = 0; i < n; i++) if (this[what](tokenId) !== null) throw new Error("token refused");
    return n;
  }
}

async function timed(what, n, request, env) {
  const { databaseName, tokenId } = await authenticate(request, env);
  if (what === "authenticate") {
    for (let i = 0; i < n; i++) await authenticate(request, env);
  } else if (what === "verify-token") {
    const { signingKeys } = await gatewayKeys(env);
    const token = request.headers.get("authorization").slice("Bearer ".length);
    for (let i = 0; i < n; i++) await verifyToken(token, { databaseName, signingKeys, now: Date.now() });
  } else {
    const method = what === "admit-token" ? "admitToken" : "tokenRefusal";
    await env.DO.get(env.DO.idFromName(databaseName)).checkTokens(method, n, tokenId);
  }
  return new Response("ok");
}

export default {
  fetch(request, env) {
    const { url } = request;
    if (url.includes("/direct/")) {
      const path = new URL(url).pathname.slice("/direct".length);
      const data = /^\\/api\\/((?:kv\\/)?[a-z]+)$/.exec(path);
      if (data) return runDataRequest(data[1], request, env, request.headers.get("x-db-name"), null);
      return runAdminRequest(/^\\/admin\\/databases\\/([^/]+)$/.exec(path)[1], null, request, env);
    }
    if (!url.includes("/bench/")) return handleRequest(request, env);
    const { pathname, searchParams } = new URL(url);
    return timed(pathname.slice("/bench/".length), Number(searchParams.get("n")), request, env);
  },
};`;

const TARGETS = ["auth", "no-auth"];
const PREFIX = { auth: "", "no-auth": "/direct" };

// workerd's CPU time in ns, summed over its threads (schedstat: the first field is the time spent on a CPU).
// null where /proc is not there; then only wall-clock figures are given.
function workerdCpu(pid) {
  if (pid === null) return null;
  let ns = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, "utf8").split(" ")[0]);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return ns;
}

/** The workerd process Miniflare started: this process's child of that name. */
function findWorkerd() {
  try {
    for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
      let stat;
      try {
        stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      } catch {
        continue;
      }
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (name === "workerd" && parent === process.pid) return pid;
    }
  } catch {
    // No /proc.
  }
  return null;
}

const signingKey = await importSigningKey(KEY);
const tokenFor = (databaseName) =>
  signToken(signingKey, { databaseName, tokenId: randomTokenId(), expiresAt: Date.now() + 3_600_000 });

let url;
let workerd = null;

// node:http with kept-alive connections: Node's fetch spends several times the CPU of a request's whole handling in
// workerd, and on 2 cores that would hide the server's costs behind the client's.
const agent = new http.Agent({ keepAlive: true, maxSockets: Math.max(CLIENTS, ...CREATION_CLIENTS) });

function post(path, databaseName, token, body) {
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: url.hostname,
        port: url.port,
        path,
        method: path.includes("/admin/") ? "PUT" : "POST",
        agent,
        headers: {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(text),
          "x-db-name": databaseName,
          authorization: `Bearer ${token}`,
        },
      },
      (response) => {
        const chunks = [];
        response.on("data", (chunk) => chunks.push(chunk));
        response.on("error", reject);
        response.on("end", () => {
          const answer = Buffer.concat(chunks).toString();
          if (response.statusCode === 200) resolve(answer);
          else reject(new Error(`${path}: ${response.statusCode} ${answer}`));
        });
      },
    );
    request.on("error", reject);
    request.end(text);
  });
}

/** Runs `total` calls of `once(i)` from `clients` concurrent loops: latencies (ms), seconds, workerd CPU (ns). */
async function load(total, clients, once) {
  const latencies = new Array(total);
  let next = 0;
  const cpuBefore = workerdCpu(workerd);
  const startedAt = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let i = next++; i < total; i = next++) {
        const t0 = performance.now();
        await once(i);
        latencies[i] = performance.now() - t0;
      }
    }),
  );
  const seconds = (performance.now() - startedAt) / 1000;
  const cpuNs = cpuBefore === null ? null : workerdCpu(workerd) - cpuBefore;
  return { latencies, rate: total / seconds, cpuUs: cpuNs === null ? null : cpuNs / 1000 / total };
}

/**
 * Runs each of `measures` (name -> measure(target)) for both targets in each of `rounds` rounds: the two targets back to
 * back, in alternating order, and the measures in an order that moves on by one each round. Returns name -> target ->
 * the rounds' results, added to `results` when given; `firstRound` goes on from earlier rounds.
 */
async function interleaved(label, rounds, measures, { firstRound = 0, results = {} } = {}) {
  const names = Object.keys(measures);
  for (const name of names) results[name] ??= { auth: [], "no-auth": [] };
  for (let round = firstRound; round < firstRound + rounds; round++) {
    if (process.stderr.isTTY) process.stderr.write(`\r${label}: round ${round + 1}   `);
    for (let i = 0; i < names.length; i++) {
      const name = names[(round + i) % names.length];
      for (const target of round % 2 === 0 ? TARGETS : [...TARGETS].reverse()) {
        results[name][target].push(await measures[name](target));
      }
    }
  }
  process.stderr.write(process.stderr.isTTY ? "\n" : `${label}: ${firstRound + rounds} rounds\n`);
  return results;
}

const WORKLOADS = {
  "primary-key SELECT": (target) =>
    load(REQUESTS, CLIENTS, (i) =>
      post(`${PREFIX[target]}/api/first`, SHOP, shopToken, {
        query: "SELECT id, name, price FROM items WHERE id = ?",
        params: [(i % SEEDED_ROWS) + 1],
      }),
    ),
  INSERT: (target) =>
    load(REQUESTS, CLIENTS, (i) =>
      post(`${PREFIX[target]}/api/run`, SHOP, shopToken, {
        query: "INSERT INTO items (name, price) VALUES (?, ?)",
        params: [`n${i}`, i],
      }),
    ),
};

const MIGRATION = { id: "0001_items", sql: "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)" };
let databaseSequence = 0;
// Two ways to a usable new database, each a unit of `load`: the first request creates a table and the second queries
// it; or the operator's way, a provision with one recorded migration (gateway key) and then the first query.
const CREATIONS = {
  "first requests": async (target, total, clients) => {
    const names = Array.from({ length: total }, () => `bench-new-${databaseSequence++}`);
    const tokens = await Promise.all(names.map(tokenFor));
    return load(total, clients, async (i) => {
      await post(`${PREFIX[target]}/api/exec`, names[i], tokens[i], { query: MIGRATION.sql });
      await post(`${PREFIX[target]}/api/run`, names[i], tokens[i], { query: "SELECT count(*) FROM items" });
    });
  },
  "admin provision + query": async (target, total, clients) => {
    const names = Array.from({ length: total }, () => `bench-new-${databaseSequence++}`);
    const tokens = await Promise.all(names.map(tokenFor));
    return load(total, clients, async (i) => {
      await post(`${PREFIX[target]}/admin/databases/${names[i]}`, names[i], KEY, { migrations: [MIGRATION] });
      await post(`${PREFIX[target]}/api/run`, names[i], tokens[i], { query: "SELECT count(*) FROM items" });
    });
  },
};

/** µs of workerd CPU (or, without /proc, of wall time) per iteration of /bench/<what>, median of `reps` runs. */
async function timeAlone(what, reps = 15, n = 2000) {
  const once = async (count) => {
    const cpuBefore = workerdCpu(workerd);
    const t0 = performance.now();
    const response = await fetch(new URL(`/bench/${what}?n=${count}`, url), {
      headers: { "x-db-name": SHOP, authorization: `Bearer ${shopToken}` },
    });
    if (response.status !== 200) throw new Error(`/bench/${what}: ${response.status} ${await response.text()}`);
    await response.text();
    return cpuBefore === null ? (performance.now() - t0) * 1000 : (workerdCpu(workerd) - cpuBefore) / 1000;
  };
  await once(n);
  const empty = [];
  const full = [];
  for (let i = 0; i < reps; i++) {
    empty.push(await once(0));
    full.push(await once(n));
  }
  return (median(full) - median(empty)) / n;
}

// Statistics over per-round values.
const sorted = (values) => [...values].sort((a, b) => a - b);
function quantile(values, q) {
  const s = sorted(values);
  const position = (s.length - 1) * q;
  const low = Math.floor(position);
  return s[low] + (s[Math.min(low + 1, s.length - 1)] - s[low]) * (position - low);
}
const median = (values) => quantile(values, 0.5);
/**
 * Distribution-free 95 % confidence interval of the median: the k-th smallest and k-th largest values, with k the
 * largest for which the binomial(n, 1/2) puts at most 2.5 % below k (for 20 values, the 6th and the 15th;
 * under 6 values, the extremes).
 */
function medianInterval(values) {
  const s = sorted(values);
  const n = s.length;
  // k ends as the first count with P(X <= k) > 2.5 %: k values may lie outside the interval on each side.
  let k = 0;
  let below = 0.5 ** n;
  for (let p = below; below <= 0.025; ) {
    k++;
    p *= (n - k + 1) / k;
    below += p;
  }
  return [s[Math.max(k - 1, 0)], s[Math.min(n - k, n - 1)]];
}
const ratios = (results, metric) => results.auth.map((r, i) => r[metric] / results["no-auth"][i][metric]);
function percentile(latencies, q) {
  const s = sorted(latencies);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}
const fixed = (n, digits, width) => n.toFixed(digits).padStart(width);
const ratioText = (values) => {
  const [low, high] = medianInterval(values);
  return `x${median(values).toFixed(3)}  IQR ${quantile(values, 0.25).toFixed(3)}-${quantile(values, 0.75).toFixed(3)}` +
    `  95% CI ${low.toFixed(3)}-${high.toFixed(3)}`;
};
/**
 * Whether auth stays within 5 %, decided only when the whole confidence interval is on one side: a throughput ratio
 * must stay at or above 0.95 (`costs` -1), a CPU ratio at or below 1.05 (`costs` +1).
 */
function verdict(values, costs) {
  const overheads = medianInterval(values).map((v) => costs * (v - 1));
  if (Math.max(...overheads) <= 0.05) return "within 5 %";
  if (Math.min(...overheads) > 0.05) return "over 5 %";
  return "undecided: the interval spans 5 %";
}

const modules = [{ type: "ESModule", path: "bench-entry.js", contents: ENTRY }, ...workerModules()];
let mf = null;
/** A new workerd in place of the one running: sets `mf`, `url` and `workerd`. */
async function startWorkerd() {
  await mf?.dispose();
  mf = new Miniflare(gatewayOptions({ apiKey: KEY, modules }));
  url = await mf.ready;
  workerd = findWorkerd();
}

let shopToken;
try {
  await startWorkerd();
  console.log(
    `gateway benchmark: workerd ${JSON.parse(readFileSync(new URL("../node_modules/workerd/package.json", import.meta.url))).version}` +
      ` via Miniflare on loopback, node ${process.version}, ${availableParallelism()} CPUs; ` +
      `${workerd === null ? "no /proc: wall-clock only" : "workerd CPU from /proc"}`,
  );
  shopToken = await tokenFor(SHOP);
  await post("/api/exec", SHOP, shopToken, {
    query: "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL)",
  });
  await post("/api/batch", SHOP, shopToken, {
    batch: Array.from({ length: SEEDED_ROWS }, (_, i) => ({
      query: "INSERT INTO items (id, name, price) VALUES (?, ?, ?)",
      params: [i + 1, `item-${i + 1}`, i * 0.5],
    })),
  });
  // Warm up connections, the isolate's compiled code and the object, on both paths.
  for (const target of TARGETS) await WORKLOADS["primary-key SELECT"](target);
  for (const target of TARGETS) await CREATIONS["first requests"](target, 2 * CLIENTS, CLIENTS);

  const alone = {
    gateway: await timeAlone("authenticate"),
    gatewayFirst: await timeAlone("verify-token"),
    object: await timeAlone("admit-token"),
    objectFirst: await timeAlone("token-refusal"),
  };
  const requests = {};
  for (const [name, run] of Object.entries(WORKLOADS)) Object.assign(requests, await interleaved(name, ROUNDS, { [name]: run }));
  const creationMeasures = {};
  for (const way of Object.keys(CREATIONS)) {
    for (const clients of CREATION_CLIENTS) {
      creationMeasures[`${way}|${clients}`] = (target) => CREATIONS[way](target, newDatabases(clients), clients);
    }
  }
  // workerd's memory grows with every object it creates, evicted or not, and a few thousand in one process fail
  // with SQLITE_NOMEM (seen from 2800 on): each 3 rounds run in a new workerd, both targets warmed up first.
  const creations = {};
  for (let round = 0; round < CREATION_ROUNDS; round += ROUNDS_PER_WORKERD) {
    await startWorkerd();
    for (const target of TARGETS) await CREATIONS["first requests"](target, 2 * CLIENTS, CLIENTS);
    const rounds = Math.min(ROUNDS_PER_WORKERD, CREATION_ROUNDS - round);
    await interleaved("new databases", rounds, creationMeasures, { firstRound: round, results: creations });
  }

  const unit = workerd === null ? "µs wall" : "µs CPU";
  console.log(`\nauth alone, timed in workerd (median of 15 runs of 2000 checks; ${unit})`);
  console.log(`  token check in the gateway, of a token it verified before   ${fixed(alone.gateway, 2, 7)} µs per request`);
  console.log(`    the whole check of a token's first use (HMAC)              ${fixed(alone.gatewayFirst, 2, 7)} µs per token`);
  console.log(`  token check in the database's object, of an id it admitted  ${fixed(alone.object, 2, 7)} µs per request`);
  console.log(`    its first check of an id (epoch and revocation reads)     ${fixed(alone.objectFirst, 2, 7)} µs per token`);
  if (workerd !== null) {
    for (const [name, results] of Object.entries(requests)) {
      const base = median(results["no-auth"].map((r) => r.cpuUs));
      const share = ((alone.gateway + alone.object) / base) * 100;
      console.log(
        `  per ${name}: ${(alone.gateway + alone.object).toFixed(1)} µs, ${share.toFixed(1)} % of the ${base.toFixed(0)} µs ` +
          "of workerd CPU it takes without auth (in a loop, code and data stay in cache: a request pays more)",
      );
    }
  }

  console.log(
    `\nrequests: ${CLIENTS} clients, ${ROUNDS} rounds of ${REQUESTS} requests per target, auth and no-auth back to back` +
      "\n(medians over rounds; ratio = auth / no-auth per round: throughput below 1 and CPU above 1 are auth's cost)",
  );
  console.log(`${"workload".padEnd(22)}${"target".padEnd(9)}${"req/s".padStart(8)}${"p50 ms".padStart(9)}${"p99 ms".padStart(9)}` +
    `${"CPU µs/req".padStart(12)}${"busy".padStart(7)}`);
  for (const [name, results] of Object.entries(requests)) {
    for (const target of TARGETS) {
      const latencies = results[target].flatMap((r) => r.latencies);
      const cpu = workerd === null ? "-" : median(results[target].map((r) => r.cpuUs)).toFixed(0);
      const busy = workerd === null ? "-" : median(results[target].map((r) => (r.rate * r.cpuUs) / 1e6)).toFixed(2);
      console.log(
        `${name.padEnd(22)}${target.padEnd(9)}${fixed(median(results[target].map((r) => r.rate)), 0, 8)}` +
          `${fixed(percentile(latencies, 0.5), 2, 9)}${fixed(percentile(latencies, 0.99), 2, 9)}${cpu.padStart(12)}` +
          `${busy.padStart(7)}`,
      );
    }
  }
  console.log("");
  for (const [name, results] of Object.entries(requests)) {
    const throughput = ratios(results, "rate");
    console.log(`${name.padEnd(22)}throughput  ${ratioText(throughput)}  -> ${verdict(throughput, -1)}`);
    if (workerd !== null) {
      const cpu = ratios(results, "cpuUs");
      console.log(`${"".padEnd(22)}workerd CPU ${ratioText(cpu)}  -> ${verdict(cpu, 1)}`);
    }
  }

  console.log(
    `\nnew databases per second: ${CREATION_ROUNDS} rounds (a new workerd every ${ROUNDS_PER_WORKERD}), each creating ` +
      "at every concurrency, for each target, " +
      `max(${args["new-databases"]}, 2 per client) databases\n(medians over rounds; ratio = auth / no-auth per round; ` +
      "workerd busy = its CPU time per second, 1.00 is a whole core: its isolate runs on one thread)",
  );
  console.log(`${"way".padEnd(25)}${"clients".padStart(7)}  ${"target".padEnd(9)}${"db/s".padStart(8)}${"p50 ms".padStart(9)}` +
    `${"CPU ms/db".padStart(11)}${"busy".padStart(7)}`);
  const best = {};
  for (const [key, results] of Object.entries(creations)) {
    const [way, clients] = key.split("|");
    for (const target of TARGETS) {
      const rate = median(results[target].map((r) => r.rate));
      if (rate > (best[`${way}|${target}`]?.rate ?? 0)) best[`${way}|${target}`] = { rate, clients };
      const cpu = workerd === null ? null : median(results[target].map((r) => r.cpuUs)) / 1000;
      const busy = workerd === null ? null : median(results[target].map((r) => (r.rate * r.cpuUs) / 1e6));
      const latencies = results[target].flatMap((r) => r.latencies);
      console.log(
        `${way.padEnd(25)}${clients.padStart(7)}  ${target.padEnd(9)}${fixed(rate, 1, 8)}` +
          `${fixed(percentile(latencies, 0.5), 1, 9)}${(cpu?.toFixed(2) ?? "-").padStart(11)}` +
          `${(busy?.toFixed(2) ?? "-").padStart(7)}`,
      );
    }
    console.log(`${"".padEnd(34)}ratio    ${ratioText(ratios(results, "rate"))}`);
  }
  for (const way of Object.keys(CREATIONS)) {
    const [auth, direct] = TARGETS.map((target) => best[`${way}|${target}`]);
    console.log(
      `new databases/s, ${way}, the most of any concurrency: ${auth.rate.toFixed(1)} with auth (${auth.clients} ` +
        `clients), ${direct.rate.toFixed(1)} without (${direct.clients} clients)`,
    );
  }
} finally {
  agent.destroy();
  await mf?.dispose();
}
