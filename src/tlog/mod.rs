//! The transparency-log core: RFC 6962 / RFC 9162 Merkle trees, proofs, the
//! C2SP tlog-tiles layout, checkpoints and receipts.
//!
//! Architecture invariant: this module is pure. It imports no tokio, axum or
//! sqlx, reads and writes no files, and reaches stored hashes only through the
//! [`tree::HashReader`] trait, so the verifier can use it without the server.

pub mod bundle;
pub mod checkpoint;
pub mod cosignature;
pub mod hash;
pub mod policy;
pub mod proof;
pub mod receipt;
pub mod size;
pub mod tile;
mod tile_check;
pub mod tree;
pub mod witness;

pub use hash::{Hash, HashError, empty_root, leaf_hash, node_hash};
pub use proof::{ProofError, verify_consistency, verify_inclusion};
pub use size::{IndexOutOfRange, LeafIndex, TreeSize};
pub use tile::{Tile, TileError, TileKind};
pub use tree::{Appender, HashReader, MemoryHashes, TailHashes, TreeError};
