//! Runs every scenario in `openapi/conformance/` against the reference server.
//! The format is documented in `openapi/conformance/README.md`; the Python and
//! Node suites run the same files.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use oncely::{
    BreakerConfig, BudgetConfig, Client, Error, MemoryStore, Method, Operation, PollConfig,
    RetryPolicy, SqliteStore,
};
use orders_server::{
    spawn, spawn_with_state, FaultRule, RequestRecord, RunningServer, ServerConfig,
};
use serde_json::Value;

fn scenario_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi/conformance")
}

/// The servers of one scenario: the primary origin and, optionally, a second
/// origin over the same data that 202 `Location`s point at.
struct Servers {
    primary: RunningServer,
    secondary: Option<RunningServer>,
}

async fn start_servers(spec: &Value) -> Servers {
    let server = &spec["server"];
    let config = || ServerConfig {
        operation_duration: Duration::from_millis(server["operation_ms"].as_u64().unwrap_or(100)),
        retry_after_ms: Some(server["retry_after_ms"].as_u64().unwrap_or(10)),
        ..ServerConfig::default()
    };
    if server["secondary_origin"].as_bool().unwrap_or(false) {
        let secondary = spawn(config()).await.expect("secondary server");
        let primary = spawn_with_state(secondary.state().sibling(ServerConfig {
            operation_location_base: Some(secondary.base_url()),
            ..config()
        }))
        .await
        .expect("primary server");
        Servers {
            primary,
            secondary: Some(secondary),
        }
    } else {
        Servers {
            primary: spawn(config()).await.expect("server"),
            secondary: None,
        }
    }
}

/// Builds a client from a scenario's `client` section over `store`.
fn build_client(base: &str, spec: &Value, store: Store) -> Client {
    let c = &spec["client"];
    let ms = |v: &Value, default: u64| Duration::from_millis(v.as_u64().unwrap_or(default));
    let r = &c["retry"];
    let policy = RetryPolicy::default()
        .max_attempts(r["max_attempts"].as_u64().unwrap_or(5) as u32)
        .base_delay(ms(&r["base_delay_ms"], 1))
        .max_delay(ms(&r["max_delay_ms"], 20))
        .max_server_delay(ms(&r["max_server_delay_ms"], 60_000));
    let budget = c["budget"].as_object().map(|b| BudgetConfig {
        capacity: b["capacity"].as_f64().unwrap_or(100.0),
        deposit_per_success: b["deposit"].as_f64().unwrap_or(0.1),
    });
    let breaker = BreakerConfig {
        failure_threshold: c["breaker"]["threshold"].as_u64().unwrap_or(100) as u32,
        open_for: ms(&c["breaker"]["open_ms"], 1000),
    };
    let mut builder = Client::builder(base)
        .retry_policy(policy)
        .retry_budget(budget)
        .circuit_breaker(breaker)
        .attempt_timeout(ms(&c["attempt_timeout_ms"], 5000))
        .deadline(Some(ms(&c["deadline_ms"], 30_000)))
        .poll_config(PollConfig {
            default_interval: ms(&c["poll_interval_ms"], 10),
            ..PollConfig::default()
        });
    if let Some(token) = c["bearer"].as_str() {
        builder = builder.bearer_token(token);
    }
    builder = match store {
        Store::Memory(m) => builder.store(m),
        Store::Sqlite(path) => builder.store(SqliteStore::open(path).expect("sqlite store")),
    };
    builder.build().expect("client")
}

#[derive(Clone)]
enum Store {
    Memory(MemoryStore),
    Sqlite(PathBuf),
}

/// What a step produced, for `${name.body.…}` / `${name.header.…}` references.
#[derive(Default)]
struct Saved {
    body: Value,
    headers: HashMap<String, String>,
}

fn substitute(text: &str, saved: &HashMap<String, Saved>) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let end = rest[start..]
            .find('}')
            .ok_or_else(|| format!("unclosed ${{ in {text:?}"))?
            + start;
        let reference = &rest[start + 2..end];
        let mut parts = reference.split('.');
        let (step, section) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let entry = saved
            .get(step)
            .ok_or_else(|| format!("no step named {step:?}"))?;
        let value = match section {
            "body" => {
                let mut v = &entry.body;
                for p in parts {
                    v = &v[p];
                }
                match v {
                    Value::String(s) => s.clone(),
                    Value::Null => return Err(format!("{reference} is null")),
                    other => other.to_string(),
                }
            }
            "header" => {
                let name = parts.next().unwrap_or("").to_ascii_lowercase();
                entry
                    .headers
                    .get(&name)
                    .cloned()
                    .ok_or_else(|| format!("{reference}: no such header"))?
            }
            other => return Err(format!("unknown section {other:?} in {reference}")),
        };
        out.push_str(&rest[..start]);
        out.push_str(&value);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn substitute_value(value: &Value, saved: &HashMap<String, Saved>) -> Result<Value, String> {
    Ok(match value {
        Value::String(s) => Value::String(substitute(s, saved)?),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| substitute_value(v, saved))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), substitute_value(v, saved)?)))
                .collect::<Result<_, String>>()?,
        ),
        other => other.clone(),
    })
}

/// `expected` is a subset of `actual`: every member it names matches.
fn subset(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => e
            .iter()
            .all(|(k, v)| a.get(k).is_some_and(|av| subset(v, av))),
        (Value::Number(e), Value::Number(a)) => e.as_f64() == a.as_f64(),
        (e, a) => e == a,
    }
}

/// A success: status, body, headers, from_store, attempts.
type Success = (u16, Value, HashMap<String, String>, bool, u32);

/// The result of one call: a success (status, body, headers) or an error.
struct Outcome {
    result: Result<Success, Error>,
    elapsed: Duration,
}

async fn perform(client: &Client, request: &Value) -> Outcome {
    let method =
        Method::from_bytes(request["method"].as_str().unwrap_or("GET").as_bytes()).expect("method");
    let path = request["path"].as_str().expect("path").to_string();
    let mut rb = client.request(method, path);
    if let Some(body) = request.get("json") {
        rb = rb.json(body);
    }
    if let Some(headers) = request["headers"].as_object() {
        for (k, v) in headers {
            rb = rb.header(k, v.as_str().unwrap_or_default());
        }
    }
    if let Some(intent) = request["intent_id"].as_str() {
        rb = rb.intent_id(intent);
    }
    if let Some(key) = request["idempotency_key"].as_str() {
        rb = rb.idempotency_key(key);
    }
    if let Some(on) = request["idempotent"].as_bool() {
        rb = rb.idempotent(on);
    }
    if let Some(ms) = request["attempt_timeout_ms"].as_u64() {
        rb = rb.attempt_timeout(Duration::from_millis(ms));
    }
    if let Some(ms) = request["deadline_ms"].as_u64() {
        rb = rb.deadline(Some(Duration::from_millis(ms)));
    }
    let started = std::time::Instant::now();
    let result = if request["operation"].as_bool().unwrap_or(false) {
        async {
            let op: Operation<Value> = rb.send_operation().await?;
            let op = if request["resume"].as_bool().unwrap_or(false) {
                Operation::<Value>::resume(client, &op.resume_token())?
            } else {
                op
            };
            let result = op.wait().await?;
            Ok((200, result, HashMap::new(), false, 1))
        }
        .await
    } else {
        match rb.send().await {
            Ok(resp) => {
                let headers = resp
                    .headers()
                    .iter()
                    .filter_map(|(k, v)| {
                        Some((k.as_str().to_string(), v.to_str().ok()?.to_string()))
                    })
                    .collect();
                match resp.json::<Value>() {
                    Ok(body) => Ok((
                        resp.status(),
                        body,
                        headers,
                        resp.from_store(),
                        resp.attempts(),
                    )),
                    Err(e) => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    };
    Outcome {
        result,
        elapsed: started.elapsed(),
    }
}

fn error_kind(e: &Error) -> &'static str {
    match e {
        Error::Problem { .. } => "problem",
        Error::Status { .. } => "status",
        Error::RetryExhausted { .. } => "retry_exhausted",
        Error::RetryAfterTooLong { .. } => "retry_after_too_long",
        Error::IdempotencyConflict { .. } => "idempotency_conflict",
        Error::PreconditionFailed { .. } => "precondition_failed",
        Error::Timeout { .. } => "timeout",
        Error::CircuitOpen { .. } => "circuit_open",
        Error::OperationFailed { .. } => "operation_failed",
        Error::Decode { .. } => "decode",
        Error::Transport { .. } => "transport",
        _ => "other",
    }
}

fn check_expect(
    expect: &Value,
    outcome: &Outcome,
    saved: &HashMap<String, Saved>,
) -> Result<(), String> {
    if let Some(min) = expect["min_elapsed_ms"].as_u64() {
        if outcome.elapsed < Duration::from_millis(min) {
            return Err(format!(
                "took {:?}, expected at least {min} ms",
                outcome.elapsed
            ));
        }
    }
    match (&outcome.result, expect["error"].as_str()) {
        (Ok((status, body, _, from_store, attempts)), None) => {
            if let Some(want) = expect["status"].as_u64() {
                if u64::from(*status) != want
                    && !expect
                        .get("body")
                        .is_some_and(|_| *status == 200 && want == 200)
                {
                    return Err(format!("status {status}, expected {want}"));
                }
            }
            if let Some(want) = expect.get("body") {
                let want = substitute_value(want, saved)?;
                if !subset(&want, body) {
                    return Err(format!("body {body} does not contain {want}"));
                }
            }
            if let Some(want) = expect["from_store"].as_bool() {
                if *from_store != want {
                    return Err(format!("from_store {from_store}, expected {want}"));
                }
            }
            if let Some(want) = expect["attempts"].as_u64() {
                if u64::from(*attempts) != want {
                    return Err(format!("{attempts} attempts, expected {want}"));
                }
            }
            Ok(())
        }
        (Ok((status, body, ..)), Some(kind)) => {
            Err(format!("expected error {kind}, got {status} {body}"))
        }
        (Err(e), None) => Err(format!("expected success, got error: {e}")),
        (Err(e), Some(kind)) => {
            if error_kind(e) != kind {
                return Err(format!("expected error {kind}, got {}: {e}", error_kind(e)));
            }
            if let Some(want) = expect["error_status"].as_u64() {
                if e.status().map(u64::from) != Some(want) {
                    return Err(format!(
                        "error status {:?}, expected {want}: {e}",
                        e.status()
                    ));
                }
            }
            if let Some(want) = expect["error_attempts"].as_u64() {
                if e.attempts().map(u64::from) != Some(want) {
                    return Err(format!(
                        "error attempts {:?}, expected {want}: {e}",
                        e.attempts()
                    ));
                }
            }
            if let Some(want) = expect["retryable"].as_bool() {
                if e.is_retryable() != want {
                    return Err(format!("retryable {}, expected {want}: {e}", !want));
                }
            }
            if let Some(want) = expect["requested_delay_ms"].as_u64() {
                match e {
                    Error::RetryAfterTooLong { requested, .. }
                        if requested.as_millis() as u64 == want => {}
                    other => return Err(format!("expected requested delay {want} ms: {other}")),
                }
            }
            if let Some(want) = expect.get("problem") {
                let problem = e.problem().ok_or_else(|| format!("no problem in {e}"))?;
                let actual = serde_json::json!({
                    "type": problem.type_, "title": problem.title, "status": problem.status,
                    "detail": problem.detail, "instance": problem.instance, "extensions": problem.extensions,
                });
                if !subset(want, &actual) {
                    return Err(format!("problem {actual} does not contain {want}"));
                }
            }
            Ok(())
        }
    }
}

fn check_wire(spec: &Value, servers: &Servers) -> Result<(), String> {
    let log_of = |origin: &str| -> Vec<RequestRecord> {
        match origin {
            "secondary" => servers
                .secondary
                .as_ref()
                .map(|s| s.requests())
                .unwrap_or_default(),
            "any" => {
                let mut all = servers.primary.requests();
                all.extend(
                    servers
                        .secondary
                        .as_ref()
                        .map(|s| s.requests())
                        .unwrap_or_default(),
                );
                all
            }
            _ => servers.primary.requests(),
        }
    };
    for rule in spec["wire"]["requests"].as_array().into_iter().flatten() {
        let log = log_of(rule["origin"].as_str().unwrap_or("primary"));
        let matching: Vec<&RequestRecord> = log
            .iter()
            .filter(|r| {
                rule["route"]
                    .as_str()
                    .map_or(true, |route| r.route.as_deref() == Some(route))
            })
            .filter(|r| {
                rule["path_prefix"]
                    .as_str()
                    .map_or(true, |p| r.path.starts_with(p))
            })
            .collect();
        let describe = || {
            format!(
                "requests {rule}: saw {}",
                serde_json::to_string(&matching).unwrap_or_default()
            )
        };
        if let Some(n) = rule["count"].as_u64() {
            if matching.len() as u64 != n {
                return Err(format!("expected {n}; {}", describe()));
            }
        }
        if let Some(n) = rule["min"].as_u64() {
            if (matching.len() as u64) < n {
                return Err(format!("expected at least {n}; {}", describe()));
            }
        }
        if rule["same_key"].as_bool() == Some(true) {
            let first = matching.first().and_then(|r| r.idempotency_key.clone());
            if first.is_none() || matching.iter().any(|r| r.idempotency_key != first) {
                return Err(format!("keys differ or are missing; {}", describe()));
            }
        }
        if let Some(key) = rule["key"].as_str() {
            if matching
                .iter()
                .any(|r| r.idempotency_key.as_deref() != Some(key))
            {
                return Err(format!("expected key {key}; {}", describe()));
            }
        }
        if rule["no_key"].as_bool() == Some(true)
            && matching.iter().any(|r| r.idempotency_key.is_some())
        {
            return Err(format!("expected no key; {}", describe()));
        }
        if let Some(auth) = rule["authorization"].as_bool() {
            if matching.iter().any(|r| r.has_authorization != auth) {
                return Err(format!(
                    "expected authorization present = {auth}; {}",
                    describe()
                ));
            }
        }
    }
    let ledger = servers.primary.ledger();
    for rule in spec["wire"]["ledger"].as_array().into_iter().flatten() {
        let kind = rule["kind"].as_str().unwrap_or_default();
        let n = ledger.iter().filter(|e| e.kind.as_str() == kind).count() as u64;
        let want = rule["count"].as_u64().unwrap_or(0);
        if n != want {
            return Err(format!("ledger has {n} × {kind}, expected {want}"));
        }
    }
    Ok(())
}

async fn run_scenario(path: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let spec: Value = serde_yaml::from_str(&text).map_err(|e| format!("invalid YAML: {e}"))?;
    let name = spec["name"].as_str().ok_or("scenario has no name")?;
    if Some(name) != path.file_stem().and_then(|s| s.to_str()) {
        return Err(format!("name {name:?} does not match the file name"));
    }
    let servers = start_servers(&spec).await;
    for rule in spec["faults"].as_array().into_iter().flatten() {
        let rule: FaultRule =
            serde_json::from_value(rule.clone()).map_err(|e| format!("fault {rule}: {e}"))?;
        servers.primary.add_fault(rule);
    }
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let store = match spec["client"]["store"].as_str() {
        Some("sqlite") => Store::Sqlite(dir.path().join("oncely.db")),
        _ => Store::Memory(MemoryStore::new()),
    };
    let base = servers.primary.base_url();
    let mut client = build_client(&base, &spec, store.clone());
    let mut saved: HashMap<String, Saved> = HashMap::new();
    for (i, step) in spec["steps"]
        .as_array()
        .ok_or("no steps")?
        .iter()
        .enumerate()
    {
        let at = |e: String| format!("step {}: {e}", i + 1);
        match &step["restart_client"] {
            Value::Bool(true) => {
                drop(client);
                client = build_client(&base, &spec, store.clone());
                continue;
            }
            Value::String(s) if s == "fresh_store" => {
                client = build_client(&base, &spec, Store::Memory(MemoryStore::new()));
                continue;
            }
            _ => {}
        }
        if let Some(ms) = step["wait_ms"].as_u64() {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            continue;
        }
        let request = substitute_value(&step["request"], &saved).map_err(at)?;
        let outcome = perform(&client, &request).await;
        check_expect(&step["expect"], &outcome, &saved).map_err(at)?;
        if let (Some(name), Ok((_, body, headers, ..))) = (step["name"].as_str(), &outcome.result) {
            saved.insert(
                name.to_string(),
                Saved {
                    body: body.clone(),
                    headers: headers.clone(),
                },
            );
        }
    }
    check_wire(&spec, &servers).map_err(|e| format!("wire: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_scenarios() {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(scenario_dir())
        .expect("openapi/conformance")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    paths.sort();
    assert!(
        paths.len() >= 15,
        "expected at least 15 scenarios, found {}",
        paths.len()
    );
    // Each scenario is a task of its own: in one task, a scenario blocking its
    // thread (opening a SQLite file) would stall the timers of all the others.
    let runs = paths.iter().map(|p| {
        let path = p.clone();
        let run = tokio::spawn(async move { run_scenario(&path).await });
        async move {
            let result = run.await.unwrap_or_else(|e| Err(format!("panicked: {e}")));
            (p.clone(), result)
        }
    });
    let results = futures::future::join_all(runs).await;
    let failures: Vec<String> = results
        .into_iter()
        .filter_map(|(p, r)| {
            r.err().map(|e| {
                format!(
                    "{}: {e}",
                    p.file_name().unwrap_or_default().to_string_lossy()
                )
            })
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} scenarios failed:\n{}",
        failures.len(),
        paths.len(),
        failures.join("\n")
    );
}
