//! Appeals against a chair's decision and the reviewer's decisions on
//! them (SPEC 2.1 item 10, ISG ETI Annex 3 deviation #6): signed notes,
//! logged as `appeal` and `appeal-decision` entries
//! ([`crate::ballot::statement`]).
//!
//! ```text
//! scrutineer/appeal/v1
//! origin <log origin>
//! ballot <ballot id>
//! against announcement|cancellation|certification
//! grounds <a line of text>          (repeated: at least one, not all blank)
//! ```
//!
//! ```text
//! scrutineer/appeal-decision/v1
//! origin <log origin>
//! ballot <ballot id>
//! appeal sha256:<hex of the appeal's signed note>
//! outcome upheld|overturned
//! reasons <a line of text>          (repeated: at least one, not all blank)
//! ```

use crate::ballot::statement::{TextLines, text_lines, write_text_lines};
use crate::contexts::{APPEAL_DECISION_HEADER, APPEAL_HEADER};
use crate::entry::codec::{hash_text, parse_hash};
use crate::id::BallotId;
use crate::note::key::SigningKey;
use crate::note::signed::Note;
use crate::tlog::Hash;
use crate::tlog::checkpoint::Origin;

/// The entry type of an appeal.
pub const APPEAL_KIND: &str = "appeal";
/// The entry type of a reviewer's decision on an appeal.
pub const DECISION_KIND: &str = "appeal-decision";

/// The chair's decision an appeal is against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Against {
    /// The announcement of the ballot (its schedule, its questions).
    Announcement,
    /// The ballot's cancellation before its opening.
    Cancellation,
    /// The certified result.
    Certification,
}

impl Against {
    /// Every decision that can be appealed.
    pub const ALL: [Against; 3] = [
        Against::Announcement,
        Against::Cancellation,
        Against::Certification,
    ];

    /// The word in the note.
    pub fn as_str(self) -> &'static str {
        match self {
            Against::Announcement => "announcement",
            Against::Cancellation => "cancellation",
            Against::Certification => "certification",
        }
    }

    /// Reads the word.
    pub fn parse(word: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str() == word)
            .ok_or_else(|| {
                format!("against: {word:?} is not announcement, cancellation or certification")
            })
    }
}

/// A reviewer's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Ruling {
    /// The chair's decision stands.
    Upheld,
    /// The chair's decision is annulled (a certified result is void: a new
    /// ballot is needed).
    Overturned,
}

impl Ruling {
    /// The word in the note.
    pub fn as_str(self) -> &'static str {
        match self {
            Ruling::Upheld => "upheld",
            Ruling::Overturned => "overturned",
        }
    }

    /// Reads the word.
    pub fn parse(word: &str) -> Result<Self, String> {
        [Ruling::Upheld, Ruling::Overturned]
            .into_iter()
            .find(|r| r.as_str() == word)
            .ok_or_else(|| format!("outcome: {word:?} is not upheld or overturned"))
    }
}

/// An appeal: the text of the note, before signing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppealNote {
    /// The ballot's log.
    pub origin: Origin,
    /// The ballot.
    pub ballot: BallotId,
    /// The decision appealed.
    pub against: Against,
    /// The grounds, one string per line.
    pub grounds: Vec<String>,
}

impl AppealNote {
    /// The note's text, exactly as `docs/formats.md` section 7.12 lays it
    /// out.
    pub fn text(&self) -> String {
        let mut text = format!(
            "{APPEAL_HEADER}\norigin {}\nballot {}\nagainst {}\n",
            self.origin.as_str(),
            self.ballot,
            self.against.as_str()
        );
        write_text_lines(&mut text, "grounds", &self.grounds);
        text
    }

    /// Signs the note with the appellant's key.
    pub fn sign(&self, key: &SigningKey) -> Result<Vec<u8>, String> {
        sign(&self.text(), key)
    }

    /// Parses the text of a note strictly.
    pub fn parse_text(text: &str) -> Result<Self, String> {
        let mut lines = TextLines::new(text, APPEAL_HEADER)?;
        let origin = Origin::new(lines.field("origin")?).map_err(|e| format!("origin: {e}"))?;
        let ballot = BallotId::new(lines.field("ballot")?).map_err(|e| format!("ballot: {e}"))?;
        let against = Against::parse(lines.field("against")?)?;
        let grounds = text_lines("grounds", lines.repeated("grounds"))?;
        lines.end()?;
        Ok(Self {
            origin,
            ballot,
            against,
            grounds,
        })
    }
}

/// A reviewer's decision: the text of the note, before signing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionNote {
    /// The ballot's log.
    pub origin: Origin,
    /// The ballot.
    pub ballot: BallotId,
    /// SHA-256 of the appeal's signed note.
    pub appeal: Hash,
    /// The decision.
    pub outcome: Ruling,
    /// The reasons, one string per line.
    pub reasons: Vec<String>,
}

impl DecisionNote {
    /// The note's text, exactly as `docs/formats.md` section 7.13 lays it
    /// out.
    pub fn text(&self) -> String {
        let mut text = format!(
            "{APPEAL_DECISION_HEADER}\norigin {}\nballot {}\nappeal {}\noutcome {}\n",
            self.origin.as_str(),
            self.ballot,
            hash_text(&self.appeal),
            self.outcome.as_str()
        );
        write_text_lines(&mut text, "reasons", &self.reasons);
        text
    }

    /// Signs the note with the reviewer's key.
    pub fn sign(&self, key: &SigningKey) -> Result<Vec<u8>, String> {
        sign(&self.text(), key)
    }

    /// Parses the text of a note strictly.
    pub fn parse_text(text: &str) -> Result<Self, String> {
        let mut lines = TextLines::new(text, APPEAL_DECISION_HEADER)?;
        let origin = Origin::new(lines.field("origin")?).map_err(|e| format!("origin: {e}"))?;
        let ballot = BallotId::new(lines.field("ballot")?).map_err(|e| format!("ballot: {e}"))?;
        let appeal = parse_hash("appeal", lines.field("appeal")?).map_err(|e| e.to_string())?;
        let outcome = Ruling::parse(lines.field("outcome")?)?;
        let reasons = text_lines("reasons", lines.repeated("reasons"))?;
        lines.end()?;
        Ok(Self {
            origin,
            ballot,
            appeal,
            outcome,
            reasons,
        })
    }
}

fn sign(text: &str, key: &SigningKey) -> Result<Vec<u8>, String> {
    Note::sign(text, &[key])
        .map(String::into_bytes)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin() -> Origin {
        Origin::new("example.org/isg-eti".to_owned()).expect("valid")
    }

    #[test]
    fn appeals_and_decisions_round_trip() {
        let appeal = AppealNote {
            origin: origin(),
            ballot: BallotId::new("GS-001").expect("valid"),
            against: Against::Certification,
            grounds: vec![
                "Our vote was not counted.".into(),
                String::new(),
                "See annex.".into(),
            ],
        };
        let text = appeal.text();
        assert!(text.contains("\ngrounds \ngrounds See annex.\n"), "{text}");
        assert_eq!(AppealNote::parse_text(&text), Ok(appeal.clone()));
        let decision = DecisionNote {
            origin: origin(),
            ballot: appeal.ballot.clone(),
            appeal: Hash::sha256(text.as_bytes()),
            outcome: Ruling::Overturned,
            reasons: vec!["The roll omitted a member.".into()],
        };
        assert_eq!(
            DecisionNote::parse_text(&decision.text()),
            Ok(decision.clone())
        );
        let bad = [
            text.replace("against certification", "against tally"),
            text.replace(
                "grounds Our vote was not counted.\ngrounds \ngrounds See annex.\n",
                "",
            ),
            text.replace("grounds Our vote was not counted.\n", "grounds  \n")
                .replace("grounds See annex.\n", ""),
            format!("{text}origin x\n"),
            decision
                .text()
                .replace("outcome overturned", "outcome annulled"),
            decision.text().replace("appeal sha256:", "appeal sha1:"),
        ];
        for text in bad {
            assert!(
                AppealNote::parse_text(&text).is_err() && DecisionNote::parse_text(&text).is_err(),
                "{text}"
            );
        }
    }
}
