//! The notice rule explained while the chair types (SPEC section 8,
//! "Chair": "the notice rule explained as it is typed").
//!
//! The draft's kind and dates are read by [`super::announce::schedule_of`]
//! (the reading the note itself gets) and checked by the rules'
//! [`check_schedule`] on the registry as it stands, announced now: the
//! function the sequencer's announcement decision calls. What the page
//! shows is that check's outcome with its inputs: the notice the profile
//! asks (exact days, or calendar months for ITU-T's three-month rule), the
//! earliest opening (or meeting start) an announcement now allows, the
//! instant the notice must reach, and for a meeting vote the meeting with
//! its dates, since the announcement is its agenda item and the vote must
//! run inside it.
//!
//! - `POST /groups/{group}/announce/dates`: the draft form, url-encoded with
//!   its CSRF token, as the module (`static/scrutineer.js`) sends it a
//!   moment after each change of the kind or a date; the answer is the
//!   HTML fragment `announce_dates.html`, which the module puts in the
//!   page's `aria-live` region.
//! - Without JavaScript, the form's "Check the dates" button posts the
//!   whole draft to `POST /groups/{group}/announce`, which renders the page
//!   with the same fragment (`announce.rs`).
//!
//! Nothing is written; the check only spares the chair a signature the log
//! would refuse.

use std::sync::Arc;

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::response::Response;

use super::WebError;
use super::announce::{Draft, schedule_of};
use super::render::{iso, page};
use super::session::Session;
use crate::id::BallotId;
use crate::rules::params::Notice;
use crate::rules::schedule::notice_end;
use crate::rules::{Ballot, BallotKind, ScheduleError, check_schedule};
use crate::server::auth::Action;
use crate::server::error::ApiError;
use crate::server::{AppState, Log};
use crate::time::Timestamp;

/// A meeting a meeting vote names, as the registry has it.
pub struct MeetingView {
    pub(super) id: String,
    pub(super) plenary: bool,
    pub(super) format: &'static str,
    pub(super) start: String,
    pub(super) end: String,
}

/// The notice rule applied to the draft's kind and dates.
#[derive(Default)]
pub struct Dates {
    /// `incomplete` (a date missing or unreadable: `field` and `code`
    /// say which and why), `allowed`, or `refused` (`code` is the
    /// rules' reason: `notice-period` or a window problem's code).
    pub(super) outcome: &'static str,
    pub(super) field: &'static str,
    pub(super) code: &'static str,
    pub(super) kind: &'static str,
    pub(super) now: String,
    /// The notice the profile asks: exact days or calendar months.
    pub(super) notice_days: u32,
    pub(super) notice_months: u32,
    /// The announcement (now) plus the notice: the earliest opening (or
    /// meeting start) allowed.
    pub(super) notice_until: String,
    /// The instant the notice must reach for this draft: its opening, or
    /// its meeting's start.
    pub(super) deadline: String,
    pub(super) opens: String,
    pub(super) closes: String,
    /// The meeting a meeting vote names, when the registry has it.
    pub(super) meeting: Option<MeetingView>,
}

/// The fragment the module puts in the page.
#[derive(Template)]
#[template(path = "announce_dates.html")]
struct DatesFragment {
    dates: Dates,
}

/// The notice rule on `draft`'s kind and dates, announced at `now`, on the
/// group's registry as it stands.
pub(super) async fn explain(log: &Log, draft: &Draft, now: Timestamp) -> Result<Dates, WebError> {
    let schedule = schedule_of(draft);
    let meeting_id = match &schedule {
        Ok((BallotKind::Meeting { meeting }, ..)) => Some(meeting.to_string()),
        _ => None,
    };
    let checked = log
        .read(move |loaded| {
            let registry = loaded.state.registry.as_ref()?;
            let parameters = registry.parameters().clone();
            let rules = registry.rules_registry().ok();
            let meeting = meeting_id.as_deref().and_then(|id| {
                rules.as_ref()?.meeting(id).map(|m| MeetingView {
                    id: m.id.to_string(),
                    plenary: m.is_plenary(),
                    format: m.format.as_str(),
                    start: iso(m.start),
                    end: iso(m.end),
                })
            });
            let outcome = match &schedule {
                Err(_) => None,
                Ok((kind, opens, closes)) => {
                    let ballot = Ballot {
                        id: BallotId::new("draft").expect("a valid id"),
                        kind: kind.clone(),
                        questions: Vec::new(),
                        announced: now,
                        opens: opens.unwrap_or(now),
                        closes: *closes,
                    };
                    rules.as_ref().map(|rules| {
                        check_schedule(&parameters, rules, &ballot).map(|s| s.deadline())
                    })
                }
            };
            Some((parameters, meeting, outcome))
        })
        .await
        .map_err(ApiError::from)?
        .ok_or_else(|| WebError::NotFound(format!("group {:?} is not created yet", log.group)))?;
    let (parameters, meeting, outcome) = checked;
    let (notice_days, notice_months) = match parameters.notice {
        Notice::ExactDays(days) => (days, 0),
        Notice::CalendarMonths(months) => (0, months),
    };
    let mut dates = Dates {
        kind: match draft.kind.as_str() {
            "meeting" => "meeting",
            "consultation" => "consultation",
            _ => "correspondence",
        },
        now: iso(now),
        notice_days,
        notice_months,
        notice_until: notice_end(parameters.notice, now)
            .map(iso)
            .unwrap_or_default(),
        meeting,
        ..Dates::default()
    };
    match (schedule_of(draft), outcome) {
        (Err((field, code)), _) => {
            dates.outcome = "incomplete";
            dates.field = field;
            dates.code = code;
        }
        (Ok((_, opens, closes)), outcome) => {
            dates.opens = opens.map(iso).unwrap_or_else(|| iso(now));
            dates.closes = iso(closes);
            match outcome {
                Some(Ok(deadline)) => {
                    dates.outcome = "allowed";
                    dates.deadline = iso(deadline);
                }
                Some(Err(ScheduleError::NoticePeriod { deadline, .. })) => {
                    dates.outcome = "refused";
                    dates.code = "notice-period";
                    dates.deadline = iso(deadline);
                }
                Some(Err(ScheduleError::Window(problem))) => {
                    dates.outcome = "refused";
                    dates.code = problem.code();
                }
                // The registry cannot be read as the rules need it; the
                // review step says why.
                None => dates.outcome = "incomplete",
            }
        }
    }
    Ok(dates)
}

/// `POST /groups/{group}/announce/dates` (module documentation).
pub async fn fragment(
    State(state): State<Arc<AppState>>,
    session: Session,
    Path(group): Path<String>,
    posted: Result<axum::Form<Draft>, FormRejection>,
) -> Result<Response, WebError> {
    let draft = session.checked_form(posted, Draft::csrf)?;
    let log = session
        .authorise(
            &state,
            &group,
            Action::AnnounceBallot,
            "you are not the chair",
        )
        .await?;
    let dates = explain(&log, &draft, state.clock.now()).await?;
    Ok(page(axum::http::StatusCode::OK, &DatesFragment { dates }))
}
