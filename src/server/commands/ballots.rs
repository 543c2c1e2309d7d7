//! Announcing and cancelling a ballot.

use crate::ballot::AnnouncementDecision;
use crate::id::{BallotId, PersonId};
use crate::server::Log;
use crate::server::sequencer::{Appended, Decided, Refused};
use crate::store::documents::{Document, DocumentKind};

use super::refusals::cancel_refused;
use super::{CommandError, first, registry_of};

/// An announcement in the log.
#[derive(Debug)]
pub struct Announcement {
    /// The `announcement` entry, durable, with the checkpoint covering the
    /// batch (the notifications follow it).
    pub appended: Appended,
    /// The ballot announced.
    pub ballot: BallotId,
    /// The persons it went to: everybody on the membership list
    /// (Article 6.2), each owed the notification logged with it.
    pub recipients: Vec<PersonId>,
}

/// Sequences the chair's signed announcement `note`: the announcement and
/// one notification per recipient, in one batch, decided by
/// [`crate::ballot::BallotBook::decide_announcement`] on the state at the
/// command's turn. A membership list too long for the entry is stored
/// beside it in the same transaction, and so are the documents voted on
/// (`drafts`, exactly those a version 2 note names).
pub async fn announce(
    log: &Log,
    note: Vec<u8>,
    drafts: Vec<Vec<u8>>,
) -> Result<Announcement, CommandError> {
    let group = log.group.clone();
    let committed = log
        .submit(Box::new(move |loaded, time| {
            let registry = registry_of(loaded, &group)?;
            let sent: Vec<&[u8]> = drafts.iter().map(Vec::as_slice).collect();
            let AnnouncementDecision {
                ballot,
                recipients,
                entries,
                recipients_beside,
            } = loaded
                .book
                .decide_announcement(registry, &note, &sent, time)
                .map_err(|r| Refused::from(&r))?;
            let documents = recipients_beside
                .map(|d| Document::new(d, ballot.as_str(), DocumentKind::Recipients))
                .into_iter()
                .chain(
                    drafts
                        .into_iter()
                        .map(|d| Document::new(d, ballot.as_str(), DocumentKind::Draft)),
                )
                .collect();
            Ok(Decided {
                entries,
                documents,
                value: (ballot, recipients),
                receipt: None,
            })
        }))
        .await?;
    let (ballot, recipients) = committed.value;
    Ok(Announcement {
        appended: first(committed.appended, "an announcement")?,
        ballot,
        recipients,
    })
}

/// Cancels `ballot` before its opening (the chair or the secretariat),
/// with a `cancellation` notice to everybody the announcement went to
/// (their calendars drop the event). The answer is the cancellation's.
pub async fn cancel(log: &Log, ballot: BallotId) -> Result<Appended, CommandError> {
    let group = log.group.clone();
    let appended = log
        .append_all(move |loaded, time| {
            let registry = registry_of(loaded, &group)?;
            let entry = loaded
                .book
                .decide_cancel(&ballot, time)
                .map_err(|r| cancel_refused(&r))?;
            Ok(loaded.book.with_outcome_notices(registry, entry))
        })
        .await?;
    first(appended, "a cancellation")
}
