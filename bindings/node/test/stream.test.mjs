// Streamed answers against the reference server: server-sent events that
// reconnect with Last-Event-ID after a cut, JSON lines, typed errors, and
// closing (break, close(), AbortSignal) that the server sees.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import * as oncely from '../index.mjs';
import { startServer } from './support/server.mjs';

const ORDER = { customer_id: 'cus_1', currency: 'EUR', items: [{ sku: 'sku-1', quantity: 2 }] };
const EVENTS = '/orders/{order_id}/events';

let server;
before(async () => {
  // Streams announce `retry: 5`, so a reconnection waits 5 ms.
  server = await startServer({ args: ['--stream-retry-ms', '5'] });
});
after(async () => {
  await server.stop();
});

const client = () => new oncely.Client({ baseUrl: server.url, retry: { baseDelayMs: 1, maxDelayMs: 5 } });

/** An order with three changes (created, reserved, cancelled): its stream ends. */
async function cancelledOrder(c) {
  const order = (await c.post('/orders', { json: ORDER })).json();
  await c.post(`/orders/${order.id}/reservations`, { json: {} });
  await c.post(`/orders/${order.id}/cancel`, { json: {} });
  return order.id;
}

async function collect(stream) {
  const items = [];
  for await (const item of stream) items.push(item);
  return items;
}

test('every event of a stream arrives in order, typed, then the stream ends', async () => {
  const c = client();
  const id = await cancelledOrder(c);
  const stream = await c.streamEvents('GET', EVENTS, { pathParams: { order_id: id } });
  assert.ok(stream instanceof oncely.EventStream);
  const events = await collect(stream);
  assert.deepEqual(
    events.map((e) => e.event),
    ['order_created', 'inventory_reserved', 'order_cancelled'],
  );
  assert.ok(events.every((e) => e instanceof oncely.ServerEvent));
  assert.equal(events[0].retryMs, 5);
  assert.equal(events[1].retryMs, undefined);
  const data = events.map((e) => e.json());
  assert.deepEqual(data.map((d) => String(d.seq)), events.map((e) => e.id));
  assert.equal(data[2].order_status, 'cancelled');
  assert.equal(stream.lastEventId, events[2].id);
  assert.equal(stream.eventsReceived, 3);
  assert.equal(stream.reconnects, 0);
});

test('a cut stream reconnects with Last-Event-ID: nothing lost, nothing repeated', async () => {
  const c = client();
  const id = await cancelledOrder(c);
  await server.addFaults([{ route: `GET ${EVENTS}`, fault: { kind: 'cut_stream', after: 2 } }]);
  const stream = await c.streamEvents('GET', EVENTS, { pathParams: { order_id: id } });
  const events = await collect(stream);
  assert.deepEqual(
    events.map((e) => e.event),
    ['order_created', 'inventory_reserved', 'order_cancelled'],
  );
  assert.equal(new Set(events.map((e) => e.id)).size, 3);
  assert.equal(stream.reconnects, 1);
  const opened = (await server.requests()).filter((r) => r.path === `/orders/${id}/events`);
  assert.equal(opened.length, 2);
  assert.equal(opened[0].last_event_id, undefined);
  assert.equal(opened[1].last_event_id, events[1].id, 'the second request resumes after the second event');
});

test('lastEventId resumes a stream a crashed reader left', async () => {
  const c = client();
  const id = await cancelledOrder(c);
  const first = await c.streamEvents('GET', EVENTS, { pathParams: { order_id: id } });
  const all = await collect(first);
  const rest = await collect(await c.streamEvents('GET', EVENTS, { pathParams: { order_id: id }, lastEventId: all[0].id }));
  assert.deepEqual(rest.map((e) => e.id), all.slice(1).map((e) => e.id));
});

test('an answer that is not an event stream is a ProtocolError naming what came', async () => {
  const c = client();
  const id = await cancelledOrder(c);
  await server.addFaults([{ route: `GET ${EVENTS}`, fault: { kind: 'content_type', content_type: 'application/json' } }]);
  await assert.rejects(c.streamEvents('GET', EVENTS, { pathParams: { order_id: id } }), (error) => {
    assert.ok(error instanceof oncely.ProtocolError, String(error));
    assert.match(error.message, /application\/json/);
    return true;
  });
});

test('a 503 before the stream starts is retried like any call', async () => {
  const c = client();
  const id = await cancelledOrder(c);
  await server.addFaults([{ route: `GET ${EVENTS}`, fault: { kind: 'status', code: 503, retry_after: '0' } }]);
  const events = await collect(await c.streamEvents('GET', EVENTS, { pathParams: { order_id: id } }));
  assert.equal(events.length, 3);
  const opened = (await server.requests()).filter((r) => r.path === `/orders/${id}/events`);
  assert.deepEqual(opened.map((r) => r.status), [503, 200]);
});

test('JSON lines arrive as JSON values; a bad line is a DecodeError naming its line', async () => {
  const c = client();
  const ids = [];
  for (let i = 0; i < 2; i += 1) ids.push((await c.post('/orders', { json: ORDER })).json().id);
  const lines = await c.streamLines('GET', '/orders/export');
  assert.ok(lines instanceof oncely.LineStream);
  const exported = (await collect(lines)).map((o) => o.id);
  assert.deepEqual(exported.slice(-2), ids);

  await server.addFaults([
    {
      route: 'GET /orders/export',
      fault: { kind: 'status', code: 200, body: '{"n":1}\n{"n":\n{"n":3}\n', content_type: 'application/x-ndjson' },
    },
  ]);
  const bad = await c.streamLines('GET', '/orders/export');
  assert.deepEqual((await bad.next()).value, { n: 1 });
  await assert.rejects(bad.next(), (error) => {
    assert.ok(error instanceof oncely.DecodeError, String(error));
    assert.match(error.what, /line 2\b/);
    return true;
  });
  assert.deepEqual((await bad.next()).value, { n: 3 }, 'a bad line does not end the stream');
  assert.equal((await bad.next()).done, true);
});

test('break closes the connection, and the server sees it', async () => {
  const c = client();
  const order = (await c.post('/orders', { json: ORDER })).json();
  // A pending order: its stream stays open, following the order.
  const stream = await c.streamEvents('GET', EVENTS, { pathParams: { order_id: order.id } });
  for await (const event of stream) {
    assert.equal(event.event, 'order_created');
    assert.equal(await server.openStreams(1), 1);
    break;
  }
  assert.equal(await server.openStreams(0), 0);
  assert.equal((await stream.next()).done, true);
});

test('close() and an AbortSignal close a stream that is waiting for the next event', async () => {
  const c = client();
  const order = (await c.post('/orders', { json: ORDER })).json();
  const stream = await c.streamEvents('GET', EVENTS, { pathParams: { order_id: order.id } });
  assert.equal((await stream.next()).value.event, 'order_created');
  const waiting = stream.next();
  stream.close();
  assert.equal((await waiting).done, true);
  assert.equal(await server.openStreams(0), 0);

  const controller = new AbortController();
  const aborted = await c.streamEvents('GET', EVENTS, { pathParams: { order_id: order.id }, signal: controller.signal });
  await aborted.next();
  const pending = aborted.next();
  controller.abort();
  await assert.rejects(pending, { name: 'AbortError' });
  assert.equal(await server.openStreams(0), 0);
});

test('bad stream options are TypeErrors naming the option', async () => {
  const c = client();
  await assert.rejects(c.streamEvents('GET', '/orders/x/events', { reconnect: 'always' }), (error) => {
    assert.ok(error instanceof TypeError);
    assert.match(error.message, /reconnect/);
    return true;
  });
  await assert.rejects(c.streamEvents('GET', '/orders/x/events', { maxItemBytes: 0 }), /maxItemBytes/);
  await assert.rejects(c.streamLines('GET', '/orders/export', { lastEventId: '1' }), /lastEventId/);
  await assert.rejects(c.streamEvents('GET', '/orders/x/events', { maxItemBytes: '1' }), TypeError);
});
