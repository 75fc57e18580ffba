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
//! - `src/support.ts`: parameter serialisation (form, deepObject, …).
//! - `src/index.ts`, `package.json`, `tsconfig.json`, `README.md`.
//!
//! Output is deterministic (IR order) and passes `tsc --strict --noEmit`;
//! names are made safe (keywords, globals, duplicates, leading digits).

use std::collections::BTreeSet;
use std::fmt::Write;

use super::rust::text::doc_lines;
use super::{Generated, GeneratedFile};
use crate::error::CodegenError;
use crate::ir::{
    Api, BodyKind, CaseBody, Docs, EnumLiteral, EnumRepr, Operation, Param, ParamLocation,
    ParamStyle, Primitive, StatusCase, Success, Type, TypeDef, TypeId,
};
use crate::naming::{lower_camel, typescript::KEYWORDS, upper_camel, words, Scope};

/// Options of the TypeScript emitter.
#[derive(Debug, Clone, Default)]
pub struct TsOptions {
    /// npm package name (default: from the API title, e.g. `orders-api-client`).
    pub package_name: Option<String>,
}

/// Global names a generated type must not shadow (the generated code uses
/// them), and the names `index.ts` re-exports from `oncely`.
const RESERVED_TYPES: &[&str] = &[
    "Array",
    "Record",
    "Promise",
    "Uint8Array",
    "Partial",
    "Omit",
    "Pick",
    "Readonly",
    "Object",
    "String",
    "Number",
    "Boolean",
    "Symbol",
    "BigInt",
    "Date",
    "Error",
    "TypeError",
    "Map",
    "Set",
    "JSON",
    "Math",
    "Function",
    "AbortSignal",
    "Buffer",
    "Client",
    "ClientOptions",
    "RequestOptions",
    "RetryOptions",
    "Operation",
    "Store",
    "Response",
    "OncelyError",
    "ProblemError",
    "StatusError",
    "RetryExhaustedError",
    "IdempotencyConflictError",
    "TimeoutError",
    "CircuitOpenError",
    "PreconditionFailedError",
    "DecodeError",
    "TransportError",
    "OperationFailedError",
    "CallOptions",
    "Json",
];

/// Keys of `CallOptions`: generated parameter names must not take them.
const CALL_OPTION_KEYS: &[&str] = &[
    "intentId",
    "idempotencyKey",
    "signal",
    "timeoutMs",
    "deadlineMs",
    "retry",
    "headers",
    "ifMatch",
];

/// Writes the TypeScript package for `api`.
pub fn emit_typescript(api: &Api, options: &TsOptions) -> Result<Generated, CodegenError> {
    let ctx = Ctx::new(api);
    let package = options
        .package_name
        .clone()
        .unwrap_or_else(|| package_name(&api.title));
    let files = vec![
        file("package.json", package_json(api, &package)),
        file("tsconfig.json", TSCONFIG.to_string()),
        file("README.md", readme(api, &package, &ctx.client)),
        file("src/index.ts", index_ts(&ctx)),
        file("src/models.ts", models_ts(&ctx)),
        file("src/support.ts", SUPPORT_TS.to_string()),
        file("src/client.ts", client_ts(&ctx)),
    ];
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

/// A TypeScript string literal (ASCII; everything else escaped).
fn lit(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// True for a plain ASCII identifier (usable as a property name without quotes).
fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// A property key: bare when it is an identifier, quoted otherwise.
fn prop(name: &str) -> String {
    if is_ident(name) {
        name.to_string()
    } else {
        lit(name)
    }
}

/// A unique `UpperCamel` type name; keywords and globals get `suffix`.
fn type_name(scope: &mut Scope, raw: &str, fallback: &str, suffix: &str) -> String {
    let mut base = upper_camel(&words(raw));
    if base.is_empty() {
        base = fallback.to_string();
    }
    if base.starts_with(|c: char| c.is_ascii_digit()) {
        base.insert(0, 'T');
    }
    if RESERVED_TYPES.contains(&base.as_str()) || KEYWORDS.contains(&base.as_str()) {
        base.push_str(suffix);
    }
    scope.unique(&base, "")
}

/// A unique `lowerCamel` value name (method, parameter); keywords get `_`.
fn value_name(scope: &mut Scope, raw: &str, fallback: &str) -> String {
    let mut base = lower_camel(&words(raw));
    if base.is_empty() {
        base = fallback.to_string();
    }
    if base.starts_with(|c: char| c.is_ascii_digit()) {
        base.insert(0, 'n');
    }
    if KEYWORDS.contains(&base.as_str())
        || matches!(base.as_str(), "arguments" | "eval" | "constructor")
    {
        base.push('_');
    }
    scope.unique(&base, "")
}

/// A JSDoc block (nothing when there is nothing to say).
fn jsdoc(out: &mut String, indent: &str, paragraphs: &[String], deprecated: bool) {
    let mut lines: Vec<String> = Vec::new();
    for p in paragraphs {
        let ls = doc_lines(p);
        if ls.is_empty() {
            continue;
        }
        if !lines.is_empty() {
            lines.push(String::new());
        }
        lines.extend(ls.into_iter().map(|l| l.replace("*/", "*\\/")));
    }
    if deprecated {
        lines.push("@deprecated".into());
    }
    if lines.is_empty() {
        return;
    }
    let _ = writeln!(out, "{indent}/**");
    for l in lines {
        if l.is_empty() {
            let _ = writeln!(out, "{indent} *");
        } else {
            let _ = writeln!(out, "{indent} * {l}");
        }
    }
    let _ = writeln!(out, "{indent} */");
}

fn docs_paragraphs(docs: &Docs) -> Vec<String> {
    docs.summary
        .iter()
        .chain(docs.description.iter())
        .cloned()
        .collect()
}

/// Names and facts worked out before writing.
struct Ctx<'a> {
    api: &'a Api,
    /// Type name per declaration.
    types: Vec<String>,
    /// Aliases that only lead back to themselves (emitted as `unknown`).
    cyclic_alias: Vec<bool>,
    /// The client class.
    client: String,
    /// Scope of exported type names (models, client, params, results).
    scope: Scope,
}

impl<'a> Ctx<'a> {
    fn new(api: &'a Api) -> Ctx<'a> {
        let mut scope = Scope::with_reserved(RESERVED_TYPES.iter().copied());
        let client = type_name(
            &mut scope,
            &format!("{} client", api.title),
            "ApiClient",
            "Api",
        );
        let types = api
            .types
            .iter()
            .map(|d| type_name(&mut scope, &d.name, "Unnamed", "Model"))
            .collect();
        let cyclic_alias = (0..api.types.len()).map(|i| alias_cycle(api, i)).collect();
        Ctx {
            api,
            types,
            cyclic_alias,
            client,
            scope,
        }
    }

    /// The TypeScript type of `t`; `q` qualifies model names (`m.`) outside models.ts.
    fn ty(&self, t: &Type, q: &str) -> String {
        match t {
            Type::Primitive(p) => match p {
                Primitive::I32 | Primitive::I64 | Primitive::Number => "number".into(),
                Primitive::Boolean => "boolean".into(),
                _ => "string".into(),
            },
            Type::Array(inner) => format!("Array<{}>", self.ty(inner, q)),
            Type::Map(inner) => format!("{{ [key: string]: {} }}", self.ty(inner, q)),
            Type::Ref(id) if self.cyclic_alias[id.0] => "unknown".into(),
            Type::Ref(id) => format!("{q}{}", self.types[id.0]),
            Type::Nullable(inner) => match inner.as_ref() {
                Type::Any { .. } => "unknown".into(),
                inner => format!("{} | null", self.ty(inner, q)),
            },
            Type::Any { .. } => "unknown".into(),
        }
    }
}

/// True when alias `i` only refers back to itself through other aliases
/// (nullability included), which TypeScript rejects as circular.
fn alias_cycle(api: &Api, i: usize) -> bool {
    let mut seen = BTreeSet::new();
    let mut cur = i;
    loop {
        let TypeDef::Alias(t) = &api.types[cur].def else {
            return false;
        };
        let Type::Ref(TypeId(next)) = t.non_null() else {
            return false;
        };
        if *next == i {
            return true;
        }
        if !seen.insert(*next) {
            return false;
        }
        cur = *next;
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

const TSCONFIG: &str = r#"{
  "compilerOptions": {
    "strict": true,
    "target": "es2022",
    "module": "nodenext",
    "moduleResolution": "nodenext",
    "declaration": true,
    "rootDir": "src",
    "outDir": "dist",
    "types": ["node"],
    "skipLibCheck": true
  },
  "include": ["src"]
}
"#;

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

fn models_ts(ctx: &Ctx<'_>) -> String {
    let mut out = String::with_capacity(32 * 1024);
    out.push_str("// Generated by `oncely generate --lang typescript`. Do not edit.\n");
    let _ = writeln!(
        out,
        "// The data types of {}.",
        ctx.api.title.replace('\n', " ")
    );
    if ctx.api.types.is_empty() {
        out.push_str("\nexport {};\n");
    }
    for (i, decl) in ctx.api.types.iter().enumerate() {
        let name = &ctx.types[i];
        out.push('\n');
        jsdoc(
            &mut out,
            "",
            &docs_paragraphs(&decl.docs),
            decl.docs.deprecated,
        );
        match &decl.def {
            TypeDef::Object(o) => {
                if o.fields.is_empty() {
                    let extra = o
                        .additional
                        .as_ref()
                        .map(|t| ctx.ty(t, ""))
                        .unwrap_or_else(|| "unknown".into());
                    let _ = writeln!(
                        out,
                        "export interface {name} {{\n  [key: string]: {extra};\n}}"
                    );
                    continue;
                }
                let _ = writeln!(out, "export interface {name} {{");
                for f in &o.fields {
                    jsdoc(&mut out, "  ", &docs_paragraphs(&f.docs), f.docs.deprecated);
                    let opt = if f.required { "" } else { "?" };
                    let _ = writeln!(out, "  {}{opt}: {};", prop(&f.name), ctx.ty(&f.ty, ""));
                }
                if o.additional.is_some() {
                    out.push_str(
                        "  /** Other members the document allows. */\n  [key: string]: unknown;\n",
                    );
                }
                out.push_str("}\n");
            }
            TypeDef::Enum(e) => {
                let values: Vec<String> = e
                    .values
                    .iter()
                    .map(|v| match &v.value {
                        EnumLiteral::String(s) => lit(s),
                        EnumLiteral::Integer(n) => n.to_string(),
                    })
                    .collect();
                let body = if values.is_empty() {
                    match e.repr {
                        EnumRepr::String => "string".to_string(),
                        EnumRepr::Integer => "number".to_string(),
                    }
                } else {
                    values.join(" | ")
                };
                let _ = writeln!(out, "export type {name} = {body};");
            }
            TypeDef::Union(u) => {
                let mut parts: Vec<String> = Vec::new();
                for v in &u.variants {
                    let t = ctx.ty(&v.ty, "");
                    match &u.discriminator {
                        Some(tag) if !v.tags.is_empty() => {
                            let tags: Vec<String> = v.tags.iter().map(|t| lit(t)).collect();
                            parts.push(format!(
                                "({t} & {{ {}: {} }})",
                                prop(tag),
                                tags.join(" | ")
                            ));
                        }
                        _ => parts.push(if t.contains(" | ") {
                            format!("({t})")
                        } else {
                            t
                        }),
                    }
                }
                let mut seen = BTreeSet::new();
                parts.retain(|p| seen.insert(p.clone()));
                let body = if parts.is_empty() {
                    "unknown".to_string()
                } else {
                    parts.join(" | ")
                };
                let _ = writeln!(out, "export type {name} = {body};");
            }
            TypeDef::Alias(t) => {
                let body = if ctx.cyclic_alias[i] {
                    "unknown".to_string()
                } else {
                    ctx.ty(t, "")
                };
                let _ = writeln!(out, "export type {name} = {body};");
            }
        }
    }
    out
}

/// How one parameter is read from the method's arguments.
struct ParamPlan<'p> {
    param: &'p Param,
    /// The TS expression holding the value (`orderId`, `params.limit`).
    expr: String,
}

fn style_name(s: ParamStyle) -> &'static str {
    match s {
        ParamStyle::SpaceDelimited => "spaceDelimited",
        ParamStyle::PipeDelimited => "pipeDelimited",
        ParamStyle::DeepObject => "deepObject",
        ParamStyle::Json => "json",
        _ => "form",
    }
}

/// Path template variables in order.
fn template_vars(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        out.push(rest[open + 1..open + close].to_string());
        rest = &rest[open + close + 1..];
    }
    out
}

fn client_ts(ctx: &Ctx<'_>) -> String {
    let mut scope = ctx.scope.clone();
    let mut out = String::with_capacity(64 * 1024);
    let mut decls = String::new();
    let mut methods = String::new();
    let mut method_scope = Scope::with_reserved(["constructor", "client", "api"]);
    for op in &ctx.api.operations {
        method(
            ctx,
            op,
            &mut scope,
            &mut method_scope,
            &mut decls,
            &mut methods,
        );
    }
    out.push_str("// Generated by `oncely generate --lang typescript`. Do not edit.\n");
    out.push_str("import { Client } from \"oncely\";\n");
    out.push_str("import type { ClientOptions, Operation, RequestOptions } from \"oncely\";\n");
    out.push_str("import type * as m from \"./models.js\";\n");
    out.push_str("import * as support from \"./support.js\";\n");
    out.push_str("import type { CallOptions } from \"./support.js\";\n");
    out.push_str(&decls);
    out.push('\n');
    jsdoc(
        &mut out,
        "",
        &[format!("A client for {} {}. Every method returns a Promise; failures reject with oncely's errors (`ProblemError`, `RetryExhaustedError`, …).", ctx.api.title, ctx.api.version)],
        false,
    );
    let _ = writeln!(out, "export class {} {{", ctx.client);
    out.push_str("  /** The underlying oncely client (keys, retries, polling, problems). */\n");
    out.push_str("  readonly client: Client;\n\n");
    out.push_str(
        "  /** Builds the client from oncely client options, or wraps an existing `Client`. */\n",
    );
    out.push_str("  constructor(options: ClientOptions | Client) {\n");
    out.push_str(
        "    this.client = options instanceof Client ? options : new Client(options);\n  }\n",
    );
    out.push_str(&methods);
    out.push_str("}\n");
    out
}

/// Writes one operation's method (into `methods`) and its parameter and
/// result types (into `decls`).
fn method(
    ctx: &Ctx<'_>,
    op: &Operation,
    scope: &mut Scope,
    method_scope: &mut Scope,
    decls: &mut String,
    methods: &mut String,
) {
    let name = value_name(method_scope, &op.name, "operation");
    let type_base = upper_camel(&words(&name));
    let mut args_scope = Scope::with_reserved([
        "body", "params", "request", "response", "query", "headers", "support", "m",
    ]);
    let mut args: Vec<String> = Vec::new();
    let mut arg_docs: Vec<(String, String)> = Vec::new();
    let mut plans: Vec<ParamPlan<'_>> = Vec::new();

    // Path parameters: positional, in template order.
    let mut path_params: Vec<(String, String)> = Vec::new();
    for var in template_vars(&op.path) {
        let param = op
            .params
            .iter()
            .find(|p| p.location == ParamLocation::Path && p.name == var);
        let arg = value_name(&mut args_scope, &var, "param");
        let ty = param
            .map(|p| ctx.ty(&p.ty, "m."))
            .unwrap_or_else(|| "string".into());
        let ty = if ty == "unknown" {
            "string | number".to_string()
        } else {
            ty
        };
        args.push(format!("{arg}: {ty}"));
        if let Some(d) = param.and_then(|p| p.docs.description.clone().or(p.docs.summary.clone())) {
            arg_docs.push((arg.clone(), d));
        }
        path_params.push((var, arg));
    }

    // The body.
    let body = op
        .body
        .as_ref()
        .and_then(|b| b.contents.first().map(|c| (b, c)));
    let mut body_field = String::new();
    // An optional body before a required `params` object must be spelled
    // `body: T | undefined` (TypeScript allows no required parameter after an
    // optional one): its index and type.
    let mut optional_body: Option<(usize, String)> = None;
    if let Some((b, c)) = body {
        let opt = if b.required { "" } else { "?" };
        let (ty, field) = match c.kind {
            BodyKind::Json => (ctx.ty(&c.ty, "m."), "json: body"),
            BodyKind::Form => (
                ctx.ty(&c.ty, "m."),
                "form: body as unknown as Record<string, unknown>",
            ),
            _ => ("string | Uint8Array".to_string(), "body"),
        };
        let ty = match c.kind {
            BodyKind::Form if !ty.starts_with("m.") => "Record<string, unknown>".to_string(),
            _ => ty,
        };
        if !b.required {
            optional_body = Some((args.len(), ty.clone()));
        }
        args.push(format!("body{opt}: {ty}"));
        if let Some(d) = b.docs.description.clone() {
            arg_docs.push(("body".into(), d));
        }
        body_field = match c.kind {
            BodyKind::Json | BodyKind::Form if !b.required => {
                format!("...(body === undefined ? {{}} : {{ {field} }}),")
            }
            BodyKind::Json | BodyKind::Form => format!("{field},"),
            _ => {
                let ct = if c.media_type.contains('*') {
                    "application/octet-stream"
                } else {
                    c.media_type.as_str()
                };
                if b.required {
                    format!("body, contentType: params.contentType ?? {},", lit(ct))
                } else {
                    format!("...(body === undefined ? {{}} : {{ body, contentType: params.contentType ?? {} }}),", lit(ct))
                }
            }
        };
    }
    let raw_body = body.is_some_and(|(_, c)| !matches!(c.kind, BodyKind::Json | BodyKind::Form));

    // Other parameters go into a `…Params` object (with the call options).
    let others: Vec<&Param> = op
        .params
        .iter()
        .filter(|p| p.location != ParamLocation::Path)
        .collect();
    let mut fields = String::new();
    let mut field_scope =
        Scope::with_reserved(CALL_OPTION_KEYS.iter().copied().chain(["contentType"]));
    let mut required_params = false;
    for p in &others {
        let field = value_name(&mut field_scope, &p.name, "param");
        jsdoc(
            &mut fields,
            "  ",
            &docs_paragraphs(&p.docs),
            p.docs.deprecated,
        );
        let opt = if p.required { "" } else { "?" };
        required_params |= p.required;
        let _ = writeln!(fields, "  {field}{opt}: {};", ctx.ty(&p.ty, "m."));
        plans.push(ParamPlan {
            param: p,
            expr: format!("params.{field}"),
        });
    }
    if op.conditional.is_some() {
        fields.push_str("  /** The `ETag` the update is based on (`If-Match`); a changed resource fails with `PreconditionFailedError`. */\n");
        fields.push_str("  ifMatch?: string;\n");
    }
    if raw_body {
        fields.push_str("  /** The body's media type. */\n  contentType?: string;\n");
    }
    let params_type = if fields.is_empty() {
        "CallOptions".to_string()
    } else {
        let pname = type_name(scope, &format!("{type_base} params"), "Params", "Params");
        let _ = writeln!(
            decls,
            "\n/** Parameters of `{name}` (and the call options). */"
        );
        let _ = writeln!(
            decls,
            "export interface {pname} extends CallOptions {{\n{fields}}}"
        );
        pname
    };
    if required_params {
        if let Some((i, ty)) = optional_body {
            args[i] = format!("body: {ty} | undefined");
        }
        args.push(format!("params: {params_type}"));
    } else {
        args.push(format!("params: {params_type} = {{}}"));
    }

    // The result.
    let (ret, finish) = result(ctx, op, &type_base, scope, decls);

    // The method.
    let mut doc = docs_paragraphs(&op.docs);
    let mut facts = vec![format!("`{} {}`", op.method.as_str(), op.path)];
    if op.idempotency.is_some() {
        facts.push(
            "sent with an idempotency key (give `intentId` to make retries across restarts safe)"
                .into(),
        );
    }
    if op.long_running.is_some() {
        facts.push("long-running: returns an `Operation` to `wait()` on".into());
    }
    if !op.problems.is_empty() {
        facts.push(format!(
            "problems ({}) reject with `ProblemError`",
            op.problems.join(", ")
        ));
    }
    doc.push(facts.join("; ") + ".");
    for (arg, d) in &arg_docs {
        doc.push(format!("@param {arg} {}", d.replace('\n', " ")));
    }
    methods.push('\n');
    jsdoc(methods, "  ", &doc, op.docs.deprecated);
    let _ = writeln!(
        methods,
        "  async {name}({}): Promise<{ret}> {{",
        args.join(", ")
    );
    methods.push_str("    const query: Array<[string, string]> = [];\n");
    methods.push_str("    const headers: Array<[string, string]> = [];\n");
    for plan in &plans {
        let p = plan.param;
        let n = lit(&p.name);
        let e = &plan.expr;
        let line = match p.location {
            ParamLocation::Query => {
                format!(
                    "support.query(query, {n}, {e}, {}, {});",
                    lit(style_name(p.style)),
                    p.explode
                )
            }
            ParamLocation::Header => format!("support.header(headers, {n}, {e});"),
            ParamLocation::Cookie => format!("support.cookie(headers, {n}, {e});"),
            ParamLocation::Path => continue,
        };
        let _ = writeln!(methods, "    {line}");
    }
    if op.conditional.is_some() {
        methods.push_str("    support.header(headers, \"If-Match\", params.ifMatch);\n");
    }
    methods.push_str("    const request: RequestOptions = {\n");
    let _ = writeln!(methods, "      method: {},", lit(op.method.as_str()));
    let _ = writeln!(methods, "      path: {},", lit(&op.path));
    if !path_params.is_empty() {
        let pairs: Vec<String> = path_params
            .iter()
            .map(|(var, arg)| format!("{}: support.simple({arg})", prop(var)))
            .collect();
        let _ = writeln!(methods, "      pathParams: {{ {} }},", pairs.join(", "));
    }
    if !body_field.is_empty() {
        let _ = writeln!(methods, "      {body_field}");
    }
    methods.push_str("      query,\n");
    methods.push_str("      headers: support.withExtraHeaders(headers, params.headers),\n");
    let idem = if op.idempotency.is_some() {
        "true"
    } else {
        "undefined"
    };
    let _ = writeln!(methods, "      ...support.callOptions(params, {idem}),");
    methods.push_str("    };\n");
    methods.push_str(&finish);
    methods.push_str("  }\n");
}

/// The return type of a method and the statements that end it.
fn result(
    ctx: &Ctx<'_>,
    op: &Operation,
    type_base: &str,
    scope: &mut Scope,
    decls: &mut String,
) -> (String, String) {
    let send = "    const response = await this.client.request(request);\n";
    match &op.success {
        Success::Empty => (
            "void".into(),
            "    await this.client.request(request);\n".into(),
        ),
        Success::Json { ty, optional } => {
            let mut t = ctx.ty(ty, "m.");
            if *optional && t != "unknown" && !t.ends_with("| null") {
                t.push_str(" | null");
            }
            (
                t.clone(),
                format!("{send}    return response.json<{t}>();\n"),
            )
        }
        Success::Text => (
            "string".into(),
            format!("{send}    return response.text();\n"),
        ),
        Success::Bytes => (
            "Uint8Array".into(),
            format!("{send}    return response.bytes();\n"),
        ),
        Success::Operation { ty } => {
            let t = ctx.ty(ty, "m.");
            (
                format!("Operation<{t}>"),
                format!("    return this.client.sendOperation<{t}>(request);\n"),
            )
        }
        Success::ByStatus { cases } => {
            let rname = type_name(scope, &format!("{type_base} result"), "Result", "Result");
            let (decl, body) = by_status(ctx, &rname, op, cases);
            decls.push_str(&decl);
            (rname, format!("{send}{body}"))
        }
    }
}

/// The union of an operation whose success statuses have different bodies,
/// and the statements that build it from `response`.
fn by_status(ctx: &Ctx<'_>, rname: &str, op: &Operation, cases: &[StatusCase]) -> (String, String) {
    let mut members = Vec::new();
    let mut exact = String::new();
    let mut ranges = String::new();
    let mut default = None;
    for c in cases {
        let (ty, value) = match &c.body {
            CaseBody::Empty => ("null".to_string(), "null".to_string()),
            CaseBody::Json(t) => {
                let t = ctx.ty(t, "m.");
                (t.clone(), format!("response.json<{t}>()"))
            }
            CaseBody::Text => ("string".into(), "response.text()".into()),
            CaseBody::Bytes => ("Uint8Array".into(), "response.bytes()".into()),
        };
        let status_ty = if c.status.chars().all(|ch| ch.is_ascii_digit()) {
            c.status.clone()
        } else {
            "number".into()
        };
        members.push(format!("{{ status: {status_ty}; body: {ty} }}"));
        let ret = format!("return {{ status: response.status, body: {value} }} as {rname};");
        match c.status.as_bytes() {
            [d, b'X' | b'x', b'X' | b'x'] if d.is_ascii_digit() => {
                let base = u32::from(d - b'0') * 100;
                let _ = writeln!(
                    ranges,
                    "    if (response.status >= {base} && response.status < {}) {ret}",
                    base + 100
                );
            }
            _ if c.status.eq_ignore_ascii_case("default") => default = Some(ret),
            _ => {
                let _ = writeln!(exact, "    if (response.status === {}) {ret}", c.status);
            }
        }
    }
    members.push("{ status: number; body: unknown }".into());
    let decl = format!(
        "\n/** What `{} {}` answers, by success status. */\nexport type {rname} =\n  | {};\n",
        op.method.as_str(),
        op.path,
        members.join("\n  | ")
    );
    let fallback = default.unwrap_or_else(|| {
        format!("return {{ status: response.status, body: response.bytes().length === 0 ? null : response.text() }} as {rname};")
    });
    (decl, format!("{exact}{ranges}    {fallback}\n"))
}

/// The runtime helpers of generated clients.
const SUPPORT_TS: &str = r#"// Generated by `oncely generate --lang typescript`. Do not edit.
// Parameter serialisation for the generated client; everything else (keys,
// retries, polling, problems) is the oncely core's.
import type { RequestOptions, RetryOptions } from "oncely";

/** Options every generated method takes. */
export interface CallOptions {
  /** Names the caller's intent: the same intent always sends the same idempotency key. */
  intentId?: string;
  /** Use this idempotency key verbatim. */
  idempotencyKey?: string;
  /** Aborts the call. */
  signal?: AbortSignal;
  /** Per-attempt timeout. */
  timeoutMs?: number;
  /** Overall deadline (`null`: none). */
  deadlineMs?: number | null;
  /** Retry policy for this call (`false`: one attempt). */
  retry?: RetryOptions | false;
  /** Extra request headers. */
  headers?: Record<string, string>;
}

/** A scalar as text (objects and arrays as JSON). */
export function scalar(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  return JSON.stringify(value);
}

/** `simple` style (path segments, headers): arrays and objects comma-separated. */
export function simple(value: unknown): string {
  if (Array.isArray(value)) return value.map(scalar).join(",");
  if (value !== null && typeof value === "object") {
    return Object.entries(value as Record<string, unknown>)
      .flatMap(([k, v]) => [k, scalar(v)])
      .join(",");
  }
  return scalar(value);
}

function deep(out: Array<[string, string]>, prefix: string, value: unknown): void {
  if (value === undefined || value === null) return;
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      if (item !== null && typeof item === "object") deep(out, `${prefix}[${i}]`, item);
      else if (item !== undefined && item !== null) out.push([`${prefix}[]`, scalar(item)]);
    });
  } else if (typeof value === "object") {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) deep(out, `${prefix}[${k}]`, v);
  } else {
    out.push([prefix, scalar(value)]);
  }
}

/** Adds a query parameter in its OpenAPI style (`undefined`/`null`: left out). */
export function query(
  out: Array<[string, string]>,
  name: string,
  value: unknown,
  style: "form" | "spaceDelimited" | "pipeDelimited" | "deepObject" | "json",
  explode: boolean,
): void {
  if (value === undefined || value === null) return;
  if (style === "json") {
    out.push([name, JSON.stringify(value)]);
  } else if (style === "deepObject") {
    deep(out, name, value);
  } else if (Array.isArray(value)) {
    if (style === "form" && explode) {
      for (const item of value) if (item !== undefined && item !== null) out.push([name, scalar(item)]);
    } else {
      const sep = style === "spaceDelimited" ? " " : style === "pipeDelimited" ? "|" : ",";
      out.push([name, value.map(scalar).join(sep)]);
    }
  } else if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined && v !== null);
    if (explode) for (const [k, v] of entries) out.push([k, scalar(v)]);
    else out.push([name, entries.flatMap(([k, v]) => [k, scalar(v)]).join(",")]);
  } else {
    out.push([name, scalar(value)]);
  }
}

/** Adds a header (`undefined`/`null`: left out). */
export function header(out: Array<[string, string]>, name: string, value: unknown): void {
  if (value === undefined || value === null) return;
  out.push([name, simple(value)]);
}

/** Adds a cookie (sent in the `Cookie` header). */
export function cookie(out: Array<[string, string]>, name: string, value: unknown): void {
  if (value === undefined || value === null) return;
  const existing = out.findIndex(([n]) => n.toLowerCase() === "cookie");
  const pair = `${name}=${encodeURIComponent(simple(value))}`;
  if (existing >= 0) out[existing] = ["Cookie", `${out[existing]![1]}; ${pair}`];
  else out.push(["Cookie", pair]);
}

/** The generated headers plus the caller's extra ones. */
export function withExtraHeaders(headers: Array<[string, string]>, extra: Record<string, string> | undefined): Array<[string, string]> {
  return extra ? [...headers, ...Object.entries(extra)] : headers;
}

/** The call options as oncely request options. */
export function callOptions(o: CallOptions, idempotent: boolean | undefined): Partial<RequestOptions> {
  const out: Partial<RequestOptions> = {};
  if (idempotent !== undefined) out.idempotent = idempotent;
  if (o.intentId !== undefined) out.intentId = o.intentId;
  if (o.idempotencyKey !== undefined) out.idempotencyKey = o.idempotencyKey;
  if (o.signal !== undefined) out.signal = o.signal;
  if (o.timeoutMs !== undefined) out.timeoutMs = o.timeoutMs;
  if (o.deadlineMs !== undefined) out.deadlineMs = o.deadlineMs;
  if (o.retry !== undefined) out.retry = o.retry;
  return out;
}
"#;

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(template_vars("/a/{b}/c/{d}"), vec!["b", "d"]);
    }
}
