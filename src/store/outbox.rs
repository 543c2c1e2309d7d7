//! The outbox of notices by e-mail (SPEC section 9): one row per
//! `notification` entry, written by the append transaction that writes
//! the entry ([`super::append::AppendTx::write_outbox`]), and settled by
//! the one that writes its `delivery` entry.
//!
//! Contract (checked on both databases by `tests/store_contract.rs`):
//!
//! - **Nothing owed is lost:** a notification's row commits or rolls back
//!   with its entry.
//! - **One sender at a time:** [`Store::claim_outbox`] leases each row it
//!   returns to one caller until the lease runs out, also across processes
//!   sharing a PostgreSQL database (`FOR UPDATE SKIP LOCKED`; SQLite's
//!   single writer serialises the claim). A process that dies lets its
//!   leases run out; its rows are then claimed again (at least once: a
//!   message may be sent twice, with the same `Message-ID`).
//! - **Outcome before log:** once the relay has answered for good, the row
//!   keeps the answer ([`Store::outbox_answered`]) until the `delivery`
//!   entry that logs it commits, so a crash in between does not send the
//!   message again.
//!
//! Times: `created_at` and `next_at` are the server's clock (simulated or
//! not), in Unix microseconds; `lease_until` is real time, since a lease
//! is about processes, not about the ballot's calendar.

use sqlx::Row as _;

use super::mail_queue::{KeyValue, Queue};
use super::{Store, StoreError, to_i64, to_u64};

/// A change to the outbox that an appended entry carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutboxChange {
    /// A `notification` entry: a message is owed.
    Owed(Notice),
    /// A `delivery` entry: the notification at `index` is settled.
    Settled {
        /// The log index of the notification entry.
        index: u64,
        /// Whether the relay accepted it.
        accepted: bool,
        /// The relay's reply or the failure, as logged.
        reply: String,
    },
}

/// A notice owed, as its `notification` entry says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The log index of the `notification` entry.
    pub index: u64,
    /// The ballot.
    pub ballot: String,
    /// The person, by id.
    pub person: String,
    /// The notification's reason, as in the entry.
    pub reason: String,
    /// The entry's time, Unix microseconds.
    pub created_at: i64,
}

/// Where a row stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OutboxState {
    /// Not sent yet, or to be retried at `next_at`.
    Pending,
    /// The relay answered for good; the `delivery` entry is not logged yet.
    Recording,
    /// The `delivery` entry is logged.
    Logged,
}

impl OutboxState {
    fn as_str(self) -> &'static str {
        match self {
            OutboxState::Pending => "pending",
            OutboxState::Recording => "recording",
            OutboxState::Logged => "logged",
        }
    }

    fn parse(text: &str) -> Result<Self, StoreError> {
        match text {
            "pending" => Ok(OutboxState::Pending),
            "recording" => Ok(OutboxState::Recording),
            "logged" => Ok(OutboxState::Logged),
            other => Err(StoreError::Corrupt(format!("outbox state {other:?}"))),
        }
    }
}

/// One outbox row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    /// The group whose log holds the notification.
    pub group: String,
    /// The notice.
    pub notice: Notice,
    /// Where it stands.
    pub state: OutboxState,
    /// Attempts made so far.
    pub attempts: u32,
    /// When the next attempt is due (server clock, Unix microseconds).
    pub next_at: i64,
    /// The final outcome once known: `Some(true)` accepted by the relay.
    pub accepted: Option<bool>,
    /// The relay's last reply, or why the last attempt failed.
    pub last_reply: Option<String>,
}

const COLUMNS: &str = "group_id, idx, ballot_id, person_id, reason, created_at, state, attempts, \
                       next_at, outcome, last_reply";

fn row_of(row: &sqlx::any::AnyRow) -> Result<OutboxRow, StoreError> {
    let state: String = row.try_get("state")?;
    let outcome: Option<String> = row.try_get("outcome")?;
    let attempts: i64 = row.try_get("attempts")?;
    Ok(OutboxRow {
        group: row.try_get("group_id")?,
        notice: Notice {
            index: to_u64(row.try_get("idx")?)?,
            ballot: row.try_get("ballot_id")?,
            person: row.try_get("person_id")?,
            reason: row.try_get("reason")?,
            created_at: row.try_get("created_at")?,
        },
        state: OutboxState::parse(&state)?,
        attempts: u32::try_from(attempts)
            .map_err(|_| StoreError::Corrupt(format!("outbox attempts {attempts}")))?,
        next_at: row.try_get("next_at")?,
        accepted: match outcome.as_deref() {
            None => None,
            Some("accepted") => Some(true),
            Some("failed") => Some(false),
            Some(other) => return Err(StoreError::Corrupt(format!("outbox outcome {other:?}"))),
        },
        last_reply: row.try_get("last_reply")?,
    })
}

/// Writes the outbox changes of an append, inside its transaction.
pub(crate) async fn write_changes(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    group: &str,
    changes: &[OutboxChange],
) -> Result<(), StoreError> {
    for change in changes {
        match change {
            OutboxChange::Owed(n) => {
                sqlx::query(
                    "INSERT INTO outbox (group_id, idx, ballot_id, person_id, reason, created_at, \
                     state, attempts, next_at, lease_until) \
                     VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $6, 0)",
                )
                .bind(group)
                .bind(to_i64(n.index)?)
                .bind(&n.ballot)
                .bind(&n.person)
                .bind(&n.reason)
                .bind(n.created_at)
                .execute(&mut **tx)
                .await?;
            }
            OutboxChange::Settled {
                index,
                accepted,
                reply,
            } => {
                sqlx::query(
                    "UPDATE outbox SET state = 'logged', outcome = $1, last_reply = $2, \
                     lease_until = 0 WHERE group_id = $3 AND idx = $4",
                )
                .bind(if *accepted { "accepted" } else { "failed" })
                .bind(reply)
                .bind(group)
                .bind(to_i64(*index)?)
                .execute(&mut **tx)
                .await?;
            }
        }
    }
    Ok(())
}

/// The outbox in the shared mail queue ([`super::mail_queue`]): a row
/// the relay answered keeps its lease (`recording`), since its claimer
/// logs the outcome next, and is claimable again for that.
const QUEUE: Queue = Queue {
    table: "outbox",
    key: &["group_id", "idx"],
    columns: COLUMNS,
    also_claimable: Some("state = 'recording'"),
    answered: "recording",
    release_on_answer: false,
};

fn key(group: &str, index: u64) -> Result<[KeyValue<'_>; 2], StoreError> {
    Ok([KeyValue::Text(group), KeyValue::Int(to_i64(index)?)])
}

impl Store {
    /// Claims up to `limit` rows to work on: pending rows due at `now`
    /// (server clock) and rows whose outcome waits to be logged, of which
    /// no lease runs at `real_now`; each is leased until `lease_until`
    /// (real time). Oldest due first.
    pub async fn claim_outbox(
        &self,
        now: i64,
        real_now: i64,
        lease_until: i64,
        limit: u32,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        let rows = self
            .claim_queued(&QUEUE, now, real_now, lease_until, limit)
            .await?;
        let mut out = rows.iter().map(row_of).collect::<Result<Vec<_>, _>>()?;
        out.sort_by(|a, b| {
            (a.next_at, &a.group, a.notice.index).cmp(&(b.next_at, &b.group, b.notice.index))
        });
        Ok(out)
    }

    /// A transient failure: the row is tried again at `next_at` (server
    /// clock), its lease released.
    pub async fn outbox_retry(
        &self,
        group: &str,
        index: u64,
        attempts: u32,
        next_at: i64,
        reply: &str,
    ) -> Result<(), StoreError> {
        self.retry_queued(&QUEUE, &key(group, index)?, attempts, next_at, reply)
            .await
    }

    /// The relay answered for good (accepted, refused, or the give-up
    /// time passed): the outcome is kept until its `delivery` entry is
    /// logged, and the message is not sent again.
    pub async fn outbox_answered(
        &self,
        group: &str,
        index: u64,
        attempts: u32,
        accepted: bool,
        reply: &str,
    ) -> Result<(), StoreError> {
        self.answer_queued(&QUEUE, &key(group, index)?, attempts, accepted, reply)
            .await
    }

    /// Makes every pending row parked at `parked` (written as a file while
    /// no relay was configured) due at once.
    pub async fn outbox_unpark(&self, parked: i64) -> Result<u64, StoreError> {
        self.unpark_queued(&QUEUE, parked).await
    }

    /// Releases a row's lease without changing anything else (its outcome
    /// could not be logged now).
    pub async fn outbox_release(&self, group: &str, index: u64) -> Result<(), StoreError> {
        sqlx::query("UPDATE outbox SET lease_until = 0 WHERE group_id = $1 AND idx = $2")
            .bind(group)
            .bind(to_i64(index)?)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The rows of `group` (every group with `None`) in `states`, oldest
    /// first, at most `limit`.
    pub async fn outbox(
        &self,
        group: Option<&str>,
        states: &[OutboxState],
        limit: u32,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        // The state names are constants of this module, never input.
        let list = states
            .iter()
            .map(|s| format!("'{}'", s.as_str()))
            .collect::<Vec<_>>()
            .join(", ");
        if list.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {COLUMNS} FROM outbox WHERE state IN ({list}) \
             AND ($1 = '' OR group_id = $1) ORDER BY created_at, group_id, idx LIMIT $2"
        );
        let rows = sqlx::query(&sql)
            .bind(group.unwrap_or(""))
            .bind(i64::from(limit))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(row_of).collect()
    }

    /// How many rows are in each state: pending (of which retrying, with
    /// at least one attempt), recording, logged accepted, logged failed.
    pub async fn outbox_counts(&self) -> Result<OutboxCounts, StoreError> {
        let rows = sqlx::query(
            "SELECT state, outcome, CAST(CASE WHEN attempts > 0 THEN 1 ELSE 0 END AS BIGINT) AS retried, \
             COUNT(*) AS n FROM outbox GROUP BY state, outcome, retried",
        )
        .fetch_all(self.pool())
        .await?;
        let mut counts = OutboxCounts::default();
        for row in &rows {
            let state: String = row.try_get("state")?;
            let outcome: Option<String> = row.try_get("outcome")?;
            let retried = row.try_get::<i64, _>("retried")? != 0;
            let n = to_u64(row.try_get("n")?)?;
            match (state.as_str(), outcome.as_deref()) {
                ("pending", _) if retried => counts.retrying += n,
                ("pending", _) => counts.pending += n,
                ("recording", _) => counts.recording += n,
                (_, Some("accepted")) => counts.accepted += n,
                _ => counts.failed += n,
            }
        }
        Ok(counts)
    }

    /// The `created_at` (Unix microseconds of the server's clock) of the
    /// oldest notice the relay has not answered for good yet, if any.
    pub async fn outbox_oldest_undelivered(&self) -> Result<Option<i64>, StoreError> {
        let row =
            sqlx::query("SELECT MIN(created_at) AS oldest FROM outbox WHERE state = 'pending'")
                .fetch_one(self.pool())
                .await?;
        Ok(row.try_get("oldest")?)
    }
}

/// The outbox's rows by where they stand.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct OutboxCounts {
    /// Never tried yet.
    pub pending: u64,
    /// Tried and to be retried.
    pub retrying: u64,
    /// Answered, the outcome not yet logged.
    pub recording: u64,
    /// Logged as accepted by the relay.
    pub accepted: u64,
    /// Logged as failed.
    pub failed: u64,
}
