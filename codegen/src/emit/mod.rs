//! Emitters: IR → source files of one language.
//!
//! One folder per language ([`rust`], [`python`], [`typescript`]), each with
//! its own options type, a `ctx` module (names and type spellings worked out
//! once) and one module per generated file; what they decide alike is in
//! `common`. A new target language is a new folder here, a [`Language`] and
//! a [`Target`] variant.

mod common;
pub mod python;
pub mod rust;
pub mod typescript;

use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::arazzo::Workflows;
use crate::error::CodegenError;
use crate::ir::Api;

pub use python::PythonOptions;
pub use rust::RustOptions;
pub use typescript::TypeScriptOptions;

/// A target language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// Rust (a crate on the `oncely` core).
    Rust,
    /// Python (a package of `.py` modules on the native `oncely` package).
    Python,
    /// TypeScript (a package of `.ts` sources on the `oncely` npm package).
    TypeScript,
}

impl FromStr for Language {
    type Err = CodegenError;

    fn from_str(s: &str) -> Result<Language, CodegenError> {
        match s.to_ascii_lowercase().as_str() {
            "rust" | "rs" => Ok(Language::Rust),
            "python" | "py" => Ok(Language::Python),
            "typescript" | "ts" => Ok(Language::TypeScript),
            _ => Err(CodegenError::UnsupportedLanguage {
                lang: s.to_string(),
            }),
        }
    }
}

/// A target language with the options of its emitter.
#[derive(Debug, Clone)]
pub enum Target {
    /// A Rust crate.
    Rust(RustOptions),
    /// A Python package.
    Python(PythonOptions),
    /// A TypeScript package.
    TypeScript(TypeScriptOptions),
}

impl Target {
    /// `lang` with the options that `rust` gives it: the crate name is the
    /// Python import package or the npm package name; the `oncely`
    /// dependency only applies to Rust.
    pub fn from_rust_options(lang: Language, rust: &RustOptions) -> Target {
        match lang {
            Language::Rust => Target::Rust(rust.clone()),
            Language::Python => Target::Python(PythonOptions {
                package_name: rust.crate_name.clone(),
            }),
            Language::TypeScript => Target::TypeScript(TypeScriptOptions {
                package_name: rust.crate_name.clone(),
            }),
        }
    }

    /// The language.
    pub fn language(&self) -> Language {
        match self {
            Target::Rust(_) => Language::Rust,
            Target::Python(_) => Language::Python,
            Target::TypeScript(_) => Language::TypeScript,
        }
    }

    /// Writes the client of an Arazzo document's sources and its typed
    /// workflow functions.
    pub fn emit_workflows(&self, workflows: &Workflows) -> Result<Generated, CodegenError> {
        match self {
            Target::Rust(o) => rust::emit_rust_workflows(workflows, o),
            Target::Python(o) => python::emit_python_workflows(workflows, o),
            Target::TypeScript(o) => typescript::emit_typescript_workflows(workflows, o),
        }
    }

    /// Writes the client of `api`.
    pub fn emit(&self, api: &Api) -> Result<Generated, CodegenError> {
        match self {
            Target::Rust(o) => rust::emit_rust(api, o),
            Target::Python(o) => python::emit_python(api, o),
            Target::TypeScript(o) => typescript::emit_typescript(api, o),
        }
    }
}

/// One generated file, with a path relative to the output directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Relative path (`src/models.rs`).
    pub path: PathBuf,
    /// Contents.
    pub contents: String,
}

/// The files of a generated client.
#[derive(Debug, Clone, Default)]
pub struct Generated {
    /// The files, in a fixed order.
    pub files: Vec<GeneratedFile>,
}

impl Generated {
    /// The contents of the file at `path`, if generated.
    pub fn file(&self, path: &str) -> Option<&str> {
        self.files
            .iter()
            .find(|f| f.path == Path::new(path))
            .map(|f| f.contents.as_str())
    }

    /// Writes every file under `dir` (creating directories). A file whose
    /// contents are unchanged is not rewritten, so builds stay incremental.
    pub fn write_to(&self, dir: &Path) -> Result<(), CodegenError> {
        for f in &self.files {
            let path = dir.join(&f.path);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|source| CodegenError::Write {
                    path: parent.to_path_buf(),
                    source,
                })?;
            }
            if std::fs::read(&path).ok().as_deref() == Some(f.contents.as_bytes()) {
                continue;
            }
            std::fs::write(&path, &f.contents)
                .map_err(|source| CodegenError::Write { path, source })?;
        }
        Ok(())
    }
}
