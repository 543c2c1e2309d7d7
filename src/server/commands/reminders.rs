//! Publishing the reminders before the close once the ballot is closed
//! (SPEC sections 4 and 9): each processed reminder time becomes a
//! `reminder` entry naming the organisations without a vote then and the
//! delegates reminded, and each answered reminder a `delivery` entry
//! naming that entry and the person. Before the close they stay in the
//! private outbox (`crate::store::private_outbox`).
//!
//! Idempotent: each step appends through the fold's own check (a second
//! `reminder` entry for a time, or a second delivery, is refused as
//! already logged) and then marks the row; a crash between the two finds
//! the logged index in the fold on the next pass.

use crate::ballot::reminders::{ReminderRecord, ReminderRefusal};
use crate::ballot::{Delivery, DeliveryOutcome, DeliveryRefusal, Lifecycle, reply_text};
use crate::id::{BallotId, OrgId, PersonId};
use crate::server::AppState;
use crate::server::sequencer::{AppendError, Refused, RefusedKind};
use crate::store::private_outbox::{PrivateRow, REMINDER, ReminderRun};
use crate::time::Timestamp;

use super::{CommandError, registry_of};

/// Publishes what can be published now: the runs of closed ballots, then
/// the outcomes of their messages. Failures are logged and retried on the
/// next pass.
pub async fn publish(state: &AppState) {
    match state.store.unlogged_runs().await {
        Ok(runs) => {
            for run in runs {
                if let Err(e) = publish_run(state, &run).await {
                    tracing::warn!(group = %run.group, ballot = %run.ballot, error = %e, "cannot log a reminder");
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "cannot read the reminder runs"),
    }
    match state.store.unlogged_answers().await {
        Ok(answers) => {
            for (row, index) in answers {
                if let Err(e) = publish_answer(state, &row, index).await {
                    tracing::warn!(group = %row.group, ballot = %row.ballot, error = %e, "cannot log a reminder's delivery");
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "cannot read the reminders' outcomes"),
    }
}

fn corrupt(what: &str) -> CommandError {
    CommandError::Internal(format!("the private outbox holds {what}"))
}

/// The `reminder` entry of `run`, from its row and its messages.
fn record_of(run: &ReminderRun, rows: &[PrivateRow]) -> Result<ReminderRecord, CommandError> {
    let mut organisations = run
        .organisations
        .iter()
        .map(|o| {
            o.parse::<OrgId>()
                .map_err(|_| corrupt("a bad organisation id"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    organisations.sort();
    organisations.dedup();
    let mut reminded = rows
        .iter()
        .filter(|r| r.kind == REMINDER && r.occasion == u64::from(run.hours))
        .map(|r| {
            Ok((
                r.organisation
                    .parse::<OrgId>()
                    .map_err(|_| corrupt("a bad organisation id"))?,
                r.person
                    .parse::<PersonId>()
                    .map_err(|_| corrupt("a bad person id"))?,
            ))
        })
        .collect::<Result<Vec<_>, CommandError>>()?;
    reminded.sort();
    reminded.dedup();
    Ok(ReminderRecord {
        ballot: run
            .ballot
            .parse::<BallotId>()
            .map_err(|_| corrupt("a bad ballot id"))?,
        hours: run.hours,
        at: Timestamp::from_unix_nanos(i128::from(run.due_at) * 1000)
            .ok_or_else(|| corrupt("a reminder time out of range"))?,
        organisations,
        reminded,
    })
}

async fn publish_run(state: &AppState, run: &ReminderRun) -> Result<(), CommandError> {
    let log = state
        .log(&run.group)
        .await
        .map_err(|e| CommandError::Unavailable(e.to_string()))?;
    let ballot = run.ballot.clone();
    let hours = run.hours;
    // Cheap before the close: nothing to do, nothing appended.
    let (closed, logged) = log
        .read(move |loaded| {
            let tracked = loaded.state.book.ballot(&ballot);
            let closed = tracked.is_some_and(|t| {
                matches!(
                    t.lifecycle,
                    Lifecycle::Closed(_) | Lifecycle::Tallied(_) | Lifecycle::Certified(_)
                )
            });
            let logged = ballot.parse::<BallotId>().ok().and_then(|id| {
                loaded
                    .state
                    .book
                    .reminders_of(&id)
                    .find(|r| r.record.hours == hours)
                    .map(|r| r.index)
            });
            (closed, logged)
        })
        .await?;
    if let Some(index) = logged {
        state.store.run_logged(run, index).await?;
        return Ok(());
    }
    if !closed {
        return Ok(());
    }
    let rows = state.store.private_rows_of(&run.group, &run.ballot).await?;
    let record = record_of(run, &rows)?;
    let group = run.group.clone();
    let appended = log
        .append(move |loaded, time| {
            let registry = registry_of(loaded, &group)?;
            loaded
                .book
                .check_reminder(&record, &registry.group().reminders)
                .map_err(|refusal| match refusal {
                    ReminderRefusal::AlreadyLogged { .. } => Refused {
                        code: "already-logged",
                        message: refusal.to_string(),
                        kind: RefusedKind::AlreadyDone,
                    },
                    other => Refused::conflict("reminder-refused", other.to_string()),
                })?;
            Ok(record.to_entry(time))
        })
        .await;
    match appended {
        Ok(appended) => {
            state.store.run_logged(run, appended.index).await?;
            tracing::info!(group = %run.group, ballot = %run.ballot, hours = run.hours, index = appended.index, "reminder logged");
            Ok(())
        }
        // Logged meanwhile (another process): marked on the next pass.
        Err(AppendError::Refused(r)) if r.kind == RefusedKind::AlreadyDone => Ok(()),
        Err(e) => Err(e.into()),
    }
}

async fn publish_answer(
    state: &AppState,
    row: &PrivateRow,
    index: u64,
) -> Result<(), CommandError> {
    let log = state
        .log(&row.group)
        .await
        .map_err(|e| CommandError::Unavailable(e.to_string()))?;
    let delivery = Delivery {
        ballot: row.ballot.parse().map_err(|_| corrupt("a bad ballot id"))?,
        notification: index,
        person: row.person.parse().map_err(|_| corrupt("a bad person id"))?,
        outcome: if row.accepted == Some(true) {
            DeliveryOutcome::Accepted
        } else {
            DeliveryOutcome::Failed
        },
        reply: reply_text(row.last_reply.as_deref().unwrap_or("")),
    };
    let person = delivery.person.clone();
    let logged = log
        .read(move |loaded| {
            loaded
                .state
                .book
                .deliveries()
                .reminder_delivery(index, &person)
                .flatten()
                .map(|(_, _, at)| *at)
        })
        .await?;
    if let Some(at) = logged {
        state.store.private_logged(row, at).await?;
        return Ok(());
    }
    let group = row.group.clone();
    let appended = log
        .append(move |loaded, time| {
            registry_of(loaded, &group)?;
            match loaded.book.deliveries().check(&delivery) {
                Ok(()) => Ok(delivery.to_entry(time)),
                Err(refusal @ DeliveryRefusal::AlreadyLogged(_)) => Err(Refused {
                    code: "already-logged",
                    message: refusal.to_string(),
                    kind: RefusedKind::AlreadyDone,
                }),
                Err(refusal) => Err(Refused::conflict(
                    "no-such-notification",
                    refusal.to_string(),
                )),
            }
        })
        .await;
    match appended {
        Ok(appended) => {
            state.store.private_logged(row, appended.index).await?;
            Ok(())
        }
        Err(AppendError::Refused(r)) if r.kind == RefusedKind::AlreadyDone => Ok(()),
        Err(e) => Err(e.into()),
    }
}
