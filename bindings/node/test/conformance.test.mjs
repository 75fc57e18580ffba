// The shared conformance scenarios (openapi/conformance/*.yaml, format in its
// README.md) run from Node against the reference server — the same files the
// Rust and Python suites run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';

import * as oncely from '../index.mjs';
import { repoRoot, startServer } from './support/server.mjs';

const dir = join(repoRoot, 'openapi', 'conformance');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

const CLASSES = {
  problem: oncely.ProblemError,
  status: oncely.StatusError,
  retry_exhausted: oncely.RetryExhaustedError,
  retry_after_too_long: oncely.RetryAfterTooLongError,
  idempotency_conflict: oncely.IdempotencyConflictError,
  precondition_failed: oncely.PreconditionFailedError,
  timeout: oncely.TimeoutError,
  circuit_open: oncely.CircuitOpenError,
  operation_failed: oncely.OperationFailedError,
  decode: oncely.DecodeError,
  transport: oncely.TransportError,
};

/** A client from a scenario's `client` section (defaults as the README says). */
function buildClient(base, spec, store) {
  const c = spec.client ?? {};
  const r = c.retry ?? {};
  return new oncely.Client({
    baseUrl: base,
    bearer: c.bearer,
    retry: {
      maxAttempts: r.max_attempts ?? 5,
      baseDelayMs: r.base_delay_ms ?? 1,
      maxDelayMs: r.max_delay_ms ?? 20,
      maxServerDelayMs: r.max_server_delay_ms ?? 60000,
    },
    budget: c.budget ? { capacity: c.budget.capacity ?? 100, deposit: c.budget.deposit ?? 0.1 } : false,
    breaker: { threshold: c.breaker?.threshold ?? 100, openMs: c.breaker?.open_ms ?? 1000 },
    timeoutMs: c.attempt_timeout_ms ?? 5000,
    deadlineMs: c.deadline_ms ?? 30000,
    poll: { intervalMs: c.poll_interval_ms ?? 10 },
    store,
  });
}

function substitute(text, saved) {
  return text.replace(/\$\{([^}]*)\}/g, (_, reference) => {
    const [step, section, ...rest] = reference.split('.');
    const entry = saved.get(step);
    if (!entry) throw new Error(`no step named ${step}`);
    if (section === 'body') {
      let v = entry.body;
      for (const p of rest) v = v?.[p];
      if (v === undefined || v === null) throw new Error(`${reference} is null`);
      return typeof v === 'string' ? v : JSON.stringify(v);
    }
    if (section === 'header') {
      const v = entry.headers[rest.join('.').toLowerCase()];
      if (v === undefined) throw new Error(`${reference}: no such header`);
      return v;
    }
    throw new Error(`unknown section ${section} in ${reference}`);
  });
}

function substituteValue(value, saved) {
  if (typeof value === 'string') return substitute(value, saved);
  if (Array.isArray(value)) return value.map((v) => substituteValue(v, saved));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteValue(v, saved)]));
  }
  return value;
}

/** `expected` is a subset of `actual`. */
function subset(expected, actual) {
  if (expected && typeof expected === 'object' && !Array.isArray(expected)) {
    return actual && typeof actual === 'object' && Object.entries(expected).every(([k, v]) => k in actual && subset(v, actual[k]));
  }
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && expected.length === actual.length && expected.every((v, i) => subset(v, actual[i]));
  }
  return expected === actual;
}

async function perform(client, request) {
  const options = { method: request.method ?? 'GET', path: request.path };
  if (request.json !== undefined) options.json = request.json;
  if (request.headers) options.headers = request.headers;
  if (request.intent_id !== undefined) options.intentId = request.intent_id;
  if (request.idempotency_key !== undefined) options.idempotencyKey = request.idempotency_key;
  if (request.idempotent !== undefined) options.idempotent = request.idempotent;
  if (request.attempt_timeout_ms !== undefined) options.timeoutMs = request.attempt_timeout_ms;
  if (request.deadline_ms !== undefined) options.deadlineMs = request.deadline_ms;
  const started = performance.now();
  try {
    if (request.operation) {
      let op = await client.sendOperation(options);
      if (request.resume) op = client.resumeOperation(op.resumeToken());
      const body = await op.wait();
      return { ok: { status: 200, body, headers: {}, fromStore: false, attempts: 1 }, elapsed: performance.now() - started };
    }
    const res = await client.request(options);
    const body = res.json();
    return {
      ok: { status: res.status, body, headers: res.headers, fromStore: res.fromStore, attempts: res.attempts },
      elapsed: performance.now() - started,
    };
  } catch (error) {
    return { error, elapsed: performance.now() - started };
  }
}

function checkExpect(expect = {}, outcome, saved) {
  if (expect.min_elapsed_ms !== undefined) {
    assert.ok(outcome.elapsed >= expect.min_elapsed_ms - 1, `took ${outcome.elapsed} ms, expected at least ${expect.min_elapsed_ms}`);
  }
  if (!expect.error) {
    if (outcome.error) throw new Error(`expected success, got ${outcome.error.name}: ${outcome.error.message}`);
    const { status, body, fromStore, attempts } = outcome.ok;
    if (expect.status !== undefined && !(expect.body !== undefined && status === 200 && expect.status === 200)) {
      assert.equal(status, expect.status, 'status');
    }
    if (expect.body !== undefined) {
      const want = substituteValue(expect.body, saved);
      assert.ok(subset(want, body), `body ${JSON.stringify(body)} does not contain ${JSON.stringify(want)}`);
    }
    if (expect.from_store !== undefined) assert.equal(fromStore, expect.from_store, 'from_store');
    if (expect.attempts !== undefined) assert.equal(attempts, expect.attempts, 'attempts');
    return;
  }
  const e = outcome.error;
  if (!e) throw new Error(`expected error ${expect.error}, got ${outcome.ok.status} ${JSON.stringify(outcome.ok.body)}`);
  assert.ok(e instanceof oncely.OncelyError, `not an OncelyError: ${e}`);
  assert.ok(e instanceof Error);
  assert.equal(e.kind, expect.error, `error kind (${e.message})`);
  assert.ok(e instanceof CLASSES[expect.error], `${e.name} is not a ${CLASSES[expect.error].name}`);
  if (expect.error_status !== undefined) assert.equal(e.status, expect.error_status, `error status (${e.message})`);
  if (expect.error_attempts !== undefined) assert.equal(e.attempts, expect.error_attempts, `error attempts (${e.message})`);
  if (expect.retryable !== undefined) assert.equal(e.retryable, expect.retryable, `retryable (${e.message})`);
  if (expect.requested_delay_ms !== undefined) assert.equal(e.requestedDelayMs, expect.requested_delay_ms, 'requested delay');
  if (expect.problem !== undefined) {
    assert.ok(e.problem, `no problem in ${e.message}`);
    assert.ok(subset(expect.problem, e.problem), `problem ${JSON.stringify(e.problem)} does not contain ${JSON.stringify(expect.problem)}`);
  }
}

async function checkWire(spec, server) {
  const logs = { primary: await server.requests('primary') };
  if (server.secondaryUrl) logs.secondary = await server.requests('secondary');
  for (const rule of spec.wire?.requests ?? []) {
    const origin = rule.origin ?? 'primary';
    const log = origin === 'any' ? [...logs.primary, ...(logs.secondary ?? [])] : (logs[origin] ?? []);
    const matching = log
      .filter((r) => rule.route === undefined || r.route === rule.route)
      .filter((r) => rule.path_prefix === undefined || r.path.startsWith(rule.path_prefix));
    const describe = `requests ${JSON.stringify(rule)}: saw ${JSON.stringify(matching.map((r) => [r.method, r.path, r.idempotency_key]))}`;
    if (rule.count !== undefined) assert.equal(matching.length, rule.count, describe);
    if (rule.min !== undefined) assert.ok(matching.length >= rule.min, describe);
    if (rule.same_key) {
      const first = matching[0]?.idempotency_key;
      assert.ok(first && matching.every((r) => r.idempotency_key === first), `keys differ or are missing; ${describe}`);
    }
    if (rule.key !== undefined) assert.ok(matching.every((r) => r.idempotency_key === rule.key), `expected key ${rule.key}; ${describe}`);
    if (rule.no_key) assert.ok(matching.every((r) => r.idempotency_key == null), `expected no key; ${describe}`);
    if (rule.authorization !== undefined) {
      assert.ok(matching.every((r) => r.has_authorization === rule.authorization), `authorization ${rule.authorization}; ${describe}`);
    }
  }
  const ledger = await server.ledger();
  for (const rule of spec.wire?.ledger ?? []) {
    const n = ledger.filter((e) => e.kind === rule.kind).length;
    assert.equal(n, rule.count ?? 0, `ledger has ${n} x ${rule.kind}`);
  }
}

async function runScenario(file) {
  const spec = YAML.parse(readFileSync(join(dir, file), 'utf8'));
  assert.equal(spec.name, file.replace(/\.yaml$/, ''), 'name matches the file name');
  const s = spec.server ?? {};
  const server = await startServer({ operationMs: s.operation_ms ?? 100, retryAfterMs: s.retry_after_ms ?? 10, secondary: Boolean(s.secondary_origin) });
  const tmp = mkdtempSync(join(tmpdir(), 'oncely-conformance-'));
  try {
    if (spec.faults?.length) await server.addFaults(spec.faults);
    const sqlite = spec.client?.store === 'sqlite';
    const memory = oncely.Store.memory();
    const storeFor = () => (sqlite ? `sqlite:${join(tmp, 'oncely.db')}` : memory);
    let client = buildClient(server.url, spec, storeFor());
    const saved = new Map();
    assert.ok(Array.isArray(spec.steps), 'steps');
    for (const [i, step] of spec.steps.entries()) {
      try {
        if (step.restart_client === true) {
          client = buildClient(server.url, spec, storeFor());
          continue;
        }
        if (step.restart_client === 'fresh_store') {
          client = buildClient(server.url, spec, oncely.Store.memory());
          continue;
        }
        if (step.wait_ms !== undefined) {
          await new Promise((r) => setTimeout(r, step.wait_ms));
          continue;
        }
        const request = substituteValue(step.request, saved);
        const outcome = await perform(client, request);
        checkExpect(step.expect, outcome, saved);
        if (step.name && outcome.ok) saved.set(step.name, { body: outcome.ok.body, headers: outcome.ok.headers });
      } catch (error) {
        error.message = `step ${i + 1}: ${error.message}`;
        throw error;
      }
    }
    await checkWire(spec, server);
  } finally {
    await server.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

test('there are conformance scenarios', () => {
  assert.ok(files.length >= 15, `expected at least 15 scenarios, found ${files.length}`);
});

for (const file of files) {
  test(`conformance: ${file.replace(/\.yaml$/, '')}`, { concurrency: false, timeout: 60000 }, () => runScenario(file));
}
