//! What every handler shares: storage, the clock, the key, the logs.

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::sync::RwLock;

use super::{Log, ServerError, access, rate_limit, startup};

use super::clock::Clock;
use super::error::ApiError;
use super::sequencer::{BatchPolicy, GroupLog};
use crate::note::key::{SigningKey, VerifierKey};
use crate::store::Store;
use crate::tlog::checkpoint::Origin;

/// What every handler shares.
pub struct AppState {
    /// The database.
    pub store: Store,
    /// The one clock.
    pub clock: Arc<Clock>,
    /// The server's log key; each log uses it under its own origin.
    pub key: SigningKey,
    /// The prefix of new groups' origins (`simulated.invalid/…` on a
    /// simulated clock); a group keeps the origin stored with its log.
    pub origin_prefix: String,
    /// The logs by group id.
    pub logs: RwLock<BTreeMap<String, Arc<Log>>>,
    /// The sequencers' batching.
    pub policy: BatchPolicy,
    /// Wakes the scheduler at once (the simulated clock moved), rather
    /// than at its next one-second tick.
    pub tick: tokio::sync::Notify,
    /// Serialises [`AppState::discover`], so that a log is opened (and its
    /// sequencer started) once per process.
    pub discovery: tokio::sync::Mutex<()>,
    /// Recent answers about tokens and secretariat grants.
    pub access: access::AccessCache,
    /// One audit bundle built at a time: a bundle is held whole in memory
    /// (about 450 MB for a ballot of a million votes), so a second request
    /// meanwhile is answered 503 and tries again, rather than doubling it.
    pub bundles: Arc<tokio::sync::Semaphore>,
    /// The write budgets per person and per client address.
    pub limits: rate_limit::WriteLimits,
    /// The web application's settings and sign-in budget.
    pub web: super::web::WebState,
    /// The newest checkpoint published per log, kept apart from the
    /// database (`high_water.rs`).
    pub marks: Arc<super::high_water::HighWater>,
    /// The witnesses asked to cosign (`--witness-policy`), if any.
    pub witnessing: Option<Arc<super::witnessing::Witnessing>>,
    /// The logs found at start whose check has not ended: not served
    /// (`checks.rs`).
    pub checks: super::checks::Checks,
}

impl AppState {
    /// The origin of a new group's log.
    pub fn origin_of(&self, group: &str) -> Result<Origin, ApiError> {
        Origin::new(format!("{}/{group}", self.origin_prefix))
            .map_err(|e| ApiError::bad_request("invalid-group", e.to_string()))
    }

    /// The log of a group, or 404, or 503 `log-being-checked` while its
    /// start-up check runs. A log this process has not seen yet (created
    /// by another server process on the same database) is opened first,
    /// with the same start-up check as at start.
    pub async fn log(&self, group: &str) -> Result<Arc<Log>, ApiError> {
        if let Some(log) = self.logs.read().await.get(group) {
            return Ok(Arc::clone(log));
        }
        // A checked log is registered before it leaves the pending set, so
        // one not pending now is registered, if it was ever pending.
        if self.checks.is_pending(group) {
            return Err(ApiError::Checking(group.to_owned()));
        }
        // A group this process does not serve yet: created through another
        // process on the same PostgreSQL database, or no group at all. One
        // lookup by primary key tells which, so that requests naming
        // groups that do not exist cost one indexed read each, never a
        // scan of every log under the discovery lock.
        let unavailable = |e: &dyn std::fmt::Display| {
            ApiError::Unavailable(format!("cannot open the group's log: {e}"))
        };
        let Some(head) = self.store.head(group).await.map_err(|e| unavailable(&e))? else {
            return Err(ApiError::NotFound(format!("no group {group:?}")));
        };
        let _one_at_a_time = self.discovery.lock().await;
        if let Some(log) = self.logs.read().await.get(group) {
            return Ok(Arc::clone(log));
        }
        startup::open_log(self, &head)
            .await
            .map_err(|e| unavailable(&e))?;
        self.logs
            .read()
            .await
            .get(group)
            .cloned()
            .ok_or_else(|| ApiError::NotFound(format!("no group {group:?}")))
    }

    /// Opens every log in storage that this process does not serve yet:
    /// several server processes share one PostgreSQL database, and a group
    /// created through one of them must be served by all. A log being
    /// checked since start is left to its check (and so not opened twice).
    pub async fn discover(&self) -> Result<(), ServerError> {
        let _one_at_a_time = self.discovery.lock().await;
        let heads = self.store.heads().await?;
        for head in heads {
            // Pending first: a log leaves the pending set only once it is
            // registered.
            if self.checks.is_pending(&head.group) {
                continue;
            }
            if !self.logs.read().await.contains_key(&head.group) {
                startup::open_log(self, &head).await?;
            }
        }
        Ok(())
    }

    /// The key that signs a log's checkpoints: the server key under the
    /// log's origin.
    pub fn log_key(&self, origin: &Origin) -> SigningKey {
        self.key.renamed(origin.key_name().clone())
    }

    /// The verifier key of a log.
    pub fn verifier_key(&self, origin: &Origin) -> VerifierKey {
        self.log_key(origin).verifier_key()
    }

    /// Starts the sequencer of a log, without serving it yet: see
    /// [`AppState::register_log`].
    pub fn new_log(&self, group: &str, origin: Origin, halted: Option<String>) -> Arc<Log> {
        GroupLog::start(
            group.to_owned(),
            origin.clone(),
            self.log_key(&origin),
            self.store.clone(),
            Arc::clone(&self.clock),
            self.policy,
            halted,
            Some(Arc::clone(&self.marks)),
        )
    }

    /// Serves a log whose check has ended (halted if it failed).
    pub async fn register_log(&self, log: Arc<Log>) {
        self.logs.write().await.insert(log.group.clone(), log);
    }
}
