//! The chair's announcement of a ballot: a signed note, and the
//! `announcement` entry that logs it with the persons it went to.
//!
//! SPEC 2.1 item 6 (Article 6.2, deviation #5): a ballot is announced to
//! everybody on the group's membership list, and "the announcement (with
//! the list of persons it went to) is itself a log entry, so the notice
//! can be proven later". The chair signs what is announced, so that the
//! server cannot announce in the chair's name; the entry's time is the
//! announcement time from which the notice runs.
//!
//! ```text
//! scrutineer/announcement/v1
//! origin <log origin>
//! ballot <ballot id>
//! kind correspondence|meeting|consultation
//! meeting <meeting id>          (meeting votes only)
//! question <question id>        (one line per question, in order)
//! opens <time>                  (not for consultations)
//! closes <time>
//! meeting-start <time>          (consultations only)
//! ```

use std::collections::BTreeSet;

use crate::contexts::ANNOUNCEMENT_HEADER;
use crate::entry::Entry;
use crate::entry::codec::{self, Headers, Times};
use crate::entry::codec::{FormatError, parse_id, parse_time};
use crate::id::{BallotId, MeetingId, PersonId, QuestionId};
use crate::note::key::SigningKey;
use crate::note::signed::{Limits, Note};
use crate::rules::{Ballot, BallotKind};
use crate::time::Timestamp;
use crate::tlog::Hash;
use crate::tlog::checkpoint::Origin;

/// The entry type of an announcement.
pub const ANNOUNCEMENT_KIND: &str = "announcement";

/// The largest announcement note accepted: it shares the entry's 64 KiB
/// with the recipients, and a ballot's questions fit in far less.
pub const ANNOUNCEMENT_NOTE_MAX_BYTES: usize = 16 * 1024;

/// Why an announcement note is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnnouncementError {
    /// Not a well-formed announcement note; the text says what is wrong.
    #[error("malformed announcement: {0}")]
    Malformed(String),
}

/// What the chair announces: the text of the note, before signing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnouncementNote {
    /// The log the ballot runs in.
    pub origin: Origin,
    /// The ballot.
    pub ballot: BallotId,
    /// Its kind (with its meeting, or the study-group meeting's start).
    pub kind: BallotKind,
    /// Its questions, in order, at least one, no repeats.
    pub questions: Vec<QuestionId>,
    /// The first instant a vote counts; `None` for a consultation, which
    /// opens at the announcement (SPEC 2.2 item 6), whose time only the
    /// sequencer knows.
    pub opens: Option<Timestamp>,
    /// The first instant a vote no longer counts.
    pub closes: Timestamp,
}

fn time_text(t: Timestamp) -> String {
    t.to_rfc3339_micros()
}

impl AnnouncementNote {
    /// The note's text, exactly as `docs/formats.md` section 7 lays it out.
    pub fn text(&self) -> String {
        let mut text = format!(
            "{ANNOUNCEMENT_HEADER}\norigin {}\nballot {}\nkind {}\n",
            self.origin.as_str(),
            self.ballot,
            self.kind.tag().as_str()
        );
        if let BallotKind::Meeting { meeting } = &self.kind {
            text.push_str(&format!("meeting {meeting}\n"));
        }
        for question in &self.questions {
            text.push_str(&format!("question {question}\n"));
        }
        if let Some(opens) = self.opens {
            text.push_str(&format!("opens {}\n", time_text(opens)));
        }
        text.push_str(&format!("closes {}\n", time_text(self.closes)));
        if let BallotKind::Consultation { meeting_start } = &self.kind {
            text.push_str(&format!("meeting-start {}\n", time_text(*meeting_start)));
        }
        text
    }

    /// Signs the note with the chair's key (whose name is the chair's
    /// person id).
    pub fn sign(&self, key: &SigningKey) -> Result<Vec<u8>, AnnouncementError> {
        Note::sign(&self.text(), &[key])
            .map(String::into_bytes)
            .map_err(|e| AnnouncementError::Malformed(e.to_string()))
    }

    /// The ballot as the rules see it, announced at `announced` (the
    /// entry's time). A consultation opens at its announcement.
    pub fn to_ballot(&self, announced: Timestamp) -> Ballot {
        Ballot {
            id: self.ballot.clone(),
            kind: self.kind.clone(),
            questions: self.questions.clone(),
            announced,
            opens: self.opens.unwrap_or(announced),
            closes: self.closes,
        }
    }

    /// Parses the text of a note (without its signatures), strictly: the
    /// text must be exactly what [`Self::text`] writes.
    pub fn parse_text(text: &str) -> Result<Self, AnnouncementError> {
        let bad = |what: String| AnnouncementError::Malformed(what);
        // `split_terminator` would also accept a last line without its
        // newline, which `text` never writes (found by fuzzing).
        if !text.ends_with('\n') {
            return Err(bad("the text must end with a newline".into()));
        }
        let mut lines = text.split_terminator('\n').peekable();
        if lines.next() != Some(ANNOUNCEMENT_HEADER) {
            return Err(bad(format!("the first line must be {ANNOUNCEMENT_HEADER}")));
        }
        let mut field = |name: &str| -> Result<String, AnnouncementError> {
            lines
                .next_if(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
                .map(|l| l[name.len() + 1..].to_owned())
                .ok_or_else(|| bad(format!("expected the line \"{name} …\"")))
        };
        let origin = Origin::new(field("origin")?).map_err(|e| bad(format!("origin: {e}")))?;
        let ballot = BallotId::new(&field("ballot")?).map_err(|e| bad(format!("ballot: {e}")))?;
        let kind_word = field("kind")?;
        let meeting = match kind_word.as_str() {
            "meeting" => {
                Some(MeetingId::new(&field("meeting")?).map_err(|e| bad(format!("meeting: {e}")))?)
            }
            "correspondence" | "consultation" => None,
            other => return Err(bad(format!("kind {other:?} is not a ballot kind"))),
        };
        let mut questions = Vec::new();
        while let Ok(q) = field("question") {
            let q = QuestionId::new(&q).map_err(|e| bad(format!("question: {e}")))?;
            if questions.contains(&q) {
                return Err(bad(format!("question {q} is listed twice")));
            }
            questions.push(q);
        }
        if questions.is_empty() {
            return Err(bad("a ballot has at least one question".into()));
        }
        let mut time = |name: &'static str| -> Result<Timestamp, AnnouncementError> {
            parse_time(name, &field(name)?).map_err(|e| bad(e.to_string()))
        };
        let opens = match kind_word.as_str() {
            "consultation" => None,
            _ => Some(time("opens")?),
        };
        let closes = time("closes")?;
        let kind = match (kind_word.as_str(), meeting) {
            ("meeting", Some(meeting)) => BallotKind::Meeting { meeting },
            ("consultation", _) => BallotKind::Consultation {
                meeting_start: time("meeting-start")?,
            },
            _ => BallotKind::Correspondence,
        };
        if let Some(extra) = lines.next() {
            return Err(bad(format!("unexpected line {extra:?}")));
        }
        Ok(Self {
            origin,
            ballot,
            kind,
            questions,
            opens,
            closes,
        })
    }
}

/// A signed announcement, parsed but not yet verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedAnnouncement {
    /// What it announces (unauthenticated until verified).
    pub note: AnnouncementNote,
    /// The signed note, parsed.
    pub signed: Note,
    /// The exact bytes, which the entry's body carries.
    pub bytes: Vec<u8>,
}

impl SignedAnnouncement {
    /// Parses a signed announcement: a signed note with exactly one
    /// signature (the chair's), whose text is an announcement.
    pub fn parse(bytes: &[u8]) -> Result<Self, AnnouncementError> {
        let limits = Limits {
            max_bytes: ANNOUNCEMENT_NOTE_MAX_BYTES,
            max_signatures: 1,
        };
        let signed =
            Note::parse(bytes, limits).map_err(|e| AnnouncementError::Malformed(e.to_string()))?;
        if signed.signatures().len() != 1 {
            return Err(AnnouncementError::Malformed(
                "an announcement carries exactly one signature, the chair's".into(),
            ));
        }
        let note = AnnouncementNote::parse_text(signed.text())?;
        Ok(Self {
            note,
            signed,
            bytes: bytes.to_vec(),
        })
    }

    /// The person named by the signature line (the chair, if valid).
    pub fn signer(&self) -> Result<PersonId, AnnouncementError> {
        let name = self.signed.signatures()[0].name().as_str();
        PersonId::new(name)
            .map_err(|e| AnnouncementError::Malformed(format!("the signer is not a person: {e}")))
    }
}

/// The `announcement` entry: the signed note in the body, its hash and the
/// recipients (sorted by id) in the headers; or, when so many recipients
/// would make the entry exceed 65 535 bytes (a membership list of
/// thousands), a `recipients` header naming the recipients document
/// stored beside the log, as a roll too large for its entry is. One
/// encoding per announcement: listed exactly when the entry fits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnouncementRecord {
    /// The ballot announced (the note's `ballot` line).
    pub ballot: BallotId,
    /// SHA-256 of the signed note.
    pub note: Hash,
    /// The persons on the membership list it went to, sorted by id
    /// (empty, as read from an entry, until [`Self::resolve`] is given
    /// the document that `recipients_beside` names).
    pub recipients: BTreeSet<PersonId>,
    /// SHA-256 of the recipients document ([`recipients_document`]) when
    /// the list is stored beside the log; `None` when it is in the
    /// headers.
    pub recipients_beside: Option<Hash>,
    /// The signed note's bytes.
    pub body: Vec<u8>,
}

/// The recipients document: each person id followed by a line feed, in
/// id order.
pub fn recipients_document(recipients: &BTreeSet<PersonId>) -> Vec<u8> {
    let mut document = Vec::new();
    for person in recipients {
        document.extend_from_slice(person.as_str().as_bytes());
        document.push(b'\n');
    }
    document
}

impl AnnouncementRecord {
    /// The record of a signed announcement sent to `recipients`.
    pub fn new(signed: &SignedAnnouncement, recipients: BTreeSet<PersonId>) -> Self {
        let mut record = Self {
            ballot: signed.note.ballot.clone(),
            note: Hash::sha256(&signed.bytes),
            recipients,
            recipients_beside: None,
            body: signed.bytes.clone(),
        };
        // Every entry time has the same length, so whether the entry fits
        // does not depend on the time.
        if record.to_entry(Timestamp::UNIX_EPOCH).encode().is_err() {
            record.recipients_beside = Some(Hash::sha256(&recipients_document(&record.recipients)));
        }
        record
    }

    /// The recipients document to store beside the log, when the list is
    /// not in the entry.
    pub fn document_beside(&self) -> Option<Vec<u8>> {
        self.recipients_beside
            .map(|_| recipients_document(&self.recipients))
    }

    /// The entry at `time` (the announcement time).
    pub fn to_entry(&self, time: Timestamp) -> Entry {
        let mut entry = Entry::new(ANNOUNCEMENT_KIND, time)
            .header("ballot", &self.ballot)
            .header("note", codec::hash_text(&self.note));
        match &self.recipients_beside {
            Some(document) => entry = entry.header("recipients", codec::hash_text(document)),
            None => {
                for person in &self.recipients {
                    entry = entry.header("recipient", person);
                }
            }
        }
        entry.body(self.body.clone())
    }

    /// Fills the recipients from the document stored beside the log: it
    /// must be the one the entry names, ids sorted without repeats, each
    /// followed by a line feed.
    pub fn resolve(&mut self, document: &[u8]) -> Result<(), FormatError> {
        let Some(named) = self.recipients_beside else {
            return Ok(());
        };
        let malformed = || FormatError::BadValue {
            header: "recipients",
            value: codec::hash_text(&named),
            expected: "the SHA-256 of a recipients document (sorted person ids, one per line)",
        };
        if Hash::sha256(document) != named {
            return Err(malformed());
        }
        let text = std::str::from_utf8(document).map_err(|_| malformed())?;
        let mut recipients = BTreeSet::new();
        for line in text.split_inclusive('\n') {
            let id = line.strip_suffix('\n').ok_or_else(malformed)?;
            let person: PersonId = parse_id("recipients", id)?;
            if recipients.last().is_some_and(|last| *last >= person) {
                return Err(malformed());
            }
            recipients.insert(person);
        }
        self.recipients = recipients;
        Ok(())
    }

    /// Reads an `announcement` entry strictly: headers in order, recipients
    /// sorted without repeats (or one `recipients` header naming them
    /// beside the log), and the `note` hash naming the body.
    pub fn from_entry(entry: &Entry) -> Result<Self, FormatError> {
        let h = Headers::new(
            entry,
            &[
                ("ballot", Times::One),
                ("note", Times::One),
                ("recipient", Times::Many),
                ("recipients", Times::Many),
            ],
        )?;
        let note = codec::parse_hash("note", h.required("note")?)?;
        if Hash::sha256(entry.body_bytes()) != note {
            return Err(FormatError::BadValue {
                header: "note",
                value: h.required("note")?.to_owned(),
                expected: "the SHA-256 of the entry's body (the signed note)",
            });
        }
        let mut recipients = BTreeSet::new();
        for value in h.many("recipient") {
            let person: PersonId = parse_id("recipient", value)?;
            // Sorted and distinct: one encoding per set of recipients.
            if recipients.last().is_some_and(|last| *last >= person) {
                return Err(FormatError::OutOfOrder("recipient".into()));
            }
            recipients.insert(person);
        }
        let named: Vec<&str> = h.many("recipients").collect();
        let recipients_beside = match named.as_slice() {
            [] => None,
            [value] if recipients.is_empty() => Some(codec::parse_hash("recipients", value)?),
            _ => {
                return Err(FormatError::Exclusive("recipient", "recipients"));
            }
        };
        Ok(Self {
            ballot: parse_id("ballot", h.required("ballot")?)?,
            note,
            recipients,
            recipients_beside,
            body: entry.body_bytes().to_vec(),
        })
    }
}
