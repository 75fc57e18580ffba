// A webhook receiver with Node's `http` and oncely only: every delivery is
// verified (Standard Webhooks) and processed once per event id through
// oncely's WebhookInbox.
//
//   node examples/webhooks/receiver.mjs --secret whsec_... [--store sqlite:hooks.db] [--port 0]
//
// prints `listening on http://127.0.0.1:PORT/webhooks`. `GET /handled` lists
// the events the handler ran for (the "effect" of this example), so a test
// can count how often each one was handled.
import http from 'node:http';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { WebhookInbox, WebhookError } from 'oncely';

/** The receiver: an `http.Server` and the list of handled events. */
export function createReceiver(inbox) {
  const handled = [];
  const answer = (res, status, body) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const server = http.createServer(async (req, res) => {
    if (req.method === 'GET' && req.url === '/handled') return answer(res, 200, { handled });
    if (req.method !== 'POST' || req.url !== '/webhooks') return answer(res, 404, { error: 'not found' });
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    try {
      const receipt = await inbox.receive(req.headers, body, async (event) => {
        const type = JSON.parse(body.toString('utf8')).type ?? 'unknown';
        handled.push({ id: event.id, type });
        return { type };
      });
      answer(res, receipt.httpStatus, { status: receipt.status });
    } catch (error) {
      if (error instanceof WebhookError) return answer(res, error.httpStatus, { error: error.webhookErrorKind, detail: error.message });
      answer(res, 500, { error: String(error) });
    }
  });
  return { server, handled };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { secret: { type: 'string' }, store: { type: 'string', default: 'sqlite:webhooks.db' }, port: { type: 'string', default: '0' } } });
  if (!values.secret) {
    console.error('--secret whsec_... is required');
    process.exit(2);
  }
  const inbox = await WebhookInbox.open(values.store, { secret: values.secret });
  const { server } = createReceiver(inbox);
  server.listen(Number(values.port), '127.0.0.1', () => {
    console.log(`listening on http://127.0.0.1:${server.address().port}/webhooks`);
  });
  process.on('SIGINT', () => server.close());
}
