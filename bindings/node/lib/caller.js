'use strict';
/**
 * The request verbs, written once for everything that sends calls: a
 * `Client`, and a workflow step's `StepContext` (whose calls carry the step's
 * idempotency key). A subclass provides `request(options)`.
 */
class Caller {
  /** `GET path`. */
  get(path, options = {}) {
    return this.request({ ...options, method: 'GET', path });
  }

  /** `POST path` (sent with an idempotency key). */
  post(path, options = {}) {
    return this.request({ ...options, method: 'POST', path });
  }

  /** `PUT path`. */
  put(path, options = {}) {
    return this.request({ ...options, method: 'PUT', path });
  }

  /** `PATCH path` (sent with an idempotency key). */
  patch(path, options = {}) {
    return this.request({ ...options, method: 'PATCH', path });
  }

  /** `DELETE path`. */
  delete(path, options = {}) {
    return this.request({ ...options, method: 'DELETE', path });
  }
}

module.exports = { Caller };
