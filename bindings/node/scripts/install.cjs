'use strict';
/**
 * `npm install` step: builds the native addon with `napi build` when this
 * folder holds the crate (a checkout of the oncely repository), or checks
 * that a prebuilt addon is present (an installed copy of the package).
 *
 * ONCELY_SKIP_BUILD=1 skips the build; ONCELY_DEBUG_BUILD=1 builds without
 * optimisations.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const hasCrate = fs.existsSync(path.join(root, 'Cargo.toml')) && fs.existsSync(path.join(root, '..', '..', 'sdk', 'Cargo.toml'));
const built = fs.readdirSync(root).filter((f) => /^oncely\..+\.node$/.test(f));

if (process.env.ONCELY_SKIP_BUILD === '1') {
  console.log('oncely: ONCELY_SKIP_BUILD=1, not building the native addon');
  process.exit(0);
}

if (!hasCrate) {
  if (built.length > 0) process.exit(0);
  console.error(
    'oncely: this copy of the package has no prebuilt native addon and no Rust sources to build one.\n' +
      'Build it in the repository first (`npm install && npm run build` in bindings/node), then install\n' +
      'from that folder (`npm install ./bindings/node` or `npm install --install-links ./bindings/node`).',
  );
  process.exit(1);
}

/** Newest modification time under `p` (files and folders, recursively). */
function newest(p) {
  let stat;
  try {
    stat = fs.statSync(p);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  return fs.readdirSync(p).reduce((m, f) => Math.max(m, newest(path.join(p, f))), stat.mtimeMs);
}

const sources = ['src', 'Cargo.toml', 'build.rs', '../../sdk/src', '../../sdk/Cargo.toml', '../../Cargo.lock'];
const sourceTime = Math.max(...sources.map((s) => newest(path.join(root, s))));
const builtTime = Math.min(...built.map((f) => fs.statSync(path.join(root, f)).mtimeMs));
if (built.length > 0 && builtTime > sourceTime && process.env.ONCELY_FORCE_BUILD !== '1') {
  console.log(`oncely: native addon ${built.join(', ')} is up to date`);
  process.exit(0);
}

function resolveCli() {
  try {
    return require.resolve('@napi-rs/cli/package.json', { paths: [root] });
  } catch {
    return null;
  }
}

let cli = resolveCli();
if (!cli) {
  // Run as `prepare` of a folder being packed (`npm install --install-links`),
  // the folder's own dependencies may not be installed yet.
  console.log('oncely: installing the build tools (@napi-rs/cli) in bindings/node');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['install', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  cli = r.status === 0 ? resolveCli() : null;
  if (!cli) {
    console.error('oncely: @napi-rs/cli could not be installed; run `npm install` in bindings/node.');
    process.exit(1);
  }
}
const pkg = JSON.parse(fs.readFileSync(cli, 'utf8'));
const bin = path.join(path.dirname(cli), typeof pkg.bin === 'string' ? pkg.bin : pkg.bin.napi);
const args = [bin, 'build', '--platform', '--no-js', '--dts', 'native.d.ts'];
if (process.env.ONCELY_DEBUG_BUILD !== '1') args.push('--release');
console.log(`oncely: building the native addon (${process.env.ONCELY_DEBUG_BUILD === '1' ? 'debug' : 'release'}); this needs a Rust toolchain`);
const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
if (result.status !== 0) {
  console.error('oncely: building the native addon failed (is cargo installed? https://rustup.rs)');
  try {
    const { bavail, bsize } = fs.statfsSync(root);
    console.error(`oncely: free disk space in ${root}: ${((bavail * bsize) / 2 ** 20).toFixed(0)} MiB`);
  } catch {
    // statfs is missing before Node 18.15; the message above stands alone.
  }
  process.exit(result.status ?? 1);
}
