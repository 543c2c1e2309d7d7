//! What the chair's certification, an appeal and a reviewer's decision
//! share: a signed note with exactly one signature, whose key name is the
//! signing person's id, whose text is lines `<name> <value>` after a
//! first line naming the statement; and the entry that logs it (the
//! `ballot` and `note sha256:` headers, the signed note as the body).
//!
//! ```text
//! scrutineer/entry/v1
//! type certification|appeal|appeal-decision
//! time <time>
//! ballot <ballot id>
//! note sha256:<hex of the body>
//!
//! <the signed note>
//! ```

use std::iter::Peekable;
use std::str::SplitTerminator;

use crate::entry::Entry;
use crate::entry::codec::{self, Headers, Times};
use crate::entry::codec::{FormatError, parse_id};
use crate::id::{BallotId, PersonId};
use crate::note::signed::{Limits, Note};
use crate::registry::GroupState;
use crate::time::Timestamp;
use crate::tlog::Hash;

/// The largest certification, appeal or decision note accepted: it shares
/// the entry's 64 KiB with nothing else, and leaves room for the grounds
/// or reasons of an appeal, which are a summary (a longer brief is sent
/// to the reviewer outside the log and named in it).
pub const STATEMENT_NOTE_MAX_BYTES: usize = 32 * 1024;

/// The lines of a statement's text after its first line, read in order.
pub(crate) struct TextLines<'t> {
    lines: Peekable<SplitTerminator<'t, char>>,
}

impl<'t> TextLines<'t> {
    /// The lines of `text` after its first line, which must be `header`.
    pub(crate) fn new(text: &'t str, header: &str) -> Result<Self, String> {
        // `split_terminator` would also accept a last line without its
        // newline, which no writer produces.
        if !text.ends_with('\n') {
            return Err("the text must end with a newline".into());
        }
        let mut lines = text.split_terminator('\n').peekable();
        if lines.next() != Some(header) {
            return Err(format!("the first line must be {header}"));
        }
        Ok(Self { lines })
    }

    /// The value of the next line, which must be `<name> <value>`.
    pub(crate) fn field(&mut self, name: &str) -> Result<&'t str, String> {
        self.lines
            .next_if(|l| l.strip_prefix(name).is_some_and(|r| r.starts_with(' ')))
            .map(|l| &l[name.len() + 1..])
            .ok_or_else(|| format!("expected the line \"{name} …\""))
    }

    /// The values of the consecutive lines `<name> <value>` from here.
    pub(crate) fn repeated(&mut self, name: &str) -> Vec<&'t str> {
        let mut values = Vec::new();
        while let Ok(value) = self.field(name) {
            values.push(value);
        }
        values
    }

    /// Refuses any line left.
    pub(crate) fn end(mut self) -> Result<(), String> {
        match self.lines.next() {
            Some(extra) => Err(format!("unexpected line {extra:?}")),
            None => Ok(()),
        }
    }
}

/// Free text written as repeated lines (`grounds`, `reasons`): at least
/// one, and not all blank.
pub(crate) fn text_lines(name: &str, values: Vec<&str>) -> Result<Vec<String>, String> {
    if values.iter().all(|v| v.trim().is_empty()) {
        return Err(format!(
            "at least one non-blank \"{name} …\" line is needed"
        ));
    }
    Ok(values.into_iter().map(str::to_owned).collect())
}

/// Writes free text as repeated `<name> <line>` lines (the inverse of
/// [`text_lines`]); `\r` and other control characters are left for the
/// note's own checks to refuse.
pub(crate) fn write_text_lines(out: &mut String, name: &str, lines: &[String]) {
    for line in lines {
        out.push_str(name);
        out.push(' ');
        out.push_str(line);
        out.push('\n');
    }
}

/// Splits free text into the lines a statement carries: one per line of
/// the text, trailing blank lines dropped.
pub fn split_free_text(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    while lines.last().is_some_and(|l| l.trim().is_empty()) {
        lines.pop();
    }
    lines
}

/// A signed statement, parsed but not yet verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedStatement {
    /// The signed note, parsed.
    pub signed: Note,
    /// The person named by the signature line.
    pub signer: PersonId,
    /// The exact bytes, which the entry's body carries.
    pub bytes: Vec<u8>,
}

impl SignedStatement {
    /// Parses a signed note with exactly one signature whose key name is
    /// a person id.
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        let limits = Limits {
            max_bytes: STATEMENT_NOTE_MAX_BYTES,
            max_signatures: 1,
        };
        let signed = Note::parse(bytes, limits).map_err(|e| e.to_string())?;
        if signed.signatures().len() != 1 {
            return Err("the note carries exactly one signature, its author's".into());
        }
        let name = signed.signatures()[0].name().as_str();
        let signer = PersonId::new(name).map_err(|e| format!("the signer is not a person: {e}"))?;
        Ok(Self {
            signed,
            signer,
            bytes: bytes.to_vec(),
        })
    }

    /// SHA-256 of the bytes: the statement's name in the log.
    pub fn hash(&self) -> Hash {
        Hash::sha256(&self.bytes)
    }
}

/// Why a person's signature on a note is not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SignatureFailure {
    /// No key of the signature's id is registered to the person, or the
    /// signature does not verify strictly under it.
    BadSignature,
    /// The key verifies but is not valid at the time (revoked, or added
    /// later).
    KeyRevoked,
}

/// Checks the single signature of `note` as `signer`'s, made at `time`,
/// with the keys the registry holds for that person (strict verification).
pub(crate) fn verify_signer(
    registry: &GroupState,
    note: &Note,
    signer: &PersonId,
    time: Timestamp,
) -> Result<(), SignatureFailure> {
    let signature = &note.signatures()[0];
    let key = registry
        .keys_of(signer.as_str())
        .iter()
        .find(|k| k.key.id() == signature.id())
        .ok_or(SignatureFailure::BadSignature)?;
    note.clone()
        .verify(std::slice::from_ref(&key.key))
        .map_err(|_| SignatureFailure::BadSignature)?;
    if !key.valid_at(time) {
        return Err(SignatureFailure::KeyRevoked);
    }
    Ok(())
}

/// The entry of a signed statement: its ballot, the note's hash, the note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementRecord {
    /// The ballot concerned.
    pub ballot: BallotId,
    /// SHA-256 of the signed note.
    pub note: Hash,
    /// The signed note's bytes.
    pub body: Vec<u8>,
}

impl StatementRecord {
    /// The record of `bytes` about `ballot`.
    pub fn new(ballot: BallotId, bytes: Vec<u8>) -> Self {
        Self {
            ballot,
            note: Hash::sha256(&bytes),
            body: bytes,
        }
    }

    /// The entry of type `kind` at `time`.
    pub fn to_entry(&self, kind: &'static str, time: Timestamp) -> Entry {
        Entry::new(kind, time)
            .header("ballot", &self.ballot)
            .header("note", codec::hash_text(&self.note))
            .body(self.body.clone())
    }

    /// Reads a statement entry strictly: headers in order, and the `note`
    /// hash naming the (non-empty) body.
    pub fn from_entry(entry: &Entry) -> Result<Self, FormatError> {
        let h = Headers::new(entry, &[("ballot", Times::One), ("note", Times::One)])?;
        let value = h.required("note")?;
        let note = codec::parse_hash("note", value)?;
        if Hash::sha256(entry.body_bytes()) != note || entry.body_bytes().is_empty() {
            return Err(FormatError::BadValue {
                header: "note",
                value: value.to_owned(),
                expected: "the SHA-256 of the entry's body (the signed note)",
            });
        }
        Ok(Self {
            ballot: parse_id("ballot", h.required("ballot")?)?,
            note,
            body: entry.body_bytes().to_vec(),
        })
    }
}
