//! The verifier on a file system that changes under it: every file of the
//! log is read once, and what is replayed is exactly what was checked.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::{AuditError, LogFiles, verify_bundle_files};
use crate::note::{KeyName, SigningKey};
use crate::staticlog;
use crate::tlog::checkpoint::Origin;

/// A file system whose `flaky` file cannot be read the first time and
/// can be afterwards, which counts every read.
struct Flaky {
    dir: PathBuf,
    flaky: PathBuf,
    reads: Mutex<HashMap<PathBuf, usize>>,
}

impl LogFiles for Flaky {
    fn dir(&self) -> &Path {
        &self.dir
    }

    fn read(&self, path: &Path) -> Option<Vec<u8>> {
        let mut reads = self.reads.lock().expect("not poisoned");
        let count = reads.entry(path.to_owned()).or_default();
        *count += 1;
        if path == self.flaky && *count == 1 {
            return None;
        }
        std::fs::read(self.dir.join(path)).ok()
    }
}

/// A log of 266 entries (a full entry bundle and a partial one of 10)
/// signed by a test key.
fn log_of_266(dir: &Path) -> SigningKey {
    let origin = Origin::new("example.org/flaky").expect("an origin");
    let key = SigningKey::from_seed(KeyName::new("example.org/flaky").expect("a name"), &[7; 32]);
    let entries: Vec<Vec<u8>> = (0..266)
        .map(|i| format!("entry {i}").into_bytes())
        .collect();
    staticlog::build(dir, &key, &origin, &entries).expect("a static log");
    key
}

#[test]
fn an_entry_bundle_that_fails_its_first_read_is_missing_and_never_read_again() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let key = log_of_266(dir.path());
    let partial = PathBuf::from("tile/entries/001.p/10");
    assert!(
        dir.path().join(&partial).exists(),
        "the partial entry bundle"
    );
    let files = Flaky {
        dir: dir.path().to_owned(),
        flaky: partial.clone(),
        reads: Mutex::new(HashMap::new()),
    };
    let err = verify_bundle_files(
        &files,
        &key.verifier_key(),
        Some("B1"),
        &[],
        Default::default(),
    )
    .expect_err("a bundle with an unreadable entry bundle does not verify");
    assert!(
        matches!(&err, AuditError::Tiles(_)) && err.to_string().contains("missing"),
        "{err}"
    );
    let reads = files.reads.lock().expect("not poisoned");
    assert_eq!(reads.get(&partial), Some(&1), "{reads:?}");
    assert!(
        reads.values().all(|n| *n == 1),
        "a file was read twice: {reads:?}"
    );
}

#[test]
fn a_log_read_whole_passes_its_tiles() {
    // The control: the same log read without failures passes the tiles
    // and is refused only for its entries, which are not Scrutineer
    // entries: so the failure above is the read's.
    let dir = tempfile::tempdir().expect("a temporary directory");
    let key = log_of_266(dir.path());
    let files = Flaky {
        dir: dir.path().to_owned(),
        flaky: PathBuf::new(),
        reads: Mutex::new(HashMap::new()),
    };
    let err = verify_bundle_files(
        &files,
        &key.verifier_key(),
        Some("B1"),
        &[],
        Default::default(),
    )
    .expect_err("these entries are not a group's log");
    assert!(matches!(err, AuditError::Entry { index: 0, .. }), "{err}");
}
