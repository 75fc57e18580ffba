'use strict';
/** Auto-pagination: the pages of a list operation, from `client.pages(…)`. */
const args = require('./args.js');

/**
 * The pages of a list operation. Each page is one ordinary call through the
 * core (retries, budget, breaker, problem errors); `for await (const page of
 * pages)` iterates pages, `for await (const item of pages.items())` items, and
 * both share one position. `cursor` is a token to resume from, here or in
 * another process (`client.pages(…, { cursor })`).
 */
class Pages {
  #native;

  /** @param {Promise<any>} nativePages a promise of `NativePages` (internal) */
  constructor(nativePages) {
    this.#native = nativePages;
    // A listing that could not be opened rejects its first page, not here.
    nativePages.catch(() => {});
  }

  /** @type {any} the native listing once opened (for `cursor`) */
  #opened;

  /**
   * Where the listing continues, as a token (`null` before the first page and
   * after the last).
   * @returns {string | null}
   */
  get cursor() {
    return this.#opened?.cursor ?? null;
  }

  #with(fn) {
    if (this.#opened) return fn(this.#opened);
    return this.#native.then((n) => {
      this.#opened = n;
      return fn(n);
    });
  }

  /**
   * The next page (the rest of it, when items of it were taken), or `null`
   * after the last page or once a limit is reached.
   * @param {{ signal?: AbortSignal }} [options]
   */
  nextPage(options = {}) {
    args.object('nextPage options', options);
    const signal = args.signal('signal', options.signal);
    return this.#with((n) => args.run(signal, (token) => n.nextPage(token))).then((page) => page && pageOf(page));
  }

  /** Iterates the pages. */
  async *[Symbol.asyncIterator]() {
    for (;;) {
      const page = await this.nextPage();
      if (page === null) return;
      yield page;
    }
  }

  /**
   * The items of every page, in order, as an async iterable.
   * @param {{ signal?: AbortSignal }} [options]
   */
  items(options = {}) {
    args.object('items options', options);
    const signal = args.signal('signal', options.signal);
    const next = () => this.#with((n) => args.run(signal, (token) => n.nextItem(token)));
    return {
      async *[Symbol.asyncIterator]() {
        for (;;) {
          const text = await next();
          if (text === null) return;
          yield JSON.parse(text);
        }
      },
    };
  }
}

function pageOf(p) {
  return { items: JSON.parse(p.items), number: p.number, nextCursor: p.nextCursor ?? null, status: p.status };
}

module.exports = { Pages };
