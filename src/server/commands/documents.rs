//! Reading a document stored beside the log, for every front end: the
//! roll, tally and recipients once logged, the documents voted on from the
//! announcement on, notes and attachments only after the close (SPEC
//! section 4). Before the close a note or an attachment is answered
//! exactly as a hash nobody sent: a different answer would confirm a guess
//! of another organisation's note or reasons.

use crate::ballot::DocumentRef;
use crate::id::BallotId;
use crate::server::Log;
use crate::server::sequencer::Refused;
use crate::store::Store;
use crate::store::documents::DocumentKind;
use crate::tlog::Hash;

use super::CommandError;

/// A document as a reader gets it.
#[derive(Debug)]
pub struct Readable {
    /// Its exact bytes.
    pub bytes: Vec<u8>,
    /// Its media type: `application/json` for a roll or tally, the type
    /// the announcement names for a document voted on
    /// (`application/octet-stream` for one only an earlier announcement
    /// named), `text/plain; charset=utf-8` otherwise.
    pub media_type: String,
    /// The file name a document voted on is offered under.
    pub file_name: Option<String>,
}

/// The document `sha256` of `ballot`, if a member may read it now.
pub async fn read(
    store: &Store,
    log: &Log,
    ballot: &BallotId,
    sha256: &Hash,
) -> Result<Readable, CommandError> {
    // A vote's note is stored under its entry, which the fold knows; a
    // document voted on is named, with its media type and file name, by
    // the announcement.
    let (revealed, entry, named) = log
        .read(|loaded| {
            loaded.state.book.ballot(ballot.as_str()).map(|b| {
                let entry = b
                    .lifecycle
                    .votes()
                    .and_then(|v| v.by_note(sha256))
                    .map(|v| v.index);
                let named: Option<DocumentRef> = b
                    .lifecycle
                    .announced()
                    .subject
                    .as_ref()
                    .and_then(|s| s.documents.iter().find(|d| d.sha256 == *sha256).cloned());
                (b.lifecycle.revealed(), entry, named)
            })
        })
        .await?
        .ok_or_else(|| Refused::not_found(format!("no ballot {ballot:?}")))?;
    let absent = || -> CommandError {
        let revealed_at_close = if revealed {
            ""
        } else {
            "; notes and attachments are readable from the ballot's close"
        };
        Refused::not_found(format!(
            "ballot {ballot:?} has no readable document {}{revealed_at_close}",
            sha256.to_hex()
        ))
        .into()
    };
    let group = &log.group;
    let found = store
        .document(group, sha256, entry)
        .await?
        .filter(|d| d.ballot == ballot.as_str());
    let document = match found {
        Some(document) => Some(document),
        // The same attachment sent with votes of two ballots is stored
        // once for each: the row of this ballot.
        None => store
            .documents(group, std::slice::from_ref(sha256))
            .await?
            .into_iter()
            .find(|d| d.ballot == ballot.as_str()),
    }
    .ok_or_else(absent)?;
    let (media_type, file_name) = match document.kind {
        DocumentKind::Roll | DocumentKind::Tally => ("application/json".to_owned(), None),
        DocumentKind::Note | DocumentKind::Attachment if !revealed => return Err(absent()),
        DocumentKind::Draft => match named {
            Some(d) => (d.media_type, Some(d.file_name)),
            None => ("application/octet-stream".to_owned(), None),
        },
        _ => ("text/plain; charset=utf-8".to_owned(), None),
    };
    Ok(Readable {
        bytes: document.bytes,
        media_type,
        file_name,
    })
}

/// The `Content-Disposition` value offering a document under `file_name`
/// (RFC 6266, the name percent-encoded as RFC 8187 says, so that any name
/// is safe in the header).
pub fn attachment_disposition(file_name: &str) -> String {
    let encoded: String = file_name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename*=UTF-8''{encoded}")
}
