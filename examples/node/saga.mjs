// A saga: create the order, authorize the payment, ship — and undo the order
// if the payment fails for good. The journal lives in SQLite, so a crashed run
// can be resumed by any process (Node, Rust or Python) with the same file.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Workflow } from 'oncely';

const baseUrl = process.argv[2] ?? process.env.ONCELY_BASE_URL ?? 'http://127.0.0.1:8080';
const store = `sqlite:${join(mkdtempSync(join(tmpdir(), 'oncely-saga-')), 'journal.db')}`;
const client = new Client({ baseUrl, store, poll: { intervalMs: 100 } });

function checkout(paymentMethod) {
  return new Workflow('checkout')
    .step('create_order', async (ctx) => (await ctx.post('/orders', { json: ctx.input })).json(), {
      // Calls made through ctx carry the step's idempotency key.
      compensate: async (ctx) => {
        await ctx.post(`/orders/${ctx.ownOutput().id}/cancel`, { json: { reason: 'payment failed' } });
      },
    })
    .step('authorize_payment', async (ctx) => {
      const order = ctx.output('create_order');
      const payment = await ctx.post(`/orders/${order.id}/payments`, { json: { amount: 1999, currency: 'EUR', payment_method: paymentMethod } });
      return payment.json();
    })
    .operationStep('ship', (ctx) => ctx.sendOperation({ path: `/orders/${ctx.output('create_order').id}/shipments`, json: { carrier: 'ups' } }));
}

const input = { customer_id: 'cus_9', currency: 'EUR', items: [{ sku: 'sku-3', quantity: 1 }] };

const ok = await checkout('pm_card_visa').run(client, { runId: 'order-8812', input });
console.log(`run ${ok.runId}: ${ok.state}; shipped with ${ok.outputs.ship.carrier}`);

const declined = await checkout('pm_card_declined').run(client, { runId: 'order-8813', input });
console.log(`run ${declined.runId}: ${declined.state} after ${declined.error.step} failed: ${declined.error.error.message}`);

const details = await Workflow.inspect(client, 'order-8813');
for (const step of details.steps) console.log(`  ${step.phase.padEnd(12)} ${step.name.padEnd(18)} ${step.status}`);
