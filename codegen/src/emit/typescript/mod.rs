//! The TypeScript emitter: a package of `.ts` sources on the npm package
//! `oncely` (the native Node binding).
//!
//! - `src/models.ts`: an interface per object, a string-literal (or number)
//!   union per enum, a union per `oneOf`/`anyOf` — discriminated (each variant
//!   intersected with its tag literal) when the document names a
//!   discriminator — and `unknown` for untyped shapes. Field names are the
//!   wire names, so values go to and from JSON unchanged.
//! - `src/client.ts`: a client class with one typed async method per
//!   operation; long-running operations return `Operation<T>`; failures reject
//!   with oncely's errors (`ProblemError`, …), decided by the Rust core.
//! - `src/support.ts`: parameter serialisation (form, deepObject, …), copied
//!   from `support/support.ts`.
//! - `src/index.ts`, `package.json`, `tsconfig.json`, `README.md`.
//!
//! Output is deterministic (IR order) and passes `tsc --strict --noEmit`;
//! names are made safe (keywords, globals, duplicates, leading digits).
//!
//! - `ctx`: names, literals, JSDoc and the TypeScript spelling of IR types;
//! - `models`: `src/models.ts`;
//! - `client`: `src/client.ts`;
//! - this module: the package around them.

mod client;
mod ctx;
mod models;
mod webhooks;
mod workflows;

use self::ctx::{lit, Ctx};
use super::{Generated, GeneratedFile};
use crate::arazzo::Workflows;
use crate::error::CodegenError;
use crate::ir::Api;
use crate::naming::words;

/// Options of the TypeScript emitter.
#[derive(Debug, Clone, Default)]
pub struct TypeScriptOptions {
    /// npm package name (default: from the API title, e.g. `orders-api-client`).
    pub package_name: Option<String>,
}

/// `tsconfig.json` of every generated package.
const TSCONFIG: &str = include_str!("support/tsconfig.json");

/// `src/support.ts` of every generated package: parameter serialisation and
/// the call options. A real file so that it is type-checked as one.
const SUPPORT_TS: &str = include_str!("support/support.ts");

/// Writes the TypeScript package for `api`.
pub fn emit_typescript(api: &Api, options: &TypeScriptOptions) -> Result<Generated, CodegenError> {
    emit_package(api, options, None)
}

/// Writes the TypeScript package for the workflows of an Arazzo document:
/// the client and models of its sources, and `src/workflows.ts` (one async
/// function per workflow, exported from the index as `workflows`). The
/// package is named after the document's title by default.
pub fn emit_typescript_workflows(
    workflows: &Workflows,
    options: &TypeScriptOptions,
) -> Result<Generated, CodegenError> {
    let mut options = options.clone();
    if options.package_name.is_none() {
        options.package_name = Some(package_name(&workflows.title));
    }
    emit_package(&workflows.api, &options, Some(workflows))
}

fn emit_package(
    api: &Api,
    options: &TypeScriptOptions,
    workflows: Option<&Workflows>,
) -> Result<Generated, CodegenError> {
    let ctx = Ctx::new(api);
    let package = options
        .package_name
        .clone()
        .unwrap_or_else(|| package_name(&api.title));
    let mut index = index_ts(&ctx);
    if workflows.is_some() {
        index.push_str("export * as workflows from \"./workflows.js\";\n");
    }
    if !api.webhooks.is_empty() {
        index.push_str("export * as webhooks from \"./webhooks.js\";\n");
    }
    let mut files = vec![
        file("package.json", package_json(api, &package)),
        file("tsconfig.json", TSCONFIG.to_string()),
        file("README.md", readme(api, &package, &ctx.client)),
        file("src/index.ts", index),
        file("src/models.ts", models::models_ts(&ctx)),
        file("src/support.ts", SUPPORT_TS.to_string()),
        file("src/client.ts", client::client_ts(&ctx)),
    ];
    if !api.webhooks.is_empty() {
        files.push(file("src/webhooks.ts", webhooks::webhooks_ts(&ctx)));
    }
    if let Some(w) = workflows {
        files.push(file("src/workflows.ts", workflows::workflows_ts(&ctx, w)));
    }
    Ok(Generated { files })
}

fn file(path: &str, contents: String) -> GeneratedFile {
    GeneratedFile {
        path: path.into(),
        contents,
    }
}

/// An npm package name from a title: lower-case words joined by `-`, `-client` added.
fn package_name(title: &str) -> String {
    let ws = words(title);
    let base = if ws.is_empty() {
        "api".to_string()
    } else {
        ws.join("-")
    };
    let base: String = base.chars().take(200).collect();
    if base.ends_with("client") {
        base
    } else {
        format!("{base}-client")
    }
}

fn package_json(api: &Api, package: &str) -> String {
    let version = {
        let v: String = api
            .version
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-')
            .collect();
        let parts: Vec<&str> = v.split('.').collect();
        if parts.len() == 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        {
            v
        } else {
            "0.1.0".to_string()
        }
    };
    let description = format!(
        "Typed client for {} on oncely (generated by `oncely generate`).",
        api.title
    );
    format!(
        r#"{{
  "name": {name},
  "version": {version},
  "description": {description},
  "private": true,
  "type": "module",
  "main": "dist/index.js",
  "types": "dist/index.d.ts",
  "exports": {{
    ".": {{
      "types": "./dist/index.d.ts",
      "import": "./dist/index.js"
    }}
  }},
  "scripts": {{
    "build": "tsc -p .",
    "check": "tsc -p . --noEmit"
  }},
  "dependencies": {{
    "oncely": "^0.1.0"
  }},
  "devDependencies": {{
    "@types/node": "^20.19.0",
    "typescript": "^5.9.0"
  }}
}}
"#,
        name = lit(package),
        version = lit(&version),
        description = lit(&description),
    )
}

fn readme(api: &Api, package: &str, client: &str) -> String {
    format!(
        "# {package}\n\n\
         A typed TypeScript client for **{}** {}, generated by `oncely generate --lang typescript`.\n\
         It runs on the native `oncely` package: idempotency keys, retries, `202` polling and\n\
         RFC 9457 problems come from the Rust core.\n\n\
         ```ts\n\
         import {{ {client} }} from \"{package}\";\n\n\
         const api = new {client}({{ baseUrl: \"https://api.example.com\", bearer: process.env.API_TOKEN }});\n\
         ```\n\n\
         Build with `npm install && npm run build` (or `npx tsc -p .`).\n",
        api.title, api.version
    )
}

fn index_ts(ctx: &Ctx<'_>) -> String {
    format!(
        "// Generated by `oncely generate --lang typescript`. Do not edit.\n\n\
         export * from \"./models.js\";\n\
         export {{ {} }} from \"./client.js\";\n\
         export * from \"./client.js\";\n\
         export type {{ CallOptions }} from \"./support.js\";\n\
         export {{\n  Client,\n  Store,\n  Operation,\n  OncelyError,\n  ProblemError,\n  StatusError,\n  RetryExhaustedError,\n  \
         IdempotencyConflictError,\n  TimeoutError,\n  CircuitOpenError,\n  PreconditionFailedError,\n  DecodeError,\n  \
         TransportError,\n  OperationFailedError,\n}} from \"oncely\";\n\
         export type {{ ClientOptions, RetryOptions }} from \"oncely\";\n",
        ctx.client
    )
}

#[cfg(test)]
mod tests {
    use super::ctx::{lit, prop, type_name, value_name, RESERVED_TYPES};
    use super::package_name;
    use crate::naming::Scope;

    #[test]
    fn names_are_safe() {
        let mut s = Scope::with_reserved(RESERVED_TYPES.iter().copied());
        assert_eq!(type_name(&mut s, "promise", "T", "Model"), "PromiseModel");
        assert_eq!(type_name(&mut s, "order", "T", "Model"), "Order");
        assert_eq!(type_name(&mut s, "Order", "T", "Model"), "Order2");
        assert_eq!(type_name(&mut s, "2fa", "T", "Model"), "T2fa");
        assert_eq!(type_name(&mut s, "日本", "Unnamed", "Model"), "Unnamed");
        let mut v = Scope::new();
        assert_eq!(value_name(&mut v, "delete", "op"), "delete_");
        assert_eq!(value_name(&mut v, "get order", "op"), "getOrder");
        assert_eq!(value_name(&mut v, "getOrder", "op"), "getOrder2");
        assert_eq!(value_name(&mut v, "constructor", "op"), "constructor_");
        assert_eq!(prop("x-rate"), "\"x-rate\"");
        assert_eq!(prop("order_id"), "order_id");
        assert_eq!(lit("a\"é"), "\"a\\\"\\u00e9\"");
        assert_eq!(
            package_name("Oncely Orders API"),
            "oncely-orders-api-client"
        );
    }
}
