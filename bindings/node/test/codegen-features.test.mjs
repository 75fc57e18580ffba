// `oncely generate --lang typescript` on the reference server's streamed
// operations (`openapi/streaming.yaml`, whose components live in
// `orders.yaml`): the generated methods return typed streams read through
// the core, and the code passes `tsc --strict`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

import { Client } from '../index.mjs';
import { repoRoot, startServer } from './support/server.mjs';

const run = promisify(execFile);
const pkgDir = resolve(repoRoot, 'bindings', 'node');
const outRoot = join(pkgDir, 'test', '.generated');
const tsc = join(pkgDir, 'node_modules', 'typescript', 'bin', 'tsc');

function cli() {
  if (process.env.ONCELY_CLI) return process.env.ONCELY_CLI;
  const target = process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(repoRoot, 'target');
  const found = ['release', 'debug']
    .map((p) => join(target, p, 'oncely'))
    .filter((p) => existsSync(p))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (!found.length) throw new Error('the oncely CLI is not built: cargo build -p oncely-cli (or set ONCELY_CLI)');
  return found[0];
}

/** Generates `spec` into test/.generated/NAME, type-checks it strictly and compiles it; its module. */
async function generated(spec, name) {
  const out = join(outRoot, name);
  rmSync(out, { recursive: true, force: true });
  await run(cli(), ['generate', spec, '--lang', 'typescript', '--out', out]);
  mkdirSync(join(out, 'node_modules'), { recursive: true });
  symlinkSync(relative(join(out, 'node_modules'), pkgDir), join(out, 'node_modules', 'oncely'), 'dir');
  try {
    await run(process.execPath, [tsc, '-p', join(out, 'tsconfig.json'), '--strict']);
  } catch (error) {
    assert.fail(`tsc failed on the ${name} client:\n${error.stdout}${error.stderr}`);
  }
  return import(pathToFileURL(join(out, 'dist', 'index.js')).href);
}

let server;
before(async () => {
  server = await startServer({ args: ['--stream-retry-ms', '1'] });
});
after(() => server.stop());

async function cancelledOrder(raw) {
  const order = (await raw.post('/orders', { json: { customer_id: 'cus_s', currency: 'EUR', items: [{ sku: 'sku-1', quantity: 1 }] } })).json();
  await raw.post(`/orders/${order.id}/reservations`, { json: {} });
  await raw.post(`/orders/${order.id}/cancel`, { json: {} });
  return order.id;
}

test('streamed answers are typed streams: events survive a cut, JSON lines are items', async () => {
  const api = await generated(join(repoRoot, 'openapi', 'streaming.yaml'), 'streams');
  const Klass = Object.values(api).find((v) => typeof v === 'function' && /.Client$/.test(v.name));
  const raw = new Client({ baseUrl: server.url, retry: { baseDelayMs: 1 } });
  const client = new Klass(raw);
  const id = await cancelledOrder(raw);

  const whole = [];
  for await (const e of await client.streamOrderEvents(id)) whole.push(e);
  assert.deepEqual(whole.map((e) => e.data.order_id), [id, id, id]);
  assert.equal(whole.at(-1).data.order_status, 'cancelled');

  await server.addFaults([{ route: 'GET /orders/{order_id}/events', fault: { kind: 'cut_stream', after: 1 } }]);
  const again = [];
  for await (const e of await client.streamOrderEvents(id)) again.push(e.id);
  assert.deepEqual(again, whole.map((e) => e.id), 'nothing lost or repeated across the cut');

  const orders = [];
  for await (const o of await client.exportOrders()) orders.push(o.id);
  assert.ok(orders.includes(id));
});

test('list operations page through every style with typed items, limits and a resumed reader', async () => {
  const api = await generated(join(repoRoot, 'openapi', 'lists.yaml'), 'lists');
  const Klass = Object.values(api).find((v) => typeof v === 'function' && /.Client$/.test(v.name));
  const raw = new Client({ baseUrl: server.url });
  const created = [];
  for (let i = 0; i < 11; i++) {
    const order = (await raw.post('/orders', { json: { customer_id: `cus_${i}`, currency: 'EUR', items: [{ sku: 'sku-1', quantity: 1 }] } })).json();
    created.push(order.id);
  }
  const client = new Klass(raw);
  const all = async (pages) => {
    const ids = [];
    for await (const o of pages.items()) ids.push(o.id);
    return ids.filter((id) => created.includes(id));
  };
  assert.deepEqual(await all(client.listOrdersPages({ limit: 3 })), created, 'last item');
  assert.deepEqual(await all(client.listOrdersByLinkPages({ perPage: 3 })), created, 'Link');
  assert.deepEqual(await all(client.listOrdersByOffsetPages({ limit: 3 })), created, 'next URL');
  assert.deepEqual(await all(client.listOrdersByPagePages({ perPage: 3 })), created, 'x-pagination');
  assert.deepEqual(await all(client.listOrdersByTokenPages({ pageSize: 3 })), created, 'token');

  const limited = [];
  for await (const page of client.listOrdersByTokenPages({ pageSize: 3 }, { maxPages: 2 })) limited.push(page.number);
  assert.deepEqual(limited, [0, 1]);
  const pages = client.listOrdersByTokenPages({ pageSize: 3 });
  const first = await pages.nextPage();
  const rest = await all(client.listOrdersByTokenPages({ pageSize: 3 }, { resumeFrom: pages.cursor }));
  assert.deepEqual([...first.items.map((o) => o.id), ...rest].filter((id) => created.includes(id)), created, 'resumed');
});

test('the generated webhook receiver verifies a signed delivery through the core and decodes it', async () => {
  const api = await generated(join(repoRoot, 'openapi', 'webhooks.yaml'), 'hooks');
  const { signStandardWebhook, WebhookError } = await import('../index.mjs');
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const body = JSON.stringify({ id: 'evt_1', type: 'order.created', data: { id: 'o_1' } });
  const now = Math.floor(Date.now() / 1000);
  const headers = { 'webhook-id': 'evt_1', 'webhook-timestamp': String(now), 'webhook-signature': signStandardWebhook(secret, 'evt_1', now, body) };
  const { verified, event } = api.webhooks.handleWebhook(headers, body, { secret });
  assert.equal(verified.id, 'evt_1');
  assert.equal(event.name, 'order.created');
  assert.equal(event.payload.data.id, 'o_1');
  assert.throws(() => api.webhooks.handleWebhook(headers, `${body} `, { secret }), (e) => e instanceof WebhookError);
  assert.throws(() => api.webhooks.decodeWebhook('{"type": "order.exploded"}'), (e) => e instanceof api.webhooks.WebhookDecodeError);
});
