//! [`VerifiedNotes`]: vote signatures already verified strictly, so that
//! the same bytes under the same key are not verified twice.
//!
//! The server judges a vote before sequencing it, then its fold judges the
//! logged entry again with the same note: two strict verifications of the
//! same signature, one after the other, in the log's serialised section.
//! The verifier replays a million votes one after the other. Both record
//! here what was verified, and the judgement skips a verification only for
//! exactly the note bytes (by SHA-256) and exactly the key recorded. The
//! fold accepts exactly what strict verification accepts (SPEC section 4):
//! an entry is only ever put here by a successful `verify_strict` of those
//! bytes under that key.
//!
//! The verifier's record also keeps the note as parsed for its
//! verification, and the server's the note its decision parsed; the fold
//! takes it rather than parsing the same bytes again (parsing is a
//! function of the bytes, which the record's SHA-256 names).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use crate::note::{KeyId, KeyName, VerifierKey};
use crate::tlog::Hash;
use crate::vote::SubmittedVote;

/// The most records of decided votes kept waiting (a batch holds at most
/// a few thousand votes, each decided and folded in the same step).
const DECIDED_MAX: usize = 1 << 16;

/// Who verifies a vote ahead of its judgement, which decides the record
/// [`VerifiedNotes::verify_in_advance`] makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorder {
    /// A server, before it decides the vote: the decision has the parsed
    /// vote, so only the key is recorded; like the records of decided
    /// votes, at most [`DECIDED_MAX`] wait (a vote verified but then
    /// refused before its decision leaves its record).
    Deciding,
    /// The verifier, ahead of its replay: every record waits for the
    /// replay. With `keep_parsed` it keeps the parsed note too, which the
    /// fold takes instead of parsing the note again (a parsed note takes
    /// a few times the memory of its bytes: the verifier keeps it only for
    /// the notes its replay is about to reach).
    Replaying {
        /// Whether to keep the parsed note.
        keep_parsed: bool,
    },
}

/// A verifier key as a record names it: its name, id and public key, which
/// are all that make two verifier keys equal, without the expanded curve
/// point a key also holds (a verifier may hold a hundred thousand records
/// while its replay catches up).
struct KeyOf {
    name: KeyName,
    id: KeyId,
    public: [u8; 32],
}

impl KeyOf {
    fn new(key: &VerifierKey) -> Self {
        Self {
            name: key.name().clone(),
            id: key.id(),
            public: *key.public_key(),
        }
    }

    /// Whether this names `key`.
    fn is(&self, key: &VerifierKey) -> bool {
        self.name == *key.name() && self.id == key.id() && self.public == *key.public_key()
    }
}

/// What was verified about one note.
struct Record {
    /// The key its signature verified under.
    key: KeyOf,
    /// The note as parsed for that verification, until the fold takes it
    /// (boxed: the map's slots stay small, whether a record keeps one or
    /// not).
    vote: Option<Box<SubmittedVote>>,
}

/// Vote notes (by SHA-256 of their bytes) whose signature was verified
/// strictly under a key. Each record is used once: the judgement that
/// finds it removes it. Clones share the records.
///
/// It is a memo, not part of a fold's value: equality and debug output
/// ignore it.
#[derive(Clone, Default)]
pub struct VerifiedNotes(Arc<Mutex<HashMap<Hash, Record>>>);

impl VerifiedNotes {
    /// Verifies `vote` strictly under `key` and, if it verifies, records
    /// it as `recorder` says. Returns whether it verified. This is the
    /// only way in from outside the crate, so a record always stands for
    /// a verification.
    pub fn verify_in_advance(
        &self,
        vote: &SubmittedVote,
        key: &VerifierKey,
        recorder: Recorder,
    ) -> bool {
        if !vote.verifies_under(key) {
            return false;
        }
        let note = vote.commitment();
        match recorder {
            Recorder::Deciding => self.record_decided(note, key),
            Recorder::Replaying { keep_parsed } => {
                self.0
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(
                        note,
                        Record {
                            key: KeyOf::new(key),
                            vote: keep_parsed.then(|| Box::new(vote.clone())),
                        },
                    );
            }
        }
        true
    }

    /// [`VerifiedNotes::verify_in_advance`] of the note in `bytes` under
    /// each key `registry` has for its signer with the note's key id; a
    /// note that does not parse is left to the judgement.
    pub fn verify_with_registry(
        &self,
        bytes: &[u8],
        registry: &crate::registry::GroupState,
        recorder: Recorder,
    ) {
        let Ok(vote) = SubmittedVote::parse(bytes) else {
            return;
        };
        for key in registry
            .keys_of(vote.person.as_str())
            .iter()
            .filter(|k| k.key.id() == vote.key_id)
        {
            self.verify_in_advance(&vote, &key.key, recorder);
        }
    }

    /// Records that the note whose bytes hash to `note`, just decided,
    /// verified strictly under `key`: the fold judges its entry next. A
    /// decided vote that is not logged after all (the server refuses a
    /// note whose ballot is not the request's) would leave its record
    /// behind, so at most [`DECIDED_MAX`] wait: beyond that they are
    /// dropped, which costs only verifications again. Callers must just
    /// have verified it.
    pub(crate) fn record_decided(&self, note: Hash, key: &VerifierKey) {
        let key = KeyOf::new(key);
        let mut records = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if records.len() >= DECIDED_MAX {
            records.clear();
        }
        records.insert(note, Record { key, vote: None });
    }

    /// Hands the fold the note a decision just parsed and accepted, so
    /// that the fold, which judges its entry next, takes it
    /// ([`VerifiedNotes::take_parsed`]) rather than parsing the same
    /// bytes again. Kept only beside the record of that decision (made by
    /// [`VerifiedNotes::record_decided`] for the same bytes), and bounded
    /// with it.
    // Only the server decides votes; the build without it keeps the
    // record's other users.
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn keep_decided(&self, vote: SubmittedVote) {
        let note = vote.commitment();
        let mut records = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(record) = records.get_mut(&note) {
            record.vote = Some(Box::new(vote));
        }
    }

    /// Whether the note `note` was verified under exactly `key`; the
    /// record is removed either way it matched.
    pub(crate) fn take(&self, note: &Hash, key: &VerifierKey) -> bool {
        let mut records = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match records.get(note) {
            Some(recorded) if recorded.key.is(key) => {
                records.remove(note);
                true
            }
            _ => false,
        }
    }

    /// The note whose bytes hash to `note` as parsed when it was verified
    /// in advance, if kept ([`Recorder::Replaying`]); it is handed out
    /// once, and the record of its key stays for [`VerifiedNotes::take`].
    pub(crate) fn take_parsed(&self, note: &Hash) -> Option<Box<SubmittedVote>> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_mut(note)?
            .vote
            .take()
    }

    /// Whether `self` and `other` share their records (one is a clone of
    /// the other).
    pub fn same(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// How many records wait to be used.
    pub fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// Whether no record waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

memo_is_not_value!(VerifiedNotes);

impl std::fmt::Debug for VerifiedNotes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "VerifiedNotes({} waiting)", self.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::{BallotId, OrgId, QuestionId};
    use crate::note::{KeyName, SigningKey};
    use crate::tlog::checkpoint::Origin;
    use crate::vote::{ChoiceWord, VoteNote};

    #[test]
    fn a_record_is_made_only_by_a_strict_verification_and_used_once_for_its_key() {
        let alice = SigningKey::from_seed(KeyName::new("alice").expect("name"), &[7; 32]);
        let other = SigningKey::from_seed(KeyName::new("alice").expect("name"), &[8; 32]);
        let bytes = VoteNote {
            origin: Origin::new("example.org/ETI").expect("origin"),
            ballot: BallotId::new("B1").expect("id"),
            question: QuestionId::new("main").expect("id"),
            organisation: OrgId::new("cadzow").expect("id"),
            choice: ChoiceWord::new("yes").expect("choice"),
            attachment: None,
            nonce: [3; 16],
        }
        .sign(&alice)
        .expect("sign");
        let vote = SubmittedVote::parse(&bytes).expect("parse");
        let memo = VerifiedNotes::default();
        for recorder in [
            Recorder::Deciding,
            Recorder::Replaying { keep_parsed: false },
            Recorder::Replaying { keep_parsed: true },
        ] {
            assert!(!memo.verify_in_advance(&vote, &other.verifier_key(), recorder));
            assert!(memo.is_empty());
            assert!(memo.verify_in_advance(&vote, &alice.verifier_key(), recorder));
            // Only the verifier's record keeps the parsed note, once.
            let parsed = memo.take_parsed(&vote.commitment());
            assert_eq!(
                parsed.is_some(),
                recorder == Recorder::Replaying { keep_parsed: true }
            );
            if let Some(parsed) = parsed {
                assert_eq!(parsed.bytes, vote.bytes);
                assert_eq!(parsed.vote, vote.vote);
            }
            assert!(memo.take_parsed(&vote.commitment()).is_none());
            assert!(!memo.take(&vote.commitment(), &other.verifier_key()));
            assert!(memo.take(&vote.commitment(), &alice.verifier_key()));
            assert!(!memo.take(&vote.commitment(), &alice.verifier_key()));
        }
        // A decision's parsed note is kept only beside its record, for the
        // fold to take once.
        memo.keep_decided(vote.clone());
        assert!(memo.is_empty(), "no record of a decision: nothing kept");
        memo.record_decided(vote.commitment(), &alice.verifier_key());
        memo.keep_decided(vote.clone());
        let parsed = memo.take_parsed(&vote.commitment()).expect("kept");
        assert_eq!(
            (parsed.bytes, parsed.vote),
            (vote.bytes.clone(), vote.vote.clone())
        );
        assert!(memo.take_parsed(&vote.commitment()).is_none());
        assert!(memo.take(&vote.commitment(), &alice.verifier_key()));
        // Decided votes never leave more than DECIDED_MAX records behind.
        for i in 0..DECIDED_MAX + 10 {
            memo.record_decided(Hash::sha256(&i.to_le_bytes()), &alice.verifier_key());
        }
        assert!(memo.len() <= DECIDED_MAX);
    }
}
