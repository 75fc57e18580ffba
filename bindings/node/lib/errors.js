'use strict';
/**
 * Error classes of oncely. Every failure of a call is one of these (or a
 * `TypeError` for a bad argument, or the `AbortSignal`'s reason when the call
 * was aborted). The Rust core decides what failed; this module only turns its
 * payload into the matching class.
 */

/** Prefix of native error messages that carry a JSON payload (see src/errors.rs). */
const MARKER = '\u0001oncely:';

/** The base class of every oncely error. */
class OncelyError extends Error {
  /**
   * @param {Record<string, any>} payload the native error payload
   */
  constructor(payload) {
    super(payload.message, payload.last ? { cause: fromPayload(payload.last) } : undefined);
    /** Machine-readable kind, e.g. `retry_exhausted` (the conformance vocabulary). */
    this.kind = payload.kind;
    /** True when trying the same call again later may succeed. */
    this.retryable = Boolean(payload.retryable);
    /** The HTTP status behind the error, when there was an answer. */
    this.status = payload.status ?? undefined;
    /** The RFC 9457 problem document behind the error, when the server sent one. */
    this.problem = payload.problem ?? undefined;
  }
}

/** The server answered with an RFC 9457 problem document. */
class ProblemError extends OncelyError {
  constructor(payload) {
    super(payload);
    const p = payload.problem || {};
    /** The problem type URI (`about:blank` when absent). */
    this.type = p.type ?? 'about:blank';
    this.title = p.title ?? undefined;
    /** The HTTP status of the answer. */
    this.status = payload.status;
    this.detail = p.detail ?? undefined;
    this.instance = p.instance ?? undefined;
    /** Every non-standard member of the problem document. */
    this.extensions = p.extensions || {};
    /** The response headers. */
    this.headers = payload.headers || {};
  }
}

/** A non-2xx answer whose body is not a problem document; the body is kept as received. */
class StatusError extends OncelyError {
  constructor(payload) {
    super(payload);
    this.headers = payload.headers || {};
    /** The raw response body (text). */
    this.body = payload.body ?? '';
  }
}

/** Every allowed attempt failed with a retryable error; `cause` is the last one. */
class RetryExhaustedError extends OncelyError {
  constructor(payload) {
    super(payload);
    this.attempts = payload.attempts;
    /** The error of the last attempt (also `cause`). */
    this.last = this.cause;
  }
}

/** The server asked to wait longer than the client honours (or the deadline leaves). */
class RetryAfterTooLongError extends OncelyError {
  constructor(payload) {
    super(payload);
    this.requestedDelayMs = payload.requestedDelayMs;
    this.limitMs = payload.limitMs;
    this.last = this.cause;
  }
}

/** An idempotency key was reused for a different request (locally or by the server, 422). */
class IdempotencyConflictError extends OncelyError {
  constructor(payload) {
    super(payload);
    this.key = payload.key;
    this.detail = payload.detail;
  }
}

/** An attempt, the call's deadline or an operation's wait ran out of time. */
class TimeoutError extends OncelyError {
  constructor(payload) {
    super(payload);
    /** `attempt`, `deadline` or `operation`. */
    this.timeoutKind = payload.timeoutKind;
    this.elapsedMs = payload.elapsedMs;
    this.method = payload.method;
    this.path = payload.path;
  }
}

/** The host's circuit breaker is open: nothing was sent. */
class CircuitOpenError extends OncelyError {
  constructor(payload) {
    super(payload);
    this.host = payload.host;
    this.retryInMs = payload.retryInMs;
  }
}

/** A conditional request (`If-Match`) failed with 412: the resource changed. */
class PreconditionFailedError extends OncelyError {
  constructor(payload) {
    super(payload);
    this.body = payload.body ?? '';
  }
}

/** A body could not be decoded as expected (not JSON, wrong shape). */
class DecodeError extends OncelyError {
  constructor(payload) {
    super(payload);
    this.what = payload.what;
    /** The path to the first failing member (`.` for the root). */
    this.path = payload.path;
    this.reason = payload.reason;
    /** The first bytes of the body. */
    this.snippet = payload.snippet;
  }
}

/** The request could not be sent, or its answer could not be read. */
class TransportError extends OncelyError {
  constructor(payload) {
    super(payload);
    this.method = payload.method;
    this.url = payload.url;
    /** `connect` (nothing was sent), `request`, `body` or `tooLarge`. */
    this.transportKind = payload.transportKind;
    /** With `tooLarge`: the client's `maxResponseBytes`. */
    if (payload.limit !== undefined) this.limit = payload.limit;
  }
}

/** A long-running operation ended failed or canceled. */
class OperationFailedError extends OncelyError {
  constructor(payload) {
    super(payload);
    /** The terminal status the server reported. */
    this.operationStatus = payload.operationStatus;
    this.body = payload.body ?? '';
  }
}

/** The server broke the protocol a call relies on (e.g. a 202 without a status link). */
class ProtocolError extends OncelyError {
  constructor(payload) {
    super(payload);
    this.what = payload.what;
    this.why = payload.why;
  }
}

/** An operation resume token could not be used. */
class InvalidResumeTokenError extends OncelyError {
  constructor(payload) {
    super(payload);
    this.why = payload.why;
  }
}

/** The idempotency store (or workflow journal) failed. */
class StoreError extends OncelyError {
  constructor(payload) {
    super(payload);
    this.reason = payload.reason;
  }
}

/** A workflow run failed; its completed steps were compensated (see `compensated`). */
class WorkflowError extends OncelyError {
  constructor(payload) {
    super(payload);
    /** `unknown_run`, `definition_changed`, `leased`, `interrupted`, … */
    this.workflowErrorKind = payload.workflowErrorKind;
    Object.assign(this, payload.fields || {});
  }
}

const CLASSES = {
  problem: ProblemError,
  status: StatusError,
  retry_exhausted: RetryExhaustedError,
  retry_after_too_long: RetryAfterTooLongError,
  idempotency_conflict: IdempotencyConflictError,
  timeout: TimeoutError,
  circuit_open: CircuitOpenError,
  precondition_failed: PreconditionFailedError,
  decode: DecodeError,
  transport: TransportError,
  operation_failed: OperationFailedError,
  protocol: ProtocolError,
  invalid_resume_token: InvalidResumeTokenError,
  store: StoreError,
  workflow: WorkflowError,
};

// `error.name` is the class name (also in stack traces), and stays assignable.
for (const Class of [OncelyError, ...Object.values(CLASSES)]) {
  Object.defineProperty(Class.prototype, 'name', { value: Class.name, writable: true, configurable: true, enumerable: false });
}

/** Registers a class defined in another module, giving it its name. */
function nameClass(Class) {
  Object.defineProperty(Class.prototype, 'name', { value: Class.name, writable: true, configurable: true, enumerable: false });
}

/** A `TypeError` for a bad argument, naming it. */
function invalidArgument(message, fields) {
  const error = new TypeError(message);
  error.code = 'ERR_ONCELY_INVALID_ARGUMENT';
  if (fields) Object.assign(error, fields);
  return error;
}

/** The error for an aborted call: the signal's reason, like `fetch`. */
function abortError(signal) {
  if (signal && signal.reason !== undefined) return signal.reason;
  return new DOMException('This operation was aborted', 'AbortError');
}

/** Builds the JS error for a native payload. */
function fromPayload(payload) {
  switch (payload.kind) {
    case 'invalid_input':
      return invalidArgument(payload.message, { what: payload.what, why: payload.why });
    case 'aborted':
      return abortError(undefined);
    case 'panic': {
      const error = new OncelyError(payload);
      error.code = 'ERR_ONCELY_INTERNAL';
      return error;
    }
    default: {
      const Class = CLASSES[payload.kind] || OncelyError;
      const error = new Class(payload);
      if (typeof payload.stepErrorId === 'number') {
        Object.defineProperty(error, 'stepErrorId', { value: payload.stepErrorId });
      }
      return error;
    }
  }
}

/** Registers the class for a payload kind defined in another module. */
function registerKind(kind, Class) {
  CLASSES[kind] = Class;
  nameClass(Class);
}

/** Turns an error thrown by the native addon into an oncely error (others pass through). */
function fromNative(error) {
  if (!(error instanceof Error) || typeof error.message !== 'string') return error;
  const at = error.message.indexOf(MARKER);
  if (at < 0) return error;
  let payload;
  try {
    payload = JSON.parse(error.message.slice(at + MARKER.length));
  } catch {
    return error;
  }
  return fromPayload(payload);
}

/** Runs a native call, converting what it throws. */
function callNative(fn) {
  try {
    return fn();
  } catch (error) {
    throw fromNative(error);
  }
}

module.exports = {
  MARKER,
  OncelyError,
  ProblemError,
  StatusError,
  RetryExhaustedError,
  RetryAfterTooLongError,
  IdempotencyConflictError,
  TimeoutError,
  CircuitOpenError,
  PreconditionFailedError,
  DecodeError,
  TransportError,
  OperationFailedError,
  ProtocolError,
  InvalidResumeTokenError,
  StoreError,
  WorkflowError,
  invalidArgument,
  abortError,
  fromNative,
  fromPayload,
  callNative,
  registerKind,
};
