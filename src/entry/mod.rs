//! The log entry envelope of SPEC section 4: typed, versioned text header
//! lines, a blank line, then a body.
//!
//! ```text
//! scrutineer/entry/v1
//! type <entry type>
//! time <RFC 3339 UTC, exactly 6 fractional digits>
//! <name> <value>            (zero or more type-specific header lines)
//!
//! <body, possibly empty>
//! ```
//!
//! Parsing is strict and canonical: an envelope parses only if encoding it
//! again gives the same bytes, so that two different byte strings can never
//! be read as the same fact. The byte-exact format of each entry type is in
//! `docs/formats.md`; [`codec`] reads and writes the typed header lines
//! of every registry and ballot entry type.

pub mod codec;

use std::fmt;

use crate::contexts::ENTRY_HEADER;
use crate::time::Timestamp;
use crate::tlog::tile::MAX_ENTRY_LEN;

/// The longest entry type or header name accepted.
const MAX_NAME_LEN: usize = 32;

/// Why bytes are not an entry envelope.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    /// Larger than a tlog-tiles entry bundle can hold.
    #[error("the entry is {0} bytes, more than the {MAX_ENTRY_LEN}-byte limit of an entry")]
    TooLarge(usize),
    /// The header part is not UTF-8.
    #[error("the entry's header lines are not UTF-8")]
    NotUtf8,
    /// The first line is not `scrutineer/entry/v1`.
    #[error("the first line must be {ENTRY_HEADER:?}")]
    Version,
    /// The `type` line is missing or malformed.
    #[error("the second line must be \"type <name>\" (lowercase letters, digits, '-')")]
    Type,
    /// The `time` line is missing or not canonical.
    #[error("the third line must be \"time <RFC 3339 UTC with 6 fractional digits>\"")]
    Time,
    /// A header line is not `<name> <value>` in canonical form.
    #[error("header line {line}: {reason}")]
    Header {
        /// The 1-based line number.
        line: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// The header lines are not followed by a blank line.
    #[error("the header lines must end with a blank line")]
    NoBlankLine,
}

/// A name: an entry type or a header name. Lowercase ASCII letters, digits
/// and `-`, starting with a letter, at most 32 bytes.
fn is_name(text: &str) -> bool {
    let bytes = text.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= MAX_NAME_LEN
        && bytes[0].is_ascii_lowercase()
        && bytes
            .iter()
            .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A header value: non-empty UTF-8 without control characters, and without
/// leading or trailing spaces (which would make two encodings of one value).
fn is_value(text: &str) -> bool {
    !text.is_empty()
        && !text.starts_with(' ')
        && !text.ends_with(' ')
        && !text.chars().any(char::is_control)
}

/// One parsed (or to be encoded) log entry.
#[derive(Clone, PartialEq, Eq)]
pub struct Entry {
    /// The entry type, e.g. `vote` or `organisation`.
    kind: String,
    /// The server's receive time, at microsecond precision.
    time: Timestamp,
    /// The type-specific header lines, in order.
    headers: Vec<(String, String)>,
    /// The body, possibly empty.
    body: Vec<u8>,
}

impl Entry {
    /// Starts an entry of type `kind` received at `time`. The time is kept
    /// at microsecond precision (the envelope's), rounded towards the past.
    ///
    /// # Panics
    ///
    /// Panics if `kind` is not a valid name: entry types are constants of
    /// this crate, so an invalid one is a programming error.
    pub fn new(kind: &str, time: Timestamp) -> Self {
        assert!(is_name(kind), "invalid entry type {kind:?}");
        let time = time.floor_micros();
        Self {
            kind: kind.to_owned(),
            time,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Adds a header line. Names are constants of this crate; values come
    /// from validated domain types (ids, times, hashes, enumerations).
    ///
    /// # Panics
    ///
    /// Panics on an invalid name or value: every caller passes values whose
    /// types already exclude newlines and control characters.
    pub fn header(mut self, name: &str, value: impl fmt::Display) -> Self {
        let value = value.to_string();
        assert!(is_name(name), "invalid header name {name:?}");
        assert!(is_value(&value), "invalid header value {value:?}");
        self.headers.push((name.to_owned(), value));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: Vec<u8>) -> Self {
        self.body = body;
        self
    }

    /// The entry type.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The receive time.
    pub fn time(&self) -> Timestamp {
        self.time
    }

    /// The header lines, in order.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The value of the first header named `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body bytes.
    pub fn body_bytes(&self) -> &[u8] {
        &self.body
    }

    /// The exact bytes of the entry, as logged and hashed.
    pub fn encode(&self) -> Result<Vec<u8>, EntryError> {
        let mut out = Vec::with_capacity(96 + self.body.len());
        out.extend_from_slice(ENTRY_HEADER.as_bytes());
        out.push(b'\n');
        let fixed = [
            ("type".to_owned(), self.kind.clone()),
            ("time".to_owned(), self.time.to_rfc3339_micros()),
        ];
        for (name, value) in fixed.iter().chain(&self.headers) {
            out.extend_from_slice(name.as_bytes());
            out.push(b' ');
            out.extend_from_slice(value.as_bytes());
            out.push(b'\n');
        }
        out.push(b'\n');
        out.extend_from_slice(&self.body);
        if out.len() > MAX_ENTRY_LEN {
            return Err(EntryError::TooLarge(out.len()));
        }
        Ok(out)
    }

    /// Parses the exact bytes of an entry, refusing anything that would not
    /// encode back to the same bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, EntryError> {
        if bytes.len() > MAX_ENTRY_LEN {
            return Err(EntryError::TooLarge(bytes.len()));
        }
        // The header part ends at the first empty line; the body is opaque.
        let split = find_blank_line(bytes).ok_or(EntryError::NoBlankLine)?;
        let head = std::str::from_utf8(&bytes[..split]).map_err(|_| EntryError::NotUtf8)?;
        let body = bytes[split + 1..].to_vec();
        let mut lines = head.split_terminator('\n');
        if lines.next() != Some(ENTRY_HEADER) {
            return Err(EntryError::Version);
        }
        let kind = lines
            .next()
            .and_then(|l| l.strip_prefix("type "))
            .filter(|k| is_name(k))
            .ok_or(EntryError::Type)?;
        let time_text = lines
            .next()
            .and_then(|l| l.strip_prefix("time "))
            .ok_or(EntryError::Time)?;
        let time = Timestamp::parse(time_text).map_err(|_| EntryError::Time)?;
        if time.to_rfc3339_micros() != time_text {
            return Err(EntryError::Time);
        }
        let mut headers = Vec::new();
        for (i, line) in lines.enumerate() {
            let bad = |reason| EntryError::Header {
                line: i + 4,
                reason,
            };
            let (name, value) = line
                .split_once(' ')
                .ok_or(bad("expected \"<name> <value>\""))?;
            if !is_name(name) {
                return Err(bad("the name must be lowercase letters, digits and '-'"));
            }
            if !is_value(value) {
                return Err(bad(
                    "the value must be non-empty, without control characters or outer spaces",
                ));
            }
            headers.push((name.to_owned(), value.to_owned()));
        }
        Ok(Self {
            kind: kind.to_owned(),
            time,
            headers,
            body,
        })
    }
}

/// The offset of the `\n` that ends the header part: the second of the
/// first `\n\n`.
fn find_blank_line(bytes: &[u8]) -> Option<usize> {
    bytes.windows(2).position(|w| w == b"\n\n").map(|i| i + 1)
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry")
            .field("kind", &self.kind)
            .field("time", &self.time.to_rfc3339_micros())
            .field("headers", &self.headers)
            .field("body_len", &self.body.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str) -> Timestamp {
        Timestamp::parse(text).expect("test timestamp")
    }

    #[test]
    fn a_vote_entry_has_the_exact_bytes_of_spec_section_4() {
        let entry = Entry::new("vote", t("2021-08-05T10:00:00Z"))
            .header("ballot", "GS-ETI-003-approval")
            .header(
                "note",
                "sha256:65218b5aadccf3cb185c80898da7537c1cf02dbe715b82b140d720856f77e9b5",
            );
        let bytes = entry.encode().expect("small entry");
        assert_eq!(
            String::from_utf8(bytes.clone()).expect("UTF-8"),
            "scrutineer/entry/v1\ntype vote\ntime 2021-08-05T10:00:00.000000Z\n\
             ballot GS-ETI-003-approval\n\
             note sha256:65218b5aadccf3cb185c80898da7537c1cf02dbe715b82b140d720856f77e9b5\n\n"
        );
        assert_eq!(Entry::parse(&bytes), Ok(entry));
    }

    #[test]
    fn bodies_round_trip_and_may_contain_blank_lines() {
        let entry = Entry::new("roll", t("2026-11-22T12:00:00.123456Z"))
            .header("ballot", "B1")
            .body(b"{\"a\":1}\n\n\nmore".to_vec());
        let bytes = entry.encode().expect("small");
        assert_eq!(Entry::parse(&bytes), Ok(entry));
    }

    #[test]
    fn time_is_kept_at_microseconds_rounded_down() {
        let entry = Entry::new("x", t("2026-11-22T12:00:00.1234569Z"));
        assert_eq!(entry.time(), t("2026-11-22T12:00:00.123456Z"));
    }

    #[test]
    fn non_canonical_envelopes_are_refused() {
        let good = "scrutineer/entry/v1\ntype vote\ntime 2021-08-05T10:00:00.000000Z\nballot B\n\n";
        assert!(Entry::parse(good.as_bytes()).is_ok());
        let cases: &[(&str, EntryError)] = &[
            (
                "scrutineer/entry/v2\ntype vote\ntime 2021-08-05T10:00:00.000000Z\n\n",
                EntryError::Version,
            ),
            (
                "scrutineer/entry/v1\ntype Vote\ntime 2021-08-05T10:00:00.000000Z\n\n",
                EntryError::Type,
            ),
            (
                "scrutineer/entry/v1\ntype vote\ntime 2021-08-05T10:00:00Z\n\n",
                EntryError::Time,
            ),
            (
                "scrutineer/entry/v1\ntype vote\ntime 2021-08-05T10:00:00.0000000Z\n\n",
                EntryError::Time,
            ),
            (
                "scrutineer/entry/v1\ntype vote\ntime 2021-08-05T10:00:00.000000Z\nballot  B\n\n",
                EntryError::Header {
                    line: 4,
                    reason: "the value must be non-empty, without control characters or outer spaces",
                },
            ),
            (
                "scrutineer/entry/v1\ntype vote\ntime 2021-08-05T10:00:00.000000Z\nballot B\r\n\n",
                EntryError::Header {
                    line: 4,
                    reason: "the value must be non-empty, without control characters or outer spaces",
                },
            ),
            (
                "scrutineer/entry/v1\ntype vote\ntime 2021-08-05T10:00:00.000000Z\nBallot B\n\n",
                EntryError::Header {
                    line: 4,
                    reason: "the name must be lowercase letters, digits and '-'",
                },
            ),
            (
                "scrutineer/entry/v1\ntype vote\ntime 2021-08-05T10:00:00.000000Z\nballot\n\n",
                EntryError::Header {
                    line: 4,
                    reason: "expected \"<name> <value>\"",
                },
            ),
            (
                "scrutineer/entry/v1\ntype vote\ntime 2021-08-05T10:00:00.000000Z\n",
                EntryError::NoBlankLine,
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(
                Entry::parse(text.as_bytes()).as_ref(),
                Err(expected),
                "{text:?}"
            );
        }
    }

    #[test]
    fn oversized_entries_are_refused_both_ways() {
        let entry = Entry::new("x", t("2026-01-01T00:00:00Z")).body(vec![b'a'; MAX_ENTRY_LEN]);
        assert!(matches!(entry.encode(), Err(EntryError::TooLarge(_))));
        assert!(matches!(
            Entry::parse(&vec![b'a'; MAX_ENTRY_LEN + 1]),
            Err(EntryError::TooLarge(_))
        ));
    }
}
