//! The webhooks the API sends, decoded into one typed event.
//!
//! Verify a delivery's signature first (`oncely::webhook`), then
//! `WebhookEvent::decode(body)`; record the event id to process it once.

/// A webhook delivery, decoded.
#[derive(Debug, Clone)]
pub enum WebhookEvent {
    /// `thingChanged` (POST request).
    ///
    /// A thing was updated or deleted
    ThingChanged(crate::models::ThingEvent),
    /// `thingCreated` (POST request).
    ThingCreated(crate::models::Thing),
}

impl WebhookEvent {
    /// The webhook's name in the API document.
    pub fn name(&self) -> &'static str {
        match self {
            Self::ThingChanged(_) => "thingChanged",
            Self::ThingCreated(_) => "thingCreated",
        }
    }

    /// Verifies a delivery with `verifier` (`oncely::webhook::StandardWebhooks`,
    /// `StripeWebhooks`) and decodes it: the event's id (the same on every
    /// delivery: record it, with `oncely::webhook::WebhookInbox` or
    /// `claim_event`, to process the event once) and the typed event. A body
    /// that does not decode is `WebhookError::MalformedBody`.
    pub fn handle(
        verifier: &dyn ::oncely::webhook::Verifier,
        headers: &dyn ::oncely::webhook::WebhookHeaders,
        body: &[u8],
    ) -> ::std::result::Result<(::oncely::webhook::VerifiedWebhook, Self), ::oncely::webhook::WebhookError> {
        let verified = verifier.verify(headers, body)?;
        let event = Self::decode(body).map_err(|e| ::oncely::webhook::WebhookError::MalformedBody {
            reason: e.to_string(),
        })?;
        ::std::result::Result::Ok((verified, event))
    }

    /// Decodes the raw body of a delivery: the webhook is chosen by the
    /// payload field that names the event, and the payload decoded as its
    /// type. A body that is not JSON, names no known event or does not fit
    /// is `oncely::Error::Decode`, naming where.
    pub fn decode(body: &[u8]) -> ::std::result::Result<Self, ::oncely::Error> {
        let value: ::serde_json::Value = ::oncely::Error::decode_json(|| "webhook body".into(), body)?;
        let field = |name: &str| value.get(name).and_then(::serde_json::Value::as_str);
        if field("type") == Some("thingChanged") {
            return ::std::result::Result::Ok(Self::ThingChanged(::oncely::Error::decode_json(|| "webhook `thingChanged`".into(), body)?));
        }
        if field("type") == Some("thingCreated") {
            return ::std::result::Result::Ok(Self::ThingCreated(::oncely::Error::decode_json(|| "webhook `thingCreated`".into(), body)?));
        }
        if matches!(field("type"), Some("thing.updated") | Some("thing.deleted")) {
            return ::std::result::Result::Ok(Self::ThingChanged(::oncely::Error::decode_json(|| "webhook `thingChanged`".into(), body)?));
        }
        let named = ["type"].iter().find_map(|f| field(f).map(|v| format!("{f} = {v:?}")));
        ::std::result::Result::Err(::oncely::Error::Decode {
            what: "webhook body".into(),
            path: ".".into(),
            message: match named {
                Some(n) => format!("no webhook of the API has {n}"),
                None => "the payload names no event".into(),
            },
            snippet: ::std::string::String::from_utf8_lossy(&body[..body.len().min(80)]).into_owned(),
        })
    }
}
