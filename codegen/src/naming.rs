//! Turning raw names from a document into safe identifiers.
//!
//! Raw names can be anything: `order_id`, `orderId`, `X-Request-ID`, `$ref`,
//! `2fa`, `Größe`, `+1`, or empty. [`words`] splits a raw name into lowercase
//! ASCII words (folding accented Latin letters, naming symbols when nothing
//! else is left); the casing functions join them; each language then escapes
//! its keywords; and a [`Scope`] makes names unique within one namespace with
//! a numbered suffix, in the order names are asked for — which is
//! deterministic, since every caller iterates in a sorted order.

use std::collections::HashSet;

/// Splits a raw name into lowercase ASCII words.
///
/// Boundaries: any non-alphanumeric character, a lowercase or digit followed
/// by an uppercase letter (`orderId`), and the last capital of an acronym
/// (`HTTPServer` → `http`, `server`). A leading `+`, or a `-` before a digit,
/// becomes `plus`/`minus`, so `+1` and `-1` stay distinct. A name made only of
/// symbols (`>=`) gets the symbols' names (`gt`, `eq`).
pub fn words(raw: &str) -> Vec<String> {
    let folded: Vec<char> = raw.chars().flat_map(fold).collect();
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    let has_alnum = folded.iter().any(|c| c.is_ascii_alphanumeric());
    for (i, &c) in folded.iter().enumerate() {
        if c.is_ascii_alphanumeric() {
            let prev = if i > 0 { Some(folded[i - 1]) } else { None };
            let next = folded.get(i + 1).copied();
            let boundary = c.is_ascii_uppercase()
                && !cur.is_empty()
                && match prev {
                    Some(p) if p.is_ascii_lowercase() || p.is_ascii_digit() => true,
                    Some(p) if p.is_ascii_uppercase() => {
                        next.is_some_and(|n| n.is_ascii_lowercase())
                    }
                    _ => false,
                };
            if boundary {
                out.push(std::mem::take(&mut cur));
            }
            cur.push(c.to_ascii_lowercase());
        } else {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            let next_digit = folded.get(i + 1).is_some_and(|n| n.is_ascii_digit());
            let word = match c {
                '+' => Some("plus"),
                '-' if out.is_empty() && next_digit => Some("minus"),
                _ if !has_alnum => symbol_name(c),
                _ => None,
            };
            if let Some(w) = word {
                out.push(w.to_string());
            }
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn symbol_name(c: char) -> Option<&'static str> {
    Some(match c {
        '*' => "star",
        '<' => "lt",
        '>' => "gt",
        '=' => "eq",
        '!' => "not",
        '.' => "dot",
        '/' => "slash",
        '\\' => "backslash",
        '%' => "percent",
        '&' => "and",
        '|' => "or",
        '@' => "at",
        '#' => "hash",
        '$' => "dollar",
        '~' => "tilde",
        '^' => "caret",
        '?' => "question",
        ':' => "colon",
        ',' => "comma",
        ';' => "semicolon",
        '_' => "underscore",
        '-' => "minus",
        '(' | ')' => "paren",
        '[' | ']' => "bracket",
        '{' | '}' => "brace",
        '\'' | '"' | '`' => "quote",
        _ => return None,
    })
}

/// Folds a character to ASCII: accented Latin letters lose their accent,
/// a few ligatures expand, anything else non-ASCII becomes a separator.
fn fold(c: char) -> Vec<char> {
    if c.is_ascii() {
        return vec![c];
    }
    let s: &str = match c {
        'À'..='Å' => "A",
        'à'..='å' | 'ā' | 'ă' | 'ą' => "a",
        'Æ' => "AE",
        'æ' => "ae",
        'Ç' | 'Ć' | 'Č' => "C",
        'ç' | 'ć' | 'č' => "c",
        'Ð' | 'Ď' => "D",
        'ð' | 'ď' | 'đ' => "d",
        'È'..='Ë' | 'Ē' | 'Ę' | 'Ě' => "E",
        'è'..='ë' | 'ē' | 'ę' | 'ě' => "e",
        'Ì'..='Ï' => "I",
        'ì'..='ï' | 'ı' => "i",
        'Ł' => "L",
        'ł' => "l",
        'Ñ' | 'Ń' | 'Ň' => "N",
        'ñ' | 'ń' | 'ň' => "n",
        'Ò'..='Ö' | 'Ø' | 'Ő' => "O",
        'ò'..='ö' | 'ø' | 'ő' => "o",
        'Œ' => "OE",
        'œ' => "oe",
        'Ř' => "R",
        'ř' => "r",
        'Ś' | 'Š' | 'Ş' => "S",
        'ś' | 'š' | 'ş' => "s",
        'ß' => "ss",
        'Ť' | 'Ţ' => "T",
        'ť' | 'ţ' => "t",
        'Ù'..='Ü' | 'Ů' | 'Ű' => "U",
        'ù'..='ü' | 'ů' | 'ű' => "u",
        'Ý' | 'Ÿ' => "Y",
        'ý' | 'ÿ' => "y",
        'Ź' | 'Ż' | 'Ž' => "Z",
        'ź' | 'ż' | 'ž' => "z",
        'Þ' => "TH",
        'þ' => "th",
        _ => " ",
    };
    s.chars().collect()
}

/// `UpperCamelCase` from words.
pub fn upper_camel(words: &[String]) -> String {
    let mut out = String::new();
    for w in words {
        let mut chars = w.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        }
    }
    out
}

/// `snake_case` from words.
pub fn snake(words: &[String]) -> String {
    words.join("_")
}

/// `SCREAMING_SNAKE_CASE` from words.
pub fn screaming_snake(words: &[String]) -> String {
    words.join("_").to_ascii_uppercase()
}

/// `lowerCamelCase` from words.
pub fn lower_camel(words: &[String]) -> String {
    let mut out = upper_camel(words);
    if let Some(first) = out.get(0..1) {
        let lower = first.to_ascii_lowercase();
        out.replace_range(0..1, &lower);
    }
    out
}

/// Identifier case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// `UpperCamelCase` (types, variants).
    UpperCamel,
    /// `snake_case` (fields, functions, parameters).
    Snake,
}

/// Converts a raw name to an identifier in `case`, without keyword escaping.
/// An empty result becomes `fallback`; a leading digit gets `digit_prefix`.
pub fn ident(raw: &str, case: Case, fallback: &str, digit_prefix: &str) -> String {
    let ws = words(raw);
    let mut s = match case {
        Case::UpperCamel => upper_camel(&ws),
        Case::Snake => snake(&ws),
    };
    if s.is_empty() {
        s = fallback.to_string();
    }
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert_str(0, digit_prefix);
    }
    s
}

/// A namespace in which every identifier is unique.
#[derive(Debug, Default, Clone)]
pub struct Scope {
    used: HashSet<String>,
}

impl Scope {
    /// An empty scope.
    pub fn new() -> Scope {
        Scope::default()
    }

    /// A scope where `reserved` names are already taken.
    pub fn with_reserved<'a>(reserved: impl IntoIterator<Item = &'a str>) -> Scope {
        Scope {
            used: reserved.into_iter().map(str::to_string).collect(),
        }
    }

    /// Marks `name` as taken.
    pub fn reserve(&mut self, name: &str) {
        self.used.insert(name.to_string());
    }

    /// True if `name` is taken.
    pub fn contains(&self, name: &str) -> bool {
        self.used.contains(name)
    }

    /// Returns `base` if free, else `base{sep}2`, `base{sep}3`, …; marks it taken.
    pub fn unique(&mut self, base: &str, sep: &str) -> String {
        if self.used.insert(base.to_string()) {
            return base.to_string();
        }
        let mut n = 2usize;
        loop {
            let candidate = format!("{base}{sep}{n}");
            if self.used.insert(candidate.clone()) {
                return candidate;
            }
            n += 1;
        }
    }
}

/// Rust naming rules.
pub mod rust {
    use super::{ident, Case, Scope};

    /// Strict and reserved keywords of every edition.
    pub const KEYWORDS: &[&str] = &[
        "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn",
        "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref",
        "return", "self", "Self", "static", "struct", "super", "trait", "true", "type", "unsafe",
        "use", "where", "while", "async", "await", "dyn", "abstract", "become", "box", "do",
        "final", "macro", "override", "priv", "typeof", "unsized", "virtual", "yield", "try",
        "gen", "union",
    ];

    /// Keywords that cannot be raw identifiers.
    const NOT_RAW: &[&str] = &["crate", "self", "Self", "super", "_"];

    /// Names that generated type names must not shadow: the prelude, the
    /// primitive types and the derive macros the generated code uses.
    pub const RESERVED_TYPES: &[&str] = &[
        "Self",
        "Option",
        "Some",
        "None",
        "Result",
        "Ok",
        "Err",
        "String",
        "Vec",
        "Box",
        "ToString",
        "ToOwned",
        "Clone",
        "Copy",
        "Send",
        "Sync",
        "Sized",
        "Unpin",
        "Drop",
        "Fn",
        "FnMut",
        "FnOnce",
        "Default",
        "Iterator",
        "IntoIterator",
        "DoubleEndedIterator",
        "ExactSizeIterator",
        "Extend",
        "FromIterator",
        "From",
        "Into",
        "TryFrom",
        "TryInto",
        "PartialEq",
        "Eq",
        "PartialOrd",
        "Ord",
        "AsRef",
        "AsMut",
        "Debug",
        "Hash",
        "Serialize",
        "Deserialize",
        "Display",
    ];

    /// Escapes a snake-case identifier that is a keyword (`type` → `r#type`,
    /// `self` → `self_`).
    pub fn escape(name: &str) -> String {
        if NOT_RAW.contains(&name) {
            format!("{name}_")
        } else if KEYWORDS.contains(&name) {
            format!("r#{name}")
        } else {
            name.to_string()
        }
    }

    /// Strips a raw-identifier prefix (`r#type` → `type`).
    pub fn unraw(name: &str) -> &str {
        name.strip_prefix("r#").unwrap_or(name)
    }

    /// A unique snake-case identifier (field, function, parameter).
    pub fn snake_in(scope: &mut Scope, raw: &str, fallback: &str) -> String {
        let base = ident(raw, Case::Snake, fallback, "n");
        let base = if base == "_" {
            fallback.to_string()
        } else {
            base
        };
        escape(&scope.unique(&base, "_"))
    }

    /// A unique UpperCamel identifier (type, variant). Names in
    /// [`RESERVED_TYPES`] get `suffix` (`Result` → `ResultModel`).
    pub fn camel_in(scope: &mut Scope, raw: &str, fallback: &str, suffix: &str) -> String {
        let mut base = ident(raw, Case::UpperCamel, fallback, "V");
        if RESERVED_TYPES.contains(&base.as_str()) {
            base.push_str(suffix);
        }
        scope.unique(&base, "")
    }
}

/// Python keywords and builtins a generated name must avoid (for the
/// Python emitter).
pub mod python {
    /// Keywords and soft keywords.
    pub const KEYWORDS: &[&str] = &[
        "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class",
        "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global",
        "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return",
        "try", "while", "with", "yield", "match", "case", "type",
    ];
}

/// TypeScript keywords a generated name must avoid (for the TypeScript
/// emitter).
pub mod typescript {
    /// Reserved words and strict-mode reserved words.
    pub const KEYWORDS: &[&str] = &[
        "break",
        "case",
        "catch",
        "class",
        "const",
        "continue",
        "debugger",
        "default",
        "delete",
        "do",
        "else",
        "enum",
        "export",
        "extends",
        "false",
        "finally",
        "for",
        "function",
        "if",
        "import",
        "in",
        "instanceof",
        "new",
        "null",
        "return",
        "super",
        "switch",
        "this",
        "throw",
        "true",
        "try",
        "typeof",
        "var",
        "void",
        "while",
        "with",
        "as",
        "implements",
        "interface",
        "let",
        "package",
        "private",
        "protected",
        "public",
        "static",
        "yield",
        "any",
        "boolean",
        "number",
        "string",
        "symbol",
        "type",
        "from",
        "of",
        "await",
        "async",
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Vec<String> {
        words(s)
    }

    #[test]
    fn splits_words() {
        assert_eq!(w("orderId"), ["order", "id"]);
        assert_eq!(w("HTTPServer"), ["http", "server"]);
        assert_eq!(w("X-Request-ID"), ["x", "request", "id"]);
        assert_eq!(w("$ref"), ["ref"]);
        assert_eq!(w("Größe"), ["grosse"]);
        assert_eq!(w("+1"), ["plus", "1"]);
        assert_eq!(w("-1"), ["minus", "1"]);
        assert_eq!(w(">="), ["gt", "eq"]);
        assert_eq!(w("日本"), Vec::<String>::new());
        assert_eq!(w("io.k8s.api.v1.Pod"), ["io", "k8s", "api", "v1", "pod"]);
    }

    #[test]
    fn rust_idents() {
        let mut s = Scope::new();
        assert_eq!(rust::snake_in(&mut s, "type", "field"), "r#type");
        assert_eq!(rust::snake_in(&mut s, "Type", "field"), "type_2");
        assert_eq!(rust::snake_in(&mut s, "self", "field"), "self_");
        assert_eq!(rust::snake_in(&mut s, "2fa", "field"), "n2fa");
        assert_eq!(rust::snake_in(&mut s, "", "field"), "field");
        assert_eq!(rust::snake_in(&mut s, "日本", "field"), "field_2");
        let mut t = Scope::new();
        assert_eq!(
            rust::camel_in(&mut t, "result", "Type", "Model"),
            "ResultModel"
        );
        assert_eq!(rust::camel_in(&mut t, "foo_bar", "Type", "Model"), "FooBar");
        assert_eq!(rust::camel_in(&mut t, "FooBar", "Type", "Model"), "FooBar2");
        assert_eq!(rust::camel_in(&mut t, "200", "Type", "Model"), "V200");
    }
}
