//! The `cosigned-checkpoint` entry (SPEC section 10, `docs/formats.md`
//! section 7.15): a checkpoint of the log that witnesses cosigned, logged
//! after the fact, so that the evidence of when the log's entries existed
//! is itself in the tree.
//!
//! The body is the signed checkpoint with the witnesses' cosignature lines,
//! exactly as a C2SP client reads it. The fold checks its form and that it
//! is of an earlier tree than the entry (its size at most the entry's
//! index, and larger than the previous one's); the log's signature, the
//! cosignatures and the root are the verifier's to check against the log
//! key, the policy and the verified tree (`crate::audit::witnessed`).

use crate::entry::Entry;
use crate::entry::codec::{FormatError, Headers, Times, bad};
use crate::note::{Limits, Note};
use crate::time::Timestamp;
use crate::tlog::checkpoint::{Checkpoint, parse_decimal};

/// The entry type of a cosigned checkpoint.
pub const COSIGNED_KIND: &str = "cosigned-checkpoint";

/// The `cosigned-checkpoint` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CosignedRecord {
    /// The size of the cosigned checkpoint.
    pub size: u64,
    /// The signed checkpoint with its cosignature lines.
    pub note: Vec<u8>,
}

impl CosignedRecord {
    /// The entry at `time`.
    pub fn to_entry(&self, time: Timestamp) -> Entry {
        Entry::new(COSIGNED_KIND, time)
            .header("size", self.size)
            .body(self.note.clone())
    }

    /// Reads a `cosigned-checkpoint` entry: a `size` header in canonical
    /// decimal, and a body that is a signed note (at least two signature
    /// lines: the log's and a witness's) whose text is a checkpoint of that
    /// size.
    pub fn from_entry(entry: &Entry) -> Result<Self, FormatError> {
        let h = Headers::new(entry, &[("size", Times::One)])?;
        let text = h.required("size")?;
        let size = parse_decimal(text)
            .ok_or_else(|| bad("size", text, "a tree size (decimal, no leading zeros)"))?;
        let note = entry.body_bytes().to_vec();
        let expected = "a signed checkpoint of the entry's size with at least one cosignature";
        let parsed = Note::parse(&note, Limits::CHECKPOINT)
            .map_err(|e| bad("body", &e.to_string(), expected))?;
        let checkpoint =
            Checkpoint::parse(parsed.text()).map_err(|e| bad("body", &e.to_string(), expected))?;
        if checkpoint.size().get() != size {
            let found = format!("a checkpoint of size {}", checkpoint.size());
            return Err(bad("body", &found, expected));
        }
        if parsed.signatures().len() < 2 {
            return Err(bad("body", "a checkpoint with one signature", expected));
        }
        Ok(Self { size, note })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::note::{KeyName, SigningKey};
    use crate::tlog::checkpoint::{Origin, sign_checkpoint};
    use crate::tlog::cosignature::Cosigner;
    use crate::tlog::{Hash, TreeSize};

    fn signed(size: u64, cosigned: bool) -> Vec<u8> {
        let origin = Origin::new("example.org/log").unwrap();
        let key = SigningKey::from_seed(origin.key_name().clone(), &[7; 32]);
        let checkpoint =
            Checkpoint::new(origin, TreeSize::new(size), Hash::sha256(b"x"), vec![]).unwrap();
        let mut bytes = sign_checkpoint(&checkpoint, &key).unwrap();
        if cosigned {
            let w = Cosigner::new(SigningKey::from_seed(
                KeyName::new("w.example").unwrap(),
                &[8; 32],
            ));
            let line = w.cosign(&checkpoint.to_text(), 1_700_000_000).unwrap();
            bytes.extend_from_slice(line.to_line().as_bytes());
        }
        bytes
    }

    #[test]
    fn a_cosigned_checkpoint_round_trips_and_its_size_must_match() {
        let time = Timestamp::parse("2026-03-02T09:00:00Z").unwrap();
        let record = CosignedRecord {
            size: 5,
            note: signed(5, true),
        };
        let entry = Entry::parse(&record.to_entry(time).encode().unwrap()).unwrap();
        assert_eq!(CosignedRecord::from_entry(&entry), Ok(record));
        let other = CosignedRecord {
            size: 6,
            note: signed(5, true),
        };
        assert!(CosignedRecord::from_entry(&other.to_entry(time)).is_err());
        let bare = CosignedRecord {
            size: 5,
            note: signed(5, false),
        };
        assert!(CosignedRecord::from_entry(&bare.to_entry(time)).is_err());
        let text = CosignedRecord {
            size: 5,
            note: b"not a note".to_vec(),
        };
        assert!(CosignedRecord::from_entry(&text.to_entry(time)).is_err());
    }

    #[test]
    fn the_fold_takes_only_earlier_trees_each_larger_than_the_last() {
        let mut book = crate::ballot::BallotBook::new(Origin::new("example.org/log").unwrap());
        // Of an earlier tree than the entry: size at most its index.
        assert!(book.check_cosigned(5, 5).is_ok());
        assert!(book.check_cosigned(6, 5).is_err());
        // An empty tree proves nothing.
        assert!(book.check_cosigned(0, 5).is_err());
        book.cosigned = Some((5, 5));
        assert_eq!(book.last_cosigned(), Some((5, 5)));
        // Never the same size again, nor a smaller one.
        assert!(book.check_cosigned(5, 9).is_err());
        assert!(book.check_cosigned(4, 9).is_err());
        assert!(book.check_cosigned(7, 9).is_ok());
    }
}
