//! Witness cosignatures the server received, all of them (SPEC section 10).

use sqlx::Row as _;

use super::{Store, StoreError};

/// One cosignature on one of a log's checkpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCosignature {
    /// The witness's vkey.
    pub witness: String,
    /// The cosignature's timestamp (POSIX seconds).
    pub cosigned_at: u64,
    /// The signature line, with its newline.
    pub line: String,
}

impl Store {
    /// Keeps a cosignature (a repeat of the same one is ignored).
    pub async fn add_cosignature(
        &self,
        group: &str,
        size: u64,
        cosignature: &StoredCosignature,
        received_at: &str,
    ) -> Result<(), StoreError> {
        let size = i64::try_from(size).unwrap_or(i64::MAX);
        let at = i64::try_from(cosignature.cosigned_at).unwrap_or(i64::MAX);
        sqlx::query(
            "INSERT INTO cosigned_checkpoints \
             (group_id, size, witness, cosigned_at, line, received_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )
        .bind(group)
        .bind(size)
        .bind(&cosignature.witness)
        .bind(at)
        .bind(&cosignature.line)
        .bind(received_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The latest cosignature of each witness on the checkpoint of `size`.
    pub async fn cosignatures_at(
        &self,
        group: &str,
        size: u64,
    ) -> Result<Vec<StoredCosignature>, StoreError> {
        let size = i64::try_from(size).unwrap_or(i64::MAX);
        let rows = sqlx::query(
            "SELECT witness, cosigned_at, line FROM cosigned_checkpoints \
             WHERE group_id = $1 AND size = $2 ORDER BY witness, cosigned_at DESC",
        )
        .bind(group)
        .bind(size)
        .fetch_all(self.pool())
        .await?;
        let mut latest: Vec<StoredCosignature> = Vec::new();
        for row in rows {
            let witness: String = row.try_get("witness")?;
            if latest.last().is_some_and(|c| c.witness == witness) {
                continue;
            }
            let at: i64 = row.try_get("cosigned_at")?;
            latest.push(StoredCosignature {
                witness,
                cosigned_at: u64::try_from(at).unwrap_or(0),
                line: row.try_get("line")?,
            });
        }
        Ok(latest)
    }

    /// Every cosignature kept on the log's checkpoints of sizes `from` to
    /// `to` (both included): per checkpoint size (ascending), the earliest
    /// cosignature of each witness (the strongest evidence of when that
    /// tree existed).
    pub async fn cosignatures_between(
        &self,
        group: &str,
        from: u64,
        to: u64,
    ) -> Result<Vec<(u64, Vec<StoredCosignature>)>, StoreError> {
        let from = i64::try_from(from).unwrap_or(i64::MAX);
        let to = i64::try_from(to).unwrap_or(i64::MAX);
        let rows = sqlx::query(
            "SELECT size, witness, cosigned_at, line FROM cosigned_checkpoints \
             WHERE group_id = $1 AND size >= $2 AND size <= $3 \
             ORDER BY size, witness, cosigned_at",
        )
        .bind(group)
        .bind(from)
        .bind(to)
        .fetch_all(self.pool())
        .await?;
        let mut out: Vec<(u64, Vec<StoredCosignature>)> = Vec::new();
        for row in rows {
            let size: i64 = row.try_get("size")?;
            let size = u64::try_from(size).unwrap_or(0);
            let witness: String = row.try_get("witness")?;
            if out.last().is_none_or(|(s, _)| *s != size) {
                out.push((size, Vec::new()));
            }
            let (_, at_size) = out.last_mut().expect("invariant: pushed above");
            if at_size.last().is_some_and(|c| c.witness == witness) {
                continue;
            }
            let at: i64 = row.try_get("cosigned_at")?;
            at_size.push(StoredCosignature {
                witness,
                cosigned_at: u64::try_from(at).unwrap_or(0),
                line: row.try_get("line")?,
            });
        }
        Ok(out)
    }
}
