//! What a step sees: the client, its run, its idempotency key and the outputs
//! of the steps before it.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use http::Method;
use serde::de::DeserializeOwned;
use serde_json::Value;
use uuid::Uuid;

use super::error::StepError;
use crate::client::{Client, RequestBuilder};
use crate::store::StepPhase;

/// The UUIDv5 namespace of workflow step keys
/// (`uuid_v5(NAMESPACE_URL, "https://oncely.dev/ns/workflow")`).
pub fn key_namespace() -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_URL, b"https://oncely.dev/ns/workflow")
}

/// The idempotency key of a step's action: UUIDv5 over the run id and the step
/// name, so a re-run after a crash sends the same key and the server replays.
///
/// ```
/// use oncely::workflow::{compensation_key, step_key};
/// assert_eq!(step_key("order-42", "charge"), step_key("order-42", "charge"));
/// assert_ne!(step_key("order-42", "charge"), step_key("order-43", "charge"));
/// assert_ne!(step_key("order-42", "charge"), compensation_key("order-42", "charge", 0));
/// ```
pub fn step_key(run_id: &str, step: &str) -> String {
    Uuid::new_v5(&key_namespace(), format!("{run_id}\n{step}").as_bytes()).to_string()
}

/// The idempotency key of a step's compensation: UUIDv5 over the run id, the
/// step name and the *generation* (how many times the run was sent back by
/// hand with [`super::mark_for_retry`]). Automatic retries of a compensation
/// reuse its key; a manual retry of a parked run uses the next generation, so
/// a failure the server stored for the old key is not replayed forever.
pub fn compensation_key(run_id: &str, step: &str, generation: u32) -> String {
    Uuid::new_v5(
        &key_namespace(),
        format!("{run_id}\n{step}\ncompensate\n{generation}").as_bytes(),
    )
    .to_string()
}

/// Everything a step's action or compensation gets. Cheap to clone.
///
/// Calls made with [`post`](Self::post), [`request`](Self::request) & co. carry
/// the step's idempotency key: the first call the key itself, the n-th call a
/// key derived from it ([`key_for`](Self::key_for)`("call-n")`). Steps must
/// therefore make their calls in a deterministic order — which a re-run does.
#[derive(Clone)]
pub struct StepContext {
    pub(crate) client: Client,
    pub(crate) run_id: Arc<str>,
    pub(crate) workflow: Arc<str>,
    pub(crate) step: Arc<str>,
    pub(crate) phase: StepPhase,
    pub(crate) key: Arc<str>,
    pub(crate) attempt: u32,
    pub(crate) input: Arc<Value>,
    pub(crate) outputs: Arc<BTreeMap<String, Value>>,
    pub(crate) calls: Arc<AtomicU32>,
    /// The step's keys were never sent before (its first attempt, its start
    /// journaled): their idempotency records are written lazily.
    pub(crate) first_use: bool,
}

impl std::fmt::Debug for StepContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StepContext")
            .field("run_id", &self.run_id)
            .field("workflow", &self.workflow)
            .field("step", &self.step)
            .field("phase", &self.phase)
            .field("key", &self.key)
            .field("attempt", &self.attempt)
            .finish_non_exhaustive()
    }
}

impl StepContext {
    /// Marks the step's keys as never sent before (see the field).
    pub(crate) fn first_use(mut self, first_use: bool) -> Self {
        self.first_use = first_use;
        self
    }

    /// The client the engine runs with.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The run id.
    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// The workflow's name.
    pub fn workflow(&self) -> &str {
        &self.workflow
    }

    /// The step's name.
    pub fn step(&self) -> &str {
        &self.step
    }

    /// True inside a compensation.
    pub fn is_compensation(&self) -> bool {
        self.phase == StepPhase::Compensation
    }

    /// Which attempt this is (1 for the first; counts attempts of this process
    /// and earlier ones, from the journal).
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The step's idempotency key ([`step_key`] or [`compensation_key`]): pass
    /// it to [`RequestBuilder::idempotency_key`] when building a request from
    /// the client yourself.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The same as [`key`](Self::key).
    pub fn idempotency_key(&self) -> &str {
        &self.key
    }

    /// A key derived from the step's key and `label`, for a step that makes
    /// several calls: stable across re-runs, distinct per label.
    pub fn key_for(&self, label: &str) -> String {
        Uuid::new_v5(
            &key_namespace(),
            format!("{}\n{label}", self.key).as_bytes(),
        )
        .to_string()
    }

    /// The run's input, decoded.
    pub fn input<T: DeserializeOwned>(&self) -> Result<T, StepError> {
        T::deserialize(&*self.input)
            .map_err(|e| StepError::permanent(format!("run input does not decode: {e}")))
    }

    /// The journaled output of an earlier step, decoded.
    pub fn output<T: DeserializeOwned>(&self, step: &str) -> Result<T, StepError> {
        let value = self.outputs.get(step).ok_or_else(|| {
            StepError::permanent(format!(
                "step {step:?} has no output (not an earlier, finished step)"
            ))
        })?;
        T::deserialize(value).map_err(|e| {
            StepError::permanent(format!("output of step {step:?} does not decode: {e}"))
        })
    }

    /// In a compensation: the output of the step being compensated.
    pub fn own_output<T: DeserializeOwned>(&self) -> Result<T, StepError> {
        let step = self.step.clone();
        self.output(&step)
    }

    /// A request carrying the step's key (see the type's docs). A `GET` or
    /// `HEAD` carries none and does not count as a call.
    pub fn request(&self, method: Method, path: impl Into<String>) -> RequestBuilder {
        let builder = self.client.request(method.clone(), path);
        if method == Method::GET || method == Method::HEAD {
            return builder;
        }
        let n = self.calls.fetch_add(1, Ordering::Relaxed);
        let key = if n == 0 {
            self.key.to_string()
        } else {
            self.key_for(&format!("call-{n}"))
        };
        if self.first_use {
            builder.first_use_key(key)
        } else {
            builder.idempotency_key(key)
        }
    }

    /// A `POST` with the step's key.
    pub fn post(&self, path: impl Into<String>) -> RequestBuilder {
        self.request(Method::POST, path)
    }

    /// A `PATCH` with the step's key.
    pub fn patch(&self, path: impl Into<String>) -> RequestBuilder {
        self.request(Method::PATCH, path)
    }

    /// A `PUT` with the step's key.
    pub fn put(&self, path: impl Into<String>) -> RequestBuilder {
        self.request(Method::PUT, path)
    }

    /// A `DELETE` with the step's key.
    pub fn delete(&self, path: impl Into<String>) -> RequestBuilder {
        self.request(Method::DELETE, path)
    }

    /// A `GET` (no key).
    pub fn get(&self, path: impl Into<String>) -> RequestBuilder {
        self.request(Method::GET, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> StepContext {
        StepContext {
            client: Client::builder("http://127.0.0.1:1").build().unwrap(),
            run_id: "r".into(),
            workflow: "w".into(),
            step: "s".into(),
            phase: StepPhase::Action,
            key: step_key("r", "s").into(),
            attempt: 1,
            input: Arc::new(serde_json::json!({"n": 1})),
            outputs: Arc::new(BTreeMap::from([(
                "s".to_string(),
                serde_json::json!("out"),
            )])),
            calls: Arc::new(AtomicU32::new(0)),
            first_use: false,
        }
    }

    #[test]
    fn keys_are_uuid_v5_and_stable() {
        let k = step_key("run", "step");
        assert_eq!(Uuid::parse_str(&k).unwrap().get_version_num(), 5);
        assert_ne!(
            compensation_key("run", "step", 0),
            compensation_key("run", "step", 1)
        );
        let c = ctx();
        assert_eq!(c.key(), step_key("r", "s"));
        assert_ne!(c.key_for("a"), c.key_for("b"));
        assert_eq!(c.key_for("a"), ctx().key_for("a"));
    }

    #[test]
    fn inputs_and_outputs_decode_with_named_errors() {
        let c = ctx();
        assert_eq!(c.input::<serde_json::Value>().unwrap()["n"], 1);
        assert_eq!(c.own_output::<String>().unwrap(), "out");
        let e = c.output::<String>("missing").unwrap_err();
        assert!(e.message().contains("\"missing\""), "{e}");
        let e = c.input::<Vec<u8>>().unwrap_err();
        assert!(e.message().contains("run input"), "{e}");
    }
}
