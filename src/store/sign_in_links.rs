//! One-time sign-in links (SPEC sections 8 and 9): the rows behind the
//! links the server sends by e-mail.
//!
//! Contract (checked on both databases by `tests/store_contract.rs`):
//!
//! - A link is found by its id, which is not a secret; its secret is
//!   stored only as a SHA-256, and the caller compares it in constant
//!   time. This module never sees the secret.
//! - **Single use:** [`Store::use_sign_in_link`] is one statement that
//!   marks the link used only if it is unused and not expired at `now`,
//!   and says whether it did: of two concurrent uses (in one process or
//!   several sharing a PostgreSQL database), exactly one succeeds.
//! - Times are Unix seconds of real time, judged by the caller.

use sqlx::Row as _;

use super::accounts::Account;
use super::{Store, StoreError};
use crate::tlog::Hash;

/// A stored sign-in link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredLink {
    /// The link's id: 32 lowercase hex digits, random, not a secret.
    pub id: String,
    /// SHA-256 of the link's secret.
    pub secret_hash: Hash,
    /// The person it signs in.
    pub person: String,
    /// When it was made, Unix seconds of real time.
    pub created_at: i64,
    /// The first instant it no longer signs in.
    pub expires_at: i64,
    /// When it was used, if it was.
    pub used_at: Option<i64>,
}

impl Store {
    /// Stores a new link.
    pub async fn create_sign_in_link(&self, link: &StoredLink) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sign_in_links (id, secret_hash, person_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&link.id)
        .bind(link.secret_hash.as_bytes().to_vec())
        .bind(&link.person)
        .bind(link.created_at)
        .bind(link.expires_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The link `id`, if any (used and expired ones included).
    pub async fn sign_in_link(&self, id: &str) -> Result<Option<StoredLink>, StoreError> {
        let row = sqlx::query(
            "SELECT id, secret_hash, person_id, created_at, expires_at, used_at \
             FROM sign_in_links WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| {
            let bytes: Vec<u8> = row.try_get("secret_hash")?;
            Ok(StoredLink {
                id: row.try_get("id")?,
                secret_hash: Hash::from_slice(&bytes)
                    .map_err(|e| StoreError::Corrupt(format!("sign-in link hash: {e}")))?,
                person: row.try_get("person_id")?,
                created_at: row.try_get("created_at")?,
                expires_at: row.try_get("expires_at")?,
                used_at: row.try_get("used_at")?,
            })
        })
        .transpose()
    }

    /// Marks the link `id` used at `now` if it is unused and `now` is
    /// before its expiry; whether it did (exactly one caller of many
    /// does).
    pub async fn use_sign_in_link(&self, id: &str, now: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE sign_in_links SET used_at = $1 \
             WHERE id = $2 AND used_at IS NULL AND expires_at > $1",
        )
        .bind(now)
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// How many links of `person` made at or after `since` exist (for the
    /// cap on links asked for one person).
    pub async fn sign_in_links_since(&self, person: &str, since: i64) -> Result<u64, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM sign_in_links WHERE person_id = $1 AND created_at >= $2",
        )
        .bind(person)
        .bind(since)
        .fetch_one(self.pool())
        .await?;
        let n: i64 = row.try_get("n")?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Deletes the links that expired before `before`.
    pub async fn delete_expired_sign_in_links(&self, before: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM sign_in_links WHERE expires_at < $1")
            .bind(before)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }

    /// The accounts whose e-mail address is `email`, compared without
    /// regard to ASCII case, by person id.
    pub async fn accounts_by_email(&self, email: &str) -> Result<Vec<Account>, StoreError> {
        let rows = sqlx::query(
            "SELECT person_id, name, email FROM accounts WHERE lower(email) = lower($1) \
             ORDER BY person_id",
        )
        .bind(email.trim())
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(Account::from_row).collect()
    }
}
