//! The storage contract (`src/store/mod.rs`), one suite run against both
//! backends: SQLite on a temporary file and PostgreSQL on a fresh database
//! of a temporary cluster (`tests/common/pg.rs`; skipped with a note when
//! PostgreSQL is not installed, unless `SCRUTINEER_REQUIRE_POSTGRES` is set).
//!
//! Each contract case is an async function over a [`Db`], which opens as
//! many [`Store`]s (connection pools) on one database as a case needs: two
//! stores model two server processes.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::pg::TempPostgres;
use scrutineer::note::key::SigningKey;
use scrutineer::store::accounts::Account;
use scrutineer::store::append::{AppendBatch, AppendTx};
use scrutineer::store::documents::{Document, DocumentKind};
use scrutineer::store::outbox::{Notice, OutboxChange, OutboxState};
use scrutineer::store::private_outbox::{RECEIPT, ReceiptOwed};
use scrutineer::store::web::{KeyRequest, StoredSession};
use scrutineer::store::{Dialect, LogHead, Settlement, Store, StoreError};
use scrutineer::tlog::checkpoint::{Checkpoint, Origin, open_checkpoint, sign_checkpoint};
use scrutineer::tlog::proof::{consistency_proof, inclusion_proof};
use scrutineer::tlog::tree::{frontier_indexes, stored_hash_count, tree_hash};
use scrutineer::tlog::{
    Appender, Hash, LeafIndex, MemoryHashes, TreeSize, leaf_hash, verify_consistency,
    verify_inclusion,
};

// ---------------------------------------------------------------------------
// The databases.

/// One empty database, and what keeps it alive.
struct Db {
    url: String,
    dialect: Dialect,
    /// The temporary directory or the cluster, held for its `Drop`.
    _keep: Box<dyn std::any::Any + Send + Sync>,
}

impl Db {
    fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = format!("sqlite:{}", dir.path().join("contract.db").display());
        Self {
            url,
            dialect: Dialect::Sqlite,
            _keep: Box::new(dir),
        }
    }

    fn postgres() -> Option<Self> {
        let cluster = TempPostgres::shared()?;
        let url = cluster.create_database(&TempPostgres::unique_name("contract"));
        Some(Self {
            url,
            dialect: Dialect::Postgres,
            _keep: Box::new(cluster),
        })
    }

    /// A new store (its own pool) on this database; migrations run.
    async fn open(&self) -> Store {
        let store = Store::open(&self.url)
            .await
            .unwrap_or_else(|e| panic!("open {}: {e}", self.url));
        assert_eq!(store.dialect(), self.dialect);
        store
    }

    /// A raw pool, for what the store does not expose (the migration
    /// records), or for a database made before the store opens it (a
    /// SQLite file is created).
    async fn raw(&self) -> sqlx::AnyPool {
        sqlx::any::install_default_drivers();
        let url = match self.dialect {
            Dialect::Sqlite => format!("{}?mode=rwc", self.url),
            Dialect::Postgres => self.url.clone(),
        };
        sqlx::AnyPool::connect(&url)
            .await
            .expect("connect without the store")
    }
}

/// Generates, for each contract case, one test per backend.
macro_rules! contract {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case(&super::Db::sqlite()).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let Some(db) = super::Db::postgres() else { return };
                    super::$case(&db).await;
                }
            )*
        }
    };
}

contract!(
    migrations_apply_twice,
    edited_or_unknown_migrations_are_refused,
    create_log_once,
    create_log_concurrently,
    begin_append_unknown_group,
    append_batches_read_back,
    documents_written_in_chunks,
    documents_placed_under_entries,
    documents_of_every_kind,
    documents_survive_the_move_to_log_order,
    dropped_transaction_leaves_nothing,
    failing_write_leaves_nothing,
    proofs_from_stored_hashes_verify,
    second_append_waits_for_commit,
    second_append_waits_for_rollback,
    concurrent_appenders_from_two_stores,
    accounts_tokens_secretariat,
    create_account_concurrently,
    web_sessions,
    key_requests,
    outbox_rows_commit_with_their_entries,
    outbox_claims_are_exclusive_and_leased,
    receipts_commit_with_their_votes_and_are_claimed_once,
    sign_in_links_are_used_once,
);

// ---------------------------------------------------------------------------
// A log kept in memory beside the store: what the store must read back.

/// A log's expected contents: its entries, its tree and every checkpoint.
struct TestLog {
    group: String,
    origin: Origin,
    key: SigningKey,
    entries: Vec<Vec<u8>>,
    tree: MemoryHashes,
    checkpoints: Vec<(u64, Vec<u8>)>,
}

impl TestLog {
    fn new(group: &str) -> Self {
        let origin = Origin::new(format!("example.org/contract/{group}")).expect("valid origin");
        let key = SigningKey::from_seed(origin.key_name().clone(), &[7; 32]);
        let mut log = Self {
            group: group.to_owned(),
            origin,
            key,
            entries: Vec::new(),
            tree: MemoryHashes::new(),
            checkpoints: Vec::new(),
        };
        let empty = log.sign(0, &scrutineer::tlog::empty_root());
        log.checkpoints.push((0, empty));
        log
    }

    fn sign(&self, size: u64, root: &Hash) -> Vec<u8> {
        let checkpoint = Checkpoint::new(self.origin.clone(), TreeSize::new(size), *root, vec![])
            .expect("a checkpoint without extensions");
        sign_checkpoint(&checkpoint, &self.key).expect("the key is named by the origin")
    }

    fn size(&self) -> u64 {
        self.entries.len() as u64
    }

    async fn create(&self, store: &Store) {
        let created = store
            .create_log(&self.group, self.origin.as_str(), &self.checkpoints[0].1)
            .await
            .expect("create_log");
        assert!(created, "log {} is new", self.group);
    }

    /// The batch that appends `n` new entries to the log as it is.
    fn batch(&self, n: usize) -> AppendBatch {
        let first = self.entries.len();
        let entries: Vec<Vec<u8>> = (first..first + n)
            .map(|i| format!("{} entry {i}\n", self.group).into_bytes())
            .collect();
        batch_after(self, &entries)
    }

    /// Records a committed batch.
    fn accept(&mut self, batch: &AppendBatch) {
        for entry in &batch.entries {
            self.tree.push_leaf(leaf_hash(entry));
            self.entries.push(entry.clone());
        }
        self.checkpoints
            .push((self.size(), batch.checkpoint.clone()));
        assert_eq!(
            self.tree.as_slice().len() as u64,
            stored_hash_count(self.tree.size())
        );
    }

    /// Appends `n` entries in one transaction and commits.
    async fn append(&mut self, store: &Store, n: usize) -> AppendBatch {
        let mut tx = store
            .begin_append(&self.group)
            .await
            .expect("begin_append")
            .expect("the log exists");
        assert_eq!(tx.head().size, self.size(), "head read under the lock");
        let batch = self.batch(n);
        tx.write(&batch).await.expect("write");
        tx.commit().await.expect("commit");
        self.accept(&batch);
        batch
    }

    fn head(&self) -> LogHead {
        LogHead {
            group: self.group.clone(),
            origin: self.origin.as_str().to_owned(),
            size: self.size(),
            checkpoint: self.checkpoints.last().expect("the empty one").1.clone(),
        }
    }
}

/// The batch appending `entries` to `log`: the entries, the stored hashes
/// they add, and the signed checkpoint of the new size.
fn batch_after(log: &TestLog, entries: &[Vec<u8>]) -> AppendBatch {
    let mut appender =
        Appender::resume(log.tree.size(), &log.tree).expect("the memory tree is complete");
    let first_hash_index = appender.next_stored_index();
    let mut hashes = Vec::new();
    for entry in entries {
        hashes.extend(appender.append(leaf_hash(entry)).expect("small tree"));
    }
    AppendBatch {
        entries: entries.to_vec(),
        hashes,
        first_hash_index,
        checkpoint: log.sign(appender.size().get(), &appender.root()),
    }
}

/// Everything the store holds for `log` equals the model.
async fn assert_reads_back(store: &Store, log: &TestLog) {
    let group = log.group.as_str();
    let n = log.size();
    assert_eq!(store.head(group).await.expect("head"), Some(log.head()));
    assert!(
        store.heads().await.expect("heads").contains(&log.head()),
        "heads() lists the log's head"
    );
    assert_eq!(
        store.entries(group, 0, n).await.expect("entries"),
        log.entries
    );
    // A range reaching past the end is cut at the end.
    let tail = store.entries(group, n / 2, n + 10).await.expect("entries");
    assert_eq!(tail, log.entries[(n / 2) as usize..]);
    assert!(
        store
            .entries(group, n, n + 5)
            .await
            .expect("entries")
            .is_empty()
    );
    let all = log.tree.as_slice();
    let count = all.len() as u64;
    assert_eq!(
        store
            .hashes_range(group, 0, count + 3)
            .await
            .expect("hashes_range"),
        all
    );
    assert_eq!(store.counts(group).await.expect("counts"), (n, count));
    if count > 0 {
        // Any order, with repetitions: one answer per index asked.
        let asked: Vec<u64> = [count - 1, 0, count / 2, 0, count - 1].to_vec();
        let expected: Vec<Hash> = asked.iter().map(|&i| all[i as usize]).collect();
        assert_eq!(store.hashes(group, &asked).await.expect("hashes"), expected);
    }
    // A missing stored hash is an error, never a short answer.
    match store.hashes(group, &[0, count]).await {
        Err(StoreError::Corrupt(reason)) => assert!(reason.contains("missing"), "{reason}"),
        other => panic!("reading a hash past the end: {other:?}"),
    }
    assert_eq!(
        store.checkpoints(group).await.expect("checkpoints"),
        log.checkpoints
    );
    // A page of them: the sizes asked for, in order, at most the limit.
    let sizes: Vec<u64> = log.checkpoints.iter().map(|(size, _)| *size).collect();
    let (low, high) = (
        sizes[sizes.len() / 4],
        sizes[sizes.len() - 1 - sizes.len() / 4],
    );
    let between = |from, to, limit| {
        let store = &store;
        async move {
            store
                .checkpoints_between(group, from, to, limit)
                .await
                .expect("checkpoints_between")
        }
    };
    let inside: Vec<_> = log
        .checkpoints
        .iter()
        .filter(|(size, _)| (low..=high).contains(size))
        .cloned()
        .collect();
    assert_eq!(between(low, high, usize::MAX).await, inside);
    assert_eq!(
        between(low, high, 2).await,
        inside[..inside.len().min(2)].to_vec()
    );
    if low < high {
        assert_eq!(between(high, low, 10).await, Vec::new());
    }
    for (size, signed) in &log.checkpoints {
        assert_eq!(
            store
                .checkpoint_at(group, *size)
                .await
                .expect("checkpoint_at")
                .as_ref(),
            Some(signed)
        );
    }
    assert_eq!(
        store
            .checkpoint_at(group, n + 1)
            .await
            .expect("checkpoint_at"),
        None
    );
    // The stored tree has the model's root, which the head checkpoint signs.
    let root = store
        .with_hashes(group, |reader| tree_hash(TreeSize::new(n), reader))
        .await
        .expect("storage")
        .expect("root");
    assert_eq!(root, log.tree.root());
    let signed = open_checkpoint(&log.head().checkpoint, &log.key.verifier_key())
        .expect("the head checkpoint verifies")
        .into_inner();
    assert_eq!((signed.size().get(), *signed.root()), (n, root));
}

// ---------------------------------------------------------------------------
// The contract cases.

/// Migrations are recorded once; opening again (also by two stores at
/// once) applies nothing twice and keeps the data.
async fn migrations_apply_twice(db: &Db) {
    // Two processes starting together on a new database: one applies each
    // migration, the other waits and finds it applied.
    let (first, _) = tokio::join!(db.open(), db.open());
    let log = TestLog::new("g1");
    log.create(&first).await;
    let (second, third) = tokio::join!(db.open(), db.open());
    assert_eq!(second.head("g1").await.expect("head"), Some(log.head()));
    assert_eq!(third.head("g1").await.expect("head"), Some(log.head()));
    let raw = db.raw().await;
    let row: (i64, i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COUNT(DISTINCT version), MAX(version) FROM schema_migrations",
    )
    .fetch_one(&raw)
    .await
    .expect("schema_migrations");
    assert_eq!(row.0, row.1, "each migration is recorded once");
    assert_eq!(row.0, row.2, "versions 1..=n are all recorded");
    assert!(row.0 >= 1);
}

/// Every record carries the SHA-256 of the migration applied. A record
/// that no longer matches the embedded file (the file was edited after it
/// was applied) or that this release does not know (a newer release
/// migrated the database) makes opening fail with the reason; records from
/// before checksums are filled in, not refused.
async fn edited_or_unknown_migrations_are_refused(db: &Db) {
    let store = db.open().await;
    store.close().await;
    let raw = db.raw().await;
    let unchecked: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM schema_migrations WHERE checksum IS NULL")
            .fetch_one(&raw)
            .await
            .expect("records");
    assert_eq!(
        unchecked, 0,
        "every migration is recorded with its checksum"
    );
    // An old record without its checksum is vouched for on the next start.
    sqlx::query("UPDATE schema_migrations SET checksum = NULL WHERE version = 1")
        .execute(&raw)
        .await
        .expect("forget a checksum");
    db.open().await.close().await;
    let filled: Option<String> =
        sqlx::query_scalar("SELECT checksum FROM schema_migrations WHERE version = 1")
            .fetch_one(&raw)
            .await
            .expect("record 1");
    let filled = filled.expect("filled in on start");
    // The file "changed": its recorded checksum no longer matches.
    sqlx::query("UPDATE schema_migrations SET checksum = $1 WHERE version = 1")
        .bind("0".repeat(64))
        .execute(&raw)
        .await
        .expect("change a checksum");
    let refused = Store::open(&db.url).await.expect_err("an edited migration");
    let message = refused.to_string();
    assert!(
        message.contains("was edited") && message.contains("migration 1 ("),
        "{message}"
    );
    sqlx::query("UPDATE schema_migrations SET checksum = $1 WHERE version = 1")
        .bind(&filled)
        .execute(&raw)
        .await
        .expect("restore it");
    // A migration of a newer release.
    sqlx::query("INSERT INTO schema_migrations (version, name, checksum) VALUES (9999, '9999_future.sql', 'x')")
        .execute(&raw)
        .await
        .expect("a future record");
    let refused = Store::open(&db.url)
        .await
        .expect_err("a newer release's database");
    let message = refused.to_string();
    assert!(
        message.contains("9999_future.sql") && message.contains("newer release"),
        "{message}"
    );
    sqlx::query("DELETE FROM schema_migrations WHERE version = 9999")
        .execute(&raw)
        .await
        .expect("remove it");
    db.open().await.close().await;
}

/// A database left before the migration that keeps documents in log
/// order (SQLite version 3, PostgreSQL version 4), with documents in it,
/// keeps every document through the upgrade: they did not record their
/// entry, so they stay readable by hash, notes included, and at no entry;
/// the same bytes written again without an entry are still stored once.
/// The schema before it is built from the migration files of the
/// repository, recorded as the store records them.
async fn documents_survive_the_move_to_log_order(db: &Db) {
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(match db.dialect {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
        });
    let mut files: Vec<(i64, String)> = std::fs::read_dir(&folder)
        .expect("the migrations")
        .map(|f| f.expect("a file").file_name().into_string().expect("UTF-8"))
        .map(|name| (name[..4].parse().expect("a version"), name))
        .collect();
    files.sort();
    let upgrade = files
        .iter()
        .position(|(_, name)| name.ends_with("_documents_in_log_order.sql"))
        .expect("the migration to log order");
    let raw = db.raw().await;
    sqlx::raw_sql(
        "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL)",
    )
    .execute(&raw)
    .await
    .expect("record table");
    for (version, name) in &files[..upgrade] {
        let sql = std::fs::read_to_string(folder.join(name)).expect("a migration");
        sqlx::raw_sql(&sql)
            .execute(&raw)
            .await
            .expect("an old migration");
        sqlx::query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)")
            .bind(*version)
            .bind(name.as_str())
            .execute(&raw)
            .await
            .expect("record");
    }
    sqlx::query("INSERT INTO logs (group_id, origin, size, checkpoint) VALUES ('g', 'o', 0, $1)")
        .bind(vec![0u8])
        .execute(&raw)
        .await
        .expect("a log");
    let old: Vec<Document> = (0..5u8)
        .map(|i| {
            let kind = if i == 4 {
                DocumentKind::Roll
            } else {
                DocumentKind::Note
            };
            Document::new(vec![b'a' + i; 10 + usize::from(i)], "b1", kind)
        })
        .collect();
    for document in &old {
        sqlx::query(
            "INSERT INTO documents (group_id, sha256, bytes, ballot_id, kind) \
             VALUES ('g', $1, $2, $3, $4)",
        )
        .bind(document.sha256.to_hex())
        .bind(document.bytes.clone())
        .bind(document.ballot.clone())
        .bind(document.kind.as_str())
        .execute(&raw)
        .await
        .expect("an old document");
    }
    raw.close().await;

    let store = db.open().await;
    let hashes: Vec<Hash> = old.iter().map(|d| d.sha256).collect();
    let mut read = store.documents("g", &hashes).await.expect("read");
    read.sort_by_key(|d| d.sha256);
    let mut expected = old.clone();
    expected.sort_by_key(|d| d.sha256);
    assert_eq!(read, expected);
    for document in &old {
        let found = store.document("g", &document.sha256, None).await;
        assert_eq!(found.expect("read").as_ref(), Some(document));
    }
    let placed = store.documents_named_in("g", 0, 10).await.expect("read");
    assert!(placed.is_empty(), "no old document is at an entry");

    let mut tx = store
        .begin_append("g")
        .await
        .expect("begin")
        .expect("the log exists");
    let again = Document::new(old[0].bytes.clone(), "b2", DocumentKind::Attachment);
    tx.write_documents(&[again]).await.expect("write");
    tx.commit().await.expect("commit");
    let raw = db.raw().await;
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT ballot_id, kind FROM documents WHERE sha256 = $1")
            .bind(old[0].sha256.to_hex())
            .fetch_all(&raw)
            .await
            .expect("rows");
    assert_eq!(rows, [("b1".to_owned(), "note".to_owned())]);
}

/// `create_log` creates once; again it answers `false` and changes nothing.
async fn create_log_once(db: &Db) {
    let store = db.open().await;
    let log = TestLog::new("g1");
    assert_eq!(store.head("g1").await.expect("head"), None);
    log.create(&store).await;
    let other = TestLog::new("other");
    let again = store
        .create_log("g1", "example.org/contract/g1", &other.checkpoints[0].1)
        .await
        .expect("create_log again");
    assert!(!again, "the log existed");
    assert_reads_back(&store, &log).await;
    // A log with another id is independent.
    other.create(&store).await;
    let heads = store.heads().await.expect("heads");
    assert_eq!(heads, vec![log.head(), other.head()], "heads by group id");
}

/// Two processes creating the same log at once: exactly one creates it,
/// the other is told it exists; neither fails.
async fn create_log_concurrently(db: &Db) {
    let stores = [db.open().await, db.open().await];
    for round in 0..8 {
        let log = TestLog::new(&format!("g{round}"));
        let empty = log.checkpoints[0].1.clone();
        let calls = stores.iter().map(|store| {
            let (store, empty) = (store.clone(), empty.clone());
            let (group, origin) = (log.group.clone(), log.origin.as_str().to_owned());
            tokio::spawn(async move { store.create_log(&group, &origin, &empty).await })
        });
        let mut created = 0;
        for call in calls.collect::<Vec<_>>() {
            let result = call.await.expect("task");
            created += usize::from(result.expect("create_log never fails on a race"));
        }
        assert_eq!(created, 1, "round {round}: exactly one creation");
        assert_reads_back(&stores[0], &log).await;
    }
}

/// No log, no transaction; reads of an unknown log are empty.
async fn begin_append_unknown_group(db: &Db) {
    let store = db.open().await;
    assert!(
        store
            .begin_append("nobody")
            .await
            .expect("begin_append")
            .is_none()
    );
    assert_eq!(store.head("nobody").await.expect("head"), None);
    assert!(
        store
            .entries("nobody", 0, 10)
            .await
            .expect("entries")
            .is_empty()
    );
    assert_eq!(store.counts("nobody").await.expect("counts"), (0, 0));
    assert!(
        store
            .checkpoints("nobody")
            .await
            .expect("checkpoints")
            .is_empty()
    );
    // The lock of an unknown log is released: a real log can be appended.
    let mut log = TestLog::new("g1");
    log.create(&store).await;
    log.append(&store, 1).await;
}

/// Batches of several sizes (across a 256-entry tile boundary) read back
/// exactly: head, entries, hashes, counts, checkpoints.
async fn append_batches_read_back(db: &Db) {
    let store = db.open().await;
    let mut log = TestLog::new("g1");
    let mut other = TestLog::new("g2");
    log.create(&store).await;
    other.create(&store).await;
    assert_reads_back(&store, &log).await;
    for n in [1, 2, 5, 1, 300, 7, 1200] {
        log.append(&store, n).await;
        assert_reads_back(&store, &log).await;
    }
    // Another log beside it is untouched, then grows on its own.
    assert_reads_back(&store, &other).await;
    other.append(&store, 3).await;
    assert_reads_back(&store, &other).await;
    assert_reads_back(&store, &log).await;
    // A second store (another process) reads the same.
    assert_reads_back(&db.open().await, &log).await;
}

/// Documents written with a batch, more than one statement's chunk of
/// them, with repeats inside the batch and one stored before, read back
/// once each and exactly; a second log's documents are its own.
async fn documents_written_in_chunks(db: &Db) {
    let store = db.open().await;
    let mut log = TestLog::new("g1");
    log.create(&store).await;
    let document = |i: usize| {
        Document::new(
            format!("document {i}\n").repeat(i % 7 + 1).into_bytes(),
            format!("B{}", i % 3),
            if i.is_multiple_of(2) {
                DocumentKind::Note
            } else {
                DocumentKind::Attachment
            },
        )
    };
    let mut tx = store.begin_append("g1").await.expect("begin").expect("log");
    tx.write_documents(&[document(5)]).await.expect("documents");
    let batch = log.batch(1);
    tx.write(&batch).await.expect("write");
    tx.commit().await.expect("commit");
    log.accept(&batch);
    let mut written: Vec<Document> = (0..250).map(document).collect();
    written.extend([document(5), document(17), document(240)]);
    let mut tx = store.begin_append("g1").await.expect("begin").expect("log");
    tx.write_documents(&written).await.expect("documents");
    let batch = log.batch(2);
    tx.write(&batch).await.expect("write");
    tx.commit().await.expect("commit");
    log.accept(&batch);
    assert_reads_back(&store, &log).await;
    let hashes: Vec<Hash> = (0..250).map(|i| document(i).sha256).collect();
    let mut read = store.documents("g1", &hashes).await.expect("read");
    read.sort_by_key(|d| hashes.iter().position(|h| *h == d.sha256));
    assert_eq!(read.len(), 250, "each document once");
    for (i, found) in read.iter().enumerate() {
        let expected = document(i);
        assert_eq!(
            (&found.sha256, &found.bytes, &found.ballot, found.kind),
            (
                &expected.sha256,
                &expected.bytes,
                &expected.ballot,
                expected.kind
            ),
            "document {i}"
        );
    }
    let other = TestLog::new("g2");
    other.create(&store).await;
    assert!(
        store
            .documents("g2", &hashes)
            .await
            .expect("read")
            .is_empty()
    );
}

/// Documents placed under the entries that name them are read back by
/// range of entries and at their entry; only attachments, rolls and
/// documents stored without an entry are also found by hash alone. The
/// same bytes under two entries are two rows; twice under one, one.
/// Every kind of document the server writes is stored and read back with
/// its kind: the tally and recipients documents of version 5 too.
async fn documents_of_every_kind(db: &Db) {
    let store = db.open().await;
    let mut log = TestLog::new("g1");
    log.create(&store).await;
    let kinds = [
        DocumentKind::Note,
        DocumentKind::Attachment,
        DocumentKind::Roll,
        DocumentKind::Tally,
        DocumentKind::Recipients,
        DocumentKind::Draft,
    ];
    let written: Vec<Document> = kinds
        .iter()
        .map(|kind| {
            Document::new(
                format!("a {} document", kind.as_str()).into_bytes(),
                "B1",
                *kind,
            )
            .named_by(1)
        })
        .collect();
    let mut tx = store.begin_append("g1").await.expect("begin").expect("log");
    tx.write_documents(&written)
        .await
        .expect("documents of every kind");
    let batch = log.batch(2);
    tx.write(&batch).await.expect("write");
    tx.commit().await.expect("commit");
    log.accept(&batch);
    let mut read: Vec<(Hash, DocumentKind)> = store
        .documents_named_in("g1", 0, 2)
        .await
        .expect("range")
        .into_iter()
        .map(|d| (d.sha256, d.kind))
        .collect();
    let mut expected: Vec<(Hash, DocumentKind)> =
        written.iter().map(|d| (d.sha256, d.kind)).collect();
    read.sort_by_key(|(h, _)| *h);
    expected.sort_by_key(|(h, _)| *h);
    assert_eq!(read, expected);
}

async fn documents_placed_under_entries(db: &Db) {
    let store = db.open().await;
    let mut log = TestLog::new("g1");
    log.create(&store).await;
    let note = |text: &str| Document::new(text.as_bytes().to_vec(), "B1", DocumentKind::Note);
    let shared = note("the same note under entries 1 and 3\n");
    let at_two = note("a note under entry 2\n");
    let attachment = Document::new(b"an attachment".to_vec(), "B1", DocumentKind::Attachment);
    let roll = Document::new(b"{}".to_vec(), "B1", DocumentKind::Roll);
    let loose = note("a note stored without its entry\n");
    let written = [
        shared.clone().named_by(1),
        at_two.clone().named_by(2),
        attachment.clone().named_by(2),
        at_two.clone().named_by(2),
        roll.clone().named_by(3),
        shared.clone().named_by(3),
        loose.clone(),
    ];
    let mut tx = store.begin_append("g1").await.expect("begin").expect("log");
    tx.write_documents(&written).await.expect("documents");
    let batch = log.batch(4);
    tx.write(&batch).await.expect("write");
    tx.commit().await.expect("commit");
    log.accept(&batch);

    let entries_of = |found: &[Document]| -> Vec<(Option<u64>, Hash)> {
        found.iter().map(|d| (d.entry, d.sha256)).collect()
    };
    let all = store.documents_named_in("g1", 0, 4).await.expect("range");
    let mut expected = vec![
        (Some(1), shared.sha256),
        (Some(2), at_two.sha256),
        (Some(2), attachment.sha256),
        (Some(3), roll.sha256),
        (Some(3), shared.sha256),
    ];
    let mut got = entries_of(&all);
    // In log order; two documents of one entry in no particular order.
    assert!(got.windows(2).all(|w| w[0].0 <= w[1].0), "in log order");
    got.sort();
    expected.sort();
    assert_eq!(got, expected);
    let found = all
        .iter()
        .find(|d| d.sha256 == attachment.sha256)
        .expect("the attachment");
    assert_eq!(
        (&found.bytes, found.ballot.as_str(), found.kind),
        (&attachment.bytes, "B1", DocumentKind::Attachment)
    );
    let mut two = entries_of(&store.documents_named_in("g1", 2, 3).await.expect("range"));
    two.sort();
    let mut expected_two = vec![(Some(2), at_two.sha256), (Some(2), attachment.sha256)];
    expected_two.sort();
    assert_eq!(two, expected_two);

    let at = |hash: Hash, entry: Option<u64>| {
        let store = &store;
        async move {
            store
                .document("g1", &hash, entry)
                .await
                .expect("read")
                .map(|d| (d.entry, d.bytes))
        }
    };
    assert_eq!(
        at(shared.sha256, Some(1)).await,
        Some((Some(1), shared.bytes.clone()))
    );
    assert_eq!(
        at(shared.sha256, Some(3)).await,
        Some((Some(3), shared.bytes.clone()))
    );
    assert_eq!(
        at(shared.sha256, Some(2)).await,
        None,
        "not named by entry 2"
    );
    assert_eq!(
        at(shared.sha256, None).await,
        None,
        "a placed note needs its entry"
    );
    assert_eq!(
        at(loose.sha256, None).await,
        Some((None, loose.bytes.clone()))
    );
    assert_eq!(
        at(loose.sha256, Some(2)).await,
        Some((None, loose.bytes.clone()))
    );
    assert_eq!(
        at(roll.sha256, None).await,
        Some((Some(3), roll.bytes.clone()))
    );

    let hashes = [
        shared.sha256,
        at_two.sha256,
        attachment.sha256,
        roll.sha256,
        loose.sha256,
    ];
    let mut by_hash = entries_of(&store.documents("g1", &hashes).await.expect("read"));
    by_hash.sort();
    let mut expected_by_hash = vec![
        (None, loose.sha256),
        (Some(2), attachment.sha256),
        (Some(3), roll.sha256),
    ];
    expected_by_hash.sort();
    assert_eq!(by_hash, expected_by_hash);
}

/// A transaction dropped without commit leaves nothing, and releases the
/// log's lock.
async fn dropped_transaction_leaves_nothing(db: &Db) {
    let store = db.open().await;
    let mut log = TestLog::new("g1");
    log.create(&store).await;
    log.append(&store, 3).await;
    {
        let mut tx = store.begin_append("g1").await.expect("begin").expect("log");
        tx.write(&log.batch(4)).await.expect("write");
        // Inside the transaction the writes are visible...
        assert_eq!(tx.entries(0, 7).await.expect("entries").len(), 7);
        // ...and dropped here.
    }
    assert_reads_back(&store, &log).await;
    // The lock is free again, also for another store.
    log.append(&db.open().await, 2).await;
    assert_reads_back(&store, &log).await;
}

/// A write that fails part-way (a duplicate index, crafted) leaves nothing,
/// and a commit after it does not report success.
async fn failing_write_leaves_nothing(db: &Db) {
    let store = db.open().await;
    let mut log = TestLog::new("g1");
    log.create(&store).await;
    log.append(&store, 5).await;

    // Entries are new, but the hashes start at stored index 0, which exists:
    // the entries' insert succeeds before the hashes' insert fails.
    let mut tx = store.begin_append("g1").await.expect("begin").expect("log");
    let mut bad = log.batch(2);
    bad.first_hash_index = 0;
    assert!(
        tx.write(&bad).await.is_err(),
        "duplicate hash index refused"
    );
    drop(tx);
    assert_reads_back(&store, &log).await;

    // No entries and no hashes: the checkpoint at the current size exists.
    let mut tx = store.begin_append("g1").await.expect("begin").expect("log");
    let bad = AppendBatch {
        entries: vec![],
        hashes: vec![],
        first_hash_index: stored_hash_count(TreeSize::new(5)),
        checkpoint: b"not a checkpoint".to_vec(),
    };
    assert!(
        tx.write(&bad).await.is_err(),
        "duplicate checkpoint refused"
    );
    drop(tx);
    assert_reads_back(&store, &log).await;

    // Committing after a failed write must not answer `Ok` (which means
    // durable): nothing of the failed write may land.
    let mut tx = store.begin_append("g1").await.expect("begin").expect("log");
    let mut bad = log.batch(2);
    bad.first_hash_index = 1;
    assert!(
        tx.write(&bad).await.is_err(),
        "duplicate hash index refused"
    );
    assert!(
        tx.commit().await.is_err(),
        "commit after a failed write is an error"
    );
    assert_reads_back(&store, &log).await;

    // The log still takes good batches.
    log.append(&store, 2).await;
    assert_reads_back(&store, &log).await;
}

/// Inclusion and consistency proofs computed from the stored hashes verify
/// against the signed checkpoints, for every index and every pair of sizes.
async fn proofs_from_stored_hashes_verify(db: &Db) {
    let store = db.open().await;
    let mut log = TestLog::new("g1");
    log.create(&store).await;
    for n in [1, 1, 3, 8, 2, 17, 1] {
        log.append(&store, n).await;
    }
    let verifier = log.key.verifier_key();
    let signed: Vec<(u64, Hash)> = log
        .checkpoints
        .iter()
        .map(|(size, bytes)| {
            let c = open_checkpoint(bytes, &verifier)
                .expect("verifies")
                .into_inner();
            assert_eq!(c.size().get(), *size);
            (*size, *c.root())
        })
        .collect();
    for &(size, root) in &signed {
        for index in 0..size {
            let proof = store
                .with_hashes("g1", |r| {
                    inclusion_proof(LeafIndex::new(index), TreeSize::new(size), r)
                })
                .await
                .expect("storage")
                .expect("in range");
            let leaf = leaf_hash(&log.entries[index as usize]);
            verify_inclusion(
                &leaf,
                LeafIndex::new(index),
                TreeSize::new(size),
                &proof,
                &root,
            )
            .unwrap_or_else(|e| panic!("inclusion of {index} in {size}: {e}"));
        }
        for &(old, old_root) in signed.iter().filter(|(old, _)| *old <= size) {
            let proof = store
                .with_hashes("g1", |r| {
                    consistency_proof(TreeSize::new(old), TreeSize::new(size), r)
                })
                .await
                .expect("storage")
                .expect("in range");
            verify_consistency(
                TreeSize::new(old),
                TreeSize::new(size),
                &proof,
                &old_root,
                &root,
            )
            .unwrap_or_else(|e| panic!("consistency {old} → {size}: {e}"));
        }
    }
    // An index outside the tree is the tree code's verdict, not storage's.
    let n = log.size();
    let outside = store
        .with_hashes("g1", |r| {
            inclusion_proof(LeafIndex::new(n), TreeSize::new(n), r)
        })
        .await
        .expect("storage");
    assert!(outside.is_err());
}

/// Opens an append transaction in a task and reports when it holds the
/// lock.
fn spawn_second_append(
    store: Store,
    group: &str,
) -> (Arc<AtomicBool>, tokio::task::JoinHandle<AppendTx>) {
    let acquired = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&acquired);
    let group = group.to_owned();
    let task = tokio::spawn(async move {
        let tx = store
            .begin_append(&group)
            .await
            .expect("begin")
            .expect("log");
        flag.store(true, Ordering::SeqCst);
        tx
    });
    (acquired, task)
}

/// While one append transaction is open, a second (same store, and another
/// store as a second process would) waits; after the commit it sees the new
/// head and continues the same tree.
async fn second_append_waits_for_commit(db: &Db) {
    let store = db.open().await;
    for (group, separate_store) in [("g1", false), ("g2", true)] {
        let mut log = TestLog::new(group);
        log.create(&store).await;
        log.append(&store, 2).await;

        let mut first = store
            .begin_append(group)
            .await
            .expect("begin")
            .expect("log");
        let other = if separate_store {
            db.open().await
        } else {
            store.clone()
        };
        let (acquired, second) = spawn_second_append(other, group);
        // The second cannot get the lock while the first holds it. (A
        // correct store never lets it through; a wrong one would within
        // this pause.)
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!acquired.load(Ordering::SeqCst), "the second append waited");
        let batch = log.batch(3);
        first.write(&batch).await.expect("write");
        first.commit().await.expect("commit");
        log.accept(&batch);

        let mut second = second.await.expect("task");
        assert_eq!(
            second.head(),
            &log.head(),
            "the second sees the committed head"
        );
        let batch = log.batch(4);
        second.write(&batch).await.expect("write");
        second.commit().await.expect("commit");
        log.accept(&batch);
        assert_reads_back(&store, &log).await;
    }
}

/// As above, but the first transaction is dropped: the second sees the old
/// head.
async fn second_append_waits_for_rollback(db: &Db) {
    let store = db.open().await;
    let mut log = TestLog::new("g1");
    log.create(&store).await;
    log.append(&store, 1).await;
    for other in [store.clone(), db.open().await] {
        let mut first = store.begin_append("g1").await.expect("begin").expect("log");
        first.write(&log.batch(5)).await.expect("write");
        let (acquired, second) = spawn_second_append(other, "g1");
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!acquired.load(Ordering::SeqCst), "the second append waited");
        drop(first);
        let mut second = second.await.expect("task");
        assert_eq!(second.head(), &log.head(), "the second sees the old head");
        let batch = log.batch(2);
        second.write(&batch).await.expect("write");
        second.commit().await.expect("commit");
        log.accept(&batch);
        assert_reads_back(&store, &log).await;
    }
}

/// Many appenders on two stores (two processes), each reading the head and
/// the tree's right edge under the lock as the sequencer does: every append
/// lands exactly once and the stored tree is the tree of the stored entries.
async fn concurrent_appenders_from_two_stores(db: &Db) {
    let stores = [db.open().await, db.open().await];
    let mut log = TestLog::new("g1");
    log.create(&stores[0]).await;
    let tasks: Vec<_> = (0..24)
        .map(|k| {
            let store = stores[k % 2].clone();
            let origin = log.origin.clone();
            let key = SigningKey::from_seed(origin.key_name().clone(), &[7; 32]);
            tokio::spawn(async move {
                let mut tx = store.begin_append("g1").await.expect("begin").expect("log");
                let size = tx.head().size;
                let frontier = tx
                    .hashes(&frontier_indexes(TreeSize::new(size)))
                    .await
                    .expect("frontier");
                let mut appender =
                    Appender::from_frontier(TreeSize::new(size), frontier).expect("frontier");
                let first_hash_index = appender.next_stored_index();
                let entries: Vec<Vec<u8>> = (0..=k % 3)
                    .map(|i| format!("task {k} entry {i}\n").into_bytes())
                    .collect();
                let mut hashes = Vec::new();
                for entry in &entries {
                    hashes.extend(appender.append(leaf_hash(entry)).expect("small"));
                }
                let checkpoint =
                    Checkpoint::new(origin, appender.size(), appender.root(), vec![]).expect("cp");
                let batch = AppendBatch {
                    entries,
                    hashes,
                    first_hash_index,
                    checkpoint: sign_checkpoint(&checkpoint, &key).expect("sign"),
                };
                tx.write(&batch).await.expect("write");
                tx.commit().await.expect("commit");
                (size, batch)
            })
        })
        .collect();
    let mut committed = Vec::new();
    for task in tasks {
        committed.push(task.await.expect("task"));
    }
    // Replay the batches in the order of the sizes they started from: they
    // must tile the log exactly, with no gap and no overlap.
    committed.sort_by_key(|(size, _)| *size);
    for (size, batch) in &committed {
        assert_eq!(
            *size,
            log.size(),
            "each batch starts where the previous ended"
        );
        assert_eq!(
            batch,
            &batch_after(&log, &batch.entries),
            "hashes and checkpoint"
        );
        log.accept(batch);
    }
    let expected: usize = (0..24).map(|k| k % 3 + 1).sum();
    assert_eq!(log.entries.len(), expected);
    assert_reads_back(&stores[1], &log).await;
}

/// Accounts, tokens (by hash) and secretariat grants.
async fn accounts_tokens_secretariat(db: &Db) {
    let store = db.open().await;
    let now = "2026-01-01T00:00:00.000000Z";
    assert!(!store.has_accounts().await.expect("has_accounts"));
    let alice = Account {
        person: "alice".to_owned(),
        name: "Alice Example".to_owned(),
        email: "alice@example.org".to_owned(),
    };
    let bob = Account {
        person: "bob".to_owned(),
        name: "Bob Example".to_owned(),
        email: String::new(),
    };
    assert!(store.create_account(&bob, now).await.expect("create"));
    assert!(store.create_account(&alice, now).await.expect("create"));
    let impostor = Account {
        name: "Not Alice".to_owned(),
        ..alice.clone()
    };
    assert!(
        !store
            .create_account(&impostor, now)
            .await
            .expect("create again")
    );
    assert!(store.has_accounts().await.expect("has_accounts"));
    assert_eq!(
        store.account("alice").await.expect("account"),
        Some(alice.clone())
    );
    assert_eq!(store.account("carol").await.expect("account"), None);
    assert_eq!(
        store.accounts().await.expect("accounts"),
        vec![alice.clone(), bob.clone()]
    );

    let token = Hash::sha256(b"scr_alice-token");
    let other = Hash::sha256(b"scr_alice-other");
    store
        .insert_token(&token, "alice", "laptop", now)
        .await
        .expect("insert");
    store
        .insert_token(&other, "alice", "phone", now)
        .await
        .expect("insert");
    assert!(
        store
            .insert_token(&token, "bob", "stolen", now)
            .await
            .is_err(),
        "a token hash is stored once"
    );
    assert!(
        store
            .insert_token(&Hash::sha256(b"x"), "carol", "none", now)
            .await
            .is_err(),
        "a token belongs to an existing account"
    );
    let stored = store.token(&token).await.expect("token").expect("stored");
    assert_eq!(
        (stored.hash, stored.person.as_str(), stored.revoked_at),
        (token, "alice", None)
    );
    assert_eq!(
        store.token(&Hash::sha256(b"unknown")).await.expect("token"),
        None
    );
    let later = "2026-01-02T00:00:00.000000Z";
    assert_eq!(
        store.revoke_tokens("alice", later).await.expect("revoke"),
        2
    );
    assert_eq!(
        store.revoke_tokens("alice", later).await.expect("revoke"),
        0
    );
    let revoked = store.token(&token).await.expect("token").expect("stored");
    assert_eq!(revoked.revoked_at.as_deref(), Some(later));

    // Every change to access moves the access counter; reads do not.
    let epoch = store.access_epoch().await.expect("epoch");
    assert_eq!(epoch, 2, "two revocations so far");
    assert!(
        store
            .secretariat_groups("alice")
            .await
            .expect("groups")
            .is_empty()
    );
    store.grant_secretariat("alice", "g1").await.expect("grant");
    store
        .grant_secretariat("alice", "g1")
        .await
        .expect("grant twice");
    store.grant_secretariat("bob", "*").await.expect("grant");
    assert_eq!(store.access_epoch().await.expect("epoch"), epoch + 3);
    // The grants of a person, as the server's access cache reads them.
    assert_eq!(
        store.secretariat_groups("alice").await.expect("groups"),
        vec!["g1".to_owned()]
    );
    assert_eq!(
        store.secretariat_groups("bob").await.expect("groups"),
        vec!["*".to_owned()]
    );
    assert!(
        store
            .secretariat_groups("carol")
            .await
            .expect("groups")
            .is_empty()
    );
    assert!(
        store.grant_secretariat("carol", "g1").await.is_err(),
        "a grant is for an existing account"
    );
}

/// Two processes creating the same account at once: one creates, the other
/// is told it exists; neither fails. Concurrent grants are idempotent.
async fn create_account_concurrently(db: &Db) {
    let stores = [db.open().await, db.open().await];
    let now = "2026-01-01T00:00:00.000000Z";
    for round in 0..8 {
        let account = Account {
            person: format!("p{round}"),
            name: format!("Person {round}"),
            email: String::new(),
        };
        let calls: Vec<_> = stores
            .iter()
            .map(|store| {
                let (store, account) = (store.clone(), account.clone());
                tokio::spawn(async move {
                    let created = store.create_account(&account, now).await?;
                    store.grant_secretariat(&account.person, "g1").await?;
                    Ok::<_, StoreError>(created)
                })
            })
            .collect();
        let mut created = 0;
        for call in calls {
            created += usize::from(call.await.expect("task").expect("no failure on a race"));
        }
        assert_eq!(created, 1, "round {round}: exactly one creation");
        assert_eq!(
            stores[1]
                .secretariat_groups(&account.person)
                .await
                .expect("groups"),
            ["g1"]
        );
    }
    assert_eq!(stores[0].accounts().await.expect("accounts").len(), 8);
}

/// Sessions are found by the hash of their id only, read back as stored,
/// touched, deleted one by one, and swept by either expiry; a session must
/// name a stored token.
async fn web_sessions(db: &Db) {
    let store = db.open().await;
    let now = "2026-01-01T00:00:00.000000Z";
    let alice = Account {
        person: "alice".to_owned(),
        name: "Alice".to_owned(),
        email: String::new(),
    };
    assert!(store.create_account(&alice, now).await.expect("create"));
    let token = Hash::sha256(b"scr_token-of-alice");
    store
        .insert_token(&token, "alice", "web", now)
        .await
        .expect("token");
    let session = |created_at, last_seen| StoredSession {
        token,
        person: "alice".to_owned(),
        created_at,
        last_seen,
    };
    let (a, b, c) = (
        Hash::sha256(b"session a"),
        Hash::sha256(b"session b"),
        Hash::sha256(b"session c"),
    );
    store
        .create_session(&a, &session(1000, 1000))
        .await
        .expect("a");
    store
        .create_session(&b, &session(1000, 1000))
        .await
        .expect("b");
    store
        .create_session(&c, &session(5000, 5000))
        .await
        .expect("c");
    assert!(
        store.create_session(&a, &session(1, 1)).await.is_err(),
        "an id is stored once"
    );
    let unknown_token = StoredSession {
        token: Hash::sha256(b"no such token"),
        ..session(1, 1)
    };
    assert!(
        store
            .create_session(&Hash::sha256(b"d"), &unknown_token)
            .await
            .is_err(),
        "a session stands on a stored token"
    );
    assert_eq!(
        store.session(&a).await.expect("read"),
        Some(session(1000, 1000))
    );
    assert_eq!(
        store
            .session(&Hash::sha256(b"unknown"))
            .await
            .expect("read"),
        None
    );

    store.touch_session(&b, 4000).await.expect("touch");
    assert_eq!(
        store.session(&b).await.expect("read"),
        Some(session(1000, 4000))
    );

    store.delete_session(&a).await.expect("delete");
    store
        .delete_session(&a)
        .await
        .expect("deleting twice is fine");
    assert_eq!(store.session(&a).await.expect("read"), None);

    // b was used at 4000 but began at 1000: the absolute expiry takes it;
    // c survives both.
    assert_eq!(
        store
            .delete_expired_sessions(3000, 2000)
            .await
            .expect("sweep"),
        1
    );
    assert_eq!(store.session(&b).await.expect("read"), None);
    assert_eq!(
        store.session(&c).await.expect("read"),
        Some(session(5000, 5000))
    );
    // The idle expiry alone.
    assert_eq!(
        store.delete_expired_sessions(6000, 0).await.expect("sweep"),
        1
    );
    assert_eq!(store.session(&c).await.expect("read"), None);
}

/// Key requests are stored once per group and key, listed by group
/// (pending or all) and by person, and approved once.
async fn key_requests(db: &Db) {
    let store = db.open().await;
    let now = "2026-01-01T00:00:00.000000Z";
    for person in ["alice", "bob"] {
        let account = Account {
            person: person.to_owned(),
            name: person.to_owned(),
            email: String::new(),
        };
        assert!(store.create_account(&account, now).await.expect("create"));
    }
    let request = |id: &str, group: &str, person: &str, key: &str| KeyRequest {
        id: id.to_owned(),
        group: group.to_owned(),
        person: person.to_owned(),
        verifier_key: key.to_owned(),
        requested_at: now.to_owned(),
        approved_at: None,
        log_index: None,
    };
    let first = request("0000000000000001", "ETI", "alice", "alice+01234567+AAAA");
    let second = request("0000000000000002", "ETI", "bob", "bob+01234567+BBBB");
    let elsewhere = request("0000000000000003", "SG17", "alice", "alice+01234567+AAAA");
    assert!(store.insert_key_request(&first).await.expect("insert"));
    assert!(store.insert_key_request(&second).await.expect("insert"));
    assert!(store.insert_key_request(&elsewhere).await.expect("insert"));
    let again = request("0000000000000004", "ETI", "alice", "alice+01234567+AAAA");
    assert!(
        !store.insert_key_request(&again).await.expect("insert"),
        "the same key is asked for once per group"
    );
    assert_eq!(
        store.key_requests("ETI", true).await.expect("list"),
        vec![first.clone(), second.clone()]
    );
    assert_eq!(
        store.key_requests_of("alice").await.expect("list"),
        vec![first.clone(), elsewhere.clone()]
    );
    assert_eq!(
        store
            .key_request("SG17", "0000000000000001")
            .await
            .expect("read"),
        None,
        "a request is found in its own group only"
    );

    let later = "2026-01-02T00:00:00.000000Z";
    assert!(
        store
            .approve_key_request("ETI", "0000000000000001", later, 7)
            .await
            .expect("approve")
    );
    assert!(
        !store
            .approve_key_request("ETI", "0000000000000001", later, 8)
            .await
            .expect("approve"),
        "approved once"
    );
    let approved = KeyRequest {
        approved_at: Some(later.to_owned()),
        log_index: Some(7),
        ..first
    };
    assert_eq!(
        store
            .key_request("ETI", "0000000000000001")
            .await
            .expect("read"),
        Some(approved.clone())
    );
    assert_eq!(
        store.key_requests("ETI", true).await.expect("list"),
        vec![second.clone()]
    );
    assert_eq!(
        store.key_requests("ETI", false).await.expect("list"),
        vec![approved, second]
    );
}

// ---------------------------------------------------------------------------
// The outbox of notices (src/store/outbox.rs).

fn notice(index: u64, person: &str) -> OutboxChange {
    OutboxChange::Owed(Notice {
        index,
        ballot: "B1".to_owned(),
        person: person.to_owned(),
        reason: "announcement".to_owned(),
        created_at: 1_000,
    })
}

/// An outbox row commits with the entry that owes it, and a dropped
/// transaction leaves neither; the entry that settles it settles it in
/// its own transaction.
async fn outbox_rows_commit_with_their_entries(db: &Db) {
    let store = db.open().await;
    let mut log = TestLog::new("g1");
    log.create(&store).await;
    {
        let mut tx = store.begin_append("g1").await.expect("begin").expect("log");
        tx.write(&log.batch(2)).await.expect("write");
        tx.write_outbox(&[notice(0, "alice"), notice(1, "bob")])
            .await
            .expect("write outbox");
        // Dropped: rolled back.
    }
    let all = [
        OutboxState::Pending,
        OutboxState::Recording,
        OutboxState::Logged,
    ];
    assert!(
        store
            .outbox(None, &all, 100)
            .await
            .expect("list")
            .is_empty()
    );
    let mut tx = store.begin_append("g1").await.expect("begin").expect("log");
    let batch = log.batch(2);
    tx.write(&batch).await.expect("write");
    tx.write_outbox(&[notice(0, "alice"), notice(1, "bob")])
        .await
        .expect("write outbox");
    tx.commit().await.expect("commit");
    log.accept(&batch);
    let rows = store.outbox(Some("g1"), &all, 100).await.expect("list");
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter()
            .all(|r| r.state == OutboxState::Pending && r.attempts == 0)
    );
    assert_eq!(rows[0].notice.person, "alice");
    assert_eq!(rows[0].next_at, 1_000, "due at once");
    assert!(
        store
            .outbox(Some("g2"), &all, 100)
            .await
            .expect("list")
            .is_empty()
    );

    // Answered, then settled by the entry that logs it.
    store
        .outbox_answered("g1", 0, 1, true, "250 ok")
        .await
        .expect("answered");
    let mut tx = store.begin_append("g1").await.expect("begin").expect("log");
    let batch = log.batch(1);
    tx.write(&batch).await.expect("write");
    tx.write_outbox(&[OutboxChange::Settled {
        index: 0,
        accepted: true,
        reply: "250 ok".to_owned(),
    }])
    .await
    .expect("settle");
    tx.commit().await.expect("commit");
    log.accept(&batch);
    let logged = store
        .outbox(None, &[OutboxState::Logged], 100)
        .await
        .expect("list");
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0].accepted, Some(true));
    assert_eq!(logged[0].last_reply.as_deref(), Some("250 ok"));
    let counts = store.outbox_counts().await.expect("counts");
    assert_eq!((counts.pending, counts.accepted), (1, 1));
    assert_reads_back(&store, &log).await;
}

/// Four claims at once through `claim`, two on each of two stores (as
/// two processes would make them); every row they got.
async fn claimed_at_once<T, Claim, Fut>(store: &Store, other: &Store, claim: Claim) -> Vec<T>
where
    Claim: Fn(Store) -> Fut,
    Fut: std::future::Future<Output = Vec<T>> + Send + 'static,
    T: Send + 'static,
{
    let claims: Vec<_> = [store, other, store, other]
        .into_iter()
        .map(|s| tokio::spawn(claim(s.clone())))
        .collect();
    let mut rows = Vec::new();
    for claim in claims {
        rows.extend(claim.await.expect("join"));
    }
    rows
}

/// Two stores (two processes) claiming at once never get the same row;
/// a leased row is not claimed again until its lease runs out; a row
/// retried later is due only then; an answered row is claimed to be
/// logged, not sent.
async fn outbox_claims_are_exclusive_and_leased(db: &Db) {
    let store = db.open().await;
    let mut log = TestLog::new("g1");
    log.create(&store).await;
    let mut tx = store.begin_append("g1").await.expect("begin").expect("log");
    let batch = log.batch(40);
    tx.write(&batch).await.expect("write");
    let changes: Vec<_> = (0..40).map(|i| notice(i, &format!("p{i}"))).collect();
    tx.write_outbox(&changes).await.expect("outbox");
    tx.commit().await.expect("commit");
    log.accept(&batch);

    let other = db.open().await;
    let claimed = claimed_at_once(&store, &other, |s| async move {
        s.claim_outbox(2_000, 10, 1_000_000, 15)
            .await
            .expect("claim")
    })
    .await;
    let mut seen = std::collections::BTreeSet::new();
    for row in claimed {
        assert!(
            seen.insert(row.notice.index),
            "row {} claimed twice",
            row.notice.index
        );
    }
    assert_eq!(seen.len(), 40, "every row claimed once");
    // Leased: nothing to claim before the lease runs out.
    assert!(
        store
            .claim_outbox(2_000, 999_999, 2_000_000, 100)
            .await
            .expect("claim")
            .is_empty()
    );
    // Row 3 is retried at 5 000 (server clock), which releases it; row 4
    // is answered, and stays leased to its claimer until logged.
    store
        .outbox_retry("g1", 3, 1, 5_000, "451 later")
        .await
        .expect("retry");
    store
        .outbox_answered("g1", 4, 1, false, "550 no")
        .await
        .expect("answered");
    assert!(
        store
            .claim_outbox(2_000, 10, 3_000_000, 100)
            .await
            .expect("claim")
            .is_empty()
    );
    // Row 3 is due at 5 000, alone (the others are still leased).
    let due = store
        .claim_outbox(5_000, 10, 3_000_000, 100)
        .await
        .expect("claim");
    assert_eq!(
        due.iter().map(|r| r.notice.index).collect::<Vec<_>>(),
        vec![3]
    );
    assert_eq!(
        (due[0].attempts, due[0].last_reply.as_deref()),
        (1, Some("451 later"))
    );
    // The first leases run out (real time 1 000 001): every pending row
    // due at 2 000 again, and row 4 to be logged, not sent.
    let expired = other
        .claim_outbox(2_000, 1_000_001, 4_000_000, 100)
        .await
        .expect("claim");
    assert_eq!(expired.len(), 39, "all but the retried row");
    let four = expired.iter().find(|r| r.notice.index == 4).expect("row 4");
    assert_eq!(
        (four.state, four.accepted),
        (OutboxState::Recording, Some(false))
    );
    assert!(expired.iter().all(|r| r.notice.index != 3));
    store.outbox_release("g1", 3).await.expect("release");
    let counts = store.outbox_counts().await.expect("counts");
    assert_eq!(
        (counts.pending, counts.retrying, counts.recording),
        (38, 1, 1)
    );
}

// ---------------------------------------------------------------------------
// The private outbox's receipts (src/store/private_outbox.rs), worked by
// the queue the outbox shares (src/store/mail_queue.rs).

fn receipt(person: &str) -> ReceiptOwed {
    ReceiptOwed {
        ballot: "B1".to_owned(),
        person: person.to_owned(),
        organisation: "cadzow".to_owned(),
        question: "main".to_owned(),
        note: "ab".repeat(32),
        created_at: 1_000,
    }
}

/// A vote's receipt row commits with the vote's entries (a dropped
/// transaction leaves neither), however many a batch holds (more than one
/// statement's worth); two stores claiming at once never get the same
/// row; a retried row is due only at its new time; an answered row is
/// never claimed again; parked rows are made due by unparking.
async fn receipts_commit_with_their_votes_and_are_claimed_once(db: &Db) {
    let store = db.open().await;
    let mut log = TestLog::new("g1");
    log.create(&store).await;
    let receipts: Vec<(u64, ReceiptOwed)> =
        (0..600).map(|i| (i, receipt(&format!("p{i}")))).collect();
    {
        let mut tx = store.begin_append("g1").await.expect("begin").expect("log");
        tx.write(&log.batch(600)).await.expect("write");
        tx.write_receipts(&receipts).await.expect("receipts");
        // Dropped: rolled back.
    }
    assert!(
        store
            .claim_private(2_000, 10, 1_000_000, 1_000)
            .await
            .expect("claim")
            .is_empty()
    );
    let mut tx = store.begin_append("g1").await.expect("begin").expect("log");
    let batch = log.batch(600);
    tx.write(&batch).await.expect("write");
    tx.write_receipts(&receipts).await.expect("receipts");
    tx.write_receipts(&[]).await.expect("none");
    tx.commit().await.expect("commit");
    log.accept(&batch);

    let other = db.open().await;
    let claimed = claimed_at_once(&store, &other, |s| async move {
        s.claim_private(2_000, 10, 1_000_000, 200)
            .await
            .expect("claim")
    })
    .await;
    let mut seen = std::collections::BTreeMap::new();
    for row in claimed {
        assert!(
            seen.insert(row.occasion, row).is_none(),
            "a row claimed twice"
        );
    }
    assert_eq!(seen.len(), 600, "every row claimed once");
    let first = &seen[&7];
    assert_eq!(
        (
            first.kind.as_str(),
            first.person.as_str(),
            first.question.as_deref(),
            first.note.as_deref(),
            first.payload.as_deref(),
            first.next_at,
        ),
        (
            RECEIPT,
            "p7",
            Some("main"),
            Some("ab".repeat(32).as_str()),
            None,
            1_000
        ),
        "due at once, named by index and note"
    );
    // Leased: nothing to claim before the leases run out.
    assert!(
        store
            .claim_private(2_000, 999_999, 2_000_000, 1_000)
            .await
            .expect("claim")
            .is_empty()
    );
    // Row 3 retried at 5 000 (released), row 4 answered (released, and
    // done for good), row 5 parked: one round's settlements, written
    // together.
    let retry = |next_at: i64, reply: &str| Settlement::Retry {
        attempts: 1,
        next_at,
        reply: reply.to_owned(),
    };
    store
        .private_settle(&[
            (seen[&3].clone(), retry(5_000, "451 later")),
            (
                seen[&4].clone(),
                Settlement::Answered {
                    attempts: 1,
                    accepted: true,
                    reply: "250 ok".to_owned(),
                },
            ),
            (seen[&5].clone(), retry(i64::MAX, "written to a file")),
        ])
        .await
        .expect("settle");
    store.private_settle(&[]).await.expect("nothing to settle");
    let due = store
        .claim_private(5_000, 10, 3_000_000, 1_000)
        .await
        .expect("claim");
    assert_eq!(
        due.iter().map(|r| r.occasion).collect::<Vec<_>>(),
        vec![3],
        "only the retried row, at its time"
    );
    assert_eq!(
        (due[0].attempts, due[0].last_reply.as_deref()),
        (1, Some("451 later"))
    );
    assert_eq!(store.private_unpark(i64::MAX).await.expect("unpark"), 1);
    // Every lease run out: all but the answered row are claimable; row 5
    // is due at its creation again.
    let expired = other
        .claim_private(5_000, 3_000_001, 4_000_000, 1_000)
        .await
        .expect("claim");
    assert_eq!(expired.len(), 599, "all but the answered row");
    assert!(expired.iter().all(|r| r.occasion != 4));
    let five = expired.iter().find(|r| r.occasion == 5).expect("row 5");
    assert_eq!(five.next_at, 1_000, "unparked: due at its creation");
    assert_reads_back(&store, &log).await;
}

// ---------------------------------------------------------------------------
async fn sign_in_links_are_used_once(db: &Db) {
    use scrutineer::store::sign_in_links::StoredLink;
    let store = db.open().await;
    let now = "2026-01-01T00:00:00.000000Z";
    let alice = Account {
        person: "alice".to_owned(),
        name: "Alice".to_owned(),
        email: "Alice@Example.org".to_owned(),
    };
    assert!(store.create_account(&alice, now).await.expect("create"));
    let found = store
        .accounts_by_email(" alice@example.ORG ")
        .await
        .expect("by address");
    assert_eq!(found.len(), 1, "found without regard to case");
    assert!(
        store
            .accounts_by_email("bob@example.org")
            .await
            .expect("by address")
            .is_empty()
    );
    let link = |id: &str, created_at: i64, expires_at: i64| StoredLink {
        id: id.to_owned(),
        secret_hash: Hash::sha256(id.as_bytes()),
        person: "alice".to_owned(),
        created_at,
        expires_at,
        used_at: None,
    };
    let a = link(&"a".repeat(32), 1000, 1900);
    let b = link(&"b".repeat(32), 1100, 1200);
    store.create_sign_in_link(&a).await.expect("a");
    store.create_sign_in_link(&b).await.expect("b");
    assert_eq!(
        store.sign_in_link(&a.id).await.expect("read"),
        Some(a.clone())
    );
    assert_eq!(
        store.sign_in_link(&"c".repeat(32)).await.expect("read"),
        None
    );
    assert_eq!(
        store.sign_in_links_since("alice", 1000).await.expect("n"),
        2
    );
    assert_eq!(
        store.sign_in_links_since("alice", 1050).await.expect("n"),
        1
    );
    // Expired: not used.
    assert!(!store.use_sign_in_link(&b.id, 1200).await.expect("use"));
    // Of two concurrent uses, exactly one succeeds.
    let (first, second) = tokio::join!(
        store.use_sign_in_link(&a.id, 1500),
        store.use_sign_in_link(&a.id, 1501)
    );
    assert!(
        first.expect("use") ^ second.expect("use"),
        "exactly one use succeeds"
    );
    assert!(!store.use_sign_in_link(&a.id, 1600).await.expect("use"));
    let used = store.sign_in_link(&a.id).await.expect("read").expect("a");
    assert!(matches!(used.used_at, Some(1500 | 1501)), "{used:?}");
    assert_eq!(
        store
            .delete_expired_sign_in_links(1300)
            .await
            .expect("delete"),
        1,
        "b expired before 1300"
    );
    assert_eq!(store.sign_in_link(&b.id).await.expect("read"), None);
}
