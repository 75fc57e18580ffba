// 202 Accepted: a long-running shipment becomes an Operation.
import { Client } from 'oncely';

const baseUrl = process.argv[2] ?? process.env.ONCELY_BASE_URL ?? 'http://127.0.0.1:8080';
const client = new Client({ baseUrl, poll: { intervalMs: 200 } });

const order = (await client.post('/orders', { json: { customer_id: 'cus_7', currency: 'EUR', items: [{ sku: 'sku-2', quantity: 1 }] } })).json();
const operation = await client.sendOperation({ path: `/orders/${order.id}/shipments`, json: { carrier: 'dhl' } });

// A token survives a restart: another process can continue the same operation.
const token = operation.resumeToken();
console.log(`shipment accepted; resume token ${token.slice(0, 24)}…`);

// Waiting can be cancelled with an AbortSignal…
try {
  await operation.wait({ signal: AbortSignal.timeout(1) });
} catch (error) {
  console.log(`wait cancelled (${error.name}); the operation goes on`);
}

// …and resumed from the token, here on a brand-new client.
const resumed = new Client({ baseUrl }).resumeOperation(token);
const shipment = await resumed.wait({
  onProgress: (p) => console.log(`  ${p.status}${p.percent === undefined ? '' : ` ${Math.round(p.percent)}%`} (poll ${p.polls})`),
});
console.log(`shipment ${shipment.id} is ${shipment.status} with ${shipment.carrier}, tracking ${shipment.tracking_number}`);
