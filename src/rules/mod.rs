//! The voting rules of both profiles, as pure functions over data.
//!
//! Nothing here reads a clock, a file or a database: the server calls the
//! same functions with a registry derived from its log, a frozen roll and
//! votes carrying their log index; `scrutineer simulate` calls them with a
//! JSON scenario; the verifier calls them to re-derive a result.
//!
//! # Layout, in the order a ballot goes through it
//!
//! - [`params`]: the profiles (`etsi-isg`, `itu-t-tap`) as data —
//!   thresholds, notice, attendance and Kick-off Period rules, voting
//!   classes, choices.
//! - [`registry`]: organisations, persons, meetings, attendance, checked
//!   and indexed.
//! - [`voting`]: ballots and votes as the rules see them (kind, window,
//!   questions, choices), apart from `crate::ballot`, the lifecycle the
//!   log records.
//! - [`schedule`]: the `window` and `notice-period` checks, which yield the
//!   [`Scheduled`] token the roll needs.
//! - [`roll`]: the explained roll, frozen at the opening.
//! - [`admission`]: each vote accepted or refused with a reason.
//! - [`tally`]: supersession and the integer tally.
//! - [`what_if`]: the roll a ballot opening at a chosen instant would
//!   freeze, and the earliest opening of a ballot announced now.
//!
//! [`run_ballot`] chains them for a ballot whose votes are all known.
//!
//! Architecture invariant: this module imports no tokio, axum or sqlx, and
//! its results depend only on its arguments (see
//! `tests/rules_properties.rs`). Every rule is listed with its source in
//! `docs/rules.md`.

pub mod admission;
pub mod params;
pub mod registry;
pub mod roll;
pub mod schedule;
pub mod tally;
pub mod voting;
pub mod what_if;

pub use admission::{Admission, AdmissionRefusal, AdmittedVote, roll_lines};
pub use params::{
    Choice, CorrespondenceWindow, KindTag, Notice, OrgClass, ParameterError, ParameterOverrides,
    Parameters, Percent, Profile,
};
pub use registry::{
    Attendance, AttendanceMode, Meeting, MeetingFormat, Membership, Organisation, Person,
    RegistryError, RegistryView,
};
pub use roll::{KickOffPeriod, ROLL_VERSION, Roll, RollEntry, RollReason, compute_roll};
pub use schedule::{
    PlenaryScope, RollReference, ScheduleError, Scheduled, WindowProblem, check_schedule,
};
pub use tally::{QuestionTally, supersede, tally};
pub use voting::{Ballot, BallotKind, Vote};

/// The judgement of one vote of a ballot run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Accepted (with what the tally needs) or refused (with the reason).
    pub admission: Result<AdmittedVote, AdmissionRefusal>,
    /// Whether it is the final vote of its organisation for its question.
    pub counted: bool,
}

/// Everything a ballot run produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BallotRun {
    /// The explained roll, as frozen at the opening.
    pub roll: Roll,
    /// One verdict per vote, in the order given.
    pub verdicts: Vec<Verdict>,
    /// One tally per question, in the ballot's order.
    pub questions: Vec<QuestionTally>,
}

/// Runs a ballot from schedule to tally: checks its schedule, computes its
/// roll, judges every vote, applies supersession and counts.
///
/// `votes` may come in any order; each vote's `sequence` breaks ties
/// between equal times.
pub fn run_ballot(
    parameters: &Parameters,
    registry: &RegistryView,
    ballot: &Ballot,
    votes: &[Vote],
) -> Result<BallotRun, ScheduleError> {
    let scheduled = check_schedule(parameters, registry, ballot)?;
    let roll = compute_roll(parameters, registry, &scheduled);
    let admission = Admission::new(parameters, registry, &scheduled, &roll);
    let admissions: Vec<Result<AdmittedVote, AdmissionRefusal>> =
        votes.iter().map(|v| admission.judge(v)).collect();
    let counted = supersede(&roll, ballot.questions.len(), &admissions);
    let questions = tally(parameters, &roll, ballot, &admissions, &counted);
    let verdicts = admissions
        .into_iter()
        .zip(counted)
        .map(|(admission, counted)| Verdict { admission, counted })
        .collect();
    Ok(BallotRun {
        roll,
        verdicts,
        questions,
    })
}
