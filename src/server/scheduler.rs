//! The scheduler: opens, closes and tallies every ballot at its times (SPEC
//! section 6: "Ballots open, close and get tallied by the server's own
//! scheduler at their times, also after a restart").
//!
//! It asks each log's ballot book what is due ([`BallotBook::due`]) and
//! appends the roll, close or tally through the log's sequencer. Each
//! command decides again on the state at its turn (`decide_open`,
//! `decide_close`, `compute_tally`), so a transition is logged exactly
//! once: a second server process sharing the database, a retry after an
//! unknown outcome, or a vote that opened the ballot first, is refused
//! harmlessly (`wrong-state`). Nothing is kept between runs: after a
//! restart the first run finds whatever fell due meanwhile.
//!
//! After the transitions it queues the reminders before the close that
//! have come (`super::reminders`).
//!
//! It runs once at start, then every second, and at once when the
//! simulated clock moves ([`AppState::tick`]).
//!
//! # Entry times
//!
//! SPEC section 4 asks that "the close is an entry sequenced at the
//! closing time". Each entry carries the sequencer's receive time, the
//! clock's time at the command's turn (never before the log's last entry):
//! so the roll is sequenced at or after `opens`, and the close at or after
//! `closes`, within about a second on the system clock. On a simulated
//! clock moved past `closes` in one step, the close carries the clock's
//! new time, later than `closes`. Entry times never go back, so the logged
//! time cannot be `closes` itself; what the rule protects holds either
//! way, because a vote is judged at its own receive time, and the rules
//! refuse one at or after `closes` (`outside-window`) whether or not the
//! close is logged yet.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use super::sequencer::{AppendError, Appended, Decided, Refused, RefusedKind};
use super::{AppState, Log};
use crate::ballot::{BallotRefusal, Due};
use crate::store::documents::{Document, DocumentKind};

/// How often the scheduler looks, when nothing wakes it earlier.
const PERIOD: StdDuration = StdDuration::from_secs(1);

/// Runs until the task is aborted.
pub async fn run(state: Arc<AppState>) {
    // What failed already, so that a ballot that cannot open (its registry
    // changed since the announcement: it must be cancelled) is reported
    // once, not every second.
    let mut reported = BTreeSet::new();
    // The reminder times processed (super::reminders).
    let mut reminded = super::reminders::Processed::new();
    loop {
        run_once(&state, &mut reported).await;
        remind(&state, &mut reminded).await;
        tokio::select! {
            () = tokio::time::sleep(PERIOD) => {}
            () = state.tick.notified() => {}
        }
    }
}

/// One pass over every log: appends what is due now.
async fn run_once(state: &AppState, reported: &mut BTreeSet<(String, String)>) {
    // Groups created by another server process on the same database are
    // scheduled here too (whichever process comes first appends; the other
    // is refused harmlessly).
    if let Err(e) = state.discover().await {
        tracing::warn!("scheduler: cannot open new logs: {e}");
    }
    let logs: Vec<Arc<Log>> = state.logs.read().await.values().cloned().collect();
    for log in logs {
        // A transition can make the next one due at once (the close makes
        // the tally due): look again while something was sequenced, a few
        // rounds at most.
        for _round in 0..4 {
            if !run_log(state, &log, reported).await {
                break;
            }
        }
    }
}

/// Queues the reminders that have come in every log (after the
/// transitions, so that a ballot closed meanwhile is reminded no more).
async fn remind(state: &AppState, processed: &mut super::reminders::Processed) {
    let logs: Vec<Arc<Log>> = state.logs.read().await.values().cloned().collect();
    for log in logs {
        super::reminders::queue_due(state, &log, processed).await;
    }
    // After the close: the log shows what was sent.
    super::commands::reminders::publish(state).await;
}

/// Sequences what is due now in one log; whether anything was sequenced.
async fn run_log(state: &AppState, log: &Log, reported: &mut BTreeSet<(String, String)>) -> bool {
    let now = state.clock.now();
    // A halted log, or one not created yet, has nothing due.
    let Ok(due) = log.read(|loaded| loaded.state.book.due(now)).await else {
        return false;
    };
    let mut progressed = false;
    for transition in due {
        let what = format!("{transition:?}");
        match sequence(log, transition).await {
            Ok(_) => {
                progressed = true;
                reported.remove(&(log.group.clone(), what.clone()));
                tracing::info!(group = %log.group, transition = %what, "sequenced");
            }
            // Another process or request sequenced it first: nothing to do.
            Err(AppendError::Refused(r)) if r.kind == RefusedKind::AlreadyDone => {}
            Err(e) => {
                if reported.insert((log.group.clone(), what.clone())) {
                    tracing::warn!(group = %log.group, transition = %what, "not sequenced: {e}");
                }
            }
        }
    }
    progressed
}

/// Appends the entry of one due transition, decided at its turn in the
/// sequencer: the roll (with its document when stored beside the log),
/// the close or the tally.
pub async fn sequence(log: &Log, transition: Due) -> Result<Vec<Appended>, AppendError> {
    let committed = log.submit(Box::new(move |loaded, time| {
        let registry = loaded
            .registry
            .as_ref()
            .ok_or_else(|| Refused::conflict("not-created", "the group is not created yet"))?;
        let book = &loaded.book;
        match &transition {
            Due::Open(ballot) => {
                let opening = book.decide_open(registry, ballot, time).map_err(refused)?;
                let documents = if opening.stored_beside {
                    vec![Document::new(
                        opening.document,
                        ballot.as_str(),
                        DocumentKind::Roll,
                    )]
                } else {
                    Vec::new()
                };
                Ok(Decided {
                    entries: vec![opening.entry],
                    documents,
                    value: (),
                    receipt: None,
                })
            }
            Due::Close(ballot) => Ok(Decided::entries(
                book.decide_close_with_notices(ballot, time)
                    .map_err(refused)?,
            )),
            Due::Tally(ballot) => {
                let (entry, beside) = book
                    .compute_tally(registry, ballot, time)
                    .map_err(refused)?;
                Ok(Decided {
                    entries: book.with_outcome_notices(registry, entry),
                    documents: beside
                        .map(|d| Document::new(d, ballot.as_str(), DocumentKind::Tally))
                        .into_iter()
                        .collect(),
                    value: (),
                    receipt: None,
                })
            }
        }
    }));
    Ok(committed.await?.appended)
}

/// A transition's refusal as the sequencer's: a wrong state (already done)
/// or a time not yet come is a conflict; anything else too, since the
/// request came from the server itself, not from a client.
fn refused(refusal: BallotRefusal) -> Refused {
    let message = refusal.to_string();
    match &refusal {
        BallotRefusal::WrongState { .. } | BallotRefusal::UnknownBallot(_) => Refused {
            code: "wrong-state",
            message,
            kind: RefusedKind::AlreadyDone,
        },
        BallotRefusal::OpensLater { .. } | BallotRefusal::ClosesLater { .. } => {
            Refused::conflict("not-due", message)
        }
        BallotRefusal::Schedule(e) => Refused::conflict(e.code(), message),
        _ => Refused::conflict("transition-refused", message),
    }
}
