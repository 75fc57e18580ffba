//! The Python emitter: IR → a package of plain `.py` modules on the native
//! `oncely` package (no generated retry, key or polling code: the core does
//! that).
//!
//! ```text
//! pyproject.toml, README.md
//! <package>/__init__.py   re-exports the clients and the models
//! <package>/models.py     dataclasses (from_dict / to_dict), enum.Enum, unions
//! <package>/client.py     <Name>Client (blocking) and Async<Name>Client (asyncio)
//! <package>/_support.py   JSON decoding with clear errors, parameter styles
//!                         (`support/_support.py`, copied as is)
//! <package>/py.typed
//! ```
//!
//! Every operation is one method with typed keyword arguments; a long-running
//! one returns `oncely.Operation[T]` (`AsyncOperation[T]`); problems raise
//! `oncely.ProblemError`. Names are made safe (keywords, builtins the code
//! relies on, duplicates, leading digits); the output is deterministic and
//! passes `mypy --strict` and `ruff check`.
//!
//! - `ctx`: names (made safe once, for every module), literals, docstrings
//!   and the Python spelling of IR types;
//! - `models`: `models.py`;
//! - `client`: `client.py`;
//! - this module: the package around them (`__init__.py`, `pyproject.toml`,
//!   `README.md`) and the support module.

mod client;
mod ctx;
mod models;
mod webhooks;
mod workflows;

use std::fmt::Write as _;

use self::ctx::{docstring, lit, Ctx};
use crate::arazzo::Workflows;
use crate::emit::{Generated, GeneratedFile};
use crate::error::CodegenError;
use crate::ir::Api;
use crate::naming::{ident, python::KEYWORDS, Case};

/// Options of the Python emitter.
#[derive(Debug, Clone, Default)]
pub struct PythonOptions {
    /// The import package name (default: from the API title, `_client` added).
    pub package_name: Option<String>,
}

/// The support module every generated package carries: JSON decoding that
/// names what did not fit, model encoding and the OpenAPI parameter styles.
/// A real file so that it is linted and type-checked as one.
const SUPPORT_PY: &str = include_str!("support/_support.py");

fn file(path: String, contents: String) -> GeneratedFile {
    GeneratedFile {
        path: path.into(),
        contents,
    }
}

/// Emits the package.
pub fn emit_python(api: &Api, options: &PythonOptions) -> Result<Generated, CodegenError> {
    emit_package(api, options, None)
}

/// Emits the package for the workflows of an Arazzo document: the client and
/// models of its sources, and `workflows.py` (per workflow a blocking and an
/// asyncio function). The package is named after the document's title by
/// default.
pub fn emit_python_workflows(
    workflows: &Workflows,
    options: &PythonOptions,
) -> Result<Generated, CodegenError> {
    let mut options = options.clone();
    if options.package_name.is_none() {
        options.package_name = Some(workflows.title.clone());
    }
    emit_package(&workflows.api, &options, Some(workflows))
}

fn emit_package(
    api: &Api,
    options: &PythonOptions,
    workflows: Option<&Workflows>,
) -> Result<Generated, CodegenError> {
    let package = options
        .package_name
        .as_deref()
        .map(|n| module_name(n, "client"))
        .unwrap_or_else(|| package_from_title(&api.title));
    let ctx = Ctx::new(api);
    let models = models::models_py(&ctx);
    let client = client::client_py(&ctx);
    let mut files = vec![
        file("pyproject.toml".into(), pyproject(api, &package)),
        file("README.md".into(), readme(api, &package, &ctx)),
        file(format!("{package}/__init__.py"), init_py(&ctx)),
        file(format!("{package}/_support.py"), SUPPORT_PY.to_string()),
        file(format!("{package}/client.py"), client),
        file(format!("{package}/models.py"), models),
        file(format!("{package}/py.typed"), String::new()),
    ];
    if !api.webhooks.is_empty() {
        files.push(file(
            format!("{package}/webhooks.py"),
            webhooks::webhooks_py(&ctx),
        ));
    }
    if let Some(w) = workflows {
        files.push(file(
            format!("{package}/workflows.py"),
            workflows::workflows_py(&ctx, w),
        ));
    }
    Ok(Generated { files })
}

/// A module name from any text: snake words, safe.
fn module_name(raw: &str, fallback: &str) -> String {
    let mut name = ident(raw, Case::Snake, fallback, "m");
    if KEYWORDS.contains(&name.as_str()) || name == "oncely" {
        name.push_str("_api");
    }
    name
}

/// `oncely_orders_api_client` from "Oncely Orders API".
fn package_from_title(title: &str) -> String {
    let base = module_name(title, "api");
    let base: String = base.chars().take(80).collect();
    if base.ends_with("client") {
        base
    } else {
        format!("{base}_client")
    }
}

// ---------------------------------------------------------------- the rest

fn init_py(ctx: &Ctx<'_>) -> String {
    let mut names: Vec<&str> = ctx.types.iter().map(String::as_str).collect();
    names.extend(ctx.decoders.iter().flatten().map(String::as_str));
    names.sort_unstable();
    let mut out = String::new();
    out.push_str("# Generated by `oncely generate --lang python`. Do not edit.\n");
    let mut paragraphs = vec![format!(
        "{} {} on the oncely core.",
        ctx.api.title, ctx.api.version
    )];
    if let Some(d) = &ctx.api.description {
        paragraphs.push(d.clone());
    }
    docstring(&mut out, "", &paragraphs);
    out.push_str("\nfrom .client import DEFAULT_BASE_URL, ");
    let mut classes = [ctx.client.as_str(), ctx.async_client.as_str()];
    classes.sort_unstable();
    let _ = writeln!(out, "{}, {}", classes[0], classes[1]);
    if !names.is_empty() {
        out.push_str("from .models import (\n");
        for n in &names {
            let _ = writeln!(out, "    {n},");
        }
        out.push_str(")\n");
    }
    out.push_str("\n__all__ = [\n");
    let mut all: Vec<&str> = names.clone();
    all.push("DEFAULT_BASE_URL");
    all.push(&ctx.client);
    all.push(&ctx.async_client);
    all.sort_unstable();
    for n in all {
        let _ = writeln!(out, "    {},", lit(n));
    }
    out.push_str("]\n");
    out
}

fn pyproject(api: &Api, package: &str) -> String {
    let dist = package.replace('_', "-");
    format!(
        r#"# Generated by `oncely generate --lang python`. Do not edit.
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = {dist}
version = {version}
description = {description}
requires-python = ">=3.9"
dependencies = ["oncely", "typing_extensions>=4"]

[tool.setuptools]
packages = [{package}]

[tool.setuptools.package-data]
{package} = ["py.typed"]

[tool.ruff]
target-version = "py39"
line-length = 120

[tool.ruff.lint]
select = ["E", "F", "W", "B", "UP"]
ignore = ["E501"]

[tool.mypy]
strict = true
"#,
        dist = lit(&dist),
        version = lit(&python_version(&api.version)),
        description = lit(&format!("Client for {} (generated by oncely)", api.title)),
        package = lit(package),
    )
}

/// A PEP 440 version from `info.version` (else `0.0.0`).
fn python_version(v: &str) -> String {
    let parts: Vec<&str> = v.trim().trim_start_matches('v').split('.').collect();
    if !parts.is_empty()
        && parts.len() <= 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
    {
        parts.join(".")
    } else {
        "0.0.0".into()
    }
}

fn readme(api: &Api, package: &str, ctx: &Ctx<'_>) -> String {
    format!(
        "# {package}\n\nA Python client for {} {} generated by `oncely generate --lang python`, on the\nnative `oncely` package: idempotency keys, retries, `202` polling and problem\ndetails come from the Rust core.\n\n```python\nfrom {package} import {}\n\napi = {}(\"https://api.example.com\", bearer=\"...\")\n```\n\n`{}` has the same methods as coroutines.\n",
        api.title, api.version, ctx.client, ctx.client, ctx.async_client
    )
}
