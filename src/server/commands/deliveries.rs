//! Logging how a notice's e-mail went out (SPEC section 9): the
//! `delivery` entry, which settles the notice's outbox row in the same
//! transaction (`crate::store::outbox`); and how a group's deliveries
//! stand, for its secretariat ([`outbox`]: the API's `GET …/outbox` and
//! the deliveries page).

use serde::{Deserialize, Serialize};

use crate::ballot::Delivery;
use crate::server::fold::micros_to_rfc3339;
use crate::server::mail::PARKED;
use crate::server::sequencer::{Appended, Refused};
use crate::server::{AppState, Log};
use crate::store::outbox::{OutboxCounts, OutboxRow, OutboxState};
use crate::store::private_outbox::PrivateRow;

use super::{CommandError, registry_of};

/// Appends `delivery`, checked by the fold's own rule on the state at its
/// turn: it must name an undelivered notification of its ballot and
/// person (`already-logged` if its delivery is logged: nothing to do).
pub async fn record(log: &Log, delivery: Delivery) -> Result<Appended, CommandError> {
    let group = log.group.clone();
    let appended = log
        .append(move |loaded, time| {
            registry_of(loaded, &group)?;
            match loaded.book.deliveries().check(&delivery) {
                Ok(()) => Ok(delivery.to_entry(time)),
                Err(refusal @ crate::ballot::DeliveryRefusal::AlreadyLogged(_)) => {
                    Err(Refused::conflict("already-logged", refusal.to_string()))
                }
                Err(refusal) => Err(Refused::conflict(
                    "no-such-notification",
                    refusal.to_string(),
                )),
            }
        })
        .await?;
    Ok(appended)
}

/// The most deliveries [`outbox`] lists.
pub const LIMIT: usize = 500;

/// How a notice's delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeliveryState {
    /// Never tried.
    Pending,
    /// Tried, to be tried again.
    Retrying,
    /// Answered for good, the outcome not yet logged.
    Recording,
    /// Logged as failed.
    Failed,
    /// Logged as accepted by the relay.
    Accepted,
}

impl DeliveryState {
    /// The word, as the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Retrying => "retrying",
            Self::Recording => "recording",
            Self::Failed => "failed",
            Self::Accepted => "accepted",
        }
    }

    fn of(row: &OutboxRow) -> Self {
        match (row.state, row.accepted) {
            (OutboxState::Pending, _) if row.attempts > 0 => Self::Retrying,
            (OutboxState::Pending, _) => Self::Pending,
            (OutboxState::Recording, _) => Self::Recording,
            (OutboxState::Logged, Some(true)) => Self::Accepted,
            (OutboxState::Logged, _) => Self::Failed,
        }
    }
}

/// One notice's delivery, persons by id (addresses stay in the accounts).
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryView {
    /// The notification entry's log index.
    pub notification: u64,
    /// The ballot.
    pub ballot: String,
    /// The person notified.
    pub person: String,
    /// The notification's reason.
    pub reason: String,
    /// When the notice was logged.
    pub notified_at: String,
    /// How it stands.
    pub state: DeliveryState,
    /// Attempts so far.
    pub attempts: u32,
    /// When the next attempt is due; absent once answered, or while no
    /// relay is configured.
    pub next_attempt: Option<String>,
    /// The relay's last reply, or why the last attempt failed.
    pub last_reply: Option<String>,
}

/// A group's deliveries and the whole server's counts.
#[derive(Debug, Clone, Serialize)]
pub struct OutboxView {
    /// At most [`LIMIT`], oldest first.
    pub deliveries: Vec<DeliveryView>,
    /// The counts of the whole server's outbox.
    pub counts: OutboxCounts,
    /// The private outbox's reminders before the close (at most
    /// [`LIMIT`], oldest first, in the `wanted` state as for
    /// `deliveries`; `recording` never applies). Only the secretariat sees
    /// them: before the close they tell which organisations have not
    /// voted.
    pub reminders: Vec<ReminderView>,
}

/// One reminder before the close (`crate::store::private_outbox`).
#[derive(Debug, Clone, Serialize)]
pub struct ReminderView {
    /// The ballot.
    pub ballot: String,
    /// The offset, whole hours before the close.
    pub hours: u64,
    /// The reminder time.
    pub reminder_at: String,
    /// The organisation without a vote at that time.
    pub organisation: String,
    /// The delegate reminded.
    pub person: String,
    /// How it stands (`pending`, `retrying`, `accepted`, `failed`).
    pub state: DeliveryState,
    /// Attempts so far.
    pub attempts: u32,
    /// When the next attempt is due; absent once answered, or while no
    /// relay is configured.
    pub next_attempt: Option<String>,
    /// The relay's last reply, or why the last attempt failed.
    pub last_reply: Option<String>,
}

impl ReminderView {
    fn of(row: &PrivateRow) -> Self {
        let state = match (row.answered, row.accepted) {
            (false, _) if row.attempts > 0 => DeliveryState::Retrying,
            (false, _) => DeliveryState::Pending,
            (true, Some(true)) => DeliveryState::Accepted,
            (true, _) => DeliveryState::Failed,
        };
        Self {
            ballot: row.ballot.clone(),
            hours: row.occasion,
            reminder_at: micros_to_rfc3339(row.created_at),
            organisation: row.organisation.clone(),
            person: row.person.clone(),
            state,
            attempts: row.attempts,
            next_attempt: (!row.answered && row.next_at != PARKED)
                .then(|| micros_to_rfc3339(row.next_at)),
            last_reply: row.last_reply.clone(),
        }
    }
}

/// The deliveries of `group` in `wanted` state (without it, every one not
/// yet accepted), for a caller the front end has authorised
/// (`Action::ReadOutbox`).
pub async fn outbox(
    state: &AppState,
    group: &str,
    wanted: Option<DeliveryState>,
) -> Result<OutboxView, CommandError> {
    let states: &[OutboxState] = match wanted {
        Some(DeliveryState::Pending | DeliveryState::Retrying) => &[OutboxState::Pending],
        Some(DeliveryState::Recording) => &[OutboxState::Recording],
        Some(DeliveryState::Failed | DeliveryState::Accepted) => &[OutboxState::Logged],
        None => &[
            OutboxState::Pending,
            OutboxState::Recording,
            OutboxState::Logged,
        ],
    };
    let rows = state.store.outbox(Some(group), states, u32::MAX).await?;
    let deliveries = rows
        .iter()
        .filter(|row| match wanted {
            Some(wanted) => DeliveryState::of(row) == wanted,
            None => DeliveryState::of(row) != DeliveryState::Accepted,
        })
        .take(LIMIT)
        .map(|row| DeliveryView {
            notification: row.notice.index,
            ballot: row.notice.ballot.clone(),
            person: row.notice.person.clone(),
            reason: row.notice.reason.clone(),
            notified_at: micros_to_rfc3339(row.notice.created_at),
            state: DeliveryState::of(row),
            attempts: row.attempts,
            next_attempt: (row.state == OutboxState::Pending && row.next_at != PARKED)
                .then(|| micros_to_rfc3339(row.next_at)),
            last_reply: row.last_reply.clone(),
        })
        .collect();
    let mut private = Vec::new();
    if wanted.is_none_or(|w| w != DeliveryState::Recording) {
        for answered in [false, true] {
            private.extend(
                state
                    .store
                    .private_outbox(Some(group), answered, u32::MAX)
                    .await?,
            );
        }
    }
    private.sort_by_key(|row| row.created_at);
    let reminders = private
        .iter()
        .map(ReminderView::of)
        .filter(|view| match wanted {
            Some(wanted) => view.state == wanted,
            None => view.state != DeliveryState::Accepted,
        })
        .take(LIMIT)
        .collect();
    Ok(OutboxView {
        deliveries,
        counts: state.store.outbox_counts().await?,
        reminders,
    })
}
