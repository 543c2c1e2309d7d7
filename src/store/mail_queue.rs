//! The work queue both mail tables share: the outbox of notices the log
//! owes ([`super::outbox`]) and the private outbox ([`super::private_outbox`]).
//! Claiming due rows under a lease, a retry later, the relay's answer for
//! good, and making parked rows due again are written once here, for both
//! tables and both backends; each table says only its name, its key, which
//! rows are claimable and what an answered row becomes ([`Queue`]).
//!
//! Times: `now` and `next_at` on the server's clock, `real_now` and
//! `lease_until` on real time (a lease is about processes, not about the
//! ballot's calendar), all Unix microseconds.

use super::{Dialect, Store, StoreError};

/// One mail table, as the shared statements need it. Every text here is
/// a constant of this crate, never input.
pub(crate) struct Queue {
    /// The table.
    pub(crate) table: &'static str,
    /// The primary key's columns, in order (the claim's order after
    /// `next_at`).
    pub(crate) key: &'static [&'static str],
    /// The columns a claim returns.
    pub(crate) columns: &'static str,
    /// Which rows a claim takes besides pending ones due at `now` ($2).
    pub(crate) also_claimable: Option<&'static str>,
    /// The state of a row the relay answered for good.
    pub(crate) answered: &'static str,
    /// Whether that answer releases the lease (the outbox keeps it: its
    /// claimer logs the outcome next).
    pub(crate) release_on_answer: bool,
}

/// What became of a claimed row (see [`Store::settle_queued`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settlement {
    /// A transient failure: tried again at `next_at` (server clock), the
    /// lease released.
    Retry {
        /// Attempts made so far.
        attempts: u32,
        /// When it is due again (server clock, Unix microseconds).
        next_at: i64,
        /// Why, for the secretariat's view.
        reply: String,
    },
    /// Answered for good (accepted, refused, or the give-up time passed):
    /// never sent again.
    Answered {
        /// Attempts made.
        attempts: u32,
        /// Whether the relay accepted it.
        accepted: bool,
        /// The relay's reply, or why it failed.
        reply: String,
    },
}

/// A value of a key column, bound in the key's order.
pub(crate) enum KeyValue<'a> {
    Text(&'a str),
    Int(i64),
}

impl Queue {
    /// `key1 = $n AND key2 = $n+1 …` for the key bound from `$first`.
    fn key_test(&self, first: usize) -> String {
        self.key
            .iter()
            .enumerate()
            .map(|(i, column)| format!("{column} = ${}", first + i))
            .collect::<Vec<_>>()
            .join(" AND ")
    }
}

fn bind_key<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    key: &[KeyValue<'_>],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for value in key {
        query = match value {
            KeyValue::Text(text) => query.bind((*text).to_owned()),
            KeyValue::Int(n) => query.bind(*n),
        };
    }
    query
}

impl Store {
    /// Claims up to `limit` rows of `queue`: pending rows due at `now`
    /// (and the table's other claimable rows) of which no lease runs at
    /// `real_now`; each is leased until `lease_until`. Oldest due first.
    /// On PostgreSQL rows another process is claiming are skipped, not
    /// waited for (`FOR UPDATE SKIP LOCKED`), and a row it claimed
    /// meanwhile fails the lease test when re-read under the lock; on
    /// SQLite the one writer makes the statement the claim.
    pub(crate) async fn claim_queued(
        &self,
        queue: &Queue,
        now: i64,
        real_now: i64,
        lease_until: i64,
        limit: u32,
    ) -> Result<Vec<sqlx::any::AnyRow>, StoreError> {
        let lock = match self.dialect() {
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
            Dialect::Sqlite => "",
        };
        let Queue { table, columns, .. } = queue;
        let key = queue.key.join(", ");
        let due = match queue.also_claimable {
            Some(other) => format!("((state = 'pending' AND next_at <= $2) OR {other})"),
            None => "state = 'pending' AND next_at <= $2".to_owned(),
        };
        let sql = format!(
            "UPDATE {table} SET lease_until = $1 WHERE ({key}) IN (\
             SELECT {key} FROM {table} WHERE {due} AND lease_until <= $3 \
             ORDER BY next_at, {key} LIMIT $4{lock}) RETURNING {columns}"
        );
        Ok(sqlx::query(&sql)
            .bind(lease_until)
            .bind(now)
            .bind(real_now)
            .bind(i64::from(limit))
            .fetch_all(self.pool())
            .await?)
    }

    /// A transient failure: the pending row `key` is tried again at
    /// `next_at` (server clock), its lease released.
    pub(crate) async fn retry_queued(
        &self,
        queue: &Queue,
        key: &[KeyValue<'_>],
        attempts: u32,
        next_at: i64,
        reply: &str,
    ) -> Result<(), StoreError> {
        let settled = Settlement::Retry {
            attempts,
            next_at,
            reply: reply.to_owned(),
        };
        self.settle_queued(queue, &[(key, settled)]).await
    }

    /// The relay answered the pending row `key` for good (accepted,
    /// refused, or the give-up time passed): it is never sent again.
    pub(crate) async fn answer_queued(
        &self,
        queue: &Queue,
        key: &[KeyValue<'_>],
        attempts: u32,
        accepted: bool,
        reply: &str,
    ) -> Result<(), StoreError> {
        let settled = Settlement::Answered {
            attempts,
            accepted,
            reply: reply.to_owned(),
        };
        self.settle_queued(queue, &[(key, settled)]).await
    }

    /// What became of several pending rows, written in one transaction:
    /// one write (one commit, one turn of SQLite's write lock) for a
    /// dispatcher's whole round instead of one per message.
    pub(crate) async fn settle_queued(
        &self,
        queue: &Queue,
        rows: &[(&[KeyValue<'_>], Settlement)],
    ) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let retry = format!(
            "UPDATE {} SET attempts = $1, next_at = $2, last_reply = $3, lease_until = 0 \
             WHERE {} AND state = 'pending'",
            queue.table,
            queue.key_test(4)
        );
        let release = if queue.release_on_answer {
            ", lease_until = 0"
        } else {
            ""
        };
        let answer = format!(
            "UPDATE {} SET state = '{}', attempts = $1, outcome = $2, last_reply = $3{release} \
             WHERE {} AND state = 'pending'",
            queue.table,
            queue.answered,
            queue.key_test(4)
        );
        let mut tx = self.pool().begin().await?;
        for (key, settled) in rows {
            let query = match settled {
                Settlement::Retry {
                    attempts,
                    next_at,
                    reply,
                } => sqlx::query(&retry)
                    .bind(i64::from(*attempts))
                    .bind(*next_at)
                    .bind(reply.clone()),
                Settlement::Answered {
                    attempts,
                    accepted,
                    reply,
                } => sqlx::query(&answer)
                    .bind(i64::from(*attempts))
                    .bind(if *accepted { "accepted" } else { "failed" })
                    .bind(reply.clone()),
            };
            bind_key(query, key).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Makes every pending row of `queue` parked at `parked` (written as a
    /// file while no relay was configured) due at once; how many.
    pub(crate) async fn unpark_queued(
        &self,
        queue: &Queue,
        parked: i64,
    ) -> Result<u64, StoreError> {
        let sql = format!(
            "UPDATE {} SET next_at = created_at, lease_until = 0 \
             WHERE state = 'pending' AND next_at = $1",
            queue.table
        );
        let done = sqlx::query(&sql).bind(parked).execute(self.pool()).await?;
        Ok(done.rows_affected())
    }
}
