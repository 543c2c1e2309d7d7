//! Properties of the Merkle core: exhaustive checks over every small tree,
//! an independent implementation (the `ct-merkle` crate) as an oracle, and
//! proptest over random append sequences.
//!
//! Tampering: a single-bit change of a proof hash, a root or a leaf hash is
//! always rejected. A change of the index or a size is rejected unless it
//! leaves the verifier's computation identical: RFC 9162 verification binds
//! the size only through the sequence of left/right combinations it implies,
//! so a proof for leaf 0 of a tree of 5 also verifies, against the same
//! root, as leaf 0 of a tree of 7 (ct-merkle documents the same property).
//! The tests check that this happens exactly when the two sizes give the
//! same RFC 6962 recursion shape, derived here from the generation side
//! (`PATH` and `SUBPROOF`), not from the verifier.

use ct_merkle::mem_backed_tree::MemoryBackedTree;
use proptest::prelude::*;
use scrutineer::tlog::proof::{
    consistency_proof, inclusion_proof, verify_consistency, verify_inclusion,
};
use scrutineer::tlog::tree::{Appender, MemoryHashes, root_of_leaves, tree_hash};
use scrutineer::tlog::{Hash, LeafIndex, TreeSize, empty_root, leaf_hash};
use sha2::Sha256;

fn entries(n: u64) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| format!("entry number {i}").into_bytes())
        .collect()
}

fn flip(hash: &Hash, bit: usize) -> Hash {
    let mut bytes = *hash.as_bytes();
    bytes[bit / 8] ^= 1 << (bit % 8);
    Hash::from_bytes(bytes)
}

fn pow2_below(n: u64) -> u64 {
    1 << (63 - (n - 1).leading_zeros())
}

/// The sides of the RFC 6962 `PATH(m, D[n])` siblings, bottom up (`true`:
/// the sibling is on the left), or `None` when `m` is not in the tree.
fn inclusion_shape(m: u64, n: u64) -> Option<Vec<bool>> {
    if m >= n {
        return None;
    }
    let (mut lo, mut hi, mut sides) = (0, n, Vec::new());
    while hi - lo > 1 {
        let k = pow2_below(hi - lo);
        if m < lo + k {
            sides.push(false);
            hi = lo + k;
        } else {
            sides.push(true);
            lo += k;
        }
    }
    sides.reverse();
    Some(sides)
}

/// The shape of an RFC 6962 consistency proof `PROOF(m, D[n])`.
#[derive(Debug, PartialEq, Eq)]
enum ConsistencyShape {
    /// `m = n`: the empty proof, roots compared.
    Equal,
    /// `m = 0`: the empty proof (our policy).
    FromZero,
    /// `0 < m < n`: whether the computation starts from the old root (the
    /// old tree is a complete subtree), then for each further hash whether
    /// it is a left sibling (hashed into both roots) or a right one.
    Steps(bool, Vec<bool>),
}

fn consistency_shape(m: u64, n: u64) -> Option<ConsistencyShape> {
    fn sub(m: u64, lo: u64, hi: u64, b: bool, seed_is_old_root: &mut bool, sides: &mut Vec<bool>) {
        if m == hi - lo {
            *seed_is_old_root = b;
            return;
        }
        let k = pow2_below(hi - lo);
        if m <= k {
            sub(m, lo, lo + k, b, seed_is_old_root, sides);
            sides.push(false);
        } else {
            sub(m - k, lo + k, hi, false, seed_is_old_root, sides);
            sides.push(true);
        }
    }
    Some(match (m, n) {
        _ if m > n => return None,
        _ if m == n => ConsistencyShape::Equal,
        (0, _) => ConsistencyShape::FromZero,
        _ => {
            let (mut seed, mut sides) = (false, Vec::new());
            sub(m, 0, n, true, &mut seed, &mut sides);
            ConsistencyShape::Steps(seed, sides)
        }
    })
}

/// The documented size-0 policy, restated: from size 0 only the empty
/// proof with the empty-tree old root verifies, and to size 0 only with
/// equal roots. `None` when the old size is not 0.
fn from_zero_policy(
    m: u64,
    n: u64,
    proof: &[Hash],
    old_root: &Hash,
    new_root: &Hash,
) -> Option<bool> {
    (m == 0)
        .then(|| proof.is_empty() && *old_root == empty_root() && (n > 0 || old_root == new_root))
}

const MAX: u64 = 64;

struct Fixture {
    leaves: Vec<Hash>,
    tree: MemoryHashes,
    roots: Vec<Hash>,
}

fn fixture() -> Fixture {
    let leaves: Vec<Hash> = entries(MAX).iter().map(|e| leaf_hash(e)).collect();
    let tree = MemoryHashes::from_leaf_hashes(&leaves);
    let roots = (0..=MAX as usize)
        .map(|n| root_of_leaves(&leaves[..n]))
        .collect();
    Fixture {
        leaves,
        tree,
        roots,
    }
}

#[test]
fn every_inclusion_proof_up_to_64_verifies_and_every_bit_flip_is_judged() {
    let f = fixture();
    for n in 1..=MAX {
        let size = TreeSize::new(n);
        let root = f.roots[n as usize];
        assert_eq!(tree_hash(size, &f.tree).expect("stored"), root);
        for m in 0..n {
            let index = LeafIndex::new(m);
            let leaf = f.leaves[m as usize];
            let proof = inclusion_proof(index, size, &f.tree).expect("stored");
            assert_eq!(verify_inclusion(&leaf, index, size, &proof, &root), Ok(()));
            for i in 0..proof.len() {
                for bit in 0..256 {
                    let mut bad = proof.clone();
                    bad[i] = flip(&bad[i], bit);
                    assert!(verify_inclusion(&leaf, index, size, &bad, &root).is_err());
                }
            }
            for bit in 0..256 {
                assert!(verify_inclusion(&leaf, index, size, &proof, &flip(&root, bit)).is_err());
                assert!(verify_inclusion(&flip(&leaf, bit), index, size, &proof, &root).is_err());
            }
            let shape = inclusion_shape(m, n);
            for bit in 0..64 {
                let m2 = m ^ (1 << bit);
                let ok = verify_inclusion(&leaf, LeafIndex::new(m2), size, &proof, &root).is_ok();
                assert_eq!(
                    ok,
                    inclusion_shape(m2, n) == shape,
                    "index {m}->{m2} in {n}"
                );
                assert!(!ok, "a changed index is never the same computation");
                let n2 = n ^ (1 << bit);
                let ok = verify_inclusion(&leaf, index, TreeSize::new(n2), &proof, &root).is_ok();
                assert_eq!(
                    ok,
                    inclusion_shape(m, n2) == shape,
                    "leaf {m} size {n}->{n2}"
                );
                if ok && n2 <= MAX {
                    // Against the real root of the other size, it fails.
                    let real = f.roots[n2 as usize];
                    assert!(
                        verify_inclusion(&leaf, index, TreeSize::new(n2), &proof, &real).is_err()
                    );
                }
            }
        }
    }
}

#[test]
fn every_consistency_proof_up_to_64_verifies_and_every_bit_flip_is_judged() {
    let f = fixture();
    for n in 0..=MAX {
        let new_root = f.roots[n as usize];
        for m in 0..=n {
            let (old, new) = (TreeSize::new(m), TreeSize::new(n));
            let old_root = f.roots[m as usize];
            let proof = consistency_proof(old, new, &f.tree).expect("stored");
            assert_eq!(
                verify_consistency(old, new, &proof, &old_root, &new_root),
                Ok(())
            );
            for i in 0..proof.len() {
                for bit in 0..256 {
                    let mut bad = proof.clone();
                    bad[i] = flip(&bad[i], bit);
                    assert!(verify_consistency(old, new, &bad, &old_root, &new_root).is_err());
                }
            }
            for bit in 0..256 {
                let bad_old = flip(&old_root, bit);
                let bad_new = flip(&new_root, bit);
                assert!(verify_consistency(old, new, &proof, &bad_old, &new_root).is_err());
                if m > 0 {
                    assert!(verify_consistency(old, new, &proof, &old_root, &bad_new).is_err());
                } else if n > 0 {
                    // Documented policy: from size 0 the new root is not
                    // constrained (the empty tree is a prefix of every tree).
                    assert!(verify_consistency(old, new, &proof, &old_root, &bad_new).is_ok());
                }
            }
            let shape = consistency_shape(m, n);
            for bit in 0..64 {
                let m2 = m ^ (1 << bit);
                let ok = verify_consistency(TreeSize::new(m2), new, &proof, &old_root, &new_root)
                    .is_ok();
                let want = from_zero_policy(m2, n, &proof, &old_root, &new_root)
                    .unwrap_or(consistency_shape(m2, n) == shape);
                assert_eq!(ok, want, "old {m}->{m2}, new {n}");
                let n2 = n ^ (1 << bit);
                let ok = verify_consistency(old, TreeSize::new(n2), &proof, &old_root, &new_root)
                    .is_ok();
                let want = from_zero_policy(m, n2, &proof, &old_root, &new_root)
                    .unwrap_or(consistency_shape(m, n2) == shape);
                assert_eq!(ok, want, "old {m}, new {n}->{n2}");
            }
        }
    }
}

/// The `ct-merkle` crate, an independent RFC 6962 implementation, gives the
/// same roots and the same proof bytes.
#[test]
fn ct_merkle_oracle_agrees_on_roots_and_proofs() {
    let all = entries(200);
    let mut oracle: MemoryBackedTree<Sha256, Vec<u8>> = MemoryBackedTree::new();
    let mut ours = MemoryHashes::new();
    for (k, entry) in all.iter().enumerate() {
        oracle.push(entry.clone());
        ours.push_leaf(leaf_hash(entry));
        let n = k as u64 + 1;
        let root = ours.root();
        assert_eq!(
            oracle.root().as_bytes().as_slice(),
            root.as_bytes(),
            "root {n}"
        );
        // Every proof for the small sizes, a spread of them above.
        if n > 70 && !n.is_multiple_of(13) {
            continue;
        }
        for m in 0..n {
            let ours_proof =
                inclusion_proof(LeafIndex::new(m), TreeSize::new(n), &ours).expect("stored");
            let bytes: Vec<u8> = ours_proof.iter().flat_map(|h| *h.as_bytes()).collect();
            let theirs = oracle.prove_inclusion(m as usize);
            assert_eq!(theirs.as_bytes(), bytes.as_slice(), "inclusion {m} in {n}");
        }
        for old in 1..n {
            let ours_proof =
                consistency_proof(TreeSize::new(old), TreeSize::new(n), &ours).expect("stored");
            let bytes: Vec<u8> = ours_proof.iter().flat_map(|h| *h.as_bytes()).collect();
            let theirs = oracle.prove_consistency((n - old) as usize);
            assert_eq!(
                theirs.as_bytes(),
                bytes.as_slice(),
                "consistency {old} to {n}"
            );
        }
    }
}

/// A random append sequence: entries, and the points at which the appender
/// is dropped and resumed from stored hashes.
fn appends() -> impl Strategy<Value = (Vec<Vec<u8>>, Vec<usize>)> {
    prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 1..300).prop_flat_map(
        |entries| {
            let n = entries.len();
            (Just(entries), prop::collection::vec(0..=n, 0..4))
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// The appender, resumed at random points, agrees with the stored tree
    /// and with the RFC 6962 recursion after every append.
    #[test]
    fn appender_with_resumes_matches_the_reference((entries, resumes) in appends()) {
        let leaves: Vec<Hash> = entries.iter().map(|e| leaf_hash(e)).collect();
        let mut stored = MemoryHashes::new();
        let mut appender = Appender::new();
        for (k, leaf) in leaves.iter().enumerate() {
            if resumes.contains(&k) {
                appender = Appender::resume(TreeSize::new(k as u64), &stored).expect("stored");
            }
            let at = appender.next_stored_index() as usize;
            let new = appender.append(*leaf).expect("small tree");
            stored.push_leaf(*leaf);
            prop_assert_eq!(&stored.as_slice()[at..], new.as_slice());
            prop_assert_eq!(appender.root(), root_of_leaves(&leaves[..=k]));
        }
        prop_assert_eq!(appender.root(), stored.root());
    }

    /// Proofs between random points of a random tree verify, and a random
    /// single-bit change of a proof hash or a root is rejected.
    #[test]
    fn random_proofs_verify_and_tampering_is_detected(
        (entries, picks) in appends(),
        bit in 0usize..256,
        which in any::<prop::sample::Index>(),
    ) {
        let leaves: Vec<Hash> = entries.iter().map(|e| leaf_hash(e)).collect();
        let tree = MemoryHashes::from_leaf_hashes(&leaves);
        let n = leaves.len() as u64;
        let size = TreeSize::new(n);
        let root = tree.root();
        for &p in &picks {
            let m = (p as u64).min(n - 1);
            let index = LeafIndex::new(m);
            let proof = inclusion_proof(index, size, &tree).expect("stored");
            let leaf = leaves[m as usize];
            prop_assert_eq!(verify_inclusion(&leaf, index, size, &proof, &root), Ok(()));
            prop_assert!(verify_inclusion(&leaf, index, size, &proof, &flip(&root, bit)).is_err());
            if !proof.is_empty() {
                let mut bad = proof.clone();
                let i = which.index(bad.len());
                bad[i] = flip(&bad[i], bit);
                prop_assert!(verify_inclusion(&leaf, index, size, &bad, &root).is_err());
            }

            let old = TreeSize::new(p as u64);
            let old_root = root_of_leaves(&leaves[..p]);
            let proof = consistency_proof(old, size, &tree).expect("stored");
            prop_assert_eq!(verify_consistency(old, size, &proof, &old_root, &root), Ok(()));
            prop_assert!(
                verify_consistency(old, size, &proof, &flip(&old_root, bit), &root).is_err()
            );
            if !proof.is_empty() {
                let mut bad = proof.clone();
                let i = which.index(bad.len());
                bad[i] = flip(&bad[i], bit);
                prop_assert!(verify_consistency(old, size, &bad, &old_root, &root).is_err());
                prop_assert!(
                    verify_consistency(old, size, &proof, &old_root, &flip(&root, bit)).is_err()
                );
            }
        }
    }
}
