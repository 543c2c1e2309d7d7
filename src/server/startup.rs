//! The start-up check (SPEC sections 4 and 11): each log's tree is
//! recomputed from storage and compared with its last signed checkpoint and
//! with its high-water mark (the newest checkpoint this server published,
//! `high_water.rs`). A log that does not match is not served, and the
//! server says which, why and what to do; the others are.

use crate::contexts::SIMULATED_ORIGIN_PREFIX;
use crate::store::{LogHead, StoreError};
use crate::tlog::checkpoint::{Origin, open_checkpoint};
use crate::tlog::tree::{Appender, split_stored_hash_index, stored_hash_count};
use crate::tlog::{TreeSize, leaf_hash};

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::sequencer::AppendError;
use super::{AppState, Log, ServerError};

/// How many entries the check reads at a time.
const CHUNK: u64 = 4096;

/// How far a log's check is, as [`check_log`] reports it.
pub enum Stage {
    /// Recomputing the tree: the entries hashed so far.
    Tree(Arc<AtomicU64>),
    /// Folding the entries again, each vote's signature verified (the
    /// log's [`Log::folded`](super::sequencer::GroupLog::folded) says how
    /// far).
    Fold(Arc<Log>),
}

/// How a log's check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checked {
    /// The log is served.
    Served,
    /// The log is registered halted, with the reason (in the log too).
    Refused,
}

/// How long the fold waits before trying again after a storage error.
const FOLD_RETRY: std::time::Duration = std::time::Duration::from_secs(5);

/// Checks one stored log and starts its sequencer, halted if the check
/// failed. Only storage errors (the database is unreachable) are errors.
/// For a log found after start (`AppState::discover`): a storage error
/// during the fold is not waited out under the discovery lock; the log is
/// registered and its next read folds (and verifies) the rest first.
pub async fn open_log(state: &AppState, head: &LogHead) -> Result<(), ServerError> {
    check_log(state, head, &|_| (), false).await.map(|_| ())
}

/// [`open_log`], reporting how far the check is; with `retry`, a storage
/// error during the fold is tried again until the fold ends. The log is
/// registered in [`AppState::logs`] only then (a log that failed its
/// check is registered halted), so that nothing reaches a log being
/// checked.
pub async fn check_log(
    state: &AppState,
    head: &LogHead,
    report: &(dyn Fn(Stage) + Sync),
    retry: bool,
) -> Result<Checked, ServerError> {
    let origin = match Origin::new(head.origin.clone()) {
        Ok(origin) => origin,
        Err(e) => {
            tracing::error!(group = %head.group, "log refused: invalid origin: {e}");
            return Ok(Checked::Refused);
        }
    };
    let hashed = Arc::new(AtomicU64::new(0));
    report(Stage::Tree(Arc::clone(&hashed)));
    let verdict = match check(state, head, &origin, &hashed).await {
        Ok(()) => None,
        Err(Failure::Store(e)) => return Err(e.into()),
        Err(Failure::Refused(reason)) => Some(reason),
    };
    if let Some(reason) = &verdict {
        tracing::error!(group = %head.group, origin = %origin, "log refused at start-up: {reason}");
    }
    let log = state.new_log(&head.group, origin, verdict.clone());
    let mut outcome = if verdict.is_none() {
        Checked::Served
    } else {
        Checked::Refused
    };
    if verdict.is_none() {
        // Fold the registry and the ballots now (every vote's signature
        // verified), so that an entry that does not apply is reported at
        // start-up rather than at first use. With `retry` (the check at
        // start), a storage error is tried again, so that a log is never
        // called checked half-folded; without, it is registered and its
        // next read folds the rest, verified, before answering.
        report(Stage::Fold(Arc::clone(&log)));
        loop {
            match log.read(|_| ()).await {
                Ok(()) => break,
                Err(AppendError::Halted(reason)) => {
                    tracing::error!(group = %head.group, "log refused at start-up: {reason}");
                    outcome = Checked::Refused;
                    break;
                }
                Err(e) if !retry => {
                    tracing::error!(
                        group = %head.group,
                        "the log's fold could not read storage; its next read tries again: {e}"
                    );
                    break;
                }
                Err(e) => {
                    tracing::error!(
                        group = %head.group,
                        "the log's start-up fold could not read storage; trying again in {} s: {e}",
                        FOLD_RETRY.as_secs()
                    );
                    tokio::time::sleep(FOLD_RETRY).await;
                }
            }
        }
    }
    state.register_log(log).await;
    Ok(outcome)
}

enum Failure {
    Store(StoreError),
    Refused(String),
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        match e {
            // Corrupt rows are a verdict on this log, not on the database.
            StoreError::Corrupt(reason) => Self::Refused(reason),
            other => Self::Store(other),
        }
    }
}

async fn check(
    state: &AppState,
    head: &LogHead,
    origin: &Origin,
    hashed: &AtomicU64,
) -> Result<(), Failure> {
    let refuse = |reason: String| Err(Failure::Refused(reason));
    // A log keeps the origin it was created with, whatever the prefix of
    // new groups is now (an installation that ran with the former shared
    // default goes on serving its groups under it). The origin must still
    // name this group, and be a simulated one exactly when the clock is:
    // entries of a real clock never go into a simulated history's log, nor
    // the other way round.
    let Some(prefix) = origin
        .as_str()
        .strip_suffix(head.group.as_str())
        .and_then(|rest| rest.strip_suffix('/'))
    else {
        return refuse(format!(
            "its origin {origin} does not end with its group id"
        ));
    };
    let simulated = state.origin_prefix.starts_with(SIMULATED_ORIGIN_PREFIX);
    if prefix.starts_with(SIMULATED_ORIGIN_PREFIX) != simulated {
        return refuse(format!(
            "its origin {origin} is for a {} clock and this server runs on a {} one",
            if simulated { "real" } else { "simulated" },
            if simulated { "simulated" } else { "real" },
        ));
    }
    if prefix != state.origin_prefix {
        tracing::info!(
            group = %head.group,
            %origin,
            "the group keeps its origin, created under another origin prefix"
        );
    }
    // The head checkpoint must be signed by our key for this origin and
    // cover exactly the stored size.
    let checkpoint = match open_checkpoint(&head.checkpoint, &state.verifier_key(origin)) {
        Ok(checkpoint) => checkpoint.into_inner(),
        Err(e) => {
            return refuse(format!(
                "its checkpoint does not verify under the log key: {e}"
            ));
        }
    };
    if checkpoint.size().get() != head.size {
        return refuse(format!(
            "its checkpoint is for size {} but the head says {}",
            checkpoint.size(),
            head.size
        ));
    }
    // The newest checkpoint this server published: storage must reach it,
    // with the same root at its size (checked below, as the tree is
    // recomputed).
    let mark = match state.marks.read(&head.group, &state.verifier_key(origin)) {
        Ok(mark) => mark,
        Err(e) => {
            return refuse(format!(
                "{e}; if the log key was replaced, see \"Key rotation\" in docs/operations.md"
            ));
        }
    };
    let path = state.marks.path(&head.group);
    let mut root_at_mark = None;
    // Recompute every stored hash from the entries, in order, comparing as
    // we go, so that the first difference is named.
    let mut appender = Appender::new();
    let mut next_hash = 0u64;
    let mut index = 0u64;
    if mark.as_ref().is_some_and(|m| m.size == 0) {
        root_at_mark = Some(appender.root());
    }
    while index < head.size {
        let mut to = head.size.min(index + CHUNK);
        if let Some(mark) = &mark
            && index < mark.size
        {
            // Stop at the mark's size, to take the root there.
            to = to.min(mark.size);
        }
        let entries = state.store.entries(&head.group, index, to).await?;
        if entries.len() as u64 != to - index {
            return refuse(format!("entry {} is missing", index + entries.len() as u64));
        }
        let mut recomputed = Vec::new();
        for entry in &entries {
            recomputed.extend(
                appender
                    .append(leaf_hash(entry))
                    .map_err(|e| Failure::Refused(e.to_string()))?,
            );
        }
        let stored = state
            .store
            .hashes_range(&head.group, next_hash, next_hash + recomputed.len() as u64)
            .await?;
        for (offset, (ours, theirs)) in recomputed.iter().zip(&stored).enumerate() {
            if ours != theirs {
                // Hashes are recomputed in storage order (each leaf, then the
                // subtrees it completes), so the first difference is the
                // changed entry's leaf hash, or the changed stored hash.
                let at = next_hash + offset as u64;
                let covers = match split_stored_hash_index(at) {
                    Some((0, n)) => format!("entry {n}"),
                    Some((level, n)) => {
                        format!("one of entries {}..{}", n << level, (n + 1) << level)
                    }
                    None => "an entry".to_owned(),
                };
                return refuse(format!(
                    "stored hash {at} does not match the entries ({covers} or that hash was changed)"
                ));
            }
        }
        if stored.len() != recomputed.len() {
            return refuse(format!(
                "stored hash {} is missing",
                next_hash + stored.len() as u64
            ));
        }
        next_hash += recomputed.len() as u64;
        index = to;
        hashed.store(index, Ordering::Relaxed);
        if mark.as_ref().is_some_and(|m| m.size == index) {
            root_at_mark = Some(appender.root());
        }
    }
    if appender.root() != *checkpoint.root() {
        return refuse(format!(
            "the entries hash to {} but the checkpoint signs {} for size {}",
            appender.root(),
            checkpoint.root(),
            head.size
        ));
    }
    // Nothing may lie beyond what a signed checkpoint covers (a head rolled
    // back to an older checkpoint leaves such entries). Another server
    // process may be appending while this one checks: the counts are read
    // first and the head again afterwards, so that entries appended in
    // between are covered by the newer head, while entries beyond every
    // head are still caught. (Entries below the checked size never change,
    // and missing ones were caught above.)
    let (entries, hashes) = state.store.counts(&head.group).await?;
    let latest = state
        .store
        .head(&head.group)
        .await?
        .map_or(head.size, |h| h.size)
        .max(head.size);
    if entries > latest || hashes > stored_hash_count(TreeSize::new(latest)) {
        return refuse(format!(
            "storage holds {entries} entries and {hashes} hashes beyond what checkpoint {latest} covers",
        ));
    }
    // Last, the high-water mark: storage that passed every check above is
    // still refused if it is behind what this server published, or
    // differs from it (a restored backup, or one written to elsewhere).
    // (Against the latest head: another process sharing the data
    // directory may have marked what it appended meanwhile.)
    if let Some(mark) = &mark
        && mark.size > latest
    {
        return refuse(format!(
            "storage holds {} entries but this server published a checkpoint of {} entries \
             (high-water mark {}): the database was restored from an older copy or lost \
             entries, and appending to it would fork the log. Put back a copy of the database \
             that holds every published entry, or retire the log; never delete the mark \
             (docs/operations.md, \"Restoring without forking\")",
            latest,
            mark.size,
            path.display()
        ));
    }
    if let (Some(mark), Some(root)) = (&mark, root_at_mark)
        && root != mark.root
    {
        return refuse(format!(
            "the stored entries hash to {root} at size {} but this server published root {} \
             at that size (high-water mark {}): the stored log differs from the published one \
             (a fork, or a restore that was written to since). Put back a copy of the database \
             that holds the published log, or retire the log (docs/operations.md, \"Restoring \
             without forking\")",
            mark.size,
            mark.root,
            path.display()
        ));
    }
    Ok(())
}
