//! Backups of a test server's SQLite database and their restores, as an
//! operator makes them (`docs/operations.md`).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::world::scrutineer;

/// `scrutineer backup` of the SQLite database in `data_dir` into `out`.
pub fn backup(data_dir: &Path, out: &Path) {
    let output = Command::new(env!("CARGO_BIN_EXE_scrutineer"))
        .arg("backup")
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--out")
        .arg(out)
        .env_remove("SCRUTINEER_DATABASE_URL")
        .output()
        .expect("run scrutineer backup");
    assert!(
        output.status.success(),
        "backup failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(out)
            .expect("the copy")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the copy holds personal data");
    }
}

/// Replaces the (stopped) server's database by `copy`, as an operator
/// restoring a backup would.
pub fn restore(data_dir: &Path, copy: &Path) {
    let db = data_dir.join("scrutineer.db");
    for suffix in ["", "-wal", "-shm"] {
        let file = PathBuf::from(format!("{}{suffix}", db.display()));
        if file.exists() {
            std::fs::remove_file(&file).expect("remove the database");
        }
    }
    std::fs::copy(copy, &db).expect("restore the copy");
}

/// `scrutineer restore-tail` with the given arguments after the data
/// directory's.
pub fn restore_tail(data_dir: &Path, args: &[&str]) -> std::process::Output {
    let mut all = vec![
        "restore-tail",
        "--data-dir",
        data_dir.to_str().expect("UTF-8"),
    ];
    all.extend(args);
    scrutineer(&all)
}
