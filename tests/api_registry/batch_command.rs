//! The sequencer's batch command, on which the attendance import's
//! atomicity rests: all its entries land together, or none; a refusal
//! part-way leaves nothing written and memory rebuilt from storage.

use std::sync::Arc;
use std::time::Duration;

use scrutineer::entry::Entry;
use scrutineer::note::key::SigningKey;
use scrutineer::server::clock::Clock;
use scrutineer::server::sequencer::{
    AppendError, BatchPolicy, Decided, GroupLog, LogFold, Refused,
};
use scrutineer::store::Store;
use scrutineer::time::Timestamp;
use scrutineer::tlog::checkpoint::{Checkpoint, Origin, sign_checkpoint};
use scrutineer::tlog::{TreeSize, empty_root};

/// Counts entries; refuses those of type `bad`.
#[derive(Default)]
struct Counter(u64);

#[derive(Debug, thiserror::Error)]
#[error("refused")]
struct Bad;

impl LogFold for Counter {
    type Refusal = Bad;

    fn empty(_: &Origin) -> Self {
        Self::default()
    }

    type Published = u64;

    fn publish(&self, _: Option<&std::sync::Arc<u64>>) -> std::sync::Arc<u64> {
        std::sync::Arc::new(self.0)
    }

    fn apply(&mut self, entry: &Entry) -> Result<(), Bad> {
        if entry.kind() == "bad" {
            return Err(Bad);
        }
        self.0 += 1;
        Ok(())
    }
}

fn entries(
    kinds: &[&'static str],
) -> impl FnOnce(&Counter, Timestamp) -> Result<Vec<Entry>, Refused> + Send + 'static {
    let kinds = kinds.to_vec();
    move |_, time| {
        Ok(kinds
            .iter()
            .map(|kind| match *kind {
                "huge" => Entry::new("ok", time).body(vec![b'x'; 70_000]),
                kind => Entry::new(kind, time),
            })
            .collect())
    }
}

#[test]
fn a_batch_command_is_all_or_nothing() {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = format!("sqlite:{}", dir.path().join("db").display());
        let store = Store::open(&url).await.expect("store");
        let origin = Origin::new("example.org/batch".to_owned()).expect("origin");
        let key = SigningKey::generate(origin.key_name().clone()).expect("key");
        let empty = Checkpoint::new(origin.clone(), TreeSize::ZERO, empty_root(), Vec::new())
            .and_then(|c| sign_checkpoint(&c, &key))
            .expect("checkpoint");
        store
            .create_log("batch", origin.as_str(), &empty)
            .await
            .expect("log");
        // A long interval, so that requests sent together share a batch.
        let policy = BatchPolicy {
            interval: Duration::from_millis(200),
            max_entries: 100,
        };
        let log = GroupLog::<Counter>::start(
            "batch".to_owned(),
            origin,
            key,
            store.clone(),
            Arc::new(Clock::System),
            policy,
            None,
            None,
        );
        let size = || async { store.head("batch").await.expect("head").expect("log").size };

        // All entries, contiguous, under one checkpoint.
        let receipts = log
            .append_all(entries(&["ok", "ok", "ok"]))
            .await
            .expect("appended");
        let indexes: Vec<u64> = receipts.iter().map(|r| r.index).collect();
        assert_eq!(indexes, [0, 1, 2]);
        assert!(
            receipts
                .iter()
                .all(|r| r.size == 3 && r.checkpoint == receipts[0].checkpoint)
        );
        // No entry: nothing written.
        assert!(
            log.append_all(entries(&[]))
                .await
                .expect("empty")
                .is_empty()
        );
        assert_eq!(size().await, 3);

        // A too-large entry part-way refuses its request before the
        // state changes; the request beside it is appended.
        let (huge, beside) = tokio::join!(
            log.append_all(entries(&["ok", "huge"])),
            log.append(|_, time| Ok(Entry::new("ok", time))),
        );
        assert!(
            matches!(huge, Err(AppendError::Refused(ref r)) if r.code == "entry-too-large"),
            "{huge:?}"
        );
        assert_eq!(beside.expect("appended").index, 3);
        assert_eq!(size().await, 4);

        // A refusal part-way, after the fold took the first entries:
        // nothing of the batch is written, the request beside it may
        // be retried, and the state is rebuilt from storage.
        let (partial, beside) = tokio::join!(
            log.append_all(entries(&["ok", "ok", "bad"])),
            log.append(|_, time| Ok(Entry::new("ok", time))),
        );
        assert!(
            matches!(partial, Err(AppendError::Refused(_))),
            "{partial:?}"
        );
        assert!(
            matches!(beside, Err(AppendError::BatchFailed(_))),
            "{beside:?}"
        );
        assert_eq!(size().await, 4);
        assert_eq!(log.read(|loaded| loaded.state.0).await.expect("read"), 4);
        let retried = log
            .append(|_, time| Ok(Entry::new("ok", time)))
            .await
            .expect("the retry is appended");
        assert_eq!(retried.index, 4);
        assert_eq!(
            log.read(|loaded| (loaded.state.0, loaded.size))
                .await
                .expect("read"),
            (5, 5)
        );
        // A refused first entry is an ordinary refusal.
        let first = log.append_all(entries(&["bad", "ok"])).await;
        assert!(matches!(first, Err(AppendError::Refused(_))), "{first:?}");
        assert_eq!(size().await, 5);

        // A command's value reaches its caller with the receipts, decided
        // on the state at its turn: here, the count the fold had then.
        let committed = log
            .submit(Box::new(|state: &Counter, time| {
                Ok(Decided {
                    entries: vec![Entry::new("ok", time)],
                    documents: Vec::new(),
                    value: state.0,
                    receipt: None,
                })
            }))
            .await
            .expect("appended");
        assert_eq!(committed.value, 5);
        assert_eq!(committed.appended.len(), 1);
        assert_eq!(committed.appended[0].index, 5);
        // A command that appends nothing still answers its value.
        let nothing = log
            .submit(Box::new(|state: &Counter, _| {
                Ok(Decided::nothing(format!("{} entries", state.0)))
            }))
            .await
            .expect("answered");
        assert_eq!(nothing.value, "6 entries");
        assert!(nothing.appended.is_empty());
        assert_eq!(size().await, 6);
    });
}
