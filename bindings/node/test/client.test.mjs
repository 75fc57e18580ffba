// The binding's own behaviour: Promises that never block the event loop,
// AbortSignal, error classes, TypeErrors for bad arguments, panics that never
// crash the process, operations, stores, and both module formats.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as oncely from '../index.mjs';
import { startServer } from './support/server.mjs';

const require = createRequire(import.meta.url);
const native = require('../native.cjs');
const ORDER = { customer_id: 'cus_1', currency: 'EUR', items: [{ sku: 'sku-1', quantity: 2 }] };

let server;
let tmp;
before(async () => {
  server = await startServer({ operationMs: 300, retryAfterMs: 20 });
  tmp = mkdtempSync(join(tmpdir(), 'oncely-node-'));
});
after(async () => {
  await server.stop();
  rmSync(tmp, { recursive: true, force: true });
});

const fast = (extra = {}) => new oncely.Client({ baseUrl: server.url, retry: { baseDelayMs: 1, maxDelayMs: 5 }, ...extra });

test('ESM and CommonJS entry points export the same classes', () => {
  const cjs = require('../index.js');
  assert.equal(cjs.Client, oncely.Client);
  assert.equal(cjs.ProblemError, oncely.ProblemError);
  assert.equal(oncely.default.Client, oncely.Client);
  assert.match(oncely.nativeVersion, /^\d+\.\d+\.\d+/);
});

test('a POST gets an idempotency key and a typed response', async () => {
  const res = await fast().post('/orders', { json: ORDER });
  assert.equal(res.status, 201);
  assert.equal(res.ok, true);
  assert.equal(res.attempts, 1);
  assert.equal(res.fromStore, false);
  assert.match(res.idempotencyKey, /^[0-9a-f-]{36}$/);
  assert.equal(res.headers['content-type'], 'application/json');
  assert.ok(res.etag);
  const order = res.json();
  assert.equal(order.customer_id, 'cus_1');
  assert.equal(JSON.parse(res.text()).id, order.id);
  assert.ok(Buffer.isBuffer(res.bytes()));
});

test('the same intent id sends the same key and is answered from the store', async () => {
  const client = fast();
  const first = await client.post('/orders', { json: ORDER, intentId: 'cart-1' });
  const second = await client.post('/orders', { json: ORDER, intentId: 'cart-1' });
  assert.equal(second.idempotencyKey, first.idempotencyKey);
  assert.equal(second.fromStore, true);
  assert.equal(second.attempts, 0);
  assert.equal(second.json().id, first.json().id);
});

test('query, path parameters and headers are sent', async () => {
  const client = fast();
  const order = (await client.post('/orders', { json: ORDER })).json();
  const res = await client.get('/orders/{order_id}', { pathParams: { order_id: order.id }, query: { expand: ['a', 'b'] }, headers: { 'X-Trace': 't-1' } });
  assert.equal(res.json().id, order.id);
  assert.match(res.url, /\?expand=a&expand=b$/);
});

test('problems are ProblemError with their members; instanceof works up the chain', async () => {
  const client = fast();
  const order = (await client.post('/orders', { json: ORDER })).json();
  const error = await client
    .post(`/orders/${order.id}/payments`, { json: { amount: 1999, currency: 'EUR', payment_method: 'pm_card_declined' } })
    .then(() => assert.fail('expected a problem'), (e) => e);
  assert.ok(error instanceof oncely.ProblemError);
  assert.ok(error instanceof oncely.OncelyError);
  assert.ok(error instanceof Error);
  assert.equal(error.name, 'ProblemError');
  assert.equal(error.kind, 'problem');
  assert.equal(error.status, 402);
  assert.equal(error.type, 'https://oncely.dev/problems/payment-declined');
  assert.equal(typeof error.title, 'string');
  assert.equal(error.extensions.decline_code, 'insufficient_funds');
  assert.equal(error.retryable, false);
  assert.match(error.stack, /ProblemError/);
});

test('retry exhaustion keeps the last error as cause', async () => {
  await server.addFaults([{ route: 'GET /orders/{order_id}', nth: 1, times: 3, fault: { kind: 'status', code: 503 } }]);
  const error = await fast({ retry: { maxAttempts: 3, baseDelayMs: 1 } })
    .get('/orders/missing-for-retry')
    .catch((e) => e);
  assert.ok(error instanceof oncely.RetryExhaustedError, String(error));
  assert.equal(error.attempts, 3);
  assert.equal(error.status, 503);
  assert.ok(error.cause instanceof oncely.OncelyError);
  assert.equal(error.last, error.cause);
});

test('a connection refused is a TransportError (after retries)', async () => {
  const error = await new oncely.Client({ baseUrl: 'http://127.0.0.1:9', retry: { maxAttempts: 2, baseDelayMs: 1 } })
    .get('/x')
    .catch((e) => e);
  assert.ok(error instanceof oncely.RetryExhaustedError, String(error));
  assert.ok(error.cause instanceof oncely.TransportError);
  assert.equal(error.cause.transportKind, 'connect');
});

test('an answer over maxResponseBytes is a TransportError, not retried', async () => {
  const client = fast();
  const order = (await client.post('/orders', { json: ORDER })).json();
  const before = (await server.requests()).length;
  const error = await fast({ maxResponseBytes: 16 })
    .get(`/orders/${order.id}`)
    .catch((e) => e);
  assert.ok(error instanceof oncely.TransportError, String(error));
  assert.equal(error.transportKind, 'tooLarge');
  assert.equal(error.limit, 16);
  assert.equal((await server.requests()).length - before, 1, 'the same request would get the same answer');
  assert.throws(() => fast({ maxResponseBytes: 0 }), TypeError);
  assert.throws(() => fast({ maxResponseBytes: '1k' }), /maxResponseBytes/);
});

test('a proxy carries the call; proxy: false goes direct; a bad proxy is a TypeError', async () => {
  // The reference server plays an HTTP forward proxy: it receives the whole
  // URL in the request line and serves it by path.
  const proxied = new oncely.Client({ baseUrl: 'http://orders.invalid', proxy: server.url });
  const order = (await proxied.post('/orders', { json: ORDER })).json();
  const direct = fast({ proxy: false });
  assert.equal((await direct.get(`/orders/${order.id}`)).json().id, order.id);
  assert.throws(() => new oncely.Client({ baseUrl: 'http://orders.invalid', proxy: 'ftp://proxy.example' }), /proxy URL/);
  assert.throws(() => new oncely.Client({ baseUrl: 'http://orders.invalid', proxy: 3128 }), /proxy/);
});

test('the event loop keeps ticking during a slow request', async () => {
  await server.addFaults([{ route: 'GET /orders/{order_id}', nth: 1, fault: { kind: 'delay', ms: 400 } }]);
  const client = fast();
  const order = (await client.post('/orders', { json: ORDER })).json();
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  const started = performance.now();
  await client.get(`/orders/${order.id}`);
  clearInterval(timer);
  const elapsed = performance.now() - started;
  assert.ok(elapsed >= 390, `the request took ${elapsed} ms`);
  assert.ok(ticks >= 20, `only ${ticks} ticks in ${elapsed} ms`);
});

test('a pending call keeps Node alive until it settles; an idle client does not', async () => {
  // Calls settle through one weak threadsafe function per client, referenced
  // only while a call is pending (src/settle.rs): run each case in a process
  // of its own that has no other handle open.
  await server.addFaults([{ route: 'GET /orders/{order_id}', nth: 1, fault: { kind: 'delay', ms: 300 } }]);
  const { execFileSync } = await import('node:child_process');
  const entry = JSON.stringify(new URL('../index.js', import.meta.url).pathname);
  const run = (body) => execFileSync(process.execPath, ['-e', `const { Client } = require(${entry}); ${body}`], { encoding: 'utf8', timeout: 20_000 });
  const pending = run(`new Client({ baseUrl: ${JSON.stringify(server.url)} }).get('/orders/slow').then(() => console.log('resolved'), (e) => console.log('rejected', e.status));`);
  assert.equal(pending.trim(), 'rejected 404');
  assert.equal(run(`new Client({ baseUrl: 'http://127.0.0.1:9' }); console.log('idle');`).trim(), 'idle');
});

test('an AbortSignal cancels a call in flight, and an aborted signal never sends', async () => {
  await server.addFaults([{ route: 'GET /orders/{order_id}', nth: 1, fault: { kind: 'delay', ms: 2000 } }]);
  const client = fast();
  const controller = new AbortController();
  const started = performance.now();
  const pending = client.get('/orders/slow-one', { signal: controller.signal });
  setTimeout(() => controller.abort(), 50);
  await assert.rejects(pending, (e) => e.name === 'AbortError');
  assert.ok(performance.now() - started < 1500);
  const reason = new Error('stop');
  await assert.rejects(client.get('/orders/x', { signal: AbortSignal.abort(reason) }), (e) => e === reason);
  await assert.rejects(client.get('/orders/x', { signal: AbortSignal.timeout(1) }).then(() => new Promise((r) => setTimeout(r, 5))), () => true);
});

test('bad arguments are TypeErrors with clear messages', async () => {
  assert.throws(() => new oncely.Client(), TypeError);
  assert.throws(() => new oncely.Client({ baseUrl: 42 }), { name: 'TypeError', message: /baseUrl must be a string/ });
  assert.throws(() => new oncely.Client({ baseUrl: 'localhost:8080' }), { name: 'TypeError', message: /base URL "localhost:8080"/ });
  assert.throws(() => new oncely.Client({ baseUrl: 'http://x', timeoutMs: -1 }), { name: 'TypeError', message: /timeoutMs/ });
  assert.throws(() => new oncely.Client({ baseUrl: 'http://x', retry: { maxAttempts: 0 } }), { name: 'TypeError', message: /maxAttempts/ });
  assert.throws(() => new oncely.Client({ baseUrl: 'http://x', store: 42 }), { name: 'TypeError', message: /store must be/ });
  assert.throws(() => oncely.Store.open('postgres://u:secret@h/db'), (e) => e instanceof TypeError && !e.message.includes('secret'));
  assert.throws(() => new oncely.Client({ baseUrl: 'http://x', basUrl: 'typo' }), { name: 'TypeError', message: /unknown client option "basUrl"/ });
  const client = fast();
  await assert.rejects(client.request({ path: 5 }), { name: 'TypeError', message: /path must be a string/ });
  await assert.rejects(client.request({ path: '/x', method: 'NOT A METHOD' }), { name: 'TypeError', message: /method/ });
  await assert.rejects(client.request({ path: '/x', json: {}, body: 'x' }), { name: 'TypeError', message: /only one of/ });
  await assert.rejects(client.request({ path: '/orders/{id}' }), { name: 'TypeError', message: /no value for `\{id\}`/ });
  await assert.rejects(client.request({ path: '/x', headers: { 'bad header': 'v' } }), { name: 'TypeError', message: /bad header/ });
  await assert.rejects(client.request({ path: '/x', signal: 'nope' }), { name: 'TypeError', message: /AbortSignal/ });
  await assert.rejects(client.request({ path: '/x', timeoutMs: Number.NaN }), { name: 'TypeError' });
  assert.throws(() => client.resumeOperation('%%%'), (e) => e instanceof oncely.InvalidResumeTokenError);
});

test('a Rust panic never crashes the process', async () => {
  assert.throws(() => native.__panicForTests('sync'), /panic/);
  await assert.rejects(Promise.resolve().then(() => native.__panicForTests('async')), /panic/);
  // Still alive and working.
  const res = await fast().post('/orders', { json: ORDER });
  assert.equal(res.status, 201);
});

test('json() fails like the core: a body that is not JSON is a DecodeError', async () => {
  await server.addFaults([
    { route: 'GET /orders/{order_id}', nth: 1, fault: { kind: 'status', code: 200, body: '<html>down</html>', content_type: 'text/html' } },
  ]);
  const res = await fast().get('/orders/any');
  assert.equal(res.text(), '<html>down</html>');
  assert.throws(() => res.json(), (e) => e instanceof oncely.DecodeError && /text\/html/.test(e.message));
});

test('operations: wait with progress, pollOnce, resume in another client', async () => {
  const client = fast({ poll: { intervalMs: 10 } });
  const order = (await client.post('/orders', { json: ORDER })).json();
  const op = await client.sendOperation({ path: `/orders/${order.id}/shipments`, json: { carrier: 'dhl' } });
  assert.equal(op.isDone, false);
  const first = await op.pollOnce();
  assert.equal(first.done, false);
  assert.equal(typeof first.progress.status, 'string');
  const token = op.resumeToken();
  const other = new oncely.Client({ baseUrl: server.url });
  const resumed = other.resumeOperation(token);
  const seen = [];
  const shipment = await resumed.wait({ onProgress: (p) => seen.push(p) });
  assert.equal(shipment.carrier, 'dhl');
  assert.ok(seen.length >= 1 && seen.every((p) => typeof p.polls === 'number'));
  assert.equal(resumed.isDone, true);
  // The first handle still finishes on its own.
  assert.equal((await op.wait()).id, shipment.id);
  const again = await resumed.pollOnce();
  assert.deepEqual(again, { done: true, result: shipment });
});

test('operations: an AbortSignal stops a wait, which can be waited on again', async () => {
  const client = fast({ poll: { intervalMs: 10 } });
  const order = (await client.post('/orders', { json: ORDER })).json();
  const op = await client.sendOperation({ path: `/orders/${order.id}/shipments`, json: { carrier: 'ups' } });
  await assert.rejects(op.wait({ signal: AbortSignal.timeout(30) }), (e) => e.name === 'TimeoutError' || e.name === 'AbortError');
  const thrown = new Error('progress callback failed');
  await assert.rejects(
    op.wait({
      onProgress: () => {
        throw thrown;
      },
    }),
    (e) => e === thrown,
  );
  assert.equal((await op.wait()).carrier, 'ups');
});

test('an operation that fails is an OperationFailedError with its problem', async () => {
  const client = fast({ poll: { intervalMs: 10 } });
  const order = (await client.post('/orders', { json: ORDER })).json();
  const op = await client.sendOperation({ path: `/orders/${order.id}/shipments`, json: { simulate: 'fail' } });
  const error = await op.wait().catch((e) => e);
  assert.ok(error instanceof oncely.OperationFailedError, String(error));
  assert.equal(error.operationStatus, 'failed');
  assert.equal(error.problem.status, 422);
});

test('a SQLite store survives a restart; a Store can be shared', async () => {
  const path = `sqlite:${join(tmp, 'restart.db')}`;
  const first = await new oncely.Client({ baseUrl: server.url, store: path }).post('/orders', { json: ORDER, intentId: 'persisted-1' });
  const again = await new oncely.Client({ baseUrl: server.url, store: path }).post('/orders', { json: ORDER, intentId: 'persisted-1' });
  assert.equal(again.fromStore, true);
  assert.equal(again.json().id, first.json().id);
  const shared = oncely.Store.memory();
  assert.equal(shared.description, 'memory');
  await new oncely.Client({ baseUrl: server.url, store: shared }).post('/orders', { json: ORDER, intentId: 'shared-1' });
  const conflict = await new oncely.Client({ baseUrl: server.url, store: shared })
    .post('/orders', { json: { ...ORDER, currency: 'USD' }, intentId: 'shared-1' })
    .catch((e) => e);
  assert.ok(conflict instanceof oncely.IdempotencyConflictError, String(conflict));
  assert.throws(() => oncely.Store.open(`sqlite:${tmp}`), (e) => e instanceof oncely.StoreError);
});

test('concurrent calls all complete', async () => {
  const client = fast();
  const results = await Promise.all(Array.from({ length: 200 }, (_, i) => client.post('/orders', { json: { ...ORDER, customer_id: `c${i}` } })));
  assert.equal(new Set(results.map((r) => r.json().id)).size, 200);
});

test('a retried POST whose first attempt committed is replayed by the server', async () => {
  await server.addFaults([{ route: 'POST /orders', nth: 1, fault: { kind: 'drop_after_commit' } }]);
  const res = await fast().post('/orders', { json: ORDER });
  assert.equal(res.attempts, 2);
  assert.equal(res.replayed, true);
});
