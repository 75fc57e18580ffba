// A cross-check with an independent Arazzo runner: Redocly CLI's `respect`
// runs openapi/orders.arazzo.yaml against the reference server (no faults)
// and oncely runs it too; both must run the same steps in the same order,
// send the same writes with the same answers, and name the same side
// effects with the workflow's outputs.
//
// Redocly runs a copy of the document adapted in two places, because it
// cannot run it as written: the server requires an `Idempotency-Key` on
// every write, which oncely derives per step itself and Redocly sends only
// when the document declares it (so each step gets a header parameter with
// a key of its own), and Redocly evaluates a `jsonpath` criterion as a
// filter expression (so `$.status` becomes `$[?(@.status)]`, the same
// test). `x-oncely-compensate` is an extension Redocly ignores (nothing fails
// here, so nothing is compensated), and Redocly checks the shipment's `202`
// without polling the operation, which oncely polls to its end.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { ArazzoWorkflow, Client, WorkflowEngine } from '../index.mjs';
import { repoRoot, startServer } from './support/server.mjs';

const require = createRequire(import.meta.url);
const YAML = require('yaml');
const here = dirname(fileURLToPath(import.meta.url));
const REDOCLY = join(here, '..', 'node_modules', '@redocly', 'cli', 'bin', 'cli.js');
const ARAZZO = join(repoRoot, 'openapi', 'orders.arazzo.yaml');
const OPENAPI = join(repoRoot, 'openapi', 'orders.yaml');
const INPUTS = {
  customer_id: 'cus_1',
  sku: 'sku-1',
  quantity: 2,
  currency: 'EUR',
  amount: 1250,
  payment_method: 'pm_card_visa',
  carrier: 'oncely-post',
};
// Which side effect each workflow output names (the resource it created).
const OUTPUT_EFFECTS = {
  orderId: 'order_created',
  reservationId: 'inventory_reserved',
  paymentId: 'payment_authorized',
  shipmentOperationId: 'shipment_requested',
};

let server;
let tmp;
before(async () => {
  server = await startServer({ operationMs: 100, retryAfterMs: 10 });
  tmp = mkdtempSync(join(tmpdir(), 'oncely-redocly-'));
});
after(async () => {
  await server.stop();
  rmSync(tmp, { recursive: true, force: true });
});

/** The document as Redocly can run it (see the top of this file). */
function forRedocly(keyPrefix) {
  const document = YAML.parse(readFileSync(ARAZZO, 'utf8'));
  for (const step of document.workflows[0].steps) {
    const key = { name: 'Idempotency-Key', in: 'header', value: `${keyPrefix}-${step.stepId}` };
    step.parameters = [...(step.parameters ?? []), key];
    for (const criterion of step.successCriteria ?? []) {
      if (criterion.type === 'jsonpath' && criterion.condition === '$.status') criterion.condition = '$[?(@.status)]';
    }
  }
  const file = join(tmp, 'orders.arazzo.yaml');
  writeFileSync(file, YAML.stringify(document));
  copyFileSync(OPENAPI, join(tmp, 'orders.yaml'));
  return { file, document };
}

/** Resolves a JSON pointer (`/id`) in a value. */
function pointer(value, path) {
  return path
    .split('/')
    .slice(1)
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((v, token) => (v == null ? undefined : v[token]), value);
}

/** The POSTs sent with these keys, as `route status`, in order. */
async function writes(keys) {
  return (await server.requests()).filter((r) => r.method === 'POST' && keys.has(r.idempotency_key)).map((r) => `${r.route} ${r.status}`);
}

/** The ledger entries caused by requests with these keys. */
async function effects(keys) {
  return (await server.ledger()).filter((e) => keys.has(e.idempotency_key));
}

test('Redocly respect and oncely agree on the checkout', async () => {
  // oncely runs the document as written.
  const flow = ArazzoWorkflow.load(ARAZZO, 'checkout');
  const engine = new WorkflowEngine(new Client({ baseUrl: server.url, poll: { intervalMs: 10 } }));
  const ours = await flow.run(engine, INPUTS, { runId: 'cross-check' });
  assert.equal(ours.state, 'completed', JSON.stringify(ours.error));
  const ourSteps = (await engine.show('cross-check')).steps.filter((s) => s.phase === 'action');
  const ourKeys = new Set(ourSteps.map((s) => s.key));

  // Redocly runs its copy against the same server.
  const prefix = `redocly-${process.pid}`;
  const { file, document } = forRedocly(prefix);
  const report = join(tmp, 'respect.json');
  await promisify(execFile)(
    process.execPath,
    [REDOCLY, 'respect', file, '--server', `orders=${server.url}`, '--input', JSON.stringify(INPUTS), '--json-output', report],
    { cwd: tmp, env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } },
  );
  const result = JSON.parse(readFileSync(report, 'utf8'));
  const run = result.files[file].executedWorkflows.find((w) => w.workflowId === 'checkout');
  assert.equal(run.status, 'success');
  const theirSteps = run.executedSteps;
  assert.ok(theirSteps.every((s) => s.status === 'success'), JSON.stringify(theirSteps.map((s) => [s.stepId, s.status])));
  const theirKeys = new Set(theirSteps.map((s) => `${prefix}-${s.stepId}`));

  // The same steps, in the same order.
  assert.deepEqual(
    theirSteps.map((s) => s.stepId),
    ourSteps.map((s) => s.name),
  );
  assert.deepEqual(
    theirSteps.map((s) => s.stepId),
    flow.stepIds,
  );
  // The same writes, answered the same way, causing the same side effects.
  assert.deepEqual(await writes(theirKeys), await writes(ourKeys));
  assert.deepEqual(
    (await effects(theirKeys)).map((e) => e.kind),
    (await effects(ourKeys)).map((e) => e.kind),
  );
  // oncely polled the 202 to its end; Redocly only checked it.
  const operation = ours.outputs.shipmentOperationId;
  assert.ok((await server.requests()).some((r) => r.method === 'GET' && r.path === `/operations/${operation}`));

  // The outputs name the same side effects of each run. Redocly's report has
  // each step's answer but not the evaluated outputs, so its outputs are
  // read from those answers with the document's own `$response.body#/…`
  // pointers.
  const stepOutputs = Object.fromEntries(
    document.workflows[0].steps.map((step) => {
      const answer = theirSteps.find((s) => s.stepId === step.stepId).response.body;
      const outputs = Object.entries(step.outputs ?? {})
        .filter(([, expr]) => expr.startsWith('$response.body#'))
        .map(([name, expr]) => [name, pointer(answer, expr.slice('$response.body#'.length))]);
      return [step.stepId, Object.fromEntries(outputs)];
    }),
  );
  const theirOutputs = Object.fromEntries(
    Object.entries(document.workflows[0].outputs).map(([name, expr]) => {
      const [, step, output] = /^\$steps\.([^.]+)\.outputs\.(.+)$/.exec(expr);
      return [name, stepOutputs[step][output]];
    }),
  );
  assert.deepEqual(Object.keys(theirOutputs).sort(), Object.keys(ours.outputs).sort());
  const resourceOf = (entries) => Object.fromEntries(entries.map((e) => [e.kind, e.resource_id]));
  const theirResources = resourceOf(await effects(theirKeys));
  const ourResources = resourceOf(await effects(ourKeys));
  for (const [name, kind] of Object.entries(OUTPUT_EFFECTS)) {
    assert.equal(theirOutputs[name], theirResources[kind], `Redocly's ${name}`);
    assert.equal(ours.outputs[name], ourResources[kind], `oncely's ${name}`);
  }
});
