//! The append transaction: the only way entries, hashes and checkpoints are
//! written.
//!
//! The sequencer (`src/server/sequencer/mod.rs`) drives it; its crash story is
//! written there, step by step. This module guarantees what each step does
//! to the database.

use sqlx::Row as _;

use super::documents::{Document, Lookup, read_documents};
use super::fault::{Faults, Mode, Step};
use super::{Dialect, LogHead, Store, StoreError, read_entries, read_hashes, to_i64, to_u64};
use crate::tlog::Hash;

/// An open append transaction on one log, holding that log's write lock.
///
/// Dropping it without [`AppendTx::commit`] rolls everything back.
pub struct AppendTx {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    group: String,
    head: LogHead,
    /// How the statements number their parameters.
    dialect: Dialect,
    /// Set when a write failed part-way: SQLite keeps the statements before
    /// the failing one in the transaction, and PostgreSQL answers a COMMIT
    /// of an aborted transaction with a rollback that sqlx reports as
    /// success, so `commit` must refuse rather than ask the database.
    failed: bool,
    /// The fault-injection seam ([`super::fault`]): inert outside the
    /// crate's unit tests.
    faults: Faults,
}

/// What one append transaction writes.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct AppendBatch {
    /// New entries, at consecutive indexes from the head's size.
    pub entries: Vec<Vec<u8>>,
    /// New stored hashes, at consecutive stored-hash indexes from
    /// `first_hash_index`.
    pub hashes: Vec<Hash>,
    /// The stored-hash index of `hashes[0]`.
    pub first_hash_index: u64,
    /// The new checkpoint, signed, covering the head's size plus
    /// `entries.len()`.
    pub checkpoint: Vec<u8>,
}

impl Store {
    /// Creates the log of `group` with its `origin` and the signed checkpoint
    /// of the empty tree, if it does not exist yet. Returns `false` when it
    /// already existed (with whatever origin it has).
    pub async fn create_log(
        &self,
        group: &str,
        origin: &str,
        empty_checkpoint: &[u8],
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool().begin().await?;
        // One statement decides, so that two processes creating the same log
        // at once get `true` and `false` rather than a unique violation
        // (PostgreSQL) or a stale read that cannot be upgraded to a write
        // ("database is locked", SQLite): a write as the first statement
        // waits for the lock instead. No conflict target: the origin is
        // unique too, and PostgreSQL raises a conflict on an index that is
        // not the target. (The origin is `<prefix>/<group>`, so a taken
        // origin means this very group.)
        let inserted = sqlx::query(
            "INSERT INTO logs (group_id, origin, size, checkpoint) VALUES ($1, $2, 0, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind(group)
        .bind(origin)
        .bind(empty_checkpoint)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Ok(false);
        }
        sqlx::query("INSERT INTO checkpoints (group_id, size, signed) VALUES ($1, 0, $2)")
            .bind(group)
            .bind(empty_checkpoint)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Opens an append transaction on the log of `group`, waiting for its
    /// write lock, and reads the head under that lock. `None` if the group
    /// has no log.
    pub async fn begin_append(&self, group: &str) -> Result<Option<AppendTx>, StoreError> {
        self.faults.check(Step::Begin, Mode::Lost)?;
        let (mut tx, lock) = match self.dialect() {
            // SQLite has one writer per database: take the write lock now,
            // rather than at the first write, so that two transactions never
            // both read and then fail to upgrade.
            Dialect::Sqlite => (
                self.pool().begin_with("BEGIN IMMEDIATE").await?,
                "SELECT group_id, origin, size, checkpoint FROM logs WHERE group_id = $1",
            ),
            // PostgreSQL: the log's row lock serialises appends to this log
            // across every process sharing the database.
            Dialect::Postgres => (
                self.pool().begin().await?,
                "SELECT group_id, origin, size, checkpoint FROM logs WHERE group_id = $1 FOR UPDATE",
            ),
        };
        let Some(row) = sqlx::query(lock)
            .bind(group)
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Ok(None);
        };
        let head = LogHead {
            group: row.try_get("group_id")?,
            origin: row.try_get("origin")?,
            size: to_u64(row.try_get("size")?)?,
            checkpoint: row.try_get("checkpoint")?,
        };
        // Dropping the transaction here rolls it back and releases the lock.
        self.faults.check(Step::Begin, Mode::Landed)?;
        Ok(Some(AppendTx {
            tx,
            group: group.to_owned(),
            head,
            dialect: self.dialect(),
            failed: false,
            faults: self.faults.clone(),
        }))
    }
}

impl AppendTx {
    /// The head as read under the lock.
    pub fn head(&self) -> &LogHead {
        &self.head
    }

    /// Reads entries `[from, to)` inside the transaction (to catch up with
    /// appends made by another process).
    pub async fn entries(&mut self, from: u64, to: u64) -> Result<Vec<Vec<u8>>, StoreError> {
        read_entries(&mut *self.tx, &self.group, from, to).await
    }

    /// Reads stored hashes inside the transaction.
    pub async fn hashes(&mut self, indexes: &[u64]) -> Result<Vec<Hash>, StoreError> {
        read_hashes(&mut *self.tx, &self.group, indexes).await
    }

    /// Reads, inside the transaction, the documents that can be found by
    /// hash alone among `hashes` (see [`Store::documents`]); absent ones
    /// are left out.
    pub async fn documents(&mut self, hashes: &[Hash]) -> Result<Vec<Document>, StoreError> {
        read_documents(&mut self.tx, &self.group, Lookup::Hashes(hashes)).await
    }

    /// Reads, inside the transaction, the documents named by the entries
    /// `[from, to)` (to fold the entries another process appended).
    pub async fn documents_named_in(
        &mut self,
        from: u64,
        to: u64,
    ) -> Result<Vec<Document>, StoreError> {
        read_documents(&mut self.tx, &self.group, Lookup::Named { from, to }).await
    }

    /// Writes documents stored beside the entries of this transaction
    /// (SPEC section 4: a vote's note and attachment, a large roll). They
    /// become visible and durable with the entries, at
    /// [`AppendTx::commit`], never before: no receipt names a note that is
    /// not stored. Each is stored under its [`Document::entry`]; one
    /// without is stored where only its hash finds it. A document already
    /// stored under the same entry is kept as it is. After an `Err` the transaction is only good for dropping, as
    /// after a failed [`AppendTx::write`].
    pub async fn write_documents(&mut self, documents: &[Document]) -> Result<(), StoreError> {
        let written = self.write_document_rows(documents).await;
        self.failed |= written.is_err();
        written
    }

    async fn write_document_rows(&mut self, documents: &[Document]) -> Result<(), StoreError> {
        self.faults.check(Step::Documents, Mode::Lost)?;
        // One statement per chunk, not per document (a batch of votes has
        // one note each). Chunks of 100 keep a statement under a few MiB
        // (a note with its attachment is at most 72 KiB) and far under the
        // parameter limits.
        for chunk in documents.chunks(100) {
            // The same bytes named by the same entry are the same
            // document, so a second insert changes nothing. No conflict
            // target, as in `create_log`, for both backends.
            let mut sql = String::from(
                "INSERT INTO documents (group_id, idx, sha256, bytes, ballot_id, kind) VALUES ",
            );
            push_values(&mut sql, self.dialect, chunk.len(), 6);
            sql.push_str(" ON CONFLICT DO NOTHING");
            let mut query = multi_row(&sql);
            for document in chunk {
                let entry = match document.entry {
                    Some(entry) => to_i64(entry)?,
                    None => -1,
                };
                query = query
                    .bind(self.group.clone())
                    .bind(entry)
                    .bind(document.sha256.to_hex())
                    .bind(document.bytes.clone())
                    .bind(document.ballot.clone())
                    .bind(document.kind.as_str());
            }
            query.execute(&mut *self.tx).await?;
        }
        self.faults.check(Step::Documents, Mode::Landed)
    }

    /// Writes the outbox changes the batch's entries carry (a row per
    /// `notification`, a settlement per `delivery`: [`super::outbox`]).
    /// They commit with the entries or not at all. After an `Err` the
    /// transaction is only good for dropping, as after a failed
    /// [`AppendTx::write`].
    pub async fn write_outbox(
        &mut self,
        changes: &[super::outbox::OutboxChange],
    ) -> Result<(), StoreError> {
        let written = super::outbox::write_changes(&mut self.tx, &self.group, changes).await;
        self.failed |= written.is_err();
        written
    }

    /// Writes the receipts owed to the voters of the batch's votes, each
    /// with its vote entry's index, into the private outbox
    /// ([`super::private_outbox`]): one statement for the batch (none if
    /// empty). They commit with the votes or not at all. After an `Err`
    /// the transaction is only good for dropping.
    pub async fn write_receipts(
        &mut self,
        receipts: &[(u64, super::private_outbox::ReceiptOwed)],
    ) -> Result<(), StoreError> {
        let written = super::private_outbox::write_receipts(
            &mut self.tx,
            self.dialect,
            &self.group,
            receipts,
        )
        .await;
        self.failed |= written.is_err();
        written
    }

    /// Writes a batch: its entries, its hashes, the new checkpoint into the
    /// history and as the head. Nothing is visible to others, nor durable,
    /// until [`AppendTx::commit`]. After an `Err` the transaction is only
    /// good for dropping: `commit` refuses, and nothing of it is recorded.
    pub async fn write(&mut self, batch: &AppendBatch) -> Result<(), StoreError> {
        let written = self.write_rows(batch).await;
        self.failed |= written.is_err();
        written
    }

    async fn write_rows(&mut self, batch: &AppendBatch) -> Result<(), StoreError> {
        let group = self.group.clone();
        // Multi-row inserts, in chunks that keep every statement under the
        // backends' parameter limits (SQLite: 32 766; PostgreSQL: 65 535).
        self.faults.check(Step::Entries, Mode::Lost)?;
        for (chunk_no, chunk) in batch.entries.chunks(500).enumerate() {
            let first = self.head.size + (chunk_no * 500) as u64;
            let mut sql = String::from("INSERT INTO entries (group_id, idx, bytes) VALUES ");
            push_values(&mut sql, self.dialect, chunk.len(), 3);
            let mut query = multi_row(&sql);
            for (i, bytes) in chunk.iter().enumerate() {
                query = query
                    .bind(group.clone())
                    .bind(to_i64(first + i as u64)?)
                    .bind(bytes.clone());
            }
            query.execute(&mut *self.tx).await?;
        }
        self.faults.check(Step::Entries, Mode::Landed)?;
        self.faults.check(Step::Hashes, Mode::Lost)?;
        for (chunk_no, chunk) in batch.hashes.chunks(500).enumerate() {
            let first = batch.first_hash_index + (chunk_no * 500) as u64;
            let mut sql = String::from("INSERT INTO hashes (group_id, idx, hash) VALUES ");
            push_values(&mut sql, self.dialect, chunk.len(), 3);
            let mut query = multi_row(&sql);
            for (i, hash) in chunk.iter().enumerate() {
                query = query
                    .bind(group.clone())
                    .bind(to_i64(first + i as u64)?)
                    .bind(hash.as_bytes().to_vec());
            }
            query.execute(&mut *self.tx).await?;
        }
        self.faults.check(Step::Hashes, Mode::Landed)?;
        let size = to_i64(self.head.size + batch.entries.len() as u64)?;
        self.faults.check(Step::Checkpoint, Mode::Lost)?;
        sqlx::query("INSERT INTO checkpoints (group_id, size, signed) VALUES ($1, $2, $3)")
            .bind(group.clone())
            .bind(size)
            .bind(batch.checkpoint.clone())
            .execute(&mut *self.tx)
            .await?;
        self.faults.check(Step::Checkpoint, Mode::Landed)?;
        self.faults.check(Step::Head, Mode::Lost)?;
        sqlx::query("UPDATE logs SET size = $1, checkpoint = $2 WHERE group_id = $3")
            .bind(size)
            .bind(batch.checkpoint.clone())
            .bind(group)
            .execute(&mut *self.tx)
            .await?;
        self.faults.check(Step::Head, Mode::Landed)
    }

    /// Commits. `Ok` means durable. [`StoreError::RolledBack`] (after a
    /// failed write) means nothing was recorded. Any other `Err` means the
    /// outcome is unknown: the commit may or may not have reached the disk,
    /// and only reading the head again tells.
    pub async fn commit(self) -> Result<(), StoreError> {
        if self.failed {
            // Dropping `self.tx` rolls back.
            return Err(StoreError::RolledBack);
        }
        // An injected fault before the commit drops the transaction, which
        // rolls it back.
        let faults = self.faults.clone();
        faults.check(Step::Commit, Mode::Lost)?;
        if faults.fires(Step::Commit, Mode::LostSilently) {
            return Ok(());
        }
        self.tx.commit().await?;
        faults.check(Step::Commit, Mode::Landed)
    }
}

/// A multi-row statement of [`push_values`], not kept prepared: its text
/// changes with its number of rows, so each batch size would otherwise
/// stay in every connection's statement cache (a hundred each), and a
/// prepared insert of hundreds of rows holds a few hundred KiB of SQLite's
/// memory: 35 MiB of the server's at 10 000 votes/s (heaptrack,
/// docs/performance.md). A size seen again is prepared again, as it was
/// once the cache had moved on.
pub(crate) fn multi_row(
    sql: &str,
) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments<'_>> {
    sqlx::query(sql).persistent(false)
}

/// Appends `rows` groups of `columns` parameters, bound in order:
/// `($1, $2, $3), ($4, $5, $6), …` for PostgreSQL, `(?, ?, ?), (?, ?, ?), …`
/// for SQLite. SQLite's driver looks up every named parameter's name, which
/// SQLite finds by a scan of all the names: quadratic in a statement of
/// 1 500 parameters, while nameless ones are bound in order directly.
pub(crate) fn push_values(sql: &mut String, dialect: Dialect, rows: usize, columns: usize) {
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for column in 0..columns {
            if column > 0 {
                sql.push_str(", ");
            }
            match dialect {
                Dialect::Sqlite => sql.push('?'),
                Dialect::Postgres => {
                    sql.push('$');
                    sql.push_str(&(row * columns + column + 1).to_string());
                }
            }
        }
        sql.push(')');
    }
}
