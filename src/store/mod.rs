//! Storage of the group logs and the accounts, on SQLite (the embedded
//! default) or PostgreSQL, through sqlx.
//!
//! One implementation serves both databases: every statement is plain SQL
//! that both accept (numbered `$n` parameters, `BIGINT`-sized integers, byte
//! strings), and the few places where they differ — opening, the schema, how
//! an append takes its lock — go through [`Dialect`]. The schema of each
//! backend is in its own commented migration folder, `migrations/sqlite` and
//! `migrations/postgres`; an applied migration is never edited.
//!
//! Contract of this module (the contract test suite,
//! `tests/store_contract.rs`, runs it against both databases):
//!
//! - **Atomic:** an [`append::AppendTx`] writes entries, hashes, the new
//!   checkpoint, the documents stored beside the entries
//!   ([`documents`]) and the outbox rows its notifications owe
//!   ([`outbox`]) in one transaction: after a crash either all of them
//!   are there or none is.
//! - **Durable:** when [`append::AppendTx::commit`] returns `Ok`, the
//!   transaction survives a crash of the process and of the machine
//!   (SQLite: WAL with `synchronous=FULL`; PostgreSQL: `synchronous_commit`
//!   on, its default).
//! - **Serialised:** two appends to one log never interleave, also across
//!   processes sharing a PostgreSQL database (the `logs` row is locked
//!   `FOR UPDATE`; SQLite takes its write lock with `BEGIN IMMEDIATE`).
//! - **Errors:** an `Err` from a write means the transaction did not
//!   commit, except from `commit` itself, after which the outcome is
//!   unknown until the log is read again (see `src/server/sequencer/mod.rs`).

pub mod accounts;
pub mod append;
pub mod backup;
pub mod cosigned;
pub mod documents;
pub(crate) mod fault;
mod mail_queue;
pub use mail_queue::Settlement;
mod migrate;
pub mod outbox;
pub mod private_outbox;
pub mod reader;
pub mod sign_in_links;
pub mod web;

use std::str::FromStr as _;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Row as _};

use crate::tlog::Hash;

/// Set on every SQLite connection. WAL lets readers run beside the one
/// writer; `synchronous=FULL` makes a commit durable when it returns (NORMAL
/// would not survive a power loss in WAL mode); the busy timeout waits for
/// the write lock instead of failing.
const SQLITE_PRAGMAS: &[&str] = &[
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=10000",
];

/// Which database a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server (15 or newer).
    Postgres,
}

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database reported an error (connection, constraint, I/O).
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// The database URL names no supported backend.
    #[error("unsupported database URL (expected sqlite:… or postgres://…): {0}")]
    UnsupportedUrl(String),
    /// Stored data breaks an invariant the code relies on (a hash of the
    /// wrong length, a negative index): the database was changed behind the
    /// server's back.
    #[error("corrupt storage: {0}")]
    Corrupt(String),
    /// [`append::AppendTx::commit`] after a failed
    /// [`append::AppendTx::write`]: the transaction was rolled back and
    /// nothing of it was recorded.
    #[error("the append transaction was rolled back after a failed write")]
    RolledBack,
    /// The migrations recorded in the database are not the ones this
    /// binary embeds (an applied migration was edited, or a newer release
    /// migrated the database).
    #[error("schema: {0}")]
    SchemaMismatch(String),
    /// A schema migration failed.
    #[error("migration {version} ({name}): {source}")]
    Migration {
        /// The migration's version.
        version: i64,
        /// Its file name.
        name: &'static str,
        /// The database's error.
        source: sqlx::Error,
    },
}

/// The head of a log: its size and latest signed checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogHead {
    /// The group the log belongs to.
    pub group: String,
    /// The log's origin (the first line of its checkpoints).
    pub origin: String,
    /// The number of entries.
    pub size: u64,
    /// The latest signed checkpoint, covering exactly `size` entries.
    pub checkpoint: Vec<u8>,
}

/// A connection pool with its dialect.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    dialect: Dialect,
    /// The fault-injection seam of the append steps: zero-sized, and
    /// inert, outside the crate's unit tests ([`fault`]).
    faults: fault::Faults,
}

impl Store {
    /// Connects to `url` (`sqlite:PATH` or `postgres://…`), creating a SQLite
    /// file if needed, and applies the pending migrations of its backend.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        Self::open_with(url, None).await
    }

    /// [`Store::open`] with at most `pool_size` connections [default: 8
    /// on SQLite, where one writer works at a time anyway, and 16 on
    /// PostgreSQL].
    pub async fn open_with(url: &str, pool_size: Option<u32>) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let dialect = if url.starts_with("sqlite:") {
            Dialect::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Dialect::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_owned()));
        };
        let url = match dialect {
            // Create the file on first start.
            Dialect::Sqlite if !url.contains("mode=") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_owned(),
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(pool_size.unwrap_or(match dialect {
                Dialect::Sqlite => 8,
                Dialect::Postgres => 16,
            }))
            .acquire_timeout(Duration::from_secs(30))
            // A SQLite connection is a file in this process: nothing to
            // test before lending it out, and the test is one more round
            // trip to the connection's thread for every query. A
            // PostgreSQL connection can die with its server, so it is
            // tested.
            .test_before_acquire(dialect == Dialect::Postgres)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if dialect == Dialect::Sqlite {
                        for pragma in SQLITE_PRAGMAS {
                            sqlx::Executor::execute(&mut *conn, *pragma).await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        let store = Self {
            pool,
            dialect,
            faults: fault::Faults::default(),
        };
        migrate::run(&store).await?;
        Ok(store)
    }

    /// The database this store talks to.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The faults armed for this store's appends (tests of the crate
    /// only).
    #[cfg(test)]
    pub(crate) fn faults(&self) -> &fault::Faults {
        &self.faults
    }

    /// The connection pool, for the modules of this one.
    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Closes every connection (at shutdown).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// The heads of every log, by group id.
    pub async fn heads(&self) -> Result<Vec<LogHead>, StoreError> {
        let rows =
            sqlx::query("SELECT group_id, origin, size, checkpoint FROM logs ORDER BY group_id")
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(head_from_row).collect()
    }

    /// The head of one log, `None` if the group has no log.
    pub async fn head(&self, group: &str) -> Result<Option<LogHead>, StoreError> {
        let row =
            sqlx::query("SELECT group_id, origin, size, checkpoint FROM logs WHERE group_id = $1")
                .bind(group)
                .fetch_optional(&self.pool)
                .await?;
        row.as_ref().map(head_from_row).transpose()
    }

    /// The entries `[from, to)` of a log, in order. Fewer are returned if the
    /// log is shorter.
    pub async fn entries(
        &self,
        group: &str,
        from: u64,
        to: u64,
    ) -> Result<Vec<Vec<u8>>, StoreError> {
        read_entries(&self.pool, group, from, to).await
    }

    /// The stored hashes at `indexes`, in the order asked; an error if one
    /// is missing (the [`crate::tlog::HashReader`] contract).
    pub async fn hashes(&self, group: &str, indexes: &[u64]) -> Result<Vec<Hash>, StoreError> {
        read_hashes(&self.pool, group, indexes).await
    }

    /// The stored hashes with indexes `[from, to)`, in order; fewer if some
    /// are missing (the caller compares).
    pub async fn hashes_range(
        &self,
        group: &str,
        from: u64,
        to: u64,
    ) -> Result<Vec<Hash>, StoreError> {
        let rows = sqlx::query(
            "SELECT hash FROM hashes WHERE group_id = $1 AND idx >= $2 AND idx < $3 ORDER BY idx",
        )
        .bind(group)
        .bind(to_i64(from)?)
        .bind(to_i64(to)?)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let bytes: Vec<u8> = row.try_get("hash")?;
                Hash::from_slice(&bytes)
                    .map_err(|e| StoreError::Corrupt(format!("log {group}: {e}")))
            })
            .collect()
    }

    /// How many entries and stored hashes a log has in storage.
    pub async fn counts(&self, group: &str) -> Result<(u64, u64), StoreError> {
        let entries = sqlx::query("SELECT COUNT(*) AS n FROM entries WHERE group_id = $1")
            .bind(group)
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?;
        let hashes = sqlx::query("SELECT COUNT(*) AS n FROM hashes WHERE group_id = $1")
            .bind(group)
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?;
        Ok((to_u64(entries)?, to_u64(hashes)?))
    }

    /// Every checkpoint the log signed, by increasing size.
    pub async fn checkpoints(&self, group: &str) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        let rows =
            sqlx::query("SELECT size, signed FROM checkpoints WHERE group_id = $1 ORDER BY size")
                .bind(group)
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|row| Ok((to_u64(row.try_get("size")?)?, row.try_get("signed")?)))
            .collect()
    }

    /// At most `limit` of the checkpoints the log signed with sizes from
    /// `from` to `to` inclusive, by increasing size: one page read through
    /// the primary key, whatever the log's age.
    pub async fn checkpoints_between(
        &self,
        group: &str,
        from: u64,
        to: u64,
        limit: usize,
    ) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        if from > to {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(
            "SELECT size, signed FROM checkpoints \
             WHERE group_id = $1 AND size >= $2 AND size <= $3 ORDER BY size LIMIT $4",
        )
        .bind(group)
        .bind(to_i64(from)?)
        .bind(to_i64(to)?)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| Ok((to_u64(row.try_get("size")?)?, row.try_get("signed")?)))
            .collect()
    }

    /// The checkpoint the log signed at exactly `size`, if any.
    pub async fn checkpoint_at(
        &self,
        group: &str,
        size: u64,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let row = sqlx::query("SELECT signed FROM checkpoints WHERE group_id = $1 AND size = $2")
            .bind(group)
            .bind(to_i64(size)?)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("signed")).transpose()?)
    }
}

impl Store {
    /// The first checkpoint the log signed that covers entry `index` (the
    /// smallest size above it), with its size: the checkpoint of the batch
    /// that appended the entry, against which its original receipt was
    /// given (SPEC section 4: a resubmitted vote gets the original receipt
    /// back).
    pub async fn first_checkpoint_covering(
        &self,
        group: &str,
        index: u64,
    ) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
        let row = sqlx::query(
            "SELECT size, signed FROM checkpoints WHERE group_id = $1 AND size = \
             (SELECT MIN(size) FROM checkpoints WHERE group_id = $1 AND size > $2)",
        )
        .bind(group)
        .bind(to_i64(index)?)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok((to_u64(r.try_get("size")?)?, r.try_get("signed")?)))
            .transpose()
    }
}

fn head_from_row(row: &sqlx::any::AnyRow) -> Result<LogHead, StoreError> {
    Ok(LogHead {
        group: row.try_get("group_id")?,
        origin: row.try_get("origin")?,
        size: to_u64(row.try_get("size")?)?,
        checkpoint: row.try_get("checkpoint")?,
    })
}

/// Reads entries `[from, to)` through any executor (pool or transaction).
pub(crate) async fn read_entries<'e, E>(
    executor: E,
    group: &str,
    from: u64,
    to: u64,
) -> Result<Vec<Vec<u8>>, StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let rows = sqlx::query(
        "SELECT idx, bytes FROM entries WHERE group_id = $1 AND idx >= $2 AND idx < $3 ORDER BY idx",
    )
    .bind(group)
    .bind(to_i64(from)?)
    .bind(to_i64(to)?)
    .fetch_all(executor)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for (offset, row) in rows.iter().enumerate() {
        let idx = to_u64(row.try_get("idx")?)?;
        if idx != from + offset as u64 {
            return Err(StoreError::Corrupt(format!(
                "log {group}: entry {} is missing",
                from + offset as u64
            )));
        }
        out.push(row.try_get("bytes")?);
    }
    Ok(out)
}

/// Reads stored hashes through any executor, in the order asked.
pub(crate) async fn read_hashes<'e, E>(
    executor: E,
    group: &str,
    indexes: &[u64],
) -> Result<Vec<Hash>, StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    if indexes.is_empty() {
        return Ok(Vec::new());
    }
    // One statement for all indexes: the proofs and the appender ask for
    // O(log n) of them at once. The list is made of numbers only.
    let list = indexes
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let sql = format!("SELECT idx, hash FROM hashes WHERE group_id = $1 AND idx IN ({list})");
    let rows = sqlx::query(&sql).bind(group).fetch_all(executor).await?;
    let mut found = std::collections::HashMap::with_capacity(rows.len());
    for row in &rows {
        let bytes: Vec<u8> = row.try_get("hash")?;
        let hash = Hash::from_slice(&bytes)
            .map_err(|e| StoreError::Corrupt(format!("log {group}: {e}")))?;
        found.insert(to_u64(row.try_get("idx")?)?, hash);
    }
    indexes
        .iter()
        .map(|i| {
            found.get(i).copied().ok_or_else(|| {
                StoreError::Corrupt(format!("log {group}: stored hash {i} is missing"))
            })
        })
        .collect()
}

/// Converts a stored integer, which the schema keeps non-negative.
pub(crate) fn to_u64(value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("negative size or index {value}")))
}

/// Converts a size or index for storage (BIGINT is signed).
pub(crate) fn to_i64(value: u64) -> Result<i64, StoreError> {
    i64::try_from(value)
        .map_err(|_| StoreError::Corrupt(format!("size or index {value} is too large")))
}
