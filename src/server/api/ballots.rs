//! Ballots over HTTP: the chair's announcement, cancellation, reading
//! ballots, casting signed votes with receipts, and the documents stored
//! beside the log.
//!
//! - `POST /v1/groups/{group}/ballots`: the chair in office submits a
//!   signed announcement (`{"announcement": "<note>"}`); the announcement
//!   entry and one `notification` entry per recipient (the membership
//!   list, Article 6.2) are appended in one batch. 201.
//! - `GET …/ballots`, `GET …/ballots/{ballot}`: members and reviewers.
//!   Turnout (the number of vote entries) is visible; no count and no
//!   choice before the close (SPEC 2.1 item 9; CM/Rec(2017)5 standard 24).
//!   Once tallied: the counts, the outcome and the counted choice of each
//!   organisation.
//! - `POST …/ballots/{ballot}/cancel`: the chair or the secretariat, before
//!   the opening only.
//! - `POST …/ballots/{ballot}/votes`: a delegate's token and a signed vote
//!   note (`{"note": "…", "attachment": "…"?}`). The vote is decided inside
//!   the sequencer on the state at its turn; an accepted vote answers 201
//!   `{"index", "receipt"}` once the entry, its note and a checkpoint are
//!   durable; a byte-identical resubmission answers 200 with the original
//!   receipt (SPEC section 4).
//! - `GET …/ballots/{ballot}/documents/{sha256}`: the roll document at any
//!   time, notes and attachments after the close (SPEC section 4); before
//!   it, a note or an attachment is a 404 like a hash nobody sent.
//!
//! # Refusals
//!
//! A refused vote is a problem whose `type` is
//! `urn:scrutineer:problem:<code>` with the SPEC code: 403 for
//! `token-mismatch`, 409 for `replay` (and the internal conflicts), 422 for
//! every other code. An announcement's refusal is 422, or 409 when the
//! ballot has already opened.

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{LogReceipt, authorise_in};
use crate::ballot::{
    AnnounceRefusal, BallotRefusal, Decision, Due, Notification, NotificationReason, Recorder,
    TrackedBallot, VoteRefusal,
};
use crate::id::{BallotId, PersonId};
use crate::rules::BallotKind;
use crate::server::auth::{Action, Caller, Roles};
use crate::server::error::{ApiError, ApiJson};
use crate::server::sequencer::{AppendError, Appended, Documented, Refused};
use crate::server::{AppState, GroupLogState, Log, scheduler};
use crate::store::documents::{Document, DocumentKind};
use crate::tlog::proof::inclusion_proof;
use crate::tlog::receipt::Receipt;
use crate::tlog::{Hash, LeafIndex, TreeSize};
use crate::vote::SubmittedVote;

/// The ballot routes.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/groups/{group}/ballots", get(list).post(announce))
        .route("/v1/groups/{group}/ballots/{ballot}", get(read))
        .route("/v1/groups/{group}/ballots/{ballot}/cancel", post(cancel))
        .route("/v1/groups/{group}/ballots/{ballot}/votes", post(vote))
        .route(
            "/v1/groups/{group}/ballots/{ballot}/documents/{sha256}",
            get(document),
        )
}

/// A problem with a SPEC refusal code as its `type` (RFC 9457), for the
/// statuses [`ApiError`] does not pair with a free code (403).
pub(super) fn problem(status: StatusCode, code: &str, detail: String) -> Response {
    let body = json!({
        "type": format!("urn:scrutineer:problem:{code}"),
        "title": "Refused",
        "status": status.as_u16(),
        "detail": detail,
    });
    let mut response = (status, Json(body)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    response
}

/// The log of `group` once the caller's roles allow `action`.
pub(super) async fn authorise(
    state: &AppState,
    caller: &Caller,
    group: &str,
    action: Action,
) -> Result<(Arc<Log>, Roles), ApiError> {
    let log = state.log(group).await?;
    let roles = authorise_in(state, caller, &log, action).await?;
    Ok((log, roles))
}

pub(super) fn ballot_id(text: &str) -> Result<BallotId, ApiError> {
    BallotId::new(text)
        .map_err(|e| ApiError::bad_request("invalid-id", format!("ballot {text:?}: {e}")))
}

pub(super) fn no_registry() -> Refused {
    Refused {
        code: "not-found",
        message: "the group is not created yet".to_owned(),
        conflict: false,
    }
}

// ---------------------------------------------------------------- announce

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnnounceRequest {
    /// The chair's signed announcement note (`docs/formats.md` 7.3).
    announcement: String,
}

/// The announcement's receipt, its ballot and the persons it went to.
#[derive(Serialize)]
struct Announced {
    #[serde(flatten)]
    receipt: LogReceipt,
    ballot: String,
    recipients: Vec<String>,
}

fn announce_refused(refusal: &AnnounceRefusal) -> Refused {
    Refused {
        code: refusal.code(),
        message: refusal.to_string(),
        conflict: matches!(
            refusal,
            AnnounceRefusal::NotAnnounced { .. } | AnnounceRefusal::Registry(_)
        ),
    }
}

async fn announce(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    axum::extract::Path(group): axum::extract::Path<String>,
    ApiJson(body): ApiJson<AnnounceRequest>,
) -> Result<(StatusCode, Json<Announced>), ApiError> {
    let (log, _) = authorise(&state, &caller, &group, Action::AnnounceBallot).await?;
    let recipients = Arc::new(Mutex::new((String::new(), Vec::new())));
    let out = Arc::clone(&recipients);
    let appended = log
        .append_documented(Box::new(move |loaded: &GroupLogState, time| {
            let registry = loaded.registry.as_ref().ok_or_else(no_registry)?;
            let (entry, beside) = loaded
                .book
                .decide_announcement(registry, body.announcement.as_bytes(), time)
                .map_err(|r| announce_refused(&r))?;
            let ballot: BallotId = entry
                .get("ballot")
                .and_then(|b| BallotId::new(b).ok())
                .ok_or_else(|| Refused {
                    code: "malformed-announcement",
                    message: "the announcement names no ballot".to_owned(),
                    conflict: false,
                })?;
            // Article 6.2: everybody on the membership list now, which is
            // what the entry's recipient lines say; each is owed a
            // notification, logged in the same batch.
            let persons: Vec<PersonId> = registry.membership_list_at_now().cloned().collect();
            let at = entry.time();
            let mut entries = vec![entry];
            entries.extend(persons.iter().map(|person| {
                Notification {
                    ballot: ballot.clone(),
                    person: person.clone(),
                    reason: NotificationReason::Announcement,
                }
                .to_entry(at)
            }));
            *out.lock()
                .expect("invariant: never poisoned (no panic while held)") = (
                ballot.to_string(),
                persons.iter().map(ToString::to_string).collect(),
            );
            // A membership list too long for the entry goes beside it.
            let documents = beside
                .map(|d| Document::new(d, ballot.as_str(), DocumentKind::Recipients))
                .into_iter()
                .collect();
            Ok(Documented { entries, documents })
        }))
        .await?;
    let first = appended
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::Internal("an announcement appended nothing".to_owned()))?;
    let (ballot, recipients) = std::mem::take(
        &mut *recipients
            .lock()
            .expect("invariant: never poisoned (no panic while held)"),
    );
    Ok((
        StatusCode::CREATED,
        Json(Announced {
            receipt: first.into(),
            ballot,
            recipients,
        }),
    ))
}

// ------------------------------------------------------------------ cancel

async fn cancel(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    axum::extract::Path((group, ballot)): axum::extract::Path<(String, String)>,
) -> Result<(StatusCode, Json<LogReceipt>), ApiError> {
    let (log, _) = authorise(&state, &caller, &group, Action::CancelBallot).await?;
    let ballot = ballot_id(&ballot)?;
    let appended = log
        .append(Box::new(move |loaded: &GroupLogState, time| {
            loaded.registry.as_ref().ok_or_else(no_registry)?;
            loaded
                .book
                .decide_cancel(&ballot, time)
                .map_err(|r| match &r {
                    BallotRefusal::UnknownBallot(_) => Refused {
                        code: "not-found",
                        message: r.to_string(),
                        conflict: false,
                    },
                    _ => Refused {
                        code: "already-opened",
                        message: r.to_string(),
                        conflict: true,
                    },
                })
        }))
        .await
        .map_err(not_found_as_404)?;
    Ok((StatusCode::OK, Json(appended.into())))
}

pub(super) fn not_found_as_404(error: AppendError) -> ApiError {
    match error {
        AppendError::Refused(r) if r.code == "not-found" => ApiError::NotFound(r.message),
        other => other.into(),
    }
}

// -------------------------------------------------------------------- read

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

/// A counted vote, once tallied: the organisation's final choice.
#[derive(Serialize)]
struct CountedChoice {
    organisation: String,
    question: String,
    choice: String,
    person: String,
    note: String,
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
    let counted = tally.map(|t| {
        let open = opened.expect("invariant: a tallied ballot has been opened");
        t.counted
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
            .collect()
    });
    BallotBody {
        id: id.to_string(),
        kind,
        meeting,
        state: lifecycle.state(),
        announced: ballot.announced.to_rfc3339_micros(),
        opens: ballot.opens.to_rfc3339_micros(),
        closes: ballot.closes.to_rfc3339_micros(),
        questions: ballot.questions.iter().map(ToString::to_string).collect(),
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
    axum::extract::Path(group): axum::extract::Path<String>,
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
    axum::extract::Path((group, ballot)): axum::extract::Path<(String, String)>,
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

// ---------------------------------------------------------------- document

async fn document(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    axum::extract::Path((group, ballot, sha256)): axum::extract::Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let (log, _) = authorise(&state, &caller, &group, Action::ReadGroup).await?;
    let id = ballot_id(&ballot)?;
    let hash = Hash::from_hex(&sha256)
        .ok()
        .filter(|h| h.to_hex() == sha256)
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid-hash",
                "the hash is 64 lowercase hexadecimal digits",
            )
        })?;
    // A vote's note is stored under its entry, which the fold knows.
    let (revealed, entry) = log
        .read(|loaded| {
            loaded.state.book.ballot(id.as_str()).map(|b| {
                let entry = b
                    .lifecycle
                    .votes()
                    .and_then(|v| v.by_note(&hash))
                    .map(|v| v.index);
                (b.lifecycle.revealed(), entry)
            })
        })
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no ballot {ballot:?}")))?;
    // Before the close, a note or an attachment is answered exactly as a
    // hash nobody sent: a different answer would confirm a guess of
    // another organisation's note or reasons (SPEC section 4: nothing of a
    // vote but its commitment is visible before the close).
    let absent = || {
        let revealed_at_close = if revealed {
            ""
        } else {
            "; notes and attachments are readable from the ballot's close"
        };
        ApiError::NotFound(format!(
            "ballot {ballot:?} has no readable document {sha256}{revealed_at_close}"
        ))
    };
    let found = state
        .store
        .document(&group, &hash, entry)
        .await?
        .filter(|d| d.ballot == id.as_str());
    let document = match found {
        Some(document) => Some(document),
        // The same attachment sent with votes of two ballots is stored
        // once for each: the row of this ballot.
        None => state
            .store
            .documents(&group, std::slice::from_ref(&hash))
            .await?
            .into_iter()
            .find(|d| d.ballot == id.as_str()),
    }
    .ok_or_else(absent)?;
    let content_type = match document.kind {
        DocumentKind::Roll | DocumentKind::Tally => "application/json",
        DocumentKind::Note | DocumentKind::Attachment if !revealed => return Err(absent()),
        _ => "text/plain; charset=utf-8",
    };
    let mut response = document.bytes.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    Ok(response)
}

// -------------------------------------------------------------------- vote

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VoteRequest {
    /// The signed vote note (SPEC section 4), exactly as signed.
    note: String,
    /// The attachment the note names, as UTF-8 text.
    attachment: Option<String>,
}

/// A vote's answer: its index and the C2SP tlog-proof receipt.
#[derive(Serialize)]
struct VoteReceipt {
    index: u64,
    receipt: String,
}

/// What the vote command decided, besides its entries.
enum Outcome {
    /// The vote's entry is the first of the batch's.
    Accepted,
    /// A byte-identical resubmission of the vote at this index.
    Duplicate(u64),
    /// Refused before the sequencer could log anything.
    Refused(VoteRefusal),
    /// The ballot's opening is due but its roll is not logged yet: the
    /// request, handed back to be decided again once it is.
    OpeningDue(Box<CastVote>),
}

/// A vote request as the sequencer decides it, moved into the command
/// rather than copied (the note and its attachment can be large).
struct CastVote {
    submitted: SubmittedVote,
    attachment: Option<Vec<u8>>,
    /// The token's person.
    person: PersonId,
    /// The ballot of the request's path.
    path_ballot: BallotId,
}

fn vote_status(refusal: &VoteRefusal) -> StatusCode {
    match refusal {
        VoteRefusal::TokenMismatch => StatusCode::FORBIDDEN,
        VoteRefusal::Replay | VoteRefusal::OpeningDue | VoteRefusal::Registry(_) => {
            StatusCode::CONFLICT
        }
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

fn vote_problem(refusal: &VoteRefusal) -> Response {
    problem(vote_status(refusal), refusal.code(), refusal.to_string())
}

async fn vote(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    axum::extract::Path((group, ballot)): axum::extract::Path<(String, String)>,
    ApiJson(body): ApiJson<VoteRequest>,
) -> Result<Response, ApiError> {
    let (log, _) = authorise(&state, &caller, &group, Action::CastVote).await?;
    let path_ballot = ballot_id(&ballot)?;
    let submitted = match SubmittedVote::parse(body.note.as_bytes()) {
        Ok(submitted) => submitted,
        Err(e) => return Ok(vote_problem(&VoteRefusal::MalformedNote(e.to_string()))),
    };
    let person = PersonId::new(&caller.person).map_err(|_| {
        ApiError::Forbidden("the token's person is not a person of this group".to_owned())
    })?;
    let attachment = body.attachment.map(String::into_bytes);
    verify_in_advance(&log, &submitted);
    // At most twice: when the ballot's opening is due but its roll is not
    // logged yet, the roll is sequenced first and the vote decided again.
    let mut request = CastVote {
        submitted,
        attachment,
        person,
        path_ballot,
    };
    for _ in 0..2 {
        let (appended, outcome) = cast(&log, request).await?;
        match outcome {
            Outcome::OpeningDue(returned) => {
                request = *returned;
                let due = Due::Open(request.path_ballot.clone());
                match scheduler::sequence(&log, due).await {
                    Ok(_) | Err(AppendError::Refused(_)) => continue,
                    Err(e) => return Err(e.into()),
                }
            }
            Outcome::Refused(refusal) => return Ok(vote_problem(&refusal)),
            Outcome::Accepted => {
                let first = appended
                    .into_iter()
                    .next()
                    .ok_or_else(|| ApiError::Internal("a vote appended nothing".to_owned()))?;
                let index = first.index;
                let receipt = batch_receipt(&state, &group, first).await?;
                return Ok(
                    (StatusCode::CREATED, Json(VoteReceipt { index, receipt })).into_response()
                );
            }
            Outcome::Duplicate(index) => {
                let receipt = original_receipt(&state, &log, index).await?;
                return Ok((StatusCode::OK, Json(VoteReceipt { index, receipt })).into_response());
            }
        }
    }
    Err(ApiError::Unavailable(
        "the ballot's opening could not be sequenced; try again".to_owned(),
    ))
}

/// Verifies the vote's signature here, on whichever core runs this
/// request, under the signer's key of the note's key id in the log's
/// published registry, and records it in the ballot book's memo: the
/// decision in the log's serialised section then finds the record (the
/// same note bytes, the same key) and does not verify again. A note that
/// does not verify here, or whose key is not in the view, is simply
/// verified by the decision as before.
fn verify_in_advance(log: &Log, submitted: &SubmittedVote) {
    let Some(published) = log.published() else {
        return;
    };
    let key = published.registry.as_deref().and_then(|registry| {
        registry
            .keys_of(submitted.person.as_str())
            .iter()
            .find(|k| k.key.id() == submitted.key_id)
    });
    if let Some(key) = key {
        published
            .verified
            .verify_in_advance(submitted, &key.key, Recorder::Deciding);
    }
}

/// Runs the vote decision inside the sequencer, on the state at its turn.
/// The note names its ballot and the decision's codes come first
/// (`unknown-ballot` for a note naming no ballot of this log); a note the
/// decision would take but for another ballot than the request's path is
/// refused as `malformed-note` (the request contradicts its note), so a
/// client never gets a receipt for a ballot it did not ask for.
async fn cast(log: &Log, request: CastVote) -> Result<(Vec<Appended>, Outcome), ApiError> {
    let CastVote {
        submitted,
        attachment,
        person,
        path_ballot,
    } = request;
    let outcome = Arc::new(Mutex::new(None));
    let slot = Arc::clone(&outcome);
    let appended = log
        .append_documented(Box::new(move |loaded: &GroupLogState, time| {
            let registry = loaded.registry.as_ref().ok_or_else(no_registry)?;
            let decided =
                loaded
                    .book
                    .decide_vote(registry, &submitted, attachment.as_deref(), time, &person);
            let set = |o| {
                *slot
                    .lock()
                    .expect("invariant: never poisoned (no panic while held)") = Some(o)
            };
            let decided = match decided {
                Ok(_) if submitted.vote.ballot != path_ballot => {
                    Err(VoteRefusal::MalformedNote(format!(
                        "the note is for ballot {}, the request for {path_ballot}",
                        submitted.vote.ballot
                    )))
                }
                other => other,
            };
            match decided {
                Err(VoteRefusal::OpeningDue) => {
                    set(Outcome::OpeningDue(Box::new(CastVote {
                        submitted,
                        attachment,
                        person,
                        path_ballot,
                    })));
                    Ok(Documented::default())
                }
                Err(refusal) => {
                    set(Outcome::Refused(refusal));
                    Ok(Documented::default())
                }
                Ok(Decision::Duplicate { index }) => {
                    set(Outcome::Duplicate(index));
                    Ok(Documented::default())
                }
                Ok(Decision::Accept { entry }) => {
                    let ballot = submitted.vote.ballot.as_str();
                    let mut documents = vec![Document::new(
                        submitted.bytes.clone(),
                        ballot,
                        DocumentKind::Note,
                    )];
                    if let Some(bytes) = attachment {
                        documents.push(Document::new(bytes, ballot, DocumentKind::Attachment));
                    }
                    // The fold judges the entry next, on these very bytes:
                    // it takes the note as parsed here.
                    loaded.book.verified.keep_decided(submitted);
                    set(Outcome::Accepted);
                    Ok(Documented {
                        entries: vec![entry],
                        documents,
                    })
                }
            }
        }))
        .await
        .map_err(not_found_as_404)?;
    // The sequencer answered through a channel after running the command,
    // which orders the store before this load.
    let outcome = outcome
        .lock()
        .expect("invariant: never poisoned (no panic while held)")
        .take()
        .ok_or_else(|| ApiError::Internal("the vote command did not run".to_owned()))?;
    Ok((appended, outcome))
}

/// The receipt of entry `index` against the signed checkpoint of `size`:
/// `extra` is the entry's exact bytes (SPEC section 4, "Receipt").
async fn receipt(
    state: &AppState,
    group: &str,
    entry: &[u8],
    index: u64,
    size: u64,
    checkpoint: Vec<u8>,
) -> Result<String, ApiError> {
    let proof = state
        .store
        .with_hashes(group, |reader| {
            inclusion_proof(LeafIndex::new(index), TreeSize::new(size), reader)
        })
        .await?
        .map_err(|e| ApiError::Internal(format!("inclusion proof: {e}")))?;
    let receipt = Receipt::new(
        Some(entry.to_vec()),
        LeafIndex::new(index),
        proof,
        checkpoint,
    )
    .map_err(|e| ApiError::Internal(format!("receipt: {e}")))?;
    Ok(receipt.to_text())
}

/// The receipt of an entry just appended, its proof from the batch's own
/// hashes; from storage only if those ever lacked one (they never should,
/// see [`crate::tlog::TailHashes`]).
async fn batch_receipt(
    state: &AppState,
    group: &str,
    appended: Appended,
) -> Result<String, ApiError> {
    let Ok(proof) = appended.inclusion_proof() else {
        return receipt(
            state,
            group,
            &appended.entry,
            appended.index,
            appended.size,
            appended.checkpoint,
        )
        .await;
    };
    // The batch's checkpoint was signed by this process's sequencer.
    let receipt = Receipt::with_own_checkpoint(
        Some(appended.entry),
        LeafIndex::new(appended.index),
        proof,
        appended.checkpoint,
    )
    .map_err(|e| ApiError::Internal(format!("receipt: {e}")))?;
    Ok(receipt.to_text())
}

/// The original receipt of the vote at `index`: against the first
/// checkpoint that covered it, which is the one its first answer carried.
async fn original_receipt(state: &AppState, log: &Log, index: u64) -> Result<String, ApiError> {
    let group = &log.group;
    let mut covering = state.store.first_checkpoint_covering(group, index).await?;
    if covering.is_none() {
        // The original is in the batch being committed (the duplicate was
        // decided on its in-memory state): the sequencer holds the log's
        // lock until the batch is durable or failed, so wait for it.
        log.read(|_| ()).await?;
        covering = state.store.first_checkpoint_covering(group, index).await?;
    }
    let (size, checkpoint) = covering.ok_or_else(|| {
        ApiError::Unavailable("the original vote was not recorded; send it again".to_owned())
    })?;
    let entry = state
        .store
        .entries(group, index, index + 1)
        .await?
        .pop()
        .ok_or_else(|| ApiError::Internal(format!("entry {index} is missing")))?;
    receipt(state, group, &entry, index, size, checkpoint).await
}
