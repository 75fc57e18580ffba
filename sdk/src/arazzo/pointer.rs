//! JSON Pointers (RFC 6901): the `#/…` fragments of runtime expressions and
//! the locations that loading and checking errors point at.

use serde_json::Value;
use std::fmt;

/// A parsed JSON Pointer: its reference tokens, unescaped (`~1` is `/`, `~0`
/// is `~`). The empty pointer designates the whole document.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct JsonPointer {
    tokens: Vec<String>,
}

/// Why a string is not a JSON Pointer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PointerError {
    /// A non-empty pointer must start with `/`.
    #[error("a JSON pointer must be empty or start with '/'")]
    MissingSlash,
    /// `~` followed by something other than `0` or `1`.
    #[error("invalid escape at byte {position}: '~' must be followed by '0' or '1'")]
    BadEscape {
        /// Byte offset of the `~` in the pointer text.
        position: usize,
    },
}

impl JsonPointer {
    /// The empty pointer (the whole document).
    pub fn root() -> Self {
        Self::default()
    }

    /// Parses the RFC 6901 string form (`""`, `/a/b~1c`).
    pub fn parse(text: &str) -> Result<Self, PointerError> {
        if text.is_empty() {
            return Ok(Self::root());
        }
        let Some(rest) = text.strip_prefix('/') else {
            return Err(PointerError::MissingSlash);
        };
        let mut tokens = Vec::new();
        let mut offset = 1;
        for raw in rest.split('/') {
            tokens.push(unescape(raw, offset)?);
            offset += raw.len() + 1;
        }
        Ok(Self { tokens })
    }

    /// The unescaped reference tokens.
    pub fn tokens(&self) -> &[String] {
        &self.tokens
    }

    /// This pointer with one more token.
    pub fn child(&self, token: impl Into<String>) -> Self {
        let mut tokens = self.tokens.clone();
        tokens.push(token.into());
        Self { tokens }
    }

    /// Appends a token in place.
    pub fn push(&mut self, token: impl Into<String>) {
        self.tokens.push(token.into());
    }

    /// Removes the last token, if any.
    pub fn pop(&mut self) -> Option<String> {
        self.tokens.pop()
    }

    /// The value this pointer designates in `value`, if there is one. Array
    /// indexes are decimal without leading zeros, as RFC 6901 requires.
    pub fn resolve<'v>(&self, value: &'v Value) -> Option<&'v Value> {
        self.tokens
            .iter()
            .try_fold(value, |current, token| match current {
                Value::Object(map) => map.get(token),
                Value::Array(items) => array_index(token).and_then(|index| items.get(index)),
                _ => None,
            })
    }

    /// Mutable access to the value this pointer designates, if there is one.
    pub fn resolve_mut<'v>(&self, value: &'v mut Value) -> Option<&'v mut Value> {
        self.tokens
            .iter()
            .try_fold(value, |current, token| match current {
                Value::Object(map) => map.get_mut(token),
                Value::Array(items) => array_index(token).and_then(|index| items.get_mut(index)),
                _ => None,
            })
    }
}

fn array_index(token: &str) -> Option<usize> {
    let well_formed = token == "0"
        || (!token.is_empty()
            && !token.starts_with('0')
            && token.bytes().all(|b| b.is_ascii_digit()));
    well_formed.then(|| token.parse().ok()).flatten()
}

fn unescape(raw: &str, offset: usize) -> Result<String, PointerError> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.char_indices();
    while let Some((index, c)) = chars.next() {
        if c != '~' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some((_, '0')) => out.push('~'),
            Some((_, '1')) => out.push('/'),
            _ => {
                return Err(PointerError::BadEscape {
                    position: offset + index,
                })
            }
        }
    }
    Ok(out)
}

impl fmt::Display for JsonPointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for token in &self.tokens {
            write!(f, "/{}", token.replace('~', "~0").replace('/', "~1"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn escapes_round_trip() {
        let pointer = JsonPointer::parse("/paths/~1orders~1{id}/a~0b").unwrap();
        assert_eq!(pointer.tokens(), ["paths", "/orders/{id}", "a~b"]);
        assert_eq!(pointer.to_string(), "/paths/~1orders~1{id}/a~0b");
    }

    #[test]
    fn bad_pointers_are_typed_errors() {
        assert_eq!(JsonPointer::parse("a"), Err(PointerError::MissingSlash));
        assert_eq!(
            JsonPointer::parse("/a~2"),
            Err(PointerError::BadEscape { position: 2 })
        );
        assert_eq!(
            JsonPointer::parse("/ab/c~"),
            Err(PointerError::BadEscape { position: 5 })
        );
    }

    #[test]
    fn resolves_objects_and_arrays() {
        let doc = json!({"a": [{"b": 1}, {"b": 2}], "": 3, "a/b": 4});
        let get = |p: &str| JsonPointer::parse(p).unwrap().resolve(&doc).cloned();
        assert_eq!(get("/a/1/b"), Some(json!(2)));
        assert_eq!(get("/"), Some(json!(3)));
        assert_eq!(get("/a~1b"), Some(json!(4)));
        assert_eq!(get("/a/01"), None);
        assert_eq!(get("/a/-"), None);
        assert_eq!(get(""), Some(doc.clone()));
    }
}
