// Workflows whose steps are JS functions, run by the Rust engine: success,
// compensation, operation steps, inspection and resume after a crash.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Client, Store, Workflow, WorkflowEngine, StepError, WorkflowError, Operation } from '../index.mjs';
import { repoRoot, startServer } from './support/server.mjs';

const ORDER = { customer_id: 'cus_1', currency: 'EUR', items: [{ sku: 'sku-1', quantity: 2 }] };
let server;
let tmp;
before(async () => {
  server = await startServer({ operationMs: 100, retryAfterMs: 10 });
  tmp = mkdtempSync(join(tmpdir(), 'oncely-wf-'));
});
after(async () => {
  await server.stop();
  rmSync(tmp, { recursive: true, force: true });
});

function checkout(paymentMethod) {
  return new Workflow('checkout', { actionRetry: { maxAttempts: 2, baseDelayMs: 1 }, compensationRetry: { maxAttempts: 2, baseDelayMs: 1 } })
    .step('create_order', async (ctx) => (await ctx.post('/orders', { json: ctx.input })).json(), {
      compensate: async (ctx) => {
        await ctx.post(`/orders/${ctx.ownOutput().id}/cancel`, { json: { reason: 'payment failed' } });
      },
    })
    .step('authorize_payment', async (ctx) => {
      const order = ctx.output('create_order');
      const res = await ctx.post(`/orders/${order.id}/payments`, { json: { amount: 1999, currency: 'EUR', payment_method: paymentMethod } });
      return res.json();
    })
    .operationStep('ship', (ctx) => ctx.sendOperation({ path: `/orders/${ctx.output('create_order').id}/shipments`, json: { carrier: 'dhl' } }));
}

const client = (extra = {}) => new Client({ baseUrl: server.url, retry: { baseDelayMs: 1 }, poll: { intervalMs: 10 }, ...extra });

test('a saga runs every step; step keys are journaled; inspect shows the run', async () => {
  const c = client();
  const outcome = await checkout('pm_card_visa').run(c, { runId: 'run-ok-1', input: ORDER });
  assert.equal(outcome.state, 'completed', JSON.stringify(outcome));
  assert.equal(outcome.runId, 'run-ok-1');
  assert.equal(outcome.outputs.ship.carrier, 'dhl');
  assert.equal(outcome.outputs.create_order.customer_id, 'cus_1');
  const details = await Workflow.inspect(c, 'run-ok-1');
  assert.equal(details.run.state, 'completed');
  assert.deepEqual(
    details.steps.filter((s) => s.phase === 'action').map((s) => s.name),
    ['create_order', 'authorize_payment', 'ship'],
  );
  assert.ok(details.steps.every((s) => /^[0-9a-f-]{36}$/.test(s.key)));
  const log = await server.requests();
  const create = log.filter((r) => r.route === 'POST /orders' && r.idempotency_key === details.steps[0].key);
  assert.equal(create.length, 1, 'the order was created with the step key');
  // Running the same run id again runs nothing twice.
  const again = await checkout('pm_card_visa').run(c, { runId: 'run-ok-1', input: ORDER });
  assert.equal(again.state, 'completed');
  const runs = await Workflow.list(c, { workflow: 'checkout' });
  assert.ok(runs.some((r) => r.runId === 'run-ok-1'));
});

test('a permanent failure compensates the finished steps in reverse', async () => {
  const c = client();
  const outcome = await checkout('pm_card_declined').run(c, { runId: 'run-declined-1', input: ORDER });
  assert.equal(outcome.state, 'compensated', JSON.stringify(outcome));
  assert.equal(outcome.error.error.status, 402);
  assert.equal(outcome.error.step, 'authorize_payment');
  const ledger = await server.ledger();
  const orderId = outcome.outputs.create_order.id;
  assert.ok(ledger.some((e) => e.kind === 'order_cancelled' && JSON.stringify(e).includes(orderId)), 'the order was cancelled');
});

test('errors thrown by steps: StepError(retryable) is retried, anything else is permanent', async () => {
  const c = client();
  let attempts = 0;
  const wf = new Workflow('flaky', { actionRetry: { maxAttempts: 3, baseDelayMs: 1 } })
    .step('flaky', async (ctx) => {
      attempts++;
      if (ctx.attempt < 2) throw new StepError('not yet', { retryable: true });
      return { attempt: ctx.attempt };
    })
    .step('boom', async () => {
      throw new TypeError('bad data');
    });
  const outcome = await wf.run(c, { input: null });
  assert.equal(attempts, 2);
  assert.equal(outcome.outputs.flaky.attempt, 2);
  assert.equal(outcome.state, 'compensated');
  assert.match(outcome.error.error.message, /TypeError: bad data/);
  assert.throws(() => new Workflow('x').compensate(async () => {}), TypeError);
  await assert.rejects(new WorkflowEngine(c).resume('no-such-run'), (e) => e instanceof WorkflowError && e.workflowErrorKind === 'unknown_run');
  const dup = new Workflow('dup').step('a', async () => 1).step('a', async () => 2);
  await assert.rejects(dup.run(c), (e) => e instanceof WorkflowError && e.workflowErrorKind === 'invalid_definition');
  const notOp = new Workflow('not-op').operationStep('a', async () => 1);
  const o = await notOp.run(c);
  assert.equal(o.state, 'compensated');
  assert.ok(Operation);
});

test('a run that crashed mid-step is resumed by another process with the same keys', async () => {
  const store = `sqlite:${join(tmp, 'journal.db')}`;
  // The child runs the saga and dies inside the payment step, after the call was sent.
  const child = spawn(process.execPath, [new URL('./support/crash-worker.mjs', import.meta.url).pathname, server.url, store], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const code = await new Promise((r) => child.on('exit', r));
  assert.equal(code, 42, out);
  const c = client({ store });
  const before = await Workflow.inspect(c, 'run-crash-1');
  assert.equal(before.run.state, 'running');
  await new Promise((r) => setTimeout(r, 350)); // the dead worker's lease runs out
  const outcome = await checkout('pm_card_visa').resume(c, 'run-crash-1');
  assert.equal(outcome.state, 'completed', JSON.stringify(outcome));
  const log = await server.requests();
  const payments = log.filter((r) => r.route === 'POST /orders/{order_id}/payments' && r.path.includes(outcome.outputs.create_order.id));
  // A step's first call writes its key's record behind the call (the key is
  // derived from the run and step, so it is never lost): if the process died
  // before that record reached the file, the resumed step sends the payment
  // again with the same key and the server replays its stored answer. Either
  // way there is one side effect.
  assert.ok(payments.length >= 1 && payments.length <= 2, `payments sent: ${payments.length}`);
  assert.equal(new Set(payments.map((r) => r.idempotency_key)).size, 1, 'every send carried the same key');
  assert.equal(payments.filter((r) => !r.replayed).length, 1, 'the payment happened once');
  const resumed = await Workflow.inspect(c, 'run-crash-1');
  const pay = resumed.steps.find((s) => s.name === 'authorize_payment' && s.phase === 'action');
  assert.equal(pay.key, payments[0].idempotency_key);
  assert.equal(pay.attempts, 2);
  const orders = log.filter((r) => r.route === 'POST /orders' && r.idempotency_key === before.steps[0].key);
  assert.equal(orders.length, 1, 'the finished step was not run again');
  assert.ok(Store);
});

test('the journal is shared with Rust: `oncely runs show` reads a run written from Node', async () => {
  const target = process.env.CARGO_TARGET_DIR ?? join(repoRoot, 'target');
  const cli = process.env.ONCELY_CLI ?? ['release', 'debug'].map((p) => join(target, p, 'oncely')).filter((p) => existsSync(p)).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  assert.ok(cli, 'the oncely CLI is built (cargo build -p oncely-cli)');
  const path = join(tmp, 'shared.db');
  const outcome = await checkout('pm_card_visa').run(client({ store: `sqlite:${path}` }), { runId: 'run-shared-1', input: ORDER });
  assert.equal(outcome.state, 'completed');
  const { stdout } = await promisify(execFile)(cli, ['runs', 'show', '--store', path, '--json', 'run-shared-1']);
  const shown = JSON.parse(stdout);
  assert.equal(shown.run.state, 'completed');
  assert.deepEqual(
    shown.steps.filter((s) => s.phase === 'action').map((s) => s.name),
    ['create_order', 'authorize_payment', 'ship'],
  );
});
