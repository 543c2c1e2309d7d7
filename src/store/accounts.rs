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

impl Account {
    /// An account from a row with `person_id`, `name` and `email`.
    pub(super) fn from_row(row: &sqlx::any::AnyRow) -> Result<Self, StoreError> {
        Ok(Self {
            person: row.try_get("person_id")?,
            name: row.try_get("name")?,
            email: row.try_get("email")?,
        })
    }
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
    /// When the token stops working (Unix seconds of real time), if it
    /// does: the hidden token a sign-in link issues; `None` for tokens
    /// the secretariat issues, which last until revoked.
    pub expires_at: Option<i64>,
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
        row.map(|row| Account::from_row(&row)).transpose()
    }

    /// Every account, by person id.
    pub async fn accounts(&self) -> Result<Vec<Account>, StoreError> {
        let rows = sqlx::query("SELECT person_id, name, email FROM accounts ORDER BY person_id")
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(Account::from_row).collect()
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

    /// Stores a token that stops working at `expires_at` (Unix seconds of
    /// real time): the hidden token of a sign-in link's session.
    pub async fn insert_expiring_token(
        &self,
        hash: &Hash,
        person: &str,
        label: &str,
        now: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO tokens (token_hash, person_id, label, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(hash.as_bytes().to_vec())
        .bind(person)
        .bind(label)
        .bind(now)
        .bind(expires_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The token stored under `hash`, if any (revoked ones included: the
    /// caller refuses them).
    pub async fn token(&self, hash: &Hash) -> Result<Option<StoredToken>, StoreError> {
        let row = sqlx::query(
            "SELECT token_hash, person_id, revoked_at, expires_at FROM tokens WHERE token_hash = $1",
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
                expires_at: row.try_get("expires_at")?,
            })
        })
        .transpose()
    }

    /// Revokes every token of a person. Returns how many were revoked.
    /// The access counter ([`Store::access_epoch`]) moves in the same
    /// transaction.
    pub async fn revoke_tokens(&self, person: &str, now: &str) -> Result<u64, StoreError> {
        let mut tx = self.pool().begin().await?;
        let done = sqlx::query(
            "UPDATE tokens SET revoked_at = $1 WHERE person_id = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(person)
        .execute(&mut *tx)
        .await?;
        bump_access_epoch(&mut tx).await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    /// Grants the secretariat role over `group` (`*` for every group). The
    /// access counter ([`Store::access_epoch`]) moves in the same
    /// transaction.
    pub async fn grant_secretariat(&self, person: &str, group: &str) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        // Idempotent in one statement (see `create_account`).
        sqlx::query(
            "INSERT INTO secretariat (person_id, group_id) VALUES ($1, $2) \
             ON CONFLICT (person_id, group_id) DO NOTHING",
        )
        .bind(person)
        .bind(group)
        .execute(&mut *tx)
        .await?;
        bump_access_epoch(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The access counter: it moves with every change to who may do what
    /// (a revocation, a grant), so that a server caching the answers of
    /// the tokens and secretariat tables learns that they may be out of
    /// date by reading this one value.
    pub async fn access_epoch(&self) -> Result<u64, StoreError> {
        let row = sqlx::query("SELECT epoch FROM access_epoch WHERE id = 1")
            .fetch_one(self.pool())
            .await?;
        let epoch: i64 = row.try_get("epoch")?;
        u64::try_from(epoch)
            .map_err(|_| StoreError::Corrupt(format!("the access counter is {epoch}")))
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

/// Moves the access counter inside a transaction that changes access.
async fn bump_access_epoch(tx: &mut sqlx::Transaction<'_, sqlx::Any>) -> Result<(), StoreError> {
    sqlx::query("UPDATE access_epoch SET epoch = epoch + 1 WHERE id = 1")
        .execute(&mut **tx)
        .await?;
    Ok(())
}
