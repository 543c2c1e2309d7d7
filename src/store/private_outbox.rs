//! The private outbox (SPEC sections 4 and 9): messages the log must not
//! show before a ballot closes: the reminders before the close to the
//! delegates of eligible organisations that have not voted yet, and each
//! vote's receipt to its voter (never logged at all).
//!
//! Contract:
//!
//! - **Each reminder time once:** [`Store::queue_reminders`] writes the
//!   run of one reminder time of one ballot (`reminder_runs`) and its
//!   messages in one transaction, and writes nothing when the run is
//!   already there. A crash before the commit loses nothing (the time is
//!   still unprocessed, and the next scheduler pass queues it); a crash
//!   after it queues nothing twice; two processes on one PostgreSQL
//!   database queue it once (the run's primary key).
//! - **One sender at a time:** [`Store::claim_private`] leases rows as
//!   [`Store::claim_outbox`] does.
//! - **Answered once:** a row the relay answered for good is never sent
//!   again; its outcome stays here, outside the log, until the ballot is
//!   closed.
//!
//! Times are as in the outbox: `created_at`, `next_at`, `due_at` and
//! `done_at` on the server's clock, `lease_until` on real time, all Unix
//! microseconds.

use sqlx::Row as _;

use super::append::{multi_row, push_values};
use super::mail_queue::{KeyValue, Queue, Settlement};
use super::{Dialect, Store, StoreError, to_i64, to_u64};

/// The kind of a reminder before the close.
pub const REMINDER: &str = "reminder";

/// The kind of a vote's receipt to its voter.
pub const RECEIPT: &str = "receipt";

/// One row of the private outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivateRow {
    /// The group.
    pub group: String,
    /// The ballot.
    pub ballot: String,
    /// The kind of message ([`REMINDER`]).
    pub kind: String,
    /// Which occasion: for a reminder, the offset in hours before the close.
    pub occasion: u64,
    /// The person, by id.
    pub person: String,
    /// The organisation the person is a delegate of.
    pub organisation: String,
    /// The reminder time (server clock, Unix microseconds).
    pub created_at: i64,
    /// Whether the relay answered for good.
    pub answered: bool,
    /// Attempts made so far.
    pub attempts: u32,
    /// When the next attempt is due (server clock).
    pub next_at: i64,
    /// The final outcome once known: `Some(true)` accepted by the relay.
    pub accepted: Option<bool>,
    /// The relay's last reply, or why the last attempt failed.
    pub last_reply: Option<String>,
    /// For a receipt: the question voted on.
    pub question: Option<String>,
    /// For a receipt queued before the receipt was written with its vote
    /// (schema version 11): the receipt's text. `None` otherwise: the
    /// dispatcher builds the receipt from storage when it sends it.
    pub payload: Option<String>,
    /// For a receipt written with its vote: the SHA-256 (lowercase hex) of
    /// the vote's note, which the vote entry at `occasion` must name.
    pub note: Option<String>,
}

/// A vote's receipt owed to its voter: decided with the vote, written by
/// the vote's append transaction ([`super::append::AppendTx::write_receipts`])
/// once the entry's index is known, so that it commits with the vote or
/// not at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptOwed {
    /// The ballot.
    pub ballot: String,
    /// The voter, by id.
    pub person: String,
    /// The organisation voted for.
    pub organisation: String,
    /// The question voted on.
    pub question: String,
    /// The SHA-256 of the vote's note (lowercase hex): the vote entry
    /// names it.
    pub note: String,
    /// The vote's time (server clock, Unix microseconds): the give-up
    /// time is counted from it.
    pub created_at: i64,
}

/// How many receipts one statement inserts at most (13 parameters each:
/// far under both backends' limits).
const RECEIPTS_PER_STATEMENT: usize = 500;

/// Writes the receipts of an append's votes, each with its vote entry's
/// index, inside its transaction: one multi-row statement per
/// [`RECEIPTS_PER_STATEMENT`], none when there are none.
pub(crate) async fn write_receipts(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    dialect: Dialect,
    group: &str,
    receipts: &[(u64, ReceiptOwed)],
) -> Result<(), StoreError> {
    for chunk in receipts.chunks(RECEIPTS_PER_STATEMENT) {
        let mut sql = String::from(
            "INSERT INTO private_outbox (group_id, ballot_id, kind, occasion, person_id, \
             organisation_id, question, note_sha256, created_at, next_at, state, attempts, \
             lease_until) VALUES ",
        );
        push_values(&mut sql, dialect, chunk.len(), 13);
        sql.push_str(" ON CONFLICT DO NOTHING");
        let mut query = multi_row(&sql);
        for (index, r) in chunk {
            query = query
                .bind(group.to_owned())
                .bind(r.ballot.clone())
                .bind(RECEIPT)
                .bind(to_i64(*index)?)
                .bind(r.person.clone())
                .bind(r.organisation.clone())
                .bind(r.question.clone())
                .bind(r.note.clone())
                .bind(r.created_at)
                // Due at once.
                .bind(r.created_at)
                .bind("pending")
                .bind(0_i64)
                .bind(0_i64);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// One processed reminder time of a ballot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderRun {
    /// The group.
    pub group: String,
    /// The ballot.
    pub ballot: String,
    /// The offset, in hours before the close.
    pub hours: u32,
    /// The reminder time (server clock, Unix microseconds).
    pub due_at: i64,
    /// When it was processed (server clock, Unix microseconds).
    pub done_at: i64,
    /// The organisations reminded, sorted.
    pub organisations: Vec<String>,
}

const COLUMNS: &str = "group_id, ballot_id, kind, occasion, person_id, organisation_id, \
                       created_at, state, outcome, attempts, next_at, last_reply, question, payload, \
                       note_sha256";

/// The private outbox in the shared mail queue ([`super::mail_queue`]):
/// an answered row is done for good (a reminder's outcome is logged after
/// the close by other means), so the answer releases its lease.
const QUEUE: Queue = Queue {
    table: "private_outbox",
    key: &["group_id", "ballot_id", "kind", "occasion", "person_id"],
    columns: COLUMNS,
    also_claimable: None,
    answered: "answered",
    release_on_answer: true,
};

fn key(row: &PrivateRow) -> Result<[KeyValue<'_>; 5], StoreError> {
    Ok([
        KeyValue::Text(&row.group),
        KeyValue::Text(&row.ballot),
        KeyValue::Text(&row.kind),
        KeyValue::Int(to_i64(row.occasion)?),
        KeyValue::Text(&row.person),
    ])
}

/// A `reminder_runs` row (`group_id`, `ballot_id`, `hours`, `due_at`,
/// `done_at`, `organisations`).
fn reminder_run(row: &sqlx::any::AnyRow) -> Result<ReminderRun, StoreError> {
    let hours: i64 = row.try_get("hours")?;
    let organisations: String = row.try_get("organisations")?;
    Ok(ReminderRun {
        group: row.try_get("group_id")?,
        ballot: row.try_get("ballot_id")?,
        hours: u32::try_from(hours)
            .map_err(|_| StoreError::Corrupt(format!("reminder hours {hours}")))?,
        due_at: row.try_get("due_at")?,
        done_at: row.try_get("done_at")?,
        organisations: organisations
            .split(' ')
            .filter(|o| !o.is_empty())
            .map(str::to_owned)
            .collect(),
    })
}

fn row_of(row: &sqlx::any::AnyRow) -> Result<PrivateRow, StoreError> {
    let state: String = row.try_get("state")?;
    let outcome: Option<String> = row.try_get("outcome")?;
    let attempts: i64 = row.try_get("attempts")?;
    Ok(PrivateRow {
        group: row.try_get("group_id")?,
        ballot: row.try_get("ballot_id")?,
        kind: row.try_get("kind")?,
        occasion: to_u64(row.try_get("occasion")?)?,
        person: row.try_get("person_id")?,
        organisation: row.try_get("organisation_id")?,
        created_at: row.try_get("created_at")?,
        answered: match state.as_str() {
            "pending" => false,
            "answered" => true,
            other => {
                return Err(StoreError::Corrupt(format!(
                    "private outbox state {other:?}"
                )));
            }
        },
        attempts: u32::try_from(attempts)
            .map_err(|_| StoreError::Corrupt(format!("private outbox attempts {attempts}")))?,
        next_at: row.try_get("next_at")?,
        accepted: match outcome.as_deref() {
            None => None,
            Some("accepted") => Some(true),
            Some("failed") => Some(false),
            Some(other) => {
                return Err(StoreError::Corrupt(format!(
                    "private outbox outcome {other:?}"
                )));
            }
        },
        last_reply: row.try_get("last_reply")?,
        question: row.try_get("question")?,
        payload: row.try_get("payload")?,
        note: row.try_get("note_sha256")?,
    })
}

impl Store {
    /// Queues the reminders of `run` (one message per `(organisation,
    /// person)` of `delegates`) in one transaction with the run itself.
    /// `false`, writing nothing, if this reminder time of this ballot was
    /// processed already.
    pub async fn queue_reminders(
        &self,
        run: &ReminderRun,
        delegates: &[(String, String)],
    ) -> Result<bool, StoreError> {
        let mut tx = match self.dialect() {
            // Take SQLite's write lock at once (see `begin_append`).
            Dialect::Sqlite => self.pool().begin_with("BEGIN IMMEDIATE").await?,
            Dialect::Postgres => self.pool().begin().await?,
        };
        let inserted = sqlx::query(
            "INSERT INTO reminder_runs (group_id, ballot_id, hours, due_at, done_at, organisations) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )
        .bind(&run.group)
        .bind(&run.ballot)
        .bind(i64::from(run.hours))
        .bind(run.due_at)
        .bind(run.done_at)
        .bind(run.organisations.join(" "))
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        for (organisation, person) in delegates {
            sqlx::query(
                "INSERT INTO private_outbox (group_id, ballot_id, kind, occasion, person_id, \
                 organisation_id, created_at, state, attempts, next_at, lease_until) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $7, 0) ON CONFLICT DO NOTHING",
            )
            .bind(&run.group)
            .bind(&run.ballot)
            .bind(REMINDER)
            .bind(i64::from(run.hours))
            .bind(person)
            .bind(organisation)
            .bind(run.due_at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Claims up to `limit` pending rows due at `now` (server clock) of
    /// which no lease runs at `real_now`, leasing each until `lease_until`
    /// (real time). Oldest due first.
    pub async fn claim_private(
        &self,
        now: i64,
        real_now: i64,
        lease_until: i64,
        limit: u32,
    ) -> Result<Vec<PrivateRow>, StoreError> {
        let rows = self
            .claim_queued(&QUEUE, now, real_now, lease_until, limit)
            .await?;
        let mut out = rows.iter().map(row_of).collect::<Result<Vec<_>, _>>()?;
        out.sort_by(|a, b| (a.next_at, &a.group, &a.person).cmp(&(b.next_at, &b.group, &b.person)));
        Ok(out)
    }

    /// What became of each of `rows`, in one transaction (a
    /// dispatcher's round).
    pub async fn private_settle(
        &self,
        rows: &[(PrivateRow, Settlement)],
    ) -> Result<(), StoreError> {
        let keys = rows
            .iter()
            .map(|(row, _)| key(row))
            .collect::<Result<Vec<_>, _>>()?;
        let settled: Vec<(&[KeyValue<'_>], Settlement)> = keys
            .iter()
            .zip(rows)
            .map(|(key, (_, settled))| (key.as_slice(), settled.clone()))
            .collect();
        self.settle_queued(&QUEUE, &settled).await
    }

    /// A transient failure: the row is tried again at `next_at` (server
    /// clock), its lease released.
    pub async fn private_retry(
        &self,
        row: &PrivateRow,
        attempts: u32,
        next_at: i64,
        reply: &str,
    ) -> Result<(), StoreError> {
        self.retry_queued(&QUEUE, &key(row)?, attempts, next_at, reply)
            .await
    }

    /// The relay answered for good (or the give-up time passed): the row
    /// is never sent again.
    pub async fn private_answered(
        &self,
        row: &PrivateRow,
        attempts: u32,
        accepted: bool,
        reply: &str,
    ) -> Result<(), StoreError> {
        self.answer_queued(&QUEUE, &key(row)?, attempts, accepted, reply)
            .await
    }

    /// Makes every pending row parked at `parked` (written as a file while
    /// no relay was configured) due at once.
    pub async fn private_unpark(&self, parked: i64) -> Result<u64, StoreError> {
        self.unpark_queued(&QUEUE, parked).await
    }

    /// The reminders of `group` (every group with `None`), pending or
    /// answered as `answered` says, oldest first, at most `limit`: for the
    /// secretariat only. Receipts are never listed: they would tell who
    /// voted.
    pub async fn private_outbox(
        &self,
        group: Option<&str>,
        answered: bool,
        limit: u32,
    ) -> Result<Vec<PrivateRow>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM private_outbox WHERE state = $1 AND kind = 'reminder' \
             AND ($2 = '' OR group_id = $2) \
             ORDER BY created_at, group_id, ballot_id, occasion, person_id LIMIT $3"
        );
        let rows = sqlx::query(&sql)
            .bind(if answered { "answered" } else { "pending" })
            .bind(group.unwrap_or(""))
            .bind(i64::from(limit))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(row_of).collect()
    }

    /// The reminders of `ballot` in `group`, in the order the log
    /// publishes them after the close: by offset (largest first), then
    /// organisation and person.
    pub async fn private_rows_of(
        &self,
        group: &str,
        ballot: &str,
    ) -> Result<Vec<PrivateRow>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM private_outbox WHERE group_id = $1 AND ballot_id = $2 \
             AND kind = 'reminder' ORDER BY occasion DESC, organisation_id, person_id"
        );
        let rows = sqlx::query(&sql)
            .bind(group)
            .bind(ballot)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(row_of).collect()
    }

    /// The reminder times processed and not yet published in the log
    /// (every group), oldest first.
    pub async fn unlogged_runs(&self) -> Result<Vec<ReminderRun>, StoreError> {
        let rows = sqlx::query(
            "SELECT group_id, ballot_id, hours, due_at, done_at, organisations FROM reminder_runs \
             WHERE logged_idx IS NULL ORDER BY due_at, group_id, ballot_id",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(reminder_run).collect()
    }

    /// Records that `run` is published as the `reminder` entry at `index`.
    pub async fn run_logged(&self, run: &ReminderRun, index: u64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE reminder_runs SET logged_idx = $1 \
             WHERE group_id = $2 AND ballot_id = $3 AND hours = $4",
        )
        .bind(to_i64(index)?)
        .bind(&run.group)
        .bind(&run.ballot)
        .bind(i64::from(run.hours))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The answered reminders whose run is published and whose outcome is
    /// not yet, each with the log index of its run's `reminder` entry.
    pub async fn unlogged_answers(&self) -> Result<Vec<(PrivateRow, u64)>, StoreError> {
        let columns = COLUMNS
            .split(", ")
            .map(|c| format!("p.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {columns}, r.logged_idx AS run_idx FROM private_outbox p \
             JOIN reminder_runs r ON r.group_id = p.group_id AND r.ballot_id = p.ballot_id \
             AND r.hours = p.occasion \
             WHERE p.kind = 'reminder' AND p.state = 'answered' AND p.logged_idx IS NULL \
             AND r.logged_idx IS NOT NULL ORDER BY p.created_at, p.group_id, p.person_id"
        );
        let rows = sqlx::query(&sql).fetch_all(self.pool()).await?;
        rows.iter()
            .map(|row| Ok((row_of(row)?, to_u64(row.try_get("run_idx")?)?)))
            .collect()
    }

    /// Records that the outcome of `row` is published as the `delivery`
    /// entry at `index`.
    pub async fn private_logged(&self, row: &PrivateRow, index: u64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE private_outbox SET logged_idx = $1 WHERE group_id = $2 AND ballot_id = $3 \
             AND kind = $4 AND occasion = $5 AND person_id = $6",
        )
        .bind(to_i64(index)?)
        .bind(&row.group)
        .bind(&row.ballot)
        .bind(&row.kind)
        .bind(to_i64(row.occasion)?)
        .bind(&row.person)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}
