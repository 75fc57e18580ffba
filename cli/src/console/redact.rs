//! What the console never shows: the values of headers that are credentials
//! or session state, and of JSON members named like them (a step output or an
//! error that carries an `authorization` or an `api_token`). The rule of what
//! is a secret is the runtime's own ([`oncely::client::is_sensitive_header`]);
//! this module applies it to header lists and JSON documents.

use axum::http::HeaderName;
use serde_json::Value;

/// What a secret's value is shown as.
pub const REDACTED: &str = "[redacted]";

/// True when a header or member called `name` holds a secret. Names that are
/// not header names (spaces, other punctuation) are judged with those
/// characters read as `-`.
pub fn is_secret_name(name: &str) -> bool {
    let normalized: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    match HeaderName::from_bytes(normalized.as_bytes()) {
        Ok(header) => oncely::client::is_sensitive_header(&header),
        // Empty: nothing to hide.
        Err(_) => false,
    }
}

/// Headers with the values of secret ones replaced by [`REDACTED`].
pub fn headers(list: &[(String, String)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(name, value)| {
            let shown = if is_secret_name(name) {
                REDACTED.to_string()
            } else {
                value.clone()
            };
            (name.clone(), shown)
        })
        .collect()
}

/// A JSON document with the values of secret-named members, and of
/// secret-named `[name, value]` header pairs, replaced by [`REDACTED`], at
/// any depth.
pub fn json(value: &Value) -> Value {
    redact_pairs(secret_members(value))
}

/// Secret-named object members redacted, at any depth.
fn secret_members(value: &Value) -> Value {
    match value {
        Value::Object(members) => Value::Object(
            members
                .iter()
                .map(|(name, v)| {
                    let shown = if is_secret_name(name) {
                        Value::String(REDACTED.into())
                    } else {
                        secret_members(v)
                    };
                    (name.clone(), shown)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(secret_members).collect()),
        other => other.clone(),
    }
}

/// A JSON document pretty-printed, secrets redacted.
pub fn pretty(value: &Value) -> String {
    let shown = json(value);
    serde_json::to_string_pretty(&shown).unwrap_or_else(|_| shown.to_string())
}

/// `[["Authorization", "…"], …]` pairs (how header lists are stored in JSON)
/// with secret values redacted.
fn redact_pairs(value: Value) -> Value {
    match value {
        Value::Array(items) => {
            let is_pair = |v: &Value| matches!(v, Value::Array(p) if p.len() == 2 && p.iter().all(Value::is_string));
            if !items.is_empty() && items.iter().all(is_pair) {
                Value::Array(
                    items
                        .into_iter()
                        .map(|pair| match pair {
                            Value::Array(p) if p[0].as_str().is_some_and(is_secret_name) => {
                                Value::Array(vec![p[0].clone(), Value::String(REDACTED.into())])
                            }
                            other => other,
                        })
                        .collect(),
                )
            } else {
                Value::Array(items.into_iter().map(redact_pairs).collect())
            }
        }
        Value::Object(members) => Value::Object(
            members
                .into_iter()
                .map(|(k, v)| (k, redact_pairs(v)))
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn credentials_and_secret_names_are_redacted() {
        for name in [
            "Authorization",
            "Proxy-Authorization",
            "Cookie",
            "X-Api-Key",
            "api_token",
            "client secret",
            "db_password",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in ["Content-Type", "idempotency-key", "order_id", ""] {
            assert!(!is_secret_name(name), "{name}");
        }
        let shown = headers(&[
            ("Authorization".into(), "Bearer s3cret".into()),
            ("Accept".into(), "application/json".into()),
        ]);
        assert_eq!(shown[0].1, REDACTED);
        assert_eq!(shown[1].1, "application/json");
    }

    #[test]
    fn json_members_and_header_pairs_are_redacted_at_any_depth() {
        let doc = json!({
            "id": "o1",
            "nested": [{"api_token": "t0k3n", "ok": 1}],
            "headers": [["Authorization", "Bearer s3cret"], ["Accept", "*/*"]],
        });
        let text = pretty(&doc);
        assert!(
            !text.contains("t0k3n") && !text.contains("s3cret"),
            "{text}"
        );
        assert!(text.contains("\"o1\"") && text.contains("*/*"), "{text}");
    }
}
