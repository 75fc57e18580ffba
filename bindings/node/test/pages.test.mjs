// Auto-pagination from Node: `client.pages(…)` against the reference server's
// list endpoints (openapi/lists.yaml). Every item once and in order, in every
// style; pages and items share one position; limits and cursors resume without
// loss; a 503 on page 2 is retried; bad input is refused before any request.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { Client, Pages, ProtocolError } from '../index.mjs';
import { startServer } from './support/server.mjs';

const ORDERS = 25;
const SIZE = 4;
const FULL_PAGES = Math.ceil(ORDERS / SIZE);

const STRIPE = { items: 'data', style: 'last_item', param: 'starting_after', id_field: 'id', has_more: 'has_more' };
const BY_TOKEN = { items: 'orders', style: 'body_cursor', next: 'next_page_token', param: 'page_token', has_more: null };
const BY_LINK = { items: '', style: 'link_header' };
const BY_PAGE = { items: 'data', style: 'page_number', param: 'page', first: 1, size_param: 'per_page', total: 'meta.total' };
const BY_OFFSET = { items: 'results', style: 'offset', param: 'offset' };
const BY_NEXT_URL = { items: 'results', style: 'next_url', next: 'next' };

let server;
let customers;

before(async () => {
  server = await startServer();
  const c = client();
  customers = [];
  for (let i = 0; i < ORDERS; i++) {
    const customer = `cus_${String(i).padStart(2, '0')}`;
    await c.post('/orders', { json: { customer_id: customer, currency: 'EUR', items: [{ sku: 's', quantity: 1 }] } });
    customers.push(customer);
  }
});
after(() => server.stop());

const client = () => new Client({ baseUrl: server.url, retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 } });

/** The request log's length now; `queries(path, mark)` reads from there. */
const mark = async () => (await server.requests()).length;
const queries = async (path, since) =>
  (await server.requests())
    .slice(since)
    .filter((r) => r.path === path && r.method === 'GET')
    .map((r) => r.query ?? '');

test('every style yields every item exactly once, in order', async () => {
  const cases = [
    ['/orders', 'limit', STRIPE, FULL_PAGES],
    ['/orders/by-token', 'page_size', BY_TOKEN, FULL_PAGES],
    ['/orders/by-link', 'per_page', BY_LINK, FULL_PAGES],
    ['/orders/by-page', 'per_page', BY_PAGE, FULL_PAGES],
    ['/orders/by-offset', 'limit', BY_OFFSET, FULL_PAGES + 1],
    ['/orders/by-offset', 'limit', BY_NEXT_URL, FULL_PAGES],
  ];
  for (const [path, sizeParam, spec, requests] of cases) {
    const since = await mark();
    const pages = client().pages('GET', path, spec, { query: { [sizeParam]: SIZE } });
    assert.ok(pages instanceof Pages);
    assert.equal(pages.cursor, null);
    const seen = [];
    const numbers = [];
    for await (const page of pages) {
      assert.equal(page.status, 200);
      numbers.push(page.number);
      seen.push(...page.items.map((o) => o.customer_id));
    }
    assert.deepEqual(seen, customers, `${path} ${spec.style}`);
    assert.deepEqual(numbers, [...Array(requests).keys()]);
    assert.equal(pages.cursor, null);
    assert.equal(await pages.nextPage(), null);
    const sent = await queries(path, since);
    assert.equal(sent.length, requests, `${path}: ${sent}`);
    assert.equal(new Set(sent).size, sent.length);
  }
});

test('items cross pages, and a 503 on page two is retried', async () => {
  const since = await mark();
  await server.addFaults([{ route: 'GET /orders/by-token', nth: 2, fault: { kind: 'status', code: 503 } }]);
  const seen = [];
  for await (const order of client().pages('GET', '/orders/by-token', BY_TOKEN, { query: { page_size: SIZE } }).items()) {
    seen.push(order.customer_id);
  }
  assert.deepEqual(seen, customers);
  const log = (await server.requests()).slice(since).filter((r) => r.path === '/orders/by-token');
  assert.equal(log.length, FULL_PAGES + 1);
  assert.equal(log[1].status, 503);
  assert.equal(log[1].query, log[2].query);
});

test('limits stop early and the cursor resumes without loss', async () => {
  const since = await mark();
  const c = client();
  const first = c.pages('GET', '/orders/by-link', BY_LINK, { query: { per_page: SIZE }, maxItems: 6 });
  const taken = [];
  for await (const order of first.items()) taken.push(order.customer_id);
  assert.deepEqual(taken, customers.slice(0, 6));
  const token = first.cursor;
  assert.equal(typeof token, 'string');
  // Later, from the token alone: the rest of the cut page, then the others.
  const rest = c.pages('GET', '/orders/by-link', BY_LINK, { query: { per_page: SIZE }, cursor: token });
  for await (const order of rest.items()) taken.push(order.customer_id);
  assert.deepEqual(taken, customers);
  assert.equal((await queries('/orders/by-link', since)).length, 2 + FULL_PAGES - 1);

  const two = c.pages('GET', '/orders', STRIPE, { query: { limit: SIZE }, maxPages: 2 });
  let count = 0;
  for await (const page of two) count += page.items.length;
  assert.equal(count, 2 * SIZE);
  assert.notEqual(two.cursor, null);
});

test('pages and items share one position', async () => {
  const pages = client().pages('GET', '/orders/by-page', BY_PAGE, { query: { per_page: SIZE } });
  const items = pages.items()[Symbol.asyncIterator]();
  const taken = [(await items.next()).value.customer_id, (await items.next()).value.customer_id];
  const rest = await pages.nextPage();
  assert.equal(rest.number, 0);
  taken.push(...rest.items.map((o) => o.customer_id));
  for (;;) {
    const { value, done } = await items.next();
    if (done) break;
    taken.push(value.customer_id);
  }
  assert.deepEqual(taken, customers);
});

test('bad input is refused before anything is sent', async () => {
  const since = await mark();
  const c = client();
  assert.throws(() => c.pages('GET', '/orders/by-token', { ...BY_TOKEN, next: '' }), (e) => e instanceof TypeError && /`next`/.test(e.message));
  assert.throws(() => c.pages('GET', '/orders/by-token', { ...BY_TOKEN, has_mor: 'x' }), /has_mor/);
  assert.throws(() => c.pages('GET', '/orders/by-token', BY_TOKEN, { cursor: 'nope' }), /page cursor token/);
  assert.throws(() => c.pages('GET', '/orders/by-token', BY_TOKEN, { maxPages: -1 }), /maxPages/);
  assert.throws(() => c.pages('GET', '/orders/by-token', 'spec'), /spec must be a page spec/);
  await assert.rejects(c.pages('POST', '/orders/search', BY_TOKEN, { intentId: 'one' }).nextPage(), /intent id/);
  assert.equal((await server.requests()).length, since);
});

test('a page whose items are not an array is a protocol error naming the path and page', async () => {
  const body = JSON.stringify({ orders: { id: 'o_1' }, next_page_token: 'x' });
  await server.addFaults([
    { route: 'GET /orders/by-token', nth: 2, fault: { kind: 'status', code: 200, body, content_type: 'application/json' } },
  ]);
  const pages = client().pages('GET', '/orders/by-token', BY_TOKEN, { query: { page_size: SIZE } });
  assert.equal((await pages.nextPage()).items.length, SIZE);
  await assert.rejects(pages.nextPage(), (e) => {
    assert.ok(e instanceof ProtocolError, String(e));
    assert.match(e.message, /page 1 of GET \/orders\/by-token.*`orders`/);
    return true;
  });
});
