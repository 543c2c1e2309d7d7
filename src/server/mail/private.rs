//! The dispatcher's share for the private outbox
//! (`crate::store::private_outbox`): the reminders before the close and
//! the votes' receipts. The same transport, retries, back-off and give-up
//! time as the outbox; the outcome stays in the row, outside the log: a
//! reminder's until the ballot is closed (then
//! `crate::server::commands::reminders` logs it), a receipt's for good.
//! A receipt's row is written with its vote, before the batch's checkpoint
//! is committed: the message's receipt is built here, from storage.

use std::sync::Arc;

use super::{
    Attempt, Dispatcher, message, read_served, real_micros, recipient, send, served_log, settlement,
};
use crate::entry::Entry;
use crate::server::AppState;
use crate::server::commands::votes;
use crate::server::fold::micros;
use crate::store::Settlement;
use crate::store::private_outbox::{PrivateRow, RECEIPT, REMINDER};
use crate::time::Timestamp;
use crate::vote::VOTE_ENTRY_KIND;

/// Claims the due rows and works on them; whether any was claimed.
pub(super) async fn run_once(state: &Arc<AppState>, dispatcher: &Arc<Dispatcher>) -> bool {
    let claimed = state
        .store
        .claim_private(
            micros(state.clock.now()),
            real_micros(),
            real_micros().saturating_add(dispatcher.lease),
            32,
        )
        .await;
    let rows = match claimed {
        Ok(rows) => rows,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the private outbox");
            return false;
        }
    };
    let any = !rows.is_empty();
    // Several at once, on the connections kept to the relay, as the
    // outbox's rows; what became of them is written once, for the whole
    // round (a write per message took SQLite's one write lock from the
    // votes' batches once per message). A crash before that write sends
    // the round's messages again when their leases run out, with the same
    // `Message-ID`s.
    let mut set = tokio::task::JoinSet::new();
    let mut settled = Vec::new();
    for row in rows {
        let state = Arc::clone(state);
        let dispatcher = Arc::clone(dispatcher);
        set.spawn(async move {
            let settlement = settle(&state, &dispatcher, &row).await;
            (row, settlement)
        });
        while set.len() >= 8 {
            settled.extend(set.join_next().await.and_then(Result::ok));
        }
    }
    while let Some(done) = set.join_next().await {
        settled.extend(done.ok());
    }
    if let Err(e) = state.store.private_settle(&settled).await {
        tracing::warn!(error = %e, rows = settled.len(), "cannot update the private outbox");
    }
    any
}

/// Sends the row's message once; what becomes of the row.
async fn settle(state: &AppState, dispatcher: &Dispatcher, row: &PrivateRow) -> Settlement {
    let outcome = attempt(state, dispatcher, row).await;
    settlement(
        dispatcher,
        &row.group,
        outcome,
        row.attempts,
        row.created_at,
        micros(state.clock.now()),
    )
}

/// Builds the row's message and sends it once.
async fn attempt(state: &AppState, dispatcher: &Dispatcher, row: &PrivateRow) -> Attempt {
    let account = match recipient(state, &row.person).await {
        Ok(account) => account,
        Err(attempt) => return attempt,
    };
    let built = match row.kind.as_str() {
        REMINDER => match reminder_facts(state, dispatcher, row).await {
            Ok(Some(facts)) => {
                message::reminder(&facts, &dispatcher.from, &account.name, &account.email)
            }
            Ok(None) => {
                return Attempt::Final {
                    accepted: false,
                    reply: "not sent: the ballot closed before the reminder could be sent"
                        .to_owned(),
                };
            }
            Err(attempt) => return attempt,
        },
        RECEIPT => match receipt_facts(state, dispatcher, row).await {
            Ok(facts) => message::receipt(&facts, &dispatcher.from, &account.name, &account.email),
            Err(attempt) => return attempt,
        },
        other => {
            return Attempt::Final {
                accepted: false,
                reply: format!("no message of the kind {other:?}"),
            };
        }
    };
    let name = format!(
        "{}-{}-{}-{}-{}.eml",
        row.group, row.ballot, row.kind, row.occasion, row.person
    );
    send(dispatcher, built, &name).await
}

/// What the reminder of `row` says, read from the log; `None` once the
/// ballot's close has come (a reminder after it would be wrong).
async fn reminder_facts(
    state: &AppState,
    dispatcher: &Dispatcher,
    row: &PrivateRow,
) -> Result<Option<message::ReminderFacts>, Attempt> {
    let log = served_log(state, &row.group).await?;
    let ballot = row.ballot.clone();
    let found = read_served(&log, &row.group, move |loaded| {
        let announced = loaded.state.book.ballot(&ballot)?.lifecycle.announced();
        let title = announced
            .subject
            .as_ref()
            .map_or_else(|| ballot.clone(), |s| s.title.clone());
        Some((title, announced.ballot.closes))
    })
    .await?;
    let (title, closes) = found
        .ok_or_else(|| Attempt::Transient(format!("ballot {} is not in the log", row.ballot)))?;
    if state.clock.now() >= closes {
        return Ok(None);
    }
    let at = Timestamp::from_unix_nanos(i128::from(row.created_at) * 1000)
        .ok_or_else(|| Attempt::Transient("the reminder's time is out of range".to_owned()))?;
    Ok(Some(message::ReminderFacts {
        origin: log.origin.as_str().to_owned(),
        group: row.group.clone(),
        ballot: row.ballot.clone(),
        title,
        organisation: row.organisation.clone(),
        hours: u32::try_from(row.occasion).unwrap_or(u32::MAX),
        at,
        closes,
        url: format!(
            "{}/groups/{}/ballots/{}",
            dispatcher.public_url, row.group, row.ballot
        ),
        person: row.person.clone(),
    }))
}

/// What the receipt of `row` says: the row keeps the question and names
/// the vote (its entry's index and its note's hash); the receipt is built
/// from storage, against the first checkpoint that covers the entry (the
/// very receipt the vote's answer carried). A row queued before the
/// receipt was written with its vote keeps the receipt itself.
async fn receipt_facts(
    state: &AppState,
    dispatcher: &Dispatcher,
    row: &PrivateRow,
) -> Result<message::ReceiptFacts, Attempt> {
    let transient = Attempt::Transient;
    let log = served_log(state, &row.group).await?;
    let Some(question) = &row.question else {
        return Err(Attempt::Final {
            accepted: false,
            reply: "not sent: the receipt's row names no question".to_owned(),
        });
    };
    let receipt = match (&row.payload, &row.note) {
        (Some(receipt), _) => receipt.clone(),
        (None, Some(note)) => {
            let found = votes::first_receipt(&state.store, &row.group, row.occasion)
                .await
                .map_err(|e| {
                    tracing::warn!(group = %row.group, error = %e, "cannot build a receipt");
                    transient("the server could not build the receipt".to_owned())
                })?;
            let Some((entry, receipt)) = found else {
                return Err(transient(format!(
                    "no checkpoint covers entry {} yet",
                    row.occasion
                )));
            };
            if !names_note(&entry, note) {
                return Err(Attempt::Final {
                    accepted: false,
                    reply: format!(
                        "not sent: entry {} is not the vote this receipt was queued for",
                        row.occasion
                    ),
                });
            }
            receipt
        }
        (None, None) => {
            return Err(Attempt::Final {
                accepted: false,
                reply: "not sent: the receipt's row names no vote".to_owned(),
            });
        }
    };
    Ok(message::ReceiptFacts {
        origin: log.origin.as_str().to_owned(),
        group: row.group.clone(),
        ballot: row.ballot.clone(),
        question: question.clone(),
        organisation: row.organisation.clone(),
        index: row.occasion,
        url: format!(
            "{}/groups/{}/ballots/{}",
            dispatcher.public_url, row.group, row.ballot
        ),
        receipt,
    })
}

/// Whether the stored entry `bytes` is a vote entry naming the note whose
/// SHA-256 is `note` (lowercase hex).
fn names_note(bytes: &[u8], note: &str) -> bool {
    Entry::parse(bytes).is_ok_and(|entry| {
        entry.kind() == VOTE_ENTRY_KIND
            && entry.get("note") == Some(format!("sha256:{note}").as_str())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::BallotId;
    use crate::tlog::Hash;

    #[test]
    fn a_receipt_is_sent_only_for_the_vote_entry_naming_its_note() {
        let note = b"a signed vote note";
        let ballot = BallotId::new("B1").expect("id");
        let entry = crate::vote::vote_entry(Timestamp::MIN, &ballot, note)
            .encode()
            .expect("encode");
        let hash = Hash::sha256(note).to_hex();
        assert!(names_note(&entry, &hash));
        assert!(!names_note(&entry, &Hash::sha256(b"another note").to_hex()));
        let other = crate::entry::Entry::new("close", Timestamp::MIN)
            .header("ballot", "B1")
            .encode()
            .expect("encode");
        assert!(!names_note(&other, &hash));
        assert!(!names_note(b"not an entry", &hash));
    }
}
