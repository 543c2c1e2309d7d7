//! Ballots as members see them: turnout (the number of vote entries)
//! before the close, never a count or a choice (SPEC 2.1 item 9;
//! CM/Rec(2017)5 standard 24); once tallied, the counts, the outcome and
//! the counted choice of each organisation.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use super::{authorise, ballot_id};
use crate::ballot::TrackedBallot;
use crate::id::BallotId;
use crate::rules::BallotKind;
use crate::server::AppState;
use crate::server::auth::{Action, Caller};
use crate::server::error::ApiError;

/// The routes that read ballots.
pub(super) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/groups/{group}/ballots", get(list))
        .route("/v1/groups/{group}/ballots/{ballot}", get(read))
}

/// A question's result, once tallied.
#[derive(Serialize)]
struct QuestionResult {
    question: String,
    in_favour: u64,
    against: u64,
    abstain: u64,
    not_voted: u64,
    eligible: u64,
    outcome: String,
}

/// A counted vote, once tallied: the organisation's final choice. The web
/// application's ballot page shows the same list (`web/view.rs`).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct CountedChoice {
    /// The organisation whose final vote this is.
    pub organisation: String,
    /// The question.
    pub question: String,
    /// The choice word of the note.
    pub choice: String,
    /// The person who signed it.
    pub person: String,
    /// `sha256:<hex>` of the signed note, as the tally lists it.
    pub note: String,
}

/// The counted choice of each organisation, once tallied, in the tally's
/// order; `None` before.
pub(crate) fn counted_choices(tracked: &TrackedBallot) -> Option<Vec<CountedChoice>> {
    let lifecycle = &tracked.lifecycle;
    let tally = lifecycle.tally()?;
    let open = lifecycle
        .opened()
        .expect("invariant: a tallied ballot has been opened");
    Some(
        tally
            .counted
            .iter()
            .filter_map(|note| {
                let revealed = open.votes.by_note_text(note)?.revealed?;
                Some(CountedChoice {
                    organisation: open.organisation_of(&revealed).to_string(),
                    question: open.question_of(&revealed).to_string(),
                    choice: revealed.choice.to_string(),
                    person: open.votes.signer(&revealed).to_string(),
                    note: note.clone(),
                })
            })
            .collect(),
    )
}

/// A document voted on, as the announcement names it.
#[derive(Serialize)]
struct DocumentBody {
    sha256: String,
    size: u64,
    media_type: String,
    file_name: String,
}

/// A ballot as members see it.
#[derive(Serialize)]
struct BallotBody {
    id: String,
    kind: &'static str,
    meeting: Option<String>,
    state: &'static str,
    announced: String,
    opens: String,
    closes: String,
    questions: Vec<String>,
    /// The title, as the chair signed it (announcement version 2).
    title: Option<String>,
    /// Each question's text, in the questions' order (version 2).
    question_texts: Option<Vec<String>>,
    /// The documents voted on (version 2), readable at
    /// `…/documents/{sha256}`.
    documents: Vec<DocumentBody>,
    /// The persons the (latest) announcement went to.
    recipients: Vec<String>,
    /// The number of vote entries: visible, and not a count (SPEC 2.1
    /// item 9).
    turnout: usize,
    /// The roll's eligible organisations, once opened (the roll reveals
    /// no choice).
    eligible: Option<Vec<String>>,
    /// SHA-256 of the roll document, once opened.
    roll: Option<String>,
    /// The per-question counts and outcomes, once tallied; `null` before.
    results: Option<Vec<QuestionResult>>,
    /// The counted choice of each organisation, once tallied.
    counted: Option<Vec<CountedChoice>>,
    /// The tally entry's log index, once tallied: a certification names a
    /// tree head that contains it.
    tally_index: Option<u64>,
    /// The chair's certification, once certified.
    certification: Option<CertificationBody>,
    /// The appeals against the chair's decisions on this ballot, in log
    /// order, with the reviewers' decisions.
    appeals: Vec<AppealBody>,
    /// Whether the result is annulled: a reviewer overturned the
    /// announcement or the certification (a new ballot is needed).
    annulled: bool,
}

/// A certification as members see it.
#[derive(Serialize)]
struct CertificationBody {
    chair: String,
    size: u64,
    root: String,
    index: u64,
    time: String,
    note: String,
}

/// An appeal as members see it.
#[derive(Serialize)]
struct AppealBody {
    id: String,
    appellant: String,
    organisation: String,
    against: &'static str,
    grounds: Vec<String>,
    index: u64,
    time: String,
    decision: Option<DecisionBody>,
}

/// A reviewer's decision as members see it.
#[derive(Serialize)]
struct DecisionBody {
    reviewer: String,
    outcome: &'static str,
    reasons: Vec<String>,
    index: u64,
    time: String,
}

fn describe(id: &BallotId, tracked: &TrackedBallot) -> BallotBody {
    let lifecycle = &tracked.lifecycle;
    let announced = lifecycle.announced();
    let ballot = &announced.ballot;
    let (kind, meeting) = match &ballot.kind {
        BallotKind::Correspondence => ("correspondence", None),
        BallotKind::Meeting { meeting } => ("meeting", Some(meeting.to_string())),
        BallotKind::Consultation { .. } => ("consultation", None),
    };
    let opened = lifecycle.opened();
    let tally = lifecycle.tally();
    let counted = counted_choices(tracked);
    BallotBody {
        id: id.to_string(),
        kind,
        meeting,
        state: lifecycle.state(),
        announced: ballot.announced.to_rfc3339_micros(),
        opens: ballot.opens.to_rfc3339_micros(),
        closes: ballot.closes.to_rfc3339_micros(),
        questions: ballot.questions.iter().map(ToString::to_string).collect(),
        title: announced.subject.as_ref().map(|s| s.title.clone()),
        question_texts: announced.subject.as_ref().map(|s| s.questions.clone()),
        documents: announced
            .subject
            .iter()
            .flat_map(|s| &s.documents)
            .map(|d| DocumentBody {
                sha256: d.sha256.to_hex(),
                size: d.size,
                media_type: d.media_type.clone(),
                file_name: d.file_name.clone(),
            })
            .collect(),
        recipients: announced
            .recipients
            .iter()
            .map(ToString::to_string)
            .collect(),
        turnout: lifecycle.votes().map_or(0, |v| v.len()),
        eligible: opened.map(|o| {
            o.roll
                .organisations
                .iter()
                .filter(|e| e.eligible)
                .map(|e| e.organisation.to_string())
                .collect()
        }),
        roll: opened.map(|o| crate::ballot::hash_text(&o.roll_hash)),
        results: tally.map(|t| {
            t.questions
                .iter()
                .map(|q| QuestionResult {
                    question: q.question.to_string(),
                    in_favour: q.in_favour,
                    against: q.against,
                    abstain: q.abstain,
                    not_voted: q.not_voted,
                    eligible: q.eligible,
                    outcome: q.outcome.clone(),
                })
                .collect()
        }),
        counted,
        tally_index: lifecycle.tallied().map(|t| t.index),
        certification: lifecycle.certification().map(|c| CertificationBody {
            chair: c.chair.to_string(),
            size: c.size,
            root: c.root.to_base64(),
            index: c.index,
            time: c.at.to_rfc3339_micros(),
            note: crate::ballot::hash_text(&c.note),
        }),
        appeals: tracked
            .appeals
            .iter()
            .map(|a| AppealBody {
                id: crate::ballot::hash_text(&a.note),
                appellant: a.appellant.to_string(),
                organisation: a.organisation.to_string(),
                against: a.against.as_str(),
                grounds: a.grounds.clone(),
                index: a.index,
                time: a.at.to_rfc3339_micros(),
                decision: a.decision.as_ref().map(|d| DecisionBody {
                    reviewer: d.reviewer.to_string(),
                    outcome: d.outcome.as_str(),
                    reasons: d.reasons.clone(),
                    index: d.index,
                    time: d.at.to_rfc3339_micros(),
                }),
            })
            .collect(),
        annulled: tracked.annulled(),
    }
}

async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(group): Path<String>,
) -> Result<Json<Vec<BallotBody>>, ApiError> {
    let (log, _) = authorise(&state, &caller, &group, Action::ReadGroup).await?;
    let ballots = log
        .read(|loaded| {
            loaded
                .state
                .book
                .ballots()
                .map(|(id, b)| describe(id, b))
                .collect()
        })
        .await?;
    Ok(Json(ballots))
}

async fn read(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path((group, ballot)): Path<(String, String)>,
) -> Result<Json<BallotBody>, ApiError> {
    let (log, _) = authorise(&state, &caller, &group, Action::ReadGroup).await?;
    let id = ballot_id(&ballot)?;
    log.read(|loaded| {
        loaded
            .state
            .book
            .ballot(id.as_str())
            .map(|b| describe(&id, b))
    })
    .await?
    .map(Json)
    .ok_or_else(|| ApiError::NotFound(format!("no ballot {ballot:?}")))
}
