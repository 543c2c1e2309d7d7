//! Applies the schema migrations of a backend, each once, in order.
//!
//! The migrations are embedded in the binary (`migrations/<backend>/*.sql`),
//! so a server started from anywhere has them. Each runs in its own
//! transaction together with the row that records it, so a crash leaves it
//! applied and recorded, or neither. An applied migration is never edited:
//! a change is a new file with the next version.

use sqlx::Row as _;

use super::{Dialect, Store, StoreError};

/// One migration: its version, file name and SQL.
struct Migration {
    version: i64,
    name: &'static str,
    sql: &'static str,
}

/// The SQLite migrations, in version order.
const SQLITE: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_log.sql",
        sql: include_str!("../../migrations/sqlite/0001_log.sql"),
    },
    Migration {
        version: 2,
        name: "0002_documents.sql",
        sql: include_str!("../../migrations/sqlite/0002_documents.sql"),
    },
    Migration {
        version: 3,
        name: "0003_documents_in_log_order.sql",
        sql: include_str!("../../migrations/sqlite/0003_documents_in_log_order.sql"),
    },
    Migration {
        version: 4,
        name: "0004_access_epoch.sql",
        sql: include_str!("../../migrations/sqlite/0004_access_epoch.sql"),
    },
    Migration {
        version: 5,
        name: "0005_larger_documents.sql",
        sql: include_str!("../../migrations/sqlite/0005_larger_documents.sql"),
    },
    Migration {
        version: 6,
        name: "0006_web.sql",
        sql: include_str!("../../migrations/sqlite/0006_web.sql"),
    },
    Migration {
        version: 7,
        name: "0007_drafts.sql",
        sql: include_str!("../../migrations/sqlite/0007_drafts.sql"),
    },
    Migration {
        version: 8,
        name: "0008_outbox.sql",
        sql: include_str!("../../migrations/sqlite/0008_outbox.sql"),
    },
    Migration {
        version: 9,
        name: "0009_cosigned_checkpoints.sql",
        sql: include_str!("../../migrations/sqlite/0009_cosigned_checkpoints.sql"),
    },
    Migration {
        version: 10,
        name: "0010_sign_in_links.sql",
        sql: include_str!("../../migrations/sqlite/0010_sign_in_links.sql"),
    },
];

/// The PostgreSQL migrations, in version order.
const POSTGRES: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_log.sql",
        sql: include_str!("../../migrations/postgres/0001_log.sql"),
    },
    Migration {
        version: 2,
        name: "0002_documents.sql",
        sql: include_str!("../../migrations/postgres/0002_documents.sql"),
    },
    Migration {
        version: 3,
        name: "0003_access_epoch.sql",
        sql: include_str!("../../migrations/postgres/0003_access_epoch.sql"),
    },
    Migration {
        version: 4,
        name: "0004_documents_in_log_order.sql",
        sql: include_str!("../../migrations/postgres/0004_documents_in_log_order.sql"),
    },
    Migration {
        version: 5,
        name: "0005_larger_documents.sql",
        sql: include_str!("../../migrations/postgres/0005_larger_documents.sql"),
    },
    Migration {
        version: 6,
        name: "0006_web.sql",
        sql: include_str!("../../migrations/postgres/0006_web.sql"),
    },
    Migration {
        version: 7,
        name: "0007_drafts.sql",
        sql: include_str!("../../migrations/postgres/0007_drafts.sql"),
    },
    Migration {
        version: 8,
        name: "0008_outbox.sql",
        sql: include_str!("../../migrations/postgres/0008_outbox.sql"),
    },
    Migration {
        version: 9,
        name: "0009_cosigned_checkpoints.sql",
        sql: include_str!("../../migrations/postgres/0009_cosigned_checkpoints.sql"),
    },
    Migration {
        version: 10,
        name: "0010_sign_in_links.sql",
        sql: include_str!("../../migrations/postgres/0010_sign_in_links.sql"),
    },
];

/// The PostgreSQL advisory lock that serialises migrations (an arbitrary
/// number, "SCRUTMIG" in ASCII).
const MIGRATION_LOCK: i64 = 0x5343_5255_544d_4947;

/// Opens a migration transaction, serialised against every other process
/// starting on the same database: two processes starting together must not
/// both create the record table or apply a migration. PostgreSQL's
/// `CREATE TABLE IF NOT EXISTS` is not safe against a concurrent creation
/// (it fails on a unique index of the catalogue), so an advisory lock held
/// until the transaction ends comes first; SQLite takes its write lock up
/// front (`BEGIN IMMEDIATE`), since a transaction that has read cannot
/// upgrade to a write once another has written.
async fn begin(store: &Store) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
    Ok(match store.dialect() {
        Dialect::Sqlite => store.pool().begin_with("BEGIN IMMEDIATE").await?,
        Dialect::Postgres => {
            let mut tx = store.pool().begin().await?;
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(MIGRATION_LOCK)
                .execute(&mut *tx)
                .await?;
            tx
        }
    })
}

/// Applies every migration of the store's backend that is not yet recorded.
pub(super) async fn run(store: &Store) -> Result<(), StoreError> {
    let migrations = match store.dialect() {
        Dialect::Sqlite => SQLITE,
        Dialect::Postgres => POSTGRES,
    };
    // The usual start finds every migration recorded and takes no lock (on
    // SQLite the write lock may be held by a running append). Any error
    // here, such as the record table not existing yet, takes the long way.
    if let Ok(rows) = sqlx::query("SELECT version FROM schema_migrations")
        .fetch_all(store.pool())
        .await
    {
        let applied: Vec<i64> = rows
            .iter()
            .filter_map(|r| r.try_get("version").ok())
            .collect();
        if migrations.iter().all(|m| applied.contains(&m.version)) {
            return Ok(());
        }
    }
    let mut tx = begin(store).await?;
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (\
             version BIGINT PRIMARY KEY, name TEXT NOT NULL)",
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    for migration in migrations {
        let mut tx = begin(store).await?;
        let applied = sqlx::query("SELECT version FROM schema_migrations WHERE version = $1")
            .bind(migration.version)
            .fetch_optional(&mut *tx)
            .await?
            .map(|row| row.try_get::<i64, _>("version"))
            .transpose()?
            .is_some();
        if applied {
            continue;
        }
        let failed = |source| StoreError::Migration {
            version: migration.version,
            name: migration.name,
            source,
        };
        sqlx::raw_sql(migration.sql)
            .execute(&mut *tx)
            .await
            .map_err(failed)?;
        sqlx::query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)")
            .bind(migration.version)
            .bind(migration.name)
            .execute(&mut *tx)
            .await
            .map_err(failed)?;
        tx.commit().await.map_err(failed)?;
    }
    Ok(())
}
