//! `scrutineer witness` as a real process on 127.0.0.1 port 0, driven with
//! C2SP tlog-witness add-checkpoint requests built here from an in-memory
//! log: every status the specification requires, the cosignature verified
//! under the key the witness printed, the served checkpoint, and the state
//! kept across a crash.

mod common;

use common::http;
use common::witness::{WitnessProcess, configure};
use scrutineer::note::{KeyName, Limits, Note, SigningKey};
use scrutineer::tlog::checkpoint::{Checkpoint, Origin, sign_checkpoint};
use scrutineer::tlog::cosignature::WitnessKey;
use scrutineer::tlog::proof::consistency_proof;
use scrutineer::tlog::witness::AddCheckpoint;
use scrutineer::tlog::{Hash, MemoryHashes, TreeSize, leaf_hash};

const ORIGIN: &str = "log.example/test";

fn log_key() -> SigningKey {
    SigningKey::from_seed(KeyName::new(ORIGIN).unwrap(), &[42; 32])
}

/// A log of `n` leaves; `fork` changes the last leaf.
fn log(n: u64, fork: bool) -> MemoryHashes {
    let mut hashes = MemoryHashes::new();
    for i in 0..n {
        let last = fork && i + 1 == n;
        let leaf = if last {
            format!("fork {i}")
        } else {
            format!("entry {i}")
        };
        hashes.push_leaf(leaf_hash(leaf.as_bytes()));
    }
    hashes
}

fn signed(size: u64, root: Hash, key: &SigningKey) -> String {
    let origin = Origin::new(key.name().as_str()).unwrap();
    let checkpoint = Checkpoint::new(origin, TreeSize::new(size), root, vec![]).unwrap();
    String::from_utf8(sign_checkpoint(&checkpoint, key).unwrap()).unwrap()
}

/// An add-checkpoint request from `old` to the log `hashes`.
fn request(old: u64, hashes: &MemoryHashes) -> AddCheckpoint {
    let new = hashes.size();
    let proof = if old == 0 || old >= new.get() {
        vec![]
    } else {
        consistency_proof(TreeSize::new(old), new, hashes).unwrap()
    };
    AddCheckpoint {
        old: TreeSize::new(old),
        proof,
        checkpoint: signed(new.get(), hashes.root(), &log_key()),
    }
}

fn post(witness: &WitnessProcess, body: &str) -> http::Response {
    http::request(
        &witness.address,
        "POST",
        "/add-checkpoint",
        None,
        Some("text/plain"),
        body.as_bytes(),
    )
}

/// Verifies the witness's answer as a cosignature on the request's
/// checkpoint and returns its timestamp.
fn cosigned(witness: &WitnessProcess, request: &AddCheckpoint, answer: &http::Response) -> u64 {
    assert_eq!(answer.status, 200, "{}", answer.text());
    let key = WitnessKey::parse(&witness.vkey).unwrap();
    let text = answer.text();
    assert!(
        text.starts_with("\u{2014} ") && text.ends_with('\n'),
        "{text}"
    );
    let note = Note::parse(
        format!("{}{text}", request.checkpoint).as_bytes(),
        Limits::CHECKPOINT,
    )
    .unwrap();
    let line = key
        .find(note.signatures())
        .expect("a line of the witness key");
    key.verify(note.text(), line.signature())
        .expect("the cosignature verifies")
}

#[test]
fn a_witness_cosigns_consistent_checkpoints_and_refuses_the_rest_with_the_specs_statuses() {
    let dir = tempfile::tempdir().unwrap();
    let stranger = SigningKey::from_seed(KeyName::new("other.example/log").unwrap(), &[1; 32]);
    configure(
        dir.path(),
        "witness.example/w1",
        &[log_key().verifier_key().encode()],
    );
    let witness = WitnessProcess::start(dir.path(), &[]);
    let origin_hash = Hash::sha256(ORIGIN.as_bytes()).to_hex();
    let path = format!("/{origin_hash}/checkpoint");
    assert_eq!(http::get(&witness.address, &path, None).status, 404);

    // First contact: old size 0, no proof.
    let first = request(0, &log(5, false));
    let answer = post(&witness, &first.encode());
    let t1 = cosigned(&witness, &first, &answer);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(
        t1.abs_diff(now) < 300,
        "the system clock's time: {t1} vs {now}"
    );

    // Growing with a consistency proof.
    let second = request(5, &log(12, false));
    cosigned(&witness, &second, &post(&witness, &second.encode()));

    // 409 with the witness's size, as text/x.tlog.size.
    let stale = post(&witness, &request(5, &log(20, false)).encode());
    assert_eq!(stale.status, 409);
    assert_eq!(stale.text(), "12\n");
    assert_eq!(stale.header("content-type"), Some("text/x.tlog.size"));

    // 422: a forked tree of the same size, and a proof that does not verify.
    let fork = request(12, &log(12, true));
    assert_eq!(post(&witness, &fork.encode()).status, 422);
    let mut bad = request(12, &log(20, false));
    bad.proof[0] = leaf_hash(b"forged");
    assert_eq!(post(&witness, &bad.encode()).status, 422);
    // A smaller tree is never cosigned (400: old size above the new one).
    assert_eq!(
        post(&witness, &request(12, &log(3, false)).encode()).status,
        400
    );

    // 404: an origin it does not witness; 403: the origin, not its key.
    let mut other = request(0, &log(3, false));
    other.checkpoint = signed(3, log(3, false).root(), &stranger);
    assert_eq!(post(&witness, &other.encode()).status, 404);
    let impostor = SigningKey::from_seed(KeyName::new(ORIGIN).unwrap(), &[43; 32]);
    let mut forged = request(12, &log(20, false));
    forged.checkpoint = signed(20, log(20, false).root(), &impostor);
    assert_eq!(post(&witness, &forged.encode()).status, 403);
    // 400: not a request at all.
    assert_eq!(post(&witness, "hello\n").status, 400);

    // The served checkpoint: the text, the log's signature, the cosignature.
    let served = http::get(&witness.address, &path, None);
    assert_eq!(served.status, 200);
    let note = Note::parse(&served.body, Limits::CHECKPOINT).unwrap();
    assert!(note.text().starts_with(&format!("{ORIGIN}\n12\n")));
    Note::open(
        &served.body,
        Limits::CHECKPOINT,
        &[log_key().verifier_key()],
    )
    .unwrap();
    let key = WitnessKey::parse(&witness.vkey).unwrap();
    let line = key.find(note.signatures()).unwrap();
    key.verify(note.text(), line.signature()).unwrap();

    // A crash loses nothing: the state was persisted before the answer.
    witness.kill();
    let witness = WitnessProcess::start(dir.path(), &[]);
    let after = post(&witness, &request(0, &log(20, false)).encode());
    assert_eq!((after.status, after.text()), (409, "12\n".to_owned()));
    let third = request(12, &log(20, false));
    cosigned(&witness, &third, &post(&witness, &third.encode()));
}
