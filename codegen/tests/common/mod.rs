//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use oncely_codegen::ir::{Api, TypeDecl, TypeDef};
use oncely_codegen::{
    build_ir, emit_rust, parse_spec, Generated, IrOptions, OncelyDep, RustOptions,
};

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("codegen has a parent")
        .to_path_buf()
}

/// Target directory shared by every compile test.
pub fn e2e_target() -> PathBuf {
    repo().join("target").join("codegen-e2e")
}

/// Lowers a document given as text (JSON or YAML).
pub fn ir(text: &str) -> Api {
    let spec = parse_spec(text, "inline.yaml").expect("spec loads");
    build_ir(
        &spec,
        &IrOptions {
            allow_unresolved: true,
        },
    )
    .expect("IR builds")
}

/// Emits a crate for `api` (depending on this repository's `sdk/`).
pub fn emit(api: &Api, name: &str) -> Generated {
    emit_rust(
        api,
        &RustOptions {
            crate_name: Some(name.to_string()),
            oncely: OncelyDep::Path(repo().join("sdk")),
        },
    )
    .expect("Rust emits")
}

/// Asserts every generated `.rs` file parses as Rust.
pub fn assert_parses(g: &Generated) {
    for f in &g.files {
        if f.path.extension().is_some_and(|e| e == "rs") {
            if let Err(e) = syn::parse_file(&f.contents) {
                panic!("{} does not parse: {e}", f.path.display());
            }
        }
    }
}

/// A named declaration.
pub fn decl<'a>(api: &'a Api, name: &str) -> &'a TypeDecl {
    api.types
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no type named {name:?}"))
}

/// The object definition of a declaration.
pub fn object<'a>(api: &'a Api, name: &str) -> &'a oncely_codegen::ir::ObjectDef {
    match &decl(api, name).def {
        TypeDef::Object(o) => o,
        other => panic!("{name} is not an object: {other:?}"),
    }
}

/// The operation with this raw name.
pub fn op<'a>(api: &'a Api, name: &str) -> &'a oncely_codegen::ir::Operation {
    api.operations
        .iter()
        .find(|o| o.name == name)
        .unwrap_or_else(|| panic!("no operation named {name:?}"))
}

/// Writes crates into a scratch workspace under the shared e2e target and
/// runs `cargo <args>` there. Returns (success, combined output).
pub fn cargo_in_workspace(
    ws_name: &str,
    crates: &[(&str, &Generated)],
    extra_members: &[(&str, &[(&str, &str)])],
    args: &[&str],
) -> (bool, String) {
    let ws = e2e_target().join("workspaces").join(ws_name);
    std::fs::create_dir_all(&ws).expect("workspace dir");
    let mut members: Vec<String> = Vec::new();
    for (dir, g) in crates {
        let mut g = (*g).clone();
        // Members of this scratch workspace, not standalone roots.
        for f in &mut g.files {
            if f.path == Path::new("Cargo.toml") {
                f.contents = f
                    .contents
                    .replace("\n# A standalone crate, even when generated inside another workspace.\n[workspace]\n", "\n");
            }
        }
        g.write_to(&ws.join(dir)).expect("crate written");
        members.push(format!("{dir:?}"));
    }
    for (dir, files) in extra_members {
        for (path, contents) in *files {
            let p = ws.join(dir).join(path);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("dir");
            if std::fs::read_to_string(&p).ok().as_deref() != Some(*contents) {
                std::fs::write(&p, contents).expect("write");
            }
        }
        members.push(format!("{dir:?}"));
    }
    let manifest = format!(
        "[workspace]\nresolver = \"2\"\nmembers = [{}]\n",
        members.join(", ")
    );
    if std::fs::read_to_string(ws.join("Cargo.toml")).ok() != Some(manifest.clone()) {
        std::fs::write(ws.join("Cargo.toml"), manifest).expect("manifest");
    }
    // Same dependency versions as the repository.
    if !ws.join("Cargo.lock").exists() {
        let _ = std::fs::copy(repo().join("Cargo.lock"), ws.join("Cargo.lock"));
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(args)
        .current_dir(&ws)
        .env("CARGO_TARGET_DIR", e2e_target())
        // Compile checks need no debug info; it would triple the disk used.
        .env("CARGO_PROFILE_DEV_DEBUG", "false")
        .env_remove("RUSTFLAGS")
        .output()
        .expect("cargo runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Warnings in cargo's short-format output.
pub fn warnings(output: &str) -> Vec<&str> {
    output
        .lines()
        .filter(|l| l.contains(": warning") || l.starts_with("warning"))
        .filter(|l| !l.contains("generated") || l.contains(".rs:"))
        .collect()
}
