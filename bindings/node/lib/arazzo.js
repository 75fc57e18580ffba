'use strict';
/**
 * Arazzo workflows: one workflow of an Arazzo 1.0 document, loaded, checked
 * and compiled by the Rust core, run on a `WorkflowEngine` like any other
 * workflow — every step journaled, every write keyed, a crashed run
 * resumable by any worker (Rust, Python or Node) sharing the store.
 */
const native = require('../native.cjs');
const args = require('./args.js');
const { callNative, invalidArgument } = require('./errors.js');
const { WorkflowEngine, REGISTER, WITH_NATIVE } = require('./workflow.js');

/** Checks an optional `Record<string, string>` option and returns it. */
function stringRecord(name, value, optional = true) {
  if (value === undefined && optional) return undefined;
  args.object(name, value, false);
  for (const [key, text] of Object.entries(value)) {
    if (typeof text !== 'string') throw invalidArgument(`${name}.${key} must be a string, got ${args.typeName(text)}`);
  }
  return value;
}

/** The shared outcome view (snake_case JSON) in its JS shape. */
function outcomeOf(text) {
  const v = JSON.parse(text);
  return {
    runId: v.run_id,
    workflow: v.workflow,
    state: v.state,
    completed: v.completed,
    outputs: v.outputs,
    stepOutputs: v.step_outputs,
    failedStep: v.failed_step ?? null,
    error: v.error ?? null,
  };
}

function engineArg(engine) {
  if (!(engine instanceof WorkflowEngine)) throw invalidArgument(`expected a WorkflowEngine, got ${args.typeName(engine)}`);
  return engine;
}

/**
 * One workflow of an Arazzo document, compiled for the engine. Loading,
 * checking or compiling failures throw a `TypeError` whose message names
 * the JSON pointer of every problem.
 *
 * ```js
 * const checkout = ArazzoWorkflow.load('openapi/orders.arazzo.yaml', 'checkout');
 * const outcome = await checkout.run(new WorkflowEngine(client), { customer_id: 'cus_1', … });
 * outcome.outputs.orderId;
 * ```
 */
class ArazzoWorkflow {
  #n;

  /** @internal */
  constructor(nativeWorkflow) {
    if (!(nativeWorkflow instanceof native.NativeArazzoWorkflow)) {
      throw invalidArgument('use ArazzoWorkflow.load() or ArazzoWorkflow.fromDocument()');
    }
    this.#n = nativeWorkflow;
  }

  /**
   * Loads the Arazzo file at `path` (local source descriptions are read
   * relative to it), checks it and compiles `workflowId`. `servers`: source
   * description name → base URL (a source without one uses the client's).
   * @param {string} path
   * @param {string} workflowId
   * @param {{ servers?: Record<string, string> }} [options]
   */
  static load(path, workflowId, options = {}) {
    args.string('path', path, false);
    args.string('workflowId', workflowId, false);
    args.object('options', options);
    const servers = stringRecord('servers', options.servers);
    return new ArazzoWorkflow(callNative(() => native.NativeArazzoWorkflow.load(path, workflowId, servers)));
  }

  /**
   * Like `load`, from the document's text: `openapi` maps each source
   * description's name to its OpenAPI text (JSON or YAML); `documentName`
   * names the document in messages.
   * @param {string} document
   * @param {string} workflowId
   * @param {{ openapi: Record<string, string>, servers?: Record<string, string>, documentName?: string }} options
   */
  static fromDocument(document, workflowId, options) {
    args.string('document', document, false);
    args.string('workflowId', workflowId, false);
    args.object('options', options, false);
    const openapi = stringRecord('openapi', options.openapi, false);
    const servers = stringRecord('servers', options.servers);
    const name = args.string('documentName', options.documentName) ?? 'workflow.arazzo.yaml';
    return new ArazzoWorkflow(callNative(() => native.NativeArazzoWorkflow.fromDocument(document, workflowId, openapi, servers, name)));
  }

  /** The `workflowId` (also the workflow's name on the engine). */
  get workflowId() {
    return this.#n.workflowId;
  }

  /** The Arazzo steps, in document order. */
  get stepIds() {
    return this.#n.stepIds;
  }

  /** @internal */
  [REGISTER]() {
    const n = this.#n;
    return (nativeEngine) => n.register(nativeEngine);
  }

  /** Registers the workflow with `engine`, so `engine.resume(runId)` and `engine.work()` drive its runs. */
  register(engine) {
    engineArg(engine).register(this);
  }

  /**
   * Starts a run with `inputs` (or continues the run `runId`) and drives it
   * to its end; the workflow is registered with the engine first.
   * @param {WorkflowEngine} engine
   * @param {Record<string, unknown>} [inputs]
   * @param {{ runId?: string }} [options]
   */
  run(engine, inputs, options = {}) {
    let text;
    let runId;
    try {
      engineArg(engine);
      if (inputs !== undefined) args.object('inputs', inputs, false);
      args.object('options', options);
      runId = args.string('runId', options.runId);
      text = JSON.stringify(inputs ?? {});
    } catch (error) {
      return Promise.reject(error);
    }
    return engine[WITH_NATIVE]((e) => this.#n.start(e, runId, text)).then(outcomeOf);
  }

  /**
   * Continues the run `runId` after a crash (finished steps are not sent again).
   * @param {WorkflowEngine} engine
   * @param {string} runId
   */
  resume(engine, runId) {
    try {
      engineArg(engine);
      args.string('runId', runId, false);
    } catch (error) {
      return Promise.reject(error);
    }
    return engine[WITH_NATIVE]((e) => this.#n.resume(e, runId)).then(outcomeOf);
  }
}

module.exports = { ArazzoWorkflow };
