//! The independent check of an audit bundle (SPEC section 7), trusting
//! only the log key given to it.
//!
//! The steps, each of which stops the check with an [`AuditError`] that
//! names what failed:
//!
//! 1. the checkpoint's signature by the log key;
//! 2. every hash tile and entry bundle against its root
//!    ([`staticlog::verify`]), and every entry's envelope;
//! 3. every `checkpoints/<size>` file: its signature, its size, and its root
//!    against the verified tree at that size (another root at a size the
//!    log key signed is a split view);
//! 4. the documents: `documents.pack` read and each document in it named
//!    by its SHA-256 (`super::pack`: a malformed frame or a document packed
//!    twice fails), and every `documents/<hex>` file (bundles of version
//!    1) against its SHA-256 name, none of them in both;
//! 5. the replay of the whole log with the documents ([`crate::ballot::replay`]):
//!    the registry, each announcement (the chair's signature, the
//!    recipients, the notice), each frozen roll against the roll re-derived
//!    from the logged registry at the opening, each vote's admission, each
//!    tally against the tally re-derived from the votes;
//!    Each certification, appeal and decision is re-checked by the fold
//!    (the chair in office, the logged roll, tally and counts; entitled
//!    appellants; appointed reviewers), and the tree head a certification
//!    names is checked against the verified tree;
//! 6. the ballot asked for must be tallied; its report is built from the
//!    replay, with warnings (a simulated-clock origin, a result not
//!    certified or annulled on appeal, an eligible organisation nobody on
//!    the membership list represented at the announcement);
//! 7. each vote receipt given (`super::receipt`): in this log, and its vote
//!    counted or superseded by a later one that the report names.
//!
//! Steps 2 to 5 run at once (`super::documents`): the documents are read,
//! checked and their vote signatures verified on other threads while this
//! one checks the log and replays it; the failures are still reported in
//! the order of the steps.

use std::fs;
use std::path::Path;
use std::sync::OnceLock;

use crate::ballot::{
    BallotBook, VerifiedNotes, check_certified_root, documents_named, replay_verified,
};
use crate::contexts::SIMULATED_ORIGIN_PREFIX;
use crate::entry::Entry;
use crate::note::VerifierKey;
use crate::registry::GroupState;
use crate::staticlog::{self, StaticLogError};
use crate::tlog::checkpoint::{Checkpoint, open_checkpoint};
use crate::tlog::tile::{Tile, TileKind, decode_bundle, tiles_for_size, verify_tiles};
use crate::tlog::tree::{MemoryHashes, tree_hash};
use crate::tlog::{Hash, TreeSize, leaf_hash};

use super::ballot_report::ballot_report;
use super::bundle::{CHECKPOINTS_DIR, DOCUMENTS_DIR, MANIFEST_FILE, Manifest};
use super::documents::{Documents, InOrder};
use super::pack::PACK_FILE;
use super::report::AuditReport;
use super::witnessed::{
    COSIGNED_DIR, Cosigned, check_cosigned, receipt_witnessing, witness_report,
};
use crate::ballot::{COSIGNED_KIND, CosignedRecord};
use crate::tlog::policy::{Policy, QuorumTime};

pub use super::error::AuditError;

/// Verifies the bundle in `dir` under `log_key` and reports on `ballot`
/// (by default the one `bundle.json` names).
pub fn verify_bundle(
    dir: &Path,
    log_key: &VerifierKey,
    ballot: Option<&str>,
) -> Result<AuditReport, AuditError> {
    verify_bundle_with_receipts(dir, log_key, ballot, &[])
}

/// What the verifier is given about witnesses besides the bundle.
#[derive(Debug, Default, Clone, Copy)]
pub struct Witnesses<'a> {
    /// The C2SP tlog-policy whose witness quorum the bundle's checkpoint
    /// must meet, and under which the notice evidence is reported.
    pub policy: Option<&'a Policy>,
    /// Cosigned checkpoints of the same log from elsewhere (a witness's
    /// latest, say): checked for split views and truncation, and used as
    /// evidence like the bundle's.
    pub cosigned: &'a [Cosigned],
    /// Witnesses asked for their latest cosigned checkpoint that gave
    /// nothing usable, one sentence each (`verify --ask-witnesses`):
    /// reported as warnings, since the quorum may be met without them.
    pub unanswered: &'a [String],
}

/// [`verify_bundle`], then each vote receipt of `receipts` (a name for
/// messages, and the receipt's bytes) against the verified log: the vote
/// is in it, and it counted or a later vote that the report names
/// superseded it.
pub fn verify_bundle_with_receipts(
    dir: &Path,
    log_key: &VerifierKey,
    ballot: Option<&str>,
    receipts: &[(String, Vec<u8>)],
) -> Result<AuditReport, AuditError> {
    verify_bundle_files(&Disk(dir), log_key, ballot, receipts, Witnesses::default())
}

/// [`verify_bundle_with_receipts`], with witness evidence: every cosigned
/// checkpoint (the bundle's, the log's own entries, `witnesses.cosigned`)
/// is checked against the verified tree (a split view, a bundle cut
/// before what witnesses saw later), and with a policy its quorum must
/// have cosigned the bundle's checkpoint; the report then says, for each
/// announcement, when a quorum had seen it.
pub fn verify_bundle_with_witnesses(
    dir: &Path,
    log_key: &VerifierKey,
    ballot: Option<&str>,
    receipts: &[(String, Vec<u8>)],
    witnesses: Witnesses<'_>,
) -> Result<AuditReport, AuditError> {
    verify_bundle_files(&Disk(dir), log_key, ballot, receipts, witnesses)
}

/// How the verifier reads the log's tiles and entry bundles: each file
/// once, so that what is checked is what is replayed, even on a file
/// system that changes under it (a hostile network mount, say). `None`
/// is a file that cannot be read: the check of the tiles names it.
pub(super) trait LogFiles: Sync {
    /// The bundle's directory.
    fn dir(&self) -> &Path;
    /// The bytes of `path` (relative to the bundle), read once.
    fn read(&self, path: &Path) -> Option<Vec<u8>>;
}

/// The bundle's files on disk.
struct Disk<'a>(&'a Path);

impl LogFiles for Disk<'_> {
    fn dir(&self) -> &Path {
        self.0
    }

    fn read(&self, path: &Path) -> Option<Vec<u8>> {
        fs::read(self.0.join(path)).ok()
    }
}

/// [`verify_bundle_with_receipts`], with the log's tiles and entry
/// bundles read through `files`.
pub(super) fn verify_bundle_files(
    files: &dyn LogFiles,
    log_key: &VerifierKey,
    ballot: Option<&str>,
    receipts: &[(String, Vec<u8>)],
    witnesses: Witnesses<'_>,
) -> Result<AuditReport, AuditError> {
    let dir = files.dir();
    let mut checks = Vec::new();

    // Step 1: the checkpoint, under the given key only.
    let checkpoint =
        staticlog::read_checkpoint(dir, log_key).map_err(|e| AuditError::CheckpointSignature {
            key: log_key.to_string(),
            reason: e.to_string(),
        })?;
    let origin = checkpoint.origin().clone();
    checks.push(format!(
        "checkpoint: signed by the log key {} (origin {origin}, size {}, root {})",
        log_key,
        checkpoint.size(),
        checkpoint.root()
    ));

    // Steps 2 to 5, with the documents read, checked and verified on
    // other threads all along (`super::documents`).
    let documents = Documents::new(dir);
    let advance = OnceLock::new();
    let verified = VerifiedNotes::default();
    let log = std::thread::scope(|scope| {
        let log = check_log(
            scope,
            files,
            log_key,
            &checkpoint,
            &documents,
            &advance,
            &verified,
        );
        if log.is_err() {
            documents.stop();
        }
        log
    })?;
    let Log {
        entries: parsed,
        leaves,
        hashes,
        tiles,
        issued,
        documents,
        packed,
        used,
        registry,
        book,
    } = log;
    checks.push(format!(
        "tiles: {tiles} hash tiles and entry bundles hash to the checkpoint's root; {} \
         entries read",
        parsed.len()
    ));
    let mut not_checked = vec![
        "that anybody read a notice: a `delivery` entry says a mail relay accepted the \
         message (or that it failed), which the server reports and nothing else can confirm"
            .to_owned(),
        "that this checkpoint is the log's newest: a bundle cut at an older checkpoint the \
         log key signed verifies just as well; only a newer checkpoint seen elsewhere (a \
         receipt, a consistency proof from the server, a witness) shows what came after"
            .to_owned(),
    ];
    let mut warnings = Vec::new();
    match issued {
        Some(issued) => checks.push(format!(
            "checkpoints: {issued} issued checkpoints signed by the log key, each consistent \
             with the log (no split view among them)"
        )),
        None => {
            not_checked.push(format!(
                "split views: the bundle has no {CHECKPOINTS_DIR}/ folder, so no checkpoint \
                 the log issued was compared with this history"
            ));
            warnings.push(format!(
                "SPLIT VIEWS NOT CHECKED: the bundle has no {CHECKPOINTS_DIR}/ folder (every \
                 export writes one); whoever holds the log key could have shown others \
                 another history, and this check cannot tell"
            ));
        }
    }
    // The tree head each certification names is checked here, where the
    // verified tree is, by the rule the server's decision applies (the
    // fold checks everything else it binds).
    let mut certified = 0;
    for (id, tracked) in book.ballots() {
        if let Some(c) = tracked.lifecycle.certification() {
            if check_certified_root(c.size, &c.root, &hashes).is_err() {
                let expected = tree_hash(TreeSize::new(c.size), &hashes)
                    .expect("invariant: the fold checked the size precedes the certification");
                return Err(AuditError::CertificationRoot {
                    ballot: id.to_string(),
                    size: c.size,
                    named: c.root,
                    expected,
                });
            }
            certified += 1;
        }
    }
    checks.push(format!(
        "documents: {documents} documents, each named by its SHA-256 ({packed} in {PACK_FILE}, \
         {} in {DOCUMENTS_DIR}/); the replay used {used}",
        documents - packed
    ));
    checks.push(format!(
        "replay: {} entries folded under the rules of {}: the registry, {} ballots \
         (announcements signed by the chair in office and sent to the membership list with \
         the notice the rules require, rolls re-derived from the logged registry at the \
         opening and equal to the frozen ones, every vote admitted again, tallies \
         re-derived and equal to the logged ones, certifications signed by the chair in \
         office binding the logged roll, tally and counts, appeals from entitled \
         organisations and decisions signed by appeal reviewers)",
        parsed.len(),
        registry.profile().as_str(),
        book.ballots().count()
    ));
    if certified > 0 {
        checks.push(format!(
            "certifications: {certified} certified tree heads are the log's own at their sizes"
        ));
    }

    // Step 5b: the witnesses' cosigned checkpoints, from every source.
    let mut sources = cosigned_sources(dir, &parsed)?;
    let logged = parsed.iter().filter(|e| e.kind() == COSIGNED_KIND).count();
    sources.extend(witnesses.cosigned.iter().cloned());
    sources.extend(receipt_cosigned(receipts));
    let evidence = check_cosigned(
        &sources,
        log_key,
        &hashes,
        checkpoint.size().get(),
        witnesses.policy,
    )?;
    if !sources.is_empty() {
        checks.push(format!(
            "cosigned checkpoints: {} of the verified log (from the bundle, the files given \
             and {logged} cosigned-checkpoint entries of the log itself), each signed by the \
             log key with the log's root at its size (none of them a split view){}",
            evidence.within,
            if evidence.beyond.is_empty() {
                String::new()
            } else {
                format!(", and {} beyond the bundle", evidence.beyond.len())
            }
        ));
    }
    for problem in witnesses.unanswered {
        warnings.push(format!("WITNESS NOT HEARD: {problem}"));
    }
    if !evidence.beyond.is_empty() {
        let later: Vec<String> = evidence
            .beyond
            .iter()
            .map(|(size, source)| format!("size {size} ({source})"))
            .collect();
        warnings.push(format!(
            "TRUNCATED: the bundle stops at size {}, but the log key signed later checkpoints \
             that witnesses cosigned: {}; what the log holds after this bundle is not checked \
             here (export the bundle again)",
            checkpoint.size(),
            later.join(", ")
        ));
    }
    // A policy with `quorum none` asks for no witness: nothing to report.
    let witness_report = match witnesses.policy.filter(|p| p.requires_cosignatures()) {
        Some(policy) => {
            let size = checkpoint.size().get();
            if !matches!(evidence.quorum_at(policy, size), QuorumTime::Met(_)) {
                return Err(AuditError::QuorumNotMet { size });
            }
            let report = witness_report(&evidence, policy, registry.parameters(), &book, size);
            checks.push(format!(
                "witnesses: the policy's quorum cosigned the bundle's checkpoint (size {size}) \
                 by {}",
                report.quorum_at_size.as_deref().unwrap_or("-")
            ));
            Some(report)
        }
        None => None,
    };

    // Step 6: the ballot asked for.
    let ballot = match ballot {
        Some(b) => b.to_owned(),
        None => read_manifest(dir).ok_or(AuditError::NoBallot)?.ballot,
    };
    let simulated = origin.as_str().starts_with(SIMULATED_ORIGIN_PREFIX);
    if simulated {
        warnings.push(format!(
            "SIMULATED: the origin {origin} begins with {SIMULATED_ORIGIN_PREFIX}: this log \
             was written by a server on a simulated clock; it is a demonstration, not a real \
             ballot"
        ));
    }
    let report = ballot_report(&ballot, &book, &registry.group().reminders, &mut warnings)?;
    if let Some(w) = &witness_report {
        for a in w.announcements.iter().filter(|a| a.ballot == ballot) {
            if !a.proven {
                warnings.push(format!(
                    "ballot {ballot}: notice NOT proven by witnesses: no quorum of the policy's \
                     witnesses cosigned a checkpoint containing the announcement (entry {}) the \
                     notice period before {}{}; the notice rests on the server's clock alone",
                    a.index,
                    a.deadline,
                    a.witnessed_by
                        .as_ref()
                        .map(|t| format!(" (a quorum had by {t})"))
                        .unwrap_or_default()
                ));
            }
        }
    }
    checks.push(format!(
        "ballot {ballot}: {}; the logged tally is the one re-derived from the {} logged votes",
        report.state, report.votes
    ));
    let mut receipts = receipts
        .iter()
        .map(|(name, bytes)| {
            super::receipt::check_receipt(name, bytes, log_key, &leaves, &hashes, &book)
        })
        .collect::<Result<Vec<_>, _>>()?;
    if !receipts.is_empty() {
        checks.push(format!(
            "receipts: {} vote receipts are in this log and their votes accounted for",
            receipts.len()
        ));
    }
    if let Some(policy) = witnesses.policy.filter(|p| p.requires_cosignatures()) {
        for r in &mut receipts {
            r.witnessed = Some(receipt_witnessing(&evidence, policy, r)?);
        }
        if !receipts.is_empty() {
            checks.push(format!(
                "receipts and witnesses: a quorum of the policy's witnesses cosigned a \
                 checkpoint containing each receipt's vote ({} on the receipt's own checkpoint, \
                 the others on a later checkpoint consistent with it)",
                receipts
                    .iter()
                    .filter(|r| r
                        .witnessed
                        .as_ref()
                        .is_some_and(|w| w.checkpoint_quorum_by.is_some()))
                    .count()
            ));
        }
    }
    Ok(AuditReport {
        ok: true,
        origin: origin.to_string(),
        simulated,
        size: checkpoint.size().get(),
        root: checkpoint.root().to_string(),
        checks,
        not_checked,
        warnings,
        ballot: report,
        receipts,
        other_ballots: book
            .ballots()
            .filter(|(id, _)| id.as_str() != ballot)
            .map(|(id, b)| (id.to_string(), b.lifecycle.state().to_owned()))
            .collect(),
        witnesses: witness_report,
    })
}

/// What steps 2 to 5 found: the verified log and its replay.
struct Log {
    /// Every entry, parsed.
    entries: Vec<Entry>,
    /// Their leaf hashes.
    leaves: Vec<Hash>,
    /// The verified tree.
    hashes: MemoryHashes,
    /// How many tiles and entry bundles were checked.
    tiles: usize,
    /// How many issued checkpoints were checked (`None`: the bundle has
    /// no `checkpoints/` folder).
    issued: Option<usize>,
    /// How many documents were checked.
    documents: usize,
    /// How many of them were in the pack.
    packed: usize,
    /// How many of them the replay used.
    used: usize,
    /// The registry the replay folded.
    registry: GroupState,
    /// The ballots the replay folded.
    book: BallotBook,
}

/// Steps 2 to 5 (see the module documentation), on `scope`'s threads.
///
/// The entry bundles are read and parsed first, unverified, only to learn
/// the order in which the replay will need the documents and the keys
/// their signatures name: the verifiers start on those while this thread
/// verifies the tiles, the entries and the checkpoints, then replays the
/// log. Nothing read before its check is trusted: the tiles are verified
/// before any entry is used, and a signature verified in advance only
/// spares the replay a verification under exactly the key it would use.
fn check_log<'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    files: &dyn LogFiles,
    log_key: &VerifierKey,
    checkpoint: &Checkpoint,
    documents: &'scope Documents,
    advance: &'scope OnceLock<GroupState>,
    verified: &'scope VerifiedNotes,
) -> Result<Log, AuditError> {
    let lister = documents.start(scope);

    // The entries, before their check.
    let mut bundles = read_entry_bundles(files, checkpoint);
    let parsed = parse_entries(&bundles);
    let readers = lister
        .join()
        .expect("invariant: listing a folder does not panic");
    let mut verifiers = Vec::new();
    if let Ok(entries) = &parsed {
        let keys = GroupState::replay(entries.iter().map(|(_, e)| e)).ok();
        let keys = keys.map(|registry| advance.get_or_init(|| registry));
        verifiers = documents.order_by(scope, named_documents(entries), keys, verified);
    }

    // Step 2: every tile and bundle against the root, then the entries.
    let mut tiles = 0;
    verify_tiles(checkpoint.size(), checkpoint.root(), |tile| {
        tiles += 1;
        match tile.kind() {
            // Each entry bundle is read once, for the parse above and here:
            // one that could not be read then is missing, never read again
            // (the bytes checked must be the bytes parsed).
            TileKind::Entries => usize::try_from(tile.index())
                .ok()
                .and_then(|i| bundles.get_mut(i))
                .filter(|(read, _)| read == tile)
                .and_then(|(_, bytes)| bytes.take()),
            TileKind::Hash { .. } => files.read(Path::new(&tile.path())),
        }
    })
    .map_err(|e| AuditError::Tiles(StaticLogError::Tiles(e)))?;
    let (leaves, entries): (Vec<Hash>, Vec<Entry>) = parsed?
        .into_iter()
        .map(|(bytes, entry)| (leaf_hash(&bytes), entry))
        .unzip();
    // The tiles verified the checkpoint's entries; the replay must be of
    // exactly those, no fewer.
    if leaves.len() as u64 != checkpoint.size().get() {
        return Err(AuditError::EntryCount {
            read: leaves.len() as u64,
            size: checkpoint.size().get(),
        });
    }

    // Step 3: every checkpoint issued, against the verified tree.
    let hashes = MemoryHashes::from_leaf_hashes(&leaves);
    let issued = check_checkpoints(files.dir(), log_key, checkpoint, &hashes)?;

    // Steps 4 and 5: the replay of the whole log with the documents, each
    // taken from the readers and verifiers as the replay reaches it; then
    // the check of every document against its name, which comes first.
    let source = InOrder::new(documents);
    let replayed = replay_verified(
        checkpoint.origin().clone(),
        entries.iter(),
        &source,
        verified.clone(),
    );
    documents.replay_over();
    for thread in verifiers.into_iter().chain(readers) {
        thread
            .join()
            .expect("invariant: reading and verifying documents does not panic");
    }
    documents.finish()?;
    let (registry, book) = replayed.map_err(AuditError::Replay)?;
    let unused = source.unused();
    if !unused.is_empty() {
        return Err(AuditError::UnnamedDocuments(unused));
    }
    Ok(Log {
        tiles,
        issued,
        documents: documents.len(),
        packed: documents.packed(),
        used: source.used(),
        entries,
        leaves,
        hashes,
        registry,
        book,
    })
}

/// The entry bundles of the checkpoint's size, in order, read but not
/// checked (a missing one is `None`: the check of the tiles reports it).
fn read_entry_bundles(
    files: &dyn LogFiles,
    checkpoint: &Checkpoint,
) -> Vec<(Tile, Option<Vec<u8>>)> {
    tiles_for_size(checkpoint.size())
        .into_iter()
        .filter(|tile| tile.kind() == TileKind::Entries)
        .map(|tile| (tile, files.read(Path::new(&tile.path()))))
        .collect()
}

/// Every entry of the entry bundles, as bytes and parsed, in log order.
/// Called before the bundles are checked, so its error is reported only
/// once they are.
fn parse_entries(bundles: &[(Tile, Option<Vec<u8>>)]) -> Result<Vec<(Vec<u8>, Entry)>, AuditError> {
    let mut out = Vec::new();
    for (tile, bytes) in bundles {
        let Some(bytes) = bytes else {
            // Missing: the check of the tiles says so first.
            break;
        };
        let entries = decode_bundle(bytes, usize::from(tile.width()))
            .map_err(|e| AuditError::Tiles(StaticLogError::Bundle(e)))?;
        for bytes in entries {
            let index = out.len() as u64;
            let entry = Entry::parse(&bytes).map_err(|e| AuditError::Entry {
                index,
                reason: e.to_string(),
            })?;
            out.push((bytes, entry));
        }
    }
    Ok(out)
}

/// The documents the log names (vote notes, rolls, tallies, recipient
/// lists and documents voted on, stored beside the log:
/// [`documents_named`]), in log order: the order the replay asks for them
/// in.
fn named_documents(entries: &[(Vec<u8>, Entry)]) -> impl Iterator<Item = Hash> + '_ {
    entries.iter().flat_map(|(_, entry)| documents_named(entry))
}

/// Checks every `checkpoints/<size>` file; returns how many there are, or
/// `None` if the bundle has no `checkpoints/` folder.
fn check_checkpoints(
    dir: &Path,
    log_key: &VerifierKey,
    newest: &Checkpoint,
    hashes: &MemoryHashes,
) -> Result<Option<usize>, AuditError> {
    let folder = dir.join(CHECKPOINTS_DIR);
    if !folder.exists() {
        return Ok(None);
    }
    let mut count = 0;
    for (name, bytes) in read_folder(&folder)? {
        let bad = |reason: String| AuditError::CheckpointFile {
            name: name.clone(),
            reason,
        };
        let checkpoint = open_checkpoint(&bytes, log_key)
            .map_err(|e| bad(format!("not a checkpoint signed by the log key: {e}")))?
            .into_inner();
        let size = checkpoint.size().get();
        if name != size.to_string() {
            return Err(bad(format!(
                "is a checkpoint of size {size}, not of its name"
            )));
        }
        if checkpoint.size() > newest.size() {
            return Err(AuditError::CheckpointBeyond {
                name,
                size,
                newest: newest.size().get(),
            });
        }
        // The tree at `size` is a prefix of the verified tree: its root is
        // computed from the verified leaves. A signed root other than it at
        // the same size is a second history, whatever else holds.
        let expected = tree_hash(TreeSize::new(size), hashes)
            .expect("invariant: the size is at most the verified tree's");
        if *checkpoint.root() != expected {
            return Err(AuditError::SplitView {
                name: format!("{CHECKPOINTS_DIR}/{name}"),
                size,
                root: *checkpoint.root(),
                expected,
            });
        }
        count += 1;
    }
    Ok(Some(count))
}

/// The cosigned checkpoints a bundle holds: its `checkpoint` (with any
/// cosignature lines), every `cosigned/<size>` file, and the body of
/// every `cosigned-checkpoint` entry of the log.
fn cosigned_sources(dir: &Path, entries: &[Entry]) -> Result<Vec<Cosigned>, AuditError> {
    let mut sources = Vec::new();
    // The bundle's checkpoint counts only if it carries cosignatures (its
    // log signature was checked in step 1).
    let cosigned = |bytes: &[u8]| {
        crate::note::Note::parse(bytes, crate::note::Limits::CHECKPOINT)
            .is_ok_and(|n| n.signatures().len() > 1)
    };
    if let Ok(bytes) = fs::read(dir.join(staticlog::CHECKPOINT_FILE))
        && cosigned(&bytes)
    {
        sources.push(Cosigned {
            source: staticlog::CHECKPOINT_FILE.to_owned(),
            bytes,
        });
    }
    let folder = dir.join(COSIGNED_DIR);
    if folder.exists() {
        for (name, bytes) in read_folder(&folder)? {
            sources.push(Cosigned {
                source: format!("{COSIGNED_DIR}/{name}"),
                bytes,
            });
        }
    }
    for (index, entry) in entries.iter().enumerate() {
        if entry.kind() != COSIGNED_KIND {
            continue;
        }
        // The replay accepted it, so it parses.
        if let Ok(record) = CosignedRecord::from_entry(entry) {
            sources.push(Cosigned {
                source: format!("log entry {index}"),
                bytes: record.note,
            });
        }
    }
    Ok(sources)
}

/// The checkpoints of the receipts given that carry cosignature lines
/// (a receipt made from a cosigned checkpoint, C2SP tlog-proof): evidence
/// like any other cosigned checkpoint. A receipt that does not parse is
/// left to the receipt check, which says why.
fn receipt_cosigned(receipts: &[(String, Vec<u8>)]) -> Vec<Cosigned> {
    receipts
        .iter()
        .filter_map(|(name, bytes)| {
            let receipt = crate::tlog::receipt::Receipt::parse(bytes).ok()?;
            let checkpoint = receipt.signed_checkpoint();
            crate::note::Note::parse(checkpoint, crate::note::Limits::CHECKPOINT)
                .is_ok_and(|n| n.signatures().len() > 1)
                .then(|| Cosigned {
                    source: format!("receipt {name}"),
                    bytes: checkpoint.to_vec(),
                })
        })
        .collect()
}

/// `bundle.json`, if present and readable.
pub fn read_manifest(dir: &Path) -> Option<Manifest> {
    serde_json::from_slice(&fs::read(dir.join(MANIFEST_FILE)).ok()?).ok()
}

/// A file's name and bytes.
type NamedFile = (String, Vec<u8>);

/// The regular files of a folder, by name, with their bytes, sorted by
/// name. They are read on several threads: a bundle may hold a million
/// small documents, and reading them one after another leaves the disk
/// waiting most of the time.
fn read_folder(folder: &Path) -> Result<Vec<NamedFile>, AuditError> {
    /// Readers in flight: enough to keep a disk's queue busy.
    const READERS: usize = 8;
    let io = |path: &Path| {
        let path = path.to_owned();
        move |e: std::io::Error| AuditError::Io {
            path,
            reason: e.to_string(),
        }
    };
    let mut names = Vec::new();
    for item in fs::read_dir(folder).map_err(io(folder))? {
        let item = item.map_err(io(folder))?;
        names.push((item.file_name().to_string_lossy().into_owned(), item.path()));
    }
    names.sort();
    let chunk = names.len().div_ceil(READERS).max(1);
    let parts: Vec<Result<Vec<NamedFile>, AuditError>> = std::thread::scope(|scope| {
        let readers: Vec<_> = names
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(name, path)| Ok((name.clone(), read(path)?)))
                        .collect()
                })
            })
            .collect();
        readers
            .into_iter()
            .map(|r| r.join().expect("invariant: reading a file does not panic"))
            .collect()
    });
    let mut files = Vec::with_capacity(names.len());
    for part in parts {
        files.extend(part?);
    }
    Ok(files)
}

fn read(path: &Path) -> Result<Vec<u8>, AuditError> {
    fs::read(path).map_err(|e| AuditError::Io {
        path: path.to_owned(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
#[path = "verify_tests.rs"]
mod tests;
