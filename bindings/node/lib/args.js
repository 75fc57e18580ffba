'use strict';
/**
 * Argument checks and conversions shared by the public classes. A wrong type
 * is a `TypeError` naming the argument; values themselves (ranges, zero,
 * NaN) are judged on the native side by the rules both bindings share, which
 * also answer with a `TypeError`. No default is filled in here: an option
 * left out is left to the Rust core.
 */
const { invalidArgument, abortError, fromNative } = require('./errors.js');
const native = require('../native.cjs');

function typeName(value) {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? `${value.constructor?.name || 'an'} object` : `${typeof value} ${String(value).slice(0, 40)}`;
}

function isPlainObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `value` must be an object (or absent when `optional`). */
function object(name, value, optional = true) {
  if (value === undefined && optional) return;
  if (!isPlainObject(value)) throw invalidArgument(`${name} must be an object, got ${typeName(value)}`);
}

/** `value` must be a string (or absent). */
function string(name, value, optional = true) {
  if (value === undefined && optional) return undefined;
  if (typeof value !== 'string') throw invalidArgument(`${name} must be a string, got ${typeName(value)}`);
  return value;
}

/** `value` must be a number of milliseconds (or absent); its range is checked natively. */
function millis(name, value) {
  return number(name, value);
}

/** `value` must be a number (or absent); its range is checked natively. */
function number(name, value) {
  if (value === undefined) return undefined;
  if (typeof value !== 'number') throw invalidArgument(`${name} must be a number, got ${typeName(value)}`);
  return value;
}

/** `value` must be an integer ≥ min (or absent). */
function integer(name, value, min = 0) {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < min || value > 0xffffffff) {
    throw invalidArgument(`${name} must be an integer >= ${min}, got ${typeName(value)}`);
  }
  return value;
}

/** `value` must be a boolean (or absent). */
function boolean(name, value) {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw invalidArgument(`${name} must be a boolean, got ${typeName(value)}`);
  return value;
}

/** A scalar rendered for a header, query or path value. */
function scalar(name, value) {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'bigint':
    case 'boolean':
      return String(value);
    default:
      if (value instanceof Date) return value.toISOString();
      throw invalidArgument(`${name} must be a string, number or boolean, got ${typeName(value)}`);
  }
}

/**
 * Name/value pairs from a record, a `Headers`/`URLSearchParams`/`Map` or an
 * array of pairs, flattened to `[name, value, …]`. Arrays as values repeat the
 * name; `undefined` and `null` values are left out.
 */
function pairs(name, value) {
  if (value === undefined || value === null) return undefined;
  const out = [];
  const push = (k, v) => {
    if (v === undefined || v === null) return;
    if (Array.isArray(v)) {
      for (const item of v) push(k, item);
      return;
    }
    out.push(k, scalar(`${name}.${k}`, v));
  };
  if (Array.isArray(value)) {
    for (const entry of value) {
      if (!Array.isArray(entry) || entry.length !== 2) throw invalidArgument(`${name} entries must be [name, value] pairs`);
      push(string(`${name} name`, entry[0], false), entry[1]);
    }
  } else if (typeof value.forEach === 'function' && typeof value.get === 'function' && !isPlainRecord(value)) {
    value.forEach((v, k) => push(k, v));
  } else if (isPlainObject(value)) {
    for (const k of Object.keys(value)) push(k, value[k]);
  } else {
    throw invalidArgument(`${name} must be an object of name/value pairs, got ${typeName(value)}`);
  }
  return out;
}

function isPlainRecord(value) {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Retry options as the native side expects them. */
function retry(name, value) {
  if (value === undefined) return undefined;
  object(name, value);
  return {
    maxAttempts: integer(`${name}.maxAttempts`, value.maxAttempts),
    baseDelayMs: millis(`${name}.baseDelayMs`, value.baseDelayMs),
    maxDelayMs: millis(`${name}.maxDelayMs`, value.maxDelayMs),
    maxServerDelayMs: millis(`${name}.maxServerDelayMs`, value.maxServerDelayMs),
  };
}

/** `value` must be an `AbortSignal` (or absent). */
function signal(name, value) {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || typeof value.aborted !== 'boolean' || typeof value.addEventListener !== 'function') {
    throw invalidArgument(`${name} must be an AbortSignal, got ${typeName(value)}`);
  }
  return value;
}

/**
 * Starts a native call, wiring an optional `AbortSignal` to a native cancel
 * token, and converts native errors into oncely errors.
 *
 * @template T
 * @param {AbortSignal | undefined} abortSignal
 * @param {(token: any) => Promise<T>} start
 * @returns {Promise<T>}
 */
function run(abortSignal, start) {
  if (!abortSignal) {
    let promise;
    try {
      promise = start(undefined);
    } catch (error) {
      return Promise.reject(fromNative(error));
    }
    return promise.then(undefined, rethrowNative);
  }
  if (abortSignal.aborted) return Promise.reject(abortError(abortSignal));
  const token = new native.CancelToken();
  let promise;
  try {
    promise = start(token);
  } catch (error) {
    return Promise.reject(fromNative(error));
  }
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      token.cancel();
      reject(abortError(abortSignal));
    };
    abortSignal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        abortSignal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error) => {
        abortSignal.removeEventListener('abort', onAbort);
        reject(fromNative(error));
      },
    );
  });
}

function rethrowNative(error) {
  throw fromNative(error);
}

module.exports = { object, string, millis, number, integer, boolean, pairs, retry, signal, run, isPlainObject, typeName };
