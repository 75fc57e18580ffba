'use strict';
/**
 * Workflows (sagas): ordered steps with compensations, written as async JS
 * functions and run by the Rust engine on the store's journal — the same
 * journal Rust and Python workers use, so any of them can resume a run.
 */
const native = require('../native.cjs');
const args = require('./args.js');
const { callNative, invalidArgument, OncelyError, registerKind } = require('./errors.js');
const { nativeCall, toResponse } = require('./client.js');
const { Caller } = require('./caller.js');
const { Operation } = require('./operation.js');

/**
 * @internal What a registrable workflow implements: called synchronously (so
 * definition errors throw at once), it returns the function that registers
 * the workflow with a native engine.
 */
const REGISTER = Symbol('oncely.register');

/** @internal Runs a function with an engine's native half (a promise). */
const WITH_NATIVE = Symbol('oncely.withNative');

/** Marks errors raised by a context's own calls (they keep the core's classification). */
const OWNER = Symbol('oncely.stepContext');

/**
 * A failure raised by a step. Throw `new StepError(message, { retryable: true })`
 * to ask for another attempt; any other error thrown by a step is permanent
 * (unless it is an oncely error, which keeps the core's verdict).
 */
class StepError extends OncelyError {
  /**
   * @param {string | Record<string, any>} message
   * @param {{ retryable?: boolean }} [options]
   */
  constructor(message, options = {}) {
    const payload =
      typeof message === 'string'
        ? { kind: 'step', message, retryable: options.retryable === true, stepErrorKind: options.retryable ? 'retryable' : 'permanent' }
        : message;
    super(payload);
    /** `retryable`, `permanent` or `store`. */
    this.stepErrorKind = payload.stepErrorKind;
  }
}

registerKind('step', StepError);

function camel(key) {
  return key.replace(/_([a-z])/g, (_, c) => c.toUpperCase());
}

/** Top-level keys in camelCase; user data (inputs, outputs, details) untouched. */
function record(obj) {
  if (!obj || typeof obj !== 'object') return obj;
  const out = {};
  for (const [k, v] of Object.entries(obj)) out[camel(k)] = v;
  return out;
}

function outcomeOf(text) {
  return record(JSON.parse(text));
}

function detailsOf(text) {
  const d = JSON.parse(text);
  return { run: record(d.run), steps: (d.steps || []).map(record), events: (d.events || []).map(record) };
}

/**
 * What a step or compensation gets: the run, the step, its idempotency key,
 * the input and earlier outputs, and calls that carry the step's key (the
 * first non-GET call the key itself, later ones keys derived from it — make
 * calls in a deterministic order).
 */
class StepContext extends Caller {
  #n;
  #input;

  /** @internal */
  constructor(nativeContext) {
    super();
    this.#n = nativeContext;
  }

  get runId() {
    return this.#n.runId;
  }
  get workflow() {
    return this.#n.workflow;
  }
  get step() {
    return this.#n.step;
  }
  get isCompensation() {
    return this.#n.isCompensation;
  }
  /** 1 for the first attempt (counted across processes, from the journal). */
  get attempt() {
    return this.#n.attempt;
  }
  /** The step's idempotency key: UUIDv5(run id, step name). */
  get key() {
    return this.#n.key;
  }
  get idempotencyKey() {
    return this.#n.key;
  }

  /** The run's input. */
  get input() {
    if (this.#input === undefined) this.#input = JSON.parse(this.#own(() => this.#n.inputJson()));
    return this.#input;
  }

  /** The journaled output of an earlier, finished step. */
  output(step) {
    args.string('step', step, false);
    return JSON.parse(this.#own(() => this.#n.outputJson(step)));
  }

  /** In a compensation: the output of the step being compensated. */
  ownOutput() {
    return this.output(this.step);
  }

  /** A key derived from the step's key and `label` (stable across re-runs). */
  keyFor(label) {
    args.string('label', label, false);
    return this.#n.keyFor(label);
  }

  #own(fn) {
    try {
      return callNative(fn);
    } catch (error) {
      throw this.#stamp(error);
    }
  }

  #stamp(error) {
    if (error && typeof error === 'object') Object.defineProperty(error, OWNER, { value: this });
    return error;
  }

  /** A call carrying the step's key (options as for `client.request`). */
  request(options) {
    let c;
    try {
      c = nativeCall(options);
    } catch (error) {
      return Promise.reject(error);
    }
    const n = this.#n;
    return args
      .run(c.signal, (token) => n.request(c.method, c.path, c.body, c.contentType, c.headers, c.query, c.extra, token))
      .then(toResponse, (error) => {
        throw this.#stamp(error);
      });
  }

  /** Starts a long-running operation with the step's key (method defaults to POST). */
  sendOperation(options) {
    let c;
    try {
      c = nativeCall(options, { method: 'POST' });
    } catch (error) {
      return Promise.reject(error);
    }
    const n = this.#n;
    return args
      .run(c.signal, (token) => n.sendOperation(c.method, c.path, c.body, c.contentType, c.headers, c.query, c.extra, token))
      .then(
        (op) => new Operation(op),
        (error) => {
          throw this.#stamp(error);
        },
      );
  }
}

/** What a step function's failure becomes for the engine. */
function describeFailure(error, ctx) {
  if (error && typeof error === 'object' && error[OWNER] === ctx && typeof error.stepErrorId === 'number') {
    return { errorRef: error.stepErrorId };
  }
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { error: { message, retryable: Boolean(error && error.retryable === true) } };
}

/**
 * Wraps a user's step function for the engine: it is called with a native
 * context and always resolves with the outcome as JSON text — it never throws
 * and never rejects, so nothing escapes into the runtime.
 */
function runner(fn, kind) {
  return (nativeContext) => {
    const ctx = new StepContext(nativeContext);
    return (async () => {
      try {
        const out = await fn(ctx);
        if (kind === 'operation') {
          if (!(out instanceof Operation)) {
            return JSON.stringify({ error: { message: 'an operation step must resolve with an Operation (ctx.sendOperation(...))', retryable: false } });
          }
          return JSON.stringify({ token: out.resumeToken() });
        }
        return JSON.stringify({ ok: out === undefined ? null : out });
      } catch (error) {
        try {
          return JSON.stringify(describeFailure(error, ctx));
        } catch {
          return JSON.stringify({ error: { message: 'step failed', retryable: false } });
        }
      }
    })();
  };
}

/**
 * A workflow: a name and an ordered list of named steps, each an async action
 * and an optional compensation.
 *
 * ```js
 * const checkout = new Workflow('checkout')
 *   .step('create_order', async (ctx) => (await ctx.post('/orders', { json: ctx.input })).json(),
 *         { compensate: async (ctx) => { await ctx.post(`/orders/${ctx.ownOutput().id}/cancel`, { json: {} }); } })
 *   .step('pay', async (ctx) => (await ctx.post(`/orders/${ctx.output('create_order').id}/payments`, { json: { … } })).json());
 * const outcome = await checkout.run(client, { runId: 'order-8812', input: { … } });
 * ```
 */
class Workflow {
  #name;
  #options;
  #steps = [];
  #native;

  /**
   * @param {string} name
   * @param {{ actionRetry?: object, compensationRetry?: object }} [options]
   */
  constructor(name, options = {}) {
    this.#name = args.string('workflow name', name, false);
    args.object('workflow options', options);
    this.#options = {
      actionRetry: args.retry('actionRetry', options.actionRetry),
      compensationRetry: args.retry('compensationRetry', options.compensationRetry),
    };
  }

  /** The workflow's name. */
  get name() {
    return this.#name;
  }

  /** The step names, in order. */
  get stepNames() {
    return this.#steps.map((s) => s.name);
  }

  #add(name, fn, kind, options) {
    if (this.#native) throw invalidArgument(`workflow ${this.#name} already ran; its steps are fixed`);
    args.string('step name', name, false);
    if (typeof fn !== 'function') throw invalidArgument(`step ${name}: the action must be a function`);
    args.object('step options', options);
    const compensate = options.compensate;
    if (compensate !== undefined && typeof compensate !== 'function') throw invalidArgument(`step ${name}: compensate must be a function`);
    this.#steps.push({ name, fn, kind, compensate });
    return this;
  }

  /**
   * Appends a step whose output (JSON) is journaled; later steps read it with `ctx.output(name)`.
   * @param {string} name
   * @param {(ctx: StepContext) => Promise<any>} action
   * @param {{ compensate?: (ctx: StepContext) => Promise<void> }} [options]
   */
  step(name, action, options = {}) {
    return this.#add(name, action, 'call', options);
  }

  /**
   * Appends a step that starts a long-running operation (resolve with
   * `ctx.sendOperation(…)`); its resume token is journaled before waiting, so a
   * resumed run keeps polling instead of submitting again.
   */
  operationStep(name, submit, options = {}) {
    return this.#add(name, submit, 'operation', options);
  }

  /** Sets the compensation of the step added last. */
  compensate(fn) {
    const last = this.#steps[this.#steps.length - 1];
    if (!last) throw invalidArgument('a compensation comes before any step');
    if (typeof fn !== 'function') throw invalidArgument('compensate must be a function');
    if (last.compensate) throw invalidArgument(`step ${last.name} has two compensations`);
    last.compensate = fn;
    return this;
  }

  /** @internal the sealed native definition */
  native() {
    if (!this.#native) {
      const wf = callNative(() => new native.NativeWorkflow(this.#name, this.#options));
      for (const s of this.#steps) {
        callNative(() => wf.addStep(s.name, s.kind === 'operation', runner(s.fn, s.kind), s.compensate ? runner(s.compensate, 'compensation') : undefined));
      }
      callNative(() => wf.seal());
      this.#native = wf;
    }
    return this.#native;
  }

  /** @internal */
  [REGISTER]() {
    const wf = this.native();
    return (nativeEngine) => nativeEngine.register(wf);
  }

  /** The fingerprint of the step list (names and order). */
  get fingerprint() {
    return this.native().fingerprint;
  }

  /**
   * Runs the workflow (or continues the run with this id) on `client`'s store.
   * Resolves with `{ runId, workflow, state, outputs, error }` — `completed`,
   * `compensated` or `needs_attention`.
   */
  run(client, options = {}) {
    return new WorkflowEngine(client, { workflows: [this] }).start(this, options);
  }

  /** Continues a run after a crash (finished steps are not run again). */
  resume(client, runId) {
    return new WorkflowEngine(client, { workflows: [this] }).resume(runId);
  }

  /** One run with its steps and history. */
  static inspect(client, runId) {
    return new WorkflowEngine(client).show(runId);
  }

  /** Runs, newest first (`{ states, workflow, limit }`). */
  static list(client, filter = {}) {
    return new WorkflowEngine(client).list(filter);
  }
}

/** Drives runs of registered workflows through the journal of a client's store. */
class WorkflowEngine {
  #client;
  #options;
  #workflows = [];
  #engine;

  /**
   * @param {import('./client.js').Client} client
   * @param {{ owner?: string, leaseMs?: number, workflows?: Workflow[] }} [options]
   */
  constructor(client, options = {}) {
    if (!client || typeof client.nativeClient !== 'function') throw invalidArgument('WorkflowEngine needs an oncely Client');
    args.object('engine options', options);
    this.#client = client;
    this.#options = { owner: args.string('owner', options.owner), leaseMs: args.millis('leaseMs', options.leaseMs) };
    for (const wf of options.workflows ?? []) this.register(wf);
  }

  /** Registers a workflow (a `Workflow` or an `ArazzoWorkflow`), so runs of it can be resumed by id and worked. */
  register(workflow) {
    if (!workflow || typeof workflow[REGISTER] !== 'function') throw invalidArgument('register() takes a Workflow or an ArazzoWorkflow');
    this.#workflows.push(workflow);
    if (this.#engine) {
      const registration = workflow[REGISTER]();
      this.#engine = this.#engine.then((e) => (callNative(() => registration(e)), e));
    }
    return this;
  }

  #get() {
    if (!this.#engine) {
      const registrations = this.#workflows.map((w) => w[REGISTER]());
      this.#engine = this.#client.nativeClient().then((nc) => {
        const e = callNative(() => new native.NativeEngine(nc, this.#options.owner, this.#options.leaseMs));
        for (const registration of registrations) callNative(() => registration(e));
        return e;
      });
    }
    return this.#engine;
  }

  /** @internal Calls `fn` with the native engine; resolves with what it resolves with. */
  [WITH_NATIVE](fn) {
    return this.#call(fn);
  }

  #call(fn) {
    let engine;
    try {
      engine = this.#get();
    } catch (error) {
      return Promise.reject(error);
    }
    return engine.then((e) => args.run(undefined, () => fn(e)));
  }

  /** Starts a run (a known run id continues that run instead: running it twice runs it once). */
  start(workflow, options = {}) {
    try {
      if (!(workflow instanceof Workflow)) throw invalidArgument('start() takes a Workflow');
      args.object('run options', options);
      args.string('runId', options.runId);
      if (!this.#workflows.includes(workflow)) this.register(workflow);
    } catch (error) {
      return Promise.reject(error);
    }
    let input;
    let wf;
    try {
      input = JSON.stringify(options.input === undefined ? null : options.input);
      wf = workflow.native();
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#call((e) => e.start(wf, options.runId, input)).then(outcomeOf);
  }

  /** Continues a run after a crash. */
  resume(runId) {
    return this.#call((e) => e.resume(args.string('runId', runId, false))).then(outcomeOf);
  }

  /** Sends a parked (`needs_attention`) run back and drives it again. */
  retry(runId) {
    return this.#call((e) => e.retry(args.string('runId', runId, false))).then(outcomeOf);
  }

  /** One run with its steps and history: `{ run, steps, events }`. */
  show(runId) {
    return this.#call((e) => e.show(args.string('runId', runId, false))).then(detailsOf);
  }

  /** Runs, newest first. */
  list(filter = {}) {
    return this.#call((e) => {
      args.object('filter', filter);
      const states = filter.states === undefined ? undefined : [].concat(filter.states);
      return e.list(states, args.string('workflow', filter.workflow), args.integer('limit', filter.limit));
    }).then((text) => JSON.parse(text).map(record));
  }

  /** Works through pending runs until idle (or forever): `{ completed, compensated, parked, errors }`. */
  work(options = {}) {
    return this.#call((e) => {
      args.object('work options', options);
      return e.work(
        args.integer('concurrency', options.concurrency, 1) ?? 4,
        args.millis('idlePollMs', options.idlePollMs) ?? 200,
        args.boolean('stopWhenIdle', options.stopWhenIdle) ?? true,
      );
    }).then((text) => JSON.parse(text));
  }
}

module.exports = { Workflow, WorkflowEngine, StepContext, StepError, REGISTER, WITH_NATIVE };
