//! Applies the schema migrations of a backend, each once, in order.
//!
//! The migrations are embedded in the binary (`migrations/<backend>/*.sql`),
//! so a server started from anywhere has them. Each runs in its own
//! transaction together with the row that records it, so a crash leaves it
//! applied and recorded, or neither. An applied migration is never edited:
//! a change is a new file with the next version.
//!
//! Each record keeps the SHA-256 of the SQL that was applied. At every
//! start the records are compared with the migrations this binary embeds:
//! a migration whose text changed after it was applied, or a recorded
//! version this binary does not know (a database migrated by a newer
//! release), is refused with what happened, since the schema is then not
//! the one the code was written for. Records written before checksums
//! existed get the checksum of the binary that first sees them.

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
    Migration {
        version: 11,
        name: "0011_private_outbox.sql",
        sql: include_str!("../../migrations/sqlite/0011_private_outbox.sql"),
    },
    Migration {
        version: 12,
        name: "0012_receipts_with_their_votes.sql",
        sql: include_str!("../../migrations/sqlite/0012_receipts_with_their_votes.sql"),
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
    Migration {
        version: 11,
        name: "0011_private_outbox.sql",
        sql: include_str!("../../migrations/postgres/0011_private_outbox.sql"),
    },
    Migration {
        version: 12,
        name: "0012_receipts_with_their_votes.sql",
        sql: include_str!("../../migrations/postgres/0012_receipts_with_their_votes.sql"),
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

/// Applies every migration of the store's backend that is not yet recorded,
/// after checking the recorded ones against the embedded files.
pub(super) async fn run(store: &Store) -> Result<(), StoreError> {
    let migrations = match store.dialect() {
        Dialect::Sqlite => SQLITE,
        Dialect::Postgres => POSTGRES,
    };
    // The usual start finds every migration recorded, each with its
    // checksum, and takes no lock (on SQLite the write lock may be held
    // by a running append). Any error here, such as the record table or
    // its checksum column not existing yet, takes the long way.
    if let Ok(records) = read_records(store.pool()).await {
        check(migrations, &records)?;
        let complete = migrations
            .iter()
            .all(|m| records.iter().any(|r| r.version == m.version));
        if complete && records.iter().all(|r| r.checksum.is_some()) {
            return Ok(());
        }
    }
    let mut tx = begin(store).await?;
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (\
             version BIGINT PRIMARY KEY, name TEXT NOT NULL, checksum TEXT)",
    )
    .execute(&mut *tx)
    .await?;
    add_checksum_column(store.dialect(), &mut tx).await?;
    // Records from before checksums: the binary that first sees them
    // vouches for them (the only moment a checksum can be taken).
    for migration in migrations {
        sqlx::query(
            "UPDATE schema_migrations SET checksum = $1 WHERE version = $2 AND checksum IS NULL",
        )
        .bind(checksum(migration.sql))
        .bind(migration.version)
        .execute(&mut *tx)
        .await?;
    }
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
        sqlx::query("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)")
            .bind(migration.version)
            .bind(migration.name)
            .bind(checksum(migration.sql))
            .execute(&mut *tx)
            .await
            .map_err(failed)?;
        tx.commit().await.map_err(failed)?;
    }
    check(migrations, &read_records(store.pool()).await?)
}

/// One row of `schema_migrations`.
struct Record {
    version: i64,
    name: String,
    checksum: Option<String>,
}

async fn read_records(pool: &sqlx::AnyPool) -> Result<Vec<Record>, sqlx::Error> {
    let rows = sqlx::query("SELECT version, name, checksum FROM schema_migrations")
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(Record {
                version: row.try_get("version")?,
                name: row.try_get("name")?,
                checksum: row.try_get("checksum")?,
            })
        })
        .collect()
}

/// Adds the checksum column to a record table made before it existed.
async fn add_checksum_column(
    dialect: Dialect,
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
) -> Result<(), StoreError> {
    match dialect {
        Dialect::Postgres => {
            sqlx::raw_sql("ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS checksum TEXT")
                .execute(&mut **tx)
                .await?;
        }
        Dialect::Sqlite => {
            let present: i64 = sqlx::query(
                "SELECT COUNT(*) AS n FROM pragma_table_info('schema_migrations') \
                 WHERE name = 'checksum'",
            )
            .fetch_one(&mut **tx)
            .await?
            .try_get("n")?;
            if present == 0 {
                sqlx::raw_sql("ALTER TABLE schema_migrations ADD COLUMN checksum TEXT")
                    .execute(&mut **tx)
                    .await?;
            }
        }
    }
    Ok(())
}

/// The checksum recorded for a migration: the SHA-256 of its SQL, in hex.
fn checksum(sql: &str) -> String {
    crate::tlog::Hash::sha256(sql.as_bytes()).to_hex()
}

/// Refuses records that do not match the embedded migrations.
fn check(migrations: &[Migration], records: &[Record]) -> Result<(), StoreError> {
    for record in records {
        let Some(migration) = migrations.iter().find(|m| m.version == record.version) else {
            return Err(StoreError::SchemaMismatch(format!(
                "the database records migration {} ({}), which this release does not know: \
                 it was migrated by a newer release of Scrutineer. Run that release, or \
                 restore a backup taken before the upgrade",
                record.version, record.name
            )));
        };
        if let Some(recorded) = &record.checksum
            && *recorded != checksum(migration.sql)
        {
            return Err(StoreError::SchemaMismatch(format!(
                "migration {} ({}) differs from the one applied to this database (recorded \
                 SHA-256 {recorded}): an applied migration was edited, so the schema is not \
                 the one this release expects. Restore the migration file as released; a \
                 schema change is a new migration",
                migration.version, migration.name
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(version: i64, sql: Option<&str>) -> Record {
        Record {
            version,
            name: format!("{version:04}_x.sql"),
            checksum: sql.map(checksum),
        }
    }

    #[test]
    fn recorded_migrations_must_match_the_embedded_ones() {
        let first = SQLITE[0].sql;
        // Matching, and not yet recorded ones, and unchecked old records.
        assert!(check(SQLITE, &[record(1, Some(first))]).is_ok());
        assert!(check(SQLITE, &[record(1, None)]).is_ok());
        assert!(check(SQLITE, &[]).is_ok());
        // An edited migration.
        let edited = format!("{first}\n-- edited");
        let refused = check(SQLITE, &[record(1, Some(&edited))]).unwrap_err();
        assert!(refused.to_string().contains("was edited"), "{refused}");
        // A migration from a newer release.
        let refused = check(SQLITE, &[record(9999, Some("x"))]).unwrap_err();
        assert!(refused.to_string().contains("newer release"), "{refused}");
    }
}
