//! The start-up check of every log, run while the server already answers
//! (SPEC section 11; issue 19).
//!
//! Checking a log means recomputing its tree from the stored entries and
//! comparing it with its signed head and its high-water mark
//! (`startup.rs`), then folding every entry again with each vote's
//! signature verified (`sequencer/storage.rs`): about 70 s for a million
//! votes. `serve` listens at once; the logs found in storage at start are
//! *pending* until their check ends, and a pending log is never served:
//! every request naming its group answers 503 `log-being-checked` with
//! `Retry-After` ([`gate`], and [`AppState::log`] for every other path to
//! a log), `/readyz` answers 503 with each pending log's progress, and the
//! tasks that act on logs (scheduler, witnesses, e-mail) start once every
//! check has ended. A checked log is registered in [`AppState::logs`]
//! before it leaves the pending set, so that whoever finds it no longer
//! pending finds it registered ([`AppState::discover`] never opens it a
//! second time).
//!
//! A log that fails its check is refused as before: registered halted,
//! every request about it answers 503 with the reason, the others are
//! served. A storage error during a check (the database does not answer)
//! keeps the log pending and the check is tried again.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration as StdDuration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::startup::{self, Checked, Stage};
use super::web::WebError;
use super::{AppState, Log};
use crate::store::LogHead;

/// How many logs are checked at once: each fold already verifies its
/// signatures on every core, so a second one only overlaps one log's
/// reads from storage with another's verification.
const AT_ONCE: usize = 2;

/// How long a check waits before trying again after a storage error.
const RETRY: StdDuration = StdDuration::from_secs(5);

/// The seconds a client is told to wait (`Retry-After`) before asking
/// again about a log being checked.
pub const RETRY_AFTER_SECS: u64 = 5;

/// The logs found in storage at start and how far each one's check is.
pub struct Checks {
    pending: std::sync::Mutex<BTreeMap<String, Pending>>,
    /// Logs found at start.
    total: usize,
    refused: AtomicUsize,
    ready: tokio::sync::watch::Sender<bool>,
    /// The logs' heads as read at start, until [`run`] takes them.
    heads: std::sync::Mutex<Vec<LogHead>>,
    /// TEST ONLY (`--test-hold-check GROUP=FILE`).
    hold: Option<(String, PathBuf)>,
}

/// A log not checked yet.
struct Pending {
    /// Its stored size at start.
    entries: u64,
    stage: Progress,
}

/// How far a pending log's check is.
enum Progress {
    /// Not started (waiting for its turn).
    Waiting,
    /// Recomputing the tree: entries hashed so far.
    Tree(Arc<AtomicU64>),
    /// Folding the entries, each vote's signature verified.
    Fold(Arc<Log>),
    /// Storage failed; tried again shortly.
    Retrying(String),
}

impl Checks {
    /// Every log of `heads` pending. `hold` is the hidden test flag's
    /// value, `GROUP=FILE`.
    pub fn new(heads: &[LogHead], hold: Option<&str>) -> Result<Self, String> {
        let hold = match hold {
            Some(text) => {
                let (group, file) = text
                    .split_once('=')
                    .ok_or("--test-hold-check takes GROUP=FILE")?;
                Some((group.to_owned(), PathBuf::from(file)))
            }
            None => None,
        };
        let pending = heads
            .iter()
            .map(|head| {
                (
                    head.group.clone(),
                    Pending {
                        entries: head.size,
                        stage: Progress::Waiting,
                    },
                )
            })
            .collect();
        let (ready, _) = tokio::sync::watch::channel(heads.is_empty());
        Ok(Self {
            pending: std::sync::Mutex::new(pending),
            total: heads.len(),
            refused: AtomicUsize::new(0),
            ready,
            heads: std::sync::Mutex::new(heads.to_vec()),
            hold,
        })
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Pending>> {
        self.pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether `group`'s log is still being checked (and so not served).
    pub fn is_pending(&self, group: &str) -> bool {
        self.pending().contains_key(group)
    }

    /// The groups whose logs are being checked.
    pub fn pending_groups(&self) -> Vec<String> {
        self.pending().keys().cloned().collect()
    }

    /// Whether every log found at start has been checked.
    pub fn is_ready(&self) -> bool {
        *self.ready.borrow()
    }

    /// Waits until every log found at start has been checked.
    pub async fn wait_ready(&self) {
        let mut ready = self.ready.subscribe();
        let _ = ready.wait_for(|ready| *ready).await;
    }

    /// `/readyz`'s lines while not ready: one per pending log.
    pub fn report(&self) -> Vec<String> {
        let pending = self.pending();
        let mut lines = vec![format!(
            "not ready: {} of {} logs checked",
            self.total - pending.len(),
            self.total
        )];
        for (group, log) in pending.iter() {
            let entries = log.entries;
            lines.push(match &log.stage {
                Progress::Waiting => {
                    format!("log {group}: waiting to be checked, 0 of {entries} entries")
                }
                Progress::Tree(done) => format!(
                    "log {group}: checking its tree, {} of {entries} entries",
                    done.load(Ordering::Relaxed).min(entries)
                ),
                Progress::Fold(log) => format!(
                    "log {group}: checking its entries and signatures, {} of {entries} entries",
                    log.folded().min(entries)
                ),
                Progress::Retrying(error) => {
                    format!("log {group}: storage failed during its check, trying again: {error}")
                }
            });
        }
        lines
    }

    fn set(&self, group: &str, stage: Progress) {
        if let Some(pending) = self.pending().get_mut(group) {
            pending.stage = stage;
        }
    }

    /// Holds the check of the test flag's group until its file exists.
    async fn held(&self, group: &str) {
        let Some((held, file)) = &self.hold else {
            return;
        };
        if held != group {
            return;
        }
        tracing::warn!(
            group,
            file = %file.display(),
            "TEST ONLY: holding the log's start-up check until the file exists"
        );
        while !file.exists() {
            tokio::time::sleep(StdDuration::from_millis(20)).await;
        }
    }
}

/// Checks every pending log (a few at a time), then prints the line
/// `ready: …` on stdout and marks the server ready.
pub async fn run(state: Arc<AppState>) {
    let heads = std::mem::take(
        &mut *state
            .checks
            .heads
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    let turns = Arc::new(tokio::sync::Semaphore::new(AT_ONCE));
    let mut tasks = tokio::task::JoinSet::new();
    for head in heads {
        let state = Arc::clone(&state);
        let turns = Arc::clone(&turns);
        tasks.spawn(async move {
            state.checks.held(&head.group).await;
            let Ok(_turn) = turns.acquire().await else {
                return;
            };
            check_one(&state, &head).await;
        });
    }
    while tasks.join_next().await.is_some() {}
    let checks = &state.checks;
    let refused = checks.refused.load(Ordering::Relaxed);
    let line = format!(
        "ready: every log checked ({} served, {refused} refused)",
        checks.total - refused
    );
    println!("{line}");
    let _ = std::io::Write::flush(&mut std::io::stdout());
    tracing::info!("{line}");
    checks.ready.send_replace(true);
}

/// Checks one log until its check ends (storage errors are retried), then
/// registers it and takes it out of the pending set, in that order.
async fn check_one(state: &AppState, head: &LogHead) {
    let checks = &state.checks;
    let report = |stage: Stage| {
        checks.set(
            &head.group,
            match stage {
                Stage::Tree(done) => Progress::Tree(done),
                Stage::Fold(log) => Progress::Fold(log),
            },
        );
    };
    loop {
        match startup::check_log(state, head, &report, true).await {
            Ok(outcome) => {
                if matches!(outcome, Checked::Refused) {
                    checks.refused.fetch_add(1, Ordering::Relaxed);
                }
                checks.pending().remove(&head.group);
                return;
            }
            Err(e) => {
                tracing::error!(
                    group = %head.group,
                    "the log's start-up check could not read storage; trying again in {} s: {e}",
                    RETRY.as_secs()
                );
                checks.set(&head.group, Progress::Retrying(e.to_string()));
                tokio::time::sleep(RETRY).await;
            }
        }
    }
}

/// Answers 503 `log-being-checked` for every request that names a group
/// whose log is being checked: the API under `/v1/groups/{group}`, the
/// web application's group pages and `/log-keys/{group}`. (Every other
/// path to a log goes through [`AppState::log`], which says the same.)
pub async fn gate(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    if !state.checks.is_ready() {
        let path = request.uri().path();
        let named = |prefix: &str| {
            path.strip_prefix(prefix)
                .map(|rest| rest.split('/').next().unwrap_or(rest))
        };
        if let Some(group) = named("/v1/groups/")
            && state.checks.is_pending(group)
        {
            return ApiError::Checking(group.to_owned()).into_response();
        }
        if let Some(group) = named("/groups/").or_else(|| named("/log-keys/"))
            && state.checks.is_pending(group)
        {
            return WebError::Checking(group.to_owned()).into_response();
        }
    }
    next.run(request).await
}
