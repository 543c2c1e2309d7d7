//! The RFC 6962 Merkle tree kept as "stored hashes": every hash of every
//! level, in the order in which appending leaves completes them.
//!
//! RFC 6962 section 2.1 defines the Merkle Tree Hash of `n` leaves
//! recursively, splitting at the largest power of two strictly below `n`.
//! That recursion only ever combines *complete* subtrees (a power-of-two
//! number of leaves, aligned on a multiple of their size) with the hash of a
//! smaller tree to their right, so a log that keeps the hash of every complete
//! subtree can compute any root and any proof by reading O(log n) hashes.
//!
//! # Stored-hash addressing
//!
//! The node at `(level, n)` is the root of the complete subtree over leaves
//! `[n·2^level, (n+1)·2^level)`. Appending leaf `k` writes its leaf hash and
//! then, for each level at which the new leaf completes a subtree (one per
//! trailing one bit of `k`), that subtree's hash. So the hashes of a tree of
//! size `n` form one linear sequence of `2n − popcount(n)` entries, and a
//! storage back end only ever appends to it. The same order is used by the Go
//! checksum database (`golang.org/x/mod/sumdb/tlog`), so stored hashes can be
//! compared with its tools.
//!
//! Architecture invariant: this file is pure arithmetic and hashing; storage
//! is reached only through [`HashReader`].

use std::error::Error as StdError;

use super::hash::{Hash, empty_root, node_hash};
use super::size::{IndexOutOfRange, LeafIndex, TreeSize};

/// The largest tree size whose stored hashes can be addressed with `u64`
/// indexes: a tree of `2^63` leaves has `2^64 − 1` stored hashes. Larger
/// sizes are refused with [`TreeError::TooLarge`] instead of overflowing.
pub const MAX_STORED_TREE_SIZE: u64 = 1 << 63;

/// Why a root, a proof or a set of stored hashes could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    /// The [`HashReader`] failed (for example a hash is missing because the
    /// stored tree is smaller than the size asked for, or storage failed).
    #[error("reading stored hashes failed: {0}")]
    Read(#[source] Box<dyn StdError + Send + Sync + 'static>),
    /// The [`HashReader`] broke its contract by returning a different number
    /// of hashes than asked for; this is a bug in the reader.
    #[error("hash reader returned {got} hashes for {asked} indexes")]
    ReaderContract {
        /// How many hashes were asked for.
        asked: usize,
        /// How many came back.
        got: usize,
    },
    /// A leaf index outside the tree.
    #[error(transparent)]
    IndexOutOfRange(#[from] IndexOutOfRange),
    /// A consistency proof was asked from a larger tree to a smaller one.
    #[error("old tree size {old} is larger than new tree size {new}")]
    OldSizeLarger {
        /// The old (supposedly prefix) tree size.
        old: u64,
        /// The new tree size.
        new: u64,
    },
    /// The tree size exceeds [`MAX_STORED_TREE_SIZE`].
    #[error("tree size {size} exceeds the largest supported size 2^63")]
    TooLarge {
        /// The size that was asked for.
        size: u64,
    },
}

/// Read access to stored hashes, addressed by [`stored_hash_index`].
///
/// Contract: `read_hashes` returns exactly one hash per requested index, in
/// the order asked (indexes may repeat and need not be sorted), or an error
/// if any of them is not stored. It never returns a partial result. It is a
/// read: it changes nothing, so a caller may retry it. A hash returned for an
/// index must be the one written there; the tree code trusts the reader for
/// that and every consumer that does not trust storage re-verifies roots
/// against a signed checkpoint.
pub trait HashReader {
    /// The reader's own error, wrapped into [`TreeError::Read`].
    type Error: StdError + Send + Sync + 'static;

    /// Returns the hashes stored at `indexes`, in that order.
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, Self::Error>;
}

/// A stored hash that an in-memory reader does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("stored hash {index} is missing (only {stored} hashes are stored)")]
pub struct MissingHash {
    /// The index asked for.
    pub index: u64,
    /// How many hashes the reader holds.
    pub stored: u64,
}

impl HashReader for [Hash] {
    type Error = MissingHash;

    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, MissingHash> {
        indexes
            .iter()
            .map(|&index| {
                usize::try_from(index)
                    .ok()
                    .and_then(|i| self.get(i).copied())
                    .ok_or(MissingHash {
                        index,
                        stored: self.len() as u64,
                    })
            })
            .collect()
    }
}

impl HashReader for Vec<Hash> {
    type Error = MissingHash;

    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, MissingHash> {
        self.as_slice().read_hashes(indexes)
    }
}

impl<R: HashReader + ?Sized> HashReader for &R {
    type Error = R::Error;

    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, R::Error> {
        (**self).read_hashes(indexes)
    }
}

/// An in-memory tree: the stored hashes of every leaf appended so far.
///
/// Used by tests, by the static-log builder and by anything else that holds a
/// whole (small) log in memory. Appending reads back O(log n) of its own
/// hashes, exactly as a storage-backed log does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryHashes {
    /// The stored hashes, at their [`stored_hash_index`] positions.
    hashes: Vec<Hash>,
    /// The number of leaves, kept because it cannot be recovered cheaply
    /// from `hashes.len()` alone.
    size: TreeSize,
}

impl MemoryHashes {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds the tree of the given leaf hashes.
    pub fn from_leaf_hashes(leaves: &[Hash]) -> Self {
        let mut tree = Self::new();
        for leaf in leaves {
            tree.push_leaf(*leaf);
        }
        tree
    }

    /// Appends one leaf hash and the interior hashes it completes.
    ///
    /// # Panics
    ///
    /// Panics if the tree already holds [`MAX_STORED_TREE_SIZE`] leaves,
    /// which an in-memory tree cannot reach.
    pub fn push_leaf(&mut self, leaf: Hash) {
        let index = LeafIndex::new(self.size.get());
        let new = stored_hashes_for_append(index, leaf, &self.hashes)
            .expect("invariant: an in-memory tree holds every stored hash below its size");
        self.hashes.extend(new);
        self.size = TreeSize::new(self.size.get() + 1);
    }

    /// The number of leaves.
    pub fn size(&self) -> TreeSize {
        self.size
    }

    /// All stored hashes, in [`stored_hash_index`] order.
    pub fn as_slice(&self) -> &[Hash] {
        &self.hashes
    }

    /// The current root.
    pub fn root(&self) -> Hash {
        tree_hash(self.size, &self.hashes)
            .expect("invariant: an in-memory tree holds every stored hash below its size")
    }
}

impl HashReader for MemoryHashes {
    type Error = MissingHash;

    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, MissingHash> {
        self.hashes.read_hashes(indexes)
    }
}

/// The stored hashes a batch of appends produced, with the frontier of the
/// tree it extended: enough to prove any leaf of the batch against the
/// tree after it without reading storage.
///
/// A batch appends leaves `[first, size)` to a tree of `first` leaves. An
/// inclusion proof of a leaf `m ≥ first` needs the hashes of the siblings
/// on its path; each is either a subtree wholly left of `first` — then a
/// complete subtree of the frontier of `first` (a larger aligned subtree
/// inside `[0, first)` holding it would hold `m` too) — or a subtree
/// completed by the batch (its last leaf is at or after `first`), whose
/// stored hash the batch wrote. Any other index is reported missing, so a
/// caller can fall back to storage; the proof tests below check that it
/// never has to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TailHashes {
    /// The frontier of the tree before the batch: (stored index, hash).
    frontier: Vec<(u64, Hash)>,
    /// The stored index of `written[0]`.
    first_index: u64,
    /// The stored hashes the batch wrote, in order.
    written: Vec<Hash>,
}

impl TailHashes {
    /// The hashes of a batch that extended a tree of `before` leaves, whose
    /// appender before the batch was `before`, and wrote `written` from
    /// stored index `stored_hash_count(before.size())` on.
    pub fn new(before: &Appender, written: Vec<Hash>) -> Self {
        Self {
            frontier: frontier_indexes(before.size)
                .into_iter()
                .zip(before.frontier.iter().copied())
                .collect(),
            first_index: stored_hash_count(before.size),
            written,
        }
    }
}

impl HashReader for TailHashes {
    type Error = MissingHash;

    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, MissingHash> {
        let stored = self.first_index.saturating_add(self.written.len() as u64);
        indexes
            .iter()
            .map(|&index| {
                let found = match index.checked_sub(self.first_index) {
                    Some(offset) => usize::try_from(offset)
                        .ok()
                        .and_then(|i| self.written.get(i).copied()),
                    None => self
                        .frontier
                        .iter()
                        .find(|(at, _)| *at == index)
                        .map(|(_, hash)| *hash),
                };
                found.ok_or(MissingHash { index, stored })
            })
            .collect()
    }
}

/// The number of stored hashes of a tree of `size` leaves: `2n − popcount(n)`
/// (each leaf, plus one hash per complete interior subtree).
///
/// Defined for every size up to [`MAX_STORED_TREE_SIZE`]; larger sizes
/// saturate at `u64::MAX`.
pub fn stored_hash_count(size: TreeSize) -> u64 {
    let n = size.get();
    // 2n − popcount(n) ≤ 2^64 − 1 for n ≤ 2^63; the checked form keeps the
    // function total for larger inputs.
    n.checked_mul(2)
        .map_or(u64::MAX, |double| double - u64::from(n.count_ones()))
}

/// The position in the stored-hash sequence of the node at `(level, n)`,
/// the root of leaves `[n·2^level, (n+1)·2^level)`.
///
/// That node is completed by appending its last leaf `k = (n+1)·2^level − 1`,
/// which first writes the leaf hash at `stored_hash_count(k)` and then one
/// hash per completed level, so the node lands `level` places after it.
///
/// # Panics
///
/// Panics if the node's last leaf is not below [`MAX_STORED_TREE_SIZE`];
/// callers reach this only through sizes already checked against it.
pub fn stored_hash_index(level: u8, n: u64) -> u64 {
    let last_leaf = n
        .checked_add(1)
        .and_then(|end| end.checked_shl(u32::from(level)))
        .filter(|end| (end >> level) == n + 1 && *end <= MAX_STORED_TREE_SIZE)
        .map(|end| end - 1)
        .expect("invariant: the node's leaves lie below MAX_STORED_TREE_SIZE");
    stored_hash_count(TreeSize::new(last_leaf)) + u64::from(level)
}

/// The inverse of [`stored_hash_index`]: the `(level, n)` of the node stored
/// at `index`, or `None` for `u64::MAX`, which no tree of at most
/// [`MAX_STORED_TREE_SIZE`] leaves stores.
pub fn split_stored_hash_index(index: u64) -> Option<(u8, u64)> {
    if index >= stored_hash_count(TreeSize::new(MAX_STORED_TREE_SIZE)) {
        return None;
    }
    // The leaf k whose append wrote this index is the largest k with
    // stored_hash_count(k) ≤ index. Since 2k − 64 ≤ stored_hash_count(k) ≤ 2k,
    // k starts at index/2 and moves up by at most 32 steps; it stays below
    // MAX_STORED_TREE_SIZE because index is below that size's count.
    let mut k = index / 2;
    while stored_hash_count(TreeSize::new(k + 1)) <= index {
        k += 1;
    }
    let level = index - stored_hash_count(TreeSize::new(k));
    let level = u8::try_from(level).expect("invariant: at most 63 hashes follow one leaf");
    Some((level, ((k + 1) >> level) - 1))
}

/// Reads `indexes` through `reader`, enforcing the [`HashReader`] contract.
pub(crate) fn read<R: HashReader + ?Sized>(
    reader: &R,
    indexes: &[u64],
) -> Result<Vec<Hash>, TreeError> {
    let hashes = reader
        .read_hashes(indexes)
        .map_err(|e| TreeError::Read(Box::new(e)))?;
    if hashes.len() != indexes.len() {
        return Err(TreeError::ReaderContract {
            asked: indexes.len(),
            got: hashes.len(),
        });
    }
    Ok(hashes)
}

/// Refuses sizes whose stored hashes cannot be addressed.
pub(crate) fn check_size(size: TreeSize) -> Result<(), TreeError> {
    if size.get() > MAX_STORED_TREE_SIZE {
        return Err(TreeError::TooLarge { size: size.get() });
    }
    Ok(())
}

/// The complete subtrees `(level, n)` that make up leaves `[start, end)`,
/// left to right, largest first.
///
/// `start` must be aligned so that the range is a "right part" of the RFC 6962
/// recursion: a multiple of the largest power of two not above `end − start`
/// (every range the recursion produces is). For `start = 0` these are the
/// subtrees named by the set bits of `end`, from the highest.
pub(crate) fn complete_subtrees(start: u64, end: u64) -> Vec<(u8, u64)> {
    let mut out = Vec::new();
    let mut lo = start;
    let mut remaining = end - start;
    while remaining > 0 {
        let level = 63 - remaining.leading_zeros();
        debug_assert_eq!(lo % (1 << level), 0, "range start is aligned");
        let level_u8 = u8::try_from(level).expect("invariant: a u64 has at most 64 bits");
        out.push((level_u8, lo >> level));
        lo += 1 << level;
        remaining -= 1 << level;
    }
    out
}

/// RFC 6962 section 2.1: folds the hashes of consecutive complete subtrees,
/// largest (leftmost) first, into the Merkle Tree Hash of their union. Each
/// split of the recursion puts the largest power of two on the left, so the
/// hash is `node(h0, node(h1, … node(h_{k−2}, h_{k−1})))`.
pub(crate) fn fold_subtrees(hashes: &[Hash]) -> Option<Hash> {
    let (last, rest) = hashes.split_last()?;
    Some(
        rest.iter()
            .rev()
            .fold(*last, |acc, left| node_hash(left, &acc)),
    )
}

/// The stored hashes of the complete subtrees of leaves `[start, end)`.
pub(crate) fn subtree_indexes(start: u64, end: u64) -> Vec<u64> {
    complete_subtrees(start, end)
        .into_iter()
        .map(|(level, n)| stored_hash_index(level, n))
        .collect()
}

/// The new stored hashes to write when appending leaf number `index` with
/// leaf hash `leaf`: the leaf hash first, then one hash per subtree it
/// completes, bottom up. They belong at
/// `stored_hash_count(TreeSize::new(index))` onwards.
///
/// Reads the left siblings of the completed subtrees: one hash per trailing
/// one bit of `index`, so O(log n).
pub fn stored_hashes_for_append<R: HashReader + ?Sized>(
    index: LeafIndex,
    leaf: Hash,
    reader: &R,
) -> Result<Vec<Hash>, TreeError> {
    let k = index.get();
    check_size(TreeSize::new(k.saturating_add(1)))?;
    let completed = k.trailing_ones();
    // At each completed level l (0-based), the new node's left sibling is the
    // node (l, (k >> l) − 1): the subtree just before the one holding k.
    let siblings: Vec<u64> = (0..completed)
        .map(|l| {
            let l = u8::try_from(l).expect("invariant: at most 64 trailing ones");
            stored_hash_index(l, (k >> l) - 1)
        })
        .collect();
    let lefts = read(reader, &siblings)?;
    let mut out = Vec::with_capacity(lefts.len() + 1);
    out.push(leaf);
    let mut current = leaf;
    for left in &lefts {
        current = node_hash(left, &current);
        out.push(current);
    }
    Ok(out)
}

/// The Merkle Tree Hash (RFC 6962 section 2.1) of the first `size` leaves of
/// the stored tree, for any size up to the stored one. Reads one hash per set
/// bit of `size`.
pub fn tree_hash<R: HashReader + ?Sized>(size: TreeSize, reader: &R) -> Result<Hash, TreeError> {
    check_size(size)?;
    if size == TreeSize::ZERO {
        return Ok(empty_root());
    }
    let hashes = read(reader, &subtree_indexes(0, size.get()))?;
    Ok(fold_subtrees(&hashes).expect("invariant: a non-empty tree has a complete subtree"))
}

/// The reference Merkle Tree Hash of a list of leaf hashes, computed straight
/// from the recursive definition of RFC 6962 section 2.1: the empty tree
/// hashes to SHA-256 of nothing, one leaf to its leaf hash, and `n > 1`
/// leaves to `node(MTH(D[0:k]), MTH(D[k:n]))` with `k` the largest power of
/// two strictly less than `n`. Used by tests as an independent oracle.
pub fn root_of_leaves(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = largest_power_of_two_below(n as u64) as usize;
            node_hash(&root_of_leaves(&leaves[..k]), &root_of_leaves(&leaves[k..]))
        }
    }
}

/// RFC 6962 section 2.1: the largest power of two strictly less than `n`,
/// for `n > 1`.
pub(crate) fn largest_power_of_two_below(n: u64) -> u64 {
    debug_assert!(n > 1);
    1 << (63 - (n - 1).leading_zeros())
}

/// The stored-hash indexes of the frontier of a tree of `size` leaves: the
/// complete subtrees named by the set bits of `size`, largest first. These
/// are what [`Appender::resume`] reads and [`Appender::from_frontier`] takes.
pub fn frontier_indexes(size: TreeSize) -> Vec<u64> {
    subtree_indexes(0, size.get())
}

/// Appends leaves keeping only the right edge of the tree: the hashes of
/// the complete subtrees that make up the current size (one per set bit),
/// the "frontier". It is the sequencer's in-memory state, O(log n) hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appender {
    /// The number of leaves appended so far.
    size: TreeSize,
    /// The complete subtrees of `size`, largest (leftmost) first.
    frontier: Vec<Hash>,
}

impl Default for Appender {
    fn default() -> Self {
        Self::new()
    }
}

impl Appender {
    /// An appender for an empty tree.
    pub fn new() -> Self {
        Self {
            size: TreeSize::ZERO,
            frontier: Vec::new(),
        }
    }

    /// Resumes appending to a stored tree of `size` leaves, reading the
    /// frontier's popcount(size) hashes.
    pub fn resume<R: HashReader + ?Sized>(size: TreeSize, reader: &R) -> Result<Self, TreeError> {
        check_size(size)?;
        let frontier = read(reader, &subtree_indexes(0, size.get()))?;
        Ok(Self { size, frontier })
    }

    /// Resumes from the frontier hashes already read, in the order of
    /// [`frontier_indexes`]`(size)`: for a caller whose storage is
    /// asynchronous and reads them itself.
    pub fn from_frontier(size: TreeSize, frontier: Vec<Hash>) -> Result<Self, TreeError> {
        check_size(size)?;
        let expected = frontier_indexes(size).len();
        if frontier.len() != expected {
            return Err(TreeError::ReaderContract {
                asked: expected,
                got: frontier.len(),
            });
        }
        Ok(Self { size, frontier })
    }

    /// The number of leaves appended so far.
    pub fn size(&self) -> TreeSize {
        self.size
    }

    /// The frontier: the hashes of the complete subtrees of the current
    /// size, at [`frontier_indexes`]`(size)`.
    pub fn frontier(&self) -> &[Hash] {
        &self.frontier
    }

    /// The index at which the next [`Appender::append`] result belongs in the
    /// stored-hash sequence.
    pub fn next_stored_index(&self) -> u64 {
        stored_hash_count(self.size)
    }

    /// Appends a leaf hash and returns the stored hashes to persist at
    /// [`Appender::next_stored_index`] (as read before this call): the leaf
    /// hash, then each completed subtree bottom up. The same values as
    /// [`stored_hashes_for_append`], without reading storage.
    pub fn append(&mut self, leaf: Hash) -> Result<Vec<Hash>, TreeError> {
        let k = self.size.get();
        check_size(TreeSize::new(k.saturating_add(1)))?;
        let completed = k.trailing_ones() as usize;
        let mut out = Vec::with_capacity(completed + 1);
        out.push(leaf);
        let mut current = leaf;
        // The trailing ones of k are the smallest subtrees of the frontier,
        // at its end; each merges with the new one into a subtree one level up.
        for _ in 0..completed {
            let left = self
                .frontier
                .pop()
                .expect("invariant: the frontier holds one hash per set bit of the size");
            current = node_hash(&left, &current);
            out.push(current);
        }
        self.frontier.push(current);
        self.size = TreeSize::new(k + 1);
        Ok(out)
    }

    /// The Merkle Tree Hash of the leaves appended so far, in O(log n).
    pub fn root(&self) -> Hash {
        fold_subtrees(&self.frontier).unwrap_or_else(empty_root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlog::hash::leaf_hash;

    fn leaves(n: u64) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    /// The (level, n) of every stored hash in write order, derived from the
    /// definition (leaf k, then each subtree it completes) rather than from
    /// the index formula.
    fn write_order(size: u64) -> Vec<(u8, u64)> {
        let mut out = Vec::new();
        for k in 0..size {
            out.push((0, k));
            let mut level = 0u8;
            while (k + 1) % (1 << (level + 1)) == 0 {
                level += 1;
                out.push((level, ((k + 1) >> level) - 1));
            }
        }
        out
    }

    #[test]
    fn stored_hash_index_follows_the_write_order_and_inverts() {
        let order = write_order(1100);
        for (i, &(level, n)) in order.iter().enumerate() {
            assert_eq!(stored_hash_index(level, n), i as u64, "({level}, {n})");
            assert_eq!(split_stored_hash_index(i as u64), Some((level, n)));
        }
        for size in 0..1100u64 {
            let count = write_order(size).len() as u64;
            assert_eq!(stored_hash_count(TreeSize::new(size)), count, "size {size}");
        }
    }

    #[test]
    fn stored_hash_index_at_the_largest_size() {
        // The root of the largest supported tree is its last stored hash.
        assert_eq!(stored_hash_index(63, 0), u64::MAX - 1);
        assert_eq!(split_stored_hash_index(u64::MAX - 1), Some((63, 0)));
        assert_eq!(split_stored_hash_index(u64::MAX), None);
        assert_eq!(
            stored_hash_count(TreeSize::new(MAX_STORED_TREE_SIZE)),
            u64::MAX
        );
        assert!(matches!(
            tree_hash(TreeSize::new(MAX_STORED_TREE_SIZE + 1), &Vec::new()),
            Err(TreeError::TooLarge { .. })
        ));
    }

    #[test]
    fn empty_and_one_leaf_roots_are_known_answers() {
        // RFC 6962 section 2.1: MTH({}) = SHA-256(""); MTH({d0}) is the leaf
        // hash, which for the empty entry is SHA-256 of the single byte 0x00
        // (e.g. `printf '\0' | sha256sum`).
        assert_eq!(root_of_leaves(&[]), empty_root());
        let one = MemoryHashes::from_leaf_hashes(&[leaf_hash(b"")]);
        assert_eq!(
            one.root().to_hex(),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
    }

    #[test]
    fn stored_tree_roots_match_the_rfc_recursion_for_every_prefix() {
        let all = leaves(300);
        let tree = MemoryHashes::from_leaf_hashes(&all);
        assert_eq!(tree.as_slice().len() as u64, stored_hash_count(tree.size()));
        for size in 0..=300usize {
            let root = tree_hash(TreeSize::new(size as u64), &tree).expect("stored");
            assert_eq!(root, root_of_leaves(&all[..size]), "size {size}");
        }
        assert!(matches!(
            tree_hash(TreeSize::new(301), &tree),
            Err(TreeError::Read(_))
        ));
    }

    #[test]
    fn appender_matches_stored_hashes_and_resumes_anywhere() {
        let all = leaves(140);
        let tree = MemoryHashes::from_leaf_hashes(&all);
        for start in 0..=140u64 {
            let mut appender = Appender::resume(TreeSize::new(start), &tree).expect("stored");
            assert_eq!(appender.root(), root_of_leaves(&all[..start as usize]));
            for k in start..140 {
                let at = appender.next_stored_index() as usize;
                let new = appender.append(all[k as usize]).expect("small tree");
                assert_eq!(&tree.as_slice()[at..at + new.len()], new.as_slice());
                assert_eq!(appender.root(), root_of_leaves(&all[..=k as usize]));
            }
        }
    }

    #[test]
    fn a_batch_proves_its_own_leaves_without_storage() {
        let all = leaves(80);
        for first in 0..=40u64 {
            let mut appender = Appender::new();
            for leaf in &all[..first as usize] {
                appender.append(*leaf).expect("append");
            }
            let before = appender.clone();
            let mut written = Vec::new();
            for size in first + 1..=80 {
                written.extend(appender.append(all[size as usize - 1]).expect("append"));
                let tail = TailHashes::new(&before, written.clone());
                let memory = MemoryHashes::from_leaf_hashes(&all[..size as usize]);
                for m in first..size {
                    let (leaf, tree) = (LeafIndex::new(m), TreeSize::new(size));
                    assert_eq!(
                        crate::tlog::proof::inclusion_proof(leaf, tree, &tail).expect("tail"),
                        crate::tlog::proof::inclusion_proof(leaf, tree, &memory).expect("memory"),
                        "leaf {m} of {size}, batch from {first}"
                    );
                }
            }
        }
        // Anything else is reported missing, not made up: after 5 leaves
        // the frontier is [0, 4) and [4, 5), so leaf 0's hash is not held.
        let mut appender = Appender::new();
        for leaf in &all[..5] {
            appender.append(*leaf).expect("append");
        }
        let tail = TailHashes::new(&appender, Vec::new());
        assert!(tail.read_hashes(&[0]).is_err());
        assert_eq!(
            tail.read_hashes(&frontier_indexes(TreeSize::new(5)))
                .expect("frontier"),
            appender.frontier()
        );
    }

    #[test]
    fn reader_contract_violations_are_reported() {
        struct Short;
        impl HashReader for Short {
            type Error = MissingHash;
            fn read_hashes(&self, _: &[u64]) -> Result<Vec<Hash>, MissingHash> {
                Ok(Vec::new())
            }
        }
        let err = tree_hash(TreeSize::new(3), &Short).expect_err("reader returns nothing");
        assert!(matches!(
            err,
            TreeError::ReaderContract { asked: 2, got: 0 }
        ));
    }
}
