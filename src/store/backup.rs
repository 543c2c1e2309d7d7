//! `scrutineer backup`: a consistent copy of a running server's SQLite
//! database, made online with `VACUUM INTO` (one read transaction: the copy
//! is the database as of one commit, while the server goes on writing).
//!
//! PostgreSQL is copied with its own tool, `pg_dump`, whose dump is one
//! repeatable-read snapshot (docs/operations.md).

use std::path::Path;
use std::str::FromStr as _;

use sqlx::ConnectOptions as _;
use sqlx::Connection as _;
use sqlx::sqlite::SqliteConnectOptions;

use super::StoreError;

/// Copies the SQLite database at `url` (`sqlite:PATH`) into `out`, a new
/// file (mode 0600: it holds names and e-mail addresses). The database is
/// opened read-only: nothing is created or migrated.
pub async fn sqlite_into(url: &str, out: &Path) -> Result<(), BackupError> {
    if !url.starts_with("sqlite:") {
        return Err(BackupError::NotSqlite);
    }
    let options = SqliteConnectOptions::from_str(url)
        .map_err(StoreError::from)?
        .read_only(true)
        .busy_timeout(std::time::Duration::from_secs(30));
    // `VACUUM INTO` wants a file that does not exist or is empty: create
    // it empty, refusing to overwrite anything, with the mode it keeps.
    let mut file = std::fs::OpenOptions::new();
    file.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        file.mode(0o600);
    }
    file.open(out).map_err(|source| BackupError::Io {
        path: out.to_owned(),
        source,
    })?;
    let target = out.to_str().ok_or_else(|| BackupError::Io {
        path: out.to_owned(),
        source: std::io::Error::other("the path is not UTF-8"),
    })?;
    let copied = async {
        let mut db = options.connect().await?;
        sqlx::query("VACUUM INTO $1")
            .bind(target)
            .execute(&mut db)
            .await?;
        db.close().await
    }
    .await;
    if let Err(e) = copied {
        let _ = std::fs::remove_file(out);
        return Err(StoreError::from(e).into());
    }
    Ok(())
}

/// Why a backup was not made.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The database is not SQLite.
    #[error(
        "only a SQLite database is copied by `scrutineer backup`; copy PostgreSQL with \
         pg_dump (docs/operations.md, \"Backups\")"
    )]
    NotSqlite,
    /// The database could not be read or copied.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The copy's file could not be created.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The error.
        source: std::io::Error,
    },
}
