//! `oncely generate`: writes a client, or exits 1 with a typed error naming
//! what and where; usage errors exit 2.

mod common;

use common::{oncely, repo, write, DANGLING, ONE_OPERATION};

#[test]
fn writes_a_client_in_each_language() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = repo().join("openapi/orders.yaml");
    for (lang, file) in [
        ("rust", "Cargo.toml"),
        ("python", "orders/client.py"),
        ("typescript", "package.json"),
    ] {
        let out = dir.path().join(lang);
        let run = oncely([
            "generate".as_ref(),
            spec.as_os_str(),
            "--lang".as_ref(),
            lang.as_ref(),
            "--name".as_ref(),
            "orders".as_ref(),
            "--out".as_ref(),
            out.as_os_str(),
        ]);
        assert_eq!(run.code, Some(0), "{lang}: {}", run.stderr);
        assert!(
            run.stderr
                .starts_with(&format!("oncely: wrote {} (", out.display())),
            "{lang}: {}",
            run.stderr
        );
        assert!(out.join(file).is_file(), "{lang}: no {file}");
    }
}

#[test]
fn an_unknown_language_exits_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = write(dir.path(), "ok.json", ONE_OPERATION);
    let out = dir.path().join("out");
    let run = oncely([
        "generate".as_ref(),
        "--lang".as_ref(),
        "cobol".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
        spec.as_os_str(),
    ]);
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.contains("not yet supported"), "{}", run.stderr);
    assert!(!out.exists());
}

#[test]
fn a_missing_file_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("missing.json");
    let run = oncely([
        "generate".as_ref(),
        missing.as_os_str(),
        "--out".as_ref(),
        dir.path().join("out").as_os_str(),
    ]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr
            .starts_with(&format!("oncely: error: cannot read {}", missing.display())),
        "{}",
        run.stderr
    );
}

#[test]
fn a_dangling_ref_names_the_json_pointer_unless_allowed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = write(dir.path(), "d.yaml", DANGLING);
    let out = dir.path().join("out");
    let args = |extra: &[&str]| {
        let mut args = vec![
            "generate".into(),
            spec.clone().into_os_string(),
            "--out".into(),
            out.clone().into_os_string(),
        ];
        args.extend(extra.iter().map(Into::into));
        args
    };
    let run = oncely(args(&[]));
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr
            .contains("unresolvable $ref \"#/nope\" at #/components/schemas/A"),
        "{}",
        run.stderr
    );
    let run = oncely(args(&["--allow-unresolved"]));
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stderr.starts_with("oncely: wrote "), "{}", run.stderr);
}

#[test]
fn usage_errors_exit_2() {
    let run = oncely(["generate", "spec.yaml"]);
    assert_eq!(run.code, Some(2));
    assert!(run.stderr.contains("--out"), "{}", run.stderr);
    let run = oncely([
        "generate",
        "spec.yaml",
        "--out",
        "x",
        "--oncely-path",
        "p",
        "--oncely-version",
        "1",
    ]);
    assert_eq!(run.code, Some(2));
}
