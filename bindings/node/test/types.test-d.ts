// Type-level checks of index.d.ts (compiled with `tsc --strict --noEmit`, never run).
import { ArazzoWorkflow, WorkflowEngine, type ArazzoOutcome, Client, Store, Workflow, ProblemError, OncelyError, RetryExhaustedError, type Operation, type RunOutcome, Outbox, OutboxCall, type OutboxRow, type DispatchReport, WebhookError, WebhookInbox, verifyStandardWebhook, verifyStripeWebhook, signStandardWebhook, signStripeWebhook, claimEventSqlite, claimEventPg, type VerifiedWebhook, type WebhookReceipt, type WebhookRecord, type WebhookErrorKind, type EventStream, type LineStream, type ServerEvent, type Page, type PageSpec, type Pages } from '../index.js';

async function usage(): Promise<void> {
  const client = new Client({ baseUrl: 'https://api.example.com', bearer: 'sk', retry: { maxAttempts: 3 }, store: 'sqlite:./o.db' });
  const shared = new Client({ baseUrl: 'https://api.example.com', store: Store.memory(), deadlineMs: null, retry: false });
  const res = await client.post('/orders', { json: { a: 1 }, intentId: 'cart-1', signal: AbortSignal.timeout(1000) });
  const status: number = res.status;
  const order = res.json<{ id: string }>();
  const id: string = order.id;
  const op: Operation<{ carrier: string }> = await shared.sendOperation<{ carrier: string }>({ path: `/orders/${id}/shipments`, json: {} });
  const shipment = await op.wait({ onProgress: (p) => console.log(p.status, p.percent ?? 0) });
  const carrier: string = shipment.carrier;
  const poll = await op.pollOnce();
  if (poll.done) console.log(poll.result.carrier);
  else console.log(poll.progress.polls);
  try {
    await client.get('/x');
  } catch (e) {
    if (e instanceof ProblemError) console.log(e.type, e.title, e.status, e.detail, e.instance, e.extensions);
    if (e instanceof RetryExhaustedError) console.log(e.attempts, e.last.kind);
    if (e instanceof OncelyError) console.log(e.kind, e.retryable);
  }
  const wf = new Workflow('checkout').step('a', async (ctx) => (await ctx.post('/orders', { json: ctx.input })).json(), {
    compensate: async (ctx) => {
      await ctx.post(`/orders/${ctx.ownOutput<{ id: string }>().id}/cancel`);
    },
  });
  const outcome: RunOutcome = await wf.run(client, { runId: 'r1', input: {} });
  const flow = ArazzoWorkflow.load('orders.arazzo.yaml', 'checkout', { servers: { orders: 'http://127.0.0.1:1' } });
  const inline = ArazzoWorkflow.fromDocument('arazzo: 1.0.1', 'w', { openapi: { api: '{}' }, documentName: 'w.arazzo.yaml' });
  const engine = new WorkflowEngine(client, { workflows: [wf, inline] });
  flow.register(engine);
  const ran: ArazzoOutcome = await flow.run(engine, { customer_id: 'cus_1' }, { runId: 'a1' });
  const steps: string[] = flow.stepIds;
  const failed: string | null = ran.failedStep;
  const state: 'completed' | 'compensated' | 'needs_attention' = (await flow.resume(engine, 'a1')).state;
  console.log(status, carrier, outcome.state, ran.outputs, ran.stepOutputs, steps, failed, state, flow.workflowId);
}
void usage;

// The outbox: calls, rows and reports are typed.
async function outboxTypes(client: Client): Promise<void> {
  const outbox = await Outbox.open('sqlite:app.db');
  const call = new OutboxCall('POST', '/orders/{id}/confirm', { pathParams: { id: 'o_1' }, intentId: 'confirm-o_1', partition: 'cus_1' });
  const id: number = await outbox.enqueue(call);
  const row: OutboxRow = await outbox.get(id);
  const state: 'pending' | 'in_flight' | 'delivered' | 'dead' | 'discarded' = row.state;
  const report: DispatchReport = await outbox.dispatch(client, { concurrency: 4 });
  const insert: { sql: string } = call.insertStatement('qmark');
  void [state, report.delivered, insert.sql];
}
void outboxTypes;

// Webhooks: verification, the inbox's receipts and records are typed.
async function webhookTypes(): Promise<void> {
  const event: VerifiedWebhook = verifyStandardWebhook(['whsec_a', 'whsec_b'], { 'webhook-id': 'evt_1' }, Buffer.from('{}'), { toleranceMs: 10_000, now: new Date() });
  const stripe: VerifiedWebhook = verifyStripeWebhook('whsec_x', new Map([['stripe-signature', 't=1,v1=00']]), '{}');
  const signature: string = signStandardWebhook('whsec_a', 'evt_1', 1, '{}') + signStripeWebhook('whsec_x', 1, new Uint8Array());
  const inbox = await WebhookInbox.open('sqlite:hooks.db', { secret: 'whsec_a', source: 'orders', leaseMs: 30_000 });
  const receipt: WebhookReceipt = await inbox.receive({ 'webhook-id': 'evt_1' }, '{}', async (e) => e.id);
  const status: 'processed' | 'duplicate' | 'in_progress' = receipt.status;
  const record: WebhookRecord | null = await inbox.get('evt_1');
  const first: boolean = claimEventSqlite({ prepare: () => ({ get: () => undefined }) }, 'evt_1', { source: 'orders' });
  const pg: boolean = await claimEventPg({ query: async () => ({ rows: [] }) }, 'evt_1', { schema: 'app' });
  try {
    inbox.location.toString();
  } catch (e) {
    if (e instanceof WebhookError) {
      const kind: WebhookErrorKind = e.webhookErrorKind;
      const code: number = e.httpStatus;
      void [kind, code, e.header];
    }
  }
  void [event.timestamp, stripe.id, signature, status, record?.state, first, pg, receipt.httpStatus];
}
void webhookTypes;

// Pages: specs are checked by style, pages and items are typed.
async function pagesTypes(client: Client): Promise<void> {
  const spec: PageSpec = { items: 'data', style: 'last_item', param: 'starting_after', id_field: 'id', has_more: 'has_more' };
  const pages: Pages<{ id: string }> = client.pages<{ id: string }>('GET', '/orders', spec, { query: { limit: 10 }, maxItems: 50 });
  for await (const page of pages) {
    const first: string | undefined = page.items[0]?.id;
    const next: string | null = page.nextCursor;
    void [first, next, page.number, page.status];
  }
  const again: Page<{ id: string }> | null = await pages.nextPage({ signal: AbortSignal.timeout(1000) });
  for await (const order of client.pages<{ id: string }>('GET', '/orders/by-link', { style: 'link_header' }, { cursor: pages.cursor }).items()) {
    const id: string = order.id;
    void id;
  }
  // @ts-expect-error a body cursor needs `next` and `param`
  const bad: PageSpec = { style: 'body_cursor' };
  void [again, bad];
}
void pagesTypes;

// Streamed answers: async iterables of typed items.
async function streamTypes(client: Client): Promise<void> {
  const events: EventStream = await client.streamEvents('GET', '/orders/{id}/events', {
    pathParams: { id: 'o_1' },
    lastEventId: '7',
    reconnect: 'on_cut_or_end',
    maxItemBytes: 1 << 20,
    signal: AbortSignal.timeout(1000),
  });
  for await (const event of events) {
    const e: ServerEvent = event;
    const id: string | undefined = e.id;
    const data: { seq: number } = e.json<{ seq: number }>();
    void [id, data.seq, e.event, e.data, e.retryMs];
    break;
  }
  const resumeFrom: string | undefined = events.lastEventId;
  events.close();
  const lines: LineStream<{ id: string }> = await client.streamLines<{ id: string }>('GET', '/orders/export');
  for await (const order of lines) {
    const id: string = order.id;
    void id;
  }
  await lines.return();
  void [resumeFrom, events.reconnects, events.eventsReceived];
}
void streamTypes;
