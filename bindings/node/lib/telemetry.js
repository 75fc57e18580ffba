'use strict';

/**
 * OpenTelemetry across the language boundary.
 *
 * - Trace context in: a call started while an OpenTelemetry span is active
 *   continues its trace. When `@opentelemetry/api` can be loaded (the
 *   application's own copy), its global propagator writes the active
 *   context's `traceparent`/`tracestate` as the call is made, and the core
 *   continues that trace. Without the package, or with no active span,
 *   nothing is sent; the package is looked up once.
 * - Spans out: the core exports its own spans and metrics over OTLP when the
 *   standard `OTEL_EXPORTER_OTLP_*` variables are set when the addon loads;
 *   `flushTelemetry()` (also run when the event loop empties) sends what is
 *   pending.
 */

const native = require('../native.cjs');

/** `@opentelemetry/api`, `null` when it cannot be loaded, `undefined` until looked up. */
let api;

function openTelemetryApi() {
  if (api === undefined) {
    try {
      api = require('@opentelemetry/api');
    } catch {
      api = null;
    }
  }
  return api;
}

/**
 * The active OpenTelemetry context as W3C headers, or `undefined`.
 * @returns {{ traceparent: string, tracestate?: string } | undefined}
 */
function currentTraceContext() {
  const otel = openTelemetryApi();
  if (!otel) return undefined;
  const carrier = {};
  try {
    otel.propagation.inject(otel.context.active(), carrier);
  } catch {
    // A failing propagator loses the trace, never the call.
    return undefined;
  }
  if (typeof carrier.traceparent !== 'string') return undefined;
  return {
    traceparent: carrier.traceparent,
    tracestate: typeof carrier.tracestate === 'string' ? carrier.tracestate : undefined,
  };
}

const status = native.installTelemetry();
const enabled = status.enabled;
if (status.error) process.emitWarning(`oncely: OpenTelemetry export is off: ${status.error}`);

/**
 * Exports every finished span and the current metrics of the core now.
 * Does nothing when the core exports nothing; throws when the collector
 * cannot be reached.
 */
function flushTelemetry() {
  if (enabled) native.flushTelemetry();
}

/** Whether the core exports its spans and metrics (the OTLP variables were set at load). */
function telemetryEnabled() {
  return enabled;
}

if (enabled) {
  process.once('beforeExit', () => {
    try {
      native.flushTelemetry();
    } catch (error) {
      process.emitWarning(`oncely: exporting telemetry failed: ${error.message}`);
    }
  });
}

module.exports = { currentTraceContext, flushTelemetry, telemetryEnabled };
