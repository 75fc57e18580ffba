//! Parsing request bodies into typed inputs, with problem details for every
//! way a body can be wrong (never a panic, never a plain-text rejection).

use axum::http::{header, HeaderMap};
use serde::de::DeserializeOwned;
use serde_json::error::Category;

use crate::problem::Problem;

/// Parses a required JSON body.
pub(crate) fn json<T: DeserializeOwned>(headers: &HeaderMap, body: &[u8]) -> Result<T, Problem> {
    check_content_type(headers)?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Problem::malformed_body(
            "the request body is empty; expected a JSON object",
        ));
    }
    serde_json::from_slice(body).map_err(|err| match err.classify() {
        Category::Data => Problem::validation(format!("invalid request body: {err}")),
        Category::Syntax | Category::Eof | Category::Io => {
            Problem::malformed_body(format!("the request body is not valid JSON: {err}"))
        }
    })
}

/// Parses an optional JSON body: an empty body means `T::default()`.
pub(crate) fn optional_json<T: DeserializeOwned + Default>(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<T, Problem> {
    if body.iter().all(u8::is_ascii_whitespace) {
        Ok(T::default())
    } else {
        json(headers, body)
    }
}

/// Accepts a missing content type, `application/json` and any `+json` type.
fn check_content_type(headers: &HeaderMap) -> Result<(), Problem> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let text = value.to_str().unwrap_or("");
    let essence = text
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence == "application/json" || essence.ends_with("+json") {
        Ok(())
    } else {
        Err(Problem::unsupported_media_type(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderValue, StatusCode};

    #[derive(serde::Deserialize, Default, Debug)]
    struct Input {
        #[allow(dead_code)]
        n: u32,
    }

    #[test]
    fn classifies_errors() {
        let h = HeaderMap::new();
        let syntax = json::<Input>(&h, b"{not json").unwrap_err();
        assert_eq!(syntax.status(), StatusCode::BAD_REQUEST);
        let data = json::<Input>(&h, br#"{"n": "x"}"#).unwrap_err();
        assert_eq!(data.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let missing = json::<Input>(&h, b"{}").unwrap_err();
        assert!(missing.to_json()["detail"]
            .as_str()
            .unwrap()
            .contains("`n`"));
        assert_eq!(
            json::<Input>(&h, b"").unwrap_err().status(),
            StatusCode::BAD_REQUEST
        );
        assert!(optional_json::<Input>(&h, b"").is_ok());
    }

    #[test]
    fn rejects_non_json_content_types() {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        assert_eq!(
            json::<Input>(&h, br#"{"n":1}"#).unwrap_err().status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/merge-patch+json; charset=utf-8"),
        );
        assert!(json::<Input>(&h, br#"{"n":1}"#).is_ok());
    }
}
