//! Text in generated Rust: doc comments rustdoc renders without warnings or
//! doctests, and string literals.

use std::fmt::Write;

pub use crate::emit::common::markdown::doc_lines;
use crate::emit::common::markdown::is_forbidden;

/// Writes a doc comment block (`///` lines) with the given indentation.
pub fn write_doc(out: &mut String, indent: &str, paragraphs: &[String]) {
    let mut first = true;
    for p in paragraphs {
        let lines = doc_lines(p);
        if lines.is_empty() {
            continue;
        }
        if !first {
            let _ = writeln!(out, "{indent}///");
        }
        first = false;
        for l in lines {
            if l.is_empty() {
                let _ = writeln!(out, "{indent}///");
            } else {
                let _ = writeln!(out, "{indent}/// {l}");
            }
        }
    }
}

/// A Rust string literal for `s` (ASCII only; everything else escaped).
pub fn lit(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            c => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
        }
    }
    out.push('"');
    out
}

/// A TOML basic string for `s`.
pub fn toml_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Inline text for a one-line doc mention (code span with backticks removed).
pub fn code(s: &str) -> String {
    let clean: String = s
        .chars()
        .filter(|c| !is_forbidden(*c) && *c != '`' && *c != '\n')
        .collect();
    format!("`{clean}`")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals() {
        assert_eq!(lit("a\"b\\\u{202e}é"), "\"a\\\"b\\\\\\u{202e}\\u{e9}\"");
    }
}
