// Runs the checkout saga and exits (code 42) inside the payment step, right
// after the payment call answered — a crash between "sent" and "journaled".
import { Client, Workflow, WorkflowEngine } from '../../index.mjs';

const [baseUrl, store] = process.argv.slice(2);
const client = new Client({ baseUrl, store, retry: { baseDelayMs: 1 } });
const wf = new Workflow('checkout')
  .step('create_order', async (ctx) => (await ctx.post('/orders', { json: ctx.input })).json())
  .step('authorize_payment', async (ctx) => {
    const order = ctx.output('create_order');
    await ctx.post(`/orders/${order.id}/payments`, { json: { amount: 1999, currency: 'EUR', payment_method: 'pm_card_visa' } });
    process.exit(42);
  })
  .operationStep('ship', (ctx) => ctx.sendOperation({ path: `/orders/${ctx.output('create_order').id}/shipments`, json: { carrier: 'dhl' } }));
await new WorkflowEngine(client, { leaseMs: 300 }).start(wf, {
  runId: 'run-crash-1',
  input: { customer_id: 'cus_1', currency: 'EUR', items: [{ sku: 'sku-1', quantity: 2 }] },
});
console.error('the step should have crashed the process');
process.exit(1);
