use super::*;
use crate::note::{KeyName, SigningKey};
use crate::tlog::checkpoint::{Checkpoint, Origin, sign_checkpoint};
use crate::tlog::cosignature::Cosigner;
use crate::tlog::leaf_hash;

const ORIGIN: &str = "example.org/log";

struct World {
    log: SigningKey,
    witnesses: Vec<Cosigner>,
    hashes: MemoryHashes,
    policy: Policy,
}

fn world() -> World {
    let origin = Origin::new(ORIGIN).unwrap();
    let log = SigningKey::from_seed(origin.key_name().clone(), &[1; 32]);
    let witnesses: Vec<Cosigner> = (1..=3u8)
        .map(|i| {
            let name = KeyName::new(format!("w{i}.example")).unwrap();
            Cosigner::new(SigningKey::from_seed(name, &[10 + i; 32]))
        })
        .collect();
    let leaves: Vec<Hash> = (0..5u8).map(|i| leaf_hash(&[i])).collect();
    let hashes = MemoryHashes::from_leaf_hashes(&leaves);
    let mut text = format!("log {}\n", log.verifier_key());
    for (i, w) in witnesses.iter().enumerate() {
        text += &format!("witness w{} {}\n", i + 1, w.witness_key());
    }
    text += "group g 2 w1 w2 w3\nquorum g\n";
    let policy = Policy::parse(text.as_bytes()).unwrap();
    World {
        log,
        witnesses,
        hashes,
        policy,
    }
}

impl World {
    /// The checkpoint of `size` (with `root`, or the tree's), cosigned by
    /// the witnesses of `by` at their times.
    fn cosigned(&self, size: u64, root: Option<Hash>, by: &[(usize, u64)]) -> Cosigned {
        let root = root.unwrap_or_else(|| tree_hash(TreeSize::new(size), &self.hashes).unwrap());
        let origin = Origin::new(ORIGIN).unwrap();
        let checkpoint = Checkpoint::new(origin, TreeSize::new(size), root, vec![]).unwrap();
        let mut bytes = sign_checkpoint(&checkpoint, &self.log).unwrap();
        for (w, time) in by {
            let line = self.witnesses[*w]
                .cosign(&checkpoint.to_text(), *time)
                .unwrap();
            bytes.extend_from_slice(line.to_line().as_bytes());
        }
        Cosigned {
            source: format!("test {size}"),
            bytes,
        }
    }

    fn check(&self, sources: &[Cosigned]) -> Result<Evidence, AuditError> {
        check_cosigned(
            sources,
            &self.log.verifier_key(),
            &self.hashes,
            5,
            Some(&self.policy),
        )
    }
}

#[test]
fn the_quorum_time_of_an_entry_is_the_kth_smallest_earliest_time_above_it() {
    let w = world();
    let sources = [
        w.cosigned(1, None, &[(0, 100), (1, 300)]),
        w.cosigned(3, None, &[(0, 200), (1, 250), (2, 260)]),
        w.cosigned(5, None, &[(2, 400)]),
    ];
    let evidence = w.check(&sources).unwrap();
    assert_eq!(evidence.within, 3);
    // Entry 0 is in every checkpoint: w1 at 100, w2 at 250, w3 at 260.
    assert_eq!(
        evidence.quorum_containing(&w.policy, 0),
        QuorumTime::Met(250)
    );
    // Entry 2 only in sizes 3 and 5: w1 200, w2 250, w3 260.
    assert_eq!(
        evidence.quorum_containing(&w.policy, 2),
        QuorumTime::Met(250)
    );
    // Entry 4 only in size 5, which one witness cosigned: no quorum.
    assert_eq!(evidence.quorum_containing(&w.policy, 4), QuorumTime::NotMet);
    assert_eq!(evidence.quorum_at(&w.policy, 5), QuorumTime::NotMet);
    assert_eq!(evidence.quorum_at(&w.policy, 3), QuorumTime::Met(250));
    let views = evidence.views(&w.policy);
    assert_eq!(views[0].cosigned, 2);
    assert_eq!(views[0].largest, Some(3));
    assert_eq!(views[2].largest, Some(5));
    assert_eq!(
        views[2].first.as_deref(),
        Some("1970-01-01T00:04:20.000000Z")
    );
}

#[test]
fn another_root_at_a_verified_size_is_a_split_view() {
    let w = world();
    let forged = w.cosigned(3, Some(Hash::sha256(b"another history")), &[(0, 100)]);
    let err = w.check(&[w.cosigned(2, None, &[]), forged]).unwrap_err();
    assert!(
        matches!(err, AuditError::SplitView { size: 3, .. }),
        "{err}"
    );
}

#[test]
fn checkpoints_beyond_the_bundle_are_reported_and_compared_with_each_other() {
    let w = world();
    let later = w.cosigned(9, Some(Hash::sha256(b"later")), &[(0, 500), (1, 510)]);
    let evidence = w.check(std::slice::from_ref(&later)).unwrap();
    assert_eq!(evidence.beyond, vec![(9, "test 9".to_owned())]);
    assert_eq!(evidence.views(&w.policy)[1].beyond, 1);
    // Beyond the bundle: no evidence about its entries.
    assert_eq!(evidence.quorum_containing(&w.policy, 0), QuorumTime::NotMet);
    let other = w.cosigned(9, Some(Hash::sha256(b"other")), &[(2, 520)]);
    let err = w.check(&[later, other]).unwrap_err();
    assert!(
        matches!(err, AuditError::SplitView { size: 9, .. }),
        "{err}"
    );
}

#[test]
fn a_bad_cosignature_or_a_foreign_log_signature_is_refused() {
    let w = world();
    let mut bad = w.cosigned(2, None, &[(0, 100)]);
    // Change the timestamp in the cosignature line: it no longer verifies.
    let text = String::from_utf8(bad.bytes.clone()).unwrap();
    let last = text.trim_end().rsplit('\n').next().unwrap().to_owned();
    let (head, b64) = last.rsplit_once(' ').unwrap();
    let mut raw = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, b64).unwrap();
    raw[11] ^= 1;
    let changed = format!(
        "{head} {}",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, raw)
    );
    bad.bytes = text.replace(&last, &changed).into_bytes();
    let err = w.check(&[bad]).unwrap_err();
    assert!(matches!(err, AuditError::Cosigned { .. }), "{err}");
    let stranger = SigningKey::from_seed(Origin::new(ORIGIN).unwrap().key_name().clone(), &[2; 32]);
    let err = check_cosigned(
        &[w.cosigned(2, None, &[])],
        &stranger.verifier_key(),
        &w.hashes,
        5,
        None,
    )
    .unwrap_err();
    assert!(matches!(err, AuditError::Cosigned { .. }), "{err}");
}

/// A receipt report as `check_receipt` leaves it: entry `index`, its
/// checkpoint of `size`.
fn receipt(index: u64, size: u64) -> ReceiptReport {
    ReceiptReport {
        name: "r".into(),
        index,
        ballot: "B1".into(),
        note: String::new(),
        organisation: None,
        question: None,
        status: "counted".into(),
        superseded_by: None,
        superseded_by_person: None,
        certified: false,
        checkpoint_size: size,
        summary: String::new(),
        witnessed: None,
    }
}

#[test]
fn a_receipt_is_vouched_for_by_its_own_checkpoint_or_a_later_one_and_says_which() {
    let w = world();
    let sources = [
        w.cosigned(2, None, &[(0, 100), (1, 150)]),
        w.cosigned(4, None, &[(1, 300), (2, 350)]),
    ];
    let evidence = w.check(&sources).unwrap();
    // Its own checkpoint (size 2) carries the quorum.
    let own = receipt_witnessing(&evidence, &w.policy, &receipt(1, 2)).unwrap();
    assert_eq!(own.basis, "receipt-checkpoint");
    assert_eq!(own.checkpoint_quorum_by, Some(seconds_text(150)));
    assert_eq!(own.entry_quorum_by, seconds_text(150));
    // Its own checkpoint (size 3) has no cosignature, but a later one
    // (size 4) contains the entry: the receipt is vouched for through
    // consistency, and the report says so.
    let later = receipt_witnessing(&evidence, &w.policy, &receipt(2, 3)).unwrap();
    assert_eq!(later.basis, "later-checkpoint");
    assert_eq!(later.checkpoint_quorum_by, None);
    assert_eq!(later.entry_quorum_by, seconds_text(350));
    assert!(later.summary.contains("consistent"), "{}", later.summary);
    // An entry no quorum-cosigned checkpoint contains fails.
    let none = receipt_witnessing(&evidence, &w.policy, &receipt(4, 5));
    assert!(matches!(none, Err(AuditError::Receipt { .. })), "{none:?}");
}
