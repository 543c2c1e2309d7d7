//! Identifiers of organisations, persons, groups, meetings, ballots and
//! questions.
//!
//! SPEC section 3: an id matches `[A-Za-z0-9][A-Za-z0-9._:@-]{0,63}`. Ids
//! appear in URLs, in signed notes and in log entries, so the syntax is
//! enforced by the only constructor ([`Id::new`]) and by deserialisation:
//! an [`Id`] value that exists is valid ("parse, don't validate").
//!
//! The typed wrappers ([`OrgId`], [`PersonId`], [`MeetingId`], [`BallotId`],
//! [`QuestionId`]) stop a person's id being passed where an organisation's
//! is expected; they share the syntax and the byte order of [`Id`].

use std::borrow::Borrow;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// SPEC section 3: at most 64 bytes (one leading character and up to 63
/// more).
pub const MAX_ID_LEN: usize = 64;

/// Why a string is not an id (SPEC section 3).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The empty string is not an id.
    #[error("an id may not be empty")]
    Empty,
    /// More than [`MAX_ID_LEN`] bytes.
    #[error("an id has at most {MAX_ID_LEN} characters, this one has {0} bytes")]
    TooLong(usize),
    /// The first character must be an ASCII letter or digit.
    #[error("an id must begin with an ASCII letter or digit, not {0:?}")]
    BadFirst(char),
    /// A later character is outside `[A-Za-z0-9._:@-]`.
    #[error(
        "character {ch:?} at byte {at} is not allowed in an id (allowed: A-Z a-z 0-9 . _ : @ -)"
    )]
    BadChar {
        /// The offending character.
        ch: char,
        /// Its byte offset in the string.
        at: usize,
    },
}

/// A syntactically valid identifier (SPEC section 3).
///
/// Ordering is by bytes, which for this ASCII-only syntax is the order SPEC
/// section 5 asks for (`eligible` "sorted by byte order").
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Id(Box<str>);

/// Whether `b` may follow the first character of an id.
fn is_tail_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'@' | b'-')
}

impl Id {
    /// Checks `text` against the id syntax and wraps it.
    pub fn new(text: &str) -> Result<Self, IdError> {
        let bytes = text.as_bytes();
        let Some(&first) = bytes.first() else {
            return Err(IdError::Empty);
        };
        if !first.is_ascii_alphanumeric() {
            // The first character may be multi-byte; report it whole.
            let ch = text.chars().next().unwrap_or('\u{fffd}');
            return Err(IdError::BadFirst(ch));
        }
        if let Some(at) = bytes.iter().position(|&b| !is_tail_byte(b)) {
            let ch = text[at..].chars().next().unwrap_or('\u{fffd}');
            return Err(IdError::BadChar { ch, at });
        }
        // Checked after the characters so that a long string with a bad
        // character reports the character, which is the more useful error.
        if bytes.len() > MAX_ID_LEN {
            return Err(IdError::TooLong(bytes.len()));
        }
        Ok(Id(text.into()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

// Hash and Eq of `Id` are those of its `str` (a derived single-field
// newtype), so maps keyed by ids may be searched with a `&str`.
impl Borrow<str> for Id {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl FromStr for Id {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Id::new(s)
    }
}

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Borrowing is not always possible (escaped JSON strings), so take
        // an owned string; ids are short.
        let text = String::deserialize(deserializer)?;
        Id::new(&text).map_err(serde::de::Error::custom)
    }
}

/// Declares a typed id: a newtype over [`Id`] with the same syntax, order,
/// display and (validating) serde form.
macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Id);

        impl $name {
            /// Checks `text` against the id syntax (SPEC section 3) and wraps it.
            pub fn new(text: &str) -> Result<Self, IdError> {
                Id::new(text).map($name)
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                self.0.as_str()
            }

            /// The untyped id.
            pub fn as_id(&self) -> &Id {
                &self.0
            }
        }

        // Same Hash and Eq as the inner `Id`, hence as its `str`.
        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                self.0.as_str()
            }
        }

        impl From<Id> for $name {
            fn from(id: Id) -> Self {
                $name(id)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl FromStr for $name {
            type Err = IdError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::new(s)
            }
        }
    };
}

typed_id!(
    /// The id of an organisation (an ISG Member, a Member State, ...).
    OrgId
);
typed_id!(
    /// The id of a person (a delegate); the log names persons only by id.
    PersonId
);
typed_id!(
    /// The id of a meeting.
    MeetingId
);
typed_id!(
    /// The id of a ballot.
    BallotId
);
typed_id!(
    /// The id of a question of a ballot (for ITU-T, one draft
    /// Recommendation).
    QuestionId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_syntax() {
        for ok in [
            "a",
            "Z",
            "0",
            "cadzow",
            "X.1214",
            "acme-1",
            "a_b:c@d.e-f",
            "KoM",
        ] {
            assert_eq!(Id::new(ok).map(|id| id.to_string()), Ok(ok.to_string()));
        }
        let longest = "a".repeat(64);
        assert!(Id::new(&longest).is_ok());
    }

    #[test]
    fn refuses_outside_the_syntax() {
        assert_eq!(Id::new(""), Err(IdError::Empty));
        assert_eq!(Id::new(&"a".repeat(65)), Err(IdError::TooLong(65)));
        assert_eq!(Id::new("-a"), Err(IdError::BadFirst('-')));
        assert_eq!(Id::new(".a"), Err(IdError::BadFirst('.')));
        assert_eq!(Id::new("éa"), Err(IdError::BadFirst('é')));
        assert_eq!(Id::new("a b"), Err(IdError::BadChar { ch: ' ', at: 1 }));
        assert_eq!(Id::new("a/b"), Err(IdError::BadChar { ch: '/', at: 1 }));
        assert_eq!(Id::new("ab\n"), Err(IdError::BadChar { ch: '\n', at: 2 }));
        assert_eq!(Id::new("aé"), Err(IdError::BadChar { ch: 'é', at: 1 }));
    }

    #[test]
    fn orders_by_bytes() {
        let mut ids: Vec<Id> = ["b", "B", "a", "a-", "a.", "10", "9"]
            .iter()
            .map(|s| Id::new(s).expect("valid test id"))
            .collect();
        ids.sort();
        let texts: Vec<&str> = ids.iter().map(Id::as_str).collect();
        assert_eq!(texts, ["10", "9", "B", "a", "a-", "a.", "b"]);
    }

    #[test]
    fn deserialisation_validates() {
        let id: OrgId = serde_json::from_str("\"cadzow\"").expect("valid id");
        assert_eq!(id.as_str(), "cadzow");
        assert!(serde_json::from_str::<OrgId>("\"bad id\"").is_err());
        assert!(serde_json::from_str::<Id>("\"\"").is_err());
        assert_eq!(
            serde_json::to_string(&id).expect("serialises"),
            "\"cadzow\""
        );
    }
}
