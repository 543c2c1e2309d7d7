//! The bundle's documents (`documents.pack`, and the `documents/` folder
//! of bundles of version 1), read, named and verified while the rest of
//! the audit runs, and served to the replay in log order.
//!
//! The verifier's time goes to verifying a signature per vote; the replay
//! itself runs on one core. So the documents are handled by several
//! threads at once:
//!
//! - the *lister* reads the pack from start to end in large reads, names
//!   each document by the SHA-256 of its bytes ([`super::pack`]), then
//!   lists the folder, if any;
//! - *readers* ([`READERS`] of them, mostly waiting on the disk) read the
//!   folder's files, if any, first in the order listed, then in the order
//!   the log names the documents once that order is known, and check each
//!   against its SHA-256 name;
//! - *verifiers* (one per core but the replay's) take the documents the
//!   log names, in log order, at least [`VERIFY_LEAD`] ahead of the
//!   replay, and verify each vote note's signature strictly in advance
//!   ([`VerifiedNotes::verify_in_advance`]) under its signer's keys of the
//!   signature's key id, as the registry of the whole log lists them,
//!   keeping the parsed note for the replay when it is about to reach it
//!   ([`KEEP_PARSED_AHEAD`]);
//! - the replay ([`InOrder`], a [`DocumentSource`]) takes each document when
//!   it needs it, waiting only if a reader or a verifier is working on
//!   it, and otherwise reading it itself; its fold verifies the notes no
//!   verifier reached.
//!
//! The replay skips exactly the verifications recorded in advance (same
//! note bytes, same key) and verifies any other vote itself, so it accepts
//! exactly what strict verification accepts, whichever thread got to a
//! document first. Every document is named or checked against its name
//! whether or not the replay uses it, and a failed check is reported
//! before anything the replay says (`docs/formats.md` section 9: the
//! documents are step 4, the replay step 5).

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, OnceLock, PoisonError};
use std::thread::{Scope, ScopedJoinHandle};

use crate::ballot::{DocumentSource, Recorder, VerifiedNotes};
use crate::registry::GroupState;
use crate::tlog::Hash;

use super::bundle::DOCUMENTS_DIR;
use super::pack::{PACK_FILE, PackReader};
use super::verify::AuditError;

/// Readers of the folder in flight: enough to keep a disk's queue busy (a
/// bundle of version 1 may hold a million small files, and reading them
/// one after another leaves the disk waiting most of the time).
const READERS: usize = 8;

/// How far ahead of the replay (in the log's order of documents) a
/// verifier keeps the notes it parsed for the fold: the replay reaches
/// these soon, and a parsed note takes a few times the memory of its
/// bytes, so notes verified further ahead (while the log is still being
/// checked, before the replay starts) are parsed again by the fold
/// rather than held, about 1 KiB each, until it reaches them.
const KEEP_PARSED_AHEAD: usize = 1 << 14;

/// How far ahead of the replay a verifier that finds itself behind it (or
/// just ahead) moves on to. The replay verifies the notes it reaches that
/// no verifier has, so a verifier working on the very note the replay
/// needs next makes the replay sleep and be woken: once per note (a
/// million sleeps on a million votes) when they run neck and neck. Kept
/// this far apart, they meet about once per few hundred notes.
const VERIFY_LEAD: usize = 64;

/// Where a document is. Each step is taken by one thread, which claims it
/// with a compare-and-swap; only [`READ`] has two ways out.
mod state {
    /// Listed in the folder, not read yet.
    pub const UNREAD: u8 = 0;
    /// A thread is reading it.
    pub const READING: u8 = 1;
    /// Read and equal to its name (or read from the pack and named);
    /// its signature not yet looked at.
    pub const READ: u8 = 2;
    /// A verifier is verifying it in advance.
    pub const VERIFYING: u8 = 3;
    /// Ready for the replay: verified in advance (or not a vote, or taken
    /// by the replay to verify itself).
    pub const DONE: u8 = 4;
    /// Unreadable or not the document its name says (the error is kept).
    pub const FAILED: u8 = 5;
}

/// One listed document.
struct Slot {
    state: AtomicU8,
    bytes: OnceLock<Vec<u8>>,
    /// Whether a thread waits for its state to change (so that changing
    /// it wakes only when someone waits on this very document).
    awaited: AtomicBool,
}

/// The documents of the pack in file order, then those of the folder in
/// the order listed, by name (the SHA-256 of their bytes).
struct Listing {
    names: Vec<Hash>,
    slots: Vec<Slot>,
    /// How many come from the pack (the first ones).
    packed: usize,
    /// Where each name is in `names`.
    index: HashMap<Hash, usize>,
}

impl Listing {
    fn index(&self, name: &Hash) -> Option<usize> {
        self.index.get(name).copied()
    }
}

/// The documents of a bundle, shared by the readers, the verifiers and the
/// replay. See the module documentation.
pub(super) struct Documents {
    pack: PathBuf,
    folder: PathBuf,
    listing: OnceLock<Listing>,
    /// The listed documents the log names, by index, in the order the log
    /// names them: the order the replay asks for them.
    order: OnceLock<Vec<usize>>,
    /// Each listed document's position in `order`, if there.
    position: OnceLock<Vec<Option<usize>>>,
    /// The readers' next position in the order listed.
    by_name: AtomicUsize,
    /// The readers' next position in [`Documents::order`].
    read_in_order: AtomicUsize,
    /// The verifiers' next position in [`Documents::order`].
    verify_in_order: AtomicUsize,
    /// The replay's next position in [`Documents::order`], as far as the
    /// verifiers need to know it.
    replay_in_order: AtomicUsize,
    /// Every thread stops taking documents: the audit has failed before
    /// the documents' step.
    stop: AtomicBool,
    /// The verifiers stop: the replay is over.
    replay_over: AtomicBool,
    /// The failed checks, with the file each is about (its path in the
    /// bundle, which orders them).
    errors: Mutex<Vec<(String, AuditError)>>,
    /// Threads waiting for a document to change state wait here (a
    /// thread only waits while another works on that document).
    lock: Mutex<()>,
    changed: Condvar,
}

impl Documents {
    /// The documents of the bundle in `dir`, none read yet.
    pub(super) fn new(dir: &Path) -> Self {
        Self {
            pack: dir.join(PACK_FILE),
            folder: dir.join(DOCUMENTS_DIR),
            listing: OnceLock::new(),
            order: OnceLock::new(),
            position: OnceLock::new(),
            by_name: AtomicUsize::new(0),
            read_in_order: AtomicUsize::new(0),
            verify_in_order: AtomicUsize::new(0),
            replay_in_order: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
            replay_over: AtomicBool::new(false),
            errors: Mutex::new(Vec::new()),
            lock: Mutex::new(()),
            changed: Condvar::new(),
        }
    }

    /// Reads the pack and lists the folder on a thread of `scope`, then
    /// starts the readers of the folder's files there, if any. Join the
    /// handle before [`Documents::order_by`]; it gives the readers'
    /// handles, to join before [`Documents::finish`].
    pub(super) fn start<'scope>(
        &'scope self,
        scope: &'scope Scope<'scope, '_>,
    ) -> ScopedJoinHandle<'scope, Vec<ScopedJoinHandle<'scope, ()>>> {
        scope.spawn(move || {
            let listing = self.list();
            let unread = listing.slots.len() > listing.packed;
            self.listing
                .set(listing)
                .unwrap_or_else(|_| unreachable!("invariant: the folder is listed once"));
            if !unread {
                return Vec::new();
            }
            (0..READERS)
                .map(|_| scope.spawn(|| self.read_all()))
                .collect()
        })
    }

    /// The pack's documents, read and named, then the folder's by name.
    /// A fault of the pack ends it (the documents before it are kept); a
    /// name that is not a SHA-256, or a document in both, is a failed
    /// check; a folder that cannot be listed holds nothing else.
    fn list(&self) -> Listing {
        let mut names = Vec::new();
        let mut slots = Vec::new();
        let mut index = HashMap::new();
        match fs::File::open(&self.pack) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => self.fail(PACK_FILE.to_owned(), io_error(&self.pack, &e)),
            Ok(file) => {
                let mut reader = PackReader::new(file);
                for packed in reader.by_ref() {
                    match packed {
                        Ok(packed) => {
                            names.push(packed.sha256);
                            slots.push(Slot::new(state::READ, Some(packed.bytes)));
                        }
                        Err(e) => self.fail(PACK_FILE.to_owned(), AuditError::Pack(e)),
                    }
                }
                // The pack's index is by position in the pack: the
                // listing's first positions.
                index = reader.into_index();
            }
        }
        let packed = names.len();
        for name in self.list_folder() {
            if index.contains_key(&name) {
                let hex = name.to_hex();
                self.fail(
                    format!("{DOCUMENTS_DIR}/{hex}"),
                    AuditError::Document {
                        name: hex,
                        reason: format!(
                            "the document is also in {PACK_FILE}: a bundle holds each \
                             document once"
                        ),
                    },
                );
                continue;
            }
            index.insert(name, names.len());
            names.push(name);
            slots.push(Slot::new(state::UNREAD, None));
        }
        Listing {
            names,
            slots,
            packed,
            index,
        }
    }

    /// The names of the folder's files, each a SHA-256 (any other name is
    /// a failed check).
    fn list_folder(&self) -> Vec<Hash> {
        let mut names = Vec::new();
        if !self.folder.exists() {
            return names;
        }
        let items = match fs::read_dir(&self.folder) {
            Ok(items) => items,
            Err(e) => {
                self.fail(String::new(), io_error(&self.folder, &e));
                return names;
            }
        };
        for item in items {
            let item = match item {
                Ok(item) => item,
                Err(e) => {
                    self.fail(String::new(), io_error(&self.folder, &e));
                    break;
                }
            };
            let name = item.file_name().to_string_lossy().into_owned();
            match Hash::from_hex(&name).ok().filter(|h| h.to_hex() == name) {
                Some(hash) => names.push(hash),
                None => self.fail(
                    format!("{DOCUMENTS_DIR}/{name}"),
                    AuditError::Document {
                        name,
                        reason: "a document's name is the 64 lowercase hexadecimal digits of \
                                 its SHA-256"
                            .into(),
                    },
                ),
            }
        }
        names
    }

    fn listing(&self) -> &Listing {
        self.listing
            .get()
            .expect("invariant: the listing thread was joined before the listing is used")
    }

    /// How many documents the bundle holds (read from the pack and listed
    /// in the folder).
    pub(super) fn len(&self) -> usize {
        self.listing().names.len()
    }

    /// How many of them come from the pack.
    pub(super) fn packed(&self) -> usize {
        self.listing().packed
    }

    /// Sets the order the replay will ask for documents in (`named`: every
    /// SHA-256 the log names, in log order; those not listed are left
    /// out), then starts one verifier per core but the replay's, which
    /// verify the vote notes among them in advance under the keys of
    /// `registry`. Without a registry (the log's registry does not fold)
    /// nothing is verified in advance: the replay reports the log.
    pub(super) fn order_by<'scope>(
        &'scope self,
        scope: &'scope Scope<'scope, '_>,
        named: impl IntoIterator<Item = Hash>,
        registry: Option<&'scope GroupState>,
        verified: &'scope VerifiedNotes,
    ) -> Vec<ScopedJoinHandle<'scope, ()>> {
        let listing = self.listing();
        let mut seen = vec![false; listing.names.len()];
        let order: Vec<usize> = named
            .into_iter()
            .filter_map(|name| listing.index(&name))
            .filter(|&i| !std::mem::replace(&mut seen[i], true))
            .collect();
        let mut position = vec![None; listing.names.len()];
        for (p, &i) in order.iter().enumerate() {
            position[i] = Some(p);
        }
        let (Ok(()), Ok(())) = (self.order.set(order), self.position.set(position)) else {
            unreachable!("invariant: the order is set once")
        };
        let Some(registry) = registry else {
            return Vec::new();
        };
        // One core is the replay's: it verifies what the verifiers have
        // not reached, so a verifier more would only take turns with it.
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        (0..threads.saturating_sub(1).max(1))
            .map(|_| scope.spawn(move || self.verify_all(registry, verified)))
            .collect()
    }

    /// A reader of the folder: documents in log order once it is known,
    /// the rest in the order listed (those of the pack are read already).
    fn read_all(&self) {
        let listing = self.listing();
        while !self.stop.load(Ordering::Relaxed) {
            let next = self
                .order
                .get()
                .and_then(|order| order.get(self.read_in_order.fetch_add(1, Ordering::Relaxed)))
                .copied()
                .or_else(|| {
                    let i = self.by_name.fetch_add(1, Ordering::Relaxed);
                    (i < listing.names.len()).then_some(i)
                });
            let Some(i) = next else {
                return;
            };
            if self.claim(i, state::UNREAD, state::READING) {
                self.read_one(i, state::READ);
            }
        }
    }

    /// A verifier: the documents the log names, in log order.
    fn verify_all(&self, registry: &GroupState, verified: &VerifiedNotes) {
        let listing = self.listing();
        let order = self
            .order
            .get()
            .expect("invariant: set before the verifiers");
        while !self.stop.load(Ordering::Relaxed) && !self.replay_over.load(Ordering::Relaxed) {
            let lead = self.replay_in_order.load(Ordering::Relaxed) + VERIFY_LEAD;
            self.verify_in_order.fetch_max(lead, Ordering::Relaxed);
            let p = self.verify_in_order.fetch_add(1, Ordering::Relaxed);
            let Some(&i) = order.get(p) else {
                return;
            };
            let keep_parsed = p < self.replay_in_order.load(Ordering::Relaxed) + KEEP_PARSED_AHEAD;
            if self.claim(i, state::UNREAD, state::READING) {
                self.read_one(i, state::READ);
            }
            if self.wait_while(i, state::READING) != state::READ
                || !self.claim(i, state::READ, state::VERIFYING)
            {
                continue;
            }
            let bytes = listing.slots[i].bytes.get().expect("invariant: read");
            verified.verify_with_registry(bytes, registry, Recorder::Replaying { keep_parsed });
            self.set(i, state::DONE);
        }
    }

    /// Reads document `i` (claimed by this thread), checks it against its
    /// name, and leaves it in state `then`, or [`state::FAILED`].
    fn read_one(&self, i: usize, then: u8) {
        let listing = self.listing();
        let name = &listing.names[i];
        let path = self.folder.join(name.to_hex());
        let checked = read_file(&path)
            .map_err(|e| io_error(&path, &e))
            .and_then(|bytes| {
                let actual = Hash::sha256(&bytes);
                if actual == *name {
                    Ok(bytes)
                } else {
                    Err(AuditError::Document {
                        name: name.to_hex(),
                        reason: format!(
                            "its SHA-256 is {}: the document is not the one the log names \
                             (altered)",
                            actual.to_hex()
                        ),
                    })
                }
            });
        match checked {
            Ok(bytes) => {
                listing.slots[i]
                    .bytes
                    .set(bytes)
                    .unwrap_or_else(|_| unreachable!("invariant: read once, by its claimer"));
                self.set(i, then);
            }
            Err(error) => {
                self.fail(format!("{DOCUMENTS_DIR}/{}", name.to_hex()), error);
                self.set(i, state::FAILED);
            }
        }
    }

    /// Moves document `i` from `from` to `to` if it is in `from`; returns
    /// whether this thread did.
    fn claim(&self, i: usize, from: u8, to: u8) -> bool {
        self.listing().slots[i]
            .state
            .compare_exchange(from, to, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// Puts document `i` (claimed by this thread) in `to`, and wakes any
    /// thread waiting on it.
    fn set(&self, i: usize, to: u8) {
        let slot = &self.listing().slots[i];
        slot.state.store(to, Ordering::SeqCst);
        // A waiter marks the document under the lock before it looks at
        // the state, so either it sees the new state or it is marked here
        // and sleeps until the lock is released to it by `notify_all`.
        if slot.awaited.load(Ordering::SeqCst) {
            drop(self.lock.lock().unwrap_or_else(PoisonError::into_inner));
            self.changed.notify_all();
        }
    }

    /// Waits while document `i` is in state `busy` (another thread is
    /// working on it); returns the state it is then in.
    fn wait_while(&self, i: usize, busy: u8) -> u8 {
        let slot = &self.listing().slots[i];
        let now = slot.state.load(Ordering::Acquire);
        if now != busy {
            return now;
        }
        let mut guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        // Once marked, a document stays marked: a later change wakes the
        // waiters for nothing, which is rare and harmless.
        slot.awaited.store(true, Ordering::SeqCst);
        loop {
            let now = slot.state.load(Ordering::SeqCst);
            if now != busy {
                return now;
            }
            guard = self
                .changed
                .wait(guard)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    fn fail(&self, name: String, error: AuditError) {
        self.errors
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((name, error));
    }

    /// Stops every thread: the audit failed before the documents' step.
    pub(super) fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    /// Stops the verifiers: the replay is over.
    pub(super) fn replay_over(&self) {
        self.replay_over.store(true, Ordering::Relaxed);
    }

    /// The result of the documents' step, once the readers are joined:
    /// the failed check of the first file by path in the bundle (the
    /// pack's before the folder's), if any.
    pub(super) fn finish(&self) -> Result<(), AuditError> {
        let mut errors =
            std::mem::take(&mut *self.errors.lock().unwrap_or_else(PoisonError::into_inner));
        errors.sort_by(|a, b| a.0.cmp(&b.0));
        match errors.into_iter().next() {
            Some((_, error)) => Err(error),
            None => Ok(()),
        }
    }

    /// Document `name` for the replay: its bytes once no other thread
    /// works on it, or `None` if it is not listed or failed its check.
    /// `next` is where the replay is in [`Documents::order`]: the document
    /// there is looked at first.
    fn take(&self, name: &Hash, next: &Cell<usize>) -> Option<(usize, &[u8])> {
        let listing = self.listing();
        let i = match self.order.get().and_then(|o| o.get(next.get())) {
            Some(&i) if listing.names[i] == *name => i,
            _ => listing.index(name)?,
        };
        if let Some(p) = self.position.get().and_then(|p| p[i]) {
            next.set(p + 1);
            self.replay_in_order.store(p + 1, Ordering::Relaxed);
        }
        if self.claim(i, state::UNREAD, state::READING) {
            self.read_one(i, state::DONE);
        }
        loop {
            match self.wait_while(i, state::READING) {
                // Not verified in advance: the replay verifies it itself.
                state::READ if !self.claim(i, state::READ, state::DONE) => continue,
                state::READ | state::DONE => break,
                state::VERIFYING => {
                    self.wait_while(i, state::VERIFYING);
                }
                _ => return None,
            }
        }
        Some((i, listing.slots[i].bytes.get()?.as_slice()))
    }
}

impl Slot {
    fn new(state: u8, bytes: Option<Vec<u8>>) -> Self {
        Self {
            state: AtomicU8::new(state),
            bytes: bytes.map_or_else(OnceLock::new, OnceLock::from),
            awaited: AtomicBool::new(false),
        }
    }
}

/// The [`DocumentSource`] of the replay over [`Documents`], which records how
/// many documents the replay used.
pub(super) struct InOrder<'a> {
    documents: &'a Documents,
    used: RefCell<Vec<bool>>,
    count: Cell<usize>,
    /// The position in the log's order after the last document taken.
    next: Cell<usize>,
}

impl<'a> InOrder<'a> {
    /// The replay's source over `documents` (listed).
    pub(super) fn new(documents: &'a Documents) -> Self {
        Self {
            documents,
            used: RefCell::new(vec![false; documents.len()]),
            count: Cell::new(0),
            next: Cell::new(0),
        }
    }

    /// How many distinct documents the replay used.
    pub(super) fn used(&self) -> usize {
        self.count.get()
    }

    /// The names of the documents the replay never asked for, in the
    /// order listed: documents the log does not need (a note never
    /// logged, say), which a bundle must not hold.
    pub(super) fn unused(&self) -> Vec<Hash> {
        let names = &self.documents.listing().names;
        self.used
            .borrow()
            .iter()
            .zip(names)
            .filter(|(used, _)| !**used)
            .map(|(_, name)| *name)
            .collect()
    }
}

impl DocumentSource for InOrder<'_> {
    fn get(&self, sha256: &Hash) -> Option<Cow<'_, [u8]>> {
        let (i, bytes) = self.documents.take(sha256, &self.next)?;
        if !std::mem::replace(&mut self.used.borrow_mut()[i], true) {
            self.count.set(self.count.get() + 1);
        }
        Some(Cow::Borrowed(bytes))
    }
}

/// A file's bytes, as [`fs::read`] gives them, in one system call fewer:
/// a document is small, so it is read into a buffer until the end without
/// asking its size first (a million documents make that call count).
fn read_file(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut file = fs::File::open(path)?;
    let mut bytes = Vec::new();
    let mut buffer = [0; 8192];
    loop {
        match file.read(&mut buffer) {
            Ok(0) => return Ok(bytes),
            Ok(n) => bytes.extend_from_slice(&buffer[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

fn io_error(path: &Path, e: &std::io::Error) -> AuditError {
    AuditError::Io {
        path: path.to_owned(),
        reason: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `documents` to the end with no verifiers, as a failed log
    /// would: every listed file is still checked.
    fn check_all(documents: &Documents, named: &[Hash]) {
        let verified = VerifiedNotes::default();
        std::thread::scope(|scope| {
            let readers = documents.start(scope).join().expect("listing");
            let verifiers = documents.order_by(scope, named.iter().copied(), None, &verified);
            assert!(verifiers.is_empty(), "no registry, no verifiers");
            for reader in readers {
                reader.join().expect("a reader");
            }
        });
    }

    #[test]
    fn every_file_is_checked_and_the_first_failure_by_name_is_reported() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let folder = dir.path().join(DOCUMENTS_DIR);
        fs::create_dir(&folder).expect("documents/");
        let good: Vec<Vec<u8>> = (0..50).map(|i| format!("doc {i}\n").into_bytes()).collect();
        for bytes in &good {
            fs::write(folder.join(Hash::sha256(bytes).to_hex()), bytes).expect("write");
        }
        let documents = Documents::new(dir.path());
        check_all(&documents, &[]);
        assert_eq!(documents.len(), 50);
        assert!(documents.finish().is_ok());
        let source = InOrder::new(&documents);
        for bytes in good.iter().chain(&good) {
            let got = source
                .get(&Hash::sha256(bytes))
                .expect("listed and checked");
            assert_eq!(&*got, bytes.as_slice());
        }
        assert_eq!(source.used(), 50, "each document counts once");
        assert!(source.get(&Hash::sha256(b"not listed")).is_none());

        // An altered document and a badly named one: the first by name is
        // reported, whichever thread found it; the altered one is never
        // served.
        let altered = Hash::sha256(&good[0]);
        fs::write(folder.join(altered.to_hex()), b"altered\n").expect("write");
        fs::write(folder.join("zz-not-a-hash"), b"x").expect("write");
        let documents = Documents::new(dir.path());
        check_all(&documents, &[altered]);
        let source = InOrder::new(&documents);
        assert!(source.get(&altered).is_none());
        let error = documents.finish().expect_err("an altered document");
        assert!(
            matches!(&error, AuditError::Document { name, .. } if *name == altered.to_hex()),
            "{error}"
        );
    }

    #[test]
    fn the_replay_reads_what_no_reader_reached() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let folder = dir.path().join(DOCUMENTS_DIR);
        fs::create_dir(&folder).expect("documents/");
        let bytes = b"a document\n";
        fs::write(folder.join(Hash::sha256(bytes).to_hex()), bytes).expect("write");
        let documents = Documents::new(dir.path());
        std::thread::scope(|scope| {
            // The readers are stopped before they start: the replay reads
            // the document itself.
            documents.stop();
            let readers = documents.start(scope).join().expect("listing");
            for reader in readers {
                reader.join().expect("a reader");
            }
        });
        let source = InOrder::new(&documents);
        assert_eq!(
            source.get(&Hash::sha256(bytes)).as_deref(),
            Some(&bytes[..])
        );
        assert!(documents.finish().is_ok());
    }
}
