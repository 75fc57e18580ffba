//! The Rust emitter: a crate with `models` (data types), `operations`
//! (one async method per operation on the client) and a private `support`
//! module, on the `oncely` core.

mod ctx;
mod models;
mod operations;
mod support;
pub mod text;
mod webhooks;
mod workflows;

use std::fmt::Write;
use std::path::{Component, Path, PathBuf};

use super::{Generated, GeneratedFile};
use crate::arazzo::Workflows;
use crate::error::CodegenError;
use crate::ir::Api;
use crate::naming::{upper_camel, words};
use ctx::Ctx;
use text::{lit, toml_str, write_doc};

/// Where the generated crate gets `oncely` from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OncelyDep {
    /// A path dependency.
    Path(PathBuf),
    /// A registry version requirement.
    Version(String),
}

impl Default for OncelyDep {
    /// The `sdk/` directory of the repository this generator was built in.
    fn default() -> OncelyDep {
        OncelyDep::Path(default_sdk_path())
    }
}

/// `<repo>/sdk`, from this crate's manifest directory.
pub fn default_sdk_path() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("sdk");
    std::fs::canonicalize(&p).unwrap_or_else(|_| normalise(&p))
}

fn normalise(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            c => out.push(c),
        }
    }
    out
}

/// Options of the Rust emitter.
#[derive(Debug, Clone, Default)]
pub struct RustOptions {
    /// Crate name (default: from the API title).
    pub crate_name: Option<String>,
    /// Where `oncely` comes from.
    pub oncely: OncelyDep,
}

/// Crate names that would clash with the generated crate's dependencies or
/// with built-in crates.
const RESERVED_CRATES: &[&str] = &[
    "oncely",
    "serde",
    "serde_json",
    "std",
    "core",
    "alloc",
    "test",
    "proc_macro",
    "self",
    "crate",
    "super",
    "build",
];

/// A valid crate name from a free-form name.
pub fn crate_name(raw: &str) -> String {
    let ws = words(raw);
    let mut name = ws.join("-");
    if name.is_empty() {
        name = "api-client".into();
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert_str(0, "api-");
    }
    if RESERVED_CRATES.contains(&name.replace('-', "_").as_str()) {
        name.push_str("-client");
    }
    name
}

/// Emits a Rust crate for `api`.
pub fn emit_rust(api: &Api, options: &RustOptions) -> Result<Generated, CodegenError> {
    emit_crate(api, options, None)
}

/// Emits a Rust crate for the workflows of an Arazzo document: the client
/// and models of its sources, and `workflows` (one async function per
/// workflow). The crate is named after the document's title by default.
pub fn emit_rust_workflows(
    workflows: &Workflows,
    options: &RustOptions,
) -> Result<Generated, CodegenError> {
    let mut options = options.clone();
    if options.crate_name.is_none() {
        options.crate_name = Some(workflows.title.clone());
    }
    emit_crate(&workflows.api, &options, Some(workflows))
}

fn emit_crate(
    api: &Api,
    options: &RustOptions,
    workflows: Option<&Workflows>,
) -> Result<Generated, CodegenError> {
    let name = match &options.crate_name {
        Some(n) if n.trim().is_empty() => {
            return Err(CodegenError::InvalidOption {
                option: "--name",
                reason: "the crate name is empty".into(),
            })
        }
        Some(n) => crate_name(n),
        None => crate_name(&api.title),
    };
    let client = client_name(&name);
    let ctx = Ctx::new(api, &client);

    let mut files = vec![
        GeneratedFile {
            path: "Cargo.toml".into(),
            contents: cargo_toml(&name, &options.oncely),
        },
        GeneratedFile {
            path: "src/lib.rs".into(),
            contents: lib_rs(api, &client, workflows),
        },
        GeneratedFile {
            path: "src/models.rs".into(),
            contents: models::emit(&ctx),
        },
        GeneratedFile {
            path: "src/operations.rs".into(),
            contents: operations::emit(&ctx, &client),
        },
        GeneratedFile {
            path: "src/support.rs".into(),
            contents: support::SOURCE.to_string(),
        },
    ];
    if !api.webhooks.is_empty() {
        files.push(GeneratedFile {
            path: "src/webhooks.rs".into(),
            contents: webhooks::emit(&ctx),
        });
    }
    if let Some(w) = workflows {
        files.push(GeneratedFile {
            path: "src/workflows.rs".into(),
            contents: workflows::emit(&ctx, w),
        });
    }
    files.push(GeneratedFile {
        path: ".gitignore".into(),
        contents: "/target\n".into(),
    });
    Ok(Generated { files })
}

/// `OrdersClient` from a crate name.
fn client_name(crate_name: &str) -> String {
    let mut ws = words(crate_name);
    if ws.last().is_some_and(|w| w == "client") {
        ws.pop();
    }
    let base = upper_camel(&ws);
    if base.is_empty() {
        "Client".into()
    } else {
        format!("{base}Client")
    }
}

fn cargo_toml(name: &str, oncely: &OncelyDep) -> String {
    let dep = match oncely {
        OncelyDep::Path(p) => format!("{{ path = {} }}", toml_str(&p.display().to_string())),
        OncelyDep::Version(v) => format!("{{ version = {} }}", toml_str(v)),
    };
    format!(
        "# Generated by oncely-codegen {ver}. Do not edit.\n\
         [package]\n\
         name = {name}\n\
         version = \"0.1.0\"\n\
         edition = \"2021\"\n\
         publish = false\n\
         \n\
         [dependencies]\n\
         oncely = {dep}\n\
         serde = {{ version = \"1.0.184\", features = [\"derive\"] }}\n\
         serde_json = \"1\"\n\
         \n\
         # A standalone crate, even when generated inside another workspace.\n\
         [workspace]\n",
        ver = env!("CARGO_PKG_VERSION"),
        name = toml_str(name),
    )
}

fn lib_rs(api: &Api, client: &str, workflows: Option<&Workflows>) -> String {
    let mut out = String::new();
    let mut head = format!(
        "Client for {} {}, generated by oncely-codegen {} from an OpenAPI {} document. Do not edit.",
        text::code(&api.title),
        text::code(&api.version),
        env!("CARGO_PKG_VERSION"),
        api.openapi
    );
    head.push_str(&format!(
        "\n\nEvery operation is an async method of `{client}` in the `operations` module; \
         data types are in `models`. Calls run on the `oncely` core, which attaches and \
         persists idempotency keys, retries what is safe to retry, polls long-running \
         operations and turns `application/problem+json` answers into typed errors."
    ));
    let mut paras = vec![head];
    if let Some(w) = workflows {
        paras.push(format!(
            "The `workflows` module has one async function per workflow of the Arazzo document {} ({}), \
             run on the `oncely` workflow engine.",
            text::code(&w.document_name),
            text::code(&w.title)
        ));
    }
    if let Some(d) = &api.description {
        paras.push(d.clone());
    }
    let mut doc = String::new();
    write_doc(&mut doc, "", &paras);
    for line in doc.lines() {
        let _ = writeln!(out, "//!{}", line.trim_start_matches("///"));
    }
    out.push_str("#![allow(clippy::all, clippy::pedantic, clippy::nursery)]\n\n");
    out.push_str("pub mod models;\npub mod operations;\nmod support;\n");
    if !api.webhooks.is_empty() {
        out.push_str("pub mod webhooks;\n");
    }
    if workflows.is_some() {
        out.push_str("pub mod workflows;\n");
    }
    out.push('\n');
    out.push_str("/// Server URLs listed by the document (the core client takes the base URL).\n");
    out.push_str("pub const SERVERS: &[&str] = &[");
    for (i, s) in api.servers.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&lit(s));
    }
    out.push_str("];\n\n");
    let _ = writeln!(
        out,
        "/// Client for {}: one async method per operation (see the `operations` module).\n\
         ///\n\
         /// Wraps a configured `oncely::Client` (base URL, authentication, retry policy, \
         idempotency store).\n\
         pub struct {client} {{\n    inner: ::oncely::Client,\n}}\n\n\
         impl {client} {{\n\
         \x20   /// Wraps a configured core client.\n\
         \x20   pub fn new(client: ::oncely::Client) -> Self {{\n\
         \x20       Self {{ inner: client }}\n\
         \x20   }}\n\n\
         \x20   /// The core client.\n\
         \x20   pub fn inner(&self) -> &::oncely::Client {{\n\
         \x20       &self.inner\n\
         \x20   }}\n\
         }}",
        text::code(&api.title)
    );
    out
}
