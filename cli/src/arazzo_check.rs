//! `oncely check FLOWS.arazzo.yaml`: what the interpreter makes of an Arazzo
//! document — its source descriptions, every finding of the static check
//! with its JSON pointer, and which workflows compile for the engine.

use std::path::Path;
use std::process::ExitCode;

use oncely::arazzo::{check, load_file, ArazzoWorkflow, Severity, Sources};
use serde_json::{json, Value};

/// Checks the Arazzo document at `path` and prints the report (text, or
/// JSON with `json`). Exit status 1 when anything is an error.
pub fn run(path: &Path, json: bool) -> ExitCode {
    let report = report(path);
    if json {
        match serde_json::to_string_pretty(&report) {
            Ok(s) => println!("{s}"),
            Err(e) => eprintln!("oncely: error: cannot print the report: {e}"),
        }
    } else {
        print!("{}", to_text(&report));
    }
    if report["usable"] == Value::Bool(true) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The report as JSON: `origin`, `usable`, `findings` (severity, pointer,
/// message) and `workflows` (id, steps, whether it compiles and why not).
pub fn report(path: &Path) -> Value {
    let origin = path.display().to_string();
    let document = match load_file(path) {
        Ok(d) => d,
        Err(e) => {
            return json!({
                "origin": origin,
                "kind": "arazzo",
                "usable": false,
                "findings": [{"severity": "error", "pointer": format!("#{}", e.pointer), "message": e.kind.to_string()}],
                "workflows": [],
            })
        }
    };
    let (sources, source_errors) = Sources::load(&document, path);
    let mut findings: Vec<Value> = source_errors
        .iter()
        .map(|e| {
            let index = document
                .source_descriptions
                .iter()
                .position(|s| s.name == e.name)
                .map(|i| format!("#/sourceDescriptions/{i}"))
                .unwrap_or_else(|| "#/sourceDescriptions".to_owned());
            json!({"severity": "error", "pointer": index, "message": e.to_string()})
        })
        .collect();
    let checked = check(&document, &sources);
    let errors = !source_errors.is_empty() || checked.iter().any(|f| f.severity == Severity::Error);
    findings.extend(checked.iter().map(|f| {
        json!({
            "severity": if f.severity == Severity::Error { "error" } else { "warning" },
            "pointer": format!("#{}", f.pointer),
            "message": f.kind.to_string(),
        })
    }));
    let workflows: Vec<Value> = document
        .workflows
        .iter()
        .map(|w| {
            let compiled = ArazzoWorkflow::compile(&document, &sources, &w.workflow_id);
            json!({
                "workflow_id": w.workflow_id,
                "steps": w.steps.iter().map(|s| s.step_id.clone()).collect::<Vec<_>>(),
                "runs": compiled.is_ok(),
                "why_not": compiled.err().map(|e| e.to_string()),
            })
        })
        .collect();
    json!({
        "origin": origin,
        "kind": "arazzo",
        "arazzo": document.arazzo,
        "usable": !errors,
        "sources": document.source_descriptions.iter().map(|s| json!({"name": s.name, "url": s.url})).collect::<Vec<_>>(),
        "findings": findings,
        "workflows": workflows,
    })
}

/// The human-readable form of [`report`].
fn to_text(report: &Value) -> String {
    let version = report["arazzo"].as_str().unwrap_or("?");
    let mut out = format!("{} (Arazzo {version})\n", str_of(&report["origin"]));
    for s in report["sources"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "  source {}: {}\n",
            str_of(&s["name"]),
            str_of(&s["url"])
        ));
    }
    for w in report["workflows"].as_array().into_iter().flatten() {
        let steps = w["steps"].as_array().map_or(0, Vec::len);
        match w["why_not"].as_str() {
            None => out.push_str(&format!(
                "  workflow {}: {steps} step(s), runs\n",
                str_of(&w["workflow_id"])
            )),
            Some(why) => out.push_str(&format!(
                "  workflow {}: {steps} step(s), cannot run yet: {why}\n",
                str_of(&w["workflow_id"])
            )),
        }
    }
    let findings = report["findings"].as_array().cloned().unwrap_or_default();
    for f in &findings {
        out.push_str(&format!(
            "{}: {}: {}\n",
            str_of(&f["severity"]),
            str_of(&f["pointer"]),
            str_of(&f["message"])
        ));
    }
    let errors = findings.iter().filter(|f| f["severity"] == "error").count();
    out.push_str(&format!(
        "{errors} error(s), {} warning(s)\n",
        findings.len() - errors
    ));
    out
}

fn str_of(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}
