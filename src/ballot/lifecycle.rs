//! A ballot's lifecycle: an enum whose transitions consume the old state
//! (STYLE.md, practice 2), so that a ballot cannot be both open and
//! cancelled, and what each state holds is what the next step needs.
//!
//! ```text
//! Announced ──roll──▶ Open ──close──▶ Closed ──tally──▶ Tallied
//!   │  ▲
//!   │  └─ announcement (re-announcement, restarts the notice)
//!   └──ballot-cancelled──▶ Cancelled
//! ```

use std::collections::{BTreeSet, HashMap};

use crate::id::{OrgId, PersonId, QuestionId};
use crate::rules::{AdmittedVote, Ballot, Roll, Scheduled};
use crate::time::Timestamp;
use crate::tlog::Hash;
use crate::vote::NONCE_LEN;

use super::records::TallyDocument;

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
}

/// A vote logged for an open ballot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedVote {
    /// Its log index.
    pub index: u64,
    /// The commitment: SHA-256 of the signed note.
    pub note: Hash,
    /// The entry's time.
    pub time: Timestamp,
    /// What the note says, once the fold has seen it; `None` while the
    /// note is not revealed (a replay before the close).
    pub revealed: Option<RevealedVote>,
}

/// What a revealed, admitted vote says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevealedVote {
    /// The signer.
    pub person: PersonId,
    /// The organisation voted for.
    pub organisation: OrgId,
    /// The question answered.
    pub question: QuestionId,
    /// The rules' admission, with the roll line and question position.
    pub admitted: AdmittedVote,
}

/// The votes of a ballot, in log order, with the indexes that decisions
/// need.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Votes {
    /// Every vote entry, in log order.
    pub list: Vec<LoggedVote>,
    /// Commitment → log index: a byte-identical resubmission gets the
    /// original entry back (SPEC section 4).
    pub by_note: HashMap<Hash, u64>,
    /// Nonce → commitment: a nonce reused with other bytes is `replay`.
    pub nonces: HashMap<[u8; NONCE_LEN], Hash>,
    /// (roll line, question) → the latest accepted vote's index and
    /// signer: the vote that counts so far (SPEC 2.1 item 8).
    pub latest: HashMap<(usize, usize), (u64, PersonId)>,
    /// How many vote entries have no revealed note.
    pub unrevealed: usize,
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
}

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
    /// The tally (consumes the closed ballot).
    pub fn tally(self, tally: TallyDocument) -> Tallied {
        Tallied {
            closed: self,
            tally,
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
    pub fn tally(&self) -> Option<&TallyDocument> {
        match self {
            Lifecycle::Tallied(t) => Some(&t.tally),
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
    /// Persons owed a "your vote was superseded by a colleague's" notice,
    /// with how many.
    pub superseded: std::collections::BTreeMap<PersonId, u32>,
}

/// One ballot of the book: its lifecycle and its outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackedBallot {
    /// Where it stands.
    pub lifecycle: Lifecycle,
    /// What it still owes.
    pub outbox: Outbox,
}
