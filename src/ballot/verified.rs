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

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use crate::note::VerifierKey;
use crate::tlog::Hash;
use crate::vote::SubmittedVote;

/// The most records of decided votes kept waiting (a batch holds at most
/// a few thousand votes, each decided and folded in the same step).
const DECIDED_MAX: usize = 1 << 16;

/// Vote notes (by SHA-256 of their bytes) whose signature was verified
/// strictly under a key. Each record is used once: the judgement that
/// finds it removes it. Clones share the records.
///
/// It is a memo, not part of a fold's value: equality and debug output
/// ignore it.
#[derive(Clone, Default)]
pub struct VerifiedNotes(Arc<Mutex<HashMap<Hash, VerifierKey>>>);

impl VerifiedNotes {
    /// Verifies `vote` strictly under `key` and, if it verifies, records
    /// it. Returns whether it verified. This is the only way in from
    /// outside the crate, so a record always stands for a verification.
    pub fn verify_in_advance(&self, vote: &SubmittedVote, key: &VerifierKey) -> bool {
        let verified = vote.clone().verify(key).is_ok();
        if verified {
            self.record(vote.commitment(), key.clone());
        }
        verified
    }

    /// Records that the note whose bytes hash to `note` verified strictly
    /// under `key`. Callers must just have verified it.
    fn record(&self, note: Hash, key: VerifierKey) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(note, key);
    }

    /// [`VerifiedNotes::record`] for a vote just decided, whose entry the
    /// fold judges next. A decided vote that is not logged after all (the
    /// server refuses a note whose ballot is not the request's) would
    /// leave its record behind, so at most [`DECIDED_MAX`] wait: beyond
    /// that they are dropped, which costs only verifications again.
    pub(crate) fn record_decided(&self, note: Hash, key: VerifierKey) {
        let mut records = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if records.len() >= DECIDED_MAX {
            records.clear();
        }
        records.insert(note, key);
    }

    /// Whether the note `note` was verified under exactly `key`; the
    /// record is removed either way it matched.
    pub(crate) fn take(&self, note: &Hash, key: &VerifierKey) -> bool {
        let mut records = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match records.get(note) {
            Some(recorded) if recorded == key => {
                records.remove(note);
                true
            }
            _ => false,
        }
    }

    /// Verifies `vote` strictly under `key` before a server decides it,
    /// and records it if it verifies; returns whether it verified. Like
    /// the records of decided votes, at most [`DECIDED_MAX`] wait (a vote
    /// verified but then refused before its decision leaves its record).
    pub fn verify_before_deciding(&self, vote: &SubmittedVote, key: &VerifierKey) -> bool {
        let verified = vote.clone().verify(key).is_ok();
        if verified {
            self.record_decided(vote.commitment(), key.clone());
        }
        verified
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
        assert!(!memo.verify_in_advance(&vote, &other.verifier_key()));
        assert!(memo.is_empty());
        assert!(memo.verify_in_advance(&vote, &alice.verifier_key()));
        assert!(!memo.take(&vote.commitment(), &other.verifier_key()));
        assert!(memo.take(&vote.commitment(), &alice.verifier_key()));
        assert!(!memo.take(&vote.commitment(), &alice.verifier_key()));
        // Decided votes never leave more than DECIDED_MAX records behind.
        for i in 0..DECIDED_MAX + 10 {
            memo.record_decided(Hash::sha256(&i.to_le_bytes()), alice.verifier_key());
        }
        assert!(memo.len() <= DECIDED_MAX);
    }
}
