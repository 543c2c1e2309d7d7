//! Accounts (personal data kept out of the log), bearer tokens stored as
//! hashes, and secretariat grants.
//!
//! Each function is one statement or one transaction: atomic, and durable
//! when it returns `Ok`.

use sqlx::Row as _;

use super::{Store, StoreError};
use crate::tlog::Hash;

/// An account: a person's id with the personal data that stays out of the
/// log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The person's id (SPEC section 3 syntax), as the log names them.
    pub person: String,
    /// The person's name.
    pub name: String,
    /// The person's e-mail address.
    pub email: String,
}

/// A stored token, found by the hash of its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredToken {
    /// The SHA-256 of the token text, as stored.
    pub hash: Hash,
    /// The person the token authenticates.
    pub person: String,
    /// When the token was revoked, if it was.
    pub revoked_at: Option<String>,
}

impl Store {
    /// Creates an account. `Ok(false)` if the person id is taken (nothing
    /// is changed).
    pub async fn create_account(&self, account: &Account, now: &str) -> Result<bool, StoreError> {
        // One statement, so that two processes creating the same account at
        // once get `true` and `false`, not a unique violation or a SQLite
        // read lock that cannot be upgraded.
        let inserted = sqlx::query(
            "INSERT INTO accounts (person_id, name, email, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (person_id) DO NOTHING",
        )
        .bind(&account.person)
        .bind(&account.name)
        .bind(&account.email)
        .bind(now)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(inserted == 1)
    }

    /// The account of a person, if any.
    pub async fn account(&self, person: &str) -> Result<Option<Account>, StoreError> {
        let row = sqlx::query("SELECT person_id, name, email FROM accounts WHERE person_id = $1")
            .bind(person)
            .fetch_optional(self.pool())
            .await?;
        row.map(|row| {
            Ok(Account {
                person: row.try_get("person_id")?,
                name: row.try_get("name")?,
                email: row.try_get("email")?,
            })
        })
        .transpose()
    }

    /// Every account, by person id.
    pub async fn accounts(&self) -> Result<Vec<Account>, StoreError> {
        let rows = sqlx::query("SELECT person_id, name, email FROM accounts ORDER BY person_id")
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|row| {
                Ok(Account {
                    person: row.try_get("person_id")?,
                    name: row.try_get("name")?,
                    email: row.try_get("email")?,
                })
            })
            .collect()
    }

    /// Stores a new token's hash for a person.
    pub async fn insert_token(
        &self,
        hash: &Hash,
        person: &str,
        label: &str,
        now: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO tokens (token_hash, person_id, label, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(hash.as_bytes().to_vec())
        .bind(person)
        .bind(label)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The token stored under `hash`, if any (revoked ones included: the
    /// caller refuses them).
    pub async fn token(&self, hash: &Hash) -> Result<Option<StoredToken>, StoreError> {
        let row = sqlx::query(
            "SELECT token_hash, person_id, revoked_at FROM tokens WHERE token_hash = $1",
        )
        .bind(hash.as_bytes().to_vec())
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| {
            let bytes: Vec<u8> = row.try_get("token_hash")?;
            Ok(StoredToken {
                hash: Hash::from_slice(&bytes)
                    .map_err(|e| StoreError::Corrupt(format!("token hash: {e}")))?,
                person: row.try_get("person_id")?,
                revoked_at: row.try_get("revoked_at")?,
            })
        })
        .transpose()
    }

    /// Revokes every token of a person. Returns how many were revoked.
    pub async fn revoke_tokens(&self, person: &str, now: &str) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE tokens SET revoked_at = $1 WHERE person_id = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(person)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected())
    }

    /// Grants the secretariat role over `group` (`*` for every group).
    pub async fn grant_secretariat(&self, person: &str, group: &str) -> Result<(), StoreError> {
        // Idempotent in one statement (see `create_account`).
        sqlx::query(
            "INSERT INTO secretariat (person_id, group_id) VALUES ($1, $2) \
             ON CONFLICT (person_id, group_id) DO NOTHING",
        )
        .bind(person)
        .bind(group)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Whether `person` holds the secretariat role over `group` (directly
    /// or through `*`).
    pub async fn is_secretariat(&self, person: &str, group: &str) -> Result<bool, StoreError> {
        Ok(sqlx::query(
            "SELECT 1 AS one FROM secretariat WHERE person_id = $1 AND (group_id = $2 OR group_id = '*')",
        )
        .bind(person)
        .bind(group)
        .fetch_optional(self.pool())
        .await?
        .is_some())
    }

    /// The groups over which `person` holds the secretariat role (`*`:
    /// every group).
    pub async fn secretariat_groups(&self, person: &str) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query("SELECT group_id FROM secretariat WHERE person_id = $1")
            .bind(person)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|row| row.try_get("group_id").map_err(StoreError::from))
            .collect()
    }

    /// Whether any account exists (first start creates the bootstrap one).
    pub async fn has_accounts(&self) -> Result<bool, StoreError> {
        Ok(sqlx::query("SELECT 1 AS one FROM accounts LIMIT 1")
            .fetch_optional(self.pool())
            .await?
            .is_some())
    }
}
