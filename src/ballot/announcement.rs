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
//! Version 2 also says what is voted on: a title, each question's text,
//! and the documents, each named by SHA-256 with its size, media type and
//! file name, stored beside the log. The chair signs all of it, so every
//! vote, bound to its ballot and question, is bound to exactly those
//! bytes. Version 1 notes, which name questions by id only, stay valid.
//!
//! ```text
//! scrutineer/announcement/v2            (or v1: no title, text or document)
//! origin <log origin>
//! ballot <ballot id>
//! title <text>                          (v2)
//! kind correspondence|meeting|consultation
//! meeting <meeting id>                  (meeting votes only)
//! question <question id> <text>         (one line per question, in order; v1: the id only)
//! document sha256:<hex> <size> <media type> <file name>   (v2, zero or more)
//! opens <time>                          (not for consultations)
//! closes <time>
//! meeting-start <time>                  (consultations only)
//! ```

use std::collections::BTreeSet;

use crate::contexts::{ANNOUNCEMENT_HEADER, ANNOUNCEMENT_V2_HEADER};
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
    /// What is voted on (version 2); `None` for a version 1 note, which
    /// names its questions by id only.
    pub subject: Option<Subject>,
}

/// What a ballot is about, as the chair signs it (announcement version 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// The ballot's title, e.g. "Approval of GS ETI 001 V1.1.1".
    pub title: String,
    /// Each question's text, in the order of the note's questions (one per
    /// question).
    pub questions: Vec<String>,
    /// The documents voted on, in the order the chair lists them.
    pub documents: Vec<DocumentRef>,
}

/// A document voted on, named by its SHA-256 and stored beside the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRef {
    /// SHA-256 of its bytes.
    pub sha256: Hash,
    /// Its length in bytes.
    pub size: u64,
    /// Its media type (`type/subtype`, lowercase), e.g. `application/pdf`.
    pub media_type: String,
    /// The file name it is offered under.
    pub file_name: String,
}

/// The longest title, in characters.
pub const TITLE_MAX_CHARS: usize = 300;
/// The longest question text, in characters (an ITU-T draft
/// Recommendation's title and summary fit).
pub const QUESTION_TEXT_MAX_CHARS: usize = 2000;
/// The longest file name, in bytes.
pub const FILE_NAME_MAX_BYTES: usize = 255;
/// The most documents one ballot names.
pub const DOCUMENTS_MAX: usize = 64;
/// The largest document voted on, in bytes.
pub const DOCUMENT_MAX_BYTES: u64 = 16 * 1024 * 1024;

/// Checks free text on one line: not empty, no leading or trailing space,
/// at most `max` characters (control characters are refused by the note
/// itself).
fn check_line_text(what: &str, text: &str, max: usize) -> Result<(), String> {
    if text.is_empty() {
        return Err(format!("the {what} is empty"));
    }
    if text.trim() != text {
        return Err(format!("the {what} starts or ends with a space"));
    }
    if text.chars().any(char::is_control) {
        return Err(format!("the {what} contains a control character"));
    }
    let chars = text.chars().count();
    if chars > max {
        return Err(format!(
            "the {what} has {chars} characters, more than {max}"
        ));
    }
    Ok(())
}

/// Checks a media type: `type/subtype`, each a lowercase token
/// (RFC 6838 section 4.2, restricted to lowercase so one spelling exists).
fn check_media_type(media_type: &str) -> Result<(), String> {
    let token = |t: &str| {
        !t.is_empty()
            && t.len() <= 127
            && t.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"!#$&-^_.+".contains(&b))
    };
    match media_type.split_once('/') {
        Some((kind, subtype)) if token(kind) && token(subtype) => Ok(()),
        _ => Err(format!(
            "media type {media_type:?} is not \"type/subtype\" in lowercase"
        )),
    }
}

/// Checks a file name: a name, not a path (no `/` or `\\`, not `.` or
/// `..`), at most [`FILE_NAME_MAX_BYTES`], one line of text.
fn check_file_name(name: &str) -> Result<(), String> {
    check_line_text("file name", name, FILE_NAME_MAX_BYTES)?;
    if name.len() > FILE_NAME_MAX_BYTES {
        return Err(format!(
            "the file name has {} bytes, more than {FILE_NAME_MAX_BYTES}",
            name.len()
        ));
    }
    if name.contains(['/', '\\']) || name == "." || name == ".." {
        return Err(format!("file name {name:?} is a path, not a name"));
    }
    Ok(())
}

impl DocumentRef {
    /// The reference to `bytes` under `file_name` with `media_type`.
    pub fn of(bytes: &[u8], media_type: &str, file_name: &str) -> Self {
        Self {
            sha256: Hash::sha256(bytes),
            size: bytes.len() as u64,
            media_type: media_type.to_owned(),
            file_name: file_name.to_owned(),
        }
    }

    /// Checks the reference's fields.
    pub fn check(&self) -> Result<(), String> {
        if self.size > DOCUMENT_MAX_BYTES {
            return Err(format!(
                "document {} has {} bytes, more than {DOCUMENT_MAX_BYTES}",
                self.file_name, self.size
            ));
        }
        check_media_type(&self.media_type)?;
        check_file_name(&self.file_name)
    }

    fn line(&self) -> String {
        format!("document {}\n", self.value())
    }

    /// The value of its `document` line, as [`DocumentRef::parse_line`]
    /// reads it.
    pub fn value(&self) -> String {
        format!(
            "{} {} {} {}",
            codec::hash_text(&self.sha256),
            self.size,
            self.media_type,
            self.file_name
        )
    }

    /// Reads the value of a note's `document` line (what follows the
    /// word `document`): `sha256:<hex> <size> <media type> <file name>`,
    /// checked as [`DocumentRef::check`] checks it. The web page's draft
    /// carries its documents in this form.
    pub fn parse_line(value: &str) -> Result<Self, String> {
        let mut parts = value.splitn(4, ' ');
        let (Some(hash), Some(size), Some(media_type), Some(file_name)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(format!(
                "document {value:?}: expected sha256:<hex> <size> <media type> <file name>"
            ));
        };
        let sha256 = codec::parse_hash("document", hash).map_err(|e| e.to_string())?;
        let size = size
            .parse::<u64>()
            .ok()
            .filter(|n| n.to_string() == size)
            .ok_or_else(|| format!("document size {size:?} is not a decimal number"))?;
        let document = Self {
            sha256,
            size,
            media_type: media_type.to_owned(),
            file_name: file_name.to_owned(),
        };
        document.check()?;
        Ok(document)
    }
}

impl Subject {
    /// Checks the subject against the note's questions.
    fn check(&self, questions: &[QuestionId]) -> Result<(), String> {
        check_line_text("title", &self.title, TITLE_MAX_CHARS)?;
        if self.questions.len() != questions.len() {
            return Err(format!(
                "{} question texts for {} questions",
                self.questions.len(),
                questions.len()
            ));
        }
        for (id, text) in questions.iter().zip(&self.questions) {
            check_line_text(
                &format!("text of question {id}"),
                text,
                QUESTION_TEXT_MAX_CHARS,
            )?;
        }
        if self.documents.len() > DOCUMENTS_MAX {
            return Err(format!(
                "{} documents, more than {DOCUMENTS_MAX}",
                self.documents.len()
            ));
        }
        let mut seen = BTreeSet::new();
        for document in &self.documents {
            document.check()?;
            if !seen.insert(document.sha256) {
                return Err(format!(
                    "document {} is listed twice",
                    codec::hash_text(&document.sha256)
                ));
            }
        }
        Ok(())
    }
}

fn time_text(t: Timestamp) -> String {
    t.to_rfc3339_micros()
}

impl AnnouncementNote {
    /// The note's text, exactly as `docs/formats.md` section 7 lays it out.
    pub fn text(&self) -> String {
        let header = match self.subject {
            Some(_) => ANNOUNCEMENT_V2_HEADER,
            None => ANNOUNCEMENT_HEADER,
        };
        let mut text = format!(
            "{header}\norigin {}\nballot {}\n",
            self.origin.as_str(),
            self.ballot,
        );
        if let Some(subject) = &self.subject {
            text.push_str(&format!("title {}\n", subject.title));
        }
        text.push_str(&format!("kind {}\n", self.kind.tag().as_str()));
        if let BallotKind::Meeting { meeting } = &self.kind {
            text.push_str(&format!("meeting {meeting}\n"));
        }
        match &self.subject {
            Some(subject) => {
                for (question, words) in self.questions.iter().zip(&subject.questions) {
                    text.push_str(&format!("question {question} {words}\n"));
                }
                for document in &subject.documents {
                    text.push_str(&document.line());
                }
            }
            None => {
                for question in &self.questions {
                    text.push_str(&format!("question {question}\n"));
                }
            }
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
        if let Some(subject) = &self.subject {
            subject
                .check(&self.questions)
                .map_err(AnnouncementError::Malformed)?;
        }
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
        let v2 = match lines.next() {
            Some(ANNOUNCEMENT_HEADER) => false,
            Some(ANNOUNCEMENT_V2_HEADER) => true,
            _ => {
                return Err(bad(format!(
                    "the first line must be {ANNOUNCEMENT_V2_HEADER} or {ANNOUNCEMENT_HEADER}"
                )));
            }
        };
        let mut field = |name: &str| -> Result<String, AnnouncementError> {
            lines
                .next_if(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
                .map(|l| l[name.len() + 1..].to_owned())
                .ok_or_else(|| bad(format!("expected the line \"{name} …\"")))
        };
        let origin = Origin::new(field("origin")?).map_err(|e| bad(format!("origin: {e}")))?;
        let ballot = BallotId::new(&field("ballot")?).map_err(|e| bad(format!("ballot: {e}")))?;
        let title = if v2 { Some(field("title")?) } else { None };
        let kind_word = field("kind")?;
        let meeting = match kind_word.as_str() {
            "meeting" => {
                Some(MeetingId::new(&field("meeting")?).map_err(|e| bad(format!("meeting: {e}")))?)
            }
            "correspondence" | "consultation" => None,
            other => return Err(bad(format!("kind {other:?} is not a ballot kind"))),
        };
        let mut questions = Vec::new();
        let mut texts = Vec::new();
        while let Ok(line) = field("question") {
            let (id, words) = match (v2, line.split_once(' ')) {
                (true, Some((id, words))) => (id, Some(words)),
                (true, None) => {
                    return Err(bad(format!(
                        "question {line:?}: expected \"question <id> <text>\""
                    )));
                }
                (false, _) => (line.as_str(), None),
            };
            let q = QuestionId::new(id).map_err(|e| bad(format!("question: {e}")))?;
            if questions.contains(&q) {
                return Err(bad(format!("question {q} is listed twice")));
            }
            questions.push(q);
            texts.extend(words.map(str::to_owned));
        }
        if questions.is_empty() {
            return Err(bad("a ballot has at least one question".into()));
        }
        let mut documents = Vec::new();
        if v2 {
            while let Ok(line) = field("document") {
                documents.push(DocumentRef::parse_line(&line).map_err(bad)?);
            }
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
        let subject = title.map(|title| Subject {
            title,
            questions: texts,
            documents,
        });
        if let Some(subject) = &subject {
            subject.check(&questions).map_err(bad)?;
        }
        Ok(Self {
            origin,
            ballot,
            kind,
            questions,
            opens,
            closes,
            subject,
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
