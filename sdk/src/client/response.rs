use bytes::Bytes;
use http::HeaderMap;
use serde::de::DeserializeOwned;
use url::Url;

use crate::error::{snippet, Error};
use crate::problem::is_json_content_type;

/// A successful (2xx) answer, read completely.
#[derive(Debug, Clone)]
pub struct Response {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    pub(crate) url: Url,
    pub(crate) method: http::Method,
    pub(crate) attempts: u32,
    pub(crate) from_store: bool,
    pub(crate) idempotency_key: Option<String>,
}

impl Response {
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// One header as text, if present and valid UTF-8.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The raw body.
    pub fn bytes(&self) -> &Bytes {
        &self.body
    }

    /// The body as UTF-8 text.
    pub fn text(&self) -> Result<String, Error> {
        String::from_utf8(self.body.to_vec()).map_err(|e| Error::Decode {
            what: format!("response body of {}", self.url.path()),
            path: ".".into(),
            message: format!("not UTF-8 text: {e}"),
            snippet: snippet(&self.body),
        })
    }

    /// Decodes the JSON body into `T`. An empty body decodes as `null`. A body
    /// whose `Content-Type` says it is not JSON is a [`Error::Decode`] naming the
    /// media type, rather than a confusing syntax error.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        let what = || format!("response body of {}", self.url.path());
        if let Some(ct) = self.header("content-type") {
            if !self.body.is_empty() && !is_json_content_type(ct) {
                return Err(Error::Decode {
                    what: what(),
                    path: ".".into(),
                    message: format!("expected JSON, but Content-Type is {ct:?}"),
                    snippet: snippet(&self.body),
                });
            }
        }
        Error::decode_json(what, &self.body)
    }

    /// The `ETag` header, for a later conditional update.
    pub fn etag(&self) -> Option<&str> {
        self.header("etag")
    }

    /// The method of the request.
    pub fn method(&self) -> &http::Method {
        &self.method
    }

    /// The final URL of the request.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// How many attempts the call took (0 when answered from the store).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// True when the local store held the answer and nothing was sent.
    pub fn from_store(&self) -> bool {
        self.from_store
    }

    /// True when the server said it replayed a stored answer
    /// (`Idempotent-Replayed: true`).
    pub fn replayed(&self) -> bool {
        self.header("idempotent-replayed")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }

    /// The idempotency key the call was sent with, if any.
    pub fn idempotency_key(&self) -> Option<&str> {
        self.idempotency_key.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(content_type: Option<&str>, body: &'static [u8]) -> Response {
        let mut headers = HeaderMap::new();
        if let Some(ct) = content_type {
            headers.insert("content-type", ct.parse().unwrap());
        }
        Response {
            status: 200,
            headers,
            body: Bytes::from_static(body),
            url: Url::parse("http://x/orders/1").unwrap(),
            method: http::Method::GET,
            attempts: 1,
            from_store: false,
            idempotency_key: None,
        }
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Order {
        id: String,
        items: Vec<Item>,
    }
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Item {
        quantity: u32,
    }

    #[test]
    fn decode_errors_carry_the_serde_path_and_snippet() {
        let r = response(
            Some("application/json"),
            br#"{"id":"o1","items":[{"quantity":1},{"quantity":"two"}]}"#,
        );
        match r.json::<Order>().unwrap_err() {
            Error::Decode {
                path,
                snippet,
                what,
                ..
            } => {
                assert_eq!(path, "items[1].quantity");
                assert!(snippet.starts_with("{\"id\""));
                assert!(what.contains("/orders/1"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_server_lying_about_content_type_is_named() {
        let e = response(Some("text/html"), b"<html>")
            .json::<serde_json::Value>()
            .unwrap_err();
        assert!(e.to_string().contains("text/html"), "{e}");
        let e = response(Some("application/json"), b"<html>")
            .json::<serde_json::Value>()
            .unwrap_err();
        assert!(matches!(e, Error::Decode { .. }), "{e}");
    }

    #[test]
    fn empty_body_is_null() {
        assert_eq!(response(None, b"").json::<Option<u8>>().unwrap(), None);
        response(Some("application/json"), b"  ")
            .json::<()>()
            .unwrap();
    }
}
