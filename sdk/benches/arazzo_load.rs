//! Loading and checking an Arazzo document over a Stripe-sized source
//! description: `load_file`, `Sources::load` (the OpenAPI document, parsed
//! and indexed) and `check`, timed together, median of several rounds.
//!
//! The OpenAPI document is Stripe's (from the corpus, `../shared/corpus/fetch.sh`)
//! or any file named by `ONCELY_BENCH_OPENAPI`; the Arazzo document is a
//! four-step payment workflow over it, written next to a copy of it.
//!
//! ```text
//! cargo bench -p oncely --bench arazzo_load
//! ONCELY_BENCH_OPENAPI=path/to/stripe.com.json cargo bench -p oncely --bench arazzo_load
//! ```

use std::path::PathBuf;
use std::time::Instant;

use oncely::arazzo::{check, load_file, Severity, Sources};

/// Where the Stripe description is, if anywhere.
fn openapi_path() -> Option<PathBuf> {
    if let Ok(path) = std::env::var("ONCELY_BENCH_OPENAPI") {
        return Some(PathBuf::from(path));
    }
    let corpus = std::env::var("ONCELY_CORPUS")
        .map(PathBuf::from)
        .or_else(|_| std::env::var("HOME").map(|h| PathBuf::from(h).join(".cache/oncely-corpus")))
        .ok()?;
    let stripe = corpus.join("od/package/api/stripe.com.json");
    stripe.exists().then_some(stripe)
}

/// A four-step workflow over Stripe's operations.
const WORKFLOW: &str = r#"
arazzo: 1.0.1
info: {title: Stripe checkout, version: 1.0.0}
sourceDescriptions:
  - {name: stripe, url: ./openapi.json, type: openapi}
workflows:
  - workflowId: pay
    inputs:
      type: object
      properties:
        email: {type: string}
        amount: {type: integer}
    steps:
      - stepId: createCustomer
        operationId: PostCustomers
        requestBody:
          contentType: application/x-www-form-urlencoded
          payload: {email: $inputs.email}
        successCriteria: [{condition: $statusCode == 200}]
        outputs: {customer: $response.body#/id}
      - stepId: createIntent
        operationId: PostPaymentIntents
        requestBody:
          contentType: application/x-www-form-urlencoded
          payload: {amount: $inputs.amount, currency: eur, customer: $steps.createCustomer.outputs.customer}
        successCriteria: [{condition: $statusCode == 200}]
        outputs: {intent: $response.body#/id}
        onFailure:
          - {name: again, type: retry, retryAfter: 1, retryLimit: 3, criteria: [{condition: $statusCode == 429}]}
      - stepId: confirm
        operationId: PostPaymentIntentsIntentConfirm
        parameters:
          - {name: intent, in: path, value: $steps.createIntent.outputs.intent}
        successCriteria: [{condition: $statusCode == 200}]
      - stepId: read
        operationId: GetPaymentIntentsIntent
        parameters:
          - {name: intent, in: path, value: $steps.createIntent.outputs.intent}
        successCriteria:
          - {context: $response.body, condition: $.status, type: jsonpath}
        outputs: {status: $response.body#/status}
    outputs: {status: $steps.read.outputs.status}
"#;

fn main() {
    let Some(openapi) = openapi_path() else {
        eprintln!("arazzo_load: no Stripe description (run ../shared/corpus/fetch.sh or set ONCELY_BENCH_OPENAPI); skipped");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(&openapi, dir.path().join("openapi.json")).expect("copy the description");
    let arazzo = dir.path().join("pay.arazzo.yaml");
    std::fs::write(&arazzo, WORKFLOW).expect("write the workflow");
    let size = std::fs::metadata(&openapi).map(|m| m.len()).unwrap_or(0);
    let rounds = 7;
    let mut times = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let started = Instant::now();
        let document = load_file(&arazzo).expect("the workflow loads");
        let (sources, errors) = Sources::load(&document, &arazzo);
        assert!(errors.is_empty(), "{errors:?}");
        let findings = check(&document, &sources);
        times.push(started.elapsed());
        let errors: Vec<_> = findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .collect();
        assert!(errors.is_empty(), "{errors:?}");
    }
    times.sort();
    println!(
        "load + check of an Arazzo document over {} ({:.1} MB): median {:.3} s (min {:.3}, max {:.3}, {rounds} rounds)",
        openapi.display(),
        size as f64 / 1e6,
        times[rounds / 2].as_secs_f64(),
        times[0].as_secs_f64(),
        times[rounds - 1].as_secs_f64(),
    );
}
