//! The votes an open ballot holds in memory, in log order, with the
//! indexes its decisions need: by commitment (a resubmission), by nonce
//! (a replay), by organisation and question (supersession). A ballot may
//! hold a million votes, so each is 80 bytes without a heap allocation,
//! and the list grows in chunks that never move (docs/performance.md,
//! vote ingest).

use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher;

use crate::id::PersonId;
use crate::rules::{AdmittedVote, Choice};
use crate::time::Timestamp;
use crate::tlog::Hash;
use crate::vote::NONCE_LEN;
/// A vote logged for an open ballot: 80 bytes and no heap allocation,
/// because an open ballot may hold a million of them
/// (docs/performance.md, vote ingest, fourth round).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoggedVote {
    /// Its log index.
    pub index: u64,
    /// The commitment: SHA-256 of the signed note.
    pub note: Hash,
    /// The entry's time (the time the rules judged the vote at).
    time: PackedTime,
    /// What the note says, once the fold has seen it; `None` while the
    /// note is not revealed (a replay before the close).
    pub revealed: Option<RevealedVote>,
}

impl LoggedVote {
    /// The entry's time (the time the rules judged the vote at).
    pub fn time(&self) -> Timestamp {
        self.time.get()
    }

    /// The rules' admission of a revealed vote: judged at the entry's time,
    /// with its log index as the order of receipt.
    pub fn admitted(&self) -> Option<AdmittedVote> {
        self.revealed.map(|r| AdmittedVote {
            roll_line: r.roll_line as usize,
            question: r.question as usize,
            choice: r.choice,
            at: self.time.get(),
            sequence: self.index,
        })
    }
}

/// A timestamp exactly, in two 64-bit halves: [`Timestamp`]'s `i128` is
/// aligned to 16 bytes, which padded a [`LoggedVote`] from 72 to 80.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PackedTime([u64; 2]);

impl PackedTime {
    fn new(time: Timestamp) -> Self {
        let nanos = time.unix_nanos() as u128;
        Self([(nanos >> 64) as u64, nanos as u64])
    }

    fn get(self) -> Timestamp {
        let nanos = ((u128::from(self.0[0]) << 64) | u128::from(self.0[1])) as i128;
        Timestamp::from_unix_nanos(nanos).expect("invariant: packed from a valid timestamp")
    }
}

/// What a revealed, admitted vote says, as positions: the organisation is
/// the one on the roll's line, the question the ballot's, the signer one
/// of [`Votes::signer`]'s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RevealedVote {
    /// The signer's position among the ballot's signers.
    pub signer: u32,
    /// The organisation's line in the roll.
    pub roll_line: u32,
    /// The question's position in the ballot.
    pub question: u32,
    /// The choice.
    pub choice: Choice,
}

/// The votes of a ballot, in log order, with the indexes that decisions
/// need.
#[derive(Debug, Clone, Default)]
pub struct Votes {
    /// Every vote entry, in log order.
    list: VoteList,
    /// Commitment → position in `list`: a byte-identical resubmission gets
    /// the original entry back (SPEC section 4). Positions, hashed through
    /// the commitment they point at, so that each commitment is held once.
    by_note: hashbrown::HashTable<u32>,
    /// The keys of `by_note`'s hash: random per process, so that nobody
    /// can choose notes that collide.
    hasher: std::hash::RandomState,
    /// The nonces of the votes logged: a nonce reused with other bytes is
    /// `replay` (the same bytes are found by commitment first).
    nonces: HashSet<[u8; NONCE_LEN]>,
    /// (roll line, question) → the latest accepted vote's index and
    /// signer: the vote that counts so far (SPEC 2.1 item 8).
    latest: HashMap<(usize, usize), (u64, u32)>,
    /// The persons who signed a revealed vote, in the order they first
    /// did, and their positions.
    signers: Vec<PersonId>,
    signer_positions: HashMap<PersonId, u32>,
    /// How many vote entries have no revealed note.
    unrevealed: usize,
}

/// Equality of what the votes are: the indexes are derived from them.
impl PartialEq for Votes {
    fn eq(&self, other: &Self) -> bool {
        self.list == other.list && self.signers == other.signers
    }
}

impl Eq for Votes {}

impl Votes {
    /// Every vote entry, in log order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &LoggedVote> {
        self.list.chunks.iter().flatten()
    }

    /// How many vote entries there are.
    pub fn len(&self) -> usize {
        self.list.len
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.list.len == 0
    }

    /// How many vote entries have no revealed note.
    pub fn unrevealed(&self) -> usize {
        self.unrevealed
    }

    /// The vote entry whose commitment is `note`.
    pub fn by_note(&self, note: &Hash) -> Option<&LoggedVote> {
        let hash = self.hasher.hash_one(note);
        self.by_note
            .find(hash, |&at| self.list.get(at).note == *note)
            .map(|&at| self.list.get(at))
    }

    /// The vote entry whose commitment is written `text` (`sha256:<hex>`,
    /// as in a tally's `counted`).
    pub fn by_note_text(&self, text: &str) -> Option<&LoggedVote> {
        let hex = text.strip_prefix("sha256:")?;
        let note = Hash::from_hex(hex).ok().filter(|h| h.to_hex() == hex)?;
        self.by_note(&note)
    }

    /// Whether a logged vote carried `nonce`.
    pub fn nonce_used(&self, nonce: &[u8; NONCE_LEN]) -> bool {
        self.nonces.contains(nonce)
    }

    /// The signer of the vote that counts so far for `slot` (roll line,
    /// question), with its index.
    pub fn latest(&self, slot: (usize, usize)) -> Option<(u64, &PersonId)> {
        self.latest
            .get(&slot)
            .map(|&(index, signer)| (index, &self.signers[signer as usize]))
    }

    /// The person who signed `vote`.
    pub fn signer(&self, vote: &RevealedVote) -> &PersonId {
        &self.signers[vote.signer as usize]
    }

    /// Records a vote entry whose note is not revealed.
    pub(crate) fn push_unrevealed(&mut self, index: u64, note: Hash, time: Timestamp) {
        self.unrevealed += 1;
        self.push(LoggedVote {
            index,
            note,
            time: PackedTime::new(time),
            revealed: None,
        });
    }

    /// Records an admitted vote, which now counts for its slot.
    pub(crate) fn push_admitted(
        &mut self,
        index: u64,
        note: Hash,
        nonce: [u8; NONCE_LEN],
        person: &PersonId,
        admitted: &AdmittedVote,
    ) {
        // The admission is rebuilt from the entry ([`LoggedVote::admitted`]).
        debug_assert_eq!(admitted.sequence, index, "judged with its log index");
        let signer = match self.signer_positions.get(person) {
            Some(&at) => at,
            None => {
                let at = position(self.signers.len());
                self.signers.push(person.clone());
                self.signer_positions.insert(person.clone(), at);
                at
            }
        };
        self.latest
            .insert((admitted.roll_line, admitted.question), (index, signer));
        self.nonces.insert(nonce);
        self.push(LoggedVote {
            index,
            note,
            time: PackedTime::new(admitted.at),
            revealed: Some(RevealedVote {
                signer,
                roll_line: position(admitted.roll_line),
                question: position(admitted.question),
                choice: admitted.choice,
            }),
        });
    }

    fn push(&mut self, vote: LoggedVote) {
        let at = position(self.list.len);
        let hasher = &self.hasher;
        let list = &self.list;
        self.by_note
            .insert_unique(hasher.hash_one(vote.note), at, |&i| {
                hasher.hash_one(list.get(i).note)
            });
        self.list.push(vote);
    }
}

/// A ballot's vote entries in chunks of [`VoteList::CHUNK`]: a list of a
/// million votes never moves (one vector of them, growing by doubling,
/// would copy 40 MiB into a new 80 MiB at 2^19 votes, and hold both for a
/// while).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct VoteList {
    chunks: Vec<Vec<LoggedVote>>,
    len: usize,
}

impl VoteList {
    /// Votes per chunk: as many as 256 KiB holds (3 640). Allocators round
    /// a large block up to a size class, and 2^18 bytes is one: 4 096
    /// records of 72 bytes (288 KiB) would take a block of 320 KiB.
    const CHUNK: usize = (256 << 10) / std::mem::size_of::<LoggedVote>();

    fn get(&self, at: u32) -> &LoggedVote {
        let at = at as usize;
        &self.chunks[at / Self::CHUNK][at % Self::CHUNK]
    }

    fn push(&mut self, vote: LoggedVote) {
        match self.chunks.last_mut() {
            Some(chunk) if chunk.len() < Self::CHUNK => chunk.push(vote),
            _ => {
                // The first chunk grows by doubling (most ballots are
                // small); the others are allocated whole.
                let mut chunk = Vec::with_capacity(if self.len == 0 { 4 } else { Self::CHUNK });
                chunk.push(vote);
                self.chunks.push(chunk);
            }
        }
        self.len += 1;
    }
}

/// A position in memory as a `u32`: a ballot's votes, signers, roll lines
/// and questions are all held in memory at tens of bytes or more each, so
/// none reaches 2^32.
fn position(at: usize) -> u32 {
    u32::try_from(at).expect("invariant: fewer than 2^32 items held in memory")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(second: i64) -> Timestamp {
        Timestamp::from_unix(second, 0).expect("a time")
    }

    fn admitted(roll_line: usize, question: usize, second: i64, index: u64) -> AdmittedVote {
        AdmittedVote {
            roll_line,
            question,
            choice: Choice::Yes,
            at: at(second),
            sequence: index,
        }
    }

    fn person(id: &str) -> PersonId {
        PersonId::new(id).expect("an id")
    }

    #[test]
    fn votes_are_found_by_commitment_and_name_their_signer() {
        let mut votes = Votes::default();
        // Across two chunk boundaries.
        let count = 2 * VoteList::CHUNK + 100;
        let notes: Vec<Hash> = (0..count as u32)
            .map(|i| Hash::sha256(&i.to_be_bytes()))
            .collect();
        let nonce = |i: usize| {
            let mut nonce = [0; NONCE_LEN];
            nonce[..8].copy_from_slice(&(i as u64).to_be_bytes());
            nonce
        };
        for (i, note) in notes.iter().enumerate() {
            let index = 10 + i as u64;
            if i % 7 == 3 {
                votes.push_unrevealed(index, *note, at(i as i64));
            } else {
                let signer = person(if i % 2 == 0 { "alice" } else { "bob" });
                let vote = admitted(i % 5, i % 2, i as i64, index);
                votes.push_admitted(index, *note, nonce(i), &signer, &vote);
            }
        }
        for (i, note) in notes.iter().enumerate() {
            let logged = votes.by_note(note).expect("every vote is found");
            assert_eq!(logged.index, 10 + i as u64);
            assert_eq!(logged.note, *note);
            let text = format!("sha256:{}", note.to_hex());
            assert_eq!(votes.by_note_text(&text), Some(logged));
            match logged.revealed {
                None => assert_eq!(i % 7, 3),
                Some(r) => {
                    let expected = if i % 2 == 0 { "alice" } else { "bob" };
                    assert_eq!(votes.signer(&r).as_str(), expected);
                    let back = logged.admitted().expect("revealed");
                    assert_eq!(back, admitted(i % 5, i % 2, i as i64, 10 + i as u64));
                }
            }
        }
        assert_eq!(votes.by_note(&Hash::sha256(b"never logged")), None);
        assert_eq!(votes.by_note_text("sha256:zz"), None);
        let upper = format!("sha256:{}", notes[0].to_hex().to_uppercase());
        assert_eq!(
            votes.by_note_text(&upper),
            None,
            "only the canonical spelling"
        );
        assert_eq!(
            votes.unrevealed(),
            notes.iter().enumerate().filter(|(i, _)| i % 7 == 3).count()
        );
        assert_eq!(votes.len(), count);
        assert!(votes.iter().map(|v| v.note).eq(notes.iter().copied()));
        assert!(votes.nonce_used(&nonce(4)));
        assert!(!votes.nonce_used(&nonce(3)), "vote 3 was not revealed");
        // The latest revealed vote for (line 4, question 1), by bob.
        let last = (0..count).filter(|i| i % 10 == 9 && i % 7 != 3).max();
        let (index, signer) = votes.latest((4, 1)).expect("a vote counts");
        assert_eq!(
            (index, signer.as_str()),
            (10 + last.expect("one") as u64, "bob")
        );
        // The signers are interned: two persons for thousands of votes.
        assert_eq!(votes.signers.len(), 2);
    }

    #[test]
    fn a_packed_time_is_the_same_time() {
        let times = [
            Timestamp::parse("2026-11-23T04:30:00.123456789Z").expect("a time"),
            Timestamp::parse("1969-12-31T23:59:59.999999999Z").expect("before 1970"),
            Timestamp::parse("0000-01-01T00:00:00Z").expect("the first"),
            Timestamp::parse("9999-12-31T23:59:59.999999999Z").expect("the last"),
            Timestamp::from_unix(0, 0).expect("the epoch"),
        ];
        for time in times {
            assert_eq!(PackedTime::new(time).get(), time);
        }
    }

    #[test]
    fn a_logged_vote_stays_small() {
        // An open ballot may hold a million of these (docs/performance.md).
        assert!(std::mem::size_of::<LoggedVote>() <= 72);
    }
}
