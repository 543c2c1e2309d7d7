//! Runs the pure tree code (which reads hashes synchronously through
//! [`HashReader`]) over the asynchronous store: run, collect the indexes it
//! asked for, fetch them in one query, run again.
//!
//! Every function of `crate::tlog` reads all the hashes it needs in one call,
//! so two passes suffice; a few more are allowed for safety.

use std::cell::RefCell;
use std::collections::HashMap;

use super::{Store, StoreError};
use crate::tlog::Hash;
use crate::tlog::tree::{HashReader, TreeError};

/// The most passes before giving up (a function that keeps asking for new
/// hashes is a bug, not a reason to loop forever).
const MAX_PASSES: usize = 4;

/// A reader that answers from the hashes fetched so far and records the
/// ones it lacks: pass it to any `crate::tlog` function that takes a
/// [`HashReader`].
#[derive(Default)]
pub struct Planner {
    known: HashMap<u64, Hash>,
    missing: RefCell<Vec<u64>>,
}

/// "Fetch these first": the planner's error for a pass that lacked hashes.
#[derive(Debug, thiserror::Error)]
#[error("hashes must be fetched first")]
pub struct NeedHashes;

impl HashReader for Planner {
    type Error = NeedHashes;

    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, NeedHashes> {
        let found: Option<Vec<Hash>> = indexes.iter().map(|i| self.known.get(i).copied()).collect();
        found.ok_or_else(|| {
            let mut missing = self.missing.borrow_mut();
            missing.extend(indexes.iter().filter(|i| !self.known.contains_key(i)));
            NeedHashes
        })
    }
}

impl Store {
    /// Runs `f` over the stored hashes of a log. The outer error is
    /// storage's; the inner one is `f`'s own verdict (a size out of range).
    pub async fn with_hashes<T>(
        &self,
        group: &str,
        f: impl Fn(&Planner) -> Result<T, TreeError>,
    ) -> Result<Result<T, TreeError>, StoreError> {
        let mut planner = Planner::default();
        for _ in 0..MAX_PASSES {
            match f(&planner) {
                Err(TreeError::Read(e)) if e.is::<NeedHashes>() => {
                    let mut wanted = planner.missing.take();
                    wanted.sort_unstable();
                    wanted.dedup();
                    let hashes = self.hashes(group, &wanted).await?;
                    planner.known.extend(wanted.into_iter().zip(hashes));
                }
                other => return Ok(other),
            }
        }
        Err(StoreError::Corrupt(
            "the tree code kept asking for more hashes".to_owned(),
        ))
    }
}
