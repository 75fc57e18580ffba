//! `oncely.Operation` / `oncely.AsyncOperation`: a long-running operation
//! (`202 Accepted`) to wait on, poll, or resume from a token in another
//! process. The core polls; the binding passes progress to a Python callback
//! and the result through an optional `decoder` (the generated clients use it
//! to build their model classes).

use std::sync::{Arc, Mutex as StdMutex};

use oncely::{Operation, Poll, Progress};
use pyo3::prelude::*;
use serde_json::Value;
use tokio::sync::{Mutex, Notify};

use crate::convert::json_to_py;
use crate::errors::Failure;
use crate::{aio, runtime};

/// How an operation is still running, as the status resource reports it.
#[pyclass(module = "oncely", name = "Progress", frozen, get_all)]
#[derive(Clone)]
pub struct PyProgress {
    /// The status string (`running`, `notStarted`, ...; `accepted` when unknown).
    status: String,
    /// Percent complete (0-100), when the server reports it.
    percent: Option<f64>,
    /// How many polls have been made so far.
    polls: u32,
}

impl From<&Progress> for PyProgress {
    fn from(p: &Progress) -> Self {
        PyProgress {
            status: p.status.clone(),
            percent: p.percent,
            polls: p.polls,
        }
    }
}

#[pymethods]
impl PyProgress {
    /// Always `False`: a `Progress` is what `poll_once()` returns while running.
    #[getter]
    fn done(&self) -> bool {
        false
    }

    fn __repr__(&self) -> String {
        match self.percent {
            Some(p) => format!(
                "<oncely.Progress {} {p}% after {} polls>",
                self.status, self.polls
            ),
            None => format!(
                "<oncely.Progress {} after {} polls>",
                self.status, self.polls
            ),
        }
    }
}

/// The end of an operation, as `poll_once()` reports it.
#[pyclass(module = "oncely", name = "Done", frozen, get_all)]
pub struct PyDone {
    /// The result (decoded by the operation's decoder, if it has one).
    result: Py<PyAny>,
}

#[pymethods]
impl PyDone {
    /// Always `True`.
    #[getter]
    fn done(&self) -> bool {
        true
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let result = self
            .result
            .bind(py)
            .repr()
            .map(|r| r.to_string())
            .unwrap_or_default();
        format!("<oncely.Done {result}>")
    }
}

/// The shared state of an operation handle.
struct State {
    client: oncely::Client,
    /// The core operation; `None` once finished.
    op: Mutex<Option<Operation<Value>>>,
    /// The final result, once known.
    result: StdMutex<Option<Value>>,
    /// The latest resume token.
    token: StdMutex<String>,
}

/// What Python gets from one poll, before conversion.
enum Polled {
    Pending(PyProgress),
    Done(Value),
}

impl State {
    fn new(client: oncely::Client, op: Operation<Value>) -> Arc<Self> {
        let token = op.resume_token();
        Arc::new(State {
            client,
            op: Mutex::new(Some(op)),
            result: StdMutex::new(None),
            token: StdMutex::new(token),
        })
    }

    fn cached(&self) -> Option<Value> {
        self.result.lock().ok().and_then(|r| r.clone())
    }

    fn finish(&self, value: &Value) {
        if let Ok(mut r) = self.result.lock() {
            *r = Some(value.clone());
        }
    }

    async fn poll_once(&self) -> Result<Polled, Failure> {
        let mut guard = self.op.lock().await;
        if let Some(v) = self.cached() {
            return Ok(Polled::Done(v));
        }
        let Some(op) = guard.as_mut() else {
            return Err(Failure::Core(oncely::Error::InvalidResumeToken {
                why: "the operation handle lost its state".into(),
            }));
        };
        let polled = op.poll_once().await;
        if let Ok(mut t) = self.token.lock() {
            *t = op.resume_token();
        }
        match polled? {
            Poll::Pending(p) => Ok(Polled::Pending(PyProgress::from(&p))),
            Poll::Done(v) => {
                self.finish(&v);
                Ok(Polled::Done(v))
            }
        }
    }

    async fn wait(&self, progress: Option<Py<PyAny>>) -> Result<Value, Failure> {
        let mut guard = self.op.lock().await;
        if let Some(v) = self.cached() {
            return Ok(v);
        }
        let Some(op) = guard.take() else {
            return Err(Failure::Core(oncely::Error::InvalidResumeToken {
                why: "the operation handle lost its state".into(),
            }));
        };
        let token = op.resume_token();
        let callback_error: StdMutex<Option<PyErr>> = StdMutex::new(None);
        let stop = Notify::new();
        let on_progress = |p: &Progress| {
            let Some(callback) = &progress else { return };
            let outcome =
                runtime::with_gil(|py| callback.call1(py, (PyProgress::from(p),)).map(drop));
            if let Some(Err(e)) = outcome {
                if let Ok(mut slot) = callback_error.lock() {
                    slot.get_or_insert(e);
                }
                stop.notify_one();
            }
        };
        let outcome = tokio::select! {
            r = op.wait_with_progress(on_progress) => r.map_err(Failure::from),
            _ = stop.notified() => {
                let err = callback_error.lock().ok().and_then(|mut e| e.take());
                Err(err.map(Failure::Python).unwrap_or_else(|| Failure::Panic("progress callback failed".into())))
            }
        };
        match outcome {
            Ok(v) => {
                self.finish(&v);
                Ok(v)
            }
            Err(e) => {
                // Keep the handle usable: continue from where it was.
                *guard = Operation::resume(&self.client, &token).ok();
                Err(e)
            }
        }
    }

    fn token(&self) -> String {
        self.token.lock().map(|t| t.clone()).unwrap_or_default()
    }
}

fn decode(py: Python<'_>, decoder: &Option<Py<PyAny>>, value: &Value) -> PyResult<Py<PyAny>> {
    let obj = json_to_py(py, value)?;
    match decoder {
        Some(d) => d.call1(py, (obj,)),
        None => Ok(obj),
    }
}

fn polled_to_py(
    py: Python<'_>,
    decoder: &Option<Py<PyAny>>,
    polled: Polled,
) -> PyResult<Py<PyAny>> {
    match polled {
        Polled::Pending(p) => Ok(Py::new(py, p)?.into_any()),
        Polled::Done(v) => Ok(Py::new(
            py,
            PyDone {
                result: decode(py, decoder, &v)?,
            },
        )?
        .into_any()),
    }
}

/// A result to convert on the event loop thread: a poll outcome and the
/// decoder to apply (a finished `wait` is a `Done` converted to its result).
struct Decoded(Polled, Option<Py<PyAny>>);

/// A poll outcome converted as `Progress` / `Done`.
struct DecodedPoll(Decoded);

impl Decoded {
    fn polled(self) -> DecodedPoll {
        DecodedPoll(self)
    }
}

impl<'py> IntoPyObject<'py> for Decoded {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self.0 {
            Polled::Done(value) => Ok(decode(py, &self.1, &value)?.into_bound(py)),
            pending => Ok(polled_to_py(py, &self.1, pending)?.into_bound(py)),
        }
    }
}

impl<'py> IntoPyObject<'py> for DecodedPoll {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(polled_to_py(py, &self.0 .1, self.0 .0)?.into_bound(py))
    }
}

/// Starts or resumes a handle; shared by both classes.
pub fn resume(client: &oncely::Client, token: &str) -> Result<Operation<Value>, oncely::Error> {
    Operation::resume(client, token)
}

/// A long-running operation (synchronous API).
#[pyclass(module = "oncely", name = "Operation", frozen)]
pub struct PyOperation {
    state: Arc<State>,
    decoder: Option<Py<PyAny>>,
}

impl PyOperation {
    /// The latest resume token.
    pub fn token(&self) -> String {
        self.state.token()
    }

    pub fn new(client: oncely::Client, op: Operation<Value>, decoder: Option<Py<PyAny>>) -> Self {
        PyOperation {
            state: State::new(client, op),
            decoder,
        }
    }
}

#[pymethods]
impl PyOperation {
    /// Polls until the operation ends and returns its result; raises
    /// `OperationFailedError` (with the problem) when it failed. `progress`
    /// is called with a `Progress` after every poll that finds it running; an
    /// exception it raises stops the wait and propagates.
    #[pyo3(signature = (progress=None))]
    fn wait(&self, py: Python<'_>, progress: Option<Py<PyAny>>) -> PyResult<Py<PyAny>> {
        let state = self.state.clone();
        let value = runtime::block_on(py, async move { state.wait(progress).await })?;
        decode(py, &self.decoder, &value)
    }

    /// Polls the status resource once: `Progress` while running, `Done` at the end.
    fn poll_once(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let state = self.state.clone();
        let polled = runtime::block_on(py, async move { state.poll_once().await })?;
        polled_to_py(py, &self.decoder, polled)
    }

    /// A token that `Client.resume_operation(token)` continues from, in this
    /// or another process (URLs and state, never credentials).
    fn resume_token(&self) -> String {
        self.state.token()
    }

    /// True once the result is known.
    #[getter]
    fn done(&self) -> bool {
        self.state.cached().is_some()
    }

    fn __repr__(&self) -> String {
        format!(
            "<oncely.Operation done={}>",
            if self.done() { "True" } else { "False" }
        )
    }
}

/// A long-running operation (asyncio API).
#[pyclass(module = "oncely", name = "AsyncOperation", frozen)]
pub struct PyAsyncOperation {
    state: Arc<State>,
    decoder: Option<Py<PyAny>>,
}

impl PyAsyncOperation {
    /// The latest resume token.
    pub fn token(&self) -> String {
        self.state.token()
    }

    pub fn new(client: oncely::Client, op: Operation<Value>, decoder: Option<Py<PyAny>>) -> Self {
        PyAsyncOperation {
            state: State::new(client, op),
            decoder,
        }
    }
}

#[pymethods]
impl PyAsyncOperation {
    /// Like `Operation.wait`, as a coroutine. `progress` is called from a
    /// worker thread (with the GIL held): keep it short and thread-safe.
    #[pyo3(signature = (progress=None))]
    fn wait<'py>(
        &self,
        py: Python<'py>,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let state = self.state.clone();
        let decoder = self.decoder.as_ref().map(|d| d.clone_ref(py));
        aio::into_awaitable(py, async move {
            let value = state.wait(progress).await?;
            Ok(Decoded(Polled::Done(value), decoder))
        })
    }

    /// Like `Operation.poll_once`, as a coroutine.
    fn poll_once<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let state = self.state.clone();
        let decoder = self.decoder.as_ref().map(|d| d.clone_ref(py));
        aio::into_awaitable(py, async move {
            let polled = state.poll_once().await?;
            Ok(Decoded(polled, decoder).polled())
        })
    }

    /// See `Operation.resume_token`.
    fn resume_token(&self) -> String {
        self.state.token()
    }

    /// True once the result is known.
    #[getter]
    fn done(&self) -> bool {
        self.state.cached().is_some()
    }

    fn __repr__(&self) -> String {
        format!(
            "<oncely.AsyncOperation done={}>",
            if self.done() { "True" } else { "False" }
        )
    }
}
