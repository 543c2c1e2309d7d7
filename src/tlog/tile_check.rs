//! The check that a set of tiles read back belongs to a checkpoint's root
//! (C2SP tlog-tiles): every tile the tree publishes is read once, its
//! hashes are folded into the root, and each entry bundle is checked
//! against the level-0 tile it belongs to. A failure names the tile.

use super::hash::{Hash, empty_root, leaf_hash, node_hash};
use super::size::TreeSize;
use super::tile::{Tile, TileKind, decode_bundle, parse_tile_data, tiles_for_size};
use super::tree::{MAX_STORED_TREE_SIZE, fold_subtrees};

/// Why a set of tiles does not belong to a checkpoint's root.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TileVerifyError {
    /// A tile the tree publishes could not be read.
    #[error("tile {} is missing", .0.path())]
    Missing(Tile),
    /// A tile has the wrong length, or a bundle does not decode.
    #[error("tile {} is malformed: {reason}", tile.path())]
    Malformed {
        /// The tile.
        tile: Tile,
        /// What is wrong.
        reason: String,
    },
    /// The partial tiles (the right edge of the tree, which determines the
    /// root) do not hash to the root. One of them, or the root, is wrong.
    #[error("the partial tiles do not hash to the root of size {size}")]
    RootMismatch {
        /// The tree size checked.
        size: u64,
    },
    /// A full tile does not hash to its (already verified) hash in the
    /// tile above: this tile is wrong.
    #[error("tile {} does not match the tile above it", .0.path())]
    TileMismatch(Tile),
    /// The checkpoint's size exceeds the largest supported tree size.
    #[error("tree size {size} exceeds the largest supported size 2^63")]
    TooLarge {
        /// The size claimed.
        size: u64,
    },
    /// An entry does not hash to its (already verified) level-0 leaf hash.
    #[error("entry {position} of bundle {} does not match its leaf hash", tile.path())]
    EntryMismatch {
        /// The entry bundle.
        tile: Tile,
        /// The entry's position within the bundle.
        position: usize,
    },
}

/// Verifies every tile and entry bundle that a tree of `size` publishes
/// against its `root` (from a verified checkpoint), reading each one once
/// through `get_tile` (`None` when it is absent).
///
/// The check runs top down, so a failure names the faulty tile: first the
/// partial tiles of every level, which are exactly the right edge of the tree
/// and must hash to the root (RFC 6962 section 2.1 splits at powers of two,
/// and the set bits of `size` in levels `8L..8L+8` are the hashes of the
/// partial tile of level `L`); then, level by level downward, each full tile
/// must hash to its entry in the (verified) tile above; finally each entry in
/// a bundle must hash to its (verified) leaf hash. Memory: the hashes of one
/// level, `32 · size / 256` bytes for level 1.
pub fn verify_tiles(
    size: TreeSize,
    root: &Hash,
    mut get_tile: impl FnMut(&Tile) -> Option<Vec<u8>>,
) -> Result<(), TileVerifyError> {
    if size.get() > MAX_STORED_TREE_SIZE {
        return Err(TileVerifyError::TooLarge { size: size.get() });
    }
    let tiles = tiles_for_size(size);
    let level_of = |tile: &Tile| match tile.kind() {
        TileKind::Hash { level } => Some(level),
        TileKind::Entries => None,
    };
    let Some(top) = tiles.iter().filter_map(level_of).max() else {
        // The empty tree publishes no tiles; its root is SHA-256 of nothing.
        return if *root == empty_root() {
            Ok(())
        } else {
            Err(TileVerifyError::RootMismatch { size: size.get() })
        };
    };

    // Step 1: the partial tiles, top level first, are the right edge of the
    // tree and together determine the root.
    let mut partial: Vec<Option<(Tile, Vec<Hash>)>> = vec![None; usize::from(top) + 1];
    let mut edge = Vec::new();
    for tile in tiles.iter().rev().filter(|t| t.is_partial()) {
        if let Some(level) = level_of(tile) {
            let hashes = fetch_hashes(tile, &mut get_tile)?;
            edge.extend(complete_runs(&hashes));
            partial[usize::from(level)] = Some((*tile, hashes));
        }
    }
    if fold_subtrees(&edge).as_ref() != Some(root) {
        return Err(TileVerifyError::RootMismatch { size: size.get() });
    }

    // Step 2: level by level downward, each full tile against its verified
    // hash in the level above (the top level has only its partial tile, or
    // a level above it would exist), and each bundle against its verified
    // level-0 tile.
    let mut above: Vec<Hash> = Vec::new();
    for level in (0..=top).rev() {
        let mut current = Vec::new();
        let full = tiles
            .iter()
            .filter(|t| level_of(t) == Some(level) && !t.is_partial());
        for tile in full {
            let hashes = fetch_hashes(tile, &mut get_tile)?;
            let parent = usize::try_from(tile.index())
                .ok()
                .and_then(|i| above.get(i));
            if fold_subtrees(&complete_runs(&hashes)).as_ref() != parent {
                return Err(TileVerifyError::TileMismatch(*tile));
            }
            if level == 0 {
                verify_bundle(tile, &hashes, &mut get_tile)?;
            } else {
                current.extend(hashes);
            }
        }
        if let Some((tile, hashes)) = partial[usize::from(level)].take() {
            if level == 0 {
                verify_bundle(&tile, &hashes, &mut get_tile)?;
            } else {
                current.extend(hashes);
            }
        }
        above = current;
    }
    Ok(())
}

/// Reads and splits one hash tile for [`verify_tiles`].
fn fetch_hashes(
    tile: &Tile,
    get_tile: &mut impl FnMut(&Tile) -> Option<Vec<u8>>,
) -> Result<Vec<Hash>, TileVerifyError> {
    let bytes = get_tile(tile).ok_or(TileVerifyError::Missing(*tile))?;
    parse_tile_data(tile, &bytes).map_err(|e| TileVerifyError::Malformed {
        tile: *tile,
        reason: e.to_string(),
    })
}

/// The hashes of the complete subtrees made of a tile's hashes, as RFC 6962
/// section 2.1 splits them: for a full tile one hash (its 256-leaf subtree),
/// for a partial tile of width W one per set bit of W, largest first.
fn complete_runs(hashes: &[Hash]) -> Vec<Hash> {
    let mut out = Vec::new();
    let mut rest = hashes;
    while !rest.is_empty() {
        let run = 1usize << (usize::BITS - 1 - rest.len().leading_zeros());
        let (head, tail) = rest.split_at(run);
        out.push(perfect_root(head));
        rest = tail;
    }
    out
}

/// The root of a power-of-two number of hashes, pairwise bottom up.
fn perfect_root(hashes: &[Hash]) -> Hash {
    let mut level = hashes.to_vec();
    while level.len() > 1 {
        level = level
            .chunks_exact(2)
            .map(|pair| node_hash(&pair[0], &pair[1]))
            .collect();
    }
    level[0]
}

/// Checks the entry bundle that goes with a verified level-0 tile.
fn verify_bundle(
    tile: &Tile,
    leaf_hashes: &[Hash],
    get_tile: &mut impl FnMut(&Tile) -> Option<Vec<u8>>,
) -> Result<(), TileVerifyError> {
    let bundle = tile
        .companion()
        .expect("invariant: a level-0 tile has a bundle");
    let bytes = get_tile(&bundle).ok_or(TileVerifyError::Missing(bundle))?;
    let entries = decode_bundle(&bytes, usize::from(bundle.width())).map_err(|e| {
        TileVerifyError::Malformed {
            tile: bundle,
            reason: e.to_string(),
        }
    })?;
    for (position, (entry, expected)) in entries.iter().zip(leaf_hashes).enumerate() {
        if leaf_hash(entry) != *expected {
            return Err(TileVerifyError::EntryMismatch {
                tile: bundle,
                position,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::tlog::tile::{encode_bundle, read_tile};
    use crate::tlog::tree::MemoryHashes;

    /// A published tree of `n` entries as a map from path to bytes.
    fn publish(n: u32) -> (TreeSize, Hash, HashMap<String, Vec<u8>>) {
        let entries: Vec<Vec<u8>> = (0..n).map(|i| format!("entry {i}").into_bytes()).collect();
        let leaves: Vec<Hash> = entries.iter().map(|e| leaf_hash(e)).collect();
        let tree = MemoryHashes::from_leaf_hashes(&leaves);
        let mut files = HashMap::new();
        for tile in tiles_for_size(tree.size()) {
            let bytes = match tile.kind() {
                TileKind::Hash { .. } => read_tile(&tile, &tree).expect("stored"),
                TileKind::Entries => {
                    let first = usize::try_from(tile.index() * 256).expect("small");
                    let slice: Vec<&[u8]> = entries[first..first + usize::from(tile.width())]
                        .iter()
                        .map(Vec::as_slice)
                        .collect();
                    encode_bundle(&slice).expect("small entries")
                }
            };
            files.insert(tile.path(), bytes);
        }
        (tree.size(), tree.root(), files)
    }

    fn check(
        size: TreeSize,
        root: &Hash,
        files: &HashMap<String, Vec<u8>>,
    ) -> Result<(), TileVerifyError> {
        verify_tiles(size, root, |tile| files.get(&tile.path()).cloned())
    }

    #[test]
    fn published_tiles_verify_for_many_sizes() {
        for n in [0, 1, 2, 255, 256, 257, 511, 512, 513, 1000] {
            let (size, root, files) = publish(n);
            assert_eq!(check(size, &root, &files), Ok(()), "size {n}");
            assert_eq!(
                check(size, &leaf_hash(b"other"), &files),
                Err(TileVerifyError::RootMismatch { size: u64::from(n) })
            );
        }
    }

    #[test]
    fn verify_tiles_names_the_faulty_tile() {
        let (size, root, files) = publish(70_000);
        assert_eq!(check(size, &root, &files), Ok(()));
        let flip = |path: &str, at: usize| {
            let mut files = files.clone();
            files.get_mut(path).expect("published")[at] ^= 1;
            files
        };
        let tile = |p: &str| Tile::parse_path(p).expect("valid");
        assert_eq!(
            check(size, &root, &flip("tile/0/100", 40)),
            Err(TileVerifyError::TileMismatch(tile("tile/0/100")))
        );
        assert_eq!(
            check(size, &root, &flip("tile/1/000", 8191)),
            Err(TileVerifyError::TileMismatch(tile("tile/1/000")))
        );
        for partial in ["tile/0/273.p/112", "tile/1/001.p/17", "tile/2/000.p/1"] {
            assert_eq!(
                check(size, &root, &flip(partial, 0)),
                Err(TileVerifyError::RootMismatch { size: 70_000 }),
                "{partial}"
            );
        }
        assert_eq!(
            check(size, &root, &flip("tile/entries/005", 3)),
            Err(TileVerifyError::EntryMismatch {
                tile: tile("tile/entries/005"),
                position: 0
            })
        );
        assert_eq!(
            check(size, &root, &flip("tile/entries/273.p/112", 30)),
            Err(TileVerifyError::EntryMismatch {
                tile: tile("tile/entries/273.p/112"),
                position: 2
            })
        );
        let mut missing = files.clone();
        missing.remove("tile/entries/007");
        assert_eq!(
            check(size, &root, &missing),
            Err(TileVerifyError::Missing(tile("tile/entries/007")))
        );
        let mut short = files.clone();
        short.get_mut("tile/0/003").expect("published").pop();
        assert!(matches!(
            check(size, &root, &short),
            Err(TileVerifyError::Malformed { tile: t, .. }) if t == tile("tile/0/003")
        ));
        let mut trailing = files.clone();
        trailing
            .get_mut("tile/entries/003")
            .expect("published")
            .push(0);
        assert!(matches!(
            check(size, &root, &trailing),
            Err(TileVerifyError::Malformed { tile: t, .. }) if t == tile("tile/entries/003")
        ));
    }
}
