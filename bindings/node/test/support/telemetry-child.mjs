// A child process for test/telemetry.test.mjs: an OpenTelemetry span around
// a call (retried once after a 503), or a call with no span; prints the
// span's ids as JSON. The core reads the OTEL_* variables when the addon
// loads, so each case is its own process.
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { Client, flushTelemetry, telemetryEnabled } from '../../index.mjs';

const [base, secret, mode] = process.argv.slice(2);
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
trace.setGlobalTracerProvider(new BasicTracerProvider());
const tracer = trace.getTracer('checkout');

const order = { customer_id: 'cus_1', currency: 'EUR', items: [{ sku: 'sku-1', quantity: 1 }] };
const client = new Client({ baseUrl: base, bearer: secret, retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 10 } });
const out = { enabled: telemetryEnabled() };
if (mode === 'no-span') {
  await client.post('/orders', { json: order });
} else {
  await tracer.startActiveSpan('checkout', async (span) => {
    // An await before the call: the context must survive it.
    await new Promise((r) => setTimeout(r, 1));
    await client.post('/orders', { json: order, query: { api_key: secret } });
    span.end();
    out.traceId = span.spanContext().traceId;
    out.spanId = span.spanContext().spanId;
  });
}
flushTelemetry();
console.log(JSON.stringify(out));
