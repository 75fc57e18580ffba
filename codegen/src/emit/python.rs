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
//! <package>/py.typed
//! ```
//!
//! Every operation is one method with typed keyword arguments; a long-running
//! one returns `oncely.Operation[T]` (`AsyncOperation[T]`); problems raise
//! `oncely.ProblemError`. Names are made safe (keywords, builtins the code
//! relies on, duplicates, leading digits); the output is deterministic and
//! passes `mypy --strict` and `ruff check`.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::emit::{Generated, GeneratedFile};
use crate::error::CodegenError;
use crate::ir::{
    Api, BodyKind, CaseBody, Docs, EnumLiteral, EnumRepr, ObjectDef, Operation, Param,
    ParamLocation, ParamStyle, Primitive, Success, Type, TypeDef, TypeId, UnionDef,
};
use crate::naming::{self, ident, python::KEYWORDS, screaming_snake, words, Case, Scope};

/// Options of the Python emitter.
#[derive(Debug, Clone, Default)]
pub struct PyOptions {
    /// The import package name (default: from the API title, `_client` added).
    pub package_name: Option<String>,
}

/// Builtins a generated name must not shadow (arguments, functions, model
/// names): shadowing them breaks the generated annotations or trips linters.
const BUILTINS: &[&str] = &[
    "abs",
    "all",
    "any",
    "ascii",
    "bin",
    "bool",
    "breakpoint",
    "bytearray",
    "bytes",
    "callable",
    "chr",
    "classmethod",
    "compile",
    "complex",
    "copyright",
    "credits",
    "delattr",
    "dict",
    "dir",
    "divmod",
    "enumerate",
    "eval",
    "exec",
    "exit",
    "filter",
    "float",
    "format",
    "frozenset",
    "getattr",
    "globals",
    "hasattr",
    "hash",
    "help",
    "hex",
    "id",
    "input",
    "int",
    "isinstance",
    "issubclass",
    "iter",
    "len",
    "license",
    "list",
    "locals",
    "map",
    "max",
    "memoryview",
    "min",
    "next",
    "object",
    "oct",
    "open",
    "ord",
    "pow",
    "print",
    "property",
    "quit",
    "range",
    "repr",
    "reversed",
    "round",
    "set",
    "setattr",
    "slice",
    "sorted",
    "staticmethod",
    "str",
    "sum",
    "super",
    "tuple",
    "type",
    "vars",
    "zip",
];

/// Names a dataclass field must not take: the annotations of the generated
/// code refer to them inside the class body.
const FIELD_RESERVED: &[&str] = &[
    "str",
    "int",
    "float",
    "bool",
    "list",
    "dict",
    "bytes",
    "object",
    "type",
    "Any",
    "from_dict",
    "to_dict",
    "dataclasses",
    "enum",
    "self",
    "cls",
];

/// Model names that would shadow what the generated modules use.
const TYPE_RESERVED: &[&str] = &[
    "Any",
    "Optional",
    "Union",
    "Callable",
    "Mapping",
    "Sequence",
    "TypeAlias",
    "TYPE_CHECKING",
    "Enum",
    "IntEnum",
    "Exception",
    "BaseException",
    "Error",
    "Response",
    "Operation",
    "AsyncOperation",
    "Client",
    "AsyncClient",
    "RetryPolicy",
    "List",
    "Dict",
    "Tuple",
    "Type",
    "None",
    "True",
    "False",
    "Ellipsis",
    "NotImplemented",
];

/// Python's capitalised builtins (exceptions and warnings, 3.9–3.13). A model
/// with one of these names is renamed: mypy binds a forward reference such as
/// `list[Warning]`, written before `class Warning`, to the builtin.
const BUILTIN_CLASSES: &[&str] = &[
    "ArithmeticError",
    "AssertionError",
    "AttributeError",
    "BaseExceptionGroup",
    "BlockingIOError",
    "BrokenPipeError",
    "BufferError",
    "BytesWarning",
    "ChildProcessError",
    "ConnectionAbortedError",
    "ConnectionError",
    "ConnectionRefusedError",
    "ConnectionResetError",
    "DeprecationWarning",
    "EOFError",
    "EncodingWarning",
    "EnvironmentError",
    "ExceptionGroup",
    "FileExistsError",
    "FileNotFoundError",
    "FloatingPointError",
    "FutureWarning",
    "GeneratorExit",
    "IOError",
    "ImportError",
    "ImportWarning",
    "IndentationError",
    "IndexError",
    "InterruptedError",
    "IsADirectoryError",
    "KeyError",
    "KeyboardInterrupt",
    "LookupError",
    "MemoryError",
    "ModuleNotFoundError",
    "NameError",
    "NotADirectoryError",
    "NotImplementedError",
    "OSError",
    "OverflowError",
    "PendingDeprecationWarning",
    "PermissionError",
    "ProcessLookupError",
    "PythonFinalizationError",
    "RecursionError",
    "ReferenceError",
    "ResourceWarning",
    "RuntimeError",
    "RuntimeWarning",
    "StopAsyncIteration",
    "StopIteration",
    "SyntaxError",
    "SyntaxWarning",
    "SystemError",
    "SystemExit",
    "TabError",
    "TimeoutError",
    "TypeError",
    "UnboundLocalError",
    "UnicodeDecodeError",
    "UnicodeEncodeError",
    "UnicodeError",
    "UnicodeTranslateError",
    "UnicodeWarning",
    "UserWarning",
    "ValueError",
    "Warning",
    "ZeroDivisionError",
];

fn file(path: String, contents: String) -> GeneratedFile {
    GeneratedFile {
        path: path.into(),
        contents,
    }
}

/// Emits the package.
pub fn emit_python(api: &Api, options: &PyOptions) -> Result<Generated, CodegenError> {
    let package = options
        .package_name
        .as_deref()
        .map(|n| module_name(n, "client"))
        .unwrap_or_else(|| package_from_title(&api.title));
    let ctx = Ctx::new(api);
    let models = models_py(&ctx);
    let client = client_py(&ctx);
    let files = vec![
        file("pyproject.toml".into(), pyproject(api, &package)),
        file("README.md".into(), readme(api, &package, &ctx)),
        file(format!("{package}/__init__.py"), init_py(&ctx)),
        file(format!("{package}/_support.py"), SUPPORT_PY.to_string()),
        file(format!("{package}/client.py"), client),
        file(format!("{package}/models.py"), models),
        file(format!("{package}/py.typed"), String::new()),
    ];
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

/// A safe snake-case value name (argument, function, field) in `scope`.
fn value_name(scope: &mut Scope, raw: &str, fallback: &str, avoid: &[&str]) -> String {
    let mut base = ident(raw, Case::Snake, fallback, "n");
    if base.chars().all(|c| c == '_') {
        base = fallback.to_string();
    }
    if KEYWORDS.contains(&base.as_str()) || avoid.contains(&base.as_str()) {
        base.push('_');
    }
    if !scope.contains(&base) {
        scope.reserve(&base);
        return base;
    }
    // `import_` taken: `import_2`, not `import__2`.
    let stem = base.trim_end_matches('_').to_string();
    let mut n = 2usize;
    loop {
        let candidate = format!("{stem}_{n}");
        if !scope.contains(&candidate) {
            scope.reserve(&candidate);
            return candidate;
        }
        n += 1;
    }
}

/// A safe UpperCamel type name in `scope`.
fn type_name(scope: &mut Scope, raw: &str, fallback: &str) -> String {
    let mut base = ident(raw, Case::UpperCamel, fallback, "T");
    if TYPE_RESERVED.contains(&base.as_str())
        || BUILTIN_CLASSES.contains(&base.as_str())
        || KEYWORDS.contains(&base.as_str())
    {
        base.push_str("Model");
    }
    scope.unique(&base, "")
}

/// A Python string literal (double-quoted, ASCII-safe).
fn lit(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if !c.is_ascii() => {
                let code = c as u32;
                if code <= 0xffff {
                    let _ = write!(out, "\\u{code:04x}");
                } else {
                    let _ = write!(out, "\\U{code:08x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Text that is safe inside a `"""` docstring.
fn doc_text(s: &str) -> String {
    let cleaned: String = s
        .replace('\\', "\\\\")
        .replace("\"\"\"", "\\\"\\\"\\\"")
        .replace('\r', "")
        .chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .collect();
    let lines: Vec<&str> = cleaned.lines().map(str::trim_end).collect();
    lines.join("\n").trim_end_matches('"').trim().to_string()
}

/// Writes a docstring at `indent`.
fn docstring(out: &mut String, indent: &str, paragraphs: &[String]) {
    let paragraphs: Vec<String> = paragraphs
        .iter()
        .map(|p| doc_text(p))
        .filter(|p| !p.is_empty())
        .collect();
    if paragraphs.is_empty() {
        return;
    }
    let text = paragraphs.join("\n\n");
    let mut lines = text.lines();
    let first = lines.next().unwrap_or_default();
    let rest: Vec<&str> = lines.collect();
    if rest.is_empty() {
        let _ = writeln!(out, "{indent}\"\"\"{first}\"\"\"");
        return;
    }
    let _ = writeln!(out, "{indent}\"\"\"{first}");
    for line in rest {
        if line.trim().is_empty() {
            out.push('\n');
        } else {
            let _ = writeln!(out, "{indent}{}", line.trim_end());
        }
    }
    let _ = writeln!(out, "{indent}\"\"\"");
}

fn docs_paragraphs(docs: &Docs) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(s) = &docs.summary {
        out.push(s.clone());
    }
    if let Some(d) = &docs.description {
        if docs.summary.as_deref() != Some(d.as_str()) {
            out.push(d.clone());
        }
    }
    if docs.deprecated {
        out.push("Deprecated.".into());
    }
    out
}

/// Names and shapes shared by the modules.
struct Ctx<'a> {
    api: &'a Api,
    /// Python name per declaration.
    types: Vec<String>,
    /// Decoder function per union / alias declaration.
    decoders: Vec<Option<String>>,
    /// Aliases that only lead back to themselves (typed as `Any`).
    cyclic_alias: Vec<bool>,
    /// The blocking client class.
    client: String,
    /// The asyncio client class.
    async_client: String,
}

impl<'a> Ctx<'a> {
    fn new(api: &'a Api) -> Ctx<'a> {
        let mut scope = Scope::with_reserved(TYPE_RESERVED.iter().copied());
        let client = type_name(&mut scope, &format!("{} client", api.title), "ApiClient");
        let async_client = type_name(&mut scope, &format!("async {client}"), "AsyncApiClient");
        let types: Vec<String> = api
            .types
            .iter()
            .map(|d| type_name(&mut scope, &d.name, "Unnamed"))
            .collect();
        let mut fn_scope =
            Scope::with_reserved(BUILTINS.iter().copied().chain(KEYWORDS.iter().copied()));
        let decoders = api
            .types
            .iter()
            .zip(&types)
            .map(|(d, name)| match d.def {
                TypeDef::Union(_) | TypeDef::Alias(_) => {
                    Some(fn_scope.unique(&format!("decode_{}", naming::snake(&words(name))), "_"))
                }
                _ => None,
            })
            .collect();
        let cyclic_alias = (0..api.types.len()).map(|i| alias_cycle(api, i)).collect();
        Ctx {
            api,
            types,
            decoders,
            cyclic_alias,
            client,
            async_client,
        }
    }

    /// The Python type of `t` for an annotation (`from __future__ import
    /// annotations` makes `X | None` fine on 3.9); `q` qualifies models.
    fn ann(&self, t: &Type, q: &str) -> String {
        match t {
            Type::Primitive(p) => primitive(*p).into(),
            Type::Array(inner) => format!("list[{}]", self.ann(inner, q)),
            Type::Map(inner) => format!("dict[str, {}]", self.ann(inner, q)),
            Type::Ref(id) if self.cyclic_alias[id.0] => "Any".into(),
            Type::Ref(id) => format!("{q}{}", self.types[id.0]),
            Type::Nullable(inner) => match inner.as_ref() {
                Type::Any { .. } => "Any".into(),
                inner => format!("{} | None", self.ann(inner, q)),
            },
            Type::Any { .. } => "Any".into(),
        }
    }

    /// The same type as a runtime expression valid on Python 3.9 (type
    /// aliases): `Optional`/`Union`, models as forward references.
    fn runtime(&self, t: &Type) -> String {
        match t {
            Type::Primitive(p) => primitive(*p).into(),
            Type::Array(inner) => format!("list[{}]", self.runtime(inner)),
            Type::Map(inner) => format!("dict[str, {}]", self.runtime(inner)),
            Type::Ref(id) if self.cyclic_alias[id.0] => "Any".into(),
            Type::Ref(id) => format!("\"{}\"", self.types[id.0]),
            Type::Nullable(inner) => match inner.as_ref() {
                Type::Any { .. } => "Any".into(),
                inner => format!("Optional[{}]", self.runtime(inner)),
            },
            Type::Any { .. } => "Any".into(),
        }
    }

    /// A callable expression that decodes a JSON value into `t`.
    fn dec(&self, t: &Type, q: &str) -> String {
        match t {
            Type::Primitive(p) => match p {
                Primitive::I32 | Primitive::I64 => "_s.integer".into(),
                Primitive::Number => "_s.number".into(),
                Primitive::Boolean => "_s.boolean".into(),
                _ => "_s.string".into(),
            },
            Type::Array(inner) => format!("_s.list_of({})", self.dec(inner, q)),
            Type::Map(inner) => format!("_s.map_of({})", self.dec(inner, q)),
            Type::Ref(id) if self.cyclic_alias[id.0] => "_s.any_value".into(),
            Type::Ref(id) => {
                let name = &self.types[id.0];
                match &self.api.decl(*id).def {
                    TypeDef::Object(_) => format!("{q}{name}.from_dict"),
                    TypeDef::Enum(_) => format!("{q}{name}"),
                    _ => format!(
                        "{q}{}",
                        self.decoders[id.0].as_deref().unwrap_or("_s.any_value")
                    ),
                }
            }
            Type::Nullable(inner) => match inner.as_ref() {
                Type::Any { .. } => "_s.any_value".into(),
                inner => format!("_s.nullable({})", self.dec(inner, q)),
            },
            Type::Any { .. } => "_s.any_value".into(),
        }
    }
}

fn primitive(p: Primitive) -> &'static str {
    match p {
        Primitive::I32 | Primitive::I64 => "int",
        Primitive::Number => "float",
        Primitive::Boolean => "bool",
        _ => "str",
    }
}

/// True when alias `i` only refers back to itself through other aliases.
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

/// The reason a type is untyped, for a comment.
fn untyped_reason(t: &Type) -> Option<&str> {
    match t {
        Type::Any { reason } => reason.as_deref(),
        Type::Array(i) | Type::Map(i) | Type::Nullable(i) => untyped_reason(i),
        _ => None,
    }
}

fn comment(text: &str) -> String {
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let short: String = one_line.chars().take(100).collect();
    format!("  # untyped: {short}")
}

// ---------------------------------------------------------------- models.py

fn models_py(ctx: &Ctx<'_>) -> String {
    let mut out = String::with_capacity(64 * 1024);
    out.push_str("# Generated by `oncely generate --lang python`. Do not edit.\n");
    let _ = writeln!(
        out,
        "\"\"\"Models of {} {}.\"\"\"\n",
        doc_text(&ctx.api.title),
        doc_text(&ctx.api.version)
    );
    out.push_str("from __future__ import annotations\n\n");
    out.push_str("import dataclasses\nimport enum\nfrom typing import TYPE_CHECKING, Any, Optional, Union\n\n");
    out.push_str("from . import _support as _s\n\n");
    out.push_str("if TYPE_CHECKING:\n    from typing_extensions import TypeAlias\n\n");
    out.push_str("# Keep the typing names referenced (aliases may not need all of them).\n");
    out.push_str("_TYPING = (Optional, Union)\n");
    let mut aliases = String::new();
    for (i, decl) in ctx.api.types.iter().enumerate() {
        let name = &ctx.types[i];
        match &decl.def {
            TypeDef::Object(def) => object_class(ctx, &mut out, name, &decl.docs, def),
            TypeDef::Enum(def) => enum_class(&mut out, name, &decl.docs, def),
            TypeDef::Union(def) => union_alias(ctx, &mut aliases, i, &decl.docs, def),
            TypeDef::Alias(t) => {
                let decoder = ctx.decoders[i].as_deref().unwrap_or("decode");
                let _ = writeln!(aliases, "\n\n{name}: TypeAlias = {}", ctx.runtime(t));
                let mut body = String::new();
                docstring(&mut body, "", &docs_paragraphs(&decl.docs));
                if !body.is_empty() {
                    aliases.push_str(&body);
                }
                let _ = writeln!(
                    aliases,
                    "\n\ndef {decoder}(value: Any) -> {name}:\n    \"\"\"Decodes a `{name}` from JSON.\"\"\"\n    result: {name} = {}(value)\n    return result",
                    ctx.dec(t, "")
                );
            }
        }
    }
    out.push_str(&aliases);
    out
}

fn object_class(ctx: &Ctx<'_>, out: &mut String, name: &str, docs: &Docs, def: &ObjectDef) {
    let mut scope = Scope::with_reserved(FIELD_RESERVED.iter().copied());
    let fields: Vec<(String, &crate::ir::Field)> = def
        .fields
        .iter()
        .map(|f| (value_name(&mut scope, &f.name, "field", FIELD_RESERVED), f))
        .collect();
    let extra = def.additional.as_ref().map(|t| {
        (
            value_name(&mut scope, "additional_properties", "extra", FIELD_RESERVED),
            t,
        )
    });
    let _ = writeln!(out, "\n\n@dataclasses.dataclass\nclass {name}:");
    let mut paragraphs = docs_paragraphs(docs);
    if paragraphs.is_empty() {
        paragraphs.push(format!("The `{name}` object."));
    }
    docstring(out, "    ", &paragraphs);
    out.push('\n');
    // Required fields first: dataclass fields without defaults must lead.
    let ordered = fields
        .iter()
        .filter(|(_, f)| f.required)
        .chain(fields.iter().filter(|(_, f)| !f.required));
    for (py, f) in ordered {
        let mut ty = ctx.ann(&f.ty, "");
        let default = if f.required {
            ""
        } else {
            if ty != "Any" && !ty.ends_with("| None") {
                ty.push_str(" | None");
            }
            " = None"
        };
        let note = untyped_reason(&f.ty).map(comment).unwrap_or_default();
        let _ = writeln!(out, "    {py}: {ty}{default}{note}");
        let paragraphs = docs_paragraphs(&f.docs);
        if !paragraphs.is_empty() || *py != f.name {
            let mut p = paragraphs;
            if *py != f.name {
                p.push(format!("JSON name: `{}`.", f.name));
            }
            docstring(out, "    ", &p);
        }
    }
    if let Some((py, t)) = &extra {
        let _ = writeln!(
            out,
            "    {py}: dict[str, {}] = dataclasses.field(default_factory=dict)",
            ctx.ann(t, "")
        );
        docstring(
            out,
            "    ",
            &["Members not listed above, kept as received.".into()],
        );
    }
    // from_dict
    let _ = writeln!(
        out,
        "\n    @classmethod\n    def from_dict(cls, data: Any) -> {name}:"
    );
    let _ = writeln!(
        out,
        "        \"\"\"Decodes a `{name}` from JSON (raises `oncely.DecodeError`).\"\"\""
    );
    if fields.is_empty() && extra.is_none() {
        let _ = writeln!(out, "        _s.obj(data, {})", lit(name));
    } else {
        let _ = writeln!(out, "        d = _s.obj(data, {})", lit(name));
    }
    if let Some((py, t)) = &extra {
        let known: Vec<String> = fields.iter().map(|(_, f)| lit(&f.name)).collect();
        let _ = writeln!(
            out,
            "        known = {{{}}}",
            if known.is_empty() {
                "\"\"".to_string()
            } else {
                known.join(", ")
            }
        );
        let _ = writeln!(
            out,
            "        extra = {{k: {}(v) for k, v in d.items() if k not in known}}",
            ctx.dec(t, "")
        );
        let _ = py;
    }
    out.push_str("        return cls(\n");
    for (py, f) in &fields {
        let getter = if f.required {
            "_s.field"
        } else {
            "_s.optional_field"
        };
        let _ = writeln!(
            out,
            "            {py}={getter}(d, {}, {}),",
            lit(&f.name),
            ctx.dec(&f.ty, "")
        );
    }
    if let Some((py, _)) = &extra {
        let _ = writeln!(out, "            {py}=extra,");
    }
    out.push_str("        )\n");
    // to_dict
    let _ = writeln!(out, "\n    def to_dict(self) -> dict[str, Any]:");
    out.push_str("        \"\"\"The JSON object (members left as `None` are omitted unless required).\"\"\"\n");
    out.push_str("        out: dict[str, Any] = {}\n");
    if let Some((py, _)) = &extra {
        let _ = writeln!(out, "        out.update(_s.to_json(self.{py}))");
    }
    for (py, f) in &fields {
        if f.required {
            let _ = writeln!(out, "        out[{}] = _s.to_json(self.{py})", lit(&f.name));
        } else {
            let _ = writeln!(
                out,
                "        if self.{py} is not None:\n            out[{}] = _s.to_json(self.{py})",
                lit(&f.name)
            );
        }
    }
    out.push_str("        return out\n");
}

fn enum_class(out: &mut String, name: &str, docs: &Docs, def: &crate::ir::EnumDef) {
    let (base, new) = match def.repr {
        EnumRepr::String => ("str", "str"),
        EnumRepr::Integer => ("int", "int"),
    };
    let _ = writeln!(out, "\n\nclass {name}({base}, enum.Enum):");
    let mut paragraphs = docs_paragraphs(docs);
    paragraphs.push(
        "Values the API adds later decode as extra members (`UNKNOWN`) instead of failing.".into(),
    );
    docstring(out, "    ", &paragraphs);
    out.push('\n');
    let mut scope = Scope::with_reserved(["UNKNOWN", "MRO", "NAME", "VALUE"]);
    for v in &def.values {
        let raw = match (&v.name, &v.value) {
            (Some(n), _) => n.clone(),
            (None, EnumLiteral::String(s)) => s.clone(),
            (None, EnumLiteral::Integer(i)) => format!("v {i}"),
        };
        let mut member = screaming_snake(&words(&raw));
        if member.is_empty() {
            member = "EMPTY".into();
        }
        if member.starts_with(|c: char| c.is_ascii_digit()) {
            member.insert_str(0, "V_");
        }
        if member.starts_with('_') {
            member.insert(0, 'V');
        }
        let member = scope.unique(&member, "_");
        let value = match &v.value {
            EnumLiteral::String(s) => lit(s),
            EnumLiteral::Integer(i) => i.to_string(),
        };
        let _ = writeln!(out, "    {member} = {value}");
        if let Some(d) = &v.description {
            docstring(out, "    ", std::slice::from_ref(d));
        }
    }
    let check = match def.repr {
        EnumRepr::String => "not isinstance(value, str)",
        EnumRepr::Integer => "not isinstance(value, int) or isinstance(value, bool)",
    };
    let _ = writeln!(
        out,
        "\n    @classmethod\n    def _missing_(cls, value: object) -> {name} | None:\n        if {check}:\n            return None\n        member = {new}.__new__(cls, value)\n        member._name_ = \"UNKNOWN\"\n        member._value_ = value\n        return member"
    );
}

fn union_alias(ctx: &Ctx<'_>, out: &mut String, i: usize, docs: &Docs, def: &UnionDef) {
    let name = &ctx.types[i];
    let decoder = ctx.decoders[i].as_deref().unwrap_or("decode");
    let mut members: Vec<String> = Vec::new();
    for v in &def.variants {
        let t = ctx.runtime(&v.ty);
        if !members.contains(&t) {
            members.push(t);
        }
    }
    let alias = match members.len() {
        0 => "Any".to_string(),
        1 => members[0].clone(),
        _ => format!("Union[{}]", members.join(", ")),
    };
    let _ = writeln!(out, "\n\n{name}: TypeAlias = {alias}");
    docstring(out, "", &docs_paragraphs(docs));
    let _ = writeln!(out, "\n\ndef {decoder}(value: Any) -> {name}:");
    let _ = writeln!(
        out,
        "    \"\"\"Decodes a `{name}` from JSON: the first variant that fits.\"\"\""
    );
    if let Some(prop) = &def.discriminator {
        let mut table = Vec::new();
        for v in &def.variants {
            for tag in &v.tags {
                table.push(format!("{}: {}", lit(tag), ctx.dec(&v.ty, "")));
            }
        }
        let _ = writeln!(
            out,
            "    result: {name} = _s.tagged(value, {}, {}, {{{}}})\n    return result",
            lit(name),
            lit(prop),
            table.join(", ")
        );
    } else {
        let decs: Vec<String> = def.variants.iter().map(|v| ctx.dec(&v.ty, "")).collect();
        let _ = writeln!(
            out,
            "    result: {name} = _s.first_of(value, {}, [{}])\n    return result",
            lit(name),
            decs.join(", ")
        );
    }
}

// ---------------------------------------------------------------- client.py

/// Local names of the generated method bodies, which arguments must not take.
const METHOD_LOCALS: &[&str] = &[
    "self",
    "query",
    "header_values",
    "cookies",
    "response",
    "headers",
    "body",
    "intent_id",
    "idempotency_key",
    "timeout",
    "deadline",
    "retry",
    "if_match",
    "content_type",
    "m",
    "oncely",
    "Any",
    "Mapping",
];

fn style_name(s: ParamStyle) -> &'static str {
    match s {
        ParamStyle::SpaceDelimited => "spaceDelimited",
        ParamStyle::PipeDelimited => "pipeDelimited",
        ParamStyle::DeepObject => "deepObject",
        ParamStyle::Json => "json",
        ParamStyle::Label => "label",
        ParamStyle::Matrix => "matrix",
        ParamStyle::Simple => "simple",
        ParamStyle::Form => "form",
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

/// One operation's method, rendered once for both clients.
struct MethodPlan {
    name: String,
    signature: Vec<String>,
    docs: Vec<String>,
    prelude: String,
    call_args: Vec<String>,
    /// `Some(result type)` for operations, else the return annotation.
    ret_sync: String,
    ret_async: String,
    finish: Finish,
}

enum Finish {
    /// `return <expr with {r}>` after `response = ...request(...)`.
    Response(String),
    /// `request(...)` and return nothing.
    Nothing,
    /// `return ...request_operation(..., decoder=...)`.
    Operation(String),
    /// Statements using `response`.
    Statements(String),
}

fn client_py(ctx: &Ctx<'_>) -> String {
    let mut method_scope = Scope::with_reserved(["client", "close", "base_url"]);
    let plans: Vec<MethodPlan> = ctx
        .api
        .operations
        .iter()
        .map(|op| plan(ctx, op, &mut method_scope))
        .collect();
    let mut out = String::with_capacity(128 * 1024);
    out.push_str("# Generated by `oncely generate --lang python`. Do not edit.\n");
    let _ = writeln!(
        out,
        "\"\"\"Clients of {} {}.\"\"\"\n",
        doc_text(&ctx.api.title),
        doc_text(&ctx.api.version)
    );
    out.push_str("from __future__ import annotations\n\n");
    let uses_cast = plans
        .iter()
        .any(|p| matches!(&p.finish, Finish::Statements(s) if s.contains("cast(")));
    let typing = if uses_cast { "Any, cast" } else { "Any" };
    let _ = write!(
        out,
        "from collections.abc import Mapping\nfrom typing import {typing}\n\nimport oncely\n\n"
    );
    out.push_str("from . import _support as _s\nfrom . import models as m\n\n");
    let default = ctx
        .api
        .servers
        .iter()
        .find(|s| s.starts_with("http://") || s.starts_with("https://"))
        .map(|s| lit(s.trim_end_matches('/')))
        .unwrap_or_else(|| "None".into());
    let _ = writeln!(out, "#: The first server of the document (`None` when it names none).\nDEFAULT_BASE_URL: str | None = {default}");
    for (class, native, is_async) in [
        (&ctx.client, "Client", false),
        (&ctx.async_client, "AsyncClient", true),
    ] {
        let _ = writeln!(out, "\n\nclass {class}:");
        docstring(
            &mut out,
            "    ",
            &[
                format!(
                    "{} {}{}: one method per operation.",
                    ctx.api.title,
                    ctx.api.version,
                    if is_async { ", asyncio" } else { "" }
                ),
                "Calls go through the oncely core: idempotency keys, retries, `202` polling and problem details (`oncely.ProblemError`).".into(),
            ],
        );
        let _ = writeln!(
            out,
            "\n    def __init__(\n        self,\n        base_url: str | None = None,\n        *,\n        client: oncely.{native} | None = None,\n        **options: Any,\n    ) -> None:"
        );
        let _ = writeln!(out, "        \"\"\"Wraps `client`, or builds an `oncely.{native}(base_url, **options)`.\"\"\"");
        let _ = writeln!(
            out,
            "        if client is None:\n            url = base_url or DEFAULT_BASE_URL\n            if url is None:\n                raise ValueError(\"base_url is required: the API document names no server\")\n            client = oncely.{native}(url, **options)\n        self.client = client"
        );
        for p in &plans {
            method(&mut out, p, is_async);
        }
    }
    out
}

fn plan(ctx: &Ctx<'_>, op: &Operation, method_scope: &mut Scope) -> MethodPlan {
    let name = value_name(method_scope, &op.name, "operation", &[]);
    let mut args_scope = Scope::with_reserved(METHOD_LOCALS.iter().copied());
    let mut signature: Vec<String> = Vec::new();
    let mut arg_docs: Vec<String> = Vec::new();
    let mut prelude = String::new();
    let mut call_args: Vec<String> = vec![lit(op.method.as_str()), lit(&op.path)];

    // Path parameters: positional, in template order.
    let mut path_pairs = Vec::new();
    for var in template_vars(&op.path) {
        let param = op
            .params
            .iter()
            .find(|p| p.location == ParamLocation::Path && p.name == var);
        let arg = value_name(&mut args_scope, &var, "param", BUILTINS);
        let ty = param
            .map(|p| ctx.ann(&p.ty, "m."))
            .unwrap_or_else(|| "str".into());
        let ty = if ty == "Any" {
            "str | int".to_string()
        } else {
            ty
        };
        signature.push(format!("{arg}: {ty}"));
        if let Some(d) = param.and_then(|p| p.docs.description.clone().or(p.docs.summary.clone())) {
            arg_docs.push(format!("{arg}: {}", d.replace('\n', " ")));
        }
        path_pairs.push(format!("{}: _s.simple({arg})", lit(&var)));
    }
    if !path_pairs.is_empty() {
        call_args.push(format!("path_params={{{}}}", path_pairs.join(", ")));
    }

    // The body: positional after the path parameters.
    if let Some((b, c)) = op
        .body
        .as_ref()
        .and_then(|b| b.contents.first().map(|c| (b, c)))
    {
        let ty = match c.kind {
            BodyKind::Json | BodyKind::Form => ctx.ann(&c.ty, "m."),
            _ => "bytes | str".into(),
        };
        if b.required {
            signature.push(format!("body: {ty}"));
        } else {
            let ty = if ty == "Any" || ty.ends_with("| None") {
                ty
            } else {
                format!("{ty} | None")
            };
            signature.push(format!("body: {ty} = None"));
        }
        if let Some(d) = b.docs.description.clone() {
            arg_docs.push(format!("body: {}", d.replace('\n', " ")));
        }
        match c.kind {
            BodyKind::Json => call_args.push("json=_s.to_json(body)".into()),
            BodyKind::Form => call_args.push("data=_s.to_json(body)".into()),
            _ => {
                let ct = if c.media_type.contains('*') {
                    "application/octet-stream"
                } else {
                    c.media_type.as_str()
                };
                call_args.push("content=_s.raw(body)".into());
                call_args.push(format!("content_type=content_type or {}", lit(ct)));
            }
        }
    }
    let raw_body = op
        .body
        .as_ref()
        .and_then(|b| b.contents.first())
        .is_some_and(|c| !matches!(c.kind, BodyKind::Json | BodyKind::Form));

    // Everything else: keyword-only.
    signature.push("*".into());
    let others: Vec<&Param> = op
        .params
        .iter()
        .filter(|p| p.location != ParamLocation::Path)
        .collect();
    let (mut query, mut headers, mut cookies) = (false, false, false);
    for p in others
        .iter()
        .filter(|p| p.required)
        .chain(others.iter().filter(|p| !p.required))
    {
        let arg = value_name(&mut args_scope, &p.name, "param", BUILTINS);
        let mut ty = ctx.ann(&p.ty, "m.");
        let note = untyped_reason(&p.ty)
            .map(|r| format!(" (untyped: {r})"))
            .unwrap_or_default();
        if p.required {
            signature.push(format!("{arg}: {ty}"));
        } else {
            if ty != "Any" && !ty.ends_with("| None") {
                ty.push_str(" | None");
            }
            signature.push(format!("{arg}: {ty} = None"));
        }
        let d = p
            .docs
            .description
            .clone()
            .or(p.docs.summary.clone())
            .unwrap_or_default();
        let location = match p.location {
            ParamLocation::Query => "query",
            ParamLocation::Header => "header",
            ParamLocation::Cookie => "cookie",
            ParamLocation::Path => "path",
        };
        arg_docs.push(
            format!(
                "{arg}: {} (`{}` {location}){note}",
                d.replace('\n', " "),
                p.name
            )
            .replace(":  (", ": ("),
        );
        let line = match p.location {
            ParamLocation::Query => {
                query = true;
                format!(
                    "_s.query(query, {}, {arg}, {}, {})",
                    lit(&p.name),
                    lit(style_name(p.style)),
                    if p.explode { "True" } else { "False" }
                )
            }
            ParamLocation::Header => {
                headers = true;
                format!("_s.header(header_values, {}, {arg})", lit(&p.name))
            }
            ParamLocation::Cookie => {
                cookies = true;
                format!("_s.cookie(cookies, {}, {arg})", lit(&p.name))
            }
            ParamLocation::Path => continue,
        };
        let _ = writeln!(prelude, "        {line}");
    }
    if query {
        prelude.insert_str(0, "        query: list[tuple[str, str]] = []\n");
        call_args.push("params=query".into());
    }
    if headers || cookies {
        prelude.insert_str(
            0,
            "        header_values: dict[str, str] = {}\n        cookies: list[str] = []\n",
        );
        call_args.push("headers=_s.headers(header_values, cookies, headers)".into());
    } else {
        call_args.push("headers=headers".into());
    }
    if op.conditional.is_some() {
        signature.push("if_match: str | None = None".into());
        arg_docs.push("if_match: the `ETag` the update is based on; a changed resource raises `oncely.PreconditionFailedError`.".into());
        call_args.push("if_match=if_match".into());
    }
    if raw_body {
        signature.push("content_type: str | None = None".into());
        call_args.push("content_type".into());
        call_args.retain(|a| a != "content_type");
    }
    let keyed = op.idempotency.is_some()
        || matches!(
            op.method,
            crate::ir::Method::Post | crate::ir::Method::Patch
        );
    if keyed {
        signature.push("intent_id: str | None = None".into());
        signature.push("idempotency_key: str | None = None".into());
        arg_docs.push("intent_id: names the intent; the same intent sends the same idempotency key, even after a restart.".into());
        arg_docs.push("idempotency_key: an idempotency key to use verbatim.".into());
        call_args.push("intent_id=intent_id".into());
        call_args.push("idempotency_key=idempotency_key".into());
    }
    signature.push("headers: Mapping[str, str] | None = None".into());
    signature.push("timeout: float | None = None".into());
    signature.push("deadline: float | None = None".into());
    signature.push("retry: oncely.RetryPolicy | int | None = None".into());
    arg_docs.push("headers, timeout, deadline, retry: extra headers and per-call limits (see `oncely.Client.request`).".into());
    call_args.push("timeout=timeout".into());
    call_args.push("deadline=deadline".into());
    call_args.push("retry=retry".into());

    // The result.
    let (ret, finish) = match &op.success {
        Success::Empty => ("None".to_string(), Finish::Nothing),
        Success::Json { ty, optional } => {
            let mut t = ctx.ann(ty, "m.");
            let mut d = ctx.dec(ty, "m.");
            if *optional && t != "Any" && !t.ends_with("| None") {
                t.push_str(" | None");
                d = format!("_s.nullable({d})");
            }
            let expr = if t == "Any" {
                "response.json()".to_string()
            } else {
                format!("{d}(response.json())")
            };
            (t, Finish::Response(expr))
        }
        Success::Text => ("str".into(), Finish::Response("response.text".into())),
        Success::Bytes => ("bytes".into(), Finish::Response("response.content".into())),
        Success::Operation { ty } => (ctx.ann(ty, "m."), Finish::Operation(ctx.dec(ty, "m."))),
        Success::ByStatus { cases } => by_status(ctx, cases),
    };
    let (ret_sync, ret_async) = match &finish {
        Finish::Operation(_) => (
            format!("oncely.Operation[{ret}]"),
            format!("oncely.AsyncOperation[{ret}]"),
        ),
        _ => (ret.clone(), ret),
    };

    let mut docs = docs_paragraphs(&op.docs);
    let mut facts = vec![format!("`{} {}`", op.method.as_str(), op.path)];
    if keyed {
        facts.push("sent with an idempotency key".into());
    }
    if op.long_running.is_some() {
        facts.push("long-running: returns an operation to `wait()` on".into());
    }
    if !op.problems.is_empty() {
        facts.push(format!(
            "problems ({}) raise `oncely.ProblemError`",
            op.problems.join(", ")
        ));
    }
    docs.push(facts.join("; ") + ".");
    if !arg_docs.is_empty() {
        let mut args = String::from("Args:");
        for a in &arg_docs {
            let _ = write!(args, "\n    {a}");
        }
        docs.push(args);
    }
    MethodPlan {
        name,
        signature,
        docs,
        prelude,
        call_args,
        ret_sync,
        ret_async,
        finish,
    }
}

/// The return type and statements of an operation whose success statuses
/// have different bodies.
fn by_status(ctx: &Ctx<'_>, cases: &[crate::ir::StatusCase]) -> (String, Finish) {
    let mut types: Vec<String> = Vec::new();
    let mut stmts = String::new();
    let mut default: Option<String> = None;
    for c in cases {
        let (t, expr) = match &c.body {
            CaseBody::Empty => ("None".to_string(), "None".to_string()),
            CaseBody::Json(t) => {
                let ann = ctx.ann(t, "m.");
                let expr = if ann == "Any" {
                    "response.json()".to_string()
                } else {
                    format!("{}(response.json())", ctx.dec(t, "m."))
                };
                (ann, expr)
            }
            CaseBody::Text => ("str".into(), "response.text".into()),
            CaseBody::Bytes => ("bytes".into(), "response.content".into()),
        };
        if !types.contains(&t) {
            types.push(t);
        }
        if c.status.chars().all(|ch| ch.is_ascii_digit()) {
            let _ = writeln!(
                stmts,
                "        if response.status == {}:\n            return {expr}",
                c.status
            );
        } else if let Some(first) = c.status.chars().next().filter(|ch| ch.is_ascii_digit()) {
            let _ = writeln!(
                stmts,
                "        if response.status // 100 == {first}:\n            return {expr}"
            );
        } else {
            default = Some(expr);
        }
    }
    let ret = if types.iter().any(|t| t == "Any") {
        "Any".to_string()
    } else {
        types.join(" | ")
    };
    let fallback = default.unwrap_or_else(|| {
        if ret == "Any" {
            "response.json()".into()
        } else {
            format!("cast({}, response.json())", lit(&ret))
        }
    });
    let _ = writeln!(stmts, "        return {fallback}");
    (ret, Finish::Statements(stmts))
}

fn method(out: &mut String, p: &MethodPlan, is_async: bool) {
    let (def, aw, ret) = if is_async {
        ("async def", "await ", &p.ret_async)
    } else {
        ("def", "", &p.ret_sync)
    };
    let _ = writeln!(out, "\n    {def} {}(", p.name);
    out.push_str("        self,\n");
    let mut sig = p.signature.clone();
    if sig.last().is_some_and(|s| s == "*") {
        sig.pop();
    }
    for s in &sig {
        let _ = writeln!(out, "        {s},");
    }
    let _ = writeln!(out, "    ) -> {ret}:");
    docstring(out, "        ", &p.docs);
    out.push_str(&p.prelude);
    let args = p
        .call_args
        .iter()
        .map(|a| format!("            {a},\n"))
        .collect::<String>();
    match &p.finish {
        Finish::Nothing => {
            let _ = write!(out, "        {aw}self.client.request(\n{args}        )\n");
        }
        Finish::Response(expr) => {
            let _ = write!(out, "        response = {aw}self.client.request(\n{args}        )\n        return {expr}\n");
        }
        Finish::Statements(stmts) => {
            let _ = write!(
                out,
                "        response = {aw}self.client.request(\n{args}        )\n{stmts}"
            );
        }
        Finish::Operation(decoder) => {
            let _ = write!(
                out,
                "        return {aw}self.client.request_operation(\n{args}            decoder={decoder},\n        )\n"
            );
        }
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

/// The support module: decoding with clear errors and parameter styles.
const SUPPORT_PY: &str = r#"# Generated by `oncely generate --lang python`. Do not edit.
"""Support code of the generated client: JSON decoding that names what did
not fit, encoding of models, and the OpenAPI parameter styles. Everything
about sending (keys, retries, polling, problems) is done by `oncely`."""

from __future__ import annotations

import dataclasses
import enum
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import oncely

T = TypeVar("T")


def _fail(expected: str, value: object) -> oncely.DecodeError:
    shown = repr(value)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return oncely.DecodeError(f"expected {expected}, got {type(value).__name__}: {shown}")


def string(value: Any) -> str:
    if isinstance(value, str):
        return value
    raise _fail("a string", value)


def integer(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise _fail("an integer", value)


def number(value: Any) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise _fail("a number", value)


def boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise _fail("a boolean", value)


def any_value(value: Any) -> Any:
    return value


def list_of(item: Callable[[Any], T]) -> Callable[[Any], list[T]]:
    def decode(value: Any) -> list[T]:
        if not isinstance(value, list):
            raise _fail("an array", value)
        return [item(v) for v in value]

    return decode


def map_of(item: Callable[[Any], T]) -> Callable[[Any], dict[str, T]]:
    def decode(value: Any) -> dict[str, T]:
        if not isinstance(value, dict):
            raise _fail("an object", value)
        return {str(k): item(v) for k, v in value.items()}

    return decode


def nullable(item: Callable[[Any], T]) -> Callable[[Any], T | None]:
    def decode(value: Any) -> T | None:
        return None if value is None else item(value)

    return decode


def obj(value: Any, name: str) -> Mapping[str, Any]:
    if isinstance(value, Mapping):
        return value
    raise _fail(f"a {name} object", value)


def field(data: Mapping[str, Any], key: str, decode: Callable[[Any], T]) -> T:
    if key not in data:
        raise oncely.DecodeError(f"missing member {key!r}")
    try:
        return decode(data[key])
    except oncely.DecodeError as e:
        raise oncely.DecodeError(f"{key}: {e}") from None


def optional_field(data: Mapping[str, Any], key: str, decode: Callable[[Any], T]) -> T | None:
    value = data.get(key)
    if value is None:
        return None
    try:
        return decode(value)
    except oncely.DecodeError as e:
        raise oncely.DecodeError(f"{key}: {e}") from None


def first_of(value: Any, name: str, decoders: Sequence[Callable[[Any], Any]]) -> Any:
    errors = []
    for decode in decoders:
        try:
            return decode(value)
        except oncely.DecodeError as e:
            errors.append(str(e))
    raise oncely.DecodeError(f"no variant of {name} fits: " + "; ".join(errors))


def tagged(value: Any, name: str, prop: str, table: Mapping[str, Callable[[Any], Any]]) -> Any:
    data = obj(value, name)
    tag = data.get(prop)
    if not isinstance(tag, str) or tag not in table:
        raise oncely.DecodeError(f"{name}: unknown {prop} {tag!r} (expected one of {sorted(table)})")
    return table[tag](data)


def to_json(value: Any) -> Any:
    """Models, enums, lists and dicts as JSON values."""
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict) and dataclasses.is_dataclass(value):
        return to_dict()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    return value


def raw(value: bytes | str | None) -> bytes | None:
    return value.encode() if isinstance(value, str) else value


def text(value: Any) -> str:
    """One parameter value as text (`true`/`false`, JSON for structures)."""
    value = to_json(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def simple(value: Any) -> str:
    """The `simple` style (path parameters, headers)."""
    value = to_json(value)
    if isinstance(value, list):
        return ",".join(text(v) for v in value)
    if isinstance(value, dict):
        return ",".join(f"{k},{text(v)}" for k, v in value.items())
    return text(value)


def query(out: list[tuple[str, str]], name: str, value: Any, style: str, explode: bool) -> None:
    """Appends a query parameter in its OpenAPI style."""
    if value is None:
        return
    value = to_json(value)
    if style == "json":
        out.append((name, json.dumps(value, separators=(",", ":"))))
    elif isinstance(value, dict):
        if style == "deepObject":
            out.extend((f"{name}[{k}]", text(v)) for k, v in value.items() if v is not None)
        elif explode:
            out.extend((str(k), text(v)) for k, v in value.items() if v is not None)
        else:
            out.append((name, ",".join(f"{k},{text(v)}" for k, v in value.items() if v is not None)))
    elif isinstance(value, list):
        if style == "deepObject":
            out.extend((f"{name}[]", text(v)) for v in value)
        elif explode and style == "form":
            out.extend((name, text(v)) for v in value)
        else:
            sep = {"spaceDelimited": " ", "pipeDelimited": "|"}.get(style, ",")
            out.append((name, sep.join(text(v) for v in value)))
    else:
        out.append((name, text(value)))


def header(out: dict[str, str], name: str, value: Any) -> None:
    if value is not None:
        out[name] = simple(value)


def cookie(out: list[str], name: str, value: Any) -> None:
    if value is not None:
        out.append(f"{name}={simple(value)}")


def headers(values: dict[str, str], cookies: list[str], extra: Mapping[str, str] | None) -> dict[str, str] | None:
    merged = dict(values)
    if cookies:
        merged["Cookie"] = "; ".join(cookies)
    if extra:
        merged.update(extra)
    return merged or None
"#;
