// One trace across the language boundary: an @opentelemetry/api span is the
// parent of the core's call, every attempt carries the trace on the wire,
// and the core's own spans reach an OTLP receiver when the standard
// variables ask for it. Each case runs in a child process
// (support/telemetry-child.mjs): the core reads OTEL_* when the addon loads.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startServer } from './support/server.mjs';
import { startSink } from './support/sink.mjs';

const child = join(dirname(fileURLToPath(import.meta.url)), 'support', 'telemetry-child.mjs');
const SECRET = 'sk_live_node_telemetry_secret';

async function runChild(server, mode, env) {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_')));
  const { stdout } = await promisify(execFile)(process.execPath, [child, server.url, SECRET, mode], {
    env: { ...base, ...env },
    timeout: 60000,
  });
  return JSON.parse(stdout.trim().split('\n').pop());
}

/** A server whose first POST /orders is answered 503: the call has two attempts. */
async function retriedServer() {
  const server = await startServer();
  await server.addFaults([{ route: 'POST /orders', nth: 1, fault: { kind: 'status', code: 503 } }]);
  return server;
}

const posts = async (server) => (await server.requests()).filter((r) => r.method === 'POST' && r.path === '/orders');

function parentId(traceparent) {
  const [version, traceId, spanId, flags] = traceparent.split('-');
  assert.deepEqual([version, traceId.length, spanId.length, flags.length], ['00', 32, 16, 2], traceparent);
  return spanId;
}

test('an @opentelemetry/api span is the parent of the exported call and its attempts', async () => {
  const server = await retriedServer();
  const sink = await startSink();
  try {
    const out = await runChild(server, 'span', {
      OTEL_EXPORTER_OTLP_ENDPOINT: sink.grpc,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_SERVICE_NAME: 'checkout-node',
    });
    assert.equal(out.enabled, true);
    const spans = await sink.spans();
    const inTrace = spans.filter((s) => s.trace_id === out.traceId);
    const calls = inTrace.filter((s) => s.name === 'oncely.call');
    assert.equal(calls.length, 1, JSON.stringify(inTrace.map((s) => s.name)));
    const [call] = calls;
    assert.equal(call.parent_span_id, out.spanId);
    assert.equal(call.resource['service.name'], 'checkout-node');
    assert.equal(call.via, 'grpc');
    const attempts = inTrace.filter((s) => s.parent_span_id === call.span_id && s.kind === 'client');
    assert.deepEqual(attempts.map((a) => a.attributes['http.request.resend_count'] ?? 0).sort(), [0, 1]);
    assert.deepEqual(attempts.map((a) => a.attributes['http.response.status_code']).sort(), [201, 503]);
    const sent = await posts(server);
    assert.equal(sent.length, 2);
    assert.deepEqual(new Set(sent.map((r) => parentId(r.traceparent))), new Set(attempts.map((a) => a.span_id)));
    assert.ok(sent.every((r) => r.traceparent.split('-')[1] === out.traceId));
    assert.ok(!JSON.stringify(spans).includes(SECRET), 'a credential reached an exported attribute');
  } finally {
    await sink.stop();
    await server.stop();
  }
});

test('without an exporter the trace is still forwarded, a fresh span id per attempt', async () => {
  const server = await retriedServer();
  try {
    const out = await runChild(server, 'span', {});
    assert.equal(out.enabled, false);
    const sent = await posts(server);
    assert.equal(sent.length, 2);
    assert.ok(sent.every((r) => r.traceparent.split('-')[1] === out.traceId));
    const ids = sent.map((r) => parentId(r.traceparent));
    assert.equal(new Set(ids).size, 2);
    assert.ok(!ids.includes(out.spanId));
  } finally {
    await server.stop();
  }
});

test('no active span sends no trace context', async () => {
  const server = await startServer();
  try {
    await runChild(server, 'no-span', {});
    const sent = await posts(server);
    assert.equal(sent.length, 1);
    assert.equal(sent[0].traceparent, undefined);
  } finally {
    await server.stop();
  }
});
