'use strict';
/**
 * Loads the native addon built by `napi build --platform` (e.g.
 * `oncely.linux-x64-gnu.node`) from this folder. `ONCELY_NATIVE_PATH` points
 * at another build.
 */
const fs = require('node:fs');
const path = require('node:path');

function isMusl() {
  if (process.platform !== 'linux') return false;
  try {
    const report = typeof process.report?.getReport === 'function' ? process.report.getReport() : null;
    if (report && report.header && report.header.glibcVersionRuntime) return false;
    if (report && Array.isArray(report.sharedObjects)) {
      return report.sharedObjects.some((f) => f.includes('libc.musl-') || f.includes('ld-musl-'));
    }
  } catch {
    // fall through
  }
  return false;
}

function candidates() {
  const { platform, arch } = process;
  const names = [];
  if (platform === 'linux') {
    const abi = isMusl() ? 'musl' : 'gnu';
    names.push(`oncely.linux-${arch}-${abi}.node`);
    if (arch === 'arm') names.push(`oncely.linux-arm-${abi}eabihf.node`);
  } else if (platform === 'win32') {
    names.push(`oncely.win32-${arch}-msvc.node`);
  } else if (platform === 'darwin') {
    names.push(`oncely.darwin-${arch}.node`, 'oncely.darwin-universal.node');
  } else {
    names.push(`oncely.${platform}-${arch}.node`);
  }
  names.push('oncely.node');
  return names;
}

function load() {
  if (process.env.ONCELY_NATIVE_PATH) return require(path.resolve(process.env.ONCELY_NATIVE_PATH));
  const tried = [];
  for (const name of candidates()) {
    const file = path.join(__dirname, name);
    tried.push(file);
    if (fs.existsSync(file)) return require(file);
  }
  throw new Error(
    `oncely: no native addon for ${process.platform}-${process.arch} (looked for ${tried.join(', ')}). ` +
      'Build it with `npm run build` in the oncely package folder (needs a Rust toolchain).',
  );
}

module.exports = load();
