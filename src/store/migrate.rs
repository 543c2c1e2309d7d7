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
const SQLITE: &[Migration] = &[Migration {
    version: 1,
    name: "0001_log.sql",
    sql: include_str!("../../migrations/sqlite/0001_log.sql"),
}];

/// The PostgreSQL migrations, in version order.
const POSTGRES: &[Migration] = &[Migration {
    version: 1,
    name: "0001_log.sql",
    sql: include_str!("../../migrations/postgres/0001_log.sql"),
}];

/// Applies every migration of the store's backend that is not yet recorded.
pub(super) async fn run(store: &Store) -> Result<(), StoreError> {
    let migrations = match store.dialect() {
        Dialect::Sqlite => SQLITE,
        Dialect::Postgres => POSTGRES,
    };
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (\
             version BIGINT PRIMARY KEY, name TEXT NOT NULL)",
    )
    .execute(store.pool())
    .await?;
    for migration in migrations {
        let mut tx = store.pool().begin().await?;
        // PostgreSQL: two processes starting together on one database
        // serialise here; the second sees the first one's row.
        if store.dialect() == Dialect::Postgres {
            sqlx::raw_sql("LOCK TABLE schema_migrations IN EXCLUSIVE MODE")
                .execute(&mut *tx)
                .await?;
        }
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
