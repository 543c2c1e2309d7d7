//! The `key` and `key-revoked` entries: a person's Ed25519 verifier keys.
//!
//! A vote is a signed note whose signature line names the voting person and
//! a key registered to that person and not revoked at the time of voting
//! (SPEC section 4). The key is logged in the C2SP verifier-key encoding
//! (`<name>+<8 hex id>+<base64>`), whose name must be the person's id; the
//! parser ([`VerifierKey::parse`]) refuses weak (small-order) keys, wrong
//! ids and non-canonical encodings.

use crate::entry::Entry;
use crate::entry::codec::{self, FormatError, Headers};
use crate::id::PersonId;
use crate::note::key::{KeyId, VerifierKey};
use crate::registry::Record;
use crate::time::Timestamp;

/// A key added to a person: `type key`. The key is valid from the entry's
/// time on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyAdded {
    /// The person the key belongs to; the key's name must be this id.
    pub person: PersonId,
    /// The verifier key.
    pub key: VerifierKey,
}

/// A key revoked: `type key-revoked`. The key is invalid from the entry's
/// time on, for good (a revoked key is never registered again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRevoked {
    /// The person whose key it is.
    pub person: PersonId,
    /// The id of the key (signed-note key id: 8 lowercase hex digits).
    pub key_id: KeyId,
}

impl Record for KeyAdded {
    const KIND: &'static str = "key";

    fn to_entry(&self, time: Timestamp) -> Entry {
        Entry::new(Self::KIND, time)
            .header("person", &self.person)
            .header("key", self.key.encode())
    }

    fn from_entry(entry: &Entry) -> Result<Self, FormatError> {
        let h = Headers::without_body(entry, Self::KIND, &["person", "key"])?;
        Ok(Self {
            person: codec::parse_id("person", h.required("person")?)?,
            key: VerifierKey::parse(h.required("key")?).map_err(FormatError::Key)?,
        })
    }
}

/// Parses exactly 8 lowercase hexadecimal digits (signed-note,
/// "Conventions": fixed-length lowercase base 16).
fn parse_key_id(value: &str) -> Result<KeyId, FormatError> {
    let expected = "8 lowercase hexadecimal digits";
    let canonical = value.len() == 8
        && value
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !canonical {
        return Err(codec::bad("key-id", value, expected));
    }
    u32::from_str_radix(value, 16)
        .map(|n| KeyId::from_be_bytes(n.to_be_bytes()))
        .map_err(|_| codec::bad("key-id", value, expected))
}

impl Record for KeyRevoked {
    const KIND: &'static str = "key-revoked";

    fn to_entry(&self, time: Timestamp) -> Entry {
        Entry::new(Self::KIND, time)
            .header("person", &self.person)
            .header("key-id", self.key_id)
    }

    fn from_entry(entry: &Entry) -> Result<Self, FormatError> {
        let h = Headers::without_body(entry, Self::KIND, &["person", "key-id"])?;
        Ok(Self {
            person: codec::parse_id("person", h.required("person")?)?,
            key_id: parse_key_id(h.required("key-id")?)?,
        })
    }
}

/// A key of a person as the fold knows it: when it was added and, if it
/// was, revoked (the entries' times).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyState {
    /// The key.
    pub key: VerifierKey,
    /// The time of its `key` entry: valid from this instant on.
    pub added: Timestamp,
    /// The time of its `key-revoked` entry: invalid from this instant on.
    pub revoked: Option<Timestamp>,
}

impl KeyState {
    /// Whether the key is valid at `t`: added at or before `t` and not
    /// revoked at or before `t`.
    pub fn valid_at(&self, t: Timestamp) -> bool {
        self.added <= t && self.revoked.is_none_or(|r| t < r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ids_are_canonical_hex() {
        assert_eq!(
            parse_key_id("0a1b2c3d").map(|k| k.to_string()),
            Ok("0a1b2c3d".to_owned())
        );
        for bad in ["0A1B2C3D", "0a1b2c3", "0a1b2c3d0", "+a1b2c3d", "0x1b2c3d"] {
            assert!(parse_key_id(bad).is_err(), "{bad}");
        }
    }
}
