'use strict';
/**
 * oncely — calls to remote APIs that happen once.
 *
 * The public API: `Client`, `Store`, `Response`, `Operation`, `EventStream`, `LineStream`, `ServerEvent`, `Pages`, `Workflow`, `ArazzoWorkflow`, `Outbox`,
 * the webhook inbox and verifiers, and the error classes. Everything is decided by the Rust core (loaded from the
 * native addon); this layer translates values and errors.
 */
const errors = require('./lib/errors.js');
const { Client, Store, Response } = require('./lib/client.js');
const { Operation } = require('./lib/operation.js');
const { EventStream, LineStream, ServerEvent } = require('./lib/stream.js');
const { Pages } = require('./lib/pages.js');
const { Workflow, WorkflowEngine, StepContext, StepError } = require('./lib/workflow.js');
const { ArazzoWorkflow } = require('./lib/arazzo.js');
const { Outbox, OutboxCall, OutboxError, enqueuePg, enqueueSqlite } = require('./lib/outbox.js');
const webhooks = require('./lib/webhooks.js');
const { flushTelemetry, telemetryEnabled } = require('./lib/telemetry.js');
const native = require('./native.cjs');

module.exports = {
  Client,
  Store,
  Response,
  Pages,
  Operation,
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
  flushTelemetry,
  telemetryEnabled,
  WebhookError: webhooks.WebhookError,
  WebhookInbox: webhooks.WebhookInbox,
  verifyStandardWebhook: webhooks.verifyStandardWebhook,
  verifyStripeWebhook: webhooks.verifyStripeWebhook,
  signStandardWebhook: webhooks.signStandardWebhook,
  signStripeWebhook: webhooks.signStripeWebhook,
  claimEventSqlite: webhooks.claimEventSqlite,
  claimEventPg: webhooks.claimEventPg,
  OncelyError: errors.OncelyError,
  ProblemError: errors.ProblemError,
  StatusError: errors.StatusError,
  RetryExhaustedError: errors.RetryExhaustedError,
  RetryAfterTooLongError: errors.RetryAfterTooLongError,
  IdempotencyConflictError: errors.IdempotencyConflictError,
  TimeoutError: errors.TimeoutError,
  CircuitOpenError: errors.CircuitOpenError,
  PreconditionFailedError: errors.PreconditionFailedError,
  DecodeError: errors.DecodeError,
  TransportError: errors.TransportError,
  OperationFailedError: errors.OperationFailedError,
  ProtocolError: errors.ProtocolError,
  InvalidResumeTokenError: errors.InvalidResumeTokenError,
  StoreError: errors.StoreError,
  WorkflowError: errors.WorkflowError,
  /** The version of the native core. */
  nativeVersion: native.nativeVersion(),
};
