//! `GET /v1/groups/{group}/ballots/{ballot}/bundle`: a ballot's audit
//! bundle (`docs/formats.md` section 9) as one ustar archive, for the
//! group's members and reviewers: the whole log at the current checkpoint
//! in the tlog-tiles layout, every checkpoint issued up to it, the
//! documents its replay needs (rolls stored beside the log, and the notes
//! and attachments of every closed ballot), and `bundle.json`.
//!
//! Nothing in it is to be trusted: `scrutineer verify FILE.tar --log-key …`
//! checks it as it checks a directory written by `scrutineer export`.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::ballots::{authorise, ballot_id};
use crate::audit::bundle::MANIFEST_VERSION;
use crate::audit::{
    Bundle, Manifest, attachment_of, ballot_entries, in_replay_order, wanted_documents,
};
use crate::entry::Entry;
use crate::server::AppState;
use crate::server::auth::{Action, Caller};
use crate::server::error::ApiError;
use crate::tlog::tile::{TileKind, encode_bundle, tile_hash_indexes, tiles_for_size};
use crate::tlog::{Hash, TreeSize};

/// The bundle route.
pub fn router() -> Router<Arc<AppState>> {
    Router::new().route("/v1/groups/{group}/ballots/{ballot}/bundle", get(bundle))
}

async fn bundle(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path((group, ballot)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (log, _) = authorise(&state, &caller, &group, Action::ReadGroup).await?;
    let ballot = ballot_id(&ballot)?;
    let _building = state.bundles.try_acquire().map_err(|_| {
        ApiError::Unavailable("another audit bundle is being built; try again shortly".to_owned())
    })?;
    let size = log.read(|loaded| loaded.size).await?;
    let internal =
        |what: &str, e: &dyn std::fmt::Display| ApiError::Internal(format!("{what}: {e}"));
    let checkpoint = state
        .store
        .checkpoint_at(&group, size)
        .await?
        .ok_or_else(|| ApiError::Internal(format!("log {group}: no checkpoint at size {size}")))?;
    let raw = state.store.entries(&group, 0, size).await?;
    let entries = raw
        .iter()
        .map(|bytes| Entry::parse(bytes))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| internal("a stored entry", &e))?;
    let indexes = ballot_entries(&entries, ballot.as_str());
    if indexes.is_empty() {
        return Err(ApiError::NotFound(format!(
            "the log has no entry for ballot {ballot}"
        )));
    }

    let mut tiles = Vec::new();
    for tile in tiles_for_size(TreeSize::new(size)) {
        let bytes = match tile.kind() {
            TileKind::Hash { .. } => {
                let wanted = tile_hash_indexes(&tile).map_err(|e| internal("tile", &e))?;
                let hashes = state.store.hashes(&group, &wanted).await?;
                hashes.iter().flat_map(|h| h.as_bytes().to_vec()).collect()
            }
            TileKind::Entries => {
                let first =
                    usize::try_from(tile.index() * 256).map_err(|e| internal("tile", &e))?;
                let slices: Vec<&[u8]> = raw[first..first + usize::from(tile.width())]
                    .iter()
                    .map(Vec::as_slice)
                    .collect();
                encode_bundle(&slices).map_err(|e| internal("entry bundle", &e))?
            }
        };
        tiles.push((tile, bytes));
    }
    let checkpoints = state
        .store
        .checkpoints(&group)
        .await?
        .into_iter()
        .filter(|(s, _)| *s <= size)
        .collect();
    // The documents the replay needs; a vote note names its attachment.
    // Each is stored under the entry that names it, so reads of the runs
    // of entries that name them find them, in log order (an open ballot's
    // notes, which stay out, are read only inside a run); one stored
    // before documents were kept with their entry is found by hash.
    let in_order = wanted_documents(&entries);
    let mut wanted: BTreeSet<Hash> = in_order.iter().map(|w| w.sha256).collect();
    let mut stored: Vec<(Hash, Vec<u8>)> = Vec::new();
    for (from, to) in entry_runs(in_order.iter().map(|w| w.entry)) {
        let found = state.store.documents_named_in(&group, from, to).await?;
        stored.extend(found.into_iter().map(|d| (d.sha256, d.bytes)));
    }
    for _ in 0..2 {
        let held: BTreeSet<Hash> = stored.iter().map(|(h, _)| *h).collect();
        let attachments: Vec<Hash> = stored
            .iter()
            .filter(|(h, _)| wanted.contains(h))
            .filter_map(|(_, bytes)| attachment_of(bytes))
            .collect();
        wanted.extend(attachments);
        let missing: Vec<Hash> = wanted.difference(&held).copied().collect();
        if missing.is_empty() {
            break;
        }
        let found = state.store.documents(&group, &missing).await?;
        stored.extend(found.into_iter().map(|d| (d.sha256, d.bytes)));
    }
    let mut documents: Vec<Vec<u8>> = Vec::with_capacity(wanted.len());
    for (sha256, bytes) in stored {
        // Each once, the first time it comes.
        if wanted.remove(&sha256) {
            documents.push(bytes);
        }
    }
    // The pack holds them in the order the verifier's replay asks for
    // them, each attachment after its note.
    let documents = in_replay_order(&in_order, documents);

    let origin = log.origin.to_string();
    let bundle = Bundle {
        checkpoint,
        tiles,
        checkpoints,
        documents,
        manifest: Some(Manifest {
            version: MANIFEST_VERSION,
            group: group.clone(),
            origin,
            ballot: ballot.to_string(),
            size,
            entries: indexes,
        }),
    };
    let tar = bundle.to_tar().map_err(|e| internal("archive", &e))?;
    let mut response = tar.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-tar"),
    );
    if let Ok(value) =
        HeaderValue::from_str(&format!("attachment; filename=\"{group}-{ballot}.tar\""))
    {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// Entries closer than this are read in one run (the documents of the
/// entries between them read for nothing), so that a closed ballot whose
/// votes interleave with an open one's costs a few reads, not one per vote.
const RUN_GAP: u64 = 256;

/// The runs `[from, to)` that cover `indexes` (ascending), merging those
/// less than [`RUN_GAP`] apart.
fn entry_runs(indexes: impl IntoIterator<Item = u64>) -> Vec<(u64, u64)> {
    let mut runs: Vec<(u64, u64)> = Vec::new();
    for index in indexes {
        match runs.last_mut() {
            Some((_, to)) if index < to.saturating_add(RUN_GAP) => *to = (*to).max(index + 1),
            _ => runs.push((index, index + 1)),
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_read_in_runs() {
        assert_eq!(entry_runs([]), Vec::<(u64, u64)>::new());
        assert_eq!(entry_runs([5]), vec![(5, 6)]);
        // Close together: one run, the gap read with it.
        assert_eq!(entry_runs([5, 6, 7, 100, 300]), vec![(5, 301)]);
        // Just under the gap apart: merged; at the gap: two runs, nothing
        // read between them.
        assert_eq!(entry_runs([5, 6, 6 + RUN_GAP]), vec![(5, 7 + RUN_GAP)]);
        assert_eq!(
            entry_runs([5, 6, 7 + RUN_GAP, 10_000, 10_001]),
            vec![(5, 7), (7 + RUN_GAP, 8 + RUN_GAP), (10_000, 10_002)]
        );
    }
}
