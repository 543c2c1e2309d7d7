//! What the server does on a person's behalf, one function per action, for
//! every front end: the JSON API (`server::api`) and the web pages call
//! the same functions, so that no rule is written twice.
//!
//! Each function takes domain values (ids, note bytes, the person the
//! caller authenticated as), runs the decision of the pure core inside the
//! group's sequencer on the state at its turn ([`crate::server::sequencer::Command`]),
//! and answers with what happened in domain terms: receipts, the ballot an
//! announcement made and who it went to, a vote's receipt. Refusals keep
//! their stable code and their kind ([`RefusedKind`]); a front end chooses
//! how to show them (a problem document, a page).
//!
//! - [`accounts`]: accounts and their tokens.
//! - [`registry`]: registry facts (organisations, persons, keys, meetings,
//!   attendance, chairs, reviewers) with the notices they owe.
//! - [`groups`]: creating a group's log.
//! - [`ballots`]: announcing and cancelling a ballot.
//! - [`votes`]: casting a signed vote, and its receipt.
//! - [`documents`]: reading a document stored beside the log.
//! - [`review`]: certifying a tally, appealing, deciding an appeal.
//! - [`deliveries`]: logging how a notice's e-mail went out.
//! - [`sign_in_links`]: one-time sign-in links by e-mail.
//!
//! **Invariant:** nothing here knows HTTP; nothing in a handler decides.

pub mod accounts;
pub mod ballots;
pub mod deliveries;
pub mod documents;
pub mod groups;
pub mod refusals;
pub mod registry;
pub mod reminders;
pub mod review;
pub mod sign_in_links;
pub mod votes;
pub mod witnessed;

use super::GroupLogState;
use super::sequencer::{AppendError, Refused};
use crate::registry::GroupState;
use crate::store::StoreError;

pub use super::sequencer::RefusedKind;

/// Why an action did not take effect.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The log refused the action ([`AppendError::Refused`], with its code
    /// and kind), or could not append it (nothing recorded, or the outcome
    /// unknown, as the variant says).
    #[error(transparent)]
    Log(#[from] AppendError),
    /// Storage failed outside the append (reading a root or a proof).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The group's log could not be opened (storage unavailable).
    #[error("{0}")]
    Unavailable(String),
    /// The server could not build what it owes (a receipt): a bug.
    #[error("{0}")]
    Internal(String),
}

impl From<Refused> for CommandError {
    fn from(refused: Refused) -> Self {
        Self::Log(AppendError::Refused(refused))
    }
}

impl CommandError {
    /// The refusal, if the log refused the action.
    pub fn refused(&self) -> Option<&Refused> {
        match self {
            Self::Log(AppendError::Refused(refused)) => Some(refused),
            _ => None,
        }
    }
}

/// The group's registry in a command, or the refusal of a log whose
/// `group` entry is not in yet (a creation that a retry completes).
pub(crate) fn registry_of<'a>(
    loaded: &'a GroupLogState,
    log_group: &str,
) -> Result<&'a GroupState, Refused> {
    loaded
        .registry
        .as_ref()
        .ok_or_else(|| Refused::not_found(format!("group {log_group:?} is not created yet")))
}

/// The first receipt of a command that appends at least one entry.
pub(crate) fn first<T>(mut appended: Vec<T>, what: &str) -> Result<T, CommandError> {
    if appended.is_empty() {
        return Err(CommandError::Internal(format!("{what} appended nothing")));
    }
    Ok(appended.swap_remove(0))
}
