//! Throughput of signed notes on this machine: raw Ed25519 signing and
//! strict verification, signing and opening a checkpoint, and verifying a
//! receipt. Each figure is reported as elements (operations) per second.
//!
//! Run with `cargo bench --bench note`. Measurement times are short on
//! purpose: these are orders of magnitude for capacity planning, not a
//! regression gate.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ed25519_dalek::Signer as _;
use scrutineer::note::{KeyName, SigningKey};
use scrutineer::tlog::checkpoint::{Checkpoint, Origin, open_checkpoint, sign_checkpoint};
use scrutineer::tlog::proof::root_from_inclusion;
use scrutineer::tlog::receipt::Receipt;
use scrutineer::tlog::{LeafIndex, TreeSize, leaf_hash};

const ORIGIN: &str = "vote.example.org/v1/groups/ETI/log";

fn log_key() -> SigningKey {
    SigningKey::from_seed(KeyName::new(ORIGIN).expect("valid name"), &[42u8; 32])
}

fn bench_ed25519(c: &mut Criterion) {
    let key = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
    let public = key.verifying_key();
    // A message the size of a vote note's text.
    let message = vec![b'v'; 250];
    let signature = key.sign(&message);
    let mut group = c.benchmark_group("ed25519");
    group.throughput(Throughput::Elements(1));
    group.bench_function("sign", |b| b.iter(|| key.sign(black_box(&message))));
    group.bench_function("verify_strict", |b| {
        b.iter(|| public.verify_strict(black_box(&message), black_box(&signature)))
    });
    group.finish();
}

/// A checkpoint of a tree of 2^20 entries and a receipt for one of them,
/// whose proof has 20 hashes.
fn fixtures() -> (SigningKey, Checkpoint, Receipt, Vec<u8>) {
    let key = log_key();
    let entry = b"scrutineer/entry/v1\ntype vote\n".to_vec();
    let size = TreeSize::new(1 << 20);
    let index = LeafIndex::new(123_456);
    let proof: Vec<_> = (0u8..20).map(|i| leaf_hash(&[i])).collect();
    let root = root_from_inclusion(&leaf_hash(&entry), index, size, &proof)
        .expect("20 hashes is the proof length in a tree of 2^20");
    let origin = Origin::new(ORIGIN).expect("valid origin");
    let checkpoint = Checkpoint::new(origin, size, root, vec![]).expect("valid checkpoint");
    let signed = sign_checkpoint(&checkpoint, &key).expect("key named after the origin");
    let receipt = Receipt::new(Some(entry.clone()), index, proof, signed).expect("well-formed");
    (key, checkpoint, receipt, entry)
}

fn bench_checkpoint_and_receipt(c: &mut Criterion) {
    let (key, checkpoint, receipt, entry) = fixtures();
    let vkey = key.verifier_key();
    let signed = receipt.signed_checkpoint().to_vec();
    let text = receipt.to_text();
    let mut group = c.benchmark_group("tlog");
    group.throughput(Throughput::Elements(1));
    group.bench_function("checkpoint_sign", |b| {
        b.iter(|| sign_checkpoint(black_box(&checkpoint), &key))
    });
    group.bench_function("checkpoint_open", |b| {
        b.iter(|| open_checkpoint(black_box(&signed), &vkey))
    });
    group.bench_function("receipt_parse_and_verify", |b| {
        b.iter(|| {
            Receipt::parse(black_box(text.as_bytes()))
                .and_then(|r| r.verify(black_box(&entry), &vkey))
        })
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20)
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_ed25519, bench_checkpoint_and_receipt
}
criterion_main!(benches);
