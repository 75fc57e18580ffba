// ESM entry point: the same classes as the CommonJS entry (one module instance,
// so `instanceof` works whichever way the package is loaded).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const oncely = require('./index.js');

export const {
  Client,
  Store,
  Response,
  Operation,
  Pages,
  EventStream,
  LineStream,
  ServerEvent,
  Workflow,
  WorkflowEngine,
  StepContext,
  StepError,
  ArazzoWorkflow,
  Outbox,
  OutboxCall,
  OutboxError,
  enqueuePg,
  enqueueSqlite,
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
  nativeVersion,
} = oncely;
export default oncely;
