//! The exception hierarchy of `oncely` and the translation of every
//! [`oncely::Error`] into it.
//!
//! The classes are created when the module loads (with `type(...)`, so that a
//! class can also derive from a built-in: `oncely.TimeoutError` is a
//! `TimeoutError`, `oncely.InvalidInputError` a `ValueError`). Every exception
//! carries the fields of its Rust variant as attributes, plus `status`,
//! `retryable` and `problem` on all of them. What an error's kind and fields
//! are is decided once, for both bindings, by the shared `ErrorView`; this
//! module renders it with Python names and units.

use std::any::Any;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};
use pyo3::IntoPyObjectExt;

use oncely_bindings_common::{
    error_view, Binding, Detail, ErrorKind, ErrorView, SpecError, TransportWhat,
};

use crate::convert::{headers_to_py, json_to_py};
use crate::response::PyResponse;

/// One exception class of the hierarchy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Error,
    InvalidInput,
    Transport,
    Timeout,
    Problem,
    Status,
    PreconditionFailed,
    Decode,
    IdempotencyConflict,
    RetryExhausted,
    RetryAfterTooLong,
    CircuitOpen,
    OperationFailed,
    Protocol,
    InvalidResumeToken,
    Store,
    Workflow,
    Step,
    Outbox,
    Webhook,
    Internal,
}

/// One class of the hierarchy: its name, parent, extra built-in base and docstring.
struct ClassSpec {
    kind: Kind,
    name: &'static str,
    parent: Option<Kind>,
    builtin: Option<&'static str>,
    doc: &'static str,
}

/// Every class, parents first.
const CLASSES: &[ClassSpec] = &[
    ClassSpec {
        kind: Kind::Error,
        name: "Error",
        parent: None,
        builtin: Some("Exception"),
        doc: "Base class of every error oncely raises.",
    },
    ClassSpec {
        kind: Kind::InvalidInput,
        name: "InvalidInputError",
        parent: Some(Kind::Error),
        builtin: Some("ValueError"),
        doc: "A client or request setting that cannot work (bad URL, header, timeout, ...); nothing was sent.",
    },
    ClassSpec {
        kind: Kind::Transport,
        name: "TransportError",
        parent: Some(Kind::Error),
        builtin: None,
        doc: "The request could not be sent or its answer not read (`kind`: connect, request or body).",
    },
    ClassSpec {
        kind: Kind::Timeout,
        name: "TimeoutError",
        parent: Some(Kind::Error),
        builtin: Some("TimeoutError"),
        doc: "An attempt, the whole call or an operation ran out of time (`kind`: attempt, deadline, operation).",
    },
    ClassSpec {
        kind: Kind::Problem,
        name: "ProblemError",
        parent: Some(Kind::Error),
        builtin: None,
        doc: "The server answered with an RFC 9457 problem document (type, title, status, detail, instance, extensions).",
    },
    ClassSpec {
        kind: Kind::Status,
        name: "StatusError",
        parent: Some(Kind::Error),
        builtin: None,
        doc: "The server answered with an unexpected status and a body that is not a problem document (kept in `content`).",
    },
    ClassSpec {
        kind: Kind::PreconditionFailed,
        name: "PreconditionFailedError",
        parent: Some(Kind::Error),
        builtin: None,
        doc: "A conditional request (If-Match) failed with 412: the resource changed. Never retried.",
    },
    ClassSpec {
        kind: Kind::Decode,
        name: "DecodeError",
        parent: Some(Kind::Error),
        builtin: None,
        doc: "A body could not be decoded (`what`, `path`, `message`, `snippet`).",
    },
    ClassSpec {
        kind: Kind::IdempotencyConflict,
        name: "IdempotencyConflictError",
        parent: Some(Kind::Error),
        builtin: None,
        doc: "An idempotency key (or intent id) was reused for a different request.",
    },
    ClassSpec {
        kind: Kind::RetryExhausted,
        name: "RetryExhaustedError",
        parent: Some(Kind::Error),
        builtin: None,
        doc: "Every allowed attempt failed with a retryable error (`attempts`, `last_error`).",
    },
    ClassSpec {
        kind: Kind::RetryAfterTooLong,
        name: "RetryAfterTooLongError",
        parent: Some(Kind::Error),
        builtin: None,
        doc: "The server asked to wait longer than the client honours (`requested`, `limit`, `last_error`).",
    },
    ClassSpec {
        kind: Kind::CircuitOpen,
        name: "CircuitOpenError",
        parent: Some(Kind::Error),
        builtin: None,
        doc: "The circuit breaker for the host is open (`host`, `retry_in`).",
    },
    ClassSpec {
        kind: Kind::OperationFailed,
        name: "OperationFailedError",
        parent: Some(Kind::Error),
        builtin: None,
        doc: "A long-running operation ended failed or canceled (`operation_status`, problem fields).",
    },
    ClassSpec {
        kind: Kind::Protocol,
        name: "ProtocolError",
        parent: Some(Kind::Error),
        builtin: None,
        doc: "The server's answer broke the protocol the call relies on (`what`, `why`).",
    },
    ClassSpec {
        kind: Kind::InvalidResumeToken,
        name: "InvalidResumeTokenError",
        parent: Some(Kind::Error),
        builtin: Some("ValueError"),
        doc: "An operation resume token could not be used.",
    },
    ClassSpec {
        kind: Kind::Store,
        name: "StoreError",
        parent: Some(Kind::Error),
        builtin: None,
        doc: "The idempotency store (or workflow journal) failed.",
    },
    ClassSpec {
        kind: Kind::Workflow,
        name: "WorkflowError",
        parent: Some(Kind::Error),
        builtin: None,
        doc: "A workflow run failed, was compensated, or cannot be resumed.",
    },
    ClassSpec {
        kind: Kind::Step,
        name: "StepError",
        parent: Some(Kind::Error),
        builtin: None,
        doc: "Raised by a workflow step to fail it: `StepError(message, retryable=False)`. A retryable failure is tried again (same key); a permanent one compensates the run.",
    },
    ClassSpec {
        kind: Kind::Outbox,
        name: "OutboxError",
        parent: Some(Kind::Error),
        builtin: None,
        doc: "The outbox refused or failed (`kind`: invalid_call, duplicate_intent, not_installed, not_found, wrong_state, store).",
    },
    ClassSpec {
        kind: Kind::Webhook,
        name: "WebhookError",
        parent: Some(Kind::Error),
        builtin: None,
        doc: "A webhook delivery was refused or could not be processed (`kind`: missing_header, malformed_header, no_valid_signature, timestamp_out_of_tolerance, invalid_secret, malformed_body, invalid_config, not_installed, handler_failed, lease_lost, store; `http_status`: what to answer; `header` names the header at fault).",
    },
    ClassSpec {
        kind: Kind::Internal,
        name: "InternalError",
        parent: Some(Kind::Error),
        builtin: None,
        doc: "A bug inside oncely (a Rust panic), turned into an exception instead of crashing.",
    },
];

static TYPES: PyOnceLock<Vec<(Kind, Py<PyType>)>> = PyOnceLock::new();

/// Creates the exception classes and adds them to `module`.
pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = module.py();
    let types = TYPES.get_or_try_init(py, || create_classes(py))?;
    for (kind, class) in types {
        module.add(name_of(*kind), class.clone_ref(py))?;
    }
    Ok(())
}

fn create_classes(py: Python<'_>) -> PyResult<Vec<(Kind, Py<PyType>)>> {
    let builtins = py.import("builtins")?;
    let type_ = builtins.getattr("type")?;
    let mut made: Vec<(Kind, Py<PyType>)> = Vec::new();
    for ClassSpec {
        kind,
        name,
        parent,
        builtin,
        doc,
    } in CLASSES
    {
        let mut bases: Vec<Bound<'_, PyAny>> = Vec::new();
        if let Some(parent) = parent {
            let class = made
                .iter()
                .find(|(k, _)| k == parent)
                .map(|(_, c)| c.bind(py).clone().into_any())
                .ok_or_else(|| PyRuntimeError::new_err("exception parents must come first"))?;
            bases.push(class);
        }
        if let Some(builtin) = builtin {
            bases.push(builtins.getattr(*builtin)?);
        }
        let namespace = PyDict::new(py);
        namespace.set_item("__module__", "oncely")?;
        namespace.set_item("__doc__", *doc)?;
        if *kind == Kind::Step {
            namespace.set_item("__init__", step_error_init(py)?)?;
        }
        let class = type_.call1((*name, PyTuple::new(py, bases)?, namespace))?;
        made.push((*kind, class.cast_into::<PyType>()?.unbind()));
    }
    Ok(made)
}

/// `StepError.__init__(self, message, retryable=False)`.
fn step_error_init(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    let code = c"
def __init__(self, message, retryable=False):
    Exception.__init__(self, message)
    self.retryable = bool(retryable)
    self.status = None
    self.problem = None
";
    pyo3::types::PyModule::from_code(py, code, c"oncely/_step_error.py", c"oncely._step_error")?
        .getattr("__init__")
}

fn name_of(kind: Kind) -> &'static str {
    CLASSES
        .iter()
        .find(|c| c.kind == kind)
        .map(|c| c.name)
        .unwrap_or("Error")
}

/// The class for `kind` (module initialisation created them all).
pub fn class(py: Python<'_>, kind: Kind) -> PyResult<Bound<'_, PyType>> {
    let types = TYPES.get_or_try_init(py, || create_classes(py))?;
    types
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, c)| c.bind(py).clone())
        .ok_or_else(|| PyRuntimeError::new_err("oncely exception classes are missing"))
}

/// A new exception of class `kind` with `message` and attributes.
pub fn new_error(py: Python<'_>, kind: Kind, message: &str, attrs: &[(&str, Py<PyAny>)]) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let exc = class(py, kind)?.call1((message,))?;
        for (name, value) in attrs {
            exc.setattr(*name, value.bind(py))?;
        }
        Ok(PyErr::from_value(exc))
    };
    build().unwrap_or_else(|e| e)
}

/// Why a call into the core failed, before it is turned into an exception
/// (which needs the interpreter).
pub enum Failure {
    /// The core returned an error.
    Core(oncely::Error),
    /// Python code (a callback, a step) raised.
    Python(PyErr),
    /// Rust panicked; the message.
    Panic(String),
    /// An exception built by the module that knows the failure (workflow
    /// and step errors), once the interpreter is held.
    Render(Box<dyn FnOnce(Python<'_>) -> PyErr + Send>),
}

impl std::fmt::Debug for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Core(e) => f.debug_tuple("Core").field(e).finish(),
            Failure::Python(e) => f.debug_tuple("Python").field(e).finish(),
            Failure::Panic(m) => f.debug_tuple("Panic").field(m).finish(),
            Failure::Render(_) => f.write_str("Render(..)"),
        }
    }
}

impl From<oncely::Error> for Failure {
    fn from(e: oncely::Error) -> Self {
        Failure::Core(e)
    }
}

impl From<PyErr> for Failure {
    fn from(e: PyErr) -> Self {
        Failure::Python(e)
    }
}

impl Failure {
    /// The exception for this failure.
    pub fn into_pyerr(self, py: Python<'_>) -> PyErr {
        match self {
            Failure::Core(e) => core_error(py, e),
            Failure::Python(e) => e,
            Failure::Panic(message) => panic_error(py, &message),
            Failure::Render(render) => render(py),
        }
    }

    /// A failure from a caught panic payload.
    pub fn from_panic(payload: Box<dyn Any + Send>) -> Self {
        Failure::Panic(panic_message(payload.as_ref()))
    }
}

/// The text of a panic payload.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

/// `oncely.InternalError` for a Rust panic.
pub fn panic_error(py: Python<'_>, message: &str) -> PyErr {
    new_error(
        py,
        Kind::Internal,
        &format!("internal error in oncely (a bug, please report it): {message}"),
        &[],
    )
}

/// `oncely.InvalidInputError` (a `ValueError`) for a bad argument.
pub fn invalid(py: Python<'_>, what: &str, why: &str) -> PyErr {
    new_error(
        py,
        Kind::InvalidInput,
        &format!("invalid {what}: {why}"),
        &[("what", obj(py, what)), ("why", obj(py, why))],
    )
}

fn obj<'py, T: IntoPyObject<'py>>(py: Python<'py>, value: T) -> Py<PyAny> {
    value.into_py_any(py).unwrap_or_else(|_| py.None())
}

fn problem_attrs(
    py: Python<'_>,
    problem: Option<&oncely::Problem>,
    attrs: &mut Vec<(&'static str, Py<PyAny>)>,
) {
    let field = |v: Option<&String>| v.map(|s| obj(py, s.as_str())).unwrap_or_else(|| py.None());
    attrs.push(("type", field(problem.and_then(|p| p.type_.as_ref()))));
    attrs.push(("title", field(problem.and_then(|p| p.title.as_ref()))));
    attrs.push(("instance", field(problem.and_then(|p| p.instance.as_ref()))));
    let extensions = problem
        .map(|p| json_to_py(py, &serde_json::Value::Object(p.extensions.clone())))
        .unwrap_or_else(|| Ok(PyDict::new(py).into_any().unbind()));
    attrs.push(("extensions", extensions.unwrap_or_else(|_| py.None())));
}

fn problem_json(problem: &oncely::Problem) -> serde_json::Value {
    serde_json::to_value(problem).unwrap_or(serde_json::Value::Null)
}

/// `oncely.InvalidInputError` for an option refused by the shared rules.
pub fn spec_error(error: SpecError) -> PyErr {
    Python::attach(|py| core_error(py, error.into_error(Binding::Python)))
}

/// Translates a core error into its exception, with every field as an attribute.
pub fn core_error(py: Python<'_>, error: oncely::Error) -> PyErr {
    core_error_ref(py, &error)
}

/// Like [`core_error`], leaving the error to the caller.
pub fn core_error_ref(py: Python<'_>, error: &oncely::Error) -> PyErr {
    render(py, &error_view(error))
}

/// The exception class of a shared error kind.
fn class_of(kind: ErrorKind) -> Kind {
    match kind {
        ErrorKind::InvalidInput => Kind::InvalidInput,
        ErrorKind::Transport => Kind::Transport,
        ErrorKind::Timeout => Kind::Timeout,
        ErrorKind::Problem => Kind::Problem,
        ErrorKind::Status => Kind::Status,
        ErrorKind::PreconditionFailed => Kind::PreconditionFailed,
        ErrorKind::Decode => Kind::Decode,
        ErrorKind::IdempotencyConflict => Kind::IdempotencyConflict,
        ErrorKind::RetryExhausted => Kind::RetryExhausted,
        ErrorKind::RetryAfterTooLong => Kind::RetryAfterTooLong,
        ErrorKind::CircuitOpen => Kind::CircuitOpen,
        ErrorKind::OperationFailed => Kind::OperationFailed,
        ErrorKind::Protocol => Kind::Protocol,
        ErrorKind::InvalidResumeToken => Kind::InvalidResumeToken,
        ErrorKind::Store => Kind::Store,
        ErrorKind::Other => Kind::Error,
    }
}

fn response_obj(
    py: Python<'_>,
    status: u16,
    headers: &http::HeaderMap,
    body: bytes::Bytes,
) -> Py<PyAny> {
    let response = PyResponse::from_parts(status, headers.clone(), body, None);
    Py::new(py, response)
        .map(Py::into_any)
        .unwrap_or_else(|_| py.None())
}

/// The exception for an error's view: the class of its kind, the shared
/// summary fields and the fields of its kind (Python names, seconds).
fn render(py: Python<'_>, view: &ErrorView<'_>) -> PyErr {
    let mut attrs: Vec<(&'static str, Py<PyAny>)> = vec![
        ("status", obj(py, view.status)),
        ("retryable", obj(py, view.retryable)),
        (
            "problem",
            view.problem
                .map(|p| json_to_py(py, &problem_json(p)).unwrap_or_else(|_| py.None()))
                .unwrap_or_else(|| py.None()),
        ),
    ];
    let mut cause: Option<PyErr> = None;
    match &view.detail {
        Detail::InvalidInput { what, why } | Detail::Protocol { what, why } => {
            attrs.push(("what", obj(py, *what)));
            attrs.push(("why", obj(py, *why)));
        }
        Detail::Transport {
            method,
            url,
            what,
            limit,
        } => {
            attrs.push(("method", obj(py, *method)));
            attrs.push(("url", obj(py, *url)));
            let kind = match what {
                TransportWhat::Connect => "connect",
                TransportWhat::Request => "request",
                TransportWhat::Body => "body",
                TransportWhat::TooLarge => "too_large",
            };
            attrs.push(("kind", obj(py, kind)));
            attrs.push(("limit", obj(py, *limit)));
        }
        Detail::Timeout {
            method,
            path,
            kind,
            elapsed,
        } => {
            attrs.push(("method", obj(py, *method)));
            attrs.push(("path", obj(py, *path)));
            attrs.push(("kind", obj(py, kind.to_string())));
            attrs.push(("elapsed", obj(py, elapsed.as_secs_f64())));
        }
        Detail::Problem {
            status,
            problem,
            headers,
        } => {
            problem_attrs(py, Some(problem), &mut attrs);
            attrs.push(("detail", obj(py, problem.detail.clone())));
            attrs.push(("headers", headers_to_py(py, headers)));
            let body = serde_json::to_vec(problem).unwrap_or_default();
            attrs.push(("response", response_obj(py, *status, headers, body.into())));
        }
        Detail::Status {
            status,
            headers,
            body,
        } => {
            attrs.push(("headers", headers_to_py(py, headers)));
            attrs.push(("content", obj(py, &body[..])));
            attrs.push((
                "response",
                response_obj(py, *status, headers, (*body).clone()),
            ));
        }
        Detail::PreconditionFailed { problem, body } => {
            problem_attrs(py, *problem, &mut attrs);
            attrs.push(("detail", obj(py, problem.and_then(|p| p.detail.clone()))));
            attrs.push(("content", obj(py, &body[..])));
        }
        Detail::Decode {
            what,
            path,
            message,
            snippet,
        } => {
            attrs.push(("what", obj(py, *what)));
            attrs.push(("path", obj(py, *path)));
            attrs.push(("message", obj(py, *message)));
            attrs.push(("snippet", obj(py, *snippet)));
        }
        Detail::IdempotencyConflict {
            key,
            detail,
            problem,
        } => {
            problem_attrs(py, *problem, &mut attrs);
            attrs.push(("key", obj(py, *key)));
            attrs.push(("detail", obj(py, *detail)));
        }
        Detail::RetryExhausted { attempts, last } => {
            let last = render(py, last);
            attrs.push(("attempts", obj(py, *attempts)));
            attrs.push(("last_error", last.value(py).clone().into_any().unbind()));
            cause = Some(last);
        }
        Detail::RetryAfterTooLong {
            requested,
            limit,
            last,
        } => {
            let last = render(py, last);
            attrs.push(("requested", obj(py, requested.as_secs_f64())));
            attrs.push(("limit", obj(py, limit.as_secs_f64())));
            attrs.push(("last_error", last.value(py).clone().into_any().unbind()));
            cause = Some(last);
        }
        Detail::CircuitOpen { host, retry_in } => {
            attrs.push(("host", obj(py, *host)));
            attrs.push(("retry_in", obj(py, retry_in.as_secs_f64())));
        }
        Detail::OperationFailed {
            status,
            problem,
            body,
        } => {
            problem_attrs(py, *problem, &mut attrs);
            attrs.push(("detail", obj(py, problem.and_then(|p| p.detail.clone()))));
            attrs.push(("operation_status", obj(py, *status)));
            attrs.push(("content", obj(py, &body[..])));
        }
        Detail::InvalidResumeToken { why } => attrs.push(("why", obj(py, *why))),
        Detail::Store { .. } | Detail::Other => {}
    }
    let err = new_error(py, class_of(view.kind()), &view.message, &attrs);
    if cause.is_some() {
        err.set_cause(py, cause);
    }
    err
}
