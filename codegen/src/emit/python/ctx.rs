//! What the Python modules share: safe names, string literals, docstrings,
//! and the Python spelling of IR types (annotations, runtime aliases and
//! decoders), worked out once per API in [`Ctx`].

use std::fmt::Write as _;

use crate::emit::common::alias_cycle;
use crate::ir::{Api, Primitive, Type, TypeDef};
use crate::naming::{self, ident, python::KEYWORDS, words, Case, Scope};

/// Builtins a generated name must not shadow (arguments, functions, model
/// names): shadowing them breaks the generated annotations or trips linters.
pub(super) const BUILTINS: &[&str] = &[
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
pub(super) const FIELD_RESERVED: &[&str] = &[
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

/// Names a model or client class must not take (it gets `Model` appended).
///
/// One set for one rule — a class name must not rebind a name the generated
/// modules or mypy resolve to something else — drawn from three sources:
///
/// - what the generated modules import or annotate with (`typing`, `enum`,
///   `oncely` names);
/// - Python's builtin constants and capitalised builtins (exceptions and
///   warnings, 3.9–3.13): mypy binds a forward reference such as
///   `list[Warning]`, written before `class Warning`, to the builtin;
/// - the old `typing` aliases users would otherwise confuse (`List`, …).
pub(super) const RESERVED_TYPE_NAMES: &[&str] = &[
    // Imported or used by the generated modules.
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
    "Error",
    "Response",
    "Operation",
    "AsyncOperation",
    "Client",
    "AsyncClient",
    "RetryPolicy",
    // `typing` aliases.
    "List",
    "Dict",
    "Tuple",
    "Type",
    // Builtin constants.
    "None",
    "True",
    "False",
    "Ellipsis",
    "NotImplemented",
    // Builtin classes.
    "BaseException",
    "Exception",
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
/// A safe snake-case value name (argument, function, field) in `scope`.
pub(super) fn value_name(scope: &mut Scope, raw: &str, fallback: &str, avoid: &[&str]) -> String {
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
pub(super) fn type_name(scope: &mut Scope, raw: &str, fallback: &str) -> String {
    let mut base = ident(raw, Case::UpperCamel, fallback, "T");
    if RESERVED_TYPE_NAMES.contains(&base.as_str()) || KEYWORDS.contains(&base.as_str()) {
        base.push_str("Model");
    }
    scope.unique(&base, "")
}

/// A Python string literal (double-quoted, ASCII-safe).
pub(super) fn lit(s: &str) -> String {
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
pub(super) fn doc_text(s: &str) -> String {
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

/// The first lines of a generated module: the "do not edit" line, a
/// docstring (`<what> of <title> <version>.`) and the `__future__` import.
pub(super) fn module_header(out: &mut String, what: &str, api: &Api) {
    out.push_str("# Generated by `oncely generate --lang python`. Do not edit.\n");
    let _ = writeln!(
        out,
        "\"\"\"{what} of {} {}.\"\"\"\n",
        doc_text(&api.title),
        doc_text(&api.version)
    );
    out.push_str("from __future__ import annotations\n\n");
}

/// Writes a docstring at `indent`.
pub(super) fn docstring(out: &mut String, indent: &str, paragraphs: &[String]) {
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

/// Names and shapes shared by the modules.
pub(super) struct Ctx<'a> {
    pub(super) api: &'a Api,
    /// Python name per declaration.
    pub(super) types: Vec<String>,
    /// Decoder function per union / alias declaration.
    pub(super) decoders: Vec<Option<String>>,
    /// Aliases that only lead back to themselves (typed as `Any`).
    pub(super) cyclic_alias: Vec<bool>,
    /// The blocking client class.
    pub(super) client: String,
    /// The asyncio client class.
    pub(super) async_client: String,
}

impl<'a> Ctx<'a> {
    /// Names every declaration and client class of `api`.
    pub(super) fn new(api: &'a Api) -> Ctx<'a> {
        let mut scope = Scope::with_reserved(RESERVED_TYPE_NAMES.iter().copied());
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
    pub(super) fn ann(&self, t: &Type, q: &str) -> String {
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
    pub(super) fn runtime(&self, t: &Type) -> String {
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
    pub(super) fn dec(&self, t: &Type, q: &str) -> String {
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

pub(super) fn primitive(p: Primitive) -> &'static str {
    match p {
        Primitive::I32 | Primitive::I64 => "int",
        Primitive::Number => "float",
        Primitive::Boolean => "bool",
        _ => "str",
    }
}

/// The reason a type is untyped, for a comment.
pub(super) fn untyped_reason(t: &Type) -> Option<&str> {
    match t {
        Type::Any { reason } => reason.as_deref(),
        Type::Array(i) | Type::Map(i) | Type::Nullable(i) => untyped_reason(i),
        _ => None,
    }
}

pub(super) fn comment(text: &str) -> String {
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let short: String = one_line.chars().take(100).collect();
    format!("  # untyped: {short}")
}
