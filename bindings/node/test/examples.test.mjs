// The runnable examples in examples/node run against the reference server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';

import { repoRoot, startServer } from './support/server.mjs';

const run = promisify(execFile);
const examples = join(repoRoot, 'examples', 'node');
let server;

before(async () => {
  // What `npm install` in examples/node does: link the package as `oncely`.
  const link = join(examples, 'node_modules', 'oncely');
  if (!existsSync(link)) {
    mkdirSync(join(examples, 'node_modules'), { recursive: true });
    symlinkSync(relative(join(examples, 'node_modules'), join(repoRoot, 'bindings', 'node')), link, 'dir');
  }
  server = await startServer({ operationMs: 300, retryAfterMs: 50 });
});
after(() => server.stop());

const example = (name) => run(process.execPath, [join(examples, name), server.url], { cwd: examples, timeout: 60000 });

test('examples/node/quickstart.mjs', async () => {
  const { stdout } = await example('quickstart.mjs');
  assert.match(stdout, /created order \S+ \(status 201/);
  assert.match(stdout, /from the store: true/);
  assert.match(stdout, /payment refused: 402 Payment declined/);
});

test('examples/node/polling.mjs', async () => {
  const { stdout } = await example('polling.mjs');
  assert.match(stdout, /wait cancelled/);
  assert.match(stdout, /is dispatched with dhl/);
});

test('examples/node/saga.mjs', async () => {
  const { stdout } = await example('saga.mjs');
  assert.match(stdout, /run order-8812: completed; shipped with ups/);
  assert.match(stdout, /run order-8813: compensated after authorize_payment failed/);
  assert.match(stdout, /compensation create_order\s+succeeded/);
});
