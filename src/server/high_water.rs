//! The high-water mark of each log (SPEC section 11, "Never fork a log"):
//! the newest checkpoint this server has published, kept in a file of the
//! data directory, apart from the database, so that restoring an older copy
//! of the database does not roll it back.
//!
//! A checkpoint is published when a log's in-memory size reaches it (a
//! batch acknowledged, or entries another process appended folded in): the
//! checkpoint routes, the receipts and the bundles serve only checkpoints
//! up to that size. The sequencer calls [`HighWater::advance`] *before*
//! raising the size, after the database committed: a crash in between
//! leaves the mark behind storage, which is safe (nothing beyond the mark
//! was served); the mark is never ahead of what storage committed.
//!
//! Each log's mark is one file, `high-water/<group id>.checkpoint`, holding
//! the signed checkpoint exactly as served. It is replaced by compare and
//! swap under an exclusive file lock (`<group id>.lock`, so that two
//! processes sharing a data directory never move a mark backwards): read
//! the current mark, refuse a checkpoint that is older or that differs at
//! the same size, write a temporary file, fsync it, rename it over the mark
//! and fsync the directory.
//!
//! At start-up (`startup.rs`) a log whose stored tree is smaller than its
//! mark, or whose root at the mark's size differs from the mark's, is not
//! served: the database was restored from an older copy, or was changed,
//! and appending to it would sign a second history under the same origin.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::note::key::VerifierKey;
use crate::tlog::Hash;
use crate::tlog::checkpoint::open_checkpoint;

/// The name of the marks' directory inside the data directory.
pub const DIRECTORY: &str = "high-water";

/// The marks of every log of this server.
#[derive(Debug)]
pub struct HighWater {
    dir: PathBuf,
    /// The signed checkpoint last marked per group, so that marking the
    /// same checkpoint again (every read of a log checks its head) costs
    /// no file access.
    marked: Mutex<HashMap<String, Vec<u8>>>,
}

/// A log's mark: the newest checkpoint it published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    /// The checkpoint's tree size.
    pub size: u64,
    /// The checkpoint's root hash.
    pub root: Hash,
    /// The signed checkpoint as served.
    pub signed: Vec<u8>,
}

/// Why a mark could not be read or moved.
#[derive(Debug, thiserror::Error)]
pub enum MarkError {
    /// The checkpoint to mark is older than the mark: storage went back.
    #[error(
        "storage's checkpoint of size {size} is older than the newest checkpoint this server \
         published (size {marked}, high-water mark {path}): the database was restored from an \
         older copy or lost entries, and serving it would fork the log"
    )]
    Behind {
        /// The checkpoint's size.
        size: u64,
        /// The mark's size.
        marked: u64,
        /// The mark's file.
        path: PathBuf,
    },
    /// The checkpoint to mark has the mark's size but another root.
    #[error(
        "storage's checkpoint of size {size} has root {root} but this server published root \
         {marked} at that size (high-water mark {path}): the log was forked"
    )]
    Forked {
        /// The size of both.
        size: u64,
        /// The checkpoint's root.
        root: Hash,
        /// The mark's root.
        marked: Hash,
        /// The mark's file.
        path: PathBuf,
    },
    /// A checkpoint (to mark, or the mark itself) does not verify.
    #[error("{what} is not a checkpoint of this log's key: {reason}")]
    Invalid {
        /// Which checkpoint.
        what: String,
        /// Why.
        reason: String,
    },
    /// The mark's file could not be read or written.
    #[error("high-water mark {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

impl HighWater {
    /// Opens (creating, mode 0700) the marks' directory inside `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Self, MarkError> {
        let dir = data_dir.join(DIRECTORY);
        let io = |source| MarkError::Io {
            path: dir.clone(),
            source,
        };
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt as _;
            builder.mode(0o700);
        }
        builder.create(&dir).map_err(io)?;
        sync_directory(data_dir).map_err(io)?;
        Ok(Self {
            dir,
            marked: Mutex::new(HashMap::new()),
        })
    }

    /// The file holding `group`'s mark.
    pub fn path(&self, group: &str) -> PathBuf {
        self.dir.join(format!("{group}.checkpoint"))
    }

    /// The mark of `group`, if it has one, checked under `key`.
    pub fn read(&self, group: &str, key: &VerifierKey) -> Result<Option<Mark>, MarkError> {
        let path = self.path(group);
        read_mark(&path, key)
    }

    /// Records `signed`, a checkpoint of `group`'s log about to be served,
    /// as its mark, unless the mark is already that checkpoint; refuses a
    /// checkpoint older than the mark, or different at its size. Blocking
    /// (file locks and fsync): call it from a blocking thread.
    pub fn advance(&self, group: &str, signed: &[u8], key: &VerifierKey) -> Result<(), MarkError> {
        if self.is_marked(group, signed) {
            return Ok(());
        }
        let new = parse(signed, key, || "the checkpoint to publish".to_owned())?;
        let path = self.path(group);
        let io = |source| MarkError::Io {
            path: path.clone(),
            source,
        };
        // One writer at a time, across processes sharing the directory.
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.dir.join(format!("{group}.lock")))
            .map_err(io)?;
        lock.lock().map_err(io)?;
        match read_mark(&path, key)? {
            Some(current) if current.size > new.size => {
                return Err(MarkError::Behind {
                    size: new.size,
                    marked: current.size,
                    path,
                });
            }
            Some(current) if current.size == new.size && current.root != new.root => {
                return Err(MarkError::Forked {
                    size: new.size,
                    root: new.root,
                    marked: current.root,
                    path,
                });
            }
            Some(current) if current.size == new.size => {}
            _ => {
                let temporary = self.dir.join(format!("{group}.checkpoint.new"));
                let mut file = File::create(&temporary).map_err(io)?;
                file.write_all(signed).map_err(io)?;
                file.sync_all().map_err(io)?;
                drop(file);
                std::fs::rename(&temporary, &path).map_err(io)?;
                sync_directory(&self.dir).map_err(io)?;
            }
        }
        drop(lock);
        self.marked
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(group.to_owned(), signed.to_vec());
        Ok(())
    }

    /// Whether `signed` is `group`'s mark already, as this process last
    /// wrote or read it (no file access).
    pub fn is_marked(&self, group: &str, signed: &[u8]) -> bool {
        self.cached(group).as_deref() == Some(signed)
    }

    fn cached(&self, group: &str) -> Option<Vec<u8>> {
        self.marked
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(group)
            .cloned()
    }
}

/// Reads and checks a mark's file; `None` if there is none.
fn read_mark(path: &Path, key: &VerifierKey) -> Result<Option<Mark>, MarkError> {
    let mut signed = Vec::new();
    match File::open(path) {
        Ok(mut file) => file
            .read_to_end(&mut signed)
            .map_err(|source| MarkError::Io {
                path: path.to_owned(),
                source,
            })?,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(MarkError::Io {
                path: path.to_owned(),
                source,
            });
        }
    };
    parse(&signed, key, || {
        format!("the high-water mark {}", path.display())
    })
    .map(Some)
}

fn parse(
    signed: &[u8],
    key: &VerifierKey,
    what: impl FnOnce() -> String,
) -> Result<Mark, MarkError> {
    let checkpoint = open_checkpoint(signed, key)
        .map_err(|e| MarkError::Invalid {
            what: what(),
            reason: e.to_string(),
        })?
        .into_inner();
    Ok(Mark {
        size: checkpoint.size().get(),
        root: *checkpoint.root(),
        signed: signed.to_vec(),
    })
}

/// Makes a directory's entries (a rename, a new file) durable.
fn sync_directory(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::note::key::{KeyName, SigningKey};
    use crate::tlog::TreeSize;
    use crate::tlog::checkpoint::{Checkpoint, Origin, sign_checkpoint};

    const ORIGIN: &str = "example.org/scrutineer/g";

    fn key() -> SigningKey {
        SigningKey::from_seed(KeyName::new(ORIGIN).expect("a name"), &[7; 32])
    }

    fn signed(size: u64, root: &[u8]) -> Vec<u8> {
        let checkpoint = Checkpoint::new(
            Origin::new(ORIGIN).expect("an origin"),
            TreeSize::new(size),
            Hash::sha256(root),
            Vec::new(),
        )
        .expect("a checkpoint");
        sign_checkpoint(&checkpoint, &key()).expect("signed")
    }

    #[test]
    fn moves_forward_only() {
        let dir = tempfile::tempdir().expect("a directory");
        let marks = HighWater::open(dir.path()).expect("open");
        let verifier = key().verifier_key();
        assert_eq!(marks.read("g", &verifier).expect("read"), None);
        marks
            .advance("g", &signed(3, b"a"), &verifier)
            .expect("first");
        marks
            .advance("g", &signed(5, b"b"), &verifier)
            .expect("newer");
        marks
            .advance("g", &signed(5, b"b"), &verifier)
            .expect("same");
        let mark = marks.read("g", &verifier).expect("read").expect("a mark");
        assert_eq!((mark.size, mark.root), (5, Hash::sha256(b"b")));

        // A second process on the same directory (no cache) sees the mark.
        let other = HighWater::open(dir.path()).expect("open");
        assert!(matches!(
            other.advance("g", &signed(4, b"x"), &verifier),
            Err(MarkError::Behind {
                size: 4,
                marked: 5,
                ..
            })
        ));
        assert!(matches!(
            other.advance("g", &signed(5, b"x"), &verifier),
            Err(MarkError::Forked { size: 5, .. })
        ));
        let mark = other.read("g", &verifier).expect("read").expect("a mark");
        assert_eq!(mark.size, 5, "a refused checkpoint leaves the mark");
        other.advance("g", &signed(9, b"c"), &verifier).expect("on");
        assert_eq!(
            marks
                .read("g", &verifier)
                .expect("read")
                .expect("a mark")
                .size,
            9
        );
    }

    #[test]
    fn refuses_a_checkpoint_of_another_key() {
        let dir = tempfile::tempdir().expect("a directory");
        let marks = HighWater::open(dir.path()).expect("open");
        let other = SigningKey::from_seed(KeyName::new(ORIGIN).expect("a name"), &[8; 32]);
        assert!(matches!(
            marks.advance("g", &signed(1, b"a"), &other.verifier_key()),
            Err(MarkError::Invalid { .. })
        ));
    }
}
