//! Throughput of the Merkle core: appends with stored hashes kept, proof
//! generation and verification, and the raw SHA-256 rate of ring on the two
//! input sizes the tree hashes (a ~300-byte entry, a 65-byte node).
//!
//! Run: `cargo bench --bench tlog` (each group is sized to finish in a few
//! seconds; `-- --quick` shortens it further).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use scrutineer::tlog::proof::{
    consistency_proof, inclusion_proof, verify_consistency, verify_inclusion,
};
use scrutineer::tlog::tree::{Appender, MemoryHashes, tree_hash};
use scrutineer::tlog::{Hash, LeafIndex, TreeSize, leaf_hash, node_hash};

/// One million entries, as in a large ballot's log.
const ENTRIES: u64 = 1_000_000;
/// A vote entry envelope is a little under 300 bytes (SPEC section 4).
const ENTRY_LEN: usize = 300;

/// Entry `i`: a fixed 300-byte body with the index written into it, so that
/// every leaf differs without holding 300 MB of entries in memory.
fn entry(buf: &mut [u8; ENTRY_LEN], i: u64) -> &[u8] {
    buf[..8].copy_from_slice(&i.to_be_bytes());
    buf
}

/// A small deterministic generator for proof parameters (xorshift64).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn build_tree() -> MemoryHashes {
    let mut buf = [b'v'; ENTRY_LEN];
    let mut tree = MemoryHashes::new();
    for i in 0..ENTRIES {
        tree.push_leaf(leaf_hash(entry(&mut buf, i)));
    }
    tree
}

fn appends(c: &mut Criterion) {
    let mut group = c.benchmark_group("append");
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Elements(ENTRIES));
    group.bench_function(
        "1M entries of 300 B: leaf hash + appender + stored hashes kept",
        |b| {
            b.iter(|| {
                let mut buf = [b'v'; ENTRY_LEN];
                let mut appender = Appender::new();
                let mut stored: Vec<Hash> = Vec::with_capacity(2 * ENTRIES as usize);
                for i in 0..ENTRIES {
                    let new = appender
                        .append(leaf_hash(entry(&mut buf, i)))
                        .expect("a million leaves fit");
                    stored.extend(new);
                }
                black_box((appender.root(), stored.len()))
            })
        },
    );
    group.finish();
}

fn proofs(c: &mut Criterion) {
    let tree = build_tree();
    let size = TreeSize::new(ENTRIES);
    let root = tree_hash(size, &tree).expect("stored");
    let mut group = c.benchmark_group("proofs over 1M leaves");
    group.sample_size(20);
    group.warm_up_time(Duration::from_millis(300));
    group.measurement_time(Duration::from_secs(1));
    group.throughput(Throughput::Elements(1));

    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    group.bench_function("inclusion proof generation", |b| {
        b.iter(|| {
            let index = LeafIndex::new(rng.below(ENTRIES));
            black_box(inclusion_proof(index, size, &tree).expect("stored"))
        })
    });
    let index = LeafIndex::new(rng.below(ENTRIES));
    let proof = inclusion_proof(index, size, &tree).expect("stored");
    let leaf = tree.as_slice()[scrutineer::tlog::tree::stored_hash_index(0, index.get()) as usize];
    group.bench_function("inclusion proof verification", |b| {
        b.iter(|| verify_inclusion(black_box(&leaf), index, size, &proof, &root).expect("valid"))
    });

    group.bench_function("consistency proof generation", |b| {
        b.iter(|| {
            let old = TreeSize::new(1 + rng.below(ENTRIES - 1));
            black_box(consistency_proof(old, size, &tree).expect("stored"))
        })
    });
    let old = TreeSize::new(1 + rng.below(ENTRIES - 1));
    let proof = consistency_proof(old, size, &tree).expect("stored");
    let old_root = tree_hash(old, &tree).expect("stored");
    group.bench_function("consistency proof verification", |b| {
        b.iter(|| {
            verify_consistency(old, size, black_box(&proof), &old_root, &root).expect("valid")
        })
    });
    group.finish();
}

fn sha256(c: &mut Criterion) {
    let mut group = c.benchmark_group("ring SHA-256");
    group.sample_size(20);
    group.warm_up_time(Duration::from_millis(300));
    group.measurement_time(Duration::from_secs(1));
    let entry = [7u8; ENTRY_LEN];
    group.throughput(Throughput::Bytes(ENTRY_LEN as u64 + 1));
    group.bench_function("leaf hash of a 300-byte entry (301 B input)", |b| {
        b.iter(|| leaf_hash(black_box(&entry)))
    });
    let (left, right) = (Hash::sha256(b"left"), Hash::sha256(b"right"));
    group.throughput(Throughput::Bytes(65));
    group.bench_function("node hash (65 B input)", |b| {
        b.iter(|| node_hash(black_box(&left), black_box(&right)))
    });
    group.finish();
}

criterion_group!(benches, sha256, proofs, appends);
criterion_main!(benches);
