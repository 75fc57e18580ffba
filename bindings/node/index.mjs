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
  WebhookError,
  WebhookInbox,
  verifyStandardWebhook,
  verifyStripeWebhook,
  signStandardWebhook,
  signStripeWebhook,
  claimEventSqlite,
  claimEventPg,
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
