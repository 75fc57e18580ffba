// Arazzo workflows (openapi/orders.arazzo.yaml) run by the Rust engine
// against the reference server: outputs, the server's ledger, compensation,
// inline documents, errors naming their JSON pointer, and resume through
// the engine.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ArazzoWorkflow, Client, WorkflowEngine } from '../index.mjs';
import { repoRoot, startServer } from './support/server.mjs';

const ARAZZO = join(repoRoot, 'openapi', 'orders.arazzo.yaml');
const OPENAPI = join(repoRoot, 'openapi', 'orders.yaml');
const STEPS = ['createOrder', 'reserveStock', 'authorizePayment', 'requestShipment'];

const inputs = (paymentMethod = 'pm_card_visa') => ({
  customer_id: 'cus_1',
  sku: 'sku-1',
  quantity: 2,
  currency: 'EUR',
  amount: 1250,
  payment_method: paymentMethod,
  carrier: 'oncely-post',
});

let server;
let tmp;
before(async () => {
  server = await startServer({ operationMs: 100, retryAfterMs: 10 });
  tmp = mkdtempSync(join(tmpdir(), 'oncely-arazzo-'));
});
after(async () => {
  await server.stop();
  rmSync(tmp, { recursive: true, force: true });
});

const engineFor = (url, store = `sqlite:${join(tmp, `${Math.random().toString(36).slice(2)}.db`)}`) =>
  new WorkflowEngine(new Client({ baseUrl: url, store, poll: { intervalMs: 10 } }), { owner: 'arazzo-test' });

async function kindsFor(srv, orderId) {
  return (await srv.ledger()).filter((e) => e.order_id === orderId).map((e) => e.kind);
}

test('the checkout runs every step once, with its outputs and ledger', async () => {
  const flow = ArazzoWorkflow.load(ARAZZO, 'checkout');
  assert.equal(flow.workflowId, 'checkout');
  assert.deepEqual(flow.stepIds, STEPS);
  const engine = engineFor(server.url);
  const outcome = await flow.run(engine, inputs(), { runId: 'checkout-1' });
  assert.equal(outcome.state, 'completed', JSON.stringify(outcome.error));
  assert.equal(outcome.completed, true);
  assert.equal(outcome.runId, 'checkout-1');
  assert.equal(outcome.workflow, 'checkout');
  assert.equal(outcome.failedStep, null);
  assert.equal(outcome.error, null);
  assert.deepEqual(Object.keys(outcome.outputs).sort(), ['orderId', 'paymentId', 'reservationId', 'shipmentOperationId']);
  assert.deepEqual(Object.keys(outcome.stepOutputs).sort(), [...STEPS].sort());
  const orderId = outcome.outputs.orderId;
  assert.equal(outcome.stepOutputs.createOrder.orderId, orderId);
  assert.deepEqual(await kindsFor(server, orderId), ['order_created', 'inventory_reserved', 'payment_authorized', 'shipment_requested']);
  const details = await engine.show('checkout-1');
  assert.deepEqual(details.steps.map((s) => s.name), STEPS);
  const keys = new Set(details.steps.map((s) => s.key));
  const writes = (await server.requests()).filter((r) => r.method === 'POST' && keys.has(r.idempotency_key));
  assert.equal(writes.length, 4, 'each write sent once, with its step key');
  // Running the same run id again sends nothing and returns the same outputs.
  const again = await flow.run(engine, inputs(), { runId: 'checkout-1' });
  assert.deepEqual(again.outputs, outcome.outputs);
  assert.equal((await server.requests()).filter((r) => r.method === 'POST' && keys.has(r.idempotency_key)).length, 4);
});

test('a step that fails for good compensates in reverse', async () => {
  const faulty = await startServer({ operationMs: 100, retryAfterMs: 10 });
  try {
    await faulty.addFaults([{ route: 'POST /orders/{order_id}/shipments', nth: 1, every: true, fault: { kind: 'status', code: 422 } }]);
    const outcome = await ArazzoWorkflow.load(ARAZZO, 'checkout').run(engineFor(faulty.url), inputs());
    assert.equal(outcome.state, 'compensated');
    assert.equal(outcome.completed, false);
    assert.equal(outcome.failedStep, 'requestShipment');
    assert.equal(outcome.error?.step, 'requestShipment');
    assert.deepEqual(outcome.outputs, {});
    const orderId = outcome.stepOutputs.createOrder.orderId;
    assert.deepEqual(await kindsFor(faulty, orderId), [
      'order_created',
      'inventory_reserved',
      'payment_authorized',
      'payment_voided',
      'reservation_released',
      'order_cancelled',
    ]);
  } finally {
    await faulty.stop();
  }
});

test('the engine resumes and works through Arazzo runs', async () => {
  const flow = ArazzoWorkflow.load(ARAZZO, 'checkout');
  const engine = engineFor(server.url);
  flow.register(engine);
  const first = await flow.run(engine, inputs(), { runId: 'checkout-resume' });
  assert.equal((await engine.resume('checkout-resume')).state, 'completed');
  const resumed = await flow.resume(engine, 'checkout-resume');
  assert.equal(resumed.completed, true);
  assert.deepEqual(resumed.outputs, first.outputs);
  assert.deepEqual(await engine.work(), { completed: 0, compensated: 0, parked: 0, errors: 0 });
  assert.equal((await kindsFor(server, first.outputs.orderId)).length, 4);
});

test('servers name the base URL of each source', async () => {
  assert.throws(() => ArazzoWorkflow.load(ARAZZO, 'checkout', { servers: { orders: 5 } }), /servers\.orders must be a string/);
  const flow = ArazzoWorkflow.load(ARAZZO, 'checkout', { servers: { orders: server.url } });
  // Nothing listens at the client's own base URL: every call goes to the
  // server given for its source description.
  const outcome = await flow.run(engineFor('http://127.0.0.1:9'), inputs());
  assert.equal(outcome.completed, true, JSON.stringify(outcome.error));
  assert.equal((await kindsFor(server, outcome.outputs.orderId)).at(-1), 'shipment_requested');
  assert.throws(
    () => ArazzoWorkflow.load(ARAZZO, 'checkout', { servers: { billing: server.url } }),
    (e) => e instanceof TypeError && e.message.includes('names "billing", which is not a source description'),
  );
  assert.throws(() => ArazzoWorkflow.load(ARAZZO, 'checkout', { servers: { orders: 'orders.internal' } }), /not an absolute http/);
});

test('fromDocument runs inline text', async () => {
  const document = `
arazzo: 1.0.1
info: {title: One order, version: 1.0.0}
sourceDescriptions: [{name: shop, url: ./shop.yaml, type: openapi}]
workflows:
  - workflowId: placeOrder
    inputs: {type: object, properties: {customer: {type: string}}}
    steps:
      - stepId: create
        operationId: createOrder
        requestBody:
          contentType: application/json
          payload:
            customer_id: $inputs.customer
            currency: EUR
            items: [{sku: sku-9, quantity: 1}]
        successCriteria: [{condition: $statusCode == 201}]
        outputs: {id: $response.body#/id, status: $response.body#/status}
    outputs: {orderId: $steps.create.outputs.id, status: $steps.create.outputs.status}
`;
  const flow = ArazzoWorkflow.fromDocument(document, 'placeOrder', {
    openapi: { shop: readFileSync(OPENAPI, 'utf8') },
    documentName: 'inline.arazzo.yaml',
  });
  assert.deepEqual(flow.stepIds, ['create']);
  const outcome = await flow.run(engineFor(server.url), { customer: 'cus_inline' });
  assert.equal(outcome.completed, true, JSON.stringify(outcome.error));
  assert.equal(outcome.outputs.status, 'pending');
  assert.deepEqual(await kindsFor(server, outcome.outputs.orderId), ['order_created']);
});

test('a bad document throws a TypeError naming the pointer', () => {
  const text = readFileSync(ARAZZO, 'utf8');
  const openapi = { orders: readFileSync(OPENAPI, 'utf8') };
  const bad = text.replace('      orderId: $steps.createOrder.outputs.orderId', '      orderId: $steps.nope.outputs.orderId');
  assert.throws(
    () => ArazzoWorkflow.fromDocument(bad, 'checkout', { openapi, documentName: 'bad.arazzo.yaml' }),
    (e) => e instanceof TypeError && /bad\.arazzo\.yaml/.test(e.message) && e.message.includes('#/workflows/0/outputs/orderId'),
  );
  assert.throws(
    () => ArazzoWorkflow.fromDocument(text.replace('operationId: requestShipment', 'operationId: noSuchOperation'), 'checkout', { openapi }),
    (e) => e instanceof TypeError && e.message.includes('#/workflows/0/steps/3/operationId'),
  );
  assert.throws(() => ArazzoWorkflow.fromDocument(text, 'checkout', { openapi: {} }), /#\/sourceDescriptions\/0/);
  assert.throws(() => ArazzoWorkflow.fromDocument('arazzo: 2.0.0\n', 'checkout', { openapi: {} }), /#\/arazzo/);
  assert.throws(() => ArazzoWorkflow.load(ARAZZO, 'nope'), /no workflow "nope"/);
});

test('engine.work() drives a run whose worker died mid-step', async () => {
  const crashy = await startServer({ operationMs: 100, retryAfterMs: 10 });
  const route = 'POST /orders/{order_id}/shipments';
  try {
    await crashy.addFaults([{ route, nth: 1, fault: { kind: 'delay', ms: 400 } }]);
    const store = `sqlite:${join(tmp, 'crash.db')}`;
    const worker = spawn(
      process.execPath,
      [new URL('./support/arazzo-worker.mjs', import.meta.url).pathname, crashy.url, store, ARAZZO, JSON.stringify(inputs())],
      { stdio: 'ignore' },
    );
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    // The worker dies while the shipment request is on the server.
    while (!(await crashy.requests()).some((r) => r.route === route)) {
      assert.equal(worker.exitCode, null, 'the worker ended before the shipment was sent');
      await delay(10);
    }
    worker.kill('SIGKILL');
    await exited;
    // The server finishes the delayed request (and stores its answer).
    while ((await crashy.requests()).some((r) => r.route === route && r.status === null)) await delay(10);
    const engine = engineFor(crashy.url, store);
    const flow = ArazzoWorkflow.load(ARAZZO, 'checkout');
    flow.register(engine);
    assert.deepEqual(await engine.work(), { completed: 1, compensated: 0, parked: 0, errors: 0 });
    const outcome = await flow.resume(engine, 'arazzo-crash-1');
    assert.equal(outcome.completed, true);
    assert.deepEqual(await kindsFor(crashy, outcome.outputs.orderId), ['order_created', 'inventory_reserved', 'payment_authorized', 'shipment_requested']);
    // The resumed step sent its call again with the same key; the server shipped once.
    const shipments = (await crashy.requests()).filter((r) => r.route === route);
    assert.equal(shipments.length, 2);
    assert.equal(new Set(shipments.map((r) => r.idempotency_key)).size, 1);
  } finally {
    await crashy.stop();
  }
});
