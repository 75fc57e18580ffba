'use strict';
/**
 * The transactional outbox: a call written in the application's own
 * transaction (so it commits or rolls back with the business change), then
 * delivered by a dispatcher with a key derived from its intent id — the same
 * on every attempt by every dispatcher, so the call happens once.
 *
 * `OutboxCall` checks and encodes a call when it is made; `enqueuePg` and
 * `enqueueSqlite` write it on the application's `pg` client or
 * `better-sqlite3` database inside its transaction (the statement is the
 * core's, `call.insertStatement(...)`); `Outbox` enqueues, inspects, steers
 * and dispatches through the Rust core.
 */
const native = require('../native.cjs');
const args = require('./args.js');
const { callNative, fromNative, invalidArgument, OncelyError, registerKind } = require('./errors.js');
const { nativeCall } = require('./client.js');

/** The outbox refused or failed (`outboxErrorKind`: invalid_call, duplicate_intent, not_installed, not_found, wrong_state, store). */
class OutboxError extends OncelyError {
  constructor(payload) {
    super(payload);
    this.outboxErrorKind = payload.outboxErrorKind;
    /** For `duplicate_intent`: the row that has the intent. */
    this.existing = payload.existing ?? null;
  }
}
registerKind('outbox', OutboxError);

const CALL_KEYS = new Set(['json', 'body', 'contentType', 'headers', 'query', 'pathParams', 'intentId', 'partition', 'delayMs']);

/**
 * One call to enqueue. Refuses, at once, what could never be sent: a header
 * that is not one, a credential header (credentials come from the
 * dispatcher's client), a missing path parameter.
 *
 * ```js
 * const call = new OutboxCall('POST', '/orders/{id}/confirm', { pathParams: { id }, intentId: `confirm-${id}`, partition: customer });
 * ```
 */
class OutboxCall {
  #n;

  /**
   * @param {string} method
   * @param {string} path
   * @param {object} [options]
   */
  constructor(method, path, options = {}) {
    args.object('outbox call options', options);
    for (const key of Object.keys(options)) {
      if (!CALL_KEYS.has(key)) throw invalidArgument(`unknown outbox call option ${JSON.stringify(key)}`);
    }
    const { partition, delayMs, ...request } = options;
    const c = nativeCall({ ...request, method, path });
    const p = args.string('partition', partition);
    const d = args.millis('delayMs', delayMs);
    this.#n = callNative(() => new native.NativeOutboxCall(c.method, c.path, c.body, c.contentType, c.headers, c.query, c.extra, p, d));
  }

  /** The intent id (the idempotency key is derived from it), if named. */
  get intentId() {
    return this.#n.intentId ?? null;
  }

  /**
   * The `INSERT` for the application's own connection: `{ sql, params }`
   * (`style`: `dollar` for `pg`, `qmark` for SQLite drivers).
   */
  insertStatement(style = 'dollar', table = 'oncely_outbox') {
    const v = JSON.parse(callNative(() => this.#n.insertStatement(style, table)));
    const params = v.params.map((p) => (p !== null && typeof p === 'object' ? Buffer.from(p.base64, 'base64') : p));
    return { sql: v.sql, params };
  }

  /** @internal */
  get native() {
    return this.#n;
  }
}

function callArg(call) {
  if (!(call instanceof OutboxCall)) throw invalidArgument(`expected an OutboxCall, got ${args.typeName(call)}`);
  return call;
}

function duplicate(intentId, existing) {
  return new OutboxError({
    kind: 'outbox',
    outboxErrorKind: 'duplicate_intent',
    message: `intent ${JSON.stringify(intentId)} is already in the outbox (row ${existing})`,
    existing,
  });
}

/**
 * Enqueues `call` on a `pg` client inside the transaction it has open
 * (`BEGIN` … `COMMIT`); resolves with the row id. A duplicate intent rejects
 * with `OutboxError` (`duplicate_intent`) and leaves the transaction usable.
 */
async function enqueuePg(client, call, options = {}) {
  args.object('options', options);
  const schema = args.string('schema', options.schema) ?? 'oncely';
  const table = `${schema}.oncely_outbox`;
  const { sql, params } = callArg(call).insertStatement('dollar', table);
  const inserted = await client.query(sql, params);
  if (inserted.rows.length > 0) return Number(inserted.rows[0].id);
  const found = await client.query(`SELECT id FROM ${table} WHERE intent_id = $1`, [params[8]]);
  throw duplicate(params[8], Number(found.rows[0].id));
}

/**
 * Enqueues `call` on a `better-sqlite3` database inside the transaction it
 * has open (`db.transaction(...)`); returns the row id.
 */
function enqueueSqlite(db, call, options = {}) {
  args.object('options', options);
  const table = args.string('table', options.table) ?? 'oncely_outbox';
  const { sql, params } = callArg(call).insertStatement('qmark', table);
  const row = db.prepare(sql).get(...params);
  if (row !== undefined) return Number(row.id);
  const found = db.prepare(`SELECT id FROM ${table} WHERE intent_id = ?`).get(params[8]);
  throw duplicate(params[8], Number(found.id));
}

/**
 * An outbox table (`'sqlite:PATH'` or `'postgres://…?oncely_schema=NAME'`),
 * created or migrated when opened.
 */
class Outbox {
  #n;

  /** @internal */
  constructor(nativeOutbox) {
    if (!(nativeOutbox instanceof native.NativeOutbox)) throw invalidArgument('use Outbox.open(location)');
    this.#n = nativeOutbox;
  }

  /** Opens the outbox at `location`. */
  static async open(location) {
    args.string('location', location, false);
    try {
      return new Outbox(await native.openOutbox(location));
    } catch (error) {
      throw fromNative(error);
    }
  }

  /** Where the outbox is, without secrets. */
  get location() {
    return this.#n.location;
  }

  async #json(fn) {
    try {
      return JSON.parse(await fn());
    } catch (error) {
      throw fromNative(error);
    }
  }

  /** Enqueues in a transaction of its own; resolves with the row id. */
  async enqueue(call) {
    callArg(call);
    try {
      return Number(await this.#n.enqueue(call.native));
    } catch (error) {
      throw fromNative(error);
    }
  }

  /** Row `id`. */
  get(id) {
    return this.#json(() => this.#n.get(id));
  }

  /** Rows, newest first: `{ state, partition, limit }`. */
  list(options = {}) {
    args.object('options', options);
    return this.#json(() => this.#n.list(args.string('state', options.state), args.string('partition', options.partition), options.limit));
  }

  /** Sends a dead row again with its original key. */
  retry(id) {
    return this.#json(() => this.#n.retry(id));
  }

  /** Never sends a dead or pending row (it is kept, marked discarded). */
  discard(id) {
    return this.#json(() => this.#n.discard(id));
  }

  /** Rows per state and the oldest pending row's age (ms). */
  stats() {
    return this.#json(() => this.#n.stats());
  }

  /**
   * Delivers what is due through `client` until nothing is; resolves with
   * `{ delivered, retried, dead, lease_lost }`.
   */
  async dispatch(client, options = {}) {
    if (!client || typeof client.nativeClient !== 'function') throw invalidArgument('dispatch needs an oncely Client');
    args.object('options', options);
    const nc = await client.nativeClient();
    return this.#json(() =>
      this.#n.dispatch(nc, options.concurrency, options.maxAttempts, args.string('owner', options.owner), args.millis('leaseMs', options.leaseMs), options.rate),
    );
  }
}

module.exports = { Outbox, OutboxCall, OutboxError, enqueuePg, enqueueSqlite };
