//! The typed header lines of every registry and ballot entry: a fixed
//! schema of header names in a fixed order, and canonical value syntaxes.
//!
//! Canonical means that exactly one byte string encodes a given fact: the
//! header order is fixed, optional headers are omitted rather than written
//! empty, booleans are `true`/`false`, integers have no leading zeros,
//! times have exactly six fractional digits and hashes are `sha256:` and 64
//! lowercase hexadecimal digits. [`crate::entry::Entry::parse`] already
//! refuses non-canonical envelopes; this module does the same for the
//! header values, so that `from_entry` followed by `to_entry` gives back
//! the same bytes (`docs/formats.md`, "Registry entries" and section 7).
//!
//! Registry entries carry every fact in their headers, each at most once
//! ([`Headers::without_body`]); a ballot entry may repeat a header
//! (`recipient`) and carry a body ([`Headers::new`] with [`Times`]).

use std::str::FromStr;

use crate::entry::Entry;
use crate::id::IdError;
use crate::note::key::KeyError;
use crate::time::Timestamp;
use crate::tlog::Hash;

/// Why an entry of a registry or ballot type does not follow its format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// A registry entry must have an empty body: every fact is in its
    /// header lines.
    #[error("a {kind} entry must have an empty body")]
    Body {
        /// The entry type.
        kind: &'static str,
    },
    /// A required header is absent.
    #[error("the header {0:?} is missing")]
    Missing(&'static str),
    /// A header this entry type does not have.
    #[error("the header {0:?} is not a header of this entry type")]
    Unknown(String),
    /// A header given twice.
    #[error("the header {0:?} is given twice")]
    Duplicate(String),
    /// The headers are not in the documented order.
    #[error("the header {0:?} is out of order (see docs/formats.md for the order)")]
    OutOfOrder(String),
    /// Two headers of which at most one may be given.
    #[error("the headers {0:?} and {1:?} exclude each other; give exactly one")]
    Exclusive(&'static str, &'static str),
    /// A header value outside its syntax, or not in canonical form.
    #[error("header {header}: {value:?} is not {expected}")]
    BadValue {
        /// The header's name.
        header: &'static str,
        /// The value found.
        value: String,
        /// What the value must be.
        expected: &'static str,
    },
    /// The `key` header is not an acceptable verifier key (weak, wrong id,
    /// not Ed25519, not canonical).
    #[error("header key: {0}")]
    Key(KeyError),
}

/// How often a header of a schema may appear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Times {
    /// Exactly once: its absence is refused when the headers are checked.
    One,
    /// Never or once: whether it is required is the reader's to say, by
    /// asking for it with [`Headers::required`] or [`Headers::optional`].
    AtMostOnce,
    /// Zero or more times, consecutively.
    Many,
}

/// One header of a schema: its name, and how often it may appear.
pub(crate) trait Field {
    /// The header's name.
    fn name(&self) -> &'static str;
    /// How often it may appear.
    fn times(&self) -> Times;
}

/// A bare name: a header given at most once (every registry header).
impl Field for &'static str {
    fn name(&self) -> &'static str {
        self
    }
    fn times(&self) -> Times {
        Times::AtMostOnce
    }
}

impl Field for (&'static str, Times) {
    fn name(&self) -> &'static str {
        self.0
    }
    fn times(&self) -> Times {
        self.1
    }
}

/// The header lines of one entry, checked against a schema: every header
/// is known, in the schema's order, and repeated only where the schema
/// says so; every header of [`Times::One`] is present.
pub(crate) struct Headers<'e> {
    entry: &'e Entry,
}

impl<'e> Headers<'e> {
    /// Checks `entry`'s headers against `schema` (the headers in their
    /// documented order). Whether a body is allowed is the caller's to
    /// check ([`empty_body`]); the caller has already dispatched on the
    /// entry type.
    pub(crate) fn new<F: Field>(entry: &'e Entry, schema: &[F]) -> Result<Self, FormatError> {
        let mut last: Option<usize> = None;
        for (name, _) in entry.headers() {
            let Some(position) = schema.iter().position(|s| s.name() == name) else {
                return Err(FormatError::Unknown(name.clone()));
            };
            let times = schema[position].times();
            match last {
                Some(previous) if previous == position && times == Times::Many => {}
                Some(previous) if previous == position => {
                    return Err(FormatError::Duplicate(name.clone()));
                }
                Some(previous) if previous > position => {
                    // A header seen earlier in the schema than the last
                    // one: either given twice or out of order.
                    let seen = entry.headers().iter().filter(|(n, _)| n == name).count();
                    return Err(if seen > 1 && times != Times::Many {
                        FormatError::Duplicate(name.clone())
                    } else {
                        FormatError::OutOfOrder(name.clone())
                    });
                }
                _ => last = Some(position),
            }
        }
        for field in schema {
            if field.times() == Times::One && entry.get(field.name()).is_none() {
                return Err(FormatError::Missing(field.name()));
            }
        }
        Ok(Self { entry })
    }

    /// Checks an entry whose facts are all in its headers (every registry
    /// entry type, `kind`): its body is empty, and its headers are those of
    /// `schema`, each at most once, in order.
    pub(crate) fn without_body(
        entry: &'e Entry,
        kind: &'static str,
        schema: &[&'static str],
    ) -> Result<Self, FormatError> {
        empty_body(entry, kind)?;
        Self::new(entry, schema)
    }

    /// The value of an optional header.
    pub(crate) fn optional(&self, name: &'static str) -> Option<&'e str> {
        self.entry.get(name)
    }

    /// The value of a required header.
    pub(crate) fn required(&self, name: &'static str) -> Result<&'e str, FormatError> {
        self.optional(name).ok_or(FormatError::Missing(name))
    }

    /// Every value of a header of [`Times::Many`], in order.
    pub(crate) fn many(&self, name: &'static str) -> impl Iterator<Item = &'e str> + 'e {
        self.entry
            .headers()
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Refuses a body on an entry type whose facts are all in its headers.
pub(crate) fn empty_body(entry: &Entry, kind: &'static str) -> Result<(), FormatError> {
    if entry.body_bytes().is_empty() {
        Ok(())
    } else {
        Err(FormatError::Body { kind })
    }
}

/// A value error for `header`.
pub(crate) fn bad(header: &'static str, value: &str, expected: &'static str) -> FormatError {
    FormatError::BadValue {
        header,
        value: value.to_owned(),
        expected,
    }
}

/// `true` or `false`, exactly.
pub(crate) fn parse_bool(header: &'static str, value: &str) -> Result<bool, FormatError> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(bad(header, value, "true|false")),
    }
}

/// The text of a boolean header.
pub(crate) fn bool_text(value: bool) -> &'static str {
    if value { "true" } else { "false" }
}

/// An RFC 3339 UTC time with exactly six fractional digits, as written by
/// [`Timestamp::to_rfc3339_micros`] (the envelope's `time` syntax).
pub(crate) fn parse_time(header: &'static str, value: &str) -> Result<Timestamp, FormatError> {
    const EXPECTED: &str =
        "an RFC 3339 UTC time with 6 fractional digits (2026-01-31T09:00:00.000000Z)";
    let time = Timestamp::parse(value).map_err(|_| bad(header, value, EXPECTED))?;
    if time.to_rfc3339_micros() != value {
        return Err(bad(header, value, EXPECTED));
    }
    Ok(time)
}

/// An optional time header.
pub(crate) fn parse_time_opt(
    header: &'static str,
    value: Option<&str>,
) -> Result<Option<Timestamp>, FormatError> {
    value.map(|v| parse_time(header, v)).transpose()
}

/// An id (SPEC section 3); the syntax admits one spelling per id, so a
/// parsed id is canonical.
pub(crate) fn parse_id<T: FromStr<Err = IdError>>(
    header: &'static str,
    value: &str,
) -> Result<T, FormatError> {
    value
        .parse()
        .map_err(|_| bad(header, value, "an id ([A-Za-z0-9][A-Za-z0-9._:@-]{0,63})"))
}

/// A decimal integer without sign or leading zeros, at most `u32::MAX`.
pub(crate) fn parse_u32(header: &'static str, value: &str) -> Result<u32, FormatError> {
    const EXPECTED: &str = "a decimal integer without sign or leading zeros";
    let canonical = !value.is_empty()
        && value.bytes().all(|b| b.is_ascii_digit())
        && (value == "0" || !value.starts_with('0'));
    if !canonical {
        return Err(bad(header, value, EXPECTED));
    }
    value.parse().map_err(|_| bad(header, value, EXPECTED))
}

/// One of a closed set of words: the value whose text is `value`.
pub(crate) fn parse_word<T: Copy>(
    header: &'static str,
    value: &str,
    all: &[T],
    text: impl Fn(T) -> &'static str,
    expected: &'static str,
) -> Result<T, FormatError> {
    all.iter()
        .copied()
        .find(|&v| text(v) == value)
        .ok_or_else(|| bad(header, value, expected))
}

/// Whether `t` has at most microsecond precision, so that its header text
/// names it exactly.
pub(crate) fn is_micros(t: Timestamp) -> bool {
    t.subsec_nanos().is_multiple_of(1000)
}

/// The text of a content hash header: `sha256:` and 64 lowercase hex
/// digits (the syntax of the vote entry's `note`, SPEC section 4).
pub fn hash_text(hash: &Hash) -> String {
    format!("sha256:{}", hash.to_hex())
}

/// Parses `sha256:<64 lowercase hex>`, refusing any other spelling.
pub(crate) fn parse_hash(header: &'static str, value: &str) -> Result<Hash, FormatError> {
    const EXPECTED: &str = "sha256: and 64 lowercase hexadecimal digits";
    let hex = value
        .strip_prefix("sha256:")
        .ok_or_else(|| bad(header, value, EXPECTED))?;
    let hash = Hash::from_hex(hex).map_err(|_| bad(header, value, EXPECTED))?;
    if hash.to_hex() != hex {
        return Err(bad(header, value, EXPECTED));
    }
    Ok(hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(headers: &[(&str, &str)]) -> Entry {
        let time = Timestamp::parse("2026-01-01T00:00:00Z").expect("valid");
        headers
            .iter()
            .fold(Entry::new("x", time), |e, (n, v)| e.header(n, v))
    }

    #[test]
    fn registry_schema_order_is_enforced() {
        let schema = ["a", "b", "c"];
        let check = |headers: &[(&str, &str)]| {
            Headers::without_body(&entry(headers), "x", &schema).map(|_| ())
        };
        assert_eq!(check(&[("a", "1"), ("c", "3")]), Ok(()));
        assert_eq!(
            check(&[("b", "1"), ("a", "3")]),
            Err(FormatError::OutOfOrder("a".into()))
        );
        assert_eq!(
            check(&[("a", "1"), ("a", "3")]),
            Err(FormatError::Duplicate("a".into()))
        );
        assert_eq!(
            check(&[("a", "1"), ("b", "1"), ("a", "3")]),
            Err(FormatError::Duplicate("a".into()))
        );
        assert_eq!(check(&[("d", "1")]), Err(FormatError::Unknown("d".into())));
        let body = entry(&[]).body(b"x".to_vec());
        assert_eq!(
            Headers::without_body(&body, "x", &schema).err(),
            Some(FormatError::Body { kind: "x" })
        );
    }

    #[test]
    fn repeated_headers_only_where_the_schema_allows() {
        let schema = [("a", Times::One), ("r", Times::Many), ("c", Times::One)];
        assert!(Headers::new(&entry(&[("a", "1"), ("c", "3")]), &schema).is_ok());
        let h = entry(&[("a", "1"), ("r", "x"), ("r", "y"), ("c", "3")]);
        let parsed = Headers::new(&h, &schema).expect("valid");
        assert_eq!(parsed.many("r").collect::<Vec<_>>(), ["x", "y"]);
        let cases = [
            (vec![("a", "1")], FormatError::Missing("c")),
            (
                vec![("a", "1"), ("a", "1"), ("c", "3")],
                FormatError::Duplicate("a".into()),
            ),
            (
                vec![("a", "1"), ("r", "x"), ("c", "3"), ("r", "y")],
                FormatError::OutOfOrder("r".into()),
            ),
            (
                vec![("c", "3"), ("a", "1")],
                FormatError::OutOfOrder("a".into()),
            ),
            (vec![("z", "3")], FormatError::Unknown("z".into())),
        ];
        for (headers, expected) in cases {
            assert_eq!(
                Headers::new(&entry(&headers), &schema).err(),
                Some(expected),
                "{headers:?}"
            );
        }
    }

    #[test]
    fn values_are_canonical() {
        assert_eq!(parse_bool("f", "true"), Ok(true));
        assert!(parse_bool("f", "True").is_err());
        assert!(parse_bool("f", "1").is_err());
        assert_eq!(parse_u32("n", "0"), Ok(0));
        assert_eq!(parse_u32("n", "30"), Ok(30));
        for bad in ["030", "+3", "-1", "", "4294967296", "3 "] {
            assert!(parse_u32("n", bad).is_err(), "{bad}");
        }
        assert!(parse_time("t", "2021-01-01T00:00:00.000000Z").is_ok());
        for bad in [
            "2021-01-01T00:00:00Z",
            "2021-01-01T00:00:00.0000000Z",
            "2021-01-01T00:00:00.000000+00:00",
        ] {
            assert!(parse_time("t", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn hashes_are_canonical() {
        let hash = Hash::sha256(b"x");
        assert_eq!(parse_hash("h", &hash_text(&hash)), Ok(hash));
        let upper = format!("sha256:{}", hash.to_hex().to_uppercase());
        for bad in [hash.to_hex(), upper, format!("sha256:{}0", hash.to_hex())] {
            assert!(parse_hash("h", &bad).is_err(), "{bad}");
        }
    }
}
