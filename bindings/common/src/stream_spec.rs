//! [`StreamSpec`]: the options of a streamed call (server-sent events or
//! JSON lines) besides its [`CallSpec`](crate::CallSpec), validated once for
//! both bindings, and opening the stream with them applied.

use oncely::stream::{EventStream, JsonLines, Reconnect};
use oncely::{Error, RequestBuilder};
use serde_json::Value;

use crate::naming::{Binding, Opt, SpecError};

/// How a streamed call is read. Fields left at `None` are not set: the
/// core's defaults apply (reconnect on a cut, 16 MiB per event or line).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamSpec {
    /// Resume an event stream after this event id (`Last-Event-ID`).
    pub last_event_id: Option<String>,
    /// When an event stream reconnects.
    pub reconnect: Option<Reconnect>,
    /// The most bytes one event or line may hold (at least 1).
    pub max_item_bytes: Option<usize>,
}

/// Parses a reconnection rule: `"never"`, `"on_cut"` or `"on_cut_or_end"`.
pub fn reconnect(name: &str) -> Result<Reconnect, SpecError> {
    match name {
        "never" => Ok(Reconnect::Never),
        "on_cut" => Ok(Reconnect::OnCut),
        "on_cut_or_end" => Ok(Reconnect::OnCutOrEnd),
        other => Err(SpecError::new(
            Opt::Reconnect,
            format!("{other:?} is not one of \"never\", \"on_cut\", \"on_cut_or_end\""),
        )),
    }
}

/// Checks a byte limit given as a number (a float in JavaScript, an integer
/// in Python): a whole number of at least 1.
pub fn max_item_bytes(value: f64) -> Result<usize, SpecError> {
    if !(value.is_finite() && value >= 1.0 && value.fract() == 0.0 && value <= usize::MAX as f64) {
        return Err(SpecError::new(
            Opt::MaxItemBytes,
            format!("{value} is not a whole number of bytes of at least 1"),
        ));
    }
    Ok(value as usize)
}

impl StreamSpec {
    /// Sends `b` and reads its `text/event-stream` answer with these settings.
    pub async fn open_events(self, mut b: RequestBuilder) -> Result<EventStream, Error> {
        if let Some(id) = &self.last_event_id {
            b = b.last_event_id(id);
        }
        let mut stream = b.send_events().await?;
        if let Some(rule) = self.reconnect {
            stream = stream.reconnect(rule);
        }
        if let Some(limit) = self.max_item_bytes {
            stream = stream.max_event_bytes(limit);
        }
        Ok(stream)
    }

    /// Sends `b` and reads its JSON lines answer as JSON values with these
    /// settings. An event stream's options (`last_event_id`, `reconnect`)
    /// are refused: a JSON lines answer cannot resume.
    pub async fn open_lines(
        self,
        b: RequestBuilder,
        binding: Binding,
    ) -> Result<JsonLines<Value>, Error> {
        let event_only = if self.last_event_id.is_some() {
            Some(Opt::LastEventId)
        } else if self.reconnect.is_some() {
            Some(Opt::Reconnect)
        } else {
            None
        };
        if let Some(option) = event_only {
            return Err(SpecError::new(
                option,
                "only an event stream resumes or reconnects, not JSON lines",
            )
            .into_error(binding));
        }
        let mut lines = b.send_lines::<Value>().await?;
        if let Some(limit) = self.max_item_bytes {
            lines = lines.max_line_bytes(limit);
        }
        Ok(lines)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reconnect_rules_and_limits_are_checked() {
        assert_eq!(reconnect("on_cut_or_end"), Ok(Reconnect::OnCutOrEnd));
        assert_eq!(reconnect("never"), Ok(Reconnect::Never));
        let e = reconnect("always").unwrap_err();
        assert_eq!(e.option, Opt::Reconnect);
        assert!(e.why.contains("\"always\""), "{}", e.why);
        assert_eq!(max_item_bytes(1024.0), Ok(1024));
        for bad in [0.0, -1.0, 1.5, f64::NAN, f64::INFINITY] {
            assert_eq!(max_item_bytes(bad).unwrap_err().option, Opt::MaxItemBytes);
        }
    }
}
