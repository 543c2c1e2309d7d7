//! The witness's storage: its own SQLite file, schema in
//! `migrations/witness/` (applied here, tracked by `PRAGMA user_version`,
//! apart from the server's migrations and their numbering).

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr as _;
use std::time::Duration;

use sqlx::Row as _;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::server::ServerError;
use crate::tlog::witness::{AddCheckpoint, Latest};
use crate::tlog::{Hash, TreeSize};

/// The witness schema, version 1.
const SCHEMA_V1: &str = include_str!("../../../migrations/witness/0001_witness.sql");

/// A witness's database.
pub struct WitnessStore {
    pool: SqlitePool,
}

fn db(e: sqlx::Error) -> ServerError {
    ServerError::Config(format!("the witness database: {e}"))
}

impl WitnessStore {
    /// Opens (creating if needed) the SQLite file and applies the schema.
    /// Commits are durable when they return (WAL, `synchronous=FULL`).
    pub async fn open(path: &Path) -> Result<Self, ServerError> {
        let options = SqliteConnectOptions::from_str("sqlite:")
            .map_err(db)?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(2)
            .connect_with(options)
            .await
            .map_err(db)?;
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.map_err(db)?;
        let version: i64 = sqlx::query("PRAGMA user_version")
            .fetch_one(&mut *tx)
            .await
            .and_then(|row| row.try_get(0))
            .map_err(db)?;
        if version < 1 {
            sqlx::raw_sql(SCHEMA_V1)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            sqlx::raw_sql("PRAGMA user_version = 1")
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        } else if version > 1 {
            return Err(ServerError::Config(format!(
                "the witness database has schema version {version}, newer than this program's 1"
            )));
        }
        tx.commit().await.map_err(db)?;
        Ok(Self { pool })
    }

    /// The latest cosigned size and root of every log.
    pub async fn latest_all(&self) -> Result<HashMap<String, Latest>, ServerError> {
        let rows = sqlx::query("SELECT origin, size, root FROM witness_checkpoints")
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        let mut latest = HashMap::new();
        for row in rows {
            let origin: String = row.try_get("origin").map_err(db)?;
            let size: i64 = row.try_get("size").map_err(db)?;
            let root: Vec<u8> = row.try_get("root").map_err(db)?;
            let corrupt =
                || ServerError::Config(format!("the witness database: a bad row for {origin:?}"));
            let size = u64::try_from(size).map_err(|_| corrupt())?;
            let root = Hash::from_slice(&root).map_err(|_| corrupt())?;
            latest.insert(
                origin.clone(),
                Latest {
                    size: TreeSize::new(size),
                    root,
                },
            );
        }
        Ok(latest)
    }

    /// Replaces the latest cosigned checkpoint of `origin`, durably.
    pub async fn save(
        &self,
        origin: &str,
        latest: &Latest,
        served: &str,
        cosigned_at: u64,
    ) -> Result<(), sqlx::Error> {
        let size =
            i64::try_from(latest.size.get()).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
        let at = i64::try_from(cosigned_at).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
        sqlx::query(
            "INSERT INTO witness_checkpoints (origin, size, root, note, cosigned_at) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (origin) DO UPDATE SET size = excluded.size, root = excluded.root, \
             note = excluded.note, cosigned_at = excluded.cosigned_at",
        )
        .bind(origin)
        .bind(size)
        .bind(latest.root.as_bytes().as_slice())
        .bind(served)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Keeps a refused, validly signed request.
    pub async fn record_refusal(
        &self,
        request: &AddCheckpoint,
        status: u16,
        at: u64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO witness_refusals (status, received_at, request) VALUES ($1, $2, $3)",
        )
        .bind(i64::from(status))
        .bind(i64::try_from(at).unwrap_or(i64::MAX))
        .bind(request.encode())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The checkpoint served for `origin`, if one was cosigned.
    pub async fn served(&self, origin: &str) -> Result<Option<String>, sqlx::Error> {
        sqlx::query("SELECT note FROM witness_checkpoints WHERE origin = $1")
            .bind(origin)
            .fetch_optional(&self.pool)
            .await?
            .map(|row| row.try_get("note"))
            .transpose()
    }

    /// Closes the database.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}
