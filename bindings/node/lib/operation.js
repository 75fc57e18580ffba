'use strict';
/** Long-running operations: a `202 Accepted` answer becomes an `Operation`. */
const args = require('./args.js');

/**
 * A long-running operation. The core polls the server's status resource at the
 * server's pace (`Retry-After`), reports progress, and yields the result or
 * rejects with an `OperationFailedError` carrying the problem.
 *
 * @template T
 */
class Operation {
  #native;

  /** @param {any} nativeOperation a `NativeOperation` (internal) */
  constructor(nativeOperation) {
    this.#native = nativeOperation;
  }

  /** True once the result is known (polling found it, or the call answered 200/201). */
  get isDone() {
    return this.#native.isDone;
  }

  /**
   * A token holding everything needed to continue this operation in another
   * process (URLs and state, never credentials): `client.resumeOperation(token)`.
   * @returns {string}
   */
  resumeToken() {
    return this.#native.resumeToken();
  }

  /**
   * Polls the status resource once.
   * @param {{ signal?: AbortSignal }} [options]
   * @returns {Promise<{ done: true, result: T } | { done: false, progress: { status: string, percent?: number, polls: number } }>}
   */
  pollOnce(options = {}) {
    args.object('pollOnce options', options);
    const signal = args.signal('signal', options.signal);
    return args.run(signal, (token) => this.#native.pollOnce(token)).then((poll) =>
      poll.done ? { done: true, result: JSON.parse(poll.result) } : { done: false, progress: progressOf(poll.progress) },
    );
  }

  /**
   * Polls until the operation ends.
   * @param {{ onProgress?: (progress: { status: string, percent?: number, polls: number }) => void, signal?: AbortSignal }} [options]
   * @returns {Promise<T>}
   */
  wait(options = {}) {
    args.object('wait options', options);
    const { onProgress } = options;
    if (onProgress !== undefined && typeof onProgress !== 'function') {
      throw new TypeError(`onProgress must be a function, got ${args.typeName(onProgress)}`);
    }
    let signal = args.signal('signal', options.signal);
    let callback;
    if (onProgress) {
      // The user's callback runs on the JS thread; if it throws, the wait stops
      // and rejects with what it threw (never an uncaught exception).
      const stop = new AbortController();
      signal = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
      callback = (progress) => {
        if (stop.signal.aborted) return;
        try {
          onProgress(progressOf(progress));
        } catch (error) {
          stop.abort(error);
        }
      };
    }
    return args.run(signal, (token) => this.#native.wait(callback, token)).then((text) => JSON.parse(text));
  }
}

function progressOf(p) {
  const progress = { status: p.status, polls: p.polls };
  if (p.percent !== undefined && p.percent !== null) progress.percent = p.percent;
  return progress;
}

module.exports = { Operation };
