//! What the TypeScript modules share: safe names, string literals, JSDoc
//! blocks and the TypeScript spelling of IR types, worked out once per API in
//! [`Ctx`].

use std::fmt::Write;

use crate::emit::common::alias_cycle;
use crate::emit::common::markdown::doc_lines;
use crate::ir::{Api, Primitive, Type};
use crate::naming::{lower_camel, typescript::KEYWORDS, upper_camel, words, Scope};

/// Global names a generated type must not shadow (the generated code uses
/// them), and the names `index.ts` re-exports from `oncely`.
pub(super) const RESERVED_TYPES: &[&str] = &[
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

/// A TypeScript string literal (ASCII; everything else escaped).
pub(super) fn lit(s: &str) -> String {
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
pub(super) fn prop(name: &str) -> String {
    if is_ident(name) {
        name.to_string()
    } else {
        lit(name)
    }
}

/// A unique `UpperCamel` type name; keywords and globals get `suffix`.
pub(super) fn type_name(scope: &mut Scope, raw: &str, fallback: &str, suffix: &str) -> String {
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
pub(super) fn value_name(scope: &mut Scope, raw: &str, fallback: &str) -> String {
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
pub(super) fn jsdoc(out: &mut String, indent: &str, paragraphs: &[String], deprecated: bool) {
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

/// Names and facts worked out before writing.
pub(super) struct Ctx<'a> {
    pub(super) api: &'a Api,
    /// Type name per declaration.
    pub(super) types: Vec<String>,
    /// Aliases that only lead back to themselves (emitted as `unknown`).
    pub(super) cyclic_alias: Vec<bool>,
    /// The client class.
    pub(super) client: String,
    /// Scope of exported type names (models, client, params, results).
    pub(super) scope: Scope,
}

impl<'a> Ctx<'a> {
    /// Names every declaration and the client class of `api`.
    pub(super) fn new(api: &'a Api) -> Ctx<'a> {
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
    pub(super) fn ty(&self, t: &Type, q: &str) -> String {
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
