'use strict';
/** The client, its store and its responses. */
const native = require('../native.cjs');
const { currentTraceContext } = require('./telemetry.js');
const args = require('./args.js');
const { callNative, fromNative, fromPayload, invalidArgument, DecodeError } = require('./errors.js');
const { Operation } = require('./operation.js');
const { Pages } = require('./pages.js');
const { Caller } = require('./caller.js');
const { EventStream, LineStream, streamOptions } = require('./stream.js');

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Where idempotency records (and workflow journals) live. Share one store
 * between clients (and workflows) by passing the same `Store` object.
 */
class Store {
  /** @internal */
  constructor(nativeStore) {
    if (!(nativeStore instanceof native.NativeStore)) {
      throw new TypeError('use Store.memory() or Store.open(spec) to create a store');
    }
    /** @internal */
    this.native = nativeStore;
  }

  /** An in-memory store (tests, short-lived processes). */
  static memory() {
    return new Store(callNative(() => native.NativeStore.open('memory')));
  }

  /**
   * Opens a local store: `memory` or `sqlite:PATH` (survives restarts).
   * @param {string} spec
   */
  static open(spec) {
    args.string('store', spec, false);
    return new Store(callNative(() => native.NativeStore.open(spec)));
  }

  /**
   * Opens any store without blocking, PostgreSQL (`postgres://…`, shared by a
   * fleet of workers) included.
   * @param {string} spec
   * @returns {Promise<Store>}
   */
  static connect(spec) {
    try {
      args.string('store', spec, false);
    } catch (error) {
      return Promise.reject(error);
    }
    return args.run(undefined, () => native.NativeStore.connect(spec)).then((s) => new Store(s));
  }

  /** What the store is (`memory`, `sqlite:PATH`, `postgres`), never with secrets. */
  get description() {
    return this.native.description;
  }
}

function storeOf(value) {
  if (value === undefined) return Store.memory();
  if (value instanceof Store) return value;
  if (typeof value === 'string') return native.NativeStore.needsNetwork(value) ? Store.connect(value) : Store.open(value);
  throw invalidArgument(`store must be 'memory', 'sqlite:PATH', 'postgres://…' or a Store, got ${args.typeName(value)}`);
}

/**
 * Slots of the array the native call resolves with (see `JsResponse` in
 * src/convert.rs): one array of eight values crosses the boundary faster than
 * an object with named properties.
 */
const STATUS = 0;
const ATTEMPTS = 1;
const FLAGS = 2;
const KEY = 3;
const URL_ = 4;
const HEADERS = 5;
const BODY = 6;
const JSON_ERROR = 7;
/** Bits of the flags slot. */
const FROM_STORE = 1;
const REPLAYED = 2;

/** A successful (2xx) answer, read completely. */
class Response {
  #raw;
  #headers;
  #text;

  /** @internal */
  constructor(raw) {
    this.#raw = raw;
    /** The HTTP status. */
    this.status = raw[STATUS];
    /** How many attempts the call took (0 when answered from the store). */
    this.attempts = raw[ATTEMPTS];
    /** True when the local store held the answer and nothing was sent. */
    this.fromStore = (raw[FLAGS] & FROM_STORE) !== 0;
    /** True when the server replayed a stored answer (`Idempotent-Replayed: true`). */
    this.replayed = (raw[FLAGS] & REPLAYED) !== 0;
    /** The idempotency key the call was sent with, if any. */
    this.idempotencyKey = raw[KEY] ?? undefined;
    /** The URL of the request. */
    this.url = raw[URL_];
  }

  /** Always true: failures reject instead. */
  get ok() {
    return true;
  }

  /** Response headers, names lower-case (repeated headers joined with `, `). */
  get headers() {
    if (this.#headers === undefined) {
      const packed = this.#raw[HEADERS];
      const headers = {};
      if (packed !== '') {
        // `name\nvalue\nname\nvalue…`: header values never hold a line feed.
        const flat = packed.split('\n');
        for (let i = 0; i < flat.length; i += 2) {
          const name = flat[i];
          headers[name] = name in headers ? `${headers[name]}, ${flat[i + 1]}` : flat[i + 1];
        }
      }
      this.#headers = headers;
    }
    return this.#headers;
  }

  /** The `ETag`, for a later conditional update (`If-Match`). */
  get etag() {
    return this.headers.etag;
  }

  /** The raw body. */
  bytes() {
    return this.#raw[BODY];
  }

  /** The body as text; a body that is not UTF-8 is a `DecodeError`. */
  text() {
    if (this.#text === undefined) {
      try {
        this.#text = utf8.decode(this.#raw[BODY]);
      } catch (error) {
        throw new DecodeError({
          kind: 'decode',
          message: `cannot decode response body of ${this.url}: not UTF-8 text`,
          what: `response body of ${this.url}`,
          path: '.',
          reason: String(error.message),
          snippet: this.#raw[BODY].subarray(0, 200).toString('latin1'),
        });
      }
    }
    return this.#text;
  }

  /**
   * The body as JSON (an empty body is `null`). A body the core would not
   * accept as JSON (wrong `Content-Type`, invalid JSON) is a `DecodeError`.
   * @returns {any}
   */
  json() {
    if (this.#raw[JSON_ERROR]) throw fromPayload(JSON.parse(this.#raw[JSON_ERROR]));
    const text = this.text();
    return text.trim() === '' ? null : JSON.parse(text);
  }
}

const REQUEST_KEYS = new Set([
  'method', 'path', 'json', 'body', 'contentType', 'form', 'query', 'headers', 'pathParams', 'intentId',
  'idempotencyKey', 'idempotent', 'retry', 'timeoutMs', 'deadlineMs', 'signal',
]);

/** Translates request options into the native call's arguments. */
function nativeCall(options, defaults) {
  args.object('request options', options, false);
  for (const key of Object.keys(options)) {
    if (!REQUEST_KEYS.has(key)) throw invalidArgument(`unknown request option ${JSON.stringify(key)}`);
  }
  const method = args.string('method', options.method ?? defaults?.method ?? 'GET', false);
  const path = args.string('path', options.path ?? defaults?.path, false);
  let body;
  let contentType = args.string('contentType', options.contentType);
  const given = ['json', 'body', 'form'].filter((k) => options[k] !== undefined);
  if (given.length > 1) throw invalidArgument(`give only one of json, body and form (got ${given.join(', ')})`);
  let formJson;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    if (body === undefined) throw invalidArgument('json must be JSON-serialisable');
  } else if (options.body !== undefined) {
    const b = options.body;
    if (typeof b === 'string') {
      body = b;
      contentType ??= 'text/plain; charset=utf-8';
    } else if (b instanceof Uint8Array || b instanceof ArrayBuffer) {
      body = Buffer.isBuffer(b) ? b : Buffer.from(b instanceof ArrayBuffer ? b : b.buffer, b.byteOffset ?? 0, b.byteLength);
      contentType ??= 'application/octet-stream';
    } else {
      throw invalidArgument(`body must be a string, Buffer, Uint8Array or ArrayBuffer, got ${args.typeName(b)}`);
    }
  } else if (options.form !== undefined) {
    args.object('form', options.form, false);
    formJson = JSON.stringify(options.form);
  }
  const headers = args.pairs('headers', options.headers);
  const query = args.pairs('query', options.query);
  const signal = args.signal('signal', options.signal);
  let extra;
  const o = options;
  const trace = currentTraceContext();
  if (
    o.intentId !== undefined || o.idempotencyKey !== undefined || o.idempotent !== undefined || o.retry !== undefined ||
    o.timeoutMs !== undefined || o.deadlineMs !== undefined || o.pathParams !== undefined || formJson !== undefined ||
    trace !== undefined
  ) {
    extra = {
      intentId: args.string('intentId', o.intentId),
      idempotencyKey: args.string('idempotencyKey', o.idempotencyKey),
      idempotent: args.boolean('idempotent', o.idempotent),
      retry: o.retry === false ? undefined : args.retry('retry', o.retry),
      noRetry: o.retry === false ? true : undefined,
      timeoutMs: args.millis('timeoutMs', o.timeoutMs),
      deadlineMs: o.deadlineMs === null ? undefined : args.millis('deadlineMs', o.deadlineMs),
      noDeadline: o.deadlineMs === null ? true : undefined,
      pathParams: args.pairs('pathParams', o.pathParams),
      formJson,
      traceparent: trace?.traceparent,
      tracestate: trace?.tracestate,
    };
  }
  return { method, path, body, contentType, headers, query, extra, signal };
}

const CLIENT_KEYS = new Set([
  'baseUrl', 'apiKey', 'bearer', 'headers', 'userAgent', 'timeoutMs', 'connectTimeoutMs', 'deadlineMs', 'retry', 'budget',
  'breaker', 'store', 'keyTtlMs', 'idempotencyHeader', 'trustOrigins', 'poll', 'maxResponseBytes', 'proxy',
]);

function nativeOptions(options) {
  args.object('client options', options, false);
  for (const key of Object.keys(options)) {
    if (!CLIENT_KEYS.has(key)) throw invalidArgument(`unknown client option ${JSON.stringify(key)}`);
  }
  const o = options;
  const out = { baseUrl: args.string('baseUrl', o.baseUrl, false) };
  out.bearer = args.string('bearer', o.bearer);
  if (o.apiKey !== undefined) {
    if (typeof o.apiKey === 'string') out.apiKey = o.apiKey;
    else if (args.isPlainObject(o.apiKey)) {
      out.apiKey = args.string('apiKey.value', o.apiKey.value, false);
      out.apiKeyHeader = args.string('apiKey.header', o.apiKey.header, false);
    } else throw invalidArgument(`apiKey must be a string or { header, value }, got ${args.typeName(o.apiKey)}`);
  }
  out.headers = args.pairs('headers', o.headers);
  out.userAgent = args.string('userAgent', o.userAgent);
  out.timeoutMs = args.millis('timeoutMs', o.timeoutMs);
  out.connectTimeoutMs = args.millis('connectTimeoutMs', o.connectTimeoutMs);
  if (o.proxy === false) out.noProxy = true;
  else out.proxy = args.string('proxy', o.proxy);
  out.maxResponseBytes = args.number('maxResponseBytes', o.maxResponseBytes);
  if (o.deadlineMs === null) out.noDeadline = true;
  else out.deadlineMs = args.millis('deadlineMs', o.deadlineMs);
  if (o.retry === false) out.noRetry = true;
  else out.retry = args.retry('retry', o.retry);
  if (o.budget === false || o.budget === null) out.noBudget = true;
  else if (o.budget !== undefined) {
    args.object('budget', o.budget);
    out.budget = { capacity: args.number('budget.capacity', o.budget.capacity), deposit: args.number('budget.deposit', o.budget.deposit) };
  }
  if (o.breaker !== undefined) {
    args.object('breaker', o.breaker);
    out.breaker = { threshold: args.integer('breaker.threshold', o.breaker.threshold), openMs: args.millis('breaker.openMs', o.breaker.openMs) };
  }
  out.keyTtlMs = args.millis('keyTtlMs', o.keyTtlMs);
  out.idempotencyHeader = args.string('idempotencyHeader', o.idempotencyHeader);
  if (o.trustOrigins !== undefined) {
    if (!Array.isArray(o.trustOrigins)) throw invalidArgument('trustOrigins must be an array of origins');
    out.trustOrigins = o.trustOrigins.map((origin, i) => args.string(`trustOrigins[${i}]`, origin, false));
  }
  if (o.poll !== undefined) {
    args.object('poll', o.poll);
    out.poll = {
      intervalMs: args.millis('poll.intervalMs', o.poll.intervalMs),
      maxIntervalMs: args.millis('poll.maxIntervalMs', o.poll.maxIntervalMs),
      timeoutMs: o.poll.timeoutMs === null ? undefined : args.millis('poll.timeoutMs', o.poll.timeoutMs),
      noTimeout: o.poll.timeoutMs === null ? true : undefined,
    };
  }
  return out;
}

/**
 * Calls in flight, by id: `[resolve, reject]`. Every native client settles its
 * calls through `settle` (one function for the module, so no client is kept
 * alive by the native side; see src/settle.rs).
 */
const inFlight = new Map();
let lastId = 0;

function settle(id, error, raw) {
  const call = inFlight.get(id);
  if (call === undefined) return;
  inFlight.delete(id);
  if (error === null) call[0](new Response(raw));
  else call[1](fromNative(new Error(error)));
}

/** Starts `native.request(id, …)` and returns the promise `settle` settles. */
function send(n, c, token) {
  const id = (lastId = (lastId + 1) >>> 0);
  n.request(id, c.method, c.path, c.body, c.contentType, c.headers, c.query, c.extra, token);
  return new Promise((resolve, reject) => {
    inFlight.set(id, [resolve, reject]);
  });
}

/**
 * A client for one API. Every call returns a Promise; all I/O runs on the
 * native runtime. Calls get idempotency keys, retries, deadlines, problem
 * details and 202 polling from the Rust core.
 */
class Client extends Caller {
  #native;
  #store;

  /** @param {import('../index').ClientOptions} options */
  #ready;
  #baseUrl;

  constructor(options) {
    super();
    const nativeOpts = nativeOptions(options);
    this.#baseUrl = nativeOpts.baseUrl;
    const store = storeOf(options.store);
    if (store instanceof Promise) {
      // A PostgreSQL store connects in the background; calls wait for it.
      this.#ready = store.then((s) => {
        this.#store = s;
        this.#native = callNative(() => new native.NativeClient(nativeOpts, s.native, settle));
      });
      this.#ready.catch(() => {});
    } else {
      this.#store = store;
      this.#native = callNative(() => new native.NativeClient(nativeOpts, store.native, settle));
      this.#ready = Promise.resolve();
    }
  }

  /** Resolves once the client can send (its store is open); rejects if the store cannot be opened. */
  get ready() {
    return this.#ready;
  }

  /** Runs `fn` with the native client, once it exists. */
  #with(fn) {
    if (this.#native) return fn(this.#native);
    return this.#ready.then(() => fn(this.#native));
  }

  /** The base URL every relative path is resolved against. */
  get baseUrl() {
    return this.#native ? this.#native.baseUrl : this.#baseUrl;
  }

  /** The idempotency store. */
  get store() {
    return this.#store;
  }

  /**
   * Sends one call. Resolves with the 2xx answer; rejects with an oncely error.
   * @returns {Promise<Response>}
   */
  request(options) {
    let c;
    try {
      c = nativeCall(options);
    } catch (error) {
      return Promise.reject(error);
    }
    const n = this.#native;
    if (n !== undefined && c.signal === undefined) {
      // The common case, without extra promises: `settle` resolves with the Response.
      try {
        return send(n, c, undefined);
      } catch (error) {
        return Promise.reject(fromNative(error));
      }
    }
    return this.#with((n) => args.run(c.signal, (token) => send(n, c, token)));
  }

  /**
   * Sends a call that may answer `202 Accepted`; resolves with the `Operation`
   * to wait on (already done when the answer was 200/201).
   * @returns {Promise<Operation<any>>}
   */
  sendOperation(options) {
    let c;
    try {
      c = nativeCall(options, { method: 'POST' });
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#with((n) =>
      args.run(c.signal, (token) => n.sendOperation(c.method, c.path, c.body, c.contentType, c.headers, c.query, c.extra, token)).then((op) => new Operation(op)),
    );
  }

  /**
   * Sends a call and resolves with its `text/event-stream` answer as an
   * `EventStream` (`for await (const event of stream)`); `return()` / `break`
   * / `close()` close the connection, as does the call's `signal`.
   * @returns {Promise<EventStream>}
   */
  streamEvents(method, path, options = {}) {
    return this.#stream(method, path, options, 'streamEvents', EventStream);
  }

  /**
   * Sends a call and resolves with its JSON lines answer (`application/x-ndjson`,
   * `application/jsonl`, `application/json-lines`, `application/json-seq`) as a
   * `LineStream` of JSON values.
   * @returns {Promise<LineStream>}
   */
  streamLines(method, path, options = {}) {
    return this.#stream(method, path, options, 'streamLines', LineStream);
  }

  #stream(method, path, options, verb, Class) {
    let c;
    let s;
    try {
      const split = streamOptions(options);
      s = split.stream;
      c = nativeCall({ ...split.call, method, path });
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#with((n) =>
      args
        .run(c.signal, (token) => n[verb](c.method, c.path, c.body, c.contentType, c.headers, c.query, c.extra, s, token))
        .then((stream) => new Class(stream, c.signal)),
    );
  }

  /**
   * The pages of a list operation: `spec` says how it pages (the JSON form of
   * the core's `PageSpec`, e.g. `{ items: 'data', style: 'body_cursor', next:
   * 'next_cursor', param: 'cursor' }`); each page is one call of `method path`
   * with the request options. `maxPages`, `maxItems` and `cursor` (a token from
   * `pages.cursor`) shape the listing. Nothing is sent until a page is asked for.
   * @returns {Pages}
   */
  pages(method, path, spec, options = {}) {
    if (!args.isPlainObject(spec)) throw invalidArgument(`spec must be a page spec object, got ${args.typeName(spec)}`);
    args.object('pages options', options);
    const { maxPages, maxItems, cursor, ...call } = options;
    const c = nativeCall({ ...call, method, path });
    if (c.signal !== undefined) throw invalidArgument('signal is given per page: pages.nextPage({ signal }) or pages.items({ signal })');
    const specJson = JSON.stringify(spec);
    const listing = {
      maxPages: args.number('maxPages', maxPages),
      maxItems: args.number('maxItems', maxItems),
      cursor: cursor === null ? undefined : args.string('cursor', cursor),
    };
    const open = (n) => callNative(() => n.pages(c.method, c.path, specJson, c.body, c.contentType, c.headers, c.query, c.extra, listing));
    if (this.#native) return new Pages(Promise.resolve(open(this.#native)));
    return new Pages(this.#ready.then(() => open(this.#native)));
  }

  /**
   * Continues an operation from `operation.resumeToken()` (no network call).
   * @param {string} token
   */
  resumeOperation(token) {
    args.string('token', token, false);
    if (!this.#native) throw new Error('the client is still connecting to its store: await client.ready first');
    return new Operation(callNative(() => this.#native.resumeOperation(token)));
  }

  /** @internal the native client once ready, for workflows */
  nativeClient() {
    return this.#ready.then(() => this.#native);
  }
}

function toResponse(raw) {
  return new Response(raw);
}

module.exports = { Client, Store, Response, nativeCall, toResponse };
