// Webhooks from Node: Standard Webhooks and Stripe signatures checked against
// the schemes' published vectors (the same as the Rust and Python tests),
// typed WebhookError naming what failed, WebhookInbox running each event's
// handler once (after success, failure, concurrent deliveries), and a claim
// in the application's own `pg` transaction.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';

import {
  WebhookError,
  WebhookInbox,
  verifyStandardWebhook,
  verifyStripeWebhook,
  signStandardWebhook,
  signStripeWebhook,
  claimEventPg,
  claimEventSqlite,
} from '../index.mjs';

// github.com/standard-webhooks/standard-webhooks: libraries/javascript/src/webhook.test.ts
// ("sign function works") and libraries/rust/src/lib.rs (test_sign, multiple signatures).
const JS = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  ts: 1614265330,
  payload: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};
const RS = {
  secret: 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD',
  id: 'msg_27UH4WbU6Z5A5EzD8u03UvzRbpk',
  ts: 1649367553,
  payload: '{"email":"test@example.com","username":"test_user"}',
  signature: 'v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=',
  others: [
    'v1,tFtCZ5RDCPxzWQRWXWPgrCgE2frDBe9gjpbWQxnVfsQ=',
    'v1,Mm7xgUVICxZfQ3bgf0h0Dof65L/IFx+PnZvnDWPCX6Q=',
    'v1,9DfC1c3eeOrXB6w/5dIDydLNQaEyww5KalE5jLBZucE=',
  ],
};
// Stripe: secret and payload of stripe-python tests/test_webhook.py, t=12345 as
// in stripe-node test/Webhook.spec.ts; the hex computed with Python's hmac.
const STRIPE = {
  secret: 'whsec_test_secret',
  payload: '{\n  "id": "evt_test_webhook",\n  "object": "event",\n  "data": { "object": { "id": "rdr_123", "object": "terminal.reader" } }\n}',
  ts: 12345,
  v1: '07b1ede164afb7b5de91267ffa656f568c65d6e0783ce0ac55ee094643578eda',
};

const headers = (id, ts, signature) => ({ 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': signature });
const at = (seconds) => seconds * 1000;
const kindOf = (kind, extra = () => {}) => (e) => {
  assert.ok(e instanceof WebhookError, String(e));
  assert.equal(e.kind, 'webhook');
  assert.equal(e.webhookErrorKind, kind);
  extra(e);
  return true;
};

let dir;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'oncely-webhooks-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('standard vectors sign and verify', () => {
  assert.equal(signStandardWebhook(JS.secret, JS.id, JS.ts, JS.payload), JS.signature);
  assert.equal(signStandardWebhook(RS.secret, RS.id, RS.ts, Buffer.from(RS.payload)), RS.signature);
  assert.deepEqual(verifyStandardWebhook(JS.secret, headers(JS.id, JS.ts, JS.signature), JS.payload, { now: at(JS.ts + 299) }), {
    id: JS.id,
    timestamp: JS.ts,
  });
  const h = new Headers(headers(RS.id, RS.ts, RS.signature));
  assert.equal(verifyStandardWebhook(RS.secret.slice(6), h, new TextEncoder().encode(RS.payload), { now: new Date(at(RS.ts)) }).id, RS.id);
});

test('standard refusals name what failed', () => {
  const good = headers(JS.id, JS.ts, JS.signature);
  const now = at(JS.ts);
  assert.throws(() => verifyStandardWebhook(RS.secret, good, JS.payload, { now }), kindOf('no_valid_signature', (e) => assert.equal(e.httpStatus, 400)));
  assert.throws(() => verifyStandardWebhook(JS.secret, good, '{"test": 2432232315}', { now }), kindOf('no_valid_signature'));
  for (const name of Object.keys(good)) {
    const { [name]: _, ...rest } = good;
    assert.throws(() => verifyStandardWebhook(JS.secret, rest, JS.payload, { now }), kindOf('missing_header', (e) => assert.equal(e.header, name)));
  }
  assert.throws(
    () => verifyStandardWebhook(JS.secret, { ...good, 'webhook-timestamp': 'hello' }, JS.payload, { now }),
    kindOf('malformed_header', (e) => assert.equal(e.header, 'webhook-timestamp')),
  );
  for (const off of [301, -301]) {
    assert.throws(
      () => verifyStandardWebhook(JS.secret, good, JS.payload, { now: at(JS.ts + off) }),
      kindOf('timestamp_out_of_tolerance', (e) => assert.deepEqual([e.timestamp, e.now, e.tolerance], [JS.ts, JS.ts + off, 300])),
    );
  }
  assert.throws(() => verifyStandardWebhook(JS.secret, good, JS.payload, { now: at(JS.ts + 11), toleranceMs: 10_000 }), kindOf('timestamp_out_of_tolerance'));
  assert.throws(() => verifyStandardWebhook('whsec_', good, JS.payload), kindOf('invalid_secret'));
  assert.throws(() => verifyStandardWebhook(JS.secret, good, 42), TypeError);
});

test('several signatures, rotated secrets and binary bodies', () => {
  const several = [RS.others[0], RS.others[1], RS.signature, RS.others[2]].join(' ');
  verifyStandardWebhook(RS.secret, headers(RS.id, RS.ts, several), RS.payload, { now: at(RS.ts) });
  assert.throws(() => verifyStandardWebhook(RS.secret, headers(RS.id, RS.ts, RS.others.join(' ')), RS.payload, { now: at(RS.ts) }), kindOf('no_valid_signature'));
  verifyStandardWebhook([JS.secret, RS.secret], headers(RS.id, RS.ts, RS.signature), RS.payload, { now: at(RS.ts) });
  verifyStandardWebhook([JS.secret, RS.secret], headers(JS.id, JS.ts, JS.signature), JS.payload, { now: at(JS.ts) });
  const binary = Buffer.from([0xff, 0xfe, 0x00, 0x80]);
  const signature = signStandardWebhook(JS.secret, JS.id, JS.ts, binary);
  verifyStandardWebhook(JS.secret, headers(JS.id, JS.ts, signature), binary, { now: at(JS.ts) });
});

test('stripe vector and refusals', () => {
  const header = `t=${STRIPE.ts},v1=${STRIPE.v1}`;
  assert.equal(signStripeWebhook(STRIPE.secret, STRIPE.ts, STRIPE.payload), header);
  const several = `t=${STRIPE.ts},v1=bad_signature,v1=${STRIPE.v1},v0=6ffbb59b`;
  assert.deepEqual(verifyStripeWebhook(STRIPE.secret, { 'Stripe-Signature': several }, STRIPE.payload, { now: at(STRIPE.ts + 10) }), {
    id: 'evt_test_webhook',
    timestamp: STRIPE.ts,
  });
  verifyStripeWebhook(['whsec_new', STRIPE.secret], { 'stripe-signature': header }, STRIPE.payload, { now: at(STRIPE.ts) });
  const cases = [
    [{ 'stripe-signature': header }, 'whsec_other', 'no_valid_signature'],
    [{ 'stripe-signature': "i'm not even a real signature header" }, STRIPE.secret, 'malformed_header'],
    [{ 'stripe-signature': `t=${STRIPE.ts},v0=${STRIPE.v1}` }, STRIPE.secret, 'malformed_header'],
    [{}, STRIPE.secret, 'missing_header'],
  ];
  for (const [h, secret, kind] of cases) {
    assert.throws(() => verifyStripeWebhook(secret, h, STRIPE.payload, { now: at(STRIPE.ts) }), kindOf(kind));
  }
  assert.throws(() => verifyStripeWebhook(STRIPE.secret, { 'stripe-signature': header }, STRIPE.payload, { now: at(STRIPE.ts + 301) }), kindOf('timestamp_out_of_tolerance'));
});

const SECRET = JS.secret;
function delivery(id) {
  const body = JSON.stringify({ id, type: 'order.created' });
  const ts = Math.floor(Date.now() / 1000);
  return [headers(id, ts, signStandardWebhook(SECRET, id, ts, body)), body];
}

test('the inbox runs a handler once, and again after a failure', async () => {
  const inbox = await WebhookInbox.open(`sqlite:${join(dir, 'a.db')}`, { secret: SECRET, source: 'orders' });
  assert.equal(inbox.source, 'orders');
  const runs = [];
  const handler = async (event) => {
    runs.push(event.id);
    return { handled: event.id };
  };
  const [h, body] = delivery('evt_node_1');
  assert.deepEqual(await inbox.receive(h, body, handler), { status: 'processed', eventId: 'evt_node_1', result: { handled: 'evt_node_1' }, httpStatus: 200 });
  const again = await inbox.receive(h, body, handler);
  assert.deepEqual([again.status, again.result], ['duplicate', { handled: 'evt_node_1' }]);

  const [h2, body2] = delivery('evt_node_2');
  class Upstream extends Error {}
  await assert.rejects(
    inbox.receive(h2, body2, () => {
      throw new Upstream('upstream said 503');
    }),
    (e) => e instanceof Upstream,
  );
  const failed = await inbox.get('evt_node_2');
  assert.equal(failed.state, 'failed');
  assert.match(failed.lastError, /upstream said 503/);
  assert.equal((await inbox.receive(h2, body2, handler)).status, 'processed');
  assert.equal((await inbox.get('evt_node_2')).attempts, 2);
  await assert.rejects(inbox.receive({ ...h2, 'webhook-id': 'evt_forged' }, body2, handler), kindOf('no_valid_signature'));
  assert.equal(await inbox.get('evt_forged'), null);
  assert.deepEqual(runs, ['evt_node_1', 'evt_node_2']);
  assert.equal((await inbox.list()).length, 2);
});

test('concurrent deliveries run the handler once', async () => {
  const inbox = await WebhookInbox.open(`sqlite:${join(dir, 'b.db')}`, { secret: SECRET });
  const runs = [];
  let release;
  const released = new Promise((resolve) => (release = resolve));
  let started;
  const running = new Promise((resolve) => (started = resolve));
  const slow = async (event) => {
    runs.push(event.id);
    started();
    await released;
    return 'sent';
  };
  const [h, body] = delivery('evt_race');
  const first = inbox.receive(h, body, slow);
  await running;
  const busy = await inbox.receive(h, body, slow);
  assert.deepEqual([busy.status, busy.httpStatus], ['in_progress', 409]);
  release();
  assert.equal((await first).status, 'processed');
  assert.equal((await inbox.receive(h, body, slow)).status, 'duplicate');
  assert.deepEqual(runs, ['evt_race']);
});

test('bad options are typed errors', async () => {
  await assert.rejects(WebhookInbox.open(join(dir, 'c.db'), { secret: SECRET, scheme: 'github' }), kindOf('invalid_config'));
  await assert.rejects(WebhookInbox.open('memory:', { secret: SECRET }), kindOf('invalid_config'));
  await assert.rejects(WebhookInbox.open(join(dir, 'c.db'), { secret: SECRET, colour: 'red' }), TypeError);
  const inbox = await WebhookInbox.open(join(dir, 'c.db'), { secret: SECRET });
  await assert.rejects(inbox.receive({}, '', 'not a function'), TypeError);
  // The claim statement a better-sqlite3 database would run.
  const seen = [];
  const db = { prepare: (sql) => ({ get: (...params) => (seen.push([sql, params]), { 1: 1 }) }) };
  assert.equal(claimEventSqlite(db, 'evt_1', { source: 'orders' }), true);
  assert.match(seen[0][0], /^INSERT INTO oncely_webhook_events AS e .* RETURNING 1$/);
  assert.deepEqual(seen[0][1].slice(0, 2), ['orders', 'evt_1']);
  assert.throws(() => claimEventSqlite(db, 'evt_1', { table: 'x; DROP' }), kindOf('invalid_config'));
});

test('an event claimed in the application pg transaction commits with its effects', async (t) => {
  const url = process.env.ONCELY_TEST_DATABASE_URL;
  if (!url) {
    t.skip('ONCELY_TEST_DATABASE_URL is not set');
    return;
  }
  const { default: pg } = await import('pg');
  const schema = `n_hooks_${randomUUID().replaceAll('-', '').slice(0, 10)}`;
  const inbox = await WebhookInbox.open(`${url}?oncely_schema=${schema}`, { secret: SECRET, source: 'orders' });
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`CREATE TABLE ${schema}.stock (reserved INTEGER NOT NULL); INSERT INTO ${schema}.stock VALUES (0)`);
    const deliver = async (commit) => {
      await client.query('BEGIN');
      const first = await claimEventPg(client, 'evt_pg', { schema, source: 'orders' });
      if (first) await client.query(`UPDATE ${schema}.stock SET reserved = reserved + 1`);
      await client.query(commit ? 'COMMIT' : 'ROLLBACK');
      return first;
    };
    assert.equal(await deliver(false), true);
    assert.equal(await deliver(true), true);
    assert.equal(await deliver(true), false);
    assert.equal((await client.query(`SELECT reserved FROM ${schema}.stock`)).rows[0].reserved, 1);
    assert.equal((await inbox.get('evt_pg')).state, 'done');
  } finally {
    await client.end();
  }
});

test('the http example handles each event once though delivered twice', async () => {
  const { symlinkSync, mkdirSync, existsSync } = await import('node:fs');
  const { relative, dirname } = await import('node:path');
  const { fileURLToPath } = await import('node:url');
  const { startServer } = await import('./support/server.mjs');
  const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  const examples = join(repo, 'examples', 'webhooks');
  // What `npm install` next to an example does: link the package as `oncely`.
  const link = join(examples, 'node_modules', 'oncely');
  if (!existsSync(link)) {
    mkdirSync(join(examples, 'node_modules'), { recursive: true });
    symlinkSync(relative(join(examples, 'node_modules'), join(repo, 'bindings', 'node')), link, 'dir');
  }
  const { createReceiver } = await import(join(examples, 'receiver.mjs'));
  const inbox = await WebhookInbox.open(`sqlite:${join(dir, 'example.db')}`, { secret: SECRET });
  const { server: receiver, handled } = createReceiver(inbox);
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${receiver.address().port}/webhooks`;
  const server = await startServer({
    args: ['--webhook-url', url, '--webhook-secret', SECRET, '--webhook-duplicate-every', '1', '--webhook-retry-ms', '1'],
  });
  try {
    const order = { customer_id: 'cus_1', currency: 'EUR', items: [{ sku: 'sku-1', quantity: 1 }] };
    let created;
    for (const key of ['k1', 'k2', 'k3']) {
      const res = await fetch(`${server.url}/orders`, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': key }, body: JSON.stringify(order) });
      created = await res.json();
    }
    await fetch(`${server.url}/orders/${created.id}/cancel`, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': 'c1' }, body: '{}' });
    let hooks;
    for (let i = 0; i < 3000; i++) {
      hooks = await (await fetch(`${server.url}/_admin/webhooks`)).json();
      if (hooks.unsettled === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(hooks.unsettled, 0);
    assert.equal(hooks.deliveries.filter((d) => d.copy === 2).length, 4, 'the fault delivered every event twice');
    assert.ok(hooks.deliveries.every((d) => d.status === 200));
  } finally {
    await server.stop();
    await new Promise((resolve) => receiver.close(resolve));
  }
  const ids = handled.map((h) => h.id);
  assert.equal(new Set(ids).size, 4);
  assert.equal(ids.length, 4);
  assert.deepEqual(handled.map((h) => h.type), ['order.created', 'order.created', 'order.created', 'order.canceled']);
  const records = await inbox.list();
  assert.deepEqual(records.map((r) => r.eventId).sort(), [...ids].sort());
  assert.ok(records.every((r) => r.state === 'done' && r.attempts === 1));
});
