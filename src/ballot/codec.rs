//! The header grammar of ballot entries: a fixed schema of header names in
//! a fixed order, where (unlike registry entries) one header may repeat
//! (`recipient`) and some entry types carry a body.
//!
//! Values reuse the registry's canonical syntaxes
//! ([`crate::registry::codec`]), so one fact has exactly one encoding
//! (`docs/formats.md` section 7).

use crate::entry::Entry;
use crate::registry::codec::{FormatError, bad};
use crate::tlog::Hash;

/// How often a header of a schema may appear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Times {
    /// Exactly once.
    One,
    /// Zero or more times, consecutively.
    Many,
}

/// The header lines of one entry, checked against a schema: every header
/// is known, in the schema's order, and repeated only where the schema
/// says so; every header of [`Times::One`] is present.
pub(crate) struct Headers<'e> {
    entry: &'e Entry,
}

impl<'e> Headers<'e> {
    /// Checks `entry`'s headers against `schema`. Whether a body is allowed
    /// is the caller's to check ([`empty_body`]).
    pub(crate) fn new(
        entry: &'e Entry,
        schema: &[(&'static str, Times)],
    ) -> Result<Self, FormatError> {
        let mut last: Option<usize> = None;
        for (name, _) in entry.headers() {
            let Some(position) = schema.iter().position(|(s, _)| s == name) else {
                return Err(FormatError::Unknown(name.clone()));
            };
            match last {
                Some(previous) if previous == position && schema[position].1 == Times::Many => {}
                Some(previous) if previous == position => {
                    return Err(FormatError::Duplicate(name.clone()));
                }
                Some(previous) if previous > position => {
                    let seen = entry.headers().iter().filter(|(n, _)| n == name).count();
                    return Err(if seen > 1 && schema[position].1 == Times::One {
                        FormatError::Duplicate(name.clone())
                    } else {
                        FormatError::OutOfOrder(name.clone())
                    });
                }
                _ => last = Some(position),
            }
        }
        for (name, times) in schema {
            if *times == Times::One && entry.get(name).is_none() {
                return Err(FormatError::Missing(name));
            }
        }
        Ok(Self { entry })
    }

    /// The value of a header of [`Times::One`], present by construction.
    pub(crate) fn one(&self, name: &'static str) -> Result<&'e str, FormatError> {
        self.entry.get(name).ok_or(FormatError::Missing(name))
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
    use crate::time::Timestamp;

    fn entry(headers: &[(&str, &str)]) -> Entry {
        let time = Timestamp::parse("2026-01-01T00:00:00Z").expect("valid");
        headers
            .iter()
            .fold(Entry::new("x", time), |e, (n, v)| e.header(n, v))
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
    fn hashes_are_canonical() {
        let hash = Hash::sha256(b"x");
        assert_eq!(parse_hash("h", &hash_text(&hash)), Ok(hash));
        let upper = format!("sha256:{}", hash.to_hex().to_uppercase());
        for bad in [hash.to_hex(), upper, format!("sha256:{}0", hash.to_hex())] {
            assert!(parse_hash("h", &bad).is_err(), "{bad}");
        }
    }
}
