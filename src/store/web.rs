//! The web application's storage: browser sessions and key requests.
//!
//! Contract (checked on both databases by `tests/store_contract.rs`):
//!
//! - Each function is one statement: atomic, and durable when it returns
//!   `Ok` (the module documentation of [`crate::store`]).
//! - A session is found only by the SHA-256 of its id; the id itself is
//!   never stored. A session names the token it was opened with, and the
//!   caller checks that token on every use: this module does not judge
//!   validity or expiry, it stores the times the caller judges by.
//! - A key request is never a registry fact: approving one here only
//!   records which log entry registered its key.

use sqlx::Row as _;

use super::{Store, StoreError};
use crate::tlog::Hash;

/// A stored session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSession {
    /// The hash of the token the person signed in with.
    pub token: Hash,
    /// The person signed in.
    pub person: String,
    /// When the session began, Unix seconds of real time (absolute
    /// expiry).
    pub created_at: i64,
    /// When the session was last used, Unix seconds of real time (idle
    /// expiry).
    pub last_seen: i64,
}

/// A key a person made in the browser and asked the secretariat of a group
/// to register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRequest {
    /// The request's id: 16 lowercase hex digits, random.
    pub id: String,
    /// The group whose registry the key is for.
    pub group: String,
    /// The person asking.
    pub person: String,
    /// The C2SP verifier key, as submitted (parsed before it is stored).
    pub verifier_key: String,
    /// When it was asked, RFC 3339 UTC.
    pub requested_at: String,
    /// When the secretariat approved it, if it did.
    pub approved_at: Option<String>,
    /// The index of the `key` entry that registered it, once approved.
    pub log_index: Option<u64>,
}

impl Store {
    /// Stores a new session under the hash of its id.
    pub async fn create_session(
        &self,
        id_hash: &Hash,
        session: &StoredSession,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO web_sessions (id_hash, token_hash, person_id, created_at, last_seen) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id_hash.as_bytes().to_vec())
        .bind(session.token.as_bytes().to_vec())
        .bind(&session.person)
        .bind(session.created_at)
        .bind(session.last_seen)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The session stored under `id_hash`, if any (expired ones included:
    /// the caller judges expiry).
    pub async fn session(&self, id_hash: &Hash) -> Result<Option<StoredSession>, StoreError> {
        let row = sqlx::query(
            "SELECT token_hash, person_id, created_at, last_seen FROM web_sessions \
             WHERE id_hash = $1",
        )
        .bind(id_hash.as_bytes().to_vec())
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| {
            let token: Vec<u8> = row.try_get("token_hash")?;
            Ok(StoredSession {
                token: Hash::from_slice(&token)
                    .map_err(|e| StoreError::Corrupt(format!("session token hash: {e}")))?,
                person: row.try_get("person_id")?,
                created_at: row.try_get("created_at")?,
                last_seen: row.try_get("last_seen")?,
            })
        })
        .transpose()
    }

    /// Records that the session was used at `now` (Unix seconds).
    pub async fn touch_session(&self, id_hash: &Hash, now: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE web_sessions SET last_seen = $1 WHERE id_hash = $2")
            .bind(now)
            .bind(id_hash.as_bytes().to_vec())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// How many web sessions are stored (signed in and not yet swept by
    /// [`Store::delete_expired_sessions`]).
    pub async fn session_count(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM web_sessions")
            .fetch_one(self.pool())
            .await?
            .try_get("n")?;
        u64::try_from(n).map_err(|_| StoreError::Corrupt("a negative count".to_owned()))
    }

    /// Deletes a session (sign-out, or found expired). Deleting one that
    /// is not there is not an error.
    pub async fn delete_session(&self, id_hash: &Hash) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM web_sessions WHERE id_hash = $1")
            .bind(id_hash.as_bytes().to_vec())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Deletes every session last used before `idle_before` or begun
    /// before `created_before` (Unix seconds). Returns how many.
    pub async fn delete_expired_sessions(
        &self,
        idle_before: i64,
        created_before: i64,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM web_sessions WHERE last_seen < $1 OR created_at < $2")
            .bind(idle_before)
            .bind(created_before)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }

    /// Stores a key request. `Ok(false)` if the same key was already
    /// asked for in this group (nothing is changed).
    pub async fn insert_key_request(&self, request: &KeyRequest) -> Result<bool, StoreError> {
        let inserted = sqlx::query(
            "INSERT INTO key_requests (id, group_id, person_id, verifier_key, requested_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (group_id, verifier_key) DO NOTHING",
        )
        .bind(&request.id)
        .bind(&request.group)
        .bind(&request.person)
        .bind(&request.verifier_key)
        .bind(&request.requested_at)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(inserted == 1)
    }

    /// The key requests of a group, oldest first; with `pending_only`,
    /// those not approved yet.
    pub async fn key_requests(
        &self,
        group: &str,
        pending_only: bool,
    ) -> Result<Vec<KeyRequest>, StoreError> {
        let sql = if pending_only {
            "SELECT * FROM key_requests WHERE group_id = $1 AND approved_at IS NULL \
             ORDER BY requested_at, id"
        } else {
            "SELECT * FROM key_requests WHERE group_id = $1 ORDER BY requested_at, id"
        };
        let rows = sqlx::query(sql).bind(group).fetch_all(self.pool()).await?;
        rows.iter().map(key_request).collect()
    }

    /// The key requests a person made, in every group, oldest first.
    pub async fn key_requests_of(&self, person: &str) -> Result<Vec<KeyRequest>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM key_requests WHERE person_id = $1 ORDER BY requested_at, id",
        )
        .bind(person)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(key_request).collect()
    }

    /// One key request of a group.
    pub async fn key_request(
        &self,
        group: &str,
        id: &str,
    ) -> Result<Option<KeyRequest>, StoreError> {
        let row = sqlx::query("SELECT * FROM key_requests WHERE group_id = $1 AND id = $2")
            .bind(group)
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(key_request).transpose()
    }

    /// Records that a request was approved and its key registered by the
    /// entry at `log_index`. `Ok(false)` if it was approved already
    /// (nothing is changed).
    pub async fn approve_key_request(
        &self,
        group: &str,
        id: &str,
        at: &str,
        log_index: u64,
    ) -> Result<bool, StoreError> {
        let index = i64::try_from(log_index)
            .map_err(|_| StoreError::Corrupt(format!("log index {log_index}")))?;
        let done = sqlx::query(
            "UPDATE key_requests SET approved_at = $1, log_index = $2 \
             WHERE group_id = $3 AND id = $4 AND approved_at IS NULL",
        )
        .bind(at)
        .bind(index)
        .bind(group)
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }
}

fn key_request(row: &sqlx::any::AnyRow) -> Result<KeyRequest, StoreError> {
    let index: Option<i64> = row.try_get("log_index")?;
    Ok(KeyRequest {
        id: row.try_get("id")?,
        group: row.try_get("group_id")?,
        person: row.try_get("person_id")?,
        verifier_key: row.try_get("verifier_key")?,
        requested_at: row.try_get("requested_at")?,
        approved_at: row.try_get("approved_at")?,
        log_index: index
            .map(|i| u64::try_from(i).map_err(|_| StoreError::Corrupt(format!("log index {i}"))))
            .transpose()?,
    })
}
