//! Reminders before the close (SPEC section 9), queued by the scheduler.
//!
//! At each of the group's reminder times of an open ballot (its
//! `reminder-hours`, by default seven days and one day before the close),
//! the eligible organisations of the frozen roll with no vote logged
//! before that time are reminded: one message to each of their delegates
//! (every person the registry has for the organisation), queued in the
//! private outbox (`crate::store::private_outbox`), not the log: a
//! `notification` entry would publish which organisations have not voted
//! while votes hide the organisation (SPEC section 4).
//!
//! The rule is [`crate::ballot::reminders`]; this module only reads the
//! fold and writes the run and its messages in one transaction, which
//! refuses a run already written: a reminder time is processed once per
//! database, whatever crashes, restarts or other server processes.

use std::collections::BTreeSet;

use super::fold::micros;
use super::{AppState, Log};
use crate::store::private_outbox::ReminderRun;

/// The reminder times already processed, by group, ballot and offset:
/// kept by the scheduler so that the database is asked once per time.
pub type Processed = BTreeSet<(String, String, u32)>;

/// Queues the reminders of `log` that have come at the clock's time and
/// are not in `processed`; whether any was queued.
pub async fn queue_due(state: &AppState, log: &Log, processed: &mut Processed) -> bool {
    let now = state.clock.now();
    let group = log.group.clone();
    let Ok(due) = log
        .read(|loaded| {
            let Some(registry) = loaded.state.registry.as_ref() else {
                return Vec::new();
            };
            let reminders = &registry.group().reminders;
            loaded
                .state
                .book
                .reminders_due(now, reminders, |ballot, hours| {
                    processed.contains(&(group.clone(), ballot.to_string(), hours))
                })
                .into_iter()
                .map(|d| {
                    let orgs: BTreeSet<&str> = d.organisations.iter().map(|o| o.as_str()).collect();
                    let delegates: Vec<(String, String)> = registry
                        .persons()
                        .filter(|p| orgs.contains(p.organisation.as_str()))
                        .map(|p| (p.organisation.to_string(), p.id.to_string()))
                        .collect();
                    (d, delegates)
                })
                .collect::<Vec<_>>()
        })
        .await
    else {
        return false;
    };
    let mut queued = false;
    for (d, delegates) in due {
        let run = ReminderRun {
            group: group.clone(),
            ballot: d.ballot.to_string(),
            hours: d.hours,
            due_at: micros(d.at),
            done_at: micros(now),
            organisations: d.organisations.iter().map(ToString::to_string).collect(),
        };
        match state.store.queue_reminders(&run, &delegates).await {
            Ok(written) => {
                if written {
                    queued = true;
                    // Counts only: which organisations is not for the
                    // server's log lines either before the close.
                    tracing::info!(
                        group = %group,
                        ballot = %run.ballot,
                        hours = run.hours,
                        messages = delegates.len(),
                        "reminders queued"
                    );
                }
                processed.insert((group.clone(), run.ballot.clone(), run.hours));
            }
            Err(e) => {
                tracing::warn!(group = %group, ballot = %run.ballot, error = %e, "cannot queue reminders");
            }
        }
    }
    queued
}
