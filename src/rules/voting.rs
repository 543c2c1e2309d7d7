//! Ballots and the votes cast in them, as the rules see them.

use crate::id::{BallotId, MeetingId, OrgId, PersonId, QuestionId};
use crate::rules::params::KindTag;
use crate::time::Timestamp;

/// The kind of a ballot, with what each kind needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BallotKind {
    /// ETSI vote by correspondence (deviation #5).
    Correspondence,
    /// ETSI vote during a meeting (deviation #4), held inside that meeting.
    Meeting {
        /// The meeting the vote is held at.
        meeting: MeetingId,
    },
    /// ITU-T TAP consultation of Member States (WTSA Res. 1 §9).
    Consultation {
        /// The start of the study-group meeting the consultation prepares;
        /// the notice is counted to it (§9.3.3).
        meeting_start: Timestamp,
    },
}

impl BallotKind {
    /// The kind without its data.
    pub fn tag(&self) -> KindTag {
        match self {
            BallotKind::Correspondence => KindTag::Correspondence,
            BallotKind::Meeting { .. } => KindTag::Meeting,
            BallotKind::Consultation { .. } => KindTag::Consultation,
        }
    }
}

/// A ballot: its questions and its times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ballot {
    /// Its id.
    pub id: BallotId,
    /// Its kind.
    pub kind: BallotKind,
    /// Its questions, in order; each has its own count (for ITU-T, one per
    /// draft Recommendation, §9.1.2).
    pub questions: Vec<QuestionId>,
    /// When it was announced: the notice runs from here.
    pub announced: Timestamp,
    /// The first instant a vote counts (the window is `[opens, closes)`).
    /// For a consultation, the announcement: "the consultation is open from
    /// the announcement to the due date" (SPEC 2.2 item 6).
    pub opens: Timestamp,
    /// The first instant a vote no longer counts; for a consultation, the
    /// first late instant after the due date (SPEC 2.2 item 4).
    pub closes: Timestamp,
}

impl Ballot {
    /// Where `question` stands in the ballot's list, if it is one of its
    /// questions.
    pub fn question_position(&self, question: &QuestionId) -> Option<usize> {
        self.questions.iter().position(|q| q == question)
    }
}

/// A vote as the rules judge it. The server builds it from a verified
/// signed note; `simulate` from a scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vote {
    /// Who cast it (the note's key name).
    pub person: PersonId,
    /// The organisation it is cast for.
    pub organisation: OrgId,
    /// The question it answers.
    pub question: QuestionId,
    /// The choice as written; judged against the profile's choices.
    pub choice: String,
    /// The reasons given (ITU-T `do-not-assign`), if any; blank reasons are
    /// no reasons.
    pub reasons: Option<String>,
    /// When it was received.
    pub at: Timestamp,
    /// Its place in the order of receipt: the log index on the server, the
    /// input position in `simulate`. Breaks ties between equal times.
    pub sequence: u64,
}

impl Vote {
    /// The key that orders votes from earliest to latest: time, then
    /// sequence ("latest `at`; equal times: the later in input order", SPEC
    /// section 5; on the server, times never decrease along the log, so
    /// this is the log order, SPEC section 4).
    pub fn recency_key(&self) -> (Timestamp, u64) {
        (self.at, self.sequence)
    }

    /// Whether the vote carries non-blank reasons.
    pub fn has_reasons(&self) -> bool {
        self.reasons
            .as_deref()
            .is_some_and(|r| !r.trim().is_empty())
    }
}
