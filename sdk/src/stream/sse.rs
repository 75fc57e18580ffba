//! The `text/event-stream` parser, as the WHATWG HTML standard
//! ("Server-sent events", §9.2.6 "Interpreting an event stream") defines it:
//!
//! - one leading byte order mark is ignored;
//! - lines end with CR LF, LF or CR (a CR at the end of one chunk and an LF at
//!   the start of the next are one line end);
//! - a line starting with `:` is a comment; a line with a colon is a field
//!   name and a value, one space after the colon stripped; a line without one
//!   is a field name with an empty value;
//! - `event` sets the event type, `data` appends to the data (lines joined
//!   with `\n`), `id` sets the last event id unless the value holds a NUL,
//!   `retry` sets the reconnection time when the value is all ASCII digits;
//!   other fields are ignored;
//! - a blank line dispatches the event (none when its data is empty) and
//!   commits the last event id;
//! - at the end of the stream, an event not closed by a blank line is
//!   discarded.
//!
//! The stream is decoded as UTF-8 with replacement, line by line: line ends
//! are ASCII, which never occurs inside a multi-byte sequence, so this is
//! the standard's decode-then-split. The parser is fed bytes as they arrive,
//! split anywhere, and holds at most one line and one event's data, within a
//! byte limit.

use std::collections::VecDeque;
use std::time::Duration;

use super::event::ServerEvent;
use super::TooLong;

/// UTF-8 byte order mark.
const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// Parses the bytes of one event stream, across reconnections.
#[derive(Debug)]
pub(crate) struct EventParser {
    /// The line being read.
    line: Vec<u8>,
    /// The previous byte was a CR: an LF now ends no second line.
    after_cr: bool,
    /// Still at the start of a connection's stream, where a BOM may be.
    at_start: bool,
    /// The data buffer.
    data: String,
    /// The event type buffer.
    event_type: String,
    /// The last event id buffer (set by `id` fields).
    id_buffer: String,
    /// The last event id, committed when an event is dispatched.
    last_event_id: String,
    /// The reconnection time the server set, if it did.
    retry: Option<Duration>,
    /// The `retry` value received since the last dispatch.
    event_retry: Option<Duration>,
    /// The most bytes one line and one event's data may hold together.
    max_bytes: usize,
}

impl EventParser {
    /// A parser resuming after `last_event_id` (empty: none), holding at most
    /// `max_bytes` of one event.
    pub(crate) fn new(last_event_id: String, max_bytes: usize) -> Self {
        EventParser {
            line: Vec::new(),
            after_cr: false,
            at_start: true,
            data: String::new(),
            event_type: String::new(),
            id_buffer: last_event_id.clone(),
            last_event_id,
            retry: None,
            event_retry: None,
            max_bytes,
        }
    }

    /// Changes the byte limit of one event.
    pub(crate) fn set_max_bytes(&mut self, max_bytes: usize) {
        self.max_bytes = max_bytes;
    }

    /// The last event id (empty: none), as a reconnection sends it.
    pub(crate) fn last_event_id(&self) -> &str {
        &self.last_event_id
    }

    /// The reconnection time the server set with `retry`, if it did.
    pub(crate) fn retry(&self) -> Option<Duration> {
        self.retry
    }

    /// Parses `chunk`, appending every event it completes to `out`.
    pub(crate) fn feed(
        &mut self,
        mut chunk: &[u8],
        out: &mut VecDeque<ServerEvent>,
    ) -> Result<(), TooLong> {
        while self.at_start && !chunk.is_empty() {
            // The first bytes of a stream, while they may still be a BOM, wait
            // in `line`; anything else ends the check and is read as text.
            let matched = self.line.len();
            if chunk[0] == BOM[matched] {
                self.line.push(chunk[0]);
                chunk = &chunk[1..];
                if self.line.len() == BOM.len() {
                    self.line.clear();
                    self.at_start = false;
                }
            } else {
                self.at_start = false;
            }
        }
        while !chunk.is_empty() {
            if std::mem::take(&mut self.after_cr) && chunk[0] == b'\n' {
                chunk = &chunk[1..];
                continue;
            }
            match chunk.iter().position(|&b| b == b'\n' || b == b'\r') {
                Some(end) => {
                    self.extend_line(&chunk[..end])?;
                    self.after_cr = chunk[end] == b'\r';
                    chunk = &chunk[end + 1..];
                    let line = std::mem::take(&mut self.line);
                    self.process(&line, out)?;
                    // Keep the allocation for the next line.
                    self.line = line;
                    self.line.clear();
                }
                None => {
                    self.extend_line(chunk)?;
                    break;
                }
            }
        }
        Ok(())
    }

    /// The end of one connection's stream: the event it did not close with
    /// a blank line is discarded; the last event id and the reconnection
    /// time are kept for the next connection, which starts afresh (a BOM
    /// allowed again).
    pub(crate) fn end_of_stream(&mut self) {
        self.line.clear();
        self.after_cr = false;
        self.at_start = true;
        self.data.clear();
        self.event_type.clear();
        self.event_retry = None;
        self.id_buffer.clone_from(&self.last_event_id);
    }

    fn extend_line(&mut self, bytes: &[u8]) -> Result<(), TooLong> {
        if self.line.len() + bytes.len() + self.data.len() > self.max_bytes {
            return Err(TooLong {
                limit: self.max_bytes,
            });
        }
        self.line.extend_from_slice(bytes);
        Ok(())
    }

    /// One complete line.
    fn process(&mut self, line: &[u8], out: &mut VecDeque<ServerEvent>) -> Result<(), TooLong> {
        if line.is_empty() {
            self.dispatch(out);
            return Ok(());
        }
        if line[0] == b':' {
            return Ok(());
        }
        let (field, value) = match line.iter().position(|&b| b == b':') {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &[][..]),
        };
        match field {
            b"event" => self.event_type = String::from_utf8_lossy(value).into_owned(),
            b"data" => {
                if self.data.len() + value.len() + 1 > self.max_bytes {
                    return Err(TooLong {
                        limit: self.max_bytes,
                    });
                }
                self.data.push_str(&String::from_utf8_lossy(value));
                self.data.push('\n');
            }
            b"id" if !value.contains(&0) => {
                self.id_buffer = String::from_utf8_lossy(value).into_owned();
            }
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                // All digits, so it parses unless it overflows: then it is
                // simply very long.
                let ms = std::str::from_utf8(value)
                    .ok()
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(u64::MAX);
                let retry = Duration::from_millis(ms);
                self.retry = Some(retry);
                self.event_retry = Some(retry);
            }
            _ => {}
        }
        Ok(())
    }

    /// A blank line: commits the last event id, dispatches the event when it
    /// has data, and starts the next one.
    fn dispatch(&mut self, out: &mut VecDeque<ServerEvent>) {
        self.last_event_id.clone_from(&self.id_buffer);
        let retry = self.event_retry.take();
        if self.data.is_empty() {
            self.event_type.clear();
            return;
        }
        if self.data.ends_with('\n') {
            self.data.pop();
        }
        let event = match std::mem::take(&mut self.event_type) {
            t if t.is_empty() => "message".to_string(),
            t => t,
        };
        out.push_back(ServerEvent {
            id: (!self.last_event_id.is_empty()).then(|| self.last_event_id.clone()),
            event,
            data: std::mem::take(&mut self.data),
            retry,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse_chunks(chunks: &[&[u8]]) -> Vec<ServerEvent> {
        let mut parser = EventParser::new(String::new(), 1 << 20);
        let mut out = VecDeque::new();
        for chunk in chunks {
            parser.feed(chunk, &mut out).unwrap();
        }
        parser.end_of_stream();
        out.into()
    }

    fn parse(bytes: &[u8]) -> Vec<ServerEvent> {
        parse_chunks(&[bytes])
    }

    fn event(id: Option<&str>, event: &str, data: &str) -> ServerEvent {
        ServerEvent {
            id: id.map(str::to_string),
            event: event.into(),
            data: data.into(),
            retry: None,
        }
    }

    #[test]
    fn fields_make_events_at_blank_lines() {
        let events = parse(b"id: 1\nevent: status\ndata: {\"a\":1}\n\ndata: plain\n\n");
        assert_eq!(
            events,
            [
                event(Some("1"), "status", "{\"a\":1}"),
                // The id persists; the type does not.
                event(Some("1"), "message", "plain"),
            ]
        );
    }

    #[test]
    fn every_line_end_counts_and_crlf_is_one() {
        for bytes in [
            &b"data: a\r\ndata: b\r\n\r\n"[..],
            b"data: a\rdata: b\r\r",
            b"data: a\ndata: b\n\n",
            b"data: a\r\ndata: b\r\r\n",
        ] {
            assert_eq!(
                parse(bytes),
                [event(None, "message", "a\nb")],
                "{:?}",
                String::from_utf8_lossy(bytes)
            );
        }
        // CR then LF is one line end even across chunks; CR CR is two.
        assert_eq!(
            parse_chunks(&[b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n"]),
            [event(None, "message", "a\nb")]
        );
    }

    #[test]
    fn one_leading_bom_is_ignored() {
        assert_eq!(
            parse(b"\xEF\xBB\xBFdata: x\n\n"),
            [event(None, "message", "x")]
        );
        assert_eq!(
            parse_chunks(&[b"\xEF", b"\xBB", b"\xBFdata: x\n\n"]),
            [event(None, "message", "x")]
        );
        // A second BOM is part of the first line: the field is not "data".
        assert_eq!(parse(b"\xEF\xBB\xBF\xEF\xBB\xBFdata: x\n\n"), []);
        // A BOM's first bytes and then something else are text.
        let events = parse(b"\xEF\xBBdata: x\n\ndata: y\n\n");
        assert_eq!(events, [event(None, "message", "y")]);
    }

    #[test]
    fn comments_unknown_fields_and_colons() {
        let events =
            parse(b": hello\nfoo: bar\ndata:no space\ndata:  two spaces\ndata\ndata: a:b\n\n");
        assert_eq!(
            events,
            [event(None, "message", "no space\n two spaces\n\na:b")]
        );
    }

    #[test]
    fn empty_data_dispatches_nothing_but_commits_the_id() {
        let mut parser = EventParser::new(String::new(), 1024);
        let mut out = VecDeque::new();
        parser.feed(b"id: 9\nevent: x\n\n", &mut out).unwrap();
        assert!(out.is_empty());
        assert_eq!(parser.last_event_id(), "9");
        // The type was reset with the data.
        parser.feed(b"data\n\n", &mut out).unwrap();
        assert_eq!(Vec::from(out), [event(Some("9"), "message", "")]);
    }

    #[test]
    fn id_with_nul_is_ignored_and_empty_id_resets() {
        let events = parse(b"id: 1\ndata: a\n\nid: 2\0x\ndata: b\n\nid\ndata: c\n\n");
        assert_eq!(
            events,
            [
                event(Some("1"), "message", "a"),
                event(Some("1"), "message", "b"),
                event(None, "message", "c"),
            ]
        );
    }

    #[test]
    fn retry_takes_digits_only() {
        let mut parser = EventParser::new(String::new(), 1024);
        let mut out = VecDeque::new();
        parser
            .feed(
                b"retry: 1500\ndata: a\n\nretry: 2s\nretry: -1\nretry:\nretry: 1 0\ndata: b\n\n",
                &mut out,
            )
            .unwrap();
        let events = Vec::from(out);
        assert_eq!(events[0].retry, Some(Duration::from_millis(1500)));
        assert_eq!(events[1].retry, None);
        assert_eq!(parser.retry(), Some(Duration::from_millis(1500)));
        parser
            .feed(b"retry: 99999999999999999999999\n\n", &mut VecDeque::new())
            .unwrap();
        assert_eq!(parser.retry(), Some(Duration::from_millis(u64::MAX)));
    }

    #[test]
    fn an_unfinished_event_is_discarded_at_the_end() {
        let mut parser = EventParser::new(String::new(), 1024);
        let mut out = VecDeque::new();
        parser
            .feed(b"id: 1\ndata: a\n\nid: 2\ndata: b\n", &mut out)
            .unwrap();
        parser.end_of_stream();
        assert_eq!(Vec::from(out.clone()), [event(Some("1"), "message", "a")]);
        // The uncommitted id is dropped with it; the next connection resumes
        // after the last dispatched event.
        assert_eq!(parser.last_event_id(), "1");
        out.clear();
        parser.feed(b"data: c\n\n", &mut out).unwrap();
        assert_eq!(Vec::from(out), [event(Some("1"), "message", "c")]);
        // An unterminated last line is discarded too.
        assert_eq!(parse(b"data: a\n\ndata: b"), [event(None, "message", "a")]);
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        assert_eq!(
            parse(b"data: a\xFFb\n\n"),
            [event(None, "message", "a\u{FFFD}b")]
        );
    }

    #[test]
    fn an_event_longer_than_the_limit_is_refused() {
        let mut parser = EventParser::new(String::new(), 16);
        let mut out = VecDeque::new();
        assert!(parser.feed(b"data: 0123456789\n", &mut out).is_ok());
        // The data so far and the next line together pass the limit.
        assert_eq!(
            parser.feed(b"data: 0123", &mut out),
            Err(TooLong { limit: 16 })
        );
        let mut parser = EventParser::new(String::new(), 16);
        assert!(parser.feed(&[b'x'; 17], &mut out).is_err());
    }

    fn sample_stream() -> impl Strategy<Value = Vec<u8>> {
        let line = prop_oneof![
            Just(b"data: x".to_vec()),
            Just(b"data:y".to_vec()),
            Just(b"data".to_vec()),
            Just(b"id: 3".to_vec()),
            Just(b"id".to_vec()),
            Just(b"event: e".to_vec()),
            Just(b"retry: 10".to_vec()),
            Just(b": comment".to_vec()),
            Just(b"\xEF\xBB\xBF".to_vec()),
            Just(Vec::new()),
            proptest::collection::vec(any::<u8>(), 0..6),
        ];
        let end = prop_oneof![
            Just(b"\n".to_vec()),
            Just(b"\r".to_vec()),
            Just(b"\r\n".to_vec())
        ];
        proptest::collection::vec((line, end), 0..24).prop_map(|lines| {
            let mut bytes = b"\xEF\xBB\xBF".to_vec();
            for (line, end) in lines {
                bytes.extend(line);
                bytes.extend(end);
            }
            bytes
        })
    }

    proptest! {
        #[test]
        fn any_split_gives_the_same_events(
            bytes in sample_stream(),
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..8),
        ) {
            let whole = parse(&bytes);
            let mut at: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
            at.sort_unstable();
            let mut chunks = Vec::new();
            let mut from = 0;
            for cut in at {
                chunks.push(&bytes[from..cut]);
                from = cut;
            }
            chunks.push(&bytes[from..]);
            prop_assert_eq!(parse_chunks(&chunks), whole.clone());
            // Byte by byte, too.
            let singles: Vec<&[u8]> = bytes.chunks(1).collect();
            prop_assert_eq!(parse_chunks(&singles), whole);
        }
    }
}
