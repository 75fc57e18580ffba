//! The splitter of JSON streams into one JSON text per item:
//!
//! - **JSON Lines / NDJSON** (`application/x-ndjson`, `application/jsonl`,
//!   `application/json-lines`): one JSON text per line, lines ending with LF
//!   (a CR before it is JSON whitespace). Blank lines are skipped but counted,
//!   so an error names the line as an editor numbers it. A last line without
//!   an LF is an item when the stream ends cleanly: the answer's framing
//!   (`Content-Length` or chunked encoding) says the server sent all of it. A
//!   stream cut mid-line is a transport error, never a truncated item.
//! - **JSON text sequences** (RFC 7464, `application/json-seq`): each record
//!   starts with RS (`0x1E`) and ends with LF. A record without its LF may be
//!   truncated (`12` of `123`), so it is refused, as the RFC advises.
//!
//! Items are handed over as bytes, with their number; decoding is the
//! reader's.

use std::collections::VecDeque;

use super::TooLong;

/// The record separator of RFC 7464.
const RS: u8 = 0x1E;

/// How items are delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// One item per line.
    Lines,
    /// RS-prefixed, LF-terminated records (RFC 7464).
    Sequence,
}

impl Framing {
    /// What one item is called in errors: `line` or `record`.
    pub(crate) fn item(self) -> &'static str {
        match self {
            Framing::Lines => "line",
            Framing::Sequence => "record",
        }
    }
}

/// One item: its 1-based number and its bytes, or a record that broke the
/// framing.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Item {
    /// A JSON text to decode.
    Json {
        /// The line (or record) number, from 1.
        number: u64,
        /// The bytes of the JSON text.
        bytes: Vec<u8>,
    },
    /// A record that is not one JSON text per the framing.
    Malformed {
        /// The record number, from 1.
        number: u64,
        /// What is wrong with it.
        why: &'static str,
    },
}

/// Splits a byte stream into items.
#[derive(Debug)]
pub(crate) struct LineSplitter {
    framing: Framing,
    /// The item being read.
    current: Vec<u8>,
    /// Items started so far (the current one included, once it has begun).
    count: u64,
    /// A sequence's bytes before its first RS.
    before_first_record: bool,
    max_bytes: usize,
}

impl LineSplitter {
    /// A splitter for `framing`, holding at most `max_bytes` of one item.
    pub(crate) fn new(framing: Framing, max_bytes: usize) -> Self {
        LineSplitter {
            framing,
            current: Vec::new(),
            count: 0,
            before_first_record: true,
            max_bytes,
        }
    }

    /// Changes the byte limit of one item.
    pub(crate) fn set_max_bytes(&mut self, max_bytes: usize) {
        self.max_bytes = max_bytes;
    }

    /// What one item is called in errors: `line` or `record`.
    pub(crate) fn framing_item(&self) -> &'static str {
        self.framing.item()
    }

    /// The number of the item being read.
    pub(crate) fn position(&self) -> u64 {
        match self.framing {
            Framing::Lines => self.count + 1,
            Framing::Sequence => self.count.max(1),
        }
    }

    /// Splits `chunk`, appending every item it completes to `out`.
    pub(crate) fn feed(
        &mut self,
        mut chunk: &[u8],
        out: &mut VecDeque<Item>,
    ) -> Result<(), TooLong> {
        let delimiter = match self.framing {
            Framing::Lines => b'\n',
            Framing::Sequence => RS,
        };
        while !chunk.is_empty() {
            match chunk.iter().position(|&b| b == delimiter) {
                Some(end) => {
                    self.extend(&chunk[..end])?;
                    chunk = &chunk[end + 1..];
                    match self.framing {
                        Framing::Lines => {
                            self.count += 1;
                            self.emit(out);
                        }
                        Framing::Sequence => {
                            // An RS ends the record before it and starts one.
                            if std::mem::take(&mut self.before_first_record) {
                                self.current.clear();
                            } else {
                                self.emit_record(out);
                            }
                            self.count += 1;
                        }
                    }
                }
                None => {
                    self.extend(chunk)?;
                    break;
                }
            }
        }
        Ok(())
    }

    /// The clean end of the stream: the last item, if one is pending.
    pub(crate) fn finish(&mut self, out: &mut VecDeque<Item>) {
        match self.framing {
            Framing::Lines => {
                if !self.current.iter().all(u8::is_ascii_whitespace) {
                    self.count += 1;
                }
                self.emit(out);
            }
            Framing::Sequence if !self.before_first_record => self.emit_record(out),
            Framing::Sequence => self.current.clear(),
        }
    }

    fn extend(&mut self, bytes: &[u8]) -> Result<(), TooLong> {
        if self.current.len() + bytes.len() > self.max_bytes {
            return Err(TooLong {
                limit: self.max_bytes,
            });
        }
        self.current.extend_from_slice(bytes);
        Ok(())
    }

    /// Hands over the current line unless it is blank.
    fn emit(&mut self, out: &mut VecDeque<Item>) {
        let bytes = std::mem::take(&mut self.current);
        if !bytes.iter().all(u8::is_ascii_whitespace) {
            out.push_back(Item::Json {
                number: self.count,
                bytes,
            });
        }
    }

    /// Hands over the current record: empty ones are skipped (RFC 7464 §2.4),
    /// one without its final LF is malformed.
    fn emit_record(&mut self, out: &mut VecDeque<Item>) {
        let bytes = std::mem::take(&mut self.current);
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        out.push_back(if bytes.ends_with(b"\n") {
            Item::Json {
                number: self.count,
                bytes,
            }
        } else {
            Item::Malformed {
                number: self.count,
                why: "it does not end with a line feed, so it may be truncated",
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn split(framing: Framing, chunks: &[&[u8]]) -> Vec<Item> {
        let mut splitter = LineSplitter::new(framing, 1 << 20);
        let mut out = VecDeque::new();
        for chunk in chunks {
            splitter.feed(chunk, &mut out).unwrap();
        }
        splitter.finish(&mut out);
        out.into()
    }

    fn json(number: u64, text: &str) -> Item {
        Item::Json {
            number,
            bytes: text.as_bytes().to_vec(),
        }
    }

    #[test]
    fn lines_are_numbered_and_blank_ones_skipped() {
        assert_eq!(
            split(
                Framing::Lines,
                &[b"{\"a\":1}\n\n  \r\n{\"a\":", b"2}\r\n[3]"]
            ),
            [json(1, "{\"a\":1}"), json(4, "{\"a\":2}\r"), json(5, "[3]")]
        );
        assert_eq!(split(Framing::Lines, &[b"1\n\n"]), [json(1, "1")]);
        assert_eq!(split(Framing::Lines, &[b""]), []);
    }

    #[test]
    fn sequences_split_on_rs_and_need_their_lf() {
        assert_eq!(
            split(
                Framing::Sequence,
                &[b"\x1e{\"a\":1}\n\x1e\x1e", b"2\n\x1e12"]
            ),
            [
                json(1, "{\"a\":1}\n"),
                json(3, "2\n"),
                Item::Malformed {
                    number: 4,
                    why: "it does not end with a line feed, so it may be truncated"
                },
            ]
        );
    }

    #[test]
    fn an_item_longer_than_the_limit_is_refused() {
        let mut splitter = LineSplitter::new(Framing::Lines, 4);
        let mut out = VecDeque::new();
        assert!(splitter.feed(b"1234\n", &mut out).is_ok());
        assert_eq!(
            splitter
                .feed(b"123", &mut out)
                .and_then(|()| splitter.feed(b"45", &mut out)),
            Err(TooLong { limit: 4 })
        );
        assert_eq!(splitter.position(), 2);
    }

    proptest! {
        #[test]
        fn any_split_gives_the_same_items(
            bytes in proptest::collection::vec(prop_oneof![Just(b'\n'), Just(b'\x1e'), Just(b'1'), Just(b' ')], 0..64),
            cut in any::<prop::sample::Index>(),
        ) {
            for framing in [Framing::Lines, Framing::Sequence] {
                let at = cut.index(bytes.len() + 1);
                prop_assert_eq!(
                    split(framing, &[&bytes[..at], &bytes[at..]]),
                    split(framing, &[&bytes])
                );
            }
        }
    }
}
