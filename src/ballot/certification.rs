//! The chair's certification of a tally (SPEC 2.1 item 10, deviation #6):
//! a signed note binding the ballot, a tree head of the log that contains
//! the tally, the frozen roll, the tally document, and each question's
//! counts and outcome, so that what the chair signed can be checked against
//! the log by anyone holding it.
//!
//! ```text
//! scrutineer/certification/v1
//! origin <log origin>
//! ballot <ballot id>
//! checkpoint <tree size> <base64 of the root hash>
//! roll sha256:<hex of the roll document>
//! tally sha256:<hex of the tally document>
//! question <id> <outcome> in-favour <n> against <n> abstain <n> not-voted <n> eligible <n>
//! ```
//!
//! One `question` line per question of the tally, in its order.

use crate::ballot::records::{TallyDocument, TallyQuestion};
use crate::ballot::statement::{STATEMENT_NOTE_MAX_BYTES, TextLines};
use crate::contexts::CERTIFICATION_HEADER;
use crate::entry::codec::{hash_text, parse_hash};
use crate::id::{BallotId, QuestionId};
use crate::note::key::SigningKey;
use crate::note::signed::Note;
use crate::tlog::Hash;
use crate::tlog::checkpoint::Origin;

/// The entry type of a certification.
pub const CERTIFICATION_KIND: &str = "certification";

/// The root hash of the log's tree at a size, as far as a reader knows
/// it: how the tree head a certification names is checked, by the server
/// against its storage and by the verifier against the verified tree.
pub trait RootAt {
    /// The root of the tree of the log's first `size` entries; `None` if
    /// the reader does not hold that tree.
    fn root_at(&self, size: u64) -> Option<Hash>;
}

/// Every stored-hash reader knows the roots of the trees it holds.
impl<R: crate::tlog::tree::HashReader> RootAt for R {
    fn root_at(&self, size: u64) -> Option<Hash> {
        if size == 0 {
            return None;
        }
        crate::tlog::tree::tree_hash(crate::tlog::TreeSize::new(size), self).ok()
    }
}

/// The one root a reader holds: the root at `size` read ahead of a
/// decision (the server reads it from storage before the sequencer's turn;
/// a committed tree's root never changes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownRoot {
    /// The tree size.
    pub size: u64,
    /// Its root, if the log had that many entries.
    pub root: Option<Hash>,
}

impl RootAt for KnownRoot {
    fn root_at(&self, size: u64) -> Option<Hash> {
        self.root.filter(|_| size == self.size)
    }
}

/// SPEC 2.1 item 10: the certification binds the log as it stood, so the
/// root it names for its size must be the log's root at that size.
pub fn check_certified_root(
    size: u64,
    named: &Hash,
    roots: &dyn RootAt,
) -> Result<(), crate::ballot::StatementRefusal> {
    if roots.root_at(size).as_ref() == Some(named) {
        Ok(())
    } else {
        Err(crate::ballot::StatementRefusal::CheckpointMismatch { size })
    }
}

/// The bytes a certification note's one signature adds to its text at
/// most: the blank line, the em dash and space, a key name (a person id,
/// at most [`crate::id::MAX_ID_LEN`] bytes), a space, the base64 of the
/// key id and signature (68 bytes, 92 characters) and the line feed.
const SIGNATURE_MAX_BYTES: usize = 1 + 4 + crate::id::MAX_ID_LEN + 1 + 92 + 1;

/// Whether the certification of a ballot of `origin` with these
/// questions fits a statement note ([`STATEMENT_NOTE_MAX_BYTES`])
/// whatever its counts and outcomes: checked at the announcement, so that
/// no ballot is announced whose result could never be certified.
pub fn certification_fits(origin: &Origin, ballot: &BallotId, questions: &[QuestionId]) -> bool {
    let worst = CertificationNote {
        origin: origin.clone(),
        ballot: ballot.clone(),
        size: u64::MAX,
        root: Hash::sha256(b""),
        roll: Hash::sha256(b""),
        tally: Hash::sha256(b""),
        questions: questions
            .iter()
            .map(|question| TallyQuestion {
                question: question.clone(),
                in_favour: u64::MAX,
                against: u64::MAX,
                abstain: u64::MAX,
                not_voted: u64::MAX,
                eligible: u64::MAX,
                // The longest outcome word of either profile.
                outcome: "not-proceed".to_owned(),
            })
            .collect(),
    };
    worst.text().len() + SIGNATURE_MAX_BYTES <= STATEMENT_NOTE_MAX_BYTES
}

/// What the chair certifies: the text of the note, before signing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificationNote {
    /// The ballot's log.
    pub origin: Origin,
    /// The ballot.
    pub ballot: BallotId,
    /// The size of the tree head certified: it contains the tally entry
    /// and precedes the certification.
    pub size: u64,
    /// The root hash of the tree of that size.
    pub root: Hash,
    /// SHA-256 of the frozen roll document.
    pub roll: Hash,
    /// SHA-256 of the tally document (the tally entry's body).
    pub tally: Hash,
    /// Each question's counts and outcome, in the tally's order.
    pub questions: Vec<TallyQuestion>,
}

impl CertificationNote {
    /// The note certifying `tally` (a tally document of the log `origin`)
    /// at the tree head (`size`, `root`).
    pub fn from_tally(
        origin: Origin,
        tally: &TallyDocument,
        size: u64,
        root: Hash,
    ) -> Result<Self, String> {
        Ok(Self {
            origin,
            ballot: tally.ballot.clone(),
            size,
            root,
            roll: parse_hash("roll", &tally.roll).map_err(|e| e.to_string())?,
            tally: Hash::sha256(&tally.to_bytes()),
            questions: tally.questions.clone(),
        })
    }

    /// The note's text, exactly as `docs/formats.md` section 7.11 lays it
    /// out.
    pub fn text(&self) -> String {
        let mut text = format!(
            "{CERTIFICATION_HEADER}\norigin {}\nballot {}\ncheckpoint {} {}\nroll {}\ntally {}\n",
            self.origin.as_str(),
            self.ballot,
            self.size,
            self.root.to_base64(),
            hash_text(&self.roll),
            hash_text(&self.tally),
        );
        for q in &self.questions {
            text.push_str(&format!(
                "question {} {} in-favour {} against {} abstain {} not-voted {} eligible {}\n",
                q.question, q.outcome, q.in_favour, q.against, q.abstain, q.not_voted, q.eligible
            ));
        }
        text
    }

    /// Signs the note with the chair's key (whose name is the chair's
    /// person id).
    pub fn sign(&self, key: &SigningKey) -> Result<Vec<u8>, String> {
        Note::sign(&self.text(), &[key])
            .map(String::into_bytes)
            .map_err(|e| e.to_string())
    }

    /// Parses the text of a note strictly: it must be exactly what
    /// [`Self::text`] writes.
    pub fn parse_text(text: &str) -> Result<Self, String> {
        let mut lines = TextLines::new(text, CERTIFICATION_HEADER)?;
        let origin = Origin::new(lines.field("origin")?).map_err(|e| format!("origin: {e}"))?;
        let ballot = BallotId::new(lines.field("ballot")?).map_err(|e| format!("ballot: {e}"))?;
        let (size, root) = parse_tree_head(lines.field("checkpoint")?)?;
        let roll = parse_hash("roll", lines.field("roll")?).map_err(|e| e.to_string())?;
        let tally = parse_hash("tally", lines.field("tally")?).map_err(|e| e.to_string())?;
        let questions = lines
            .repeated("question")
            .into_iter()
            .map(parse_question)
            .collect::<Result<Vec<_>, _>>()?;
        if questions.is_empty() {
            return Err("a certification has at least one question".into());
        }
        lines.end()?;
        let note = Self {
            origin,
            ballot,
            size,
            root,
            roll,
            tally,
            questions,
        };
        if note.text() != text {
            return Err("the text is not in its canonical form".into());
        }
        Ok(note)
    }
}

/// `<size> <base64 root>`, canonical.
fn parse_tree_head(value: &str) -> Result<(u64, Hash), String> {
    let (size, root) = value
        .split_once(' ')
        .ok_or("checkpoint: expected \"<size> <base64 root hash>\"")?;
    let size = parse_count("checkpoint", size)?;
    let root = Hash::from_base64(root)
        .map_err(|_| "checkpoint: the root hash is not 32 bytes in base64".to_owned())?;
    Ok((size, root))
}

/// A decimal count without leading zeros.
fn parse_count(what: &str, text: &str) -> Result<u64, String> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    canonical
        .then(|| text.parse().ok())
        .flatten()
        .ok_or_else(|| format!("{what}: {text:?} is not a decimal count"))
}

/// `<id> <outcome> in-favour <n> against <n> abstain <n> not-voted <n>
/// eligible <n>`.
fn parse_question(line: &str) -> Result<TallyQuestion, String> {
    let words: Vec<&str> = line.split(' ').collect();
    let labels = ["in-favour", "against", "abstain", "not-voted", "eligible"];
    let labelled = words.len() == 12
        && labels
            .iter()
            .enumerate()
            .all(|(i, label)| words[2 + 2 * i] == *label);
    if !labelled {
        return Err(format!(
            "question: expected \"<id> <outcome> in-favour <n> against <n> abstain <n> \
             not-voted <n> eligible <n>\", got {line:?}"
        ));
    }
    let outcome = words[1];
    if outcome.is_empty() || !outcome.bytes().all(|b| b.is_ascii_lowercase() || b == b'-') {
        return Err(format!("question: {outcome:?} is not an outcome word"));
    }
    let count = |i: usize| parse_count(labels[i], words[3 + 2 * i]);
    Ok(TallyQuestion {
        question: QuestionId::new(words[0]).map_err(|e| format!("question: {e}"))?,
        outcome: outcome.to_owned(),
        in_favour: count(0)?,
        against: count(1)?,
        abstain: count(2)?,
        not_voted: count(3)?,
        eligible: count(4)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note() -> CertificationNote {
        CertificationNote {
            origin: Origin::new("example.org/isg-eti".to_owned()).expect("valid"),
            ballot: BallotId::new("GS-001").expect("valid"),
            size: 42,
            root: Hash::sha256(b"root"),
            roll: Hash::sha256(b"roll"),
            tally: Hash::sha256(b"tally"),
            questions: vec![TallyQuestion {
                question: QuestionId::new("main").expect("valid"),
                in_favour: 3,
                against: 1,
                abstain: 0,
                not_voted: 2,
                eligible: 6,
                outcome: "approved".to_owned(),
            }],
        }
    }

    #[test]
    fn the_text_round_trips_and_nothing_else_parses() {
        let text = note().text();
        assert_eq!(CertificationNote::parse_text(&text), Ok(note()));
        let line =
            "question main approved in-favour 3 against 1 abstain 0 not-voted 2 eligible 6\n";
        assert!(text.ends_with(line), "{text}");
        let variants = [
            text.replace("in-favour 3", "in-favour 03"),
            text.replace("in-favour 3", "in-favour +3"),
            text.replace("against 1", "no 1"),
            text.replace(line, ""),
            text.replace("checkpoint 42", "checkpoint 042"),
            text.replace("approved", "Approved"),
            format!("{text}extra line\n"),
            text.trim_end().to_owned(),
            text.replace("scrutineer/certification/v1", "scrutineer/vote/v1"),
        ];
        for variant in variants {
            assert!(
                CertificationNote::parse_text(&variant).is_err(),
                "{variant}"
            );
        }
    }
}
