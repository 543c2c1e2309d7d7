//! The C2SP tlog-tiles encoding of a tree: hash tiles, entry bundles, their
//! paths, and the check that a set of tiles read back belongs to a root.
//!
//! A hash tile at level `L` with index `N` holds up to 256 consecutive node
//! hashes of tree level `8·L`: `MTH(D[(N·256 + i)·256^L : (N·256 + i + 1)·256^L])`
//! for `i` in `0..W` (tlog-tiles, "Merkle Tree"). Every one of those nodes is a
//! complete subtree, so it is a single stored hash
//! ([`super::tree::stored_hash_index`]`(8·L, N·256 + i)`). An entry bundle
//! holds the entries of the level-0 tile with the same index.

use super::hash::Hash;
use super::size::TreeSize;
use super::tree::{HashReader, MAX_STORED_TREE_SIZE, TreeError, read, stored_hash_index};

// Entry bundles have their own module; they are re-exported here because
// a bundle is addressed as a tile (`tile/entries/...`).
pub use super::bundle::{BundleError, decode_bundle, encode_bundle};
// The check of tiles read back has its own module too; re-exported here,
// where readers of tiles look for it.
pub use super::tile_check::{TileVerifyError, verify_tiles};

/// tlog-tiles: a full tile holds 256 hashes (tiles have height 8).
pub const TILE_WIDTH: u16 = 256;

/// tlog-tiles: the tree levels between two tile levels.
pub const TILE_HEIGHT: u8 = 8;

/// tlog-tiles: the largest tile level, `<L>` is between 0 and 63.
pub const MAX_TILE_LEVEL: u8 = 63;

/// tlog-tiles: entries in a bundle have a big-endian uint16 length prefix,
/// so an entry is at most 65 535 bytes (SPEC section 4 adopts the same limit).
pub const MAX_ENTRY_LEN: usize = u16::MAX as usize;

/// What a tile holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TileKind {
    /// Hashes of tree level `8 · level` (`tile/<L>/...`).
    Hash {
        /// The tile level `L`, 0 to 63.
        level: u8,
    },
    /// Entries whose leaf hashes are the level-0 tile of the same index
    /// (`tile/entries/...`).
    Entries,
}

/// One tile or entry bundle of the tlog-tiles layout. The constructors
/// refuse anything that cannot be served for a tree of at most
/// [`MAX_STORED_TREE_SIZE`] leaves, so a `Tile` always has a canonical path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tile {
    /// Hash tile of some level, or entry bundle.
    kind: TileKind,
    /// The index `N` within the level.
    index: u64,
    /// The number of hashes or entries, 1 to 256; 256 is a full tile.
    width: u16,
}

/// Why a tile path, tile or its data is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TileError {
    /// The path is not `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`
    /// in canonical form; the text says which part is wrong.
    #[error("not a canonical tile path {path:?}: {reason}")]
    Path {
        /// The path as given.
        path: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The level is above 63.
    #[error("tile level {0} is above the maximum 63")]
    Level(u64),
    /// The width is 0 or above 256.
    #[error("tile width {0} is not between 1 and 256")]
    Width(u64),
    /// The tile would cover leaves beyond the largest supported tree.
    #[error("tile {kind:?} index {index} lies beyond the largest supported tree size")]
    OutOfRange {
        /// The tile's kind.
        kind: TileKind,
        /// The tile's index.
        index: u64,
    },
    /// Tile data whose length is not `32 · W` bytes.
    #[error("tile {path} must be {expected} bytes, got {got}")]
    DataLength {
        /// The tile's path.
        path: String,
        /// `32 · W`.
        expected: usize,
        /// The length read.
        got: usize,
    },
    /// Hash-tile operations were asked of an entry bundle.
    #[error("{0} is an entry bundle, not a hash tile")]
    NotHashTile(String),
}

impl Tile {
    /// A hash tile at `level` (0 to 63) with index `index` and `width`
    /// hashes (1 to 256).
    pub fn hash(level: u8, index: u64, width: u16) -> Result<Self, TileError> {
        if level > MAX_TILE_LEVEL {
            return Err(TileError::Level(u64::from(level)));
        }
        Self::new(TileKind::Hash { level }, index, width)
    }

    /// The entry bundle with index `index` and `width` entries (1 to 256).
    pub fn entries(index: u64, width: u16) -> Result<Self, TileError> {
        Self::new(TileKind::Entries, index, width)
    }

    fn new(kind: TileKind, index: u64, width: u16) -> Result<Self, TileError> {
        if width == 0 || width > TILE_WIDTH {
            return Err(TileError::Width(u64::from(width)));
        }
        let tile = Self { kind, index, width };
        // The tree must hold every leaf under the tile's last hash:
        // (N·256 + W)·256^L leaves. Levels above 7 always fail this, since
        // 256^8 = 2^64; below that the product fits in a u128.
        let fits = tile.level() < 8 && {
            let nodes = u128::from(index) * 256 + u128::from(width);
            nodes << (8 * u32::from(tile.level())) <= u128::from(MAX_STORED_TREE_SIZE)
        };
        if !fits {
            return Err(TileError::OutOfRange { kind, index });
        }
        Ok(tile)
    }

    /// What the tile holds.
    pub fn kind(&self) -> TileKind {
        self.kind
    }

    /// The hash level `L` of the tile; entry bundles go with level 0.
    pub fn level(&self) -> u8 {
        match self.kind {
            TileKind::Hash { level } => level,
            TileKind::Entries => 0,
        }
    }

    /// The tile's index `N` within its level.
    pub fn index(&self) -> u64 {
        self.index
    }

    /// The number of hashes or entries, 1 to 256.
    pub fn width(&self) -> u16 {
        self.width
    }

    /// Whether the tile is partial (fewer than 256 hashes or entries).
    pub fn is_partial(&self) -> bool {
        self.width < TILE_WIDTH
    }

    /// The path of the tile relative to the log prefix, e.g.
    /// `tile/0/x001/x234/067.p/8` or `tile/entries/000`.
    pub fn path(&self) -> String {
        let mut path = match self.kind {
            TileKind::Hash { level } => format!("tile/{level}/"),
            TileKind::Entries => "tile/entries/".to_owned(),
        };
        path.push_str(&encode_index(self.index));
        if self.is_partial() {
            path.push_str(&format!(".p/{}", self.width));
        }
        path
    }

    /// Parses a path produced by [`Tile::path`], refusing every
    /// non-canonical spelling (leading zeros, `x` on the last element, a
    /// missing `x`, `.p/0`, `.p/256`, levels above 63, ...), so that one tile
    /// has exactly one path.
    pub fn parse_path(path: &str) -> Result<Self, TileError> {
        let bad = |reason| TileError::Path {
            path: path.to_owned(),
            reason,
        };
        let rest = path
            .strip_prefix("tile/")
            .ok_or_else(|| bad("must start with tile/"))?;
        let (kind_text, rest) = rest
            .split_once('/')
            .ok_or_else(|| bad("missing tile index"))?;
        let (index_text, width) = match rest.split_once(".p/") {
            Some((index_text, width_text)) => {
                let width = parse_decimal(width_text).ok_or_else(|| bad("bad partial width"))?;
                if width == 0 || width >= u64::from(TILE_WIDTH) {
                    return Err(TileError::Width(width));
                }
                let width = u16::try_from(width).expect("invariant: checked below 256");
                (index_text, width)
            }
            None => (rest, TILE_WIDTH),
        };
        let index = decode_index(index_text).ok_or_else(|| bad("bad tile index"))?;
        if kind_text == "entries" {
            return Self::entries(index, width);
        }
        let level = parse_decimal(kind_text).ok_or_else(|| bad("bad tile level"))?;
        if level > u64::from(MAX_TILE_LEVEL) {
            return Err(TileError::Level(level));
        }
        let level = u8::try_from(level).expect("invariant: checked at most 63");
        Self::hash(level, index, width)
    }

    /// The tree level of the hashes in a hash tile (`8·L`), or an error for
    /// an entry bundle.
    fn tree_level(&self) -> Result<u8, TileError> {
        match self.kind {
            TileKind::Hash { level } => Ok(level * TILE_HEIGHT),
            TileKind::Entries => Err(TileError::NotHashTile(self.path())),
        }
    }

    /// The entry bundle that goes with a level-0 tile, or the level-0 tile
    /// that goes with an entry bundle; `None` for other levels.
    pub fn companion(&self) -> Option<Self> {
        let kind = match self.kind {
            TileKind::Hash { level: 0 } => TileKind::Entries,
            TileKind::Entries => TileKind::Hash { level: 0 },
            TileKind::Hash { .. } => return None,
        };
        Some(Self { kind, ..*self })
    }
}

/// A decimal number without sign, leading zeros or other characters.
fn parse_decimal(text: &str) -> Option<u64> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    if !canonical {
        return None;
    }
    text.parse().ok()
}

/// tlog-tiles: the index as 3-digit groups, all but the last prefixed `x`.
fn encode_index(index: u64) -> String {
    let mut groups = Vec::new();
    let mut rest = index;
    loop {
        groups.push(format!("{:03}", rest % 1000));
        rest /= 1000;
        if rest == 0 {
            break;
        }
    }
    groups.reverse();
    let last = groups.len() - 1;
    groups
        .iter()
        .enumerate()
        .map(|(i, g)| if i < last { format!("x{g}") } else { g.clone() })
        .collect::<Vec<_>>()
        .join("/")
}

/// The inverse of [`encode_index`], refusing non-canonical forms: each
/// group exactly three digits, `x` on every group but the last, and no
/// leading all-zero group (which [`encode_index`] never writes).
fn decode_index(text: &str) -> Option<u64> {
    let groups: Vec<&str> = text.split('/').collect();
    let last = groups.len() - 1;
    let mut value: u64 = 0;
    for (i, group) in groups.iter().enumerate() {
        let digits = if i < last {
            group.strip_prefix('x')?
        } else {
            group
        };
        if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let g: u64 = digits.parse().ok()?;
        if i == 0 && last > 0 && g == 0 {
            return None;
        }
        value = value.checked_mul(1000)?.checked_add(g)?;
    }
    Some(value)
}

/// tlog-tiles, "Partial Tiles": every hash tile of every level and every
/// entry bundle that a tree of `size` publishes, full and partial. Levels go
/// bottom up, entry bundles last; within a kind, by index.
///
/// The list has about `size / 128` items; it is meant for the small logs of
/// one group and for tests, not for enumerating a huge log. Sizes above
/// [`MAX_STORED_TREE_SIZE`] are treated as that maximum ([`verify_tiles`]
/// refuses them).
pub fn tiles_for_size(size: TreeSize) -> Vec<Tile> {
    let mut out = Vec::new();
    let n = size.get().min(MAX_STORED_TREE_SIZE);
    let push_level = |kind: TileKind, count: u64, out: &mut Vec<Tile>| {
        let (full, partial) = (count / 256, count % 256);
        for index in 0..full {
            out.push(Tile {
                kind,
                index,
                width: TILE_WIDTH,
            });
        }
        if partial > 0 {
            let width = u16::try_from(partial).expect("invariant: below 256");
            out.push(Tile {
                kind,
                index: full,
                width,
            });
        }
    };
    // Level L has floor(size / 256^L) hashes of tree level 8L.
    let mut level: u8 = 0;
    let mut count = n;
    while count > 0 {
        push_level(TileKind::Hash { level }, count, &mut out);
        level += 1;
        count >>= TILE_HEIGHT;
    }
    push_level(TileKind::Entries, n, &mut out);
    out
}

/// The stored-hash indexes of the hashes of a hash tile, in tile order.
pub fn tile_hash_indexes(tile: &Tile) -> Result<Vec<u64>, TileError> {
    let tree_level = tile.tree_level()?;
    let first = tile.index * u64::from(TILE_WIDTH);
    // The constructor checked that every node of the tile lies below
    // MAX_STORED_TREE_SIZE, so these indexes exist.
    Ok((0..u64::from(tile.width))
        .map(|i| stored_hash_index(tree_level, first + i))
        .collect())
}

/// The bytes of a hash tile, `W` concatenated 32-byte hashes, from the
/// stored hashes of a tree that contains it.
pub fn read_tile<R: HashReader + ?Sized>(tile: &Tile, reader: &R) -> Result<Vec<u8>, TreeError> {
    let indexes = tile_hash_indexes(tile).map_err(|e| TreeError::Read(Box::new(e)))?;
    Ok(read(reader, &indexes)?
        .iter()
        .flat_map(|h| *h.as_bytes())
        .collect())
}

/// Splits the bytes of a hash tile into its `W` hashes, refusing any other
/// length.
pub fn parse_tile_data(tile: &Tile, bytes: &[u8]) -> Result<Vec<Hash>, TileError> {
    tile.tree_level()?;
    let expected = usize::from(tile.width) * Hash::LEN;
    if bytes.len() != expected {
        return Err(TileError::DataLength {
            path: tile.path(),
            expected,
            got: bytes.len(),
        });
    }
    Ok(bytes
        .chunks_exact(Hash::LEN)
        .map(|c| Hash::from_slice(c).expect("invariant: chunks are 32 bytes"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlog::hash::leaf_hash;
    use crate::tlog::tree::MemoryHashes;

    #[test]
    fn paths_follow_the_spec_examples() {
        // tlog-tiles: "index 1234067 will be encoded as x001/x234/067".
        let tile = Tile::hash(0, 1_234_067, 256).expect("valid");
        assert_eq!(tile.path(), "tile/0/x001/x234/067");
        assert_eq!(Tile::hash(2, 0, 1).expect("valid").path(), "tile/2/000.p/1");
        assert_eq!(
            Tile::hash(1, 1000, 17).expect("valid").path(),
            "tile/1/x001/000.p/17"
        );
        assert_eq!(
            Tile::entries(5, 255).expect("valid").path(),
            "tile/entries/005.p/255"
        );
        assert_eq!(
            Tile::entries(999, 256).expect("valid").path(),
            "tile/entries/999"
        );
    }

    #[test]
    fn paths_round_trip() {
        let indexes = [
            0,
            1,
            9,
            10,
            999,
            1000,
            1001,
            65_535,
            1_234_067,
            35_000_000_000_000_000,
        ];
        for &index in &indexes {
            for width in [1, 2, 128, 255, 256] {
                for tile in [Tile::hash(0, index, width), Tile::entries(index, width)] {
                    let tile = tile.expect("valid");
                    assert_eq!(Tile::parse_path(&tile.path()), Ok(tile), "{}", tile.path());
                }
            }
        }
        for level in 1..=7u8 {
            let tile = Tile::hash(level, 0, 3).expect("valid");
            assert_eq!(Tile::parse_path(&tile.path()), Ok(tile));
        }
    }

    #[test]
    fn non_canonical_paths_are_refused() {
        let refused = [
            "",
            "tile/",
            "tile/0",
            "tile/0/",
            "tiles/0/000",
            "/tile/0/000",
            "tile/00/000",
            "tile/+0/000",
            "tile/-1/000",
            "tile/64/000",
            "tile/8/000.p/1",
            "tile/0/0",
            "tile/0/00",
            "tile/0/0000",
            "tile/0/x000",
            "tile/0/x001",
            "tile/0/001/000",
            "tile/0/x000/001",
            "tile/0/x01/000",
            "tile/0/y001/000",
            "tile/0/000.p/0",
            "tile/0/000.p/00",
            "tile/0/000.p/01",
            "tile/0/000.p/256",
            "tile/0/000.p/1000",
            "tile/0/000.p/",
            "tile/0/000.p/1/",
            "tile/0/000/",
            "tile/0/000.p",
            "tile/0/000.P/1",
            "tile/entries/0",
            "tile/entries/000.p/256",
            "tile/entry/000",
            "tile/0/x018/x446/x744/x073/x709/x551/615",
        ];
        for path in refused {
            assert!(Tile::parse_path(path).is_err(), "accepted {path:?}");
        }
        assert_eq!(Tile::hash(0, 0, 0), Err(TileError::Width(0)));
        assert_eq!(Tile::hash(0, 0, 257), Err(TileError::Width(257)));
        assert_eq!(Tile::hash(64, 0, 1), Err(TileError::Level(64)));
    }

    #[test]
    fn tiles_for_size_matches_the_spec_examples() {
        // tlog-tiles: "a tree of size 70,000 will be represented by 273 full
        // level 0 tiles, one partial level 0 tile of width 112, one full
        // level 1 tile, one partial level 1 tile of width 17, and one
        // partial level 2 tile of width 1."
        let tiles = tiles_for_size(TreeSize::new(70_000));
        let count = |kind, partial| {
            tiles
                .iter()
                .filter(|t| t.kind() == kind && t.is_partial() == partial)
                .map(|t| (t.index(), t.width()))
                .collect::<Vec<_>>()
        };
        assert_eq!(count(TileKind::Hash { level: 0 }, false).len(), 273);
        assert_eq!(count(TileKind::Hash { level: 0 }, true), vec![(273, 112)]);
        assert_eq!(count(TileKind::Hash { level: 1 }, false), vec![(0, 256)]);
        assert_eq!(count(TileKind::Hash { level: 1 }, true), vec![(1, 17)]);
        assert_eq!(count(TileKind::Hash { level: 2 }, true), vec![(0, 1)]);
        assert_eq!(count(TileKind::Entries, false).len(), 273);
        assert_eq!(count(TileKind::Entries, true), vec![(273, 112)]);
        assert_eq!(tiles.len(), 2 * 274 + 3);
        // "a tree of size 256 will be represented by a full level 0 tile and
        // a partial level 1 tile of width 1."
        let tiles = tiles_for_size(TreeSize::new(256));
        let paths: Vec<String> = tiles.iter().map(Tile::path).collect();
        assert_eq!(paths, ["tile/0/000", "tile/1/000.p/1", "tile/entries/000"]);
        assert!(tiles_for_size(TreeSize::ZERO).is_empty());
    }

    #[test]
    fn tile_data_is_exactly_the_stored_node_hashes() {
        let entries: Vec<Vec<u8>> = (0..600u32).map(|i| i.to_be_bytes().to_vec()).collect();
        let leaves: Vec<Hash> = entries.iter().map(|e| leaf_hash(e)).collect();
        let tree = MemoryHashes::from_leaf_hashes(&leaves);
        let tile = Tile::hash(0, 2, 88).expect("valid");
        let hashes = parse_tile_data(&tile, &read_tile(&tile, &tree).expect("stored"))
            .expect("right length");
        assert_eq!(hashes, leaves[512..600]);
        let level1 = Tile::hash(1, 0, 2).expect("valid");
        let hashes = parse_tile_data(&level1, &read_tile(&level1, &tree).expect("stored"))
            .expect("right length");
        let full_tree_root =
            |r: std::ops::Range<usize>| crate::tlog::tree::root_of_leaves(&leaves[r]);
        assert_eq!(hashes, [full_tree_root(0..256), full_tree_root(256..512)]);
        assert!(matches!(
            parse_tile_data(&tile, &[0; 32 * 87]),
            Err(TileError::DataLength {
                expected: 2816,
                got: 2784,
                ..
            })
        ));
        assert!(matches!(
            tile_hash_indexes(&Tile::entries(0, 1).expect("valid")),
            Err(TileError::NotHashTile(_))
        ));
    }
}
