//! Tree sizes and leaf indexes: two numbers that must never be swapped.

use std::fmt;

/// The number of entries in a tree (RFC 6962 `n`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct TreeSize(u64);

/// The zero-based position of an entry in a log (RFC 6962 `m`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LeafIndex(u64);

/// A leaf index that is not inside the tree it was paired with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("leaf index {index} is outside a tree of size {size}")]
pub struct IndexOutOfRange {
    /// The index that was asked for.
    pub index: u64,
    /// The size of the tree.
    pub size: u64,
}

impl TreeSize {
    /// The empty tree.
    pub const ZERO: Self = Self(0);

    /// Any `u64` is a tree size.
    pub const fn new(size: u64) -> Self {
        Self(size)
    }

    /// The size as a number.
    pub const fn get(self) -> u64 {
        self.0
    }

    /// Checks that `index` names an entry of a tree of this size.
    pub fn check(self, index: LeafIndex) -> Result<LeafIndex, IndexOutOfRange> {
        if index.0 < self.0 {
            Ok(index)
        } else {
            Err(IndexOutOfRange {
                index: index.0,
                size: self.0,
            })
        }
    }
}

impl LeafIndex {
    /// Any `u64` is an index; whether it is inside a given tree is checked
    /// with [`TreeSize::check`].
    pub const fn new(index: u64) -> Self {
        Self(index)
    }

    /// The index as a number.
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for TreeSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for LeafIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
