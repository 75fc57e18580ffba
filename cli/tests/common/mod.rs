//! Running the `oncely` binary in tests.

#![allow(dead_code)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// What one run of the binary gave.
pub struct Run {
    /// The exit status (`None` when killed by a signal).
    pub code: Option<i32>,
    /// Standard output, lossily decoded.
    pub stdout: String,
    /// Standard error, lossily decoded.
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(out: Output) -> Run {
        Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// Runs `oncely ARGS…`.
pub fn oncely<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    Command::new(env!("CARGO_BIN_EXE_oncely"))
        .args(args)
        .output()
        .expect("the oncely binary runs")
        .into()
}

/// Runs `oncely ARGS…` with `input` on standard input.
pub fn oncely_with_stdin(args: &[&str], input: &[u8]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_oncely"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the oncely binary spawns");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("writes stdin");
    child.wait_with_output().expect("waits").into()
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("writes the spec");
    path
}

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("cli/ is inside the repository")
        .to_path_buf()
}

/// A small valid OpenAPI 3.1 document with one operation.
pub const ONE_OPERATION: &str = r#"{"openapi":"3.1.0","info":{"title":"T","version":"1"},"paths":{"/a":{"get":{"responses":{"204":{"description":"x"}}}}}}"#;

/// A document with a `$ref` that points nowhere, at `/components/schemas/A`.
pub const DANGLING: &str = "openapi: 3.0.0\ninfo: {title: T, version: '1'}\ncomponents: {schemas: {A: {$ref: '#/nope'}}}\n";
