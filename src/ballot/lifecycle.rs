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

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, PoisonError};

use crate::ballot::appeal::{Against, Ruling};
use crate::id::{OrgId, PersonId, QuestionId};
use crate::rules::registry::RegistryView;
use crate::rules::{Ballot, Roll, Scheduled};
use crate::time::Timestamp;
use crate::tlog::Hash;

use super::logged_votes::{RevealedVote, Votes};
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
type LinesOf = (Arc<RegistryView>, Arc<[Option<usize>]>);

impl RollLines {
    /// The lines of `roll` for `registry`, computed once per registry
    /// view. The view is held, so its address is never another's.
    pub fn for_registry(&self, registry: &Arc<RegistryView>, roll: &Roll) -> Arc<[Option<usize>]> {
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
