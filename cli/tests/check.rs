//! `oncely check`: the report on stdout, typed errors on stderr, exit status
//! 0 for a usable document and 1 otherwise.

mod common;

use common::{oncely, oncely_with_stdin, write, DANGLING, ONE_OPERATION};

#[test]
fn a_usable_document_exits_0_with_a_json_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ok = write(dir.path(), "ok.json", ONE_OPERATION);
    let run = oncely(["check".as_ref(), "--json".as_ref(), ok.as_os_str()]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("a JSON report");
    assert_eq!(report["operations"], 1);
    assert_eq!(report["usable"], true);
}

#[test]
fn swagger_2_exits_1_and_names_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let swagger = write(dir.path(), "s.yaml", "swagger: '2.0'\n");
    let run = oncely(["check".as_ref(), swagger.as_os_str()]);
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.contains("Swagger 2.0"), "{}", run.stderr);
    assert!(run.stderr.starts_with("oncely: error: "), "{}", run.stderr);
}

#[test]
fn a_missing_file_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("missing.yaml");
    let run = oncely(["check".as_ref(), missing.as_os_str()]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr
            .contains(&format!("cannot read {}", missing.display())),
        "{}",
        run.stderr
    );

    // With --json the failure is a report too.
    let run = oncely(["check".as_ref(), "--json".as_ref(), missing.as_os_str()]);
    assert_eq!(run.code, Some(1));
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("a JSON report");
    assert_eq!(report["usable"], false);
    assert_eq!(report["origin"], missing.display().to_string());
    assert!(
        report["error"]
            .as_str()
            .is_some_and(|e| e.contains("cannot read")),
        "{report}"
    );
}

#[test]
fn malformed_yaml_names_the_file_and_the_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = write(dir.path(), "bad.yaml", "openapi: 3.0.0\ninfo: [unclosed\n");
    let run = oncely(["check".as_ref(), bad.as_os_str()]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr
            .contains(&format!("{}: not valid YAML", bad.display())),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("line"), "{}", run.stderr);
}

#[test]
fn a_malformed_spec_names_the_file_and_the_json_pointer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dangling = write(dir.path(), "d.yaml", DANGLING);
    let run = oncely(["check".as_ref(), dangling.as_os_str()]);
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("usable: no"), "{}", run.stdout);
    assert!(
        run.stdout.starts_with(&format!("{}: ", dangling.display())),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("#/components/schemas/A"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("#/nope"), "{}", run.stdout);
}

#[test]
fn standard_input_is_read_for_dash() {
    let run = oncely_with_stdin(
        &["check", "-"],
        b"openapi: 3.0.0\ninfo: {title: T, version: '1'}\n",
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stdout.contains("<stdin>"), "{}", run.stdout);
}
