// Type definitions for the npm package `oncely`.
//
// Calls to remote APIs that happen once: idempotency keys, retries with
// backoff, 202 polling, RFC 9457 problem details and sagas — decided by the
// Rust core; every call returns a Promise.

/// <reference types="node" />

/** A JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Name/value pairs: a record, a `Headers`/`URLSearchParams`/`Map`, or `[name, value]` pairs. */
export type Pairs =
  | Record<string, string | number | boolean | ReadonlyArray<string | number | boolean> | null | undefined>
  | ReadonlyArray<readonly [string, string | number | boolean]>
  | { forEach(callback: (value: string, name: string) => void): void; get(name: string): unknown };

/** A retry policy: full-jitter exponential backoff, honouring `Retry-After`. */
export interface RetryOptions {
  /** Total attempts including the first (default 5). */
  maxAttempts?: number;
  /** Base of the backoff (default 100 ms). */
  baseDelayMs?: number;
  /** Cap of the backoff (default 20 000 ms). */
  maxDelayMs?: number;
  /** The longest server-requested wait honoured (default 60 000 ms); longer is a `RetryAfterTooLongError`. */
  maxServerDelayMs?: number;
}

/** The store behind idempotency keys and workflow journals. */
export type StoreSpec = 'memory' | `sqlite:${string}` | `postgres://${string}` | `postgresql://${string}`;

/** Options of `new Client(…)`. */
export interface ClientOptions {
  /** `https://host[/prefix]`; relative paths resolve against it. */
  baseUrl: string;
  /** An API key, sent as `X-Api-Key` (or `{ header, value }` for another header). Never logged, never sent to another origin. */
  apiKey?: string | { header: string; value: string };
  /** Sends `Authorization: Bearer <token>`. Never logged, never sent to another origin. */
  bearer?: string;
  /** Headers sent on every request to the API's origin. */
  headers?: Pairs;
  /** The `User-Agent` header. */
  userAgent?: string;
  /** Per-attempt timeout (default 30 000 ms). */
  timeoutMs?: number;
  /** Connect timeout (default 10 000 ms). */
  connectTimeoutMs?: number;
  /**
   * A proxy for every request: `http://host:port` (CONNECT tunnel for HTTPS), `socks5://` or `socks5h://`,
   * credentials as `scheme://user:password@host`; hosts in `NO_PROXY` go direct. `false`: always direct.
   * Default: `HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY` and `NO_PROXY`, as curl reads them.
   */
  proxy?: string | false;
  /** The largest answer body a call reads (default 64 MiB); a longer one rejects with `TransportError` (`transportKind: 'tooLarge'`). */
  maxResponseBytes?: number;
  /** Overall deadline of a call, all attempts and waits included (default 120 000 ms; `null`: none). */
  deadlineMs?: number | null;
  /** The retry policy (`false`: one attempt only). */
  retry?: RetryOptions | false;
  /** The retry budget shared by all calls (`false`: unlimited). */
  budget?: { capacity?: number; deposit?: number } | false;
  /** The per-host circuit breaker. */
  breaker?: { threshold?: number; openMs?: number };
  /** Where idempotency records live (default `memory`); a `Store` to share one between clients. */
  store?: StoreSpec | Store;
  /** Lifetime of idempotency records (default 24 h). */
  keyTtlMs?: number;
  /** The header carrying idempotency keys (default `Idempotency-Key`). */
  idempotencyHeader?: string;
  /** Other origins (`https://host[:port]`) allowed to receive credentials, e.g. an operation status host. */
  trustOrigins?: string[];
  /** How long-running operations are polled. */
  poll?: { intervalMs?: number; maxIntervalMs?: number; timeoutMs?: number | null };
}

/** Options of one call. */
export interface RequestOptions {
  /** HTTP method (default `GET`; `POST` for `sendOperation`). */
  method?: string;
  /** A path template relative to the base URL (`/orders/{id}`, see `pathParams`) or an absolute URL. */
  path: string;
  /** A JSON body. */
  json?: unknown;
  /** A raw body (with `contentType`). */
  body?: string | Uint8Array | ArrayBuffer;
  /** The body's media type (`application/json` for `json`). */
  contentType?: string;
  /** An `application/x-www-form-urlencoded` body (nested members in bracket notation). */
  form?: Record<string, unknown>;
  /** Query parameters; an array value repeats the name. */
  query?: Pairs;
  /** Request headers. */
  headers?: Pairs;
  /** Values for `{name}` in the path template (percent-encoded as one segment). */
  pathParams?: Pairs;
  /** Names the caller's intent: the same intent always sends the same key, and a finished one is answered from the store. */
  intentId?: string;
  /** Use this idempotency key verbatim. */
  idempotencyKey?: string;
  /** Force the idempotency key on or off (default: on for POST and PATCH). */
  idempotent?: boolean;
  /** Retry policy for this call (`false`: one attempt). */
  retry?: RetryOptions | false;
  /** Per-attempt timeout for this call. */
  timeoutMs?: number;
  /** Overall deadline for this call (`null`: none). */
  deadlineMs?: number | null;
  /** Aborts the call (the promise rejects with the signal's reason). */
  signal?: AbortSignal;
}

/** The same options, for the method helpers (`client.get(path, options)`). */
export type CallOptions = Omit<RequestOptions, 'method' | 'path'>;

/** Where idempotency records (and workflow journals) live; share one between clients. */
export declare class Store {
  private constructor();
  /** An in-memory store. */
  static memory(): Store;
  /** A local store: `memory` or `sqlite:PATH` (survives restarts). */
  static open(spec: StoreSpec | string): Store;
  /** Any store without blocking, PostgreSQL (`postgres://…`, shared by a fleet of workers) included. */
  static connect(spec: StoreSpec | string): Promise<Store>;
  /** What the store is (`memory`, `sqlite:PATH`, `postgres:HOST/DB`), without secrets. */
  readonly description: string;
}

/** A successful (2xx) answer, read completely. */
export declare class Response {
  private constructor();
  /** The HTTP status. */
  readonly status: number;
  /** Always true: failures reject instead. */
  readonly ok: true;
  /** Response headers, names lower-case. */
  readonly headers: Readonly<Record<string, string>>;
  /** How many attempts the call took (0 when answered from the store). */
  readonly attempts: number;
  /** True when the local store held the answer and nothing was sent. */
  readonly fromStore: boolean;
  /** True when the server replayed a stored answer (`Idempotent-Replayed: true`). */
  readonly replayed: boolean;
  /** The idempotency key the call was sent with, if any. */
  readonly idempotencyKey: string | undefined;
  /** The `ETag`, for a later conditional update. */
  readonly etag: string | undefined;
  /** The request URL. */
  readonly url: string;
  /** The body as JSON (`null` when empty); a body that is not JSON throws `DecodeError`. */
  json<T = any>(): T;
  /** The body as UTF-8 text. */
  text(): string;
  /** The raw body. */
  bytes(): Buffer;
}

/** The progress of a running operation. */
export interface Progress {
  /** `running`, `notStarted`, …; `accepted` when unknown. */
  status: string;
  /** Percent complete (0–100), when the server reports it. */
  percent?: number;
  /** Polls made so far. */
  polls: number;
}

/** A long-running operation started by a `202 Accepted` answer. */
export declare class Operation<T = unknown> {
  private constructor();
  /** True once the result is known. */
  readonly isDone: boolean;
  /** A token to continue in another process: `client.resumeOperation(token)`. Holds no credentials. */
  resumeToken(): string;
  /** Polls once. */
  pollOnce(options?: { signal?: AbortSignal }): Promise<{ done: true; result: T } | { done: false; progress: Progress }>;
  /** Polls at the server's pace until the end; rejects with `OperationFailedError` when the operation fails. */
  wait(options?: { onProgress?: (progress: Progress) => void; signal?: AbortSignal }): Promise<T>;
}

/** How a streamed call is read, besides the call's own options. */
export interface StreamOptions extends CallOptions {
  /** Resume an event stream after this event id (sent as `Last-Event-ID`). */
  lastEventId?: string;
  /** When an event stream reconnects (default `on_cut`: after a cut connection, not after the body ends). */
  reconnect?: 'never' | 'on_cut' | 'on_cut_or_end';
  /** The most bytes one event or line may hold (default 16 MiB). */
  maxItemBytes?: number;
}

/** One server-sent event. */
export declare class ServerEvent {
  private constructor();
  /** The last event id when the event was dispatched (undefined before any id). */
  readonly id: string | undefined;
  /** The event type (`message` when the event named none). */
  readonly event: string;
  /** The data lines joined with `\n`. */
  readonly data: string;
  /** The reconnection time (ms) this event's `retry` field set. */
  readonly retryMs: number | undefined;
  /** The data as JSON (empty data is `null`); bad JSON throws a `DecodeError` naming the event. */
  json<T = any>(): T;
}

/** A `text/event-stream` answer: `for await (const event of stream)`; `break` or `close()` closes the connection. */
export declare class EventStream implements AsyncIterableIterator<ServerEvent> {
  private constructor();
  /** The last event id received: pass it as `lastEventId` to resume after a restart. */
  readonly lastEventId: string | undefined;
  /** Reconnections made so far. */
  readonly reconnects: number;
  /** Events received so far. */
  readonly eventsReceived: number;
  next(): Promise<IteratorResult<ServerEvent, undefined>>;
  /** Closes the connection and ends iteration. */
  return(): Promise<IteratorResult<ServerEvent, undefined>>;
  /** Closes the connection; iteration ends. */
  close(): void;
  [Symbol.asyncIterator](): EventStream;
}

/** A JSON lines answer (NDJSON, JSON Lines, JSON text sequences), one JSON value per line. */
export declare class LineStream<T = any> implements AsyncIterableIterator<T> {
  private constructor();
  /** The next item; a bad line rejects with a `DecodeError` naming its line number, and iteration can go on. */
  next(): Promise<IteratorResult<T, undefined>>;
  /** Closes the connection and ends iteration. */
  return(): Promise<IteratorResult<T, undefined>>;
  /** Closes the connection; iteration ends. */
  close(): void;
  [Symbol.asyncIterator](): LineStream<T>;
}

/**
 * How a list operation pages: the JSON form of the core's `PageSpec`
 * (`openapi/PAGINATION.md`). `items` is the dotted path to the array of items
 * (`''` when the body is the array).
 */
export type PageSpec =
  | { items?: string; style: 'body_cursor'; next: string; param: string; has_more?: string | null }
  | { items?: string; style: 'last_item'; param: string; id_field: string; has_more: string }
  | { items?: string; style: 'next_url'; next: string }
  | { items?: string; style: 'link_header' }
  | { items?: string; style: 'page_number'; param: string; first?: number; size_param?: string | null; total?: string | null }
  | { items?: string; style: 'offset'; param: string; limit_param?: string | null; total?: string | null };

/** Options of a listing: a call's options (without `signal`, given per page) and the listing's own. */
export type PagesOptions = Omit<CallOptions, 'signal'> & {
  /** Fetch at most this many pages. */
  maxPages?: number;
  /** Yield at most this many items (the page that reaches it is cut; `cursor` points at the rest). */
  maxItems?: number;
  /** Continue from this token (`pages.cursor`, in this or another process). */
  cursor?: string | null;
};

/** One page of a listing. */
export interface Page<T = any> {
  /** The page's items. */
  items: T[];
  /** The page's number; the listing's first page is 0. */
  number: number;
  /** The token of where the listing continues after this page; `null` after the last. */
  nextCursor: string | null;
  /** The HTTP status of the page's answer. */
  status: number;
}

/** The pages of a list operation; `for await` iterates pages, `items()` items, sharing one position. */
export declare class Pages<T = any> implements AsyncIterable<Page<T>> {
  private constructor();
  /** Where the listing continues, as a token (`null` before the first page and after the last). */
  readonly cursor: string | null;
  /** The next page (the rest of it, when items of it were taken), or `null` after the last. */
  nextPage(options?: { signal?: AbortSignal }): Promise<Page<T> | null>;
  /** The items of every page, in order. */
  items(options?: { signal?: AbortSignal }): AsyncIterable<T>;
  [Symbol.asyncIterator](): AsyncIterator<Page<T>>;
}

/** A client for one API. */
export declare class Client {
  constructor(options: ClientOptions);
  /** The base URL. */
  readonly baseUrl: string;
  /** The idempotency store (undefined until `ready` when it is PostgreSQL). */
  readonly store: Store;
  /** Resolves once the client's store is open (at once, unless it is PostgreSQL). */
  readonly ready: Promise<void>;
  /** Sends one call; resolves with the 2xx answer, rejects with an `OncelyError` (or `TypeError` for bad arguments). */
  request(options: RequestOptions): Promise<Response>;
  get(path: string, options?: CallOptions): Promise<Response>;
  post(path: string, options?: CallOptions): Promise<Response>;
  put(path: string, options?: CallOptions): Promise<Response>;
  patch(path: string, options?: CallOptions): Promise<Response>;
  delete(path: string, options?: CallOptions): Promise<Response>;
  /** Sends a call that may answer `202 Accepted` (method defaults to POST). */
  sendOperation<T = unknown>(options: Omit<RequestOptions, 'method'> & { method?: string }): Promise<Operation<T>>;
  /** Continues an operation from its resume token (no network call). */
  resumeOperation<T = unknown>(token: string): Operation<T>;
  /** The pages of a list operation, each one call of `method path` (nothing is sent until a page is asked for). */
  pages<T = any>(method: string, path: string, spec: PageSpec, options?: PagesOptions): Pages<T>;
  /** Sends a call and resolves with its `text/event-stream` answer, read as it arrives and reconnecting with `Last-Event-ID` after a cut. */
  streamEvents(method: string, path: string, options?: StreamOptions): Promise<EventStream>;
  /** Sends a call and resolves with its JSON lines answer, read as it arrives. */
  streamLines<T = any>(method: string, path: string, options?: Omit<StreamOptions, 'lastEventId' | 'reconnect'>): Promise<LineStream<T>>;
}

/** An RFC 9457 problem document. */
export interface Problem {
  type?: string | null;
  title?: string | null;
  status?: number | null;
  detail?: string | null;
  instance?: string | null;
  extensions: Record<string, unknown>;
}

/** The error kinds, as the conformance scenarios name them. */
export type ErrorKind =
  | 'outbox'
  | 'webhook'
  | 'problem'
  | 'status'
  | 'retry_exhausted'
  | 'retry_after_too_long'
  | 'idempotency_conflict'
  | 'precondition_failed'
  | 'timeout'
  | 'circuit_open'
  | 'operation_failed'
  | 'decode'
  | 'transport'
  | 'protocol'
  | 'invalid_resume_token'
  | 'store'
  | 'workflow'
  | 'step'
  | 'panic'
  | 'other';

/** The base class of every oncely error. */
export declare class OncelyError extends Error {
  /** The kind of failure. */
  readonly kind: ErrorKind;
  /** True when the same call may succeed later. */
  readonly retryable: boolean;
  /** The HTTP status behind the error, when there was an answer. */
  readonly status: number | undefined;
  /** The problem document behind the error, when the server sent one. */
  readonly problem: Problem | undefined;
}

/** The server answered with an RFC 9457 problem document. */
export declare class ProblemError extends OncelyError {
  readonly type: string;
  readonly title: string | undefined;
  readonly status: number;
  readonly detail: string | undefined;
  readonly instance: string | undefined;
  readonly extensions: Record<string, unknown>;
  readonly headers: Record<string, string>;
}

/** A non-2xx answer that is not a problem document; the body is kept. */
export declare class StatusError extends OncelyError {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Every allowed attempt failed; `last` (= `cause`) is the last attempt's error. */
export declare class RetryExhaustedError extends OncelyError {
  readonly attempts: number;
  readonly last: OncelyError;
}

/** The server asked to wait longer than the client honours. */
export declare class RetryAfterTooLongError extends OncelyError {
  readonly requestedDelayMs: number;
  readonly limitMs: number;
  readonly last: OncelyError;
}

/** An idempotency key was reused for a different request. */
export declare class IdempotencyConflictError extends OncelyError {
  readonly key: string;
  readonly detail: string;
}

/** An attempt, the deadline or an operation's wait ran out of time. */
export declare class TimeoutError extends OncelyError {
  readonly timeoutKind: 'attempt' | 'deadline' | 'operation';
  readonly elapsedMs: number;
  readonly method: string;
  readonly path: string;
}

/** The host's circuit is open; nothing was sent. */
export declare class CircuitOpenError extends OncelyError {
  readonly host: string;
  readonly retryInMs: number;
}

/** `If-Match` failed (412): the resource changed. Never retried. */
export declare class PreconditionFailedError extends OncelyError {
  readonly body: string;
}

/** A body could not be decoded. */
export declare class DecodeError extends OncelyError {
  readonly what: string;
  readonly path: string;
  readonly reason: string;
  readonly snippet: string;
}

/** The request could not be sent or its answer not read. */
export declare class TransportError extends OncelyError {
  readonly method: string;
  readonly url: string;
  readonly transportKind: 'connect' | 'request' | 'body' | 'tooLarge';
  /** With `tooLarge`: the client's `maxResponseBytes`. */
  readonly limit?: number;
}

/** A long-running operation ended failed or canceled. */
export declare class OperationFailedError extends OncelyError {
  readonly operationStatus: string;
  readonly body: string;
}

/** The server broke the protocol a call relies on. */
export declare class ProtocolError extends OncelyError {
  readonly what: string;
  readonly why: string;
}

/** An operation resume token could not be used. */
export declare class InvalidResumeTokenError extends OncelyError {
  readonly why: string;
}

/** The store or journal failed. */
export declare class StoreError extends OncelyError {
  readonly reason: string;
}

/** The engine could not start, resume or inspect a run (business outcomes are not errors: see `RunOutcome`). */
export declare class WorkflowError extends OncelyError {
  readonly workflowErrorKind:
    | 'invalid_definition'
    | 'unknown_run'
    | 'unknown_workflow'
    | 'run_id_taken'
    | 'definition_changed'
    | 'leased'
    | 'lease_lost'
    | 'wrong_state'
    | 'interrupted'
    | 'no_journal'
    | 'other';
  readonly runId?: string;
  readonly workflow?: string;
  readonly step?: string;
}

/** What a step or compensation gets. Calls made through it carry the step's idempotency key. */
export declare class StepContext {
  private constructor();
  readonly runId: string;
  readonly workflow: string;
  readonly step: string;
  readonly isCompensation: boolean;
  /** 1 for the first attempt (counted across processes). */
  readonly attempt: number;
  /** The step's idempotency key, UUIDv5(run id, step name). */
  readonly key: string;
  readonly idempotencyKey: string;
  /** The run's input. */
  readonly input: any;
  /** The journaled output of an earlier, finished step. */
  output<T = any>(step: string): T;
  /** In a compensation: the output of the step being compensated. */
  ownOutput<T = any>(): T;
  /** A key derived from the step's key and `label`. */
  keyFor(label: string): string;
  request(options: RequestOptions): Promise<Response>;
  get(path: string, options?: CallOptions): Promise<Response>;
  post(path: string, options?: CallOptions): Promise<Response>;
  put(path: string, options?: CallOptions): Promise<Response>;
  patch(path: string, options?: CallOptions): Promise<Response>;
  delete(path: string, options?: CallOptions): Promise<Response>;
  sendOperation<T = unknown>(options: Omit<RequestOptions, 'method'> & { method?: string }): Promise<Operation<T>>;
}

/** A step failure: `retryable: true` asks for another attempt; otherwise the run compensates. */
export declare class StepError extends OncelyError {
  constructor(message: string, options?: { retryable?: boolean });
  readonly stepErrorKind: 'retryable' | 'permanent' | 'store';
}

/** Where a run stands. */
export type RunState = 'pending' | 'running' | 'compensating' | 'completed' | 'compensated' | 'needs_attention';

/** Where a run ended up. */
export interface RunOutcome {
  runId: string;
  workflow: string;
  /** `completed`, `compensated` or `needs_attention`. */
  state: RunState;
  /** Outputs of the steps that succeeded, by step name. */
  outputs: Record<string, any>;
  /** The failure that made the run compensate (`{ step, phase, error: { kind, message, status, problem } }`). */
  error: any;
}

/** A run as the journal knows it. */
export interface RunRecord {
  runId: string;
  workflow: string;
  fingerprint: string;
  steps: string[];
  input: any;
  state: RunState;
  error: any;
  generation: number;
  leaseOwner: string | null;
  leaseUntilMs: number;
  createdMs: number;
  updatedMs: number;
}

/** One step or compensation as the journal knows it. */
export interface StepRecord {
  runId: string;
  index: number;
  phase: 'action' | 'compensation';
  name: string;
  key: string;
  status: 'started' | 'succeeded' | 'failed';
  attempts: number;
  output: any;
  error: any;
  resumeToken: string | null;
  startedMs: number;
  finishedMs: number | null;
}

/** One run with its steps and history. */
export interface RunDetails {
  run: RunRecord;
  steps: StepRecord[];
  events: Array<{ runId: string; seq: number; atMs: number; kind: string; step: string | null; phase: string | null; attempt: number | null; detail: any }>;
}

/** A step function. */
export type StepFunction<T = any> = (ctx: StepContext) => Promise<T> | T;

/** A workflow (saga): ordered steps, each an async action and an optional compensation. */
export declare class Workflow {
  constructor(name: string, options?: { actionRetry?: RetryOptions; compensationRetry?: RetryOptions });
  readonly name: string;
  readonly stepNames: string[];
  /** The fingerprint of the step list (names and order). */
  readonly fingerprint: string;
  /** Appends a step whose output is journaled. */
  step(name: string, action: StepFunction, options?: { compensate?: StepFunction<void> }): this;
  /** Appends a step that starts a 202 operation (resolve with `ctx.sendOperation(…)`); its result is the output. */
  operationStep(name: string, submit: StepFunction<Operation<any>>, options?: { compensate?: StepFunction<void> }): this;
  /** Sets the compensation of the step added last. */
  compensate(fn: StepFunction<void>): this;
  /** Runs the workflow on the client's store (a known run id continues that run). */
  run(client: Client, options?: { runId?: string; input?: unknown }): Promise<RunOutcome>;
  /** Continues a run after a crash. */
  resume(client: Client, runId: string): Promise<RunOutcome>;
  /** One run with its steps and history. */
  static inspect(client: Client, runId: string): Promise<RunDetails>;
  /** Runs, newest first. */
  static list(client: Client, filter?: { states?: RunState | RunState[]; workflow?: string; limit?: number }): Promise<RunRecord[]>;
}

/** Drives runs of registered workflows through the journal of a client's store. */
export declare class WorkflowEngine {
  constructor(client: Client, options?: { owner?: string; leaseMs?: number; workflows?: Array<Workflow | ArazzoWorkflow> });
  /** Registers a workflow, so runs of it can be resumed by id and worked. */
  register(workflow: Workflow | ArazzoWorkflow): this;
  start(workflow: Workflow, options?: { runId?: string; input?: unknown }): Promise<RunOutcome>;
  resume(runId: string): Promise<RunOutcome>;
  /** Sends a parked (`needs_attention`) run back and drives it again. */
  retry(runId: string): Promise<RunOutcome>;
  show(runId: string): Promise<RunDetails>;
  list(filter?: { states?: RunState | RunState[]; workflow?: string; limit?: number }): Promise<RunRecord[]>;
  /** Works through pending runs (until idle by default). */
  work(options?: { concurrency?: number; idlePollMs?: number; stopWhenIdle?: boolean }): Promise<{ completed: number; compensated: number; parked: number; errors: number }>;
}

/** Where a run of an Arazzo workflow ended. */
export interface ArazzoOutcome {
  runId: string;
  /** The workflow's `workflowId`. */
  workflow: string;
  state: 'completed' | 'compensated' | 'needs_attention';
  completed: boolean;
  /** The workflow's `outputs`, evaluated (empty unless completed). */
  outputs: Record<string, unknown>;
  /** Each journaled step's `outputs`, by step name (`stepId`). */
  stepOutputs: Record<string, unknown>;
  /** The step whose failure ended the run, when it did not complete. */
  failedStep: string | null;
  /** The failure that made the run compensate (`{ step, phase, error }`). */
  error: Record<string, unknown> | null;
}

/**
 * One workflow of an Arazzo 1.0 document, checked and compiled: each step a
 * journaled engine step whose writes carry the step's idempotency key, its
 * `x-oncely-compensate` call the step's compensation. Loading, checking or
 * compiling failures throw a `TypeError` naming the JSON pointer.
 */
export declare class ArazzoWorkflow {
  private constructor();
  /** Loads the Arazzo file at `path`; `servers`: source description name → base URL. */
  static load(path: string, workflowId: string, options?: { servers?: Record<string, string> }): ArazzoWorkflow;
  /** Like `load`, from the document's text and the OpenAPI text of every source description. */
  static fromDocument(
    document: string,
    workflowId: string,
    options: { openapi: Record<string, string>; servers?: Record<string, string>; documentName?: string },
  ): ArazzoWorkflow;
  /** The `workflowId` (also the workflow's name on the engine). */
  readonly workflowId: string;
  /** The Arazzo steps, in document order. */
  readonly stepIds: string[];
  /** Registers the workflow with `engine`, so `engine.resume` and `engine.work()` drive its runs. */
  register(engine: WorkflowEngine): void;
  /** Starts a run (or continues the run `runId`) and drives it to its end. */
  run(engine: WorkflowEngine, inputs?: Record<string, unknown>, options?: { runId?: string }): Promise<ArazzoOutcome>;
  /** Continues a run after a crash. */
  resume(engine: WorkflowEngine, runId: string): Promise<ArazzoOutcome>;
}

/** The outbox refused or failed. */
export declare class OutboxError extends OncelyError {
  readonly outboxErrorKind: 'invalid_call' | 'duplicate_intent' | 'not_installed' | 'not_found' | 'wrong_state' | 'store' | 'error';
  /** For `duplicate_intent`: the row that has the intent. */
  readonly existing: number | null;
}

/** What an outbox call carries. */
export interface OutboxCallOptions {
  json?: unknown;
  body?: string | Uint8Array | ArrayBuffer;
  contentType?: string;
  headers?: Record<string, string> | Array<[string, string]>;
  query?: Record<string, string | number | boolean | Array<string | number | boolean>> | Array<[string, string]>;
  pathParams?: Record<string, string | number>;
  /** The intent the idempotency key is derived from (default: a random one at enqueue). */
  intentId?: string;
  /** Rows of one partition are delivered in enqueue order. */
  partition?: string;
  /** Not sent before this many milliseconds from now. */
  delayMs?: number;
}

/** One call to enqueue, checked when made. */
export declare class OutboxCall {
  constructor(method: string, path: string, options?: OutboxCallOptions);
  readonly intentId: string | null;
  /** The `INSERT` for the application's own connection. */
  insertStatement(style?: 'dollar' | 'qmark' | 'format', table?: string): { sql: string; params: Array<null | number | string | Buffer> };
}

/** One outbox row. */
export interface OutboxRow {
  id: number;
  partition: string | null;
  method: string;
  path_template: string;
  path_params: Record<string, string>;
  query: Array<[string, string]>;
  headers: Array<[string, string]>;
  body: string | null;
  content_type: string | null;
  intent_id: string;
  idempotency_key: string;
  state: 'pending' | 'in_flight' | 'delivered' | 'dead' | 'discarded';
  attempts: number;
  not_before_ms: number;
  created_ms: number;
  lease_owner: string | null;
  lease_until_ms: number | null;
  fence: number;
  last_error: Record<string, unknown> | null;
  response: Record<string, unknown> | null;
  finished_ms: number | null;
}

/** Rows per state and the oldest pending row's age. */
export interface OutboxStats {
  pending: number;
  in_flight: number;
  delivered: number;
  dead: number;
  discarded: number;
  oldest_pending_age_ms: number;
}

/** What a dispatch did. */
export interface DispatchReport {
  delivered: number;
  retried: number;
  dead: number;
  lease_lost: number;
}

/** An outbox table, created or migrated when opened. */
export declare class Outbox {
  static open(location: string): Promise<Outbox>;
  readonly location: string;
  enqueue(call: OutboxCall): Promise<number>;
  get(id: number): Promise<OutboxRow>;
  list(options?: { state?: OutboxRow['state']; partition?: string; limit?: number }): Promise<OutboxRow[]>;
  retry(id: number): Promise<OutboxRow>;
  discard(id: number): Promise<OutboxRow>;
  stats(): Promise<OutboxStats>;
  dispatch(
    client: Client,
    options?: { concurrency?: number; maxAttempts?: number; owner?: string; leaseMs?: number; rate?: number },
  ): Promise<DispatchReport>;
}

/** A `pg` client (or pool client) as `enqueuePg` uses it. */
export interface PgQueryable {
  query(sql: string, params: unknown[]): Promise<{ rows: Array<{ id: number | string }> }>;
}

/**
 * Exports every finished span and the current metrics of the native core now
 * (also done when the event loop empties). Does nothing when the core exports
 * nothing; throws when the collector cannot be reached.
 *
 * The core exports over OTLP when the standard `OTEL_EXPORTER_OTLP_*`
 * variables are set when the addon loads. A call made while an
 * `@opentelemetry/api` span is active continues that trace either way.
 */
export declare function flushTelemetry(): void;

/** Whether the native core exports its spans and metrics (the OTLP variables were set at load). */
export declare function telemetryEnabled(): boolean;

/** A `better-sqlite3` database as `enqueueSqlite` uses it. */
export interface SqliteDatabase {
  prepare(sql: string): { get(...params: unknown[]): { id: number | bigint } | undefined };
}

/** Enqueues on the application's `pg` client inside its transaction. */
export declare function enqueuePg(client: PgQueryable, call: OutboxCall, options?: { schema?: string }): Promise<number>;

/** Enqueues on the application's `better-sqlite3` database inside its transaction. */
export declare function enqueueSqlite(db: SqliteDatabase, call: OutboxCall, options?: { table?: string }): number;

/** What a webhook error names. */
export type WebhookErrorKind =
  | 'missing_header'
  | 'malformed_header'
  | 'no_valid_signature'
  | 'timestamp_out_of_tolerance'
  | 'invalid_secret'
  | 'malformed_body'
  | 'invalid_config'
  | 'not_installed'
  | 'handler_failed'
  | 'lease_lost'
  | 'store';

/** A webhook delivery was refused, or its processing failed. */
export declare class WebhookError extends OncelyError {
  readonly kind: 'webhook';
  /** What failed. */
  readonly webhookErrorKind: WebhookErrorKind;
  /** What to answer the sender: 400 when verification refused the delivery, else 500. */
  readonly httpStatus: number;
  /** The header at fault (`missing_header`, `malformed_header`). */
  readonly header?: string;
  /** For `timestamp_out_of_tolerance`: the signed time and now (Unix seconds). */
  readonly timestamp?: number;
  readonly now?: number;
  /** For `timestamp_out_of_tolerance`: the tolerance in seconds. */
  readonly tolerance?: number;
  /** For `handler_failed` and `lease_lost`: the event. */
  readonly eventId?: string;
}

/** Headers as a receiver has them. */
export type WebhookHeaders =
  | Record<string, string | string[] | undefined>
  | { forEach(callback: (value: string, name: string) => void): void; get(name: string): string | null | undefined };

/** A signed body. */
export type WebhookBody = Buffer | Uint8Array | string;

/** A verified delivery. */
export interface VerifiedWebhook {
  /** The event id, the same on every delivery of the event. */
  id: string;
  /** The signed timestamp (Unix seconds). */
  timestamp: number;
}

/** How a delivery is verified. */
export interface VerifyOptions {
  /** How far the timestamp may be from now, either way (default 300 000). */
  toleranceMs?: number;
  /** Now, instead of the clock (tests). */
  now?: Date | number;
}

/** Verifies a Standard Webhooks delivery; throws a `WebhookError`. */
export declare function verifyStandardWebhook(
  secret: string | string[],
  headers: WebhookHeaders,
  body: WebhookBody,
  options?: VerifyOptions,
): VerifiedWebhook;

/** Verifies a Stripe (`Stripe-Signature`) delivery; throws a `WebhookError`. */
export declare function verifyStripeWebhook(
  secret: string | string[],
  headers: WebhookHeaders,
  body: WebhookBody,
  options?: VerifyOptions,
): VerifiedWebhook;

/** The `webhook-signature` value for a delivery. */
export declare function signStandardWebhook(secret: string | string[], id: string, timestamp: number, body: WebhookBody): string;

/** The `Stripe-Signature` value for a delivery. */
export declare function signStripeWebhook(secret: string | string[], timestamp: number, body: WebhookBody): string;

/** The inbox's answer to one delivery. */
export interface WebhookReceipt {
  status: 'processed' | 'duplicate' | 'in_progress';
  eventId: string;
  /** The handler's result (now, or when it was processed). */
  result: unknown;
  /** 200, or 409 while another delivery processes the event. */
  httpStatus: number;
  /** While in progress: until when the other delivery holds the event. */
  leaseUntilMs?: number;
}

/** One event as the inbox keeps it. */
export interface WebhookRecord {
  source: string;
  eventId: string;
  state: 'processing' | 'done' | 'failed';
  attempts: number;
  receivedMs: number;
  leaseUntilMs: number | null;
  finishedMs: number | null;
  result: unknown;
  lastError: string | null;
}

/** Options of `WebhookInbox.open`. */
export interface WebhookInboxOptions {
  /** The signing secret(s). */
  secret: string | string[];
  /** `standard` (default) or `stripe`. */
  scheme?: 'standard' | 'stripe';
  toleranceMs?: number;
  /** The source events are recorded under (default `default`). */
  source?: string;
  /** How long a delivery holds an event (default 60 000). */
  leaseMs?: number;
}

/** A table of received events and the verifier of its deliveries. */
export declare class WebhookInbox {
  static open(location: string, options: WebhookInboxOptions): Promise<WebhookInbox>;
  readonly location: string;
  readonly source: string;
  /** Verifies, then runs `handler` once per event id. */
  receive(headers: WebhookHeaders, body: WebhookBody, handler: (event: VerifiedWebhook) => unknown): Promise<WebhookReceipt>;
  get(eventId: string): Promise<WebhookRecord | null>;
  list(options?: { limit?: number }): Promise<WebhookRecord[]>;
}

/** A `better-sqlite3` database as `claimEventSqlite` uses it. */
export interface SqliteClaimer {
  prepare(sql: string): { get(...params: unknown[]): unknown };
}

/** A `pg` client as `claimEventPg` uses it. */
export interface PgClaimer {
  query(sql: string, params: unknown[]): Promise<{ rows: unknown[] }>;
}

/** Claims an event inside the application's `better-sqlite3` transaction: `true` when new. */
export declare function claimEventSqlite(db: SqliteClaimer, eventId: string, options?: { source?: string; table?: string }): boolean;

/** Claims an event inside the application's `pg` transaction: `true` when new. */
export declare function claimEventPg(client: PgClaimer, eventId: string, options?: { source?: string; schema?: string }): Promise<boolean>;

/** The version of the native core. */
export declare const nativeVersion: string;
