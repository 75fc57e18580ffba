//! The cross-binding agreement table (`agreement.json`): the same bad input
//! is refused with the same kind and the same words in Python and Node. This
//! test checks every case against the shared rules; `test_agreement.py` and
//! `agreement.test.mjs` check the same cases through each binding.

use std::time::Duration;

use oncely_bindings_common::{
    error_view, store, Binding, BreakerSpec, BudgetSpec, ClientSpec, RetrySpec,
};
use serde_json::Value;

/// The spec (or store location) each case stands for.
enum Input {
    Spec(Box<ClientSpec>),
    Store(&'static str),
}

fn input(case: &str) -> Input {
    let mut spec = ClientSpec::new("http://127.0.0.1:1");
    match case {
        "breaker_threshold_zero" => {
            spec.breaker = Some(BreakerSpec {
                failure_threshold: Some(0),
                open_for: None,
            })
        }
        "retry_max_attempts_zero" => {
            spec.retry = Some(RetrySpec {
                max_attempts: Some(0),
                ..RetrySpec::default()
            })
        }
        "budget_capacity_negative" => {
            spec.budget = Some(BudgetSpec::Bucket {
                capacity: Some(-1.0),
                deposit_per_success: None,
            })
        }
        "max_response_bytes_zero" => spec.max_response_bytes = Some(0.0),
        "timeout_zero" => spec.timeout = Some(Duration::ZERO),
        "poll_interval_zero" => spec.poll.interval = Some(Duration::ZERO),
        "empty_sqlite_path" => return Input::Store("sqlite:"),
        "base_url_without_scheme" => spec.base_url = "localhost:8080".into(),
        other => panic!("agreement.json has a case this test does not know: {other}"),
    }
    Input::Spec(Box::new(spec))
}

fn refusal(case: &str, binding: Binding) -> oncely::Error {
    match input(case) {
        Input::Spec(spec) => spec.build(binding).err(),
        Input::Store(location) => store::open_local(location).and_then(Result::err),
    }
    .unwrap_or_else(|| panic!("{case}: the input was accepted"))
}

#[test]
fn every_case_is_refused_alike_by_both_bindings() {
    let cases: Vec<Value> = serde_json::from_str(include_str!("agreement.json")).unwrap();
    assert!(!cases.is_empty());
    for case in &cases {
        let name = case["case"].as_str().unwrap();
        for (binding, key) in [(Binding::Python, "python"), (Binding::Node, "node")] {
            let error = refusal(name, binding);
            let view = error_view(&error);
            assert_eq!(view.kind().name(), case["kind"], "{name} ({key})");
            assert_eq!(view.message, case["message"][key], "{name} ({key})");
        }
    }
}
