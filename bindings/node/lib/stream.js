'use strict';
/**
 * Streamed answers: server-sent events (`EventStream`) and JSON lines
 * (`LineStream`), both async iterables over the core's streams. The core
 * parses, limits and reconnects; this layer only moves items across.
 */
const args = require('./args.js');
const { DecodeError } = require('./errors.js');

/** One server-sent event. */
class ServerEvent {
  /** @internal */
  constructor(raw) {
    /** The last event id when the event was dispatched (`undefined` before any id). */
    this.id = raw.id ?? undefined;
    /** The event type (`message` when the event named none). */
    this.event = raw.event;
    /** The event's data lines joined with `\n`. */
    this.data = raw.data;
    /** The reconnection time this event's `retry` field set, in milliseconds. */
    this.retryMs = raw.retryMs ?? undefined;
  }

  /**
   * The data as JSON (empty data is `null`); bad JSON is a `DecodeError`
   * naming the event.
   * @returns {any}
   */
  json() {
    if (this.data.trim() === '') return null;
    try {
      return JSON.parse(this.data);
    } catch (error) {
      const what = `data of event ${JSON.stringify(this.event)} (${this.id === undefined ? 'no id' : `id ${JSON.stringify(this.id)}`})`;
      throw new DecodeError({
        kind: 'decode',
        message: `cannot decode ${what}: ${error.message}`,
        what,
        path: '.',
        reason: String(error.message),
        snippet: this.data.slice(0, 200),
      });
    }
  }
}

/** What both streams share: pulling, closing, and the call's `AbortSignal`. */
class PulledStream {
  #native;
  #signal;
  #done = false;
  #onAbort;

  /** @internal */
  constructor(nativeStream, signal) {
    this.#native = nativeStream;
    this.#signal = signal;
    if (signal) {
      this.#onAbort = () => this.close();
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
  }

  /** @internal the native stream */
  get native() {
    return this.#native;
  }

  /** @internal one item from the native side, `null` at the end */
  pull() {
    if (this.#done) return Promise.resolve(null);
    return args.run(this.#signal, (token) => this.#native.next(token)).then((item) => {
      if (item === null) this.#finish();
      return item;
    });
  }

  /** Closes the connection; iteration ends. */
  close() {
    this.#finish();
    this.#native.close();
  }

  /** Ends a `for await` loop early (`break`, `return`, a throw): closes the connection. */
  async return() {
    this.close();
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  #finish() {
    this.#done = true;
    if (this.#signal && this.#onAbort) this.#signal.removeEventListener('abort', this.#onAbort);
  }
}

/**
 * A `text/event-stream` answer, event by event. Reconnects with
 * `Last-Event-ID` when the connection is cut (within the client's retry
 * policy and budget); the body ending ends the stream.
 */
class EventStream extends PulledStream {
  /** @returns {Promise<IteratorResult<ServerEvent, undefined>>} */
  async next() {
    const raw = await this.pull();
    return raw === null ? { done: true, value: undefined } : { done: false, value: new ServerEvent(raw) };
  }

  /** The last event id received: pass it as `lastEventId` to resume after a restart. */
  get lastEventId() {
    return this.native.lastEventId ?? undefined;
  }

  /** Reconnections made so far. */
  get reconnects() {
    return this.native.reconnects;
  }

  /** Events received so far. */
  get eventsReceived() {
    return this.native.eventsReceived;
  }
}

/** A JSON lines answer (NDJSON, JSON Lines, JSON text sequences), item by item. */
class LineStream extends PulledStream {
  /** @returns {Promise<IteratorResult<any, undefined>>} */
  async next() {
    const text = await this.pull();
    return text === null ? { done: true, value: undefined } : { done: false, value: JSON.parse(text) };
  }
}

const STREAM_KEYS = ['lastEventId', 'reconnect', 'maxItemBytes'];

/** Splits a stream call's options into the call's and the stream's. */
function streamOptions(options) {
  args.object('stream options', options);
  const call = { ...options };
  const stream = {};
  for (const key of STREAM_KEYS) delete call[key];
  stream.lastEventId = args.string('lastEventId', options?.lastEventId);
  stream.reconnect = args.string('reconnect', options?.reconnect);
  stream.maxItemBytes = args.number('maxItemBytes', options?.maxItemBytes);
  return { call, stream };
}

module.exports = { ServerEvent, EventStream, LineStream, streamOptions };
