//! Multi-file documents → one: `$ref`s to other files
//! (`./common.yaml#/components/schemas/Order`) are brought into the root
//! document, so everything after loading reads one JSON value.
//!
//! A referenced component (`…#/components/<kind>/<name>`) is copied into
//! the root's `components/<kind>` under its own name (suffixed `_2`, `_3`, …
//! when the root already has a different one), so generated types keep
//! their names. Anything else a file is referenced for (a path item, a whole
//! file) is embedded under `x-oncely-external/<n>` and the reference pointed
//! there. References inside copied parts are rewritten the same way,
//! relative to the file they came from; cycles between files are fine.
//! Remote (`http:`/`https:`) references and files that cannot be read are
//! left as they are, with a warning: the lowerer then reports them as
//! unresolved, with the pointer of the reference.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::error::{Diagnostic, DiagnosticKind, Severity};
use crate::load::parse_text;
use crate::lower::esc;

/// Where embedded whole files go in the root document.
const EXTERNAL: &str = "x-oncely-external";

/// Bundles the files `root` (read from `path`) references into it.
pub(crate) fn bundle(root: &mut Value, path: &Path, diags: &mut Vec<Diagnostic>) {
    if !has_external_refs(root) {
        return;
    }
    let mut b = Bundler {
        files: HashMap::new(),
        imported: HashMap::new(),
        embedded: HashMap::new(),
        additions: Vec::new(),
        external: Map::new(),
        root: root.clone(),
        root_file: canonical(path),
        diags,
    };
    let mut rewritten = root.clone();
    let root_file = b.root_file.clone();
    b.rewrite(&mut rewritten, &root_file, "");
    // Components copied in, then embedded files.
    for (kind, name, value) in std::mem::take(&mut b.additions) {
        let components = rewritten.as_object_mut().map(|o| {
            o.entry("components")
                .or_insert_with(|| Value::Object(Map::new()))
        });
        if let Some(Value::Object(c)) = components {
            if let Value::Object(k) = c.entry(kind).or_insert_with(|| Value::Object(Map::new())) {
                k.insert(name, value);
            }
        }
    }
    if !b.external.is_empty() {
        if let Some(o) = rewritten.as_object_mut() {
            o.insert(
                EXTERNAL.into(),
                Value::Object(std::mem::take(&mut b.external)),
            );
        }
    }
    *root = rewritten;
}

fn has_external_refs(v: &Value) -> bool {
    match v {
        Value::Object(o) => o.iter().any(|(k, v)| {
            (k == "$ref" && v.as_str().is_some_and(|r| !r.starts_with('#'))) || has_external_refs(v)
        }),
        Value::Array(a) => a.iter().any(has_external_refs),
        _ => false,
    }
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

struct Bundler<'d> {
    /// Parsed files by path (`None`: could not be read).
    files: HashMap<PathBuf, Option<Value>>,
    /// (file, kind, name) → the name it has in the root.
    imported: HashMap<(PathBuf, String, String), String>,
    /// File → its key under `x-oncely-external`.
    embedded: HashMap<PathBuf, String>,
    /// Components to add to the root: (kind, name, value).
    additions: Vec<(String, String, Value)>,
    /// Embedded files.
    external: Map<String, Value>,
    /// The root as read (to find free component names).
    root: Value,
    /// The root's file.
    root_file: PathBuf,
    diags: &'d mut Vec<Diagnostic>,
}

impl Bundler<'_> {
    /// Rewrites every `$ref` in `v`, which comes from `file` (at JSON
    /// pointer `at` of the bundled document, for diagnostics).
    fn rewrite(&mut self, v: &mut Value, file: &Path, at: &str) {
        match v {
            Value::Object(o) => {
                if let Some(Value::String(r)) = o.get("$ref") {
                    let r = r.clone();
                    if let Some(new) = self.target(&r, file, at) {
                        o.insert("$ref".into(), Value::String(new));
                    }
                }
                for (k, child) in o.iter_mut() {
                    if k != "$ref" {
                        let at = format!("{at}/{}", esc(k));
                        self.rewrite(child, file, &at);
                    }
                }
            }
            Value::Array(a) => {
                for (i, child) in a.iter_mut().enumerate() {
                    self.rewrite(child, file, &format!("{at}/{i}"));
                }
            }
            _ => {}
        }
    }

    /// The reference `r` (made in `file`) as a reference into the bundle,
    /// or `None` to leave it as written.
    fn target(&mut self, r: &str, file: &Path, at: &str) -> Option<String> {
        let (file_part, pointer) = r.split_once('#').unwrap_or((r, ""));
        let target_file = if file_part.is_empty() {
            file.to_path_buf()
        } else {
            if file_part.contains("://") {
                self.warn(at, format!("remote $ref {r:?} is not fetched"));
                return None;
            }
            let base = file.parent().unwrap_or(Path::new("."));
            canonical(&base.join(file_part))
        };
        if target_file == self.root_file {
            // Into the root: a local reference (unchanged when it was one).
            return (!file_part.is_empty()).then(|| format!("#{pointer}"));
        }
        self.load(&target_file, r, at)?;
        let segments: Vec<&str> = pointer.trim_start_matches('/').split('/').collect();
        if let ["components", kind, name] = segments.as_slice() {
            let name = crate::lower::percent_decode(name)
                .replace("~1", "/")
                .replace("~0", "~");
            let new = self.import(&target_file, kind, &name, r, at)?;
            return Some(format!("#/components/{kind}/{}", esc(&new)));
        }
        let key = self.embed(&target_file);
        Some(format!("#/{EXTERNAL}/{key}{pointer}"))
    }

    /// Reads and parses a file once.
    fn load(&mut self, path: &Path, r: &str, at: &str) -> Option<()> {
        if !self.files.contains_key(path) {
            let parsed = std::fs::read(path)
                .map_err(|e| e.to_string())
                .and_then(|bytes| {
                    let text = String::from_utf8_lossy(&bytes).into_owned();
                    parse_text(&text, &path.display().to_string())
                        .map(|(v, _)| v)
                        .map_err(|e| e.to_string())
                });
            match parsed {
                Ok(v) => {
                    self.files.insert(path.to_path_buf(), Some(v));
                }
                Err(e) => {
                    self.warn(at, format!("$ref {r:?}: {e}"));
                    self.files.insert(path.to_path_buf(), None);
                }
            }
        }
        self.files.get(path).and_then(Option::as_ref).map(|_| ())
    }

    /// Copies component `kind/name` of `file` into the root; its name there.
    fn import(&mut self, file: &Path, kind: &str, name: &str, r: &str, at: &str) -> Option<String> {
        let id = (file.to_path_buf(), kind.to_string(), name.to_string());
        if let Some(n) = self.imported.get(&id) {
            return Some(n.clone());
        }
        let value = self
            .files
            .get(file)
            .and_then(Option::as_ref)
            .and_then(|d| d.get("components"))
            .and_then(|c| c.get(kind))
            .and_then(|k| k.get(name))
            .cloned();
        let Some(mut value) = value else {
            self.warn(at, format!("$ref {r:?}: the file has no such component"));
            return None;
        };
        let taken = |n: &str, b: &Bundler<'_>| {
            b.root
                .get("components")
                .and_then(|c| c.get(kind))
                .and_then(|k| k.get(n))
                .is_some()
                || b.additions.iter().any(|(k, m, _)| k == kind && m == n)
        };
        let mut local = name.to_string();
        let mut i = 2;
        while taken(&local, self) {
            local = format!("{name}_{i}");
            i += 1;
        }
        self.imported.insert(id, local.clone());
        // Reserve the name before rewriting (a component may refer to itself).
        self.additions
            .push((kind.to_string(), local.clone(), Value::Null));
        let slot = self.additions.len() - 1;
        let at = format!("/components/{kind}/{}", esc(&local));
        self.rewrite(&mut value, file, &at);
        self.additions[slot].2 = value;
        Some(local)
    }

    /// Embeds a whole file under `x-oncely-external`; its key.
    fn embed(&mut self, file: &Path) -> String {
        if let Some(k) = self.embedded.get(file) {
            return k.clone();
        }
        let key = self.embedded.len().to_string();
        self.embedded.insert(file.to_path_buf(), key.clone());
        let mut value = self
            .files
            .get(file)
            .and_then(Option::as_ref)
            .cloned()
            .unwrap_or(Value::Null);
        self.rewrite(&mut value, file, &format!("/{EXTERNAL}/{key}"));
        self.external.insert(key.clone(), value);
        key
    }

    fn warn(&mut self, at: &str, message: String) {
        self.diags.push(Diagnostic {
            severity: Severity::Warning,
            kind: DiagnosticKind::Invalid,
            pointer: at.to_string(),
            message,
        });
    }
}
