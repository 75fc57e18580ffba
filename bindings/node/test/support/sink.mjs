// Starts the OTLP test receiver (`otlp-sink`, built by cargo) for a test: it
// prints `otlp-sink http=127.0.0.1:PORT grpc=127.0.0.1:PORT`, lists what it
// received on `GET /spans` and `GET /metrics`, and exits when its stdin closes.
import { spawn } from 'node:child_process';
import { cargoBinary } from './server.mjs';

/** The `otlp-sink` binary: `OTLP_SINK_BIN`, else the newest cargo build. */
const sinkBinary = () => cargoBinary('otlp-sink', 'OTLP_SINK_BIN');

/** Starts a sink; `stop()` ends it. */
export async function startSink() {
  const child = spawn(sinkBinary(), [], { stdio: ['pipe', 'pipe', 'inherit'] });
  const ports = await new Promise((resolvePromise, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('otlp-sink did not start')), 15000);
    child.on('exit', (code) => reject(new Error(`otlp-sink exited with ${code}`)));
    child.stdout.on('data', (d) => {
      out += d;
      const m = /otlp-sink http=(\S+) grpc=(\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolvePromise({ http: `http://${m[1]}`, grpc: `http://${m[2]}` });
      }
    });
  });
  const get = async (path) => (await fetch(`${ports.http}${path}`)).json();
  return {
    ...ports,
    spans: () => get('/spans'),
    metrics: () => get('/metrics'),
    stop: () =>
      new Promise((resolvePromise) => {
        if (child.exitCode !== null) return resolvePromise();
        child.once('exit', () => resolvePromise());
        child.stdin.end();
      }),
  };
}
