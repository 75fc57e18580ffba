'use strict';
/**
 * Webhooks received exactly once. Senders deliver at least once; the Rust
 * core verifies each delivery (Standard Webhooks, Stripe's
 * `Stripe-Signature`: several signatures, several secrets while a key is
 * rotated, a timestamp tolerance both ways, constant-time comparison) and
 * keeps the record of processed events.
 *
 * - `verifyStandardWebhook` / `verifyStripeWebhook`: `{ id, timestamp }`,
 *   or a `WebhookError` naming what failed.
 * - `WebhookInbox`: `receive(headers, body, handler)` verifies, runs the
 *   handler once per event id (under a lease, extended while it runs) and
 *   records `done` or `failed`; a redelivery of a done event is
 *   `duplicate`, one that finds it in progress `in_progress` (answer
 *   `receipt.httpStatus`, 409, so the sender tries again later).
 * - `claimEventSqlite` / `claimEventPg`: for handlers whose effects are rows
 *   in the application's own database, the claim is written on the
 *   application's `better-sqlite3` database or `pg` client, inside its
 *   transaction (the statement is the core's), so the record and the
 *   effects commit or roll back together. Open a `WebhookInbox` on the same
 *   database once to create the table.
 */
const native = require('../native.cjs');
const args = require('./args.js');
const { callNative, fromNative, invalidArgument, OncelyError, registerKind } = require('./errors.js');

/** A webhook delivery was refused, or its processing failed. */
class WebhookError extends OncelyError {
  constructor(payload) {
    super(payload);
    /**
     * `missing_header`, `malformed_header`, `no_valid_signature`,
     * `timestamp_out_of_tolerance`, `invalid_secret`, `malformed_body`,
     * `invalid_config`, `not_installed`, `handler_failed`, `lease_lost` or `store`.
     */
    this.webhookErrorKind = payload.webhookErrorKind;
    /** What to answer the sender: 400 when verification refused the delivery, else 500. */
    this.httpStatus = payload.httpStatus;
    /** The header at fault, when one is. */
    this.header = payload.header ?? undefined;
    /** For `timestamp_out_of_tolerance`: the signed time and now (Unix seconds), the tolerance (seconds). */
    this.timestamp = payload.timestamp ?? undefined;
    this.now = payload.now ?? undefined;
    this.tolerance = payload.tolerance ?? undefined;
    /** For `handler_failed` and `lease_lost`: the event. */
    this.eventId = payload.eventId ?? undefined;
  }
}
registerKind('webhook', WebhookError);

/** Secrets as a list: one string, or several while a key is rotated. */
function secretList(secret) {
  const list = Array.isArray(secret) ? secret : [secret];
  for (const s of list) {
    if (typeof s !== 'string') throw invalidArgument(`secret must be a string or an array of strings, got ${args.typeName(s)}`);
  }
  return list;
}

/** Headers as flat pairs: a plain object (Node's `req.headers`, arrays joined), a `Headers`, or a `Map`. */
function headerPairs(headers) {
  const flat = [];
  const add = (name, value) => {
    if (value === undefined) return;
    flat.push(String(name), Array.isArray(value) ? value.join(', ') : String(value));
  };
  if (headers && typeof headers.forEach === 'function' && typeof headers.get === 'function') {
    headers.forEach((value, name) => add(name, value));
  } else if (headers && typeof headers === 'object') {
    for (const [name, value] of Object.entries(headers)) add(name, value);
  } else {
    throw invalidArgument(`headers must be an object, a Headers or a Map, got ${args.typeName(headers)}`);
  }
  return flat;
}

/** The body as a Buffer: a Buffer, a Uint8Array or a string (UTF-8). */
function bodyBuffer(body) {
  if (Buffer.isBuffer(body)) return body;
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  throw invalidArgument(`body must be a Buffer, a Uint8Array or a string, got ${args.typeName(body)}`);
}

function nowMs(now) {
  if (now === undefined) return undefined;
  if (now instanceof Date) return now.getTime();
  return args.number('now', now);
}

function verify(scheme, secret, headers, body, options = {}) {
  args.object('options', options);
  const tolerance = args.millis('toleranceMs', options.toleranceMs);
  const text = callNative(() =>
    native.verifyWebhook(scheme, secretList(secret), headerPairs(headers), bodyBuffer(body), tolerance, nowMs(options.now)),
  );
  return JSON.parse(text);
}

/**
 * Verifies a Standard Webhooks delivery (`webhook-id`, `webhook-timestamp`,
 * `webhook-signature`) against `secret` (`whsec_<base64>`, or an array).
 * `options`: `toleranceMs` (default 5 minutes, either way), `now` (a `Date`
 * or ms since the epoch, instead of the clock).
 * @returns {{ id: string, timestamp: number }}
 */
function verifyStandardWebhook(secret, headers, body, options) {
  return verify('standard', secret, headers, body, options);
}

/**
 * Verifies a Stripe delivery (`Stripe-Signature`) against the endpoint
 * secret(s); the id is the JSON body's.
 * @returns {{ id: string, timestamp: number }}
 */
function verifyStripeWebhook(secret, headers, body, options) {
  return verify('stripe', secret, headers, body, options);
}

/** The `webhook-signature` value (`v1,<base64>`) for a delivery. */
function signStandardWebhook(secret, id, timestamp, body) {
  args.string('id', id, false);
  return callNative(() => native.signWebhook('standard', secretList(secret), args.integer('timestamp', timestamp), bodyBuffer(body), id));
}

/** The `Stripe-Signature` value (`t=…,v1=…`) for a delivery. */
function signStripeWebhook(secret, timestamp, body) {
  return callNative(() => native.signWebhook('stripe', secretList(secret), args.integer('timestamp', timestamp), bodyBuffer(body)));
}

function receiptOf(v) {
  const out = { status: v.status, eventId: v.event_id, result: v.result ?? null, httpStatus: v.http_status };
  if (v.lease_until_ms !== undefined) out.leaseUntilMs = v.lease_until_ms;
  return out;
}

function recordOf(v) {
  if (v === null) return null;
  return {
    source: v.source,
    eventId: v.event_id,
    state: v.state,
    attempts: v.attempts,
    receivedMs: v.received_ms,
    leaseUntilMs: v.lease_until_ms ?? null,
    finishedMs: v.finished_ms ?? null,
    result: v.result ?? null,
    lastError: v.last_error ?? null,
  };
}

const INBOX_KEYS = new Set(['secret', 'scheme', 'toleranceMs', 'source', 'leaseMs']);

/**
 * A table of received events (`sqlite:PATH` or `postgres://…`) and the
 * verifier of its deliveries: each event id runs its handler once to success.
 *
 * ```js
 * const inbox = await WebhookInbox.open('sqlite:hooks.db', { secret: process.env.WEBHOOK_SECRET });
 * const receipt = await inbox.receive(req.headers, body, async (event) => { await ship(event.id); });
 * res.writeHead(receipt.httpStatus).end();
 * ```
 */
class WebhookInbox {
  #n;

  /** @internal */
  constructor(n) {
    this.#n = n;
  }

  /** Opens (creating or migrating) the inbox at `location`. */
  static async open(location, options = {}) {
    args.string('location', location, false);
    args.object('options', options, false);
    for (const key of Object.keys(options)) {
      if (!INBOX_KEYS.has(key)) throw invalidArgument(`unknown WebhookInbox option ${JSON.stringify(key)}`);
    }
    const scheme = args.string('scheme', options.scheme) ?? 'standard';
    const tolerance = args.millis('toleranceMs', options.toleranceMs);
    const source = args.string('source', options.source);
    const lease = args.millis('leaseMs', options.leaseMs);
    const secrets = secretList(options.secret);
    try {
      return new WebhookInbox(await native.openWebhookInbox(location, scheme, secrets, tolerance, source, lease));
    } catch (error) {
      throw fromNative(error);
    }
  }

  /** Where the inbox is, without secrets. */
  get location() {
    return this.#n.location;
  }

  /** The source events are recorded under. */
  get source() {
    return this.#n.source;
  }

  /**
   * Verifies the delivery, then calls `handler(event)` (`{ id, timestamp }`;
   * it may be async) unless the event was processed before or is being
   * processed. Resolves with `{ status: 'processed' | 'duplicate' |
   * 'in_progress', eventId, result, httpStatus }`. A handler that throws is
   * recorded `failed` (the next delivery runs it again) and its error is
   * rethrown; a delivery that fails verification rejects with a
   * `WebhookError` (`httpStatus` 400).
   */
  async receive(headers, body, handler) {
    if (typeof handler !== 'function') throw invalidArgument(`handler must be a function, got ${args.typeName(handler)}`);
    const flat = headerPairs(headers);
    const buffer = bodyBuffer(body);
    let thrown;
    const runner = (eventJson) =>
      (async () => {
        try {
          const out = await handler(JSON.parse(eventJson));
          return JSON.stringify({ ok: out === undefined ? null : out });
        } catch (error) {
          thrown = { error };
          const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
          return JSON.stringify({ error: message });
        }
      })();
    try {
      return receiptOf(JSON.parse(await this.#n.receive(flat, buffer, runner)));
    } catch (error) {
      const failure = fromNative(error);
      if (thrown && failure instanceof WebhookError && failure.webhookErrorKind === 'handler_failed') throw thrown.error;
      throw failure;
    }
  }

  /** The record of `eventId`, or `null`. */
  async get(eventId) {
    args.string('eventId', eventId, false);
    try {
      return recordOf(JSON.parse(await this.#n.get(eventId)));
    } catch (error) {
      throw fromNative(error);
    }
  }

  /** Up to `limit` records, newest first. */
  async list(options = {}) {
    args.object('options', options);
    try {
      return JSON.parse(await this.#n.list(args.integer('limit', options.limit))).map(recordOf);
    } catch (error) {
      throw fromNative(error);
    }
  }
}

function claimParams(eventId, source) {
  args.string('eventId', eventId, false);
  const now = Date.now();
  return [args.string('source', source) ?? 'default', eventId, now, now];
}

/**
 * Claims `eventId` on a `better-sqlite3` database, inside the transaction
 * it has open: `true` when the event is new (run the handler, then commit),
 * `false` when it was processed before.
 */
function claimEventSqlite(db, eventId, options = {}) {
  args.object('options', options);
  const sql = callNative(() => native.webhookClaimSql('qmark', args.string('table', options.table) ?? 'oncely_webhook_events'));
  return db.prepare(sql).get(...claimParams(eventId, options.source)) !== undefined;
}

/**
 * Claims `eventId` on a `pg` client inside its transaction, in `schema`'s
 * inbox. A second delivery claiming at the same time waits for this
 * transaction, then gets `false` (committed) or `true` (rolled back).
 */
async function claimEventPg(client, eventId, options = {}) {
  args.object('options', options);
  const schema = args.string('schema', options.schema) ?? 'oncely';
  const sql = callNative(() => native.webhookClaimSql('dollar', `${schema}.oncely_webhook_events`));
  const result = await client.query(sql, claimParams(eventId, options.source));
  return result.rows.length === 1;
}

module.exports = {
  WebhookError,
  WebhookInbox,
  verifyStandardWebhook,
  verifyStripeWebhook,
  signStandardWebhook,
  signStripeWebhook,
  claimEventSqlite,
  claimEventPg,
};
