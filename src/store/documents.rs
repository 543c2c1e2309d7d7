//! The documents stored beside a log, content-addressed by SHA-256 (SPEC
//! section 4): signed vote notes and their attachments, revealed at the
//! ballot's close, and rolls too large for an entry.
//!
//! Documents are written only by the append transaction
//! ([`super::append::AppendTx::write_documents`]), together with the
//! entries that name them: a document is durable exactly when the entry
//! that commits to it is. Reading one needs no trust in storage: whoever
//! uses it (the fold, the verifier, a voter) checks it against the hash
//! its entry names.

use sqlx::Row as _;

use super::{Store, StoreError};
use crate::tlog::Hash;

/// What a stored document is; the `kind` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentKind {
    /// A signed vote note (revealed at the close).
    Note,
    /// A vote's attachment (revealed at the close).
    Attachment,
    /// A roll document too large for its entry.
    Roll,
    /// A chair's signed announcement note.
    Announcement,
}

impl DocumentKind {
    /// The column's text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Note => "note",
            Self::Attachment => "attachment",
            Self::Roll => "roll",
            Self::Announcement => "announcement",
        }
    }

    /// Reads the column's text.
    pub fn parse(text: &str) -> Result<Self, StoreError> {
        Ok(match text {
            "note" => Self::Note,
            "attachment" => Self::Attachment,
            "roll" => Self::Roll,
            "announcement" => Self::Announcement,
            other => {
                return Err(StoreError::Corrupt(format!(
                    "document kind {other:?} is not one this server writes"
                )));
            }
        })
    }
}

/// A document to store beside the log, or as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// SHA-256 of `bytes`: the name an entry (or a note) gives it.
    pub sha256: Hash,
    /// The exact bytes.
    pub bytes: Vec<u8>,
    /// The ballot whose entry names it (reads are authorised per ballot).
    pub ballot: String,
    /// What it is.
    pub kind: DocumentKind,
}

impl Document {
    /// A document named by the SHA-256 of its bytes.
    pub fn new(bytes: Vec<u8>, ballot: impl Into<String>, kind: DocumentKind) -> Self {
        Self {
            sha256: Hash::sha256(&bytes),
            bytes,
            ballot: ballot.into(),
            kind,
        }
    }
}

impl Store {
    /// The documents of `group` among `hashes`, in no particular order;
    /// the ones not stored are simply absent (the caller decides what a
    /// missing document means).
    pub async fn documents(
        &self,
        group: &str,
        hashes: &[Hash],
    ) -> Result<Vec<Document>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        read_documents(&mut conn, group, hashes).await
    }

    /// One document of `group`, if stored.
    pub async fn document(
        &self,
        group: &str,
        sha256: &Hash,
    ) -> Result<Option<Document>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        Ok(
            read_documents(&mut conn, group, std::slice::from_ref(sha256))
                .await?
                .pop(),
        )
    }
}

/// Reads documents through any executor (pool or transaction). The hashes
/// are written into the statement as hexadecimal digits only, in chunks
/// that keep it short.
pub(crate) async fn read_documents(
    conn: &mut sqlx::AnyConnection,
    group: &str,
    hashes: &[Hash],
) -> Result<Vec<Document>, StoreError> {
    let mut wanted: Vec<String> = hashes.iter().map(Hash::to_hex).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut out = Vec::with_capacity(wanted.len());
    for chunk in wanted.chunks(256) {
        // Every element is 64 lowercase hexadecimal digits (`to_hex`), so
        // quoting it cannot change the statement.
        let list = chunk
            .iter()
            .map(|h| format!("'{h}'"))
            .collect::<Vec<_>>()
            .join(",");
        let sql = format!(
            "SELECT sha256, bytes, ballot_id, kind FROM documents \
             WHERE group_id = $1 AND sha256 IN ({list})"
        );
        let rows = sqlx::query(&sql).bind(group).fetch_all(&mut *conn).await?;
        for row in &rows {
            let hex: String = row.try_get("sha256")?;
            let sha256 = Hash::from_hex(&hex)
                .map_err(|e| StoreError::Corrupt(format!("log {group}: document {hex:?}: {e}")))?;
            let kind: String = row.try_get("kind")?;
            out.push(Document {
                sha256,
                bytes: row.try_get("bytes")?,
                ballot: row.try_get("ballot_id")?,
                kind: DocumentKind::parse(&kind)?,
            });
        }
    }
    Ok(out)
}
