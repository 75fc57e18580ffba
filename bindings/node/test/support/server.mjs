// Starts the reference server (`orders-server`, built by cargo) on a free
// port for a test, and talks to its admin API (faults, request log, ledger).
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '..', '..', '..', '..');

/** A workspace binary: `$envVar` if set, else the newest cargo build of `name`. */
export function cargoBinary(name, envVar) {
  if (process.env[envVar]) return process.env[envVar];
  const targetDir = process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(repoRoot, 'target');
  const exe = process.platform === 'win32' ? `${name}.exe` : name;
  const found = ['release', 'debug']
    .map((profile) => join(targetDir, profile, exe))
    .filter((p) => existsSync(p))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (found.length === 0) {
    throw new Error(`${name} binary not found under ${targetDir}; build it with \`cargo build -p ${name}\` or set ${envVar}`);
  }
  return found[0];
}

/** The `orders-server` binary: `ORDERS_SERVER_BIN`, else the newest cargo build. */
export function serverBinary() {
  return cargoBinary('orders-server', 'ORDERS_SERVER_BIN');
}

/**
 * Starts a server. `operationMs` and `retryAfterMs` shorten 202 operations;
 * `secondary` also serves a second origin that 202 `Location`s point at.
 */
export async function startServer({ operationMs = 100, retryAfterMs = 10, secondary = false, args = [] } = {}) {
  const argv = ['--port', '0', '--operation-ms', String(operationMs), '--retry-after-ms', String(retryAfterMs), ...args];
  if (secondary) argv.push('--secondary-origin');
  const child = spawn(serverBinary(), argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const urls = await new Promise((resolvePromise, reject) => {
    let out = '';
    const found = {};
    const timer = setTimeout(() => reject(new Error(`orders-server did not start: ${stderr}`)), 15000);
    child.on('exit', (code) => reject(new Error(`orders-server exited with ${code}: ${stderr}`)));
    child.stdout.on('data', (d) => {
      out += d;
      const primary = /listening on (\S+)/.exec(out);
      const second = /secondary origin on (\S+)/.exec(out);
      if (primary) found.primary = primary[1];
      if (second) found.secondary = second[1];
      if (found.primary && (!secondary || found.secondary)) {
        clearTimeout(timer);
        resolvePromise(found);
      }
    });
  });
  child.removeAllListeners('exit');
  const admin = async (base, method, path, body) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.status === 204 ? null : res.json();
  };
  return {
    url: urls.primary,
    secondaryUrl: urls.secondary,
    /** Installs scripted fault rules on the primary origin. */
    addFaults: (rules) => admin(urls.primary, 'POST', '/_admin/faults', { rules }),
    /** The request log of `primary` or `secondary`. */
    requests: async (origin = 'primary') =>
      (await admin(origin === 'secondary' ? urls.secondary : urls.primary, 'GET', '/_admin/requests')).requests,
    /** Streamed answers open on the primary origin; with `untilOpen`, once that many are (the server waits ≤ 10 s). */
    openStreams: async (untilOpen) =>
      (await admin(urls.primary, 'GET', `/_admin/streams${untilOpen === undefined ? '' : `?until_open=${untilOpen}`}`)).open,
    /** The ledger of side effects (shared by both origins). */
    ledger: async () => (await admin(urls.primary, 'GET', '/_admin/ledger')).entries,
    stop: () =>
      new Promise((resolvePromise) => {
        if (child.exitCode !== null) return resolvePromise();
        child.once('exit', () => resolvePromise());
        child.kill('SIGTERM');
      }),
  };
}
