//! The storage fault-injection table, in the manner of Sunlight's sequencer
//! tests: every storage step of an append (`crate::store::fault::Step`)
//! fails once, as "lost" (the write did not happen, an error is returned)
//! and as "landed" (the write happened, an error is returned all the same),
//! and the commit also as "lost silently" (success reported, nothing
//! stored). For each case the table says what the client must be told,
//! whether the log must keep progressing, and whether the failed batch's
//! entry ends up in storage; the test checks that, and in every case that
//! storage is consistent (entries, stored hashes, every checkpoint and the
//! documents beside the entries agree), that the sequencer's memory agrees
//! with storage, that no acknowledged entry is missing unless storage lied
//! about a commit, and that a restarted sequencer appends again.
//!
//! The expectations follow the crash story in `src/server/sequencer/mod.rs`:
//! every failure before the commit rolls the whole batch back ("batch
//! failed", retry is safe); a failed commit is "outcome unknown" whether or
//! not it landed, and memory is rebuilt from storage before the next batch;
//! a commit that storage reported durable but lost is found at the next
//! batch (storage holds fewer entries than were acknowledged) and halts the
//! log with that reason.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use super::clock::Clock;
use super::sequencer::{AppendError, Appended, BatchPolicy, Decided, GroupLog, LogFold};
use crate::ballot::DocumentSource;
use crate::entry::Entry;
use crate::note::key::SigningKey;
use crate::store::Store;
use crate::store::documents::{Document, DocumentKind};
use crate::store::fault::{Mode, Step};
use crate::time::Timestamp;
use crate::tlog::checkpoint::{Checkpoint, Origin, open_checkpoint, sign_checkpoint};
use crate::tlog::tree::{root_of_leaves, stored_hash_count, tree_hash};
use crate::tlog::{Hash, TreeSize, empty_root, leaf_hash};

const GROUP: &str = "g";
const ORIGIN: &str = "example.org/faults/g";

/// A fold that keeps each entry's `n` header and refuses an entry whose
/// document is not at hand: a stored entry without its document halts the
/// log, so the table also checks that documents land with their entries.
struct Numbers(Vec<String>);

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Missing(String);

fn document_of(entry: &Entry) -> Hash {
    let text = entry.get("document").expect("every test entry names one");
    Hash::from_hex(text).expect("a hexadecimal SHA-256")
}

impl LogFold for Numbers {
    type Refusal = Missing;

    fn empty(_: &Origin) -> Self {
        Self(Vec::new())
    }

    type Published = Vec<String>;

    fn publish(&self, _: Option<&Arc<Vec<String>>>) -> Arc<Vec<String>> {
        Arc::new(self.0.clone())
    }

    fn apply(&mut self, _: &Entry) -> Result<(), Missing> {
        Err(Missing("a test entry comes with its document".to_owned()))
    }

    fn apply_decided(
        &mut self,
        entry: &Entry,
        documents: &dyn DocumentSource,
    ) -> Result<(), Missing> {
        let wanted = document_of(entry);
        let found = documents
            .get(&wanted)
            .ok_or_else(|| Missing(format!("document {} is not stored", wanted.to_hex())))?;
        if Hash::sha256(&found) != wanted {
            return Err(Missing("a document does not match its hash".to_owned()));
        }
        self.0.push(entry.get("n").expect("a number").to_owned());
        Ok(())
    }

    fn documents_named(entry: &Entry) -> Vec<Hash> {
        vec![document_of(entry)]
    }
}

/// What the client is told about the batch that met the fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Told {
    /// "Nothing was recorded, send again."
    BatchFailed,
    /// "The outcome is unknown, look or send again."
    Unknown,
    /// A receipt (storage claimed durability).
    Receipt,
}

/// One row of the table.
struct Case {
    step: Step,
    mode: Mode,
    told: Told,
    /// Whether the next append succeeds in the same process; if not, the
    /// log is halted with a reason (fatal).
    progresses: bool,
    /// Whether the faulty batch's entry is in storage afterwards.
    stored: bool,
}

const fn case(step: Step, mode: Mode, told: Told, progresses: bool, stored: bool) -> Case {
    Case {
        step,
        mode,
        told,
        progresses,
        stored,
    }
}

/// The table: every write step in both modes, and the lying commit.
const TABLE: [Case; 15] = [
    case(Step::Begin, Mode::Lost, Told::BatchFailed, true, false),
    case(Step::Begin, Mode::Landed, Told::BatchFailed, true, false),
    case(Step::Documents, Mode::Lost, Told::BatchFailed, true, false),
    case(
        Step::Documents,
        Mode::Landed,
        Told::BatchFailed,
        true,
        false,
    ),
    case(Step::Entries, Mode::Lost, Told::BatchFailed, true, false),
    case(Step::Entries, Mode::Landed, Told::BatchFailed, true, false),
    case(Step::Hashes, Mode::Lost, Told::BatchFailed, true, false),
    case(Step::Hashes, Mode::Landed, Told::BatchFailed, true, false),
    case(Step::Checkpoint, Mode::Lost, Told::BatchFailed, true, false),
    case(
        Step::Checkpoint,
        Mode::Landed,
        Told::BatchFailed,
        true,
        false,
    ),
    case(Step::Head, Mode::Lost, Told::BatchFailed, true, false),
    case(Step::Head, Mode::Landed, Told::BatchFailed, true, false),
    case(Step::Commit, Mode::Lost, Told::Unknown, true, false),
    case(Step::Commit, Mode::Landed, Told::Unknown, true, true),
    case(
        Step::Commit,
        Mode::LostSilently,
        Told::Receipt,
        false,
        false,
    ),
];

fn time() -> Timestamp {
    Timestamp::parse("2026-06-01T00:00:00Z").expect("a time")
}

fn log_key() -> SigningKey {
    let origin = Origin::new(ORIGIN).expect("an origin");
    SigningKey::from_seed(origin.key_name().clone(), &[7; 32])
}

/// A store on a new SQLite file with the empty log of [`GROUP`].
async fn new_store(dir: &std::path::Path) -> (Store, String) {
    let url = format!("sqlite:{}", dir.join("faults.db").display());
    let store = Store::open(&url).await.expect("open the store");
    let origin = Origin::new(ORIGIN).expect("an origin");
    let empty = Checkpoint::new(origin.clone(), TreeSize::ZERO, empty_root(), Vec::new())
        .and_then(|c| sign_checkpoint(&c, &log_key()))
        .expect("sign");
    assert!(
        store
            .create_log(GROUP, ORIGIN, &empty)
            .await
            .expect("create")
    );
    (store, url)
}

fn start(store: &Store) -> Arc<GroupLog<Numbers>> {
    GroupLog::start(
        GROUP.to_owned(),
        Origin::new(ORIGIN).expect("an origin"),
        log_key(),
        store.clone(),
        Arc::new(Clock::simulated(time())),
        BatchPolicy {
            interval: StdDuration::from_millis(1),
            max_entries: 16,
        },
        None,
        None,
    )
}

/// Appends entry `n` with its document.
async fn append(log: &GroupLog<Numbers>, n: &str) -> Result<Appended, AppendError> {
    let n = n.to_owned();
    let mut appended = log
        .submit(Box::new(move |_, time| {
            let document = Document::new(
                format!("document {n}").into_bytes(),
                "B1",
                DocumentKind::Note,
            );
            let entry = Entry::new("test", time)
                .header("n", &n)
                .header("document", document.sha256.to_hex());
            Ok(Decided {
                entries: vec![entry],
                documents: vec![document],
                value: (),
                receipt: None,
            })
        }))
        .await?
        .appended;
    assert_eq!(appended.len(), 1);
    Ok(appended.pop().expect("one receipt"))
}

fn told(result: &Result<Appended, AppendError>) -> Told {
    match result {
        Ok(_) => Told::Receipt,
        Err(AppendError::BatchFailed(_)) => Told::BatchFailed,
        Err(AppendError::Unknown(_)) => Told::Unknown,
        Err(e) => panic!("unexpected answer: {e}"),
    }
}

/// Storage as a restarted server would find it: the numbers of the stored
/// entries, after checking that entries, stored hashes, every checkpoint
/// and the documents agree.
async fn stored_numbers(url: &str) -> Vec<String> {
    let store = Store::open(url).await.expect("reopen");
    let head = store.head(GROUP).await.expect("head").expect("the log");
    let entries = store
        .entries(GROUP, 0, u64::MAX >> 1)
        .await
        .expect("entries");
    assert_eq!(
        entries.len() as u64,
        head.size,
        "the head counts the entries"
    );
    let (_, hashes) = store.counts(GROUP).await.expect("counts");
    let size = TreeSize::new(head.size);
    assert_eq!(hashes, stored_hash_count(size), "one row per stored hash");
    let stored = store
        .hashes_range(GROUP, 0, hashes)
        .await
        .expect("stored hashes");
    let leaves: Vec<Hash> = entries.iter().map(|e| leaf_hash(e)).collect();
    let verifier = log_key().verifier_key();
    for (k, signed) in store.checkpoints(GROUP).await.expect("checkpoints") {
        let checkpoint = open_checkpoint(&signed, &verifier)
            .expect("a checkpoint signed by the log key")
            .into_inner();
        assert_eq!(checkpoint.size().get(), k);
        let prefix = usize::try_from(k).expect("small");
        assert_eq!(
            *checkpoint.root(),
            root_of_leaves(&leaves[..prefix]),
            "checkpoint {k} is consistent with the stored entries"
        );
        assert_eq!(
            *checkpoint.root(),
            tree_hash(TreeSize::new(k), stored.as_slice()).expect("stored hashes"),
            "checkpoint {k} matches the stored hashes"
        );
        if k == head.size {
            assert_eq!(signed, head.checkpoint, "the head is the latest checkpoint");
        }
    }
    let mut numbers = Vec::new();
    for (index, bytes) in entries.iter().enumerate() {
        let entry = Entry::parse(bytes).expect("a stored entry");
        let document = store
            .document(GROUP, &document_of(&entry), Some(index as u64))
            .await
            .expect("read a document");
        assert!(
            document.is_some_and(|d| d.entry == Some(index as u64)),
            "a stored entry's document is stored under it"
        );
        numbers.push(entry.get("n").expect("a number").to_owned());
    }
    store.close().await;
    numbers
}

async fn run_case(case: &Case) -> String {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (store, url) = new_store(dir.path()).await;
    let log = start(&store);
    let mut acknowledged = Vec::new();
    for n in ["a0", "a1", "a2"] {
        let appended = append(&log, n).await.expect("an append before the fault");
        acknowledged.push((appended.index, n.to_owned()));
    }

    store.faults().arm(case.step, case.mode);
    let faulty = append(&log, "x").await;
    let label = format!("{:?} {:?}", case.step, case.mode);
    assert!(!store.faults().armed(), "{label}: the fault fired");
    assert_eq!(told(&faulty), case.told, "{label}: {faulty:?}");
    if faulty.is_err() {
        // A failed or unknown commit never shows in the published view.
        let view = log.published().expect("a log that served appends");
        assert!(
            !view.iter().any(|n| n == "x"),
            "{label}: the view shows an entry whose commit failed: {view:?}"
        );
    }
    let next = append(&log, "y").await;
    let halted = match &next {
        Ok(appended) => {
            assert!(case.progresses, "{label}: the log went on: {appended:?}");
            assert_eq!(
                appended.index,
                3 + u64::from(case.stored),
                "{label}: the next entry follows what storage holds"
            );
            acknowledged.push((appended.index, "y".to_owned()));
            None
        }
        Err(AppendError::Halted(reason)) => {
            assert!(!case.progresses, "{label}: halted: {reason}");
            assert!(
                log.read(|_| ()).await.is_err(),
                "{label}: a halted log stays halted"
            );
            assert!(
                log.published().is_none(),
                "{label}: a halted log publishes no view"
            );
            Some(reason.clone())
        }
        Err(e) => panic!("{label}: the next append: {e}"),
    };
    if let Ok(x) = &faulty {
        acknowledged.push((x.index, "x".to_owned()));
    }

    let numbers = stored_numbers(&url).await;
    let mut expected = vec!["a0", "a1", "a2"];
    if case.stored {
        expected.push("x");
    }
    if case.progresses {
        expected.push("y");
        // Memory agrees with storage.
        let in_memory = log
            .read(|loaded| (loaded.size, loaded.state.0.clone()))
            .await
            .expect("a served log");
        assert_eq!(
            in_memory,
            (numbers.len() as u64, numbers.clone()),
            "{label}"
        );
        // The published view is what storage holds, never ahead of it.
        assert_eq!(
            log.published().as_deref(),
            Some(&numbers),
            "{label}: the published view"
        );
    }
    assert_eq!(numbers, expected, "{label}: what storage holds");
    for (index, n) in &acknowledged {
        let durable = numbers.get(*index as usize) == Some(n);
        // Only a commit that storage reported durable but lost breaks
        // this, and the log halts on it.
        assert!(
            durable || (halted.is_some() && n == "x"),
            "{label}: acknowledged entry {n} at {index} is not in storage"
        );
    }

    // A restart on the same storage appends again (a lost silent commit
    // cannot be seen from storage alone: only the receipt holder can tell,
    // by a checkpoint inconsistent with the one in the receipt).
    drop(log);
    store.close().await;
    let store = Store::open(&url).await.expect("reopen");
    let restarted = start(&store);
    let after = append(&restarted, "z")
        .await
        .unwrap_or_else(|e| panic!("{label}: an append after a restart: {e}"));
    assert_eq!(after.index, expected.len() as u64, "{label}");
    store.close().await;

    format!(
        "| {:?} | {:?} | {:?} | {} | {} |",
        case.step,
        case.mode,
        case.told,
        match halted {
            None => "progresses".to_owned(),
            Some(reason) => format!("fatal: halted ({reason})"),
        },
        if case.stored { "yes" } else { "no" }
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_storage_step_fails_lost_and_landed() {
    let mut rows = Vec::new();
    for case in &TABLE {
        rows.push(run_case(case).await);
    }
    // Shown with `--nocapture`: the table of docs/threat-model.md.
    eprintln!("| step | mode | client told | then | entry stored |");
    for row in rows {
        eprintln!("{row}");
    }
}

/// Documents stored before each was kept under its entry (index -1, as
/// the migrations leave them) are found by hash when a log is folded from
/// storage again, and the log goes on, storing new ones under their entry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_stored_without_their_entry_are_found_by_hash() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (store, _) = new_store(dir.path()).await;
    let first = start(&store);
    for n in ["a0", "a1"] {
        append(&first, n).await.expect("an append");
    }
    sqlx::query("UPDATE documents SET idx = -1")
        .execute(store.pool())
        .await
        .expect("unplace the documents");
    // A new log over the same storage folds it from the start.
    let second = start(&store);
    let appended = append(&second, "a2")
        .await
        .expect("an append after the fold");
    assert_eq!(appended.index, 2);
    let placed = store
        .documents_named_in(GROUP, 0, 3)
        .await
        .expect("read by entry");
    assert_eq!(
        placed.iter().map(|d| d.entry).collect::<Vec<_>>(),
        [Some(2)],
        "only the new document is under its entry"
    );
    let hashes: Vec<Hash> = ["a0", "a1"]
        .iter()
        .map(|n| Hash::sha256(format!("document {n}").as_bytes()))
        .collect();
    let loose = store.documents(GROUP, &hashes).await.expect("read by hash");
    assert_eq!(loose.len(), 2, "the two older documents, by hash");
}
