// Command tlogread reads a static C2SP tlog-tiles log with Go's reference
// transparency-log packages (golang.org/x/mod/sumdb/note and .../tlog), as an
// independent reader of the layout that `scrutineer log build` writes.
//
// Usage: tlogread DIR VERIFIER-KEY [OLD-CHECKPOINT-FILE]
//
// It verifies the checkpoint signature with note.Open, authenticates every
// hash tile through tlog.TileHashReader while computing tlog.TreeHash,
// decodes every entry bundle and checks each entry's record hash (and the
// inclusion proofs of a sample of entries), and, given an older checkpoint,
// checks consistency with tlog.ProveTree and tlog.CheckTree. It prints one line and exits 0 on
// success, non-zero with a reason otherwise.
package main

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// tileHeight is the C2SP tlog-tiles height.
const tileHeight = 8

type dirTiles struct{ dir string }

// c2spPath maps Go's tile path "tile/8/L/N[.p/W]" onto the C2SP layout
// "tile/L/N[.p/W]", which omits the height.
func c2spPath(t tlog.Tile) string {
	return strings.Replace(t.Path(), fmt.Sprintf("tile/%d/", tileHeight), "tile/", 1)
}

func (d dirTiles) Height() int { return tileHeight }

func (d dirTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		data, err := os.ReadFile(filepath.Join(d.dir, c2spPath(t)))
		if err != nil {
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}

func (d dirTiles) SaveTiles([]tlog.Tile, [][]byte) {}

type checkpoint struct {
	origin string
	tree   tlog.Tree
}

func openCheckpoint(path string, verifier note.Verifier) (checkpoint, error) {
	msg, err := os.ReadFile(path)
	if err != nil {
		return checkpoint{}, err
	}
	n, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		return checkpoint{}, fmt.Errorf("%s: %v", path, err)
	}
	lines := strings.SplitN(n.Text, "\n", 4)
	if len(lines) < 4 {
		return checkpoint{}, fmt.Errorf("%s: checkpoint has fewer than three lines", path)
	}
	if lines[0] != verifier.Name() {
		return checkpoint{}, fmt.Errorf("%s: origin %q is not the key name %q", path, lines[0], verifier.Name())
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 {
		return checkpoint{}, fmt.Errorf("%s: bad size %q", path, lines[1])
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize {
		return checkpoint{}, fmt.Errorf("%s: bad root hash %q", path, lines[2])
	}
	var tree tlog.Tree
	tree.N = size
	copy(tree.Hash[:], root)
	return checkpoint{origin: lines[0], tree: tree}, nil
}

func run() error {
	if len(os.Args) < 3 || len(os.Args) > 4 {
		return fmt.Errorf("usage: tlogread DIR VERIFIER-KEY [OLD-CHECKPOINT-FILE]")
	}
	dir := os.Args[1]
	verifier, err := note.NewVerifier(os.Args[2])
	if err != nil {
		return fmt.Errorf("verifier key: %v", err)
	}
	cp, err := openCheckpoint(filepath.Join(dir, "checkpoint"), verifier)
	if err != nil {
		return err
	}
	tiles := dirTiles{dir}
	hashes := tlog.TileHashReader(cp.tree, tiles)
	root, err := tlog.TreeHash(cp.tree.N, hashes)
	if err != nil {
		return fmt.Errorf("tree hash: %v", err)
	}
	if root != cp.tree.Hash {
		return fmt.Errorf("tree hash %v does not match the checkpoint's %v", root, cp.tree.Hash)
	}
	// Entry bundles sit beside the level-0 hash tiles, at the same N and W.
	for start := int64(0); start < cp.tree.N; start += 1 << tileHeight {
		tile := tlog.Tile{H: tileHeight, L: 0, N: start >> tileHeight, W: int(min64(cp.tree.N-start, 1<<tileHeight))}
		path := strings.Replace(tile.Path(), fmt.Sprintf("tile/%d/0/", tileHeight), "tile/entries/", 1)
		bundle, err := os.ReadFile(filepath.Join(dir, path))
		if err != nil {
			return err
		}
		for i := 0; i < tile.W; i++ {
			if len(bundle) < 2 {
				return fmt.Errorf("%s: truncated before entry %d", path, i)
			}
			size := int(binary.BigEndian.Uint16(bundle))
			if len(bundle) < 2+size {
				return fmt.Errorf("%s: entry %d is truncated", path, i)
			}
			entry := bundle[2 : 2+size]
			bundle = bundle[2+size:]
			index := start + int64(i)
			want, err := hashes.ReadHashes([]int64{tlog.StoredHashIndex(0, index)})
			if err != nil {
				return fmt.Errorf("leaf %d: %v", index, err)
			}
			leaf := tlog.RecordHash(entry)
			if leaf != want[0] {
				return fmt.Errorf("entry %d does not match its leaf hash", index)
			}
			// Every entry's hash is checked above; inclusion proofs are
			// checked for a spread sample, as proving all of a large log
			// through Go's tile reader takes minutes.
			if index%61 != 0 && index != cp.tree.N-1 {
				continue
			}
			proof, err := tlog.ProveRecord(cp.tree.N, index, hashes)
			if err != nil {
				return fmt.Errorf("prove entry %d: %v", index, err)
			}
			if err := tlog.CheckRecord(proof, cp.tree.N, cp.tree.Hash, index, leaf); err != nil {
				return fmt.Errorf("check entry %d: %v", index, err)
			}
		}
		if len(bundle) != 0 {
			return fmt.Errorf("%s: %d trailing bytes", path, len(bundle))
		}
	}
	if len(os.Args) == 4 {
		old, err := openCheckpoint(os.Args[3], verifier)
		if err != nil {
			return err
		}
		proof, err := tlog.ProveTree(cp.tree.N, old.tree.N, hashes)
		if err != nil {
			return fmt.Errorf("consistency proof: %v", err)
		}
		if err := tlog.CheckTree(proof, cp.tree.N, cp.tree.Hash, old.tree.N, old.tree.Hash); err != nil {
			return fmt.Errorf("consistency with the old checkpoint: %v", err)
		}
	}
	fmt.Printf("ok %s size %d\n", cp.origin, cp.tree.N)
	return nil
}

func min64(a, b int64) int64 {
	if a < b {
		return a
	}
	return b
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "tlogread:", err)
		os.Exit(1)
	}
}
