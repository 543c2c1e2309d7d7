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
//!
//! Each is stored under the log index of the entry that names it, so that
//! a batch of votes appends its notes in order instead of one random page
//! each. A note is therefore read through its entry
//! ([`Store::documents_named_in`], [`Store::document`] with the index);
//! only the few other documents (attachments, rolls) and those stored
//! before the index was recorded are also found by hash alone
//! ([`Store::documents`]).

use sqlx::Row as _;

use super::{Store, StoreError, to_i64};
use crate::tlog::Hash;

/// What a stored document is; the `kind` column. The migrations' check
/// also admits `announcement`, which no version of the server wrote (an
/// announcement note is its entry's body): read back, it is corruption
/// (`docs/formats.md` section 8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentKind {
    /// A signed vote note (revealed at the close).
    Note,
    /// A vote's attachment (revealed at the close).
    Attachment,
    /// A roll document too large for its entry.
    Roll,
    /// A tally document too large for its entry.
    Tally,
    /// An announcement's recipients, too many for its entry.
    Recipients,
    /// A document voted on, named by an announcement (version 2):
    /// readable by the group's members from the announcement on.
    Draft,
}

impl DocumentKind {
    /// The column's text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Note => "note",
            Self::Attachment => "attachment",
            Self::Roll => "roll",
            Self::Tally => "tally",
            Self::Recipients => "recipients",
            Self::Draft => "draft",
        }
    }

    /// Reads the column's text.
    pub fn parse(text: &str) -> Result<Self, StoreError> {
        Ok(match text {
            "note" => Self::Note,
            "attachment" => Self::Attachment,
            "roll" => Self::Roll,
            "tally" => Self::Tally,
            "recipients" => Self::Recipients,
            "draft" => Self::Draft,
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
    /// The log index of the entry that names it (directly, or through the
    /// note that names an attachment). `None` before the sequencer places
    /// it, and for a document stored before the index was recorded; such
    /// a document is written and found by hash alone.
    pub entry: Option<u64>,
}

impl Document {
    /// A document named by the SHA-256 of its bytes, not yet placed.
    pub fn new(bytes: Vec<u8>, ballot: impl Into<String>, kind: DocumentKind) -> Self {
        Self {
            sha256: Hash::sha256(&bytes),
            bytes,
            ballot: ballot.into(),
            kind,
            entry: None,
        }
    }

    /// The same document, named by the entry at log index `entry`.
    #[must_use]
    pub fn named_by(self, entry: u64) -> Self {
        Self {
            entry: Some(entry),
            ..self
        }
    }
}

/// How documents are looked up.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Lookup<'a> {
    /// By hash: the documents that can be found so, every one but a note
    /// placed under its entry.
    Hashes(&'a [Hash]),
    /// Those named by the entries `[from, to)`.
    Named { from: u64, to: u64 },
    /// The one with this hash named by the entry at this index.
    At { entry: u64, sha256: &'a Hash },
}

impl Store {
    /// The documents of `group` among `hashes` that can be found by hash
    /// alone (attachments, rolls, documents stored before their entry was
    /// recorded; not a note placed at its entry), in no particular order;
    /// the others are simply absent (the caller decides what a missing
    /// document means).
    pub async fn documents(
        &self,
        group: &str,
        hashes: &[Hash],
    ) -> Result<Vec<Document>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        read_documents(&mut conn, group, Lookup::Hashes(hashes)).await
    }

    /// The documents named by the entries `[from, to)` of `group`'s log,
    /// in log order.
    pub async fn documents_named_in(
        &self,
        group: &str,
        from: u64,
        to: u64,
    ) -> Result<Vec<Document>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        read_documents(&mut conn, group, Lookup::Named { from, to }).await
    }

    /// One document of `group`, if stored: the one named by the entry at
    /// index `entry` when given, else (or when that entry names no such
    /// document) one found by hash alone.
    pub async fn document(
        &self,
        group: &str,
        sha256: &Hash,
        entry: Option<u64>,
    ) -> Result<Option<Document>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        if let Some(entry) = entry {
            let at = read_documents(&mut conn, group, Lookup::At { entry, sha256 }).await?;
            if let Some(found) = at.into_iter().next() {
                return Ok(Some(found));
            }
        }
        let by_hash = read_documents(
            &mut conn,
            group,
            Lookup::Hashes(std::slice::from_ref(sha256)),
        )
        .await?;
        Ok(by_hash.into_iter().next())
    }
}

/// Reads documents through any executor (pool or transaction). Hashes are
/// written into the statement as hexadecimal digits only, in chunks that
/// keep it short.
pub(crate) async fn read_documents(
    conn: &mut sqlx::AnyConnection,
    group: &str,
    lookup: Lookup<'_>,
) -> Result<Vec<Document>, StoreError> {
    const COLUMNS: &str = "SELECT idx, sha256, bytes, ballot_id, kind FROM documents";
    let mut out = Vec::new();
    match lookup {
        Lookup::Hashes(hashes) => {
            let mut wanted: Vec<String> = hashes.iter().map(Hash::to_hex).collect();
            wanted.sort_unstable();
            wanted.dedup();
            for chunk in wanted.chunks(256) {
                // Every element is 64 lowercase hexadecimal digits
                // (`to_hex`), so quoting it cannot change the statement.
                // The condition on kind and index is the partial index's.
                let list = chunk
                    .iter()
                    .map(|h| format!("'{h}'"))
                    .collect::<Vec<_>>()
                    .join(",");
                let sql = format!(
                    "{COLUMNS} WHERE group_id = $1 AND sha256 IN ({list}) \
                     AND (kind <> 'note' OR idx < 0)"
                );
                let rows = sqlx::query(&sql).bind(group).fetch_all(&mut *conn).await?;
                push_rows(&mut out, group, &rows)?;
            }
        }
        Lookup::Named { from, to } => {
            let rows = sqlx::query(&format!(
                "{COLUMNS} WHERE group_id = $1 AND idx >= $2 AND idx < $3 ORDER BY idx"
            ))
            .bind(group)
            .bind(to_i64(from)?)
            .bind(to_i64(to)?)
            .fetch_all(&mut *conn)
            .await?;
            push_rows(&mut out, group, &rows)?;
        }
        Lookup::At { entry, sha256 } => {
            let rows = sqlx::query(&format!(
                "{COLUMNS} WHERE group_id = $1 AND idx = $2 AND sha256 = $3"
            ))
            .bind(group)
            .bind(to_i64(entry)?)
            .bind(sha256.to_hex())
            .fetch_all(&mut *conn)
            .await?;
            push_rows(&mut out, group, &rows)?;
        }
    }
    Ok(out)
}

fn push_rows(
    out: &mut Vec<Document>,
    group: &str,
    rows: &[sqlx::any::AnyRow],
) -> Result<(), StoreError> {
    for row in rows {
        let hex: String = row.try_get("sha256")?;
        let sha256 = Hash::from_hex(&hex)
            .map_err(|e| StoreError::Corrupt(format!("log {group}: document {hex:?}: {e}")))?;
        let kind: String = row.try_get("kind")?;
        let idx: i64 = row.try_get("idx")?;
        out.push(Document {
            sha256,
            bytes: row.try_get("bytes")?,
            ballot: row.try_get("ballot_id")?,
            kind: DocumentKind::parse(&kind)?,
            entry: u64::try_from(idx).ok(),
        });
    }
    Ok(())
}
