//! RFC 9457 problem details (and the older RFC 7807 bodies, which share the shape).
//!
//! A server that answers with `application/problem+json` describes the failure in a
//! small JSON object. [`Problem`] keeps the standard members typed and every other
//! member in [`Problem::extensions`], so nothing the server said is lost.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The media type of a JSON problem document (RFC 9457 §3).
pub const PROBLEM_JSON: &str = "application/problem+json";

/// A problem details document as defined by RFC 9457.
///
/// ```
/// let body = br#"{"type":"https://example.com/out-of-credit","title":"Out of credit",
///                 "status":403,"balance":30}"#;
/// let problem = oncely::Problem::from_json(body).unwrap();
/// assert_eq!(problem.title.as_deref(), Some("Out of credit"));
/// assert_eq!(problem.extensions["balance"], 30);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Problem {
    /// A URI reference that identifies the problem type; `about:blank` when absent.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    /// A short, human-readable summary of the problem type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The HTTP status code the server generated for this occurrence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// A human-readable explanation specific to this occurrence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// A URI reference that identifies this specific occurrence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// Every other member of the document (RFC 9457 §3.2 "extension members").
    #[serde(flatten)]
    pub extensions: Map<String, Value>,
}

/// Why a body could not be read as a problem document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProblemParseError {
    /// What was wrong with the body.
    pub reason: String,
}

impl std::fmt::Display for ProblemParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid problem document: {}", self.reason)
    }
}

impl std::error::Error for ProblemParseError {}

impl Problem {
    /// Parses a problem document from a JSON body.
    ///
    /// Members of the wrong type (RFC 9457 §3.1 says to ignore them) are moved to
    /// [`Problem::extensions`] instead of failing the whole document.
    pub fn from_json(body: &[u8]) -> Result<Self, ProblemParseError> {
        let value: Value = serde_json::from_slice(body).map_err(|e| ProblemParseError {
            reason: format!("body is not valid JSON ({e})"),
        })?;
        let Value::Object(mut members) = value else {
            return Err(ProblemParseError {
                reason: "body is JSON but not an object".into(),
            });
        };
        let mut take_string = |name: &str| match members.remove(name) {
            Some(Value::String(s)) => Some(s),
            Some(other) => {
                members.insert(name.to_string(), other);
                None
            }
            None => None,
        };
        let type_ = take_string("type");
        let title = take_string("title");
        let detail = take_string("detail");
        let instance = take_string("instance");
        let status = match members.remove("status") {
            Some(Value::Number(n)) if n.as_u64().is_some_and(|s| (100..=999).contains(&s)) => {
                n.as_u64().map(|s| s as u16)
            }
            Some(other) => {
                members.insert("status".into(), other);
                None
            }
            None => None,
        };
        Ok(Problem {
            type_,
            title,
            status,
            detail,
            instance,
            extensions: members,
        })
    }

    /// The problem type, with the RFC's default `about:blank` when absent.
    pub fn problem_type(&self) -> &str {
        self.type_.as_deref().unwrap_or("about:blank")
    }

    /// A one-line description: the title and detail, whichever are present.
    pub fn summary(&self) -> String {
        match (&self.title, &self.detail) {
            (Some(t), Some(d)) => format!("{t}: {d}"),
            (Some(t), None) => t.clone(),
            (None, Some(d)) => d.clone(),
            (None, None) => self.problem_type().to_string(),
        }
    }
}

/// True when a `Content-Type` header value names a JSON problem document.
///
/// RFC 7807 servers sometimes send `application/problem+json; charset=utf-8` or
/// upper-case variants; both are accepted.
pub fn is_problem_content_type(content_type: &str) -> bool {
    media_type(content_type).eq_ignore_ascii_case(PROBLEM_JSON)
}

/// True when a `Content-Type` header value names JSON of any flavour (`application/json`,
/// `application/problem+json`, `application/vnd.foo+json`).
pub fn is_json_content_type(content_type: &str) -> bool {
    let media = media_type(content_type).to_ascii_lowercase();
    media == "application/json" || media.ends_with("+json") || media == "text/json"
}

/// The media type of a `Content-Type` value, without parameters.
fn media_type(content_type: &str) -> &str {
    content_type.split(';').next().unwrap_or("").trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_standard_members_and_extensions() {
        let p = Problem::from_json(
            br#"{"type":"https://x/declined","title":"Declined","status":402,
                 "detail":"card declined","instance":"/payments/1","decline_code":"insufficient_funds"}"#,
        )
        .unwrap();
        assert_eq!(p.type_.as_deref(), Some("https://x/declined"));
        assert_eq!(p.status, Some(402));
        assert_eq!(p.extensions["decline_code"], "insufficient_funds");
        assert_eq!(p.summary(), "Declined: card declined");
    }

    #[test]
    fn wrongly_typed_members_become_extensions() {
        let p = Problem::from_json(br#"{"title": 5, "status": "bad"}"#).unwrap();
        assert_eq!(p.title, None);
        assert_eq!(p.status, None);
        assert_eq!(p.extensions["title"], 5);
        assert_eq!(p.extensions["status"], "bad");
        assert_eq!(p.problem_type(), "about:blank");
    }

    #[test]
    fn invalid_json_is_a_typed_error() {
        let err = Problem::from_json(b"<html>oops</html>").unwrap_err();
        assert!(err.reason.contains("not valid JSON"), "{err}");
        let err = Problem::from_json(b"[1,2]").unwrap_err();
        assert!(err.reason.contains("not an object"), "{err}");
    }

    #[test]
    fn content_type_detection() {
        assert!(is_problem_content_type(
            "application/problem+json; charset=utf-8"
        ));
        assert!(is_problem_content_type("Application/Problem+JSON"));
        assert!(!is_problem_content_type("application/json"));
        assert!(is_json_content_type("application/vnd.api+json"));
        assert!(!is_json_content_type("text/html"));
    }
}
