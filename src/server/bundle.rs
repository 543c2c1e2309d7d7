//! A ballot's audit bundle (`docs/formats.md` section 9), streamed from
//! storage as one ustar archive: the whole log at the current checkpoint
//! in the tlog-tiles layout, every checkpoint issued up to it (and those
//! witnesses cosigned, with their cosignatures), the
//! documents its replay needs (those stored beside the log, and the notes
//! and attachments of every closed ballot), and `bundle.json`.
//!
//! The archive is written as it is read: each tile and entry bundle is
//! read from storage, sent, and dropped, so a large log never sits in
//! memory whole. What must be known before its header is sent is gathered
//! first: the documents (a tar header carries the pack's length), the list
//! of checkpoints and the manifest. A storage failure part-way ends the
//! download early; the checkpoint, written last, is then missing, and
//! `scrutineer verify` says the bundle is unfinished.
//!
//! Nothing in it is to be trusted: `scrutineer verify FILE.tar --log-key …`
//! checks it as it checks a directory written by `scrutineer export`.

use std::collections::{BTreeSet, HashSet};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::sync::mpsc;

use crate::audit::bundle::{CHECKPOINTS_DIR, MANIFEST_FILE, MANIFEST_VERSION, WantedDocuments};
use crate::audit::pack::{PACK_FILE, encode_pack};
use crate::audit::tar::{ARCHIVE_END, member_end, member_start};
use crate::audit::witnessed::COSIGNED_DIR;
use crate::audit::{Manifest, attachment_of, in_replay_order};
use crate::entry::Entry;
use crate::id::BallotId;
use crate::staticlog::CHECKPOINT_FILE;
use crate::store::Store;
use crate::tlog::tile::{Tile, TileKind, encode_bundle, tile_hash_indexes, tiles_for_size};
use crate::tlog::{Hash, TreeSize};

use super::commands::CommandError;
use super::{AppState, Log};

/// How many entries are read from storage at a time while the log is
/// scanned for the ballot's entries and the documents it names.
const SCAN_CHUNK: u64 = 4096;

/// How many parts of the archive may wait to be sent: the producer reads
/// ahead of a slow client by at most this many tiles.
const AHEAD: usize = 4;

/// How long a client may take to accept the next part. One bundle is built
/// at a time, so a client that stops reading must not hold that turn: past
/// this, the download is cut short and the turn freed.
const STALLED: std::time::Duration = std::time::Duration::from_secs(60);

/// The archive's bytes, part by part, as the producer reads them; an
/// error ends the stream (the download is cut short).
pub struct Archive(mpsc::Receiver<Result<Vec<u8>, std::io::Error>>);

impl futures_core::Stream for Archive {
    type Item = Result<Vec<u8>, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_recv(cx)
    }
}

/// What the archive holds besides the tiles, gathered before it starts.
struct Gathered {
    checkpoint: Vec<u8>,
    checkpoints: Vec<(u64, Vec<u8>)>,
    cosigned: Vec<(u64, Vec<u8>)>,
    pack: Vec<u8>,
    manifest: Vec<u8>,
}

/// The audit bundle of `ballot` in `log`, as an archive streamed from
/// storage. One bundle is built at a time (`AppState::bundles`); another
/// request meanwhile is told to try again. A ballot the log does not name
/// is `not-found`.
pub async fn archive(
    state: &AppState,
    log: &Log,
    ballot: &BallotId,
) -> Result<Archive, CommandError> {
    let permit = Arc::clone(&state.bundles)
        .try_acquire_owned()
        .map_err(|_| {
            CommandError::Unavailable(
                "another audit bundle is being built; try again shortly".to_owned(),
            )
        })?;
    let store = state.store.clone();
    let group = log.group.clone();
    let size = log.read(|loaded| loaded.size).await?;
    let gathered = gather(&store, log, ballot, size).await?;
    let (sender, receiver) = mpsc::channel(AHEAD);
    tokio::spawn(async move {
        // The permit is held until the last part is sent, or the download
        // is cut short.
        let produced = produce(&store, &group, size, gathered, &sender).await;
        drop(permit);
        if let Err(e) = produced {
            tracing::error!(group = %group, "the audit bundle was cut short: {e}");
            // Ends the download with an error if the client still reads;
            // a client that stopped reading gets the end of the stream.
            let _ = sender.try_send(Err(std::io::Error::other(e.to_string())));
        }
    });
    Ok(Archive(receiver))
}

/// Scans the log for the ballot's entries and the documents the replay
/// needs, reads the documents, and prepares every file but the tiles.
async fn gather(
    store: &Store,
    log: &Log,
    ballot: &BallotId,
    size: u64,
) -> Result<Gathered, CommandError> {
    let group = &log.group;
    let internal =
        |what: &str, e: &dyn std::fmt::Display| CommandError::Internal(format!("{what}: {e}"));
    let checkpoint = store.checkpoint_at(group, size).await?.ok_or_else(|| {
        CommandError::Internal(format!("log {group}: no checkpoint at size {size}"))
    })?;
    let mut indexes = Vec::new();
    let mut wanted = WantedDocuments::default();
    let mut from = 0;
    while from < size {
        let to = size.min(from + SCAN_CHUNK);
        for (index, bytes) in (from..).zip(store.entries(group, from, to).await?) {
            let entry = Entry::parse(&bytes).map_err(|e| internal("a stored entry", &e))?;
            if entry.get("ballot") == Some(ballot.as_str()) {
                indexes.push(index);
            }
            wanted.push(index, &entry);
        }
        from = to;
    }
    if indexes.is_empty() {
        return Err(crate::server::sequencer::Refused::not_found(format!(
            "the log has no entry for ballot {ballot}"
        ))
        .into());
    }
    let in_order = wanted.finish();
    let documents = read_documents(store, group, &in_order).await?;
    // The pack holds them in the order the verifier's replay asks for
    // them, each attachment after its note, each once.
    let mut packed = HashSet::new();
    let documents: Vec<Vec<u8>> = in_replay_order(&in_order, documents)
        .into_iter()
        .filter(|d| packed.insert(Hash::sha256(d)))
        .collect();
    let pack = encode_pack(documents.iter().map(Vec::as_slice))
        .map_err(|e| internal("documents.pack", &e))?;
    let checkpoints: Vec<(u64, Vec<u8>)> = store
        .checkpoints(group)
        .await?
        .into_iter()
        .filter(|(s, _)| *s <= size)
        .collect();
    // Each checkpoint witnesses cosigned, with the earliest cosignature of
    // each witness: the evidence of when that tree existed.
    let mut cosigned = Vec::new();
    for (at, lines) in store.cosignatures_between(group, 0, size).await? {
        if let Some((_, signed)) = checkpoints.iter().find(|(s, _)| *s == at) {
            let mut bytes = signed.clone();
            for line in lines {
                bytes.extend_from_slice(line.line.as_bytes());
            }
            cosigned.push((at, bytes));
        }
    }
    let manifest = Manifest {
        version: MANIFEST_VERSION,
        group: group.clone(),
        origin: log.origin.to_string(),
        ballot: ballot.to_string(),
        size,
        entries: indexes,
    };
    let mut manifest = serde_json::to_vec_pretty(&manifest)
        .expect("invariant: a manifest (strings and numbers) serialises");
    manifest.push(b'\n');
    Ok(Gathered {
        checkpoint,
        checkpoints,
        cosigned,
        pack,
        manifest,
    })
}

/// The documents the replay needs (`in_order`, and the attachments their
/// notes name). Each is stored under the entry that names it, so reads of
/// the runs of entries that name them find them, in log order (an open
/// ballot's notes, which stay out, are read only inside a run); one
/// stored before documents were kept with their entry is found by hash.
async fn read_documents(
    store: &Store,
    group: &str,
    in_order: &[crate::audit::bundle::Wanted],
) -> Result<Vec<Vec<u8>>, CommandError> {
    let mut wanted: BTreeSet<Hash> = in_order.iter().map(|w| w.sha256).collect();
    let mut stored: Vec<(Hash, Vec<u8>)> = Vec::new();
    for (from, to) in entry_runs(in_order.iter().map(|w| w.entry)) {
        let found = store.documents_named_in(group, from, to).await?;
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
        let found = store.documents(group, &missing).await?;
        stored.extend(found.into_iter().map(|d| (d.sha256, d.bytes)));
    }
    let mut documents: Vec<Vec<u8>> = Vec::with_capacity(wanted.len());
    for (sha256, bytes) in stored {
        // Each once, the first time it comes.
        if wanted.remove(&sha256) {
            documents.push(bytes);
        }
    }
    Ok(documents)
}

/// Writes the archive, in the order of [`crate::audit::Bundle::files`]:
/// the tiles, the checkpoints issued, the pack, the manifest, and the
/// checkpoint last.
async fn produce(
    store: &Store,
    group: &str,
    size: u64,
    gathered: Gathered,
    out: &mpsc::Sender<Result<Vec<u8>, std::io::Error>>,
) -> Result<(), CommandError> {
    for tile in tiles_for_size(TreeSize::new(size)) {
        let bytes = read_tile(store, group, &tile).await?;
        send(out, &tile.path(), bytes).await?;
    }
    for (size, signed) in gathered.checkpoints {
        send(out, &format!("{CHECKPOINTS_DIR}/{size}"), signed).await?;
    }
    for (size, cosigned) in gathered.cosigned {
        send(out, &format!("{COSIGNED_DIR}/{size}"), cosigned).await?;
    }
    send(out, PACK_FILE, gathered.pack).await?;
    send(out, MANIFEST_FILE, gathered.manifest).await?;
    send(out, CHECKPOINT_FILE, gathered.checkpoint).await?;
    out.send_timeout(Ok(ARCHIVE_END.to_vec()), STALLED)
        .await
        .map_err(|_| gone())?;
    Ok(())
}

/// A hash tile's hashes, or an entry bundle's entries, from storage.
async fn read_tile(store: &Store, group: &str, tile: &Tile) -> Result<Vec<u8>, CommandError> {
    let internal = |e: &dyn std::fmt::Display| CommandError::Internal(format!("tile: {e}"));
    Ok(match tile.kind() {
        TileKind::Hash { .. } => {
            let wanted = tile_hash_indexes(tile).map_err(|e| internal(&e))?;
            let hashes = store.hashes(group, &wanted).await?;
            hashes.iter().flat_map(|h| h.as_bytes().to_vec()).collect()
        }
        TileKind::Entries => {
            let from = tile.index() * 256;
            let entries = store
                .entries(group, from, from + u64::from(tile.width()))
                .await?;
            let slices: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
            encode_bundle(&slices).map_err(|e| internal(&e))?
        }
    })
}

/// Sends one member of the archive: its header, its bytes and padding.
async fn send(
    out: &mpsc::Sender<Result<Vec<u8>, std::io::Error>>,
    path: &str,
    bytes: Vec<u8>,
) -> Result<(), CommandError> {
    let size = bytes.len() as u64;
    let mut part = member_start(path, size)
        .map_err(|e| CommandError::Internal(format!("archive: {e}")))?
        .to_vec();
    part.extend_from_slice(&bytes);
    part.extend_from_slice(member_end(size));
    out.send_timeout(Ok(part), STALLED)
        .await
        .map_err(|_| gone())
}

/// The client went away, or stopped reading for [`STALLED`]: nothing more
/// to send.
fn gone() -> CommandError {
    CommandError::Unavailable("the client closed the download or stopped reading".to_owned())
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
