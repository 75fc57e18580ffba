//! Request bodies other than JSON: Stripe-style form encoding and multipart.

use bytes::Bytes;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// A serialised request body and its media type.
#[derive(Debug, Clone)]
pub(crate) struct Body {
    pub bytes: Bytes,
    pub content_type: String,
    pub is_json: bool,
    /// True when the bytes are already canonical JSON (built by oncely from a
    /// value), so fingerprinting need not parse them again.
    pub canonical: bool,
}

/// Encodes a JSON value as `application/x-www-form-urlencoded` with bracket
/// notation for nesting, as Stripe and Rails read it: `{"a":{"b":1},"c":[1,2]}`
/// becomes `a[b]=1&c[0]=1&c[1]=2`. `null` members are left out.
pub(crate) fn form_encode(value: &Value) -> String {
    let mut pairs = Vec::new();
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                flatten(k.clone(), v, &mut pairs);
            }
        }
        other => flatten(String::new(), other, &mut pairs),
    }
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        out.append_pair(&k, &v);
    }
    out.finish()
}

fn flatten(prefix: String, value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Null => {}
        Value::Bool(b) => out.push((prefix, b.to_string())),
        Value::Number(n) => out.push((prefix, n.to_string())),
        Value::String(s) => out.push((prefix, s.clone())),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                flatten(format!("{prefix}[{i}]"), item, out);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                flatten(format!("{prefix}[{k}]"), v, out);
            }
        }
    }
}

/// A `multipart/form-data` body built part by part.
///
/// The boundary is derived from the content, so the same parts always encode to
/// the same bytes — which keeps the request fingerprint stable across retries and
/// restarts.
///
/// ```
/// let form = oncely::Multipart::new()
///     .text("purpose", "dispute_evidence")
///     .file("file", "receipt.txt", "text/plain", b"paid".to_vec());
/// # let _ = form;
/// ```
#[derive(Debug, Clone, Default)]
pub struct Multipart {
    parts: Vec<Part>,
}

#[derive(Debug, Clone)]
struct Part {
    name: String,
    filename: Option<String>,
    content_type: Option<String>,
    data: Bytes,
}

impl Multipart {
    /// An empty form.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a text field.
    pub fn text(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.parts.push(Part {
            name: name.into(),
            filename: None,
            content_type: None,
            data: Bytes::from(value.into()),
        });
        self
    }

    /// Adds a file field.
    pub fn file(
        mut self,
        name: impl Into<String>,
        filename: impl Into<String>,
        content_type: impl Into<String>,
        data: impl Into<Bytes>,
    ) -> Self {
        self.parts.push(Part {
            name: name.into(),
            filename: Some(filename.into()),
            content_type: Some(content_type.into()),
            data: data.into(),
        });
        self
    }

    pub(crate) fn encode(&self) -> Body {
        let mut digest = Sha256::new();
        for part in &self.parts {
            digest.update(part.name.as_bytes());
            digest.update([0]);
            digest.update(&part.data);
            digest.update([0]);
        }
        let boundary = format!("oncely-{}", &hex::encode(digest.finalize())[..32]);
        let mut out = Vec::new();
        for part in &self.parts {
            out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
            let name = escape_quoted(&part.name);
            match &part.filename {
                Some(f) => out.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{name}\"; filename=\"{}\"\r\n",
                        escape_quoted(f)
                    )
                    .as_bytes(),
                ),
                None => out.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"\r\n").as_bytes(),
                ),
            }
            if let Some(ct) = &part.content_type {
                out.extend_from_slice(format!("Content-Type: {ct}\r\n").as_bytes());
            }
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(&part.data);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        Body {
            bytes: Bytes::from(out),
            content_type: format!("multipart/form-data; boundary={boundary}"),
            is_json: false,
            canonical: false,
        }
    }
}

fn escape_quoted(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace(['\r', '\n'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn form_uses_brackets_for_nesting() {
        let v = json!({"amount": 100, "expand": ["a", "b"], "metadata": {"k": "v w"}, "skip": null, "ok": true});
        assert_eq!(
            form_encode(&v),
            "amount=100&expand%5B0%5D=a&expand%5B1%5D=b&metadata%5Bk%5D=v+w&ok=true"
        );
    }

    #[test]
    fn multipart_is_deterministic_and_well_formed() {
        let make = || {
            Multipart::new()
                .text("a", "1")
                .file("f", "x\".txt", "text/plain", b"hi".to_vec())
                .encode()
        };
        let (one, two) = (make(), make());
        assert_eq!(one.bytes, two.bytes);
        let text = String::from_utf8(one.bytes.to_vec()).unwrap();
        let boundary = one.content_type.split("boundary=").nth(1).unwrap();
        assert!(text.starts_with(&format!("--{boundary}\r\n")));
        assert!(text.ends_with(&format!("--{boundary}--\r\n")));
        assert!(text.contains("filename=\"x\\\".txt\""));
    }
}
