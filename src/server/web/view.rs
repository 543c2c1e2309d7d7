//! What the home and ballot pages show, read from a group's fold: the same
//! ballot book and registry that the JSON API describes
//! (`GET /v1/groups/{group}/ballots[/{ballot}]`). Nothing here decides a
//! rule; it copies what the fold already decided into plain data for the
//! templates (codes, numbers, ISO 8601 instants), never sentences.

use super::render::iso;
use crate::ballot::{TallyQuestion, TrackedBallot};
use crate::registry::GroupState;
use crate::server::api::ballots::view::{CountedChoice, counted_choices};
use crate::server::fold::BallotHeadline;
use crate::time::Timestamp;

/// Where a ballot stands for a delegate: before its window, in it, or
/// after it (closed, tallied, certified or cancelled).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Announced, not open yet.
    Upcoming,
    /// Open: votes are taken.
    Open,
    /// Closed, tallied, certified or cancelled.
    Closed,
}

impl Phase {
    fn of(state: &str) -> Self {
        match state {
            "announced" => Self::Upcoming,
            "open" => Self::Open,
            _ => Self::Closed,
        }
    }
}

/// A ballot in a list.
#[derive(Debug, Clone)]
pub struct BallotSummary {
    /// The ballot's id.
    pub id: String,
    /// The lifecycle state's code (`announced`, `open`, `closed`,
    /// `tallied`, `certified`, `cancelled`).
    pub state: &'static str,
    /// `correspondence`, `meeting` or `consultation`.
    pub kind: &'static str,
    /// The window, ISO 8601 UTC.
    pub opens: String,
    /// The window's end (first instant no longer counted).
    pub closes: String,
    /// Where it stands.
    pub phase: Phase,
    /// Whether a reviewer overturned its announcement or certification on
    /// appeal: its result is void.
    pub annulled: bool,
}

/// A span of time, split for the template to say ("3 days 4 hours").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Whole days.
    pub days: i64,
    /// Hours beyond the days.
    pub hours: i64,
    /// Minutes beyond the hours.
    pub minutes: i64,
}

impl Span {
    /// The time from `now` to `then`, or `None` if `then` has passed.
    pub fn until(now: Timestamp, then: Timestamp) -> Option<Self> {
        if then <= now {
            return None;
        }
        let seconds = i64::try_from(then.since(now).as_nanos() / 1_000_000_000).unwrap_or(i64::MAX);
        Some(Self {
            days: seconds / 86_400,
            hours: seconds % 86_400 / 3_600,
            minutes: seconds % 3_600 / 60,
        })
    }
}

/// An organisation's line of a ballot's frozen roll: whether it may vote,
/// and the facts the rules used.
#[derive(Debug, Clone)]
pub struct RollLine {
    /// The organisation.
    pub organisation: String,
    /// Its class's code (`member`, `participant`, …).
    pub class: String,
    /// Whether it may vote.
    pub eligible: bool,
    /// The rules' reason code (`attendance`, `insufficient-attendance`,
    /// `founding-member-in-kick-off-period`, …).
    pub reason: &'static str,
    /// A founding member (ETSI Annex 2).
    pub founding: bool,
    /// The plenaries of the window it attended physically.
    pub physical: Vec<String>,
    /// The plenaries of the roll's attendance window.
    pub window: Vec<String>,
}

/// What is voted on, as the page shows it.
#[derive(Debug, Clone)]
pub struct SubjectView {
    /// The title.
    pub title: String,
    /// Each question's id and text, in order.
    pub questions: Vec<(String, String)>,
    /// The documents voted on.
    pub documents: Vec<DocumentView>,
}

/// A document voted on, with what a delegate needs to check it.
#[derive(Debug, Clone)]
pub struct DocumentView {
    /// Its file name.
    pub file_name: String,
    /// Its media type.
    pub media_type: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its SHA-256, hexadecimal: also its address on the server.
    pub sha256: String,
}

impl BallotView {
    /// The text of question `id`, if the announcement gives one.
    pub fn text_of(&self, id: &str) -> Option<&str> {
        self.subject.as_ref().and_then(|s| {
            s.questions
                .iter()
                .find(|(q, _)| q == id)
                .map(|(_, text)| text.as_str())
        })
    }
}

/// A ballot's page.
#[derive(Debug, Clone)]
pub struct BallotView {
    /// The list entry's data.
    pub summary: BallotSummary,
    /// The group.
    pub group: String,
    /// When it was announced.
    pub announced: String,
    /// The question ids, in order.
    pub questions: Vec<String>,
    /// What is voted on, as the chair signed it (announcement version 2).
    pub subject: Option<SubjectView>,
    /// Vote entries so far (a number, not a count of choices: votes are
    /// commitments until the close, SPEC 2.1 item 9).
    pub turnout: usize,
    /// Time until the window opens (upcoming) or closes (open).
    pub left: Option<Span>,
    /// The person's organisation in the group, if registered.
    pub organisation: Option<String>,
    /// That organisation's roll line, once the roll is frozen.
    pub line: Option<RollLine>,
    /// The results, once tallied.
    pub results: Vec<TallyQuestion>,
    /// Whether the chair certified the result.
    pub certified: bool,
    /// The appeals filed on the ballot, and how many are decided.
    pub appeals: usize,
    /// Appeals decided.
    pub decided: usize,
    /// The counted choice of each organisation, once tallied, as the JSON
    /// API lists it (with each counted note's hash, which the browser
    /// compares with the receipts it keeps).
    pub counted: Vec<CountedChoice>,
    /// What the vote form needs, when the ballot is open and the person
    /// represents an organisation in the group.
    pub voting: Option<Voting>,
}

/// The facts the vote form and the browser's module need to build the
/// exact vote notes of SPEC section 4. Whether the vote is taken is the
/// server's decision when it is cast (`commands::votes::cast`); the page
/// shows the roll line beside the form and the refusal if one comes.
#[derive(Debug, Clone)]
pub struct Voting {
    /// The log's origin, the note's `origin` line.
    pub origin: String,
    /// The organisation the person represents, the note's `organisation`.
    pub organisation: String,
    /// The choice words the group's profile allows, in its order.
    pub choices: Vec<&'static str>,
    /// The choices that must carry reasons as an attachment (ITU-T
    /// `do-not-assign`); when there are any, each question offers a text
    /// for comments or reasons.
    pub reasons_required: Vec<&'static str>,
    /// The ids of the person's keys registered and not revoked now: the
    /// browser signs only with one of these.
    pub keys: Vec<String>,
}

/// The summary of a tracked ballot.
pub fn summary(id: &str, tracked: &TrackedBallot) -> BallotSummary {
    headline(&BallotHeadline::of(id, tracked))
}

/// A ballot's line in a list, from its published headline.
pub fn headline(ballot: &BallotHeadline) -> BallotSummary {
    BallotSummary {
        id: ballot.id.clone(),
        state: ballot.state,
        kind: match ballot.kind {
            crate::rules::voting::BallotKind::Correspondence => "correspondence",
            crate::rules::voting::BallotKind::Meeting { .. } => "meeting",
            crate::rules::voting::BallotKind::Consultation { .. } => "consultation",
        },
        opens: iso(ballot.opens),
        closes: iso(ballot.closes),
        phase: Phase::of(ballot.state),
        annulled: ballot.annulled,
    }
}

/// A ballot's page for `person`, at `now`, in the log of `origin`.
pub fn ballot(
    group: &str,
    origin: &str,
    id: &str,
    tracked: &TrackedBallot,
    registry: Option<&GroupState>,
    person: &str,
    now: Timestamp,
) -> BallotView {
    let lifecycle = &tracked.lifecycle;
    let ballot = lifecycle.ballot();
    let summary = summary(id, tracked);
    let left = match summary.phase {
        Phase::Upcoming => Span::until(now, ballot.opens),
        Phase::Open => Span::until(now, ballot.closes),
        Phase::Closed => None,
    };
    let organisation = registry
        .and_then(|r| r.person(person))
        .map(|p| p.organisation.to_string());
    let line = lifecycle.roll().and_then(|roll| {
        let entry = roll.entry(organisation.as_deref()?)?;
        Some(RollLine {
            organisation: entry.organisation.to_string(),
            class: entry.class.to_string(),
            eligible: entry.eligible,
            reason: entry.reason.as_str(),
            founding: entry.founding,
            physical: entry.physical.iter().map(ToString::to_string).collect(),
            window: roll.window.iter().map(ToString::to_string).collect(),
        })
    });
    let results = lifecycle
        .tally()
        .map(|t| t.questions.clone())
        .unwrap_or_default();
    let voting = match (summary.phase, registry, organisation.as_deref()) {
        (Phase::Open, Some(registry), Some(organisation)) => {
            let parameters = registry.parameters();
            Some(Voting {
                origin: origin.to_owned(),
                organisation: organisation.to_owned(),
                choices: parameters.choices.iter().map(|c| c.as_str()).collect(),
                reasons_required: parameters
                    .reasons_required
                    .iter()
                    .map(|c| c.as_str())
                    .collect(),
                keys: registry
                    .keys_of(person)
                    .iter()
                    .filter(|k| k.valid_at(now))
                    .map(|k| k.key.id().to_string())
                    .collect(),
            })
        }
        _ => None,
    };
    BallotView {
        summary,
        group: group.to_owned(),
        announced: iso(ballot.announced),
        questions: ballot.questions.iter().map(ToString::to_string).collect(),
        subject: lifecycle.announced().subject.as_ref().map(|s| SubjectView {
            title: s.title.clone(),
            questions: ballot
                .questions
                .iter()
                .map(ToString::to_string)
                .zip(s.questions.iter().cloned())
                .collect(),
            documents: s
                .documents
                .iter()
                .map(|d| DocumentView {
                    file_name: d.file_name.clone(),
                    media_type: d.media_type.clone(),
                    size: d.size,
                    sha256: d.sha256.to_hex(),
                })
                .collect(),
        }),
        turnout: lifecycle.votes().map_or(0, |v| v.len()),
        left,
        organisation,
        line,
        results,
        certified: lifecycle.certification().is_some(),
        appeals: tracked.appeals.len(),
        decided: tracked
            .appeals
            .iter()
            .filter(|a| a.decision.is_some())
            .count(),
        counted: counted_choices(tracked).unwrap_or_default(),
        voting,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_split_into_days_hours_and_minutes() {
        let now = Timestamp::parse("2026-07-01T00:00:00Z").expect("a time");
        let then = Timestamp::parse("2026-07-04T05:06:59Z").expect("a time");
        assert_eq!(
            Span::until(now, then),
            Some(Span {
                days: 3,
                hours: 5,
                minutes: 6
            })
        );
        assert_eq!(Span::until(then, now), None);
        assert_eq!(Span::until(now, now), None);
    }
}
