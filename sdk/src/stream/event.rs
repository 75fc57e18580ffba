//! [`ServerEvent`]: one event of a `text/event-stream` answer.

use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::error::Error;

/// One event of a server-sent event stream, as the WHATWG HTML standard
/// dispatches it.
///
/// ```
/// use oncely::stream::ServerEvent;
///
/// let event = ServerEvent {
///     id: Some("7".into()),
///     event: "status".into(),
///     data: r#"{"status":"paid"}"#.into(),
///     retry: None,
/// };
/// let status: serde_json::Value = event.json()?;
/// assert_eq!(status["status"], "paid");
/// # Ok::<(), oncely::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerEvent {
    /// The stream's last event id when this event was dispatched: the last
    /// `id` field received, in this event or an earlier one (the standard's
    /// `lastEventId`); `None` while no id was set, or after an empty `id`
    /// reset it.
    pub id: Option<String>,
    /// The event type: the `event` field, `"message"` when the event had none.
    pub event: String,
    /// The `data` fields of the event, joined with `\n`.
    pub data: String,
    /// The reconnection time this event's `retry` field set, if it had one.
    pub retry: Option<Duration>,
}

impl ServerEvent {
    /// Decodes [`data`](Self::data) as JSON into `T`. Bad JSON is an
    /// [`Error::Decode`] naming the event's type and id and where in the
    /// document decoding failed. Empty data decodes as `null`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        Error::decode_json(
            || match &self.id {
                Some(id) => format!("data of event {:?} (id {id:?})", self.event),
                None => format!("data of event {:?} (no id)", self.event),
            },
            self.data.as_bytes(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_json_names_the_event() {
        let event = ServerEvent {
            id: Some("4".into()),
            event: "status".into(),
            data: "{\"status\": ".into(),
            retry: None,
        };
        let e = event.json::<serde_json::Value>().unwrap_err();
        assert!(matches!(e, Error::Decode { .. }), "{e}");
        let text = e.to_string();
        assert!(
            text.contains("\"status\"") && text.contains("\"4\""),
            "{text}"
        );
    }
}
