//! [`AccessCache`]: the accounts tables' answers about tokens and
//! secretariat grants, reused while nothing changed access.
//!
//! Every request names its token and most need the caller's grants; asking
//! the database each time cost two to three round trips per request, which
//! is most of a vote's cost besides its batch (docs/performance.md). Here a
//! valid token's person and a person's granted groups are kept until the
//! database's access counter ([`Store::access_epoch`], moved by every
//! revocation and grant in the same transaction) changes, and at most
//! [`ENTRY_TTL`]. The counter is read at most once per [`ACCESS_TTL`] of
//! real time, whatever the number of tokens in use.
//!
//! What this process changes takes effect at once: revoking a person's
//! tokens and granting a role drop that person's entries. What another
//! process on the same database changes takes effect here within
//! [`ACCESS_TTL`] (docs/threat-model.md), when the counter is next read
//! and everything is dropped. Only valid tokens are kept, so random tokens
//! cannot fill the cache, and unknown or revoked ones are asked of the
//! database every time; the map is emptied if it ever holds
//! [`MAX_ENTRIES`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use subtle::ConstantTimeEq;

use crate::store::{Store, StoreError};
use crate::tlog::Hash;

/// How long the access counter read from the database is trusted: the
/// longest another process's revocation or grant takes to take effect
/// here.
pub const ACCESS_TTL: Duration = Duration::from_secs(1);

/// The longest an answer of the accounts tables is reused even when the
/// counter has not moved (a change made to the database by hand does not
/// move it).
pub const ENTRY_TTL: Duration = Duration::from_secs(60);

/// The most tokens (and, separately, persons) kept.
const MAX_ENTRIES: usize = 1 << 16;

/// Recent answers about tokens and grants (module documentation).
#[derive(Default)]
pub struct AccessCache {
    /// Valid tokens by hash: the hash again (compared in constant time),
    /// the person and the token's expiry if it has one (Unix seconds of
    /// real time), with when they were read.
    tokens: Mutex<HashMap<Hash, CachedToken>>,
    /// Each person's secretariat grants (group ids, `*` for all), with
    /// when they were read.
    grants: Mutex<HashMap<String, (Vec<String>, Instant)>>,
    /// Counts [`AccessCache::forget`] calls: an answer read from the
    /// database while one ran is used but not kept, so that a revocation
    /// racing a request is not undone by it.
    forgotten: AtomicU64,
    /// The access counter as last read, and when; `None` before the first
    /// read.
    checked: Mutex<Option<(u64, Instant)>>,
    /// Held by the one request that reads the counter again, so that the
    /// others wait for its answer instead of all asking.
    checking: tokio::sync::Mutex<()>,
}

/// A valid token as cached: its hash, its person, its expiry, when read.
type CachedToken = (Hash, String, Option<i64>, Instant);

/// Real time in Unix seconds (token expiry is on the wall clock, like
/// sessions, never on a simulated clock).
fn real_seconds() -> i64 {
    crate::server::clock::Clock::System.now().unix_seconds()
}

impl AccessCache {
    /// The person of the valid token whose hash is `hash`, or `None` for
    /// an unknown, revoked or expired token.
    pub async fn person(&self, store: &Store, hash: &Hash) -> Result<Option<String>, StoreError> {
        self.check_epoch(store).await?;
        let cached = lock(&self.tokens)
            .get(hash)
            .filter(|(_, _, _, at)| at.elapsed() < ENTRY_TTL)
            .cloned();
        if let Some((stored, person, expires, _)) = cached
            && bool::from(stored.as_bytes().ct_eq(hash.as_bytes()))
        {
            if expires.is_some_and(|e| real_seconds() >= e) {
                return Ok(None);
            }
            return Ok(Some(person));
        }
        let epoch = self.forgotten.load(Ordering::Acquire);
        let Some(stored) = store.token(hash).await? else {
            return Ok(None);
        };
        // The lookup was by hash; the comparison of what was found is in
        // constant time all the same, so that no code path compares
        // secrets byte by byte.
        let equal: bool = stored.hash.as_bytes().ct_eq(hash.as_bytes()).into();
        let expired = stored.expires_at.is_some_and(|e| real_seconds() >= e);
        if !equal || stored.revoked_at.is_some() || expired {
            return Ok(None);
        }
        let mut tokens = lock(&self.tokens);
        if self.forgotten.load(Ordering::Acquire) == epoch {
            if tokens.len() >= MAX_ENTRIES {
                tokens.clear();
            }
            tokens.insert(
                *hash,
                (
                    stored.hash,
                    stored.person.clone(),
                    stored.expires_at,
                    Instant::now(),
                ),
            );
        }
        Ok(Some(stored.person))
    }

    /// Whether `person` holds the secretariat role over `group` (`*`: the
    /// server-wide role, which covers every group).
    pub async fn is_secretariat(
        &self,
        store: &Store,
        person: &str,
        group: &str,
    ) -> Result<bool, StoreError> {
        self.check_epoch(store).await?;
        let covers = |groups: &[String]| groups.iter().any(|g| g == group || g == "*");
        if let Some((groups, at)) = lock(&self.grants).get(person)
            && at.elapsed() < ENTRY_TTL
        {
            return Ok(covers(groups));
        }
        let epoch = self.forgotten.load(Ordering::Acquire);
        let groups = store.secretariat_groups(person).await?;
        let answer = covers(&groups);
        let mut grants = lock(&self.grants);
        if self.forgotten.load(Ordering::Acquire) == epoch {
            if grants.len() >= MAX_ENTRIES {
                grants.clear();
            }
            grants.insert(person.to_owned(), (groups, Instant::now()));
        }
        Ok(answer)
    }

    /// Forgets everything about `person` (tokens revoked, a role granted
    /// by this process).
    pub fn forget(&self, person: &str) {
        let mut tokens = lock(&self.tokens);
        let mut grants = lock(&self.grants);
        self.forgotten.fetch_add(1, Ordering::AcqRel);
        tokens.retain(|_, (_, p, _, _)| p != person);
        grants.remove(person);
    }

    /// Reads the access counter again if it was read more than
    /// [`ACCESS_TTL`] ago, and forgets everything if it moved (a process,
    /// this one or another, revoked or granted something since).
    async fn check_epoch(&self, store: &Store) -> Result<(), StoreError> {
        let fresh = |checked: &Option<(u64, Instant)>| {
            checked.is_some_and(|(_, at)| at.elapsed() < ACCESS_TTL)
        };
        if fresh(&lock(&self.checked)) {
            return Ok(());
        }
        let _checking = self.checking.lock().await;
        if fresh(&lock(&self.checked)) {
            // Another request read it while this one waited.
            return Ok(());
        }
        let epoch = store.access_epoch().await?;
        let mut checked = lock(&self.checked);
        if checked.is_some_and(|(seen, _)| seen != epoch) {
            let mut tokens = lock(&self.tokens);
            let mut grants = lock(&self.grants);
            // Answers being read now may predate the change: not kept.
            self.forgotten.fetch_add(1, Ordering::AcqRel);
            tokens.clear();
            grants.clear();
        }
        *checked = Some((epoch, Instant::now()));
        Ok(())
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
