// Quick start: a call that happens once, even when retried.
import { Client, ProblemError } from 'oncely';

const baseUrl = process.argv[2] ?? process.env.ONCELY_BASE_URL ?? 'http://127.0.0.1:8080';
const client = new Client({ baseUrl, bearer: 'sk_test_123', retry: { maxAttempts: 5 } });

// POST gets an Idempotency-Key; with an intent id the key is derived from it,
// so the same intent always sends the same key — and is answered from the
// store once it has finished.
const order = { customer_id: 'cus_42', currency: 'EUR', items: [{ sku: 'sku-1', quantity: 2 }] };
const created = await client.post('/orders', { json: order, intentId: 'cart-8812' });
console.log(`created order ${created.json().id} (status ${created.status}, key ${created.idempotencyKey}, ${created.attempts} attempt)`);

const again = await client.post('/orders', { json: order, intentId: 'cart-8812' });
console.log(`same intent again: order ${again.json().id}, from the store: ${again.fromStore}`);

// Failures are typed: an RFC 9457 problem is a ProblemError with its members.
try {
  await client.post(`/orders/${created.json().id}/payments`, {
    json: { amount: 1999, currency: 'EUR', payment_method: 'pm_card_declined' },
  });
} catch (error) {
  if (!(error instanceof ProblemError)) throw error;
  console.log(`payment refused: ${error.status} ${error.title} (${error.type}), decline code ${error.extensions.decline_code}`);
}
