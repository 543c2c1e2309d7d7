//! The entries of a ballot's life after its announcement: `ballot-cancelled`,
//! `roll`, `close`, `tally` and `notification`, each with its exact form
//! (`docs/formats.md` section 7).

use serde::{Deserialize, Serialize};

use crate::entry::Entry;
use crate::entry::codec::{self, Headers, Times, empty_body};
use crate::entry::codec::{FormatError, bad, parse_id, parse_word};
use crate::id::{BallotId, PersonId, QuestionId};
use crate::rules::Roll;
use crate::time::Timestamp;
use crate::tlog::Hash;

/// The entry type of a cancellation.
pub const CANCELLED_KIND: &str = "ballot-cancelled";
/// The entry type of a frozen roll.
pub const ROLL_KIND: &str = "roll";
/// The entry type of a ballot's close.
pub const CLOSE_KIND: &str = "close";
/// The entry type of a tally.
pub const TALLY_KIND: &str = "tally";
/// The entry type of a notification (the outbox record).
pub const NOTIFICATION_KIND: &str = "notification";

/// The version of the tally document's serialised form.
pub const TALLY_VERSION: u32 = 1;

/// Reads the single `ballot` header of an entry with an empty body
/// (`ballot-cancelled`, `close`).
pub fn ballot_only(entry: &Entry, kind: &'static str) -> Result<BallotId, FormatError> {
    let h = Headers::new(entry, &[("ballot", Times::One)])?;
    empty_body(entry, kind)?;
    parse_id("ballot", h.required("ballot")?)
}

/// The entry naming only a ballot: `ballot-cancelled` or `close`.
pub fn ballot_only_entry(kind: &'static str, time: Timestamp, ballot: &BallotId) -> Entry {
    Entry::new(kind, time).header("ballot", ballot)
}

/// The canonical JSON of a roll: `serde_json` compact output, members in
/// the struct's field order, organisations sorted by id as the rules sort
/// them. This is what the `roll` entry's hash names.
pub fn roll_document(roll: &Roll) -> Vec<u8> {
    serde_json::to_vec(roll).expect("invariant: a roll (ids, times, enums, bools) serialises")
}

/// The `roll` entry: the frozen, explained roll at the opening.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollRecord {
    /// The ballot opened.
    pub ballot: BallotId,
    /// SHA-256 of the canonical roll document.
    pub roll: Hash,
    /// The document itself, or `None` when it is stored beside the log
    /// because the entry would exceed 65 535 bytes (SPEC section 4).
    pub body: Option<Vec<u8>>,
}

impl RollRecord {
    /// The record of `document` at `time`: in the body if the entry fits,
    /// else named by its hash only.
    pub fn new(ballot: BallotId, document: Vec<u8>, time: Timestamp) -> Self {
        let roll = Hash::sha256(&document);
        let inline = Self {
            ballot: ballot.clone(),
            roll,
            body: Some(document),
        };
        if inline.to_entry(time).encode().is_ok() {
            inline
        } else {
            Self {
                ballot,
                roll,
                body: None,
            }
        }
    }

    /// The entry at `time`.
    pub fn to_entry(&self, time: Timestamp) -> Entry {
        Entry::new(ROLL_KIND, time)
            .header("ballot", &self.ballot)
            .header("roll", codec::hash_text(&self.roll))
            .body(self.body.clone().unwrap_or_default())
    }

    /// Reads a `roll` entry: a non-empty body must hash to the `roll`
    /// header; an empty body means the document is stored beside the log.
    /// That a document stored beside the log would not have fitted in the
    /// entry (one encoding per roll) is the fold's check, which has the
    /// document.
    pub fn from_entry(entry: &Entry) -> Result<Self, FormatError> {
        let h = Headers::new(entry, &[("ballot", Times::One), ("roll", Times::One)])?;
        let value = h.required("roll")?;
        let roll = codec::parse_hash("roll", value)?;
        let body = entry.body_bytes();
        if !body.is_empty() && Hash::sha256(body) != roll {
            return Err(bad(
                "roll",
                value,
                "the SHA-256 of the entry's body (the roll document)",
            ));
        }
        Ok(Self {
            ballot: parse_id("ballot", h.required("ballot")?)?,
            roll,
            body: (!body.is_empty()).then(|| body.to_vec()),
        })
    }
}

/// One question of a tally document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TallyQuestion {
    /// The question.
    pub question: QuestionId,
    /// Final votes for (`yes`, `assign`).
    pub in_favour: u64,
    /// Final votes against (`no`, `do-not-assign`).
    pub against: u64,
    /// Final abstentions (ETSI only).
    pub abstain: u64,
    /// Eligible organisations without a final vote.
    pub not_voted: u64,
    /// Eligible organisations on the roll.
    pub eligible: u64,
    /// The profile's outcome word: `approved`/`rejected` or
    /// `proceed`/`not-proceed`.
    pub outcome: String,
}

/// The body of a `tally` entry: the result per question and the notes
/// that counted, as canonical JSON (`serde_json` compact, field order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TallyDocument {
    /// [`TALLY_VERSION`].
    pub version: u32,
    /// The ballot.
    pub ballot: BallotId,
    /// `sha256:<hex>` of the roll document the tally counted against.
    pub roll: String,
    /// How many vote entries the ballot received (the turnout, SPEC 2.1
    /// item 9: visible, and not a count).
    pub votes: u64,
    /// One per question, in the ballot's order.
    pub questions: Vec<TallyQuestion>,
    /// `sha256:<hex>` of each counted vote note (the final vote of its
    /// organisation for its question), in log order.
    pub counted: Vec<String>,
}

impl TallyDocument {
    /// The canonical bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("invariant: a tally document serialises")
    }

    /// The `tally` entry at `time`: the document in its body when the
    /// entry fits, else named by its hash and stored beside the log
    /// ([`TallyRecord`]).
    pub fn to_entry(&self, time: Timestamp) -> Entry {
        TallyRecord::new(self, time).to_entry(time)
    }

    /// Reads the canonical JSON of a tally document for `ballot`.
    pub fn from_bytes(bytes: &[u8], ballot: &BallotId) -> Result<Self, FormatError> {
        let not_canonical = || FormatError::Body { kind: TALLY_KIND };
        let document: TallyDocument = serde_json::from_slice(bytes).map_err(|_| not_canonical())?;
        if document.to_bytes() != bytes || document.ballot != *ballot {
            return Err(not_canonical());
        }
        Ok(document)
    }

    /// Reads a `tally` entry whose document is in its body: the body must
    /// be the canonical JSON of a document for the ballot of the `ballot`
    /// header. A tally stored beside the log is read with
    /// [`TallyRecord::from_entry`] and the document.
    pub fn from_entry(entry: &Entry) -> Result<Self, FormatError> {
        let record = TallyRecord::from_entry(entry)?;
        let body = record.body.ok_or(FormatError::Body { kind: TALLY_KIND })?;
        Self::from_bytes(&body, &record.ballot)
    }
}

/// The `tally` entry: the tally document in the body, as in every log
/// since the first, or, when the entry would exceed 65 535 bytes (a ballot
/// of many questions, or of many organisations: the document lists every
/// counted note), named by a `tally` header and stored beside the log, as
/// a roll is. One encoding per tally: inline exactly when it fits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TallyRecord {
    /// The ballot tallied.
    pub ballot: BallotId,
    /// SHA-256 of the canonical tally document.
    pub tally: Hash,
    /// The document, or `None` when it is stored beside the log.
    pub body: Option<Vec<u8>>,
}

impl TallyRecord {
    /// The record of `document` at `time`: in the body if the entry fits.
    pub fn new(document: &TallyDocument, time: Timestamp) -> Self {
        let bytes = document.to_bytes();
        let inline = Self {
            ballot: document.ballot.clone(),
            tally: Hash::sha256(&bytes),
            body: Some(bytes),
        };
        if inline.to_entry(time).encode().is_ok() {
            inline
        } else {
            Self {
                body: None,
                ..inline
            }
        }
    }

    /// The entry at `time`: `ballot` and the document as its body, or
    /// `ballot`, `tally sha256:<hex>` and an empty body.
    pub fn to_entry(&self, time: Timestamp) -> Entry {
        let entry = Entry::new(TALLY_KIND, time).header("ballot", &self.ballot);
        match &self.body {
            Some(body) => entry.body(body.clone()),
            None => entry.header("tally", codec::hash_text(&self.tally)),
        }
    }

    /// Reads a `tally` entry: either a non-empty body (the document) and
    /// no `tally` header, or a `tally` header and an empty body. That a
    /// document stored beside the log would not have fitted (one encoding
    /// per tally) is the fold's check, which has the document.
    pub fn from_entry(entry: &Entry) -> Result<Self, FormatError> {
        let h = Headers::new(entry, &[("ballot", Times::One), ("tally", Times::Many)])?;
        let ballot: BallotId = parse_id("ballot", h.required("ballot")?)?;
        let named: Vec<&str> = entry
            .headers()
            .iter()
            .filter(|(n, _)| n == "tally")
            .map(|(_, v)| v.as_str())
            .collect();
        let body = entry.body_bytes();
        match (named.as_slice(), body.is_empty()) {
            ([], false) => Ok(Self {
                ballot,
                tally: Hash::sha256(body),
                body: Some(body.to_vec()),
            }),
            ([value], true) => Ok(Self {
                ballot,
                tally: codec::parse_hash("tally", value)?,
                body: None,
            }),
            _ => Err(FormatError::Body { kind: TALLY_KIND }),
        }
    }
}

/// Why a person is notified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NotificationReason {
    /// The person is on the membership list the ballot was announced to
    /// (Article 6.2).
    Announcement,
    /// A colleague's later vote superseded the person's vote (SPEC 2.1
    /// item 8).
    Superseded,
    /// An appeal against the chair's decision was filed: the chair in
    /// office is informed (SPEC 2.1 item 10).
    Appeal,
    /// A reviewer decided the person's appeal.
    Decision,
    /// While the ballot is announced or open, a person was registered for
    /// the person's organisation, or a key for one of its persons: whoever
    /// keeps the registry could vote with it, so the organisation's
    /// representatives are told (docs/threat-model.md, operator).
    RegistryChange,
    /// The ballot was cancelled before its opening: everybody the
    /// announcement went to is told (and their calendars drop the event).
    Cancellation,
    /// The ballot was tallied: the result goes to the membership list.
    Tally,
    /// The chair certified the tally: the membership list is told.
    Certification,
}

impl NotificationReason {
    /// The header text.
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationReason::Announcement => "announcement",
            NotificationReason::Superseded => "superseded",
            NotificationReason::Appeal => "appeal",
            NotificationReason::Decision => "decision",
            NotificationReason::RegistryChange => "registry-change",
            NotificationReason::Cancellation => "cancellation",
            NotificationReason::Tally => "tally",
            NotificationReason::Certification => "certification",
        }
    }

    /// Whether the notice is offered by the entry just before it rather
    /// than owed: the log is complete without it, since logs written
    /// before these notices have none ([`super::BallotBook::offer`]).
    pub fn is_offered(self) -> bool {
        matches!(
            self,
            NotificationReason::RegistryChange
                | NotificationReason::Cancellation
                | NotificationReason::Tally
                | NotificationReason::Certification
        )
    }
}

/// The `notification` entry: the outbox record of a message owed to a
/// person (delivery, by e-mail, is the server's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// The ballot concerned.
    pub ballot: BallotId,
    /// Who is notified.
    pub person: PersonId,
    /// Why.
    pub reason: NotificationReason,
}

impl Notification {
    /// The entry at `time`.
    pub fn to_entry(&self, time: Timestamp) -> Entry {
        Entry::new(NOTIFICATION_KIND, time)
            .header("ballot", &self.ballot)
            .header("person", &self.person)
            .header("reason", self.reason.as_str())
    }

    /// Reads a `notification` entry.
    pub fn from_entry(entry: &Entry) -> Result<Self, FormatError> {
        let h = Headers::new(
            entry,
            &[
                ("ballot", Times::One),
                ("person", Times::One),
                ("reason", Times::One),
            ],
        )?;
        empty_body(entry, NOTIFICATION_KIND)?;
        Ok(Self {
            ballot: parse_id("ballot", h.required("ballot")?)?,
            person: parse_id("person", h.required("person")?)?,
            reason: parse_word(
                "reason",
                h.required("reason")?,
                &[
                    NotificationReason::Announcement,
                    NotificationReason::Superseded,
                    NotificationReason::Appeal,
                    NotificationReason::Decision,
                    NotificationReason::RegistryChange,
                    NotificationReason::Cancellation,
                    NotificationReason::Tally,
                    NotificationReason::Certification,
                ],
                NotificationReason::as_str,
                "announcement|superseded|appeal|decision|registry-change|cancellation|tally|certification",
            )?,
        })
    }
}
