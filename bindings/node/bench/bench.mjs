// Throughput of oncely against undici.request and global fetch, in one run,
// against the reference server on loopback: GET and POST (~1 KB JSON),
// sequential and concurrent. oncely runs with its production pipeline on:
// retries (5 attempts, budget, breaker), idempotency keys on every POST with
// an in-memory store record, deadlines. The baselines send the same requests
// (POSTs carry an Idempotency-Key header too, which the server requires).
//
//   node bench/bench.mjs [--n 10000] [--concurrency 64] [--rounds 3] [--url http://127.0.0.1:PORT]
//                        [--modes sequential,concurrent] [--methods get,post] [--json]
//
// Without --url it starts `orders-server` (release build preferred; see
// test/support/server.mjs). Prints requests/second and the ratios; the
// absolute numbers depend on the machine, the ratios are what is compared.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { request as undiciRequest, Agent, setGlobalDispatcher } from 'undici';

import { Client } from '../index.mjs';
import { repoRoot, startServer } from '../test/support/server.mjs';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '3' },
    url: { type: 'string' },
    json: { type: 'boolean', default: false },
    modes: { type: 'string', default: 'sequential,concurrent' },
    methods: { type: 'string', default: 'get,post' },
  },
});
const N = Number(values.n);
const CONCURRENCY = Number(values.concurrency);
const ROUNDS = Number(values.rounds);

// A debug server would measure the server: use the release build when there
// is one, even if a debug build is newer (`make test` builds debug).
const releaseServer = join(process.env.CARGO_TARGET_DIR ?? join(repoRoot, 'target'), 'release', 'orders-server');
if (!process.env.ORDERS_SERVER_BIN && existsSync(releaseServer)) process.env.ORDERS_SERVER_BIN = releaseServer;
const server = values.url ? null : await startServer();
const base = values.url ?? server.url;

// ~1 KB JSON order.
const ORDER = {
  customer_id: 'cus_bench',
  currency: 'EUR',
  items: Array.from({ length: 8 }, (_, i) => ({ sku: `sku-${i}`, quantity: i + 1 })),
  metadata: { note: 'x'.repeat(400), memo: 'y'.repeat(300), source: 'bench', channel: 'web' },
};

const agent = new Agent({ connections: CONCURRENCY, pipelining: 1, keepAliveTimeout: 30_000 });
setGlobalDispatcher(agent); // fetch shares the same pool settings

const oncely = new Client({ baseUrl: base, retry: { maxAttempts: 5 }, timeoutMs: 30_000 });
const seed = (await oncely.post('/orders', { json: ORDER })).json();
const getPath = `/orders/${seed.id}`;

const clients = {
  oncely: {
    get: async () => (await oncely.get(getPath)).json(),
    post: async () => (await oncely.post('/orders', { json: ORDER })).json(),
  },
  'undici.request': {
    get: async () => {
      const { statusCode, body } = await undiciRequest(base + getPath, { dispatcher: agent });
      const v = await body.json();
      if (statusCode !== 200) throw new Error(`status ${statusCode}`);
      return v;
    },
    post: async () => {
      const { statusCode, body } = await undiciRequest(base + '/orders', {
        method: 'POST',
        dispatcher: agent,
        headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
        // Serialised per call, as a client handed an object must.
        body: JSON.stringify(ORDER),
      });
      const v = await body.json();
      if (statusCode !== 201) throw new Error(`status ${statusCode}`);
      return v;
    },
  },
  fetch: {
    get: async () => {
      const res = await fetch(base + getPath);
      const v = await res.json();
      if (res.status !== 200) throw new Error(`status ${res.status}`);
      return v;
    },
    post: async () => {
      const res = await fetch(base + '/orders', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
        // Serialised per call, as a client handed an object must.
        body: JSON.stringify(ORDER),
      });
      const v = await res.json();
      if (res.status !== 201) throw new Error(`status ${res.status}`);
      return v;
    },
  },
};

async function sequential(fn, n) {
  const t = performance.now();
  for (let i = 0; i < n; i++) await fn();
  return n / ((performance.now() - t) / 1000);
}

async function concurrent(fn, n, inFlight) {
  let next = 0;
  const t = performance.now();
  const worker = async () => {
    while (next < n) {
      next++;
      await fn();
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return n / ((performance.now() - t) / 1000);
}

const results = {};
for (const mode of values.modes.split(',')) {
  for (const method of values.methods.split(',')) {
    const key = `${method.toUpperCase()} ${mode}`;
    results[key] = {};
    for (const [name, c] of Object.entries(clients)) {
      await (mode === 'sequential' ? sequential(c[method], 300) : concurrent(c[method], 1000, CONCURRENCY)); // warm-up
    }
    // Interleave the clients round by round, keep each one's best round.
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, c] of Object.entries(clients)) {
        const rps = mode === 'sequential' ? await sequential(c[method], N) : await concurrent(c[method], N, CONCURRENCY);
        results[key][name] = Math.max(results[key][name] ?? 0, rps);
      }
    }
  }
}

const rows = Object.entries(results).map(([key, r]) => ({
  case: key,
  'oncely req/s': Math.round(r.oncely),
  'undici req/s': Math.round(r['undici.request']),
  'fetch req/s': Math.round(r.fetch),
  'oncely/undici': +(r.oncely / r['undici.request']).toFixed(2),
  'oncely/fetch': +(r.oncely / r.fetch).toFixed(2),
}));
if (values.json) console.log(JSON.stringify(rows, null, 2));
else {
  console.log(`node ${process.version}, ${N} calls per case (best of ${ROUNDS}), ${CONCURRENCY} in flight for concurrent, server ${base}`);
  console.table(rows);
}
await agent.close();
if (server) await server.stop();
