//! A ballot's lifecycle: an enum whose transitions consume the old state
//! (STYLE.md, practice 2), so that a ballot cannot be both open and
//! cancelled, and what each state holds is what the next step needs.
//!
//! ```text
//! Announced ──roll──▶ Open ──close──▶ Closed ──tally──▶ Tallied ──certification──▶ Certified
//!   │  ▲
//!   │  └─ announcement (re-announcement, restarts the notice)
//!   └──ballot-cancelled──▶ Cancelled
//! ```

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex, PoisonError};

use crate::ballot::appeal::{Against, Ruling};
use crate::id::{OrgId, PersonId, QuestionId};
use crate::rules::registry::Registry;
use crate::rules::{AdmittedVote, Ballot, Choice, Roll, Scheduled};
use crate::time::Timestamp;
use crate::tlog::Hash;
use crate::vote::NONCE_LEN;

use super::records::{NotificationReason, TallyDocument};

/// A ballot announced and not yet opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announced {
    /// The ballot as the rules see it (`announced` is the entry's time).
    pub ballot: Ballot,
    /// The rules' scheduling token, as checked at the announcement; votes
    /// before the opening are judged with it (and refused).
    pub scheduled: Scheduled,
    /// SHA-256 of the chair's signed announcement.
    pub note: Hash,
    /// The log index of the (latest) announcement.
    pub index: u64,
    /// The persons it went to.
    pub recipients: BTreeSet<PersonId>,
    /// The organisations those persons represented at the announcement:
    /// those given notice (Article 6.2). Kept by the fold because the
    /// registry changes after the announcement.
    pub notified: BTreeSet<OrgId>,
    /// What is voted on, as the chair signed it (announcement version 2):
    /// the title, each question's text, the documents by SHA-256.
    pub subject: Option<std::sync::Arc<crate::ballot::announcement::Subject>>,
}

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

/// An open ballot: its roll is frozen and votes are accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Open {
    /// The announcement it opened from.
    pub announced: Announced,
    /// The scheduling token as checked at the opening (with the registry
    /// that preceded the roll entry).
    pub scheduled: Scheduled,
    /// The frozen, explained roll (SPEC 2.1 item 5).
    pub roll: Roll,
    /// SHA-256 of its canonical document.
    pub roll_hash: Hash,
    /// The roll entry's time.
    pub opened_at: Timestamp,
    /// The votes so far.
    pub votes: Votes,
    /// The roll's lines for the registry votes are judged against.
    pub roll_lines: RollLines,
    /// The admitted votes whose signer was registered for the
    /// organisation, or whose signing key was registered, after the
    /// announcement, by log index: what the secretariat (who keeps the
    /// registry) could have arranged, so the audit shows each one.
    pub late_signers: BTreeMap<u64, LateSigner>,
}

/// Why a vote's signer is shown as registered late: after the ballot's
/// announcement, the signer began representing the organisation, or the
/// key that signed was registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LateSigner {
    /// The signer's `person` entry for the organisation, at this time.
    Representative(Timestamp),
    /// The signing key's `key` entry, at this time.
    Key(Timestamp),
}

impl std::fmt::Display for LateSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Representative(t) => {
                write!(f, "who became the organisation's representative at {t}")
            }
            Self::Key(t) => write!(f, "with a key registered at {t}"),
        }
    }
}

impl Open {
    /// The organisation a revealed vote was cast for: its roll line's.
    pub fn organisation_of(&self, vote: &RevealedVote) -> &OrgId {
        &self.roll.organisations[vote.roll_line as usize].organisation
    }

    /// The question a revealed vote answers.
    pub fn question_of(&self, vote: &RevealedVote) -> &QuestionId {
        &self.announced.ballot.questions[vote.question as usize]
    }
}

/// Each registry organisation's line in an open ballot's roll
/// ([`crate::rules::roll_lines`]), kept for the registry view it was
/// computed against: every vote of the ballot is judged against the same
/// view until the registry changes, and computing them is linear in the
/// roll. A memo, not part of the ballot's value: equality and debug
/// output ignore it; clones share it (the roll never changes).
#[derive(Clone, Default)]
pub struct RollLines(Arc<Mutex<Option<LinesOf>>>);

/// A registry view and the roll's lines computed for it.
type LinesOf = (Arc<Registry>, Arc<[Option<usize>]>);

impl RollLines {
    /// The lines of `roll` for `registry`, computed once per registry
    /// view. The view is held, so its address is never another's.
    pub fn for_registry(&self, registry: &Arc<Registry>, roll: &Roll) -> Arc<[Option<usize>]> {
        let mut memo = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((known, lines)) = memo.as_ref()
            && Arc::ptr_eq(known, registry)
        {
            return Arc::clone(lines);
        }
        let lines: Arc<[Option<usize>]> = crate::rules::roll_lines(registry, roll).into();
        *memo = Some((Arc::clone(registry), Arc::clone(&lines)));
        lines
    }
}

memo_is_not_value!(RollLines, "RollLines");

/// A closed ballot: no vote may follow; the tally is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closed {
    /// The ballot as it was open.
    pub open: Open,
    /// The close entry's time.
    pub closed_at: Timestamp,
}

/// A tallied ballot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tallied {
    /// The ballot as it closed.
    pub closed: Closed,
    /// The logged tally.
    pub tally: TallyDocument,
    /// The tally entry's log index.
    pub index: u64,
}

/// The chair's certification of a tally, as logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certification {
    /// SHA-256 of the chair's signed note.
    pub note: Hash,
    /// The chair (or acting chair) who signed it.
    pub chair: PersonId,
    /// The size of the tree head it names (contains the tally).
    pub size: u64,
    /// The root hash it names for that size: checked against the tree by
    /// whoever holds it (the server before sequencing, the verifier).
    pub root: Hash,
    /// The certification entry's log index.
    pub index: u64,
    /// Its time.
    pub at: Timestamp,
}

/// A tallied ballot whose result the chair certified: from here on it
/// receives only appeals, decisions and notifications (SPEC 2.1 item 10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certified {
    /// The ballot as tallied.
    pub tallied: Tallied,
    /// The certification.
    pub certification: Certification,
}

/// A reviewer's decision on an appeal, as logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppealDecision {
    /// SHA-256 of the reviewer's signed note.
    pub note: Hash,
    /// The reviewer.
    pub reviewer: PersonId,
    /// Upheld or overturned.
    pub outcome: Ruling,
    /// The reasons, one string per line.
    pub reasons: Vec<String>,
    /// The decision entry's log index.
    pub index: u64,
    /// Its time.
    pub at: Timestamp,
}

/// An appeal against one of the chair's decisions on a ballot, as logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appeal {
    /// SHA-256 of the appellant's signed note: the appeal's name.
    pub note: Hash,
    /// The person who appealed.
    pub appellant: PersonId,
    /// The organisation that person represents.
    pub organisation: OrgId,
    /// The decision appealed.
    pub against: Against,
    /// The grounds, one string per line.
    pub grounds: Vec<String>,
    /// The appeal entry's log index.
    pub index: u64,
    /// Its time.
    pub at: Timestamp,
    /// The reviewer's decision, once logged.
    pub decision: Option<AppealDecision>,
}

/// A ballot cancelled before its opening.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cancelled {
    /// The announcement that was cancelled.
    pub announced: Announced,
    /// The cancellation's time.
    pub at: Timestamp,
}

/// Where a ballot stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lifecycle {
    /// Announced, waiting for its opening.
    Announced(Announced),
    /// Open for votes.
    Open(Open),
    /// Closed, waiting for its tally.
    Closed(Closed),
    /// Tallied.
    Tallied(Tallied),
    /// Tallied, and the tally certified by the chair.
    Certified(Certified),
    /// Cancelled before opening.
    Cancelled(Cancelled),
}

impl Announced {
    /// The opening: the roll is frozen (consumes the announcement).
    pub fn open(self, scheduled: Scheduled, roll: Roll, roll_hash: Hash, at: Timestamp) -> Open {
        Open {
            announced: self,
            scheduled,
            roll,
            roll_hash,
            opened_at: at,
            votes: Votes::default(),
            roll_lines: RollLines::default(),
            late_signers: BTreeMap::new(),
        }
    }

    /// The cancellation (consumes the announcement).
    pub fn cancel(self, at: Timestamp) -> Cancelled {
        Cancelled {
            announced: self,
            at,
        }
    }
}

impl Open {
    /// The close (consumes the open ballot).
    pub fn close(self, at: Timestamp) -> Closed {
        Closed {
            open: self,
            closed_at: at,
        }
    }
}

impl Closed {
    /// The tally logged at `index` (consumes the closed ballot).
    pub fn tally(self, tally: TallyDocument, index: u64) -> Tallied {
        Tallied {
            closed: self,
            tally,
            index,
        }
    }
}

impl Tallied {
    /// The certification (consumes the tallied ballot).
    pub fn certify(self, certification: Certification) -> Certified {
        Certified {
            tallied: self,
            certification,
        }
    }
}

impl Lifecycle {
    /// The state's name, as in refusals and `docs/formats.md`.
    pub fn state(&self) -> &'static str {
        match self {
            Lifecycle::Announced(_) => "announced",
            Lifecycle::Open(_) => "open",
            Lifecycle::Closed(_) => "closed",
            Lifecycle::Tallied(_) => "tallied",
            Lifecycle::Certified(_) => "certified",
            Lifecycle::Cancelled(_) => "cancelled",
        }
    }

    /// The announcement, in every state.
    pub fn announced(&self) -> &Announced {
        match self {
            Lifecycle::Announced(a) => a,
            Lifecycle::Open(o) => &o.announced,
            Lifecycle::Closed(c) => &c.open.announced,
            Lifecycle::Tallied(t) => &t.closed.open.announced,
            Lifecycle::Certified(c) => &c.tallied.closed.open.announced,
            Lifecycle::Cancelled(c) => &c.announced,
        }
    }

    /// The ballot as the rules see it.
    pub fn ballot(&self) -> &Ballot {
        &self.announced().ballot
    }

    /// The open ballot's data, once opened (open, closed or tallied).
    pub fn opened(&self) -> Option<&Open> {
        match self {
            Lifecycle::Open(o) => Some(o),
            Lifecycle::Closed(c) => Some(&c.open),
            Lifecycle::Tallied(t) => Some(&t.closed.open),
            Lifecycle::Certified(c) => Some(&c.tallied.closed.open),
            Lifecycle::Announced(_) | Lifecycle::Cancelled(_) => None,
        }
    }

    /// The frozen roll, once opened.
    pub fn roll(&self) -> Option<&Roll> {
        self.opened().map(|o| &o.roll)
    }

    /// The votes, once opened.
    pub fn votes(&self) -> Option<&Votes> {
        self.opened().map(|o| &o.votes)
    }

    /// The logged tally, once tallied.
    pub fn tallied(&self) -> Option<&Tallied> {
        match self {
            Lifecycle::Tallied(t) => Some(t),
            Lifecycle::Certified(c) => Some(&c.tallied),
            _ => None,
        }
    }

    /// The logged tally document, once tallied.
    pub fn tally(&self) -> Option<&TallyDocument> {
        self.tallied().map(|t| &t.tally)
    }

    /// Whether the ballot's votes are revealed: closed, tallied or
    /// certified (SPEC section 4).
    pub fn revealed(&self) -> bool {
        matches!(
            self,
            Lifecycle::Closed(_) | Lifecycle::Tallied(_) | Lifecycle::Certified(_)
        )
    }

    /// The chair's certification, once certified.
    pub fn certification(&self) -> Option<&Certification> {
        match self {
            Lifecycle::Certified(c) => Some(&c.certification),
            _ => None,
        }
    }
}

/// The notifications a ballot owes (the outbox the `notification` entries
/// drain).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outbox {
    /// Recipients of the current announcement not yet notified.
    pub announcement: BTreeSet<PersonId>,
    /// The other notices owed (a vote superseded by a colleague's, an
    /// appeal to the chair, a decision to the appellant), with how many.
    pub owed: BTreeMap<(NotificationReason, PersonId), u32>,
    /// The `superseded` notices of the votes so far, owed at the close: a
    /// notice logged beside the vote would tell every reader which
    /// organisation voted again before the close, and SPEC section 4
    /// lets the log show only the turnout until then.
    pub at_close: BTreeMap<PersonId, u32>,
}

impl Outbox {
    /// One more `reason` notice owed to `person`.
    pub fn owe(&mut self, reason: NotificationReason, person: PersonId) {
        *self.owed.entry((reason, person)).or_insert(0) += 1;
    }

    /// The close: the `superseded` notices held until now are owed.
    pub fn close(&mut self) {
        for (person, count) in std::mem::take(&mut self.at_close) {
            *self
                .owed
                .entry((NotificationReason::Superseded, person))
                .or_insert(0) += count;
        }
    }
}

/// One ballot of the book: its lifecycle, its outbox and its appeals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackedBallot {
    /// Where it stands.
    pub lifecycle: Lifecycle,
    /// What it still owes.
    pub outbox: Outbox,
    /// The appeals against the chair's decisions on it, in log order.
    pub appeals: Vec<Appeal>,
}

impl TrackedBallot {
    /// Whether a reviewer overturned the chair's decision `against`.
    pub fn overturned(&self, against: Against) -> bool {
        self.appeals.iter().any(|a| {
            a.against == against
                && a.decision
                    .as_ref()
                    .is_some_and(|d| d.outcome == Ruling::Overturned)
        })
    }

    /// Whether the ballot's result is annulled: its announcement or its
    /// certification was overturned on appeal (a new ballot is needed).
    pub fn annulled(&self) -> bool {
        self.overturned(Against::Announcement) || self.overturned(Against::Certification)
    }
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
