// The transactional outbox from Node: a call enqueued on the application's
// own `pg` client commits or rolls back with its transaction; `Outbox.dispatch`
// delivers rows once through the native core (the server's ledger says so);
// dead rows keep their problem and are retried with their original key.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';

import { Client, Outbox, OutboxCall, OutboxError, enqueuePg } from '../index.mjs';
import { startServer } from './support/server.mjs';

const ORDER = { customer_id: 'cus_node', currency: 'EUR', items: [{ sku: 'sku-1', quantity: 1 }] };
let server;
let dir;

before(async () => {
  server = await startServer();
  dir = mkdtempSync(join(tmpdir(), 'oncely-outbox-'));
});
after(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

const client = () => new Client({ baseUrl: server.url, retry: { maxAttempts: 3, baseDelayMs: 1 } });
const created = async () => (await server.ledger()).filter((e) => e.kind === 'order_created');

test('a row is delivered once, dead rows keep their problem and are retried with their key', async () => {
  const intent = `node-${randomUUID()}`;
  await server.addFaults([{ route: 'POST /orders', nth: 1, fault: { kind: 'status', code: 400 } }]);
  const outbox = await Outbox.open(`sqlite:${join(dir, 'a.db')}`);
  const id = await outbox.enqueue(new OutboxCall('POST', '/orders', { json: ORDER, intentId: intent, partition: 'cus_node' }));
  await assert.rejects(outbox.enqueue(new OutboxCall('POST', '/orders', { json: ORDER, intentId: intent })), (e) => {
    assert.ok(e instanceof OutboxError);
    assert.equal(e.outboxErrorKind, 'duplicate_intent');
    assert.equal(e.existing, id);
    return true;
  });
  assert.deepEqual(await outbox.dispatch(client()), { delivered: 0, retried: 0, dead: 1, lease_lost: 0 });
  const dead = await outbox.get(id);
  assert.equal(dead.state, 'dead');
  assert.equal(dead.last_error.status, 400);
  assert.deepEqual((await outbox.list({ state: 'dead' })).map((r) => r.id), [id]);
  assert.equal((await outbox.stats()).dead, 1);
  const retried = await outbox.retry(id);
  assert.equal(retried.state, 'pending');
  assert.equal((await outbox.dispatch(client())).delivered, 1);
  const keys = (await server.requests()).filter((r) => r.route === 'POST /orders' && r.idempotency_key === dead.idempotency_key);
  assert.equal(keys.length, 2);
  assert.equal((await created()).filter((e) => e.idempotency_key === dead.idempotency_key).length, 1);
  await assert.rejects(outbox.discard(id), (e) => e instanceof OutboxError && e.outboxErrorKind === 'wrong_state');
  await assert.rejects(outbox.get(99999), (e) => e instanceof OutboxError && e.outboxErrorKind === 'not_found');
});

test('calls that cannot be sent are refused when made', () => {
  for (const [options, what] of [
    [{ headers: { Authorization: 'Bearer s3cret' } }, /credentials/],
    [{ headers: { 'X-Note': 'a\r\nb' } }, /X-Note/],
  ]) {
    assert.throws(() => new OutboxCall('POST', '/orders', options), (e) => e instanceof OutboxError && what.test(e.message));
  }
  assert.throws(() => new OutboxCall('POST', '/orders/{order_id}/cancel'), /order_id/);
  assert.throws(() => new OutboxCall('POST', '/orders', { retry: { maxAttempts: 1 } }), /unknown outbox call option/);
  const { sql, params } = new OutboxCall('POST', '/orders', { body: Buffer.from([0, 1, 2]), contentType: 'application/octet-stream' }).insertStatement('qmark');
  assert.ok(sql.startsWith('INSERT INTO oncely_outbox'));
  assert.ok(Buffer.isBuffer(params[6]) && params[6].length === 3);
});

test('a pg transaction carries the row, and a rollback takes it away', { skip: !process.env.ONCELY_TEST_DATABASE_URL }, async () => {
  const { default: pg } = await import('pg');
  const url = process.env.ONCELY_TEST_DATABASE_URL;
  const schema = `node_outbox_${randomUUID().replaceAll('-', '').slice(0, 10)}`;
  const outbox = await Outbox.open(`${url}?oncely_schema=${schema}`);
  const app = new pg.Client({ connectionString: url });
  await app.connect();
  try {
    await app.query(`CREATE TABLE ${schema}.orders (id TEXT PRIMARY KEY)`);
    await app.query('BEGIN');
    await app.query(`INSERT INTO ${schema}.orders VALUES ('o_1')`);
    await enqueuePg(app, new OutboxCall('POST', '/orders', { json: ORDER, intentId: `${schema}-1` }), { schema });
    await app.query('ROLLBACK');
    await app.query('BEGIN');
    await app.query(`INSERT INTO ${schema}.orders VALUES ('o_2')`);
    const id = await enqueuePg(app, new OutboxCall('POST', '/orders', { json: ORDER, intentId: `${schema}-2` }), { schema });
    await assert.rejects(
      enqueuePg(app, new OutboxCall('POST', '/orders', { json: ORDER, intentId: `${schema}-2` }), { schema }),
      (e) => e instanceof OutboxError && e.outboxErrorKind === 'duplicate_intent' && e.existing === id,
    );
    await app.query('COMMIT');
    assert.equal((await outbox.stats()).pending, 1);
    assert.equal((await outbox.dispatch(client())).delivered, 1);
    const row = await outbox.get(id);
    assert.equal(row.state, 'delivered');
    assert.equal((await created()).filter((e) => e.idempotency_key === row.idempotency_key).length, 1);
  } finally {
    await app.end();
  }
});
