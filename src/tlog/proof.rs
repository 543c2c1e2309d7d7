//! Inclusion and consistency proofs: generation from stored hashes as RFC
//! 6962 section 2.1.1 (`PATH`) and 2.1.2 (`PROOF`/`SUBPROOF`) define them,
//! verification exactly as RFC 9162 sections 2.1.3.2 and 2.1.4.2.
//!
//! # Consistency from the empty tree
//!
//! RFC 6962 and RFC 9162 define consistency proofs only for `0 < old`. The
//! empty tree is a prefix of every tree, so Scrutineer follows the C2SP
//! witness protocol (`tlog-witness`), which accepts old size 0 with an empty
//! proof: a consistency proof from size 0 is valid if and only if it is
//! empty and the old root is the empty-tree hash, SHA-256 of no bytes; it
//! says nothing about the new root. Generation returns an empty proof for it.
//!
//! For `docs/formats.md`: *A consistency proof from tree size 0 is the empty
//! list; it verifies only if the old root is SHA-256 of the empty string
//! (RFC 6962 section 2.1), and it constrains nothing about the new tree (as
//! in C2SP tlog-witness; the transparency-dev test vectors, which reject it,
//! are the one place we differ).*
//!
//! A proof between equal sizes is the empty list and verifies only if the
//! two roots are equal.
//!
//! # What a verified proof does not say
//!
//! A proof binds the leaf hash, the index and the root; the tree size enters
//! only through the shape of the computation. The same list of hashes can
//! verify against the same root under a different size when both sizes give
//! the same sequence of left/right combinations (RFC 9162 verification
//! recomputes a root, and a root is only meaningful together with its size in
//! a signed checkpoint). Callers must take the size and root from one signed
//! checkpoint, never from two sources.

use super::hash::{Hash, empty_root, node_hash};
use super::size::{LeafIndex, TreeSize};
use super::tree::{
    HashReader, TreeError, check_size, fold_subtrees, largest_power_of_two_below, read,
    subtree_indexes,
};

/// Why a proof was rejected. Each variant says what to look at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The leaf index is not inside the tree (RFC 9162 2.1.3.2 step 1).
    #[error("leaf index {index} is outside a tree of size {size}")]
    IndexOutOfRange {
        /// The claimed leaf index.
        index: u64,
        /// The claimed tree size.
        size: u64,
    },
    /// The proof has the wrong number of hashes for these sizes or this
    /// index; a proof for another size or index was probably supplied.
    #[error("the proof has {got} hashes, but these sizes need exactly {expected}")]
    WrongProofLength {
        /// The length the RFC 9162 algorithm consumes for these parameters.
        expected: usize,
        /// The length supplied.
        got: usize,
    },
    /// The inclusion proof leads to a different root: the leaf, the index,
    /// the proof or the root is wrong.
    #[error("the inclusion proof does not lead to the expected root")]
    RootMismatch,
    /// A consistency proof was given from a larger tree to a smaller one.
    #[error("old tree size {old} is larger than new tree size {new}")]
    OldSizeLarger {
        /// The old tree size.
        old: u64,
        /// The new tree size.
        new: u64,
    },
    /// The consistency proof does not reproduce the old root.
    #[error("the consistency proof does not reproduce the old root")]
    OldRootMismatch,
    /// The consistency proof does not reproduce the new root: the new tree
    /// does not extend the old one, or a hash is wrong.
    #[error("the consistency proof does not reproduce the new root")]
    NewRootMismatch,
    /// Two trees of the same size have different roots: the log forked.
    #[error("two roots for the same tree size {size} differ")]
    EqualSizesDifferentRoots {
        /// The common size.
        size: u64,
    },
    /// The old tree has size 0 but its claimed root is not the empty-tree
    /// hash (RFC 6962 section 2.1: SHA-256 of the empty string).
    #[error("the root of the empty tree must be SHA-256 of the empty string")]
    OldRootNotEmptyTree,
}

/// RFC 6962 section 2.1.1: the audit path `PATH(m, D[n])` of leaf `index` in
/// the first `size` leaves of the stored tree, from the leaf's sibling up to
/// the root's child. Reads O(log n) stored hashes.
pub fn inclusion_proof<R: HashReader + ?Sized>(
    index: LeafIndex,
    size: TreeSize,
    reader: &R,
) -> Result<Vec<Hash>, TreeError> {
    check_size(size)?;
    let m = size.check(index)?.get();
    // Walk down from the root. At each split the sibling of the part that
    // holds m goes into the path; recorded top-down, returned bottom-up.
    let mut ranges = Vec::new();
    let (mut lo, mut hi) = (0, size.get());
    while hi - lo > 1 {
        let k = largest_power_of_two_below(hi - lo);
        if m < lo + k {
            ranges.push((lo + k, hi));
            hi = lo + k;
        } else {
            ranges.push((lo, lo + k));
            lo += k;
        }
    }
    ranges.reverse();
    subtree_hashes(&ranges, reader)
}

/// RFC 6962 section 2.1.2: the consistency proof `PROOF(m, D[n])` between
/// the first `old` and the first `new` leaves of the stored tree. Empty when
/// `old` is 0 or equal to `new` (see the module documentation). Reads
/// O(log n) stored hashes.
pub fn consistency_proof<R: HashReader + ?Sized>(
    old: TreeSize,
    new: TreeSize,
    reader: &R,
) -> Result<Vec<Hash>, TreeError> {
    check_size(new)?;
    if old > new {
        return Err(TreeError::OldSizeLarger {
            old: old.get(),
            new: new.get(),
        });
    }
    if old == TreeSize::ZERO || old == new {
        return Ok(Vec::new());
    }
    let mut ranges = Vec::new();
    subproof(old.get(), 0, new.get(), true, &mut ranges);
    subtree_hashes(&ranges, reader)
}

/// RFC 6962 section 2.1.2 `SUBPROOF(m, D[lo:hi], b)`, as leaf ranges whose
/// Merkle Tree Hashes form the proof, in proof order.
fn subproof(m: u64, lo: u64, hi: u64, whole_old_tree: bool, out: &mut Vec<(u64, u64)>) {
    if m == hi - lo {
        // The old tree is this whole subtree: its hash is known to the
        // verifier only if this is the old root itself (b = true).
        if !whole_old_tree {
            out.push((lo, hi));
        }
        return;
    }
    let k = largest_power_of_two_below(hi - lo);
    if m <= k {
        subproof(m, lo, lo + k, whole_old_tree, out);
        out.push((lo + k, hi));
    } else {
        subproof(m - k, lo + k, hi, false, out);
        out.push((lo, lo + k));
    }
}

/// The Merkle Tree Hashes of leaf ranges produced by the RFC 6962 recursion,
/// read in one batch.
fn subtree_hashes<R: HashReader + ?Sized>(
    ranges: &[(u64, u64)],
    reader: &R,
) -> Result<Vec<Hash>, TreeError> {
    let groups: Vec<Vec<u64>> = ranges
        .iter()
        .map(|&(lo, hi)| subtree_indexes(lo, hi))
        .collect();
    let all: Vec<u64> = groups.iter().flatten().copied().collect();
    let hashes = read(reader, &all)?;
    let mut rest = hashes.as_slice();
    Ok(groups
        .iter()
        .map(|group| {
            let (mine, tail) = rest.split_at(group.len());
            rest = tail;
            fold_subtrees(mine).expect("invariant: every proof range is non-empty")
        })
        .collect())
}

/// The number of proof hashes RFC 9162 section 2.1.3.2 consumes for leaf `m`
/// of a tree of size `n > m`: the iterations of step 4 until `sn` is 0.
fn inclusion_proof_len(m: u64, n: u64) -> usize {
    let (mut fn_, mut sn) = (m, n - 1);
    let mut count = 0;
    while sn != 0 {
        if fn_ & 1 == 1 || fn_ == sn {
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        }
        fn_ >>= 1;
        sn >>= 1;
        count += 1;
    }
    count
}

/// RFC 9162 section 2.1.3.2, steps 1–4: the root that `proof` leads to from
/// leaf hash `leaf` at `index` in a tree of `size`. Also checks step 5's
/// `sn = 0` (through the proof length), so only the root comparison is left
/// to the caller.
pub fn root_from_inclusion(
    leaf: &Hash,
    index: LeafIndex,
    size: TreeSize,
    proof: &[Hash],
) -> Result<Hash, ProofError> {
    let (m, n) = (index.get(), size.get());
    // Step 1.
    if m >= n {
        return Err(ProofError::IndexOutOfRange { index: m, size: n });
    }
    // Checking the length first gives an actionable error; it is the same
    // condition as step 4a (too long) and step 5's sn = 0 (too short).
    let expected = inclusion_proof_len(m, n);
    if proof.len() != expected {
        return Err(ProofError::WrongProofLength {
            expected,
            got: proof.len(),
        });
    }
    // Steps 2 and 3.
    let (mut fn_, mut sn) = (m, n - 1);
    let mut r = *leaf;
    // Step 4.
    for p in proof {
        if sn == 0 {
            return Err(ProofError::WrongProofLength {
                expected,
                got: proof.len(),
            });
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    // Step 5, first half.
    if sn != 0 {
        return Err(ProofError::WrongProofLength {
            expected,
            got: proof.len(),
        });
    }
    Ok(r)
}

/// RFC 9162 section 2.1.3.2: verifies that `leaf` (a leaf hash) is at
/// `index` in the tree of `size` whose root is `root`.
pub fn verify_inclusion(
    leaf: &Hash,
    index: LeafIndex,
    size: TreeSize,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    let computed = root_from_inclusion(leaf, index, size, proof)?;
    // Step 5, second half.
    if computed != *root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// The number of hashes RFC 9162 section 2.1.4.2 consumes for
/// `0 < old < new`: one starting hash (unless `old` is a power of two, whose
/// root the verifier already holds) plus the iterations of step 6.
fn consistency_proof_len(old: u64, new: u64) -> usize {
    let (mut fn_, mut sn) = (old - 1, new - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let mut count = 0;
    while sn != 0 {
        if fn_ & 1 == 1 || fn_ == sn {
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        }
        fn_ >>= 1;
        sn >>= 1;
        count += 1;
    }
    count + usize::from(!old.is_power_of_two())
}

/// RFC 9162 section 2.1.4.2: verifies that the tree of size `old` with root
/// `old_root` is a prefix of the tree of size `new` with root `new_root`.
///
/// Size 0 and equal sizes are handled before the RFC algorithm, as the
/// module documentation says: from size 0 the proof must be empty and
/// `old_root` the empty-tree hash; between equal sizes the proof must be
/// empty and the roots equal.
pub fn verify_consistency(
    old: TreeSize,
    new: TreeSize,
    proof: &[Hash],
    old_root: &Hash,
    new_root: &Hash,
) -> Result<(), ProofError> {
    let (m, n) = (old.get(), new.get());
    if m > n {
        return Err(ProofError::OldSizeLarger { old: m, new: n });
    }
    if m == 0 || m == n {
        if !proof.is_empty() {
            return Err(ProofError::WrongProofLength {
                expected: 0,
                got: proof.len(),
            });
        }
        if m == 0 && *old_root != empty_root() {
            return Err(ProofError::OldRootNotEmptyTree);
        }
        if m == n && old_root != new_root {
            return Err(ProofError::EqualSizesDifferentRoots { size: m });
        }
        return Ok(());
    }
    // Step 1 (an empty proof) is covered by the length check: 0 < m < n
    // always needs at least one hash.
    let expected = consistency_proof_len(m, n);
    if proof.len() != expected {
        return Err(ProofError::WrongProofLength {
            expected,
            got: proof.len(),
        });
    }
    let wrong_length = ProofError::WrongProofLength {
        expected,
        got: proof.len(),
    };
    // Step 2: a power-of-two old tree is a complete subtree of the new one,
    // so its root is the proof's implicit first hash.
    let (first, rest) = if m.is_power_of_two() {
        (*old_root, proof)
    } else {
        let (first, rest) = proof.split_first().ok_or(wrong_length.clone())?;
        (*first, rest)
    };
    // Steps 3 and 4.
    let (mut fn_, mut sn) = (m - 1, n - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    // Step 5.
    let (mut fr, mut sr) = (first, first);
    // Step 6.
    for c in rest {
        if sn == 0 {
            return Err(wrong_length);
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    // Step 7.
    if sn != 0 {
        return Err(wrong_length);
    }
    if fr != *old_root {
        return Err(ProofError::OldRootMismatch);
    }
    if sr != *new_root {
        return Err(ProofError::NewRootMismatch);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlog::hash::leaf_hash;
    use crate::tlog::tree::{MemoryHashes, root_of_leaves};

    fn leaves(n: u64) -> Vec<Hash> {
        (0..n)
            .map(|i| leaf_hash(format!("entry {i}").as_bytes()))
            .collect()
    }

    /// RFC 6962 section 2.1.1 `PATH`, straight from the leaves.
    fn reference_path(m: usize, d: &[Hash]) -> Vec<Hash> {
        if d.len() <= 1 {
            return Vec::new();
        }
        let k = largest_power_of_two_below(d.len() as u64) as usize;
        if m < k {
            let mut p = reference_path(m, &d[..k]);
            p.push(root_of_leaves(&d[k..]));
            p
        } else {
            let mut p = reference_path(m - k, &d[k..]);
            p.push(root_of_leaves(&d[..k]));
            p
        }
    }

    /// RFC 6962 section 2.1.2 `SUBPROOF`, straight from the leaves.
    fn reference_subproof(m: usize, d: &[Hash], b: bool) -> Vec<Hash> {
        if m == d.len() {
            return if b {
                Vec::new()
            } else {
                vec![root_of_leaves(d)]
            };
        }
        let k = largest_power_of_two_below(d.len() as u64) as usize;
        if m <= k {
            let mut p = reference_subproof(m, &d[..k], b);
            p.push(root_of_leaves(&d[k..]));
            p
        } else {
            let mut p = reference_subproof(m - k, &d[k..], false);
            p.push(root_of_leaves(&d[..k]));
            p
        }
    }

    #[test]
    fn generated_proofs_equal_the_rfc_definitions_and_verify() {
        let all = leaves(40);
        let tree = MemoryHashes::from_leaf_hashes(&all);
        for n in 1..=40usize {
            let size = TreeSize::new(n as u64);
            let root = root_of_leaves(&all[..n]);
            for m in 0..n {
                let index = LeafIndex::new(m as u64);
                let proof = inclusion_proof(index, size, &tree).expect("stored");
                assert_eq!(proof, reference_path(m, &all[..n]), "PATH({m}, {n})");
                assert_eq!(
                    verify_inclusion(&all[m], index, size, &proof, &root),
                    Ok(())
                );
            }
            for old in 1..n {
                let proof =
                    consistency_proof(TreeSize::new(old as u64), size, &tree).expect("stored");
                assert_eq!(
                    proof,
                    reference_subproof(old, &all[..n], true),
                    "PROOF({old}, {n})"
                );
                let old_root = root_of_leaves(&all[..old]);
                assert_eq!(
                    verify_consistency(TreeSize::new(old as u64), size, &proof, &old_root, &root),
                    Ok(())
                );
            }
        }
    }

    #[test]
    fn inclusion_errors_are_actionable() {
        let all = leaves(5);
        let tree = MemoryHashes::from_leaf_hashes(&all);
        let size = TreeSize::new(5);
        let root = tree.root();
        let proof = inclusion_proof(LeafIndex::new(2), size, &tree).expect("stored");
        assert_eq!(
            verify_inclusion(&all[2], LeafIndex::new(5), size, &proof, &root),
            Err(ProofError::IndexOutOfRange { index: 5, size: 5 })
        );
        assert_eq!(
            verify_inclusion(&all[2], LeafIndex::new(2), size, &proof[..2], &root),
            Err(ProofError::WrongProofLength {
                expected: 3,
                got: 2
            })
        );
        assert_eq!(
            verify_inclusion(&all[3], LeafIndex::new(2), size, &proof, &root),
            Err(ProofError::RootMismatch)
        );
        assert!(matches!(
            inclusion_proof(LeafIndex::new(5), size, &tree),
            Err(TreeError::IndexOutOfRange(_))
        ));
        assert!(matches!(
            inclusion_proof(LeafIndex::new(0), TreeSize::new(6), &tree),
            Err(TreeError::Read(_))
        ));
    }

    #[test]
    fn consistency_from_zero_and_between_equal_sizes() {
        let all = leaves(3);
        let tree = MemoryHashes::from_leaf_hashes(&all);
        let (zero, three) = (TreeSize::ZERO, TreeSize::new(3));
        let root = tree.root();
        let empty = empty_root();
        assert_eq!(
            consistency_proof(zero, three, &tree).expect("stored"),
            Vec::<Hash>::new()
        );
        assert_eq!(verify_consistency(zero, three, &[], &empty, &root), Ok(()));
        assert_eq!(verify_consistency(zero, zero, &[], &empty, &empty), Ok(()));
        assert_eq!(
            verify_consistency(zero, three, &[], &root, &root),
            Err(ProofError::OldRootNotEmptyTree)
        );
        assert_eq!(
            verify_consistency(zero, three, &[root], &empty, &root),
            Err(ProofError::WrongProofLength {
                expected: 0,
                got: 1
            })
        );
        assert_eq!(
            verify_consistency(zero, zero, &[], &empty, &root),
            Err(ProofError::EqualSizesDifferentRoots { size: 0 })
        );
        assert_eq!(verify_consistency(three, three, &[], &root, &root), Ok(()));
        assert_eq!(
            verify_consistency(three, three, &[], &root, &empty),
            Err(ProofError::EqualSizesDifferentRoots { size: 3 })
        );
        assert_eq!(
            verify_consistency(three, TreeSize::new(2), &[], &root, &root),
            Err(ProofError::OldSizeLarger { old: 3, new: 2 })
        );
        assert!(matches!(
            consistency_proof(three, TreeSize::new(2), &tree),
            Err(TreeError::OldSizeLarger { old: 3, new: 2 })
        ));
    }

    #[test]
    fn consistency_mismatches_name_the_root() {
        let all = leaves(7);
        let tree = MemoryHashes::from_leaf_hashes(&all);
        let (old, new) = (TreeSize::new(3), TreeSize::new(7));
        let proof = consistency_proof(old, new, &tree).expect("stored");
        let old_root = root_of_leaves(&all[..3]);
        let new_root = tree.root();
        assert_eq!(
            verify_consistency(old, new, &proof, &new_root, &new_root),
            Err(ProofError::OldRootMismatch)
        );
        assert_eq!(
            verify_consistency(old, new, &proof, &old_root, &old_root),
            Err(ProofError::NewRootMismatch)
        );
        assert_eq!(
            verify_consistency(old, new, &[], &old_root, &new_root),
            Err(ProofError::WrongProofLength {
                expected: proof.len(),
                got: 0
            })
        );
    }
}
