//! Registry facts: each change is one entry, decided on the registry at
//! the command's turn in the sequencer and checked there with the fold's
//! own check ([`GroupState::check`]), with the notices it owes.

use crate::registry::csv::{ImportError, import_attendance};
use crate::registry::{Fact, GroupState};
use crate::server::Log;
use crate::server::sequencer::{Appended, Decided, Refused};
use crate::time::Timestamp;

use super::{CommandError, first, registry_of};

/// A registry change in the log.
#[derive(Debug)]
pub struct Recorded {
    /// The fact's entry, durable, with the checkpoint that covers it.
    pub appended: Appended,
    /// Whether the change created the resource rather than changed or
    /// removed one.
    pub created: bool,
}

/// Records the fact that `decide` makes from the registry at the command's
/// turn, with whether it creates a resource. A person or key registered
/// for an organisation while a ballot runs is told to its representatives
/// by a `registry-change` notice in the same batch (the fold offers
/// exactly these, [`crate::ballot::BallotBook::registry_notices`]).
pub async fn record<F>(log: &Log, decide: F) -> Result<Recorded, CommandError>
where
    F: FnOnce(&GroupState, Timestamp) -> Result<(Fact, bool), Refused> + Send + 'static,
{
    let group = log.group.clone();
    let committed = log
        .submit(Box::new(move |loaded, time| {
            let registry = registry_of(loaded, &group)?;
            let (fact, created) = decide(registry, time)?;
            registry.check(&fact, time).map_err(|r| Refused::from(&r))?;
            let notices = loaded.book.registry_notices(registry, &fact);
            let entry = fact.to_entry(time);
            let at = entry.time();
            let mut entries = vec![entry];
            entries.extend(notices.iter().map(|n| n.to_entry(at)));
            Ok(Decided {
                entries,
                documents: Vec::new(),
                value: created,
            })
        }))
        .await?;
    Ok(Recorded {
        appended: first(committed.appended, "a registry change")?,
        created: committed.value,
    })
}

/// Why an attendance import wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportFailure {
    /// The file has faulty rows (every one is listed) or is not a
    /// registration export.
    #[error(transparent)]
    File(ImportError),
    /// The log refused or could not append the rows.
    #[error(transparent)]
    Command(#[from] CommandError),
}

/// Imports a registration export all or nothing: every row is validated
/// on the registry as it is now, for a full report of the faulty rows;
/// then, if all are valid, the rows are validated once more on the state
/// at the command's turn and appended in one batch, in order.
pub async fn import(log: &Log, csv: Vec<u8>) -> Result<Vec<Appended>, ImportFailure> {
    let group = log.group.clone();
    log.read(|loaded| {
        registry_of(&loaded.state, &group).map(|r| import_attendance(r, &csv).map(|_| ()))
    })
    .await
    .map_err(CommandError::from)?
    .map_err(CommandError::from)?
    .map_err(ImportFailure::File)?;
    let group = log.group.clone();
    let appended = log
        .append_all(move |loaded, time| {
            let registry = registry_of(loaded, &group)?;
            let rows = import_attendance(registry, &csv).map_err(|e| {
                Refused::conflict(e.code(), format!("the registry changed meanwhile: {e}"))
            })?;
            // The rows are upserts of distinct (meeting, person) pairs that
            // depend only on meetings, persons and organisations, so each
            // checked on this state is checked at its own turn.
            let facts: Vec<Fact> = rows.into_iter().map(Fact::Attendance).collect();
            for fact in &facts {
                registry.check(fact, time).map_err(|r| Refused::from(&r))?;
            }
            Ok(facts.iter().map(|f| f.to_entry(time)).collect())
        })
        .await
        .map_err(CommandError::from)?;
    if appended.is_empty() {
        return Err(
            CommandError::Internal("an import of valid rows appended no entry".into()).into(),
        );
    }
    Ok(appended)
}
