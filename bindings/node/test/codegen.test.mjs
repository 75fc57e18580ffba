// `oncely generate --lang typescript`: the generated orders client passes
// `tsc --strict`, compiles, and runs against the reference server; a spec
// full of awkward names and constructs still type-checks.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

import { ProblemError, PreconditionFailedError } from '../index.mjs';
import { repoRoot, startServer } from './support/server.mjs';

const run = promisify(execFile);
const pkgDir = resolve(repoRoot, 'bindings', 'node');
const outRoot = join(pkgDir, 'test', '.generated');
const tsc = join(pkgDir, 'node_modules', 'typescript', 'bin', 'tsc');

/** The `oncely` CLI: `ONCELY_CLI`, else the newest cargo build. */
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

/** Generates `spec` into test/.generated/NAME, links `oncely`, and runs tsc (strict) on it. */
async function generate(spec, name, { emit = false } = {}) {
  const out = join(outRoot, name);
  rmSync(out, { recursive: true, force: true });
  await run(cli(), ['generate', spec, '--lang', 'typescript', '--out', out]);
  mkdirSync(join(out, 'node_modules'), { recursive: true });
  symlinkSync(relative(join(out, 'node_modules'), pkgDir), join(out, 'node_modules', 'oncely'), 'dir');
  const args = [tsc, '-p', join(out, 'tsconfig.json'), '--strict'];
  if (!emit) args.push('--noEmit');
  try {
    await run(process.execPath, args);
  } catch (error) {
    assert.fail(`tsc failed on the ${name} client:\n${error.stdout}${error.stderr}`);
  }
  return out;
}

let server;
before(async () => {
  server = await startServer({ operationMs: 150, retryAfterMs: 20 });
});
after(() => server.stop());

test('the generated orders client type-checks (tsc --strict) and runs against the reference server', async () => {
  const out = await generate(join(repoRoot, 'openapi', 'orders.yaml'), 'orders', { emit: true });
  const api = await import(pathToFileURL(join(out, 'dist', 'index.js')).href);
  const client = new api.OncelyOrdersApiClient({ baseUrl: server.url, retry: { baseDelayMs: 1 }, poll: { intervalMs: 20 } });

  const order = await client.createOrder({ customer_id: 'cus_ts', currency: 'EUR', items: [{ sku: 'sku-1', quantity: 2 }] }, { intentId: 'ts-cart-1' });
  assert.equal(order.customer_id, 'cus_ts');
  const again = await client.createOrder({ customer_id: 'cus_ts', currency: 'EUR', items: [{ sku: 'sku-1', quantity: 2 }] }, { intentId: 'ts-cart-1' });
  assert.equal(again.id, order.id, 'the same intent is the same order');

  const fetched = await client.getOrder(order.id);
  assert.equal(fetched.id, order.id);

  const raw = await client.client.get(`/orders/${order.id}`);
  const updated = await client.updateOrder(order.id, { note: 'ring twice' }, { ifMatch: raw.etag });
  assert.equal(updated.note, 'ring twice');
  await assert.rejects(client.updateOrder(order.id, { note: 'stale' }, { ifMatch: raw.etag }), (e) => e instanceof PreconditionFailedError);

  await assert.rejects(
    client.authorizePayment(order.id, { amount: 1999, currency: 'EUR', payment_method: 'pm_card_declined' }),
    (e) => e instanceof ProblemError && e instanceof api.ProblemError && e.status === 402 && e.extensions.decline_code === 'insufficient_funds',
  );
  const payment = await client.authorizePayment(order.id, { amount: 1999, currency: 'EUR', payment_method: 'pm_card_visa' });
  assert.equal(payment.status, 'authorized');

  const operation = await client.requestShipment(order.id, { carrier: 'dhl' });
  assert.equal(typeof operation.resumeToken(), 'string');
  const shipment = await operation.wait();
  assert.equal(shipment.carrier, 'dhl');

  const ledger = await server.ledger();
  assert.equal(ledger.filter((e) => e.kind === 'order_created' && JSON.stringify(e).includes(order.id)).length, 1);
});

test('a spec full of awkward names and constructs generates code that passes tsc --strict', async () => {
  const spec = join(outRoot, 'names.yaml');
  mkdirSync(outRoot, { recursive: true });
  writeFileSync(
    spec,
    `openapi: 3.0.3
info: { title: "class", version: "1" }
paths:
  /delete/{new}:
    delete:
      operationId: delete
      parameters:
        - { name: new, in: path, required: true, schema: { type: string } }
        - { name: function, in: query, schema: { type: array, items: { type: string } } }
        - { name: X-Request-ID, in: header, schema: { type: string } }
        - { name: filter, in: query, style: deepObject, explode: true, schema: { type: object, additionalProperties: { type: string } } }
        - { name: session, in: cookie, schema: { type: string } }
      responses: { "204": { description: gone } }
  /promise:
    get:
      operationId: Delete
      responses:
        "200": { description: ok, content: { application/json: { schema: { $ref: "#/components/schemas/Promise" } } } }
    post:
      operationId: "2fa"
      requestBody: { required: true, content: { application/json: { schema: { $ref: "#/components/schemas/Animal" } } } }
      responses:
        "201": { description: ok, content: { application/json: { schema: { $ref: "#/components/schemas/Animal" } } } }
  /notify:
    post:
      operationId: notify
      parameters:
        - { name: channel, in: query, required: true, schema: { type: string } }
      requestBody: { content: { application/json: { schema: { $ref: "#/components/schemas/Cat" } } } }
      responses: { "204": { description: ok } }
  /forms:
    post:
      operationId: submitForm
      requestBody:
        required: true
        content: { application/x-www-form-urlencoded: { schema: { $ref: "#/components/schemas/Cat" } } }
      responses: { "204": { description: ok } }
    put:
      operationId: submitScalarForm
      requestBody:
        content: { application/x-www-form-urlencoded: { schema: { $ref: "#/components/schemas/promise" } } }
      responses: { "204": { description: ok } }
components:
  schemas:
    Promise:
      type: object
      properties:
        "x-rate": { type: integer }
        class: { type: string, enum: [a, "b c", "\\u00e9"] }
        self: { $ref: "#/components/schemas/Promise" }
        any: {}
    promise: { type: string }
    Animal:
      oneOf: [ { $ref: "#/components/schemas/Cat" }, { $ref: "#/components/schemas/Dog" } ]
      discriminator: { propertyName: kind, mapping: { cat: "#/components/schemas/Cat", dog: "#/components/schemas/Dog" } }
    Cat: { type: object, required: [kind], properties: { kind: { type: string }, lives: { type: integer } } }
    Dog: { type: object, required: [kind], properties: { kind: { type: string }, good: { type: boolean } } }
    Loop: { $ref: "#/components/schemas/Loop2" }
    Loop2: { $ref: "#/components/schemas/Loop" }
`,
  );
  const out = await generate(spec, 'names');
  const { readFileSync } = await import('node:fs');
  const models = readFileSync(join(out, 'src', 'models.ts'), 'utf8');
  assert.match(models, /export type Animal = \(Cat & \{ kind: "cat" \}\) \| \(Dog & \{ kind: "dog" \}\);/);
  assert.match(models, /"x-rate"\?: number;/);
  assert.match(models, /export interface PromiseModel/);
  const client = readFileSync(join(out, 'src', 'client.ts'), 'utf8');
  assert.match(client, /async delete_\(new_: string/);
  assert.match(client, /async delete_2\(/);
  assert.match(client, /async n2fa\(body: m\.Animal/);
  assert.match(client, /async submitForm\(body: m\.Cat/);
  // An optional body before required parameters cannot be `body?:`.
  assert.match(client, /async notify\(body: m\.Cat \| undefined, params: NotifyParams\)/);
});

test("the code generator's kitchen-sink spec type-checks as TypeScript", { skip: !existsSync(join(repoRoot, 'codegen', 'tests', 'specs', 'kitchen-sink.yaml')) }, async () => {
  await generate(join(repoRoot, 'codegen', 'tests', 'specs', 'kitchen-sink.yaml'), 'kitchen-sink');
});
