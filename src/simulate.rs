//! The JSON scenario format of `scrutineer simulate` (SPEC section 5):
//! parse strictly, run the rules, report in exactly the SPEC shape.
//!
//! Parsing is in two steps. [`serde_path_to_error`] with
//! `deny_unknown_fields` checks the shape, the id syntax and the times and
//! names the JSON path of the first problem; then [`Scenario::parse`]
//! checks what serde cannot (duplicate ids, references, the profile's
//! classes and kinds) and names the path too. Either way an invalid file
//! yields a [`ScenarioError`] and no result.

use std::collections::HashSet;
use std::fmt::Write as _;

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

use crate::id::{BallotId, MeetingId, OrgId, PersonId, QuestionId};
use crate::rules::{
    Attendance, AttendanceMode, Ballot, BallotKind, BallotRun, KindTag, Meeting, MeetingFormat,
    Membership, OrgClass, Organisation, ParameterOverrides, Parameters, Person, Profile,
    RegistryView, ScheduleError, Vote, run_ballot,
};
use crate::time::Timestamp;

mod explain;

pub use explain::explain;

/// An invalid scenario: the JSON path of the problem and what it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ScenarioError {
    /// A JSONPath to the offending member, e.g. `$.meetings[2].start`.
    pub path: String,
    /// What is wrong there.
    pub message: String,
}

impl ScenarioError {
    fn at(path: impl Into<String>, message: impl std::fmt::Display) -> Self {
        ScenarioError {
            path: path.into(),
            message: message.to_string(),
        }
    }
}

// ---- The input, exactly as SPEC section 5 writes it. ----

fn main_question() -> QuestionId {
    // "main" matches the id syntax; this cannot fail.
    QuestionId::new("main").expect("\"main\" is a valid id")
}

fn main_questions() -> Vec<QuestionId> {
    vec![main_question()]
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileIn {
    profile: Profile,
    #[serde(default)]
    parameters: Option<ParameterOverrides>,
    organisations: Vec<OrgIn>,
    #[serde(default)]
    persons: Vec<PersonIn>,
    #[serde(default)]
    meetings: Vec<MeetingIn>,
    #[serde(default)]
    attendance: Vec<AttendanceIn>,
    ballots: Vec<BallotIn>,
    /// Ignored (SPEC section 5).
    #[serde(default, rename = "description")]
    _description: Option<IgnoredAny>,
    /// Ignored: the right answer, for tests (SPEC section 5).
    #[serde(default, rename = "expect")]
    _expect: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrgIn {
    id: OrgId,
    class: OrgClass,
    #[serde(default)]
    founding: bool,
    #[serde(default)]
    from: Option<Timestamp>,
    #[serde(default)]
    to: Option<Timestamp>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PersonIn {
    id: PersonId,
    organisation: OrgId,
    #[serde(default)]
    on_membership_list: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MeetingIn {
    id: MeetingId,
    plenary: bool,
    format: MeetingFormat,
    start: Timestamp,
    end: Timestamp,
    #[serde(default)]
    kick_off: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AttendanceIn {
    meeting: MeetingId,
    person: PersonId,
    organisation: OrgId,
    mode: AttendanceMode,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BallotIn {
    id: BallotId,
    kind: KindTag,
    #[serde(default)]
    meeting: Option<MeetingId>,
    #[serde(default = "main_questions")]
    questions: Vec<QuestionId>,
    announced: Timestamp,
    #[serde(default)]
    opens: Option<Timestamp>,
    closes: Timestamp,
    #[serde(default)]
    meeting_start: Option<Timestamp>,
    #[serde(default)]
    votes: Vec<VoteIn>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VoteIn {
    person: PersonId,
    organisation: OrgId,
    #[serde(default = "main_question")]
    question: QuestionId,
    choice: String,
    at: Timestamp,
    /// ITU-T comments: allowed, not judged by the rules.
    #[serde(default, rename = "comments")]
    _comments: Option<String>,
    #[serde(default)]
    reasons: Option<String>,
}

// ---- The validated scenario. ----

/// One ballot of a scenario with its votes, in input order.
#[derive(Debug, Clone)]
pub struct ScenarioBallot {
    /// The ballot.
    pub ballot: Ballot,
    /// Its votes; each vote's `sequence` is its input position.
    pub votes: Vec<Vote>,
}

/// A valid scenario, in domain types.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The profile's parameters with the scenario's overrides.
    pub parameters: Parameters,
    /// The registry.
    pub registry: RegistryView,
    /// The ballots, in input order.
    pub ballots: Vec<ScenarioBallot>,
}

/// A ballot of a scenario after running it.
#[derive(Debug, Clone)]
pub struct BallotResult {
    /// The ballot's id.
    pub id: BallotId,
    /// The ballot's kind.
    pub kind: KindTag,
    /// The run, or why the ballot could not be scheduled.
    pub run: Result<BallotRun, ScheduleError>,
}

/// The serde path of a `serde_path_to_error` error as JSONPath.
fn json_path(path: &serde_path_to_error::Path) -> String {
    let mut out = String::from("$");
    for segment in path.iter() {
        match segment {
            serde_path_to_error::Segment::Seq { index } => {
                let _ = write!(out, "[{index}]");
            }
            serde_path_to_error::Segment::Map { key } => {
                let _ = write!(out, ".{key}");
            }
            serde_path_to_error::Segment::Enum { variant } => {
                let _ = write!(out, ".{variant}");
            }
            serde_path_to_error::Segment::Unknown => out.push_str(".?"),
        }
    }
    out
}

impl Scenario {
    /// Parses and validates a scenario file's text.
    pub fn parse(text: &str) -> Result<Self, ScenarioError> {
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let file: FileIn = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
            let mut path = json_path(e.path());
            let message = e.inner().to_string();
            // serde reports a missing member at its parent object; name
            // the member itself, which is where the user must look.
            if let Some(rest) = message.strip_prefix("missing field `")
                && let Some((field, _)) = rest.split_once('`')
            {
                path.push('.');
                path.push_str(field);
            }
            ScenarioError::at(path, message)
        })?;
        deserializer.end().map_err(|e| ScenarioError::at("$", e))?;
        Self::from_file(file)
    }

    fn from_file(file: FileIn) -> Result<Self, ScenarioError> {
        let overrides = file.parameters.unwrap_or_default();
        let parameters = Parameters::with_overrides(file.profile, &overrides)
            .map_err(|e| ScenarioError::at(format!("$.parameters.{}", e.parameter()), &e))?;

        let organisations = file
            .organisations
            .into_iter()
            .map(|o| Organisation {
                id: o.id,
                class: o.class,
                founding: o.founding,
                membership: Membership {
                    from: o.from,
                    to: o.to,
                },
            })
            .collect();
        let persons = file
            .persons
            .into_iter()
            .map(|p| Person {
                id: p.id,
                organisation: p.organisation,
                on_membership_list: p.on_membership_list,
            })
            .collect();
        let meetings = file
            .meetings
            .into_iter()
            .map(|m| Meeting {
                id: m.id,
                plenary: m.plenary,
                format: m.format,
                start: m.start,
                end: m.end,
                kick_off: m.kick_off,
            })
            .collect();
        let attendance = file
            .attendance
            .into_iter()
            .map(|a| Attendance {
                meeting: a.meeting,
                person: a.person,
                organisation: a.organisation,
                mode: a.mode,
            })
            .collect();
        let registry = RegistryView::new(&parameters, organisations, persons, meetings, attendance)
            .map_err(|e| ScenarioError::at(format!("$.{}", e.location()), &e.problem))?;

        let mut seen = HashSet::new();
        let mut ballots = Vec::with_capacity(file.ballots.len());
        for (i, b) in file.ballots.into_iter().enumerate() {
            let path = format!("$.ballots[{i}]");
            if !seen.insert(b.id.clone()) {
                return Err(ScenarioError::at(
                    format!("{path}.id"),
                    format!("duplicate id {}", b.id),
                ));
            }
            ballots.push(ballot_from(&parameters, &registry, &path, b)?);
        }
        Ok(Scenario {
            parameters,
            registry,
            ballots,
        })
    }

    /// Runs every ballot through the rules, in input order.
    pub fn run(&self) -> Vec<BallotResult> {
        self.ballots
            .iter()
            .map(|b| BallotResult {
                id: b.ballot.id.clone(),
                kind: b.ballot.kind.tag(),
                run: run_ballot(&self.parameters, &self.registry, &b.ballot, &b.votes),
            })
            .collect()
    }
}

/// Checks one ballot's members against its kind and the registry.
fn ballot_from(
    parameters: &Parameters,
    registry: &RegistryView,
    path: &str,
    b: BallotIn,
) -> Result<ScenarioBallot, ScenarioError> {
    let field = |name: &str| format!("{path}.{name}");
    if !parameters.kinds.contains(&b.kind) {
        return Err(ScenarioError::at(
            field("kind"),
            format!(
                "kind {} is not a kind of profile {}",
                b.kind.as_str(),
                parameters.profile
            ),
        ));
    }
    let mut seen = HashSet::new();
    for (j, q) in b.questions.iter().enumerate() {
        if !seen.insert(q) {
            return Err(ScenarioError::at(
                format!("{path}.questions[{j}]"),
                format!("duplicate id {q}"),
            ));
        }
    }
    if b.questions.is_empty() {
        return Err(ScenarioError::at(
            field("questions"),
            "a ballot has at least one question",
        ));
    }
    let must_be_absent = |present: bool, name: &str, why: &str| {
        if present {
            Err(ScenarioError::at(field(name), why))
        } else {
            Ok(())
        }
    };
    let required = |value: Option<Timestamp>, name: &str| {
        value.ok_or_else(|| {
            ScenarioError::at(
                field(name),
                format!("a {} ballot needs {name}", b.kind.as_str()),
            )
        })
    };
    let (kind, opens) = match b.kind {
        KindTag::Correspondence => {
            must_be_absent(
                b.meeting.is_some(),
                "meeting",
                "a correspondence ballot names no meeting",
            )?;
            must_be_absent(
                b.meeting_start.is_some(),
                "meeting_start",
                "only a consultation has meeting_start",
            )?;
            (BallotKind::Correspondence, required(b.opens, "opens")?)
        }
        KindTag::Meeting => {
            must_be_absent(
                b.meeting_start.is_some(),
                "meeting_start",
                "only a consultation has meeting_start",
            )?;
            let Some(meeting) = b.meeting else {
                return Err(ScenarioError::at(
                    field("meeting"),
                    "a meeting ballot names its meeting",
                ));
            };
            if registry.meeting(meeting.as_str()).is_none() {
                return Err(ScenarioError::at(
                    field("meeting"),
                    format!("unknown meeting {meeting}"),
                ));
            }
            (BallotKind::Meeting { meeting }, required(b.opens, "opens")?)
        }
        KindTag::Consultation => {
            must_be_absent(
                b.meeting.is_some(),
                "meeting",
                "a consultation names no meeting (it has meeting_start)",
            )?;
            must_be_absent(
                b.opens.is_some(),
                "opens",
                "a consultation has no opens: it is open from the announcement",
            )?;
            let meeting_start = required(b.meeting_start, "meeting_start")?;
            // SPEC 2.2 item 6: open from the announcement to the due date.
            (BallotKind::Consultation { meeting_start }, b.announced)
        }
    };
    let votes = b
        .votes
        .into_iter()
        .enumerate()
        .map(|(j, v)| Vote {
            person: v.person,
            organisation: v.organisation,
            question: v.question,
            choice: v.choice,
            reasons: v.reasons,
            at: v.at,
            sequence: j as u64,
        })
        .collect();
    Ok(ScenarioBallot {
        ballot: Ballot {
            id: b.id,
            kind,
            questions: b.questions,
            announced: b.announced,
            opens,
            closes: b.closes,
        },
        votes,
    })
}

// ---- The output, in SPEC section 5's member order. ----

/// The output of `simulate` (SPEC section 5): serialises to exactly the
/// specified shape and member order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// One per ballot, in input order.
    pub ballots: Vec<BallotReport>,
}

/// One ballot of the [`Report`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum BallotReport {
    /// The ballot ran.
    Tallied {
        /// The ballot's id.
        id: BallotId,
        /// Always `tallied`.
        status: &'static str,
        /// The eligible organisations in byte order.
        eligible: Vec<OrgId>,
        /// One per vote, in input order.
        votes: Vec<VoteReport>,
        /// One per question, in input order.
        questions: Vec<QuestionReport>,
    },
    /// The ballot could not be scheduled.
    Refused {
        /// The ballot's id.
        id: BallotId,
        /// Always `refused`.
        status: &'static str,
        /// `window` or `notice-period`.
        error: &'static str,
    },
}

/// One vote of a [`BallotReport`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VoteReport {
    /// Its input position.
    pub index: usize,
    /// Whether it was accepted.
    pub accepted: bool,
    /// Whether it is the final vote of its organisation for its question.
    pub counted: bool,
    /// The refusal code, absent on an accepted vote.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
}

/// One question of a [`BallotReport`], in the profile's shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum QuestionReport {
    /// `etsi-isg`.
    Etsi {
        /// The question.
        id: QuestionId,
        /// Final `yes` votes.
        yes: u64,
        /// Final `no` votes.
        no: u64,
        /// Final `abstain` votes.
        abstain: u64,
        /// Eligible organisations without a final vote.
        not_voted: u64,
        /// `approved` or `rejected`.
        outcome: &'static str,
    },
    /// `itu-t-tap`.
    Itu {
        /// The draft.
        id: QuestionId,
        /// Final `assign` replies.
        assign: u64,
        /// Final `do-not-assign` replies.
        do_not_assign: u64,
        /// Replies counted.
        replies: u64,
        /// `proceed` or `not-proceed`.
        outcome: &'static str,
    },
}

/// Builds the SPEC section 5 report of a run.
pub fn report(parameters: &Parameters, results: &[BallotResult]) -> Report {
    let ballots = results
        .iter()
        .map(|result| match &result.run {
            Err(error) => BallotReport::Refused {
                id: result.id.clone(),
                status: "refused",
                error: error.code(),
            },
            Ok(run) => BallotReport::Tallied {
                id: result.id.clone(),
                status: "tallied",
                eligible: run.roll.eligible().cloned().collect(),
                votes: run
                    .verdicts
                    .iter()
                    .enumerate()
                    .map(|(index, v)| VoteReport {
                        index,
                        accepted: v.admission.is_ok(),
                        counted: v.counted,
                        reason: v.admission.as_ref().err().map(|r| r.code()),
                    })
                    .collect(),
                questions: run
                    .questions
                    .iter()
                    .map(|q| {
                        let outcome = parameters.outcome_word(q.passed);
                        match parameters.profile {
                            Profile::EtsiIsg => QuestionReport::Etsi {
                                id: q.question.clone(),
                                yes: q.in_favour,
                                no: q.against,
                                abstain: q.abstain,
                                not_voted: q.not_voted(),
                                outcome,
                            },
                            Profile::ItuTTap => QuestionReport::Itu {
                                id: q.question.clone(),
                                assign: q.in_favour,
                                do_not_assign: q.against,
                                replies: q.cast(),
                                outcome,
                            },
                        }
                    })
                    .collect(),
            },
        })
        .collect();
    Report { ballots }
}

/// Parses, validates and runs a scenario: the library form of `scrutineer
/// simulate`.
pub fn simulate(text: &str) -> Result<Report, ScenarioError> {
    let scenario = Scenario::parse(text)?;
    Ok(report(&scenario.parameters, &scenario.run()))
}
