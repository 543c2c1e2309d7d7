//! The Merkle core against public test vectors nobody on this team computed:
//! transparency-dev/merkle's inclusion and consistency vectors and known
//! roots, and real responses of Google's Argon2020 CT log (a tree of nearly
//! a billion leaves, so index arithmetic far beyond what a test can build).
//!
//! The files live in `../shared/vectors` (see its README); without them these
//! tests print a note and pass, the unit and property tests still run.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use scrutineer::tlog::proof::{ProofError, verify_consistency, verify_inclusion};
use scrutineer::tlog::tree::{Appender, MemoryHashes, root_of_leaves, tree_hash};
use scrutineer::tlog::{Hash, LeafIndex, TreeSize, empty_root, leaf_hash};
use serde::Deserialize;

/// Every `*.json` file under `dir`, sorted, recursively.
fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).expect("vector folder is readable") {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> T {
    let text = fs::read_to_string(path).expect("vector is readable");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A hash field of a vector. Some vectors put garbage (a wrong length) in a
/// leaf hash or proof element on purpose: [`Hash`] cannot hold it, so such a
/// vector is refused at decoding, which is a rejection.
fn hash(text: &str) -> Option<Hash> {
    Hash::from_slice(&STANDARD.decode(text).ok()?).ok()
}

/// A root field. Besides real roots, the vectors use short placeholders
/// ("don't care 1", base64 `ZG9uJ3QgY2FyZSAx`) where the verifier should not
/// look at a root, including in vectors that must be accepted. A placeholder
/// becomes a stand-in hash derived from its bytes, so that equal placeholders
/// stay equal and differ from every real root; the verifier then judges the
/// vector.
fn root(text: &str) -> Hash {
    hash(text).unwrap_or_else(|| {
        let bytes = STANDARD.decode(text).expect("roots are base64");
        Hash::sha256_parts(&[b"placeholder root ", &bytes])
    })
}

fn proof(list: &Option<Vec<String>>) -> Option<Vec<Hash>> {
    list.iter().flatten().map(|p| hash(p)).collect()
}

fn vectors_dir() -> Option<PathBuf> {
    common::shared("vectors/transparency-dev-merkle")
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InclusionVector {
    leaf_idx: u64,
    tree_size: u64,
    root: String,
    leaf_hash: String,
    proof: Option<Vec<String>>,
    desc: String,
    want_err: bool,
}

/// Runs one inclusion vector; `Err` carries the rejection (from decoding or
/// from the verifier).
fn run_inclusion(v: &InclusionVector) -> Result<(), String> {
    let leaf = hash(&v.leaf_hash).ok_or("leaf hash is not 32 bytes")?;
    let proof = proof(&v.proof).ok_or("a proof hash is not 32 bytes")?;
    verify_inclusion(
        &leaf,
        LeafIndex::new(v.leaf_idx),
        TreeSize::new(v.tree_size),
        &proof,
        &root(&v.root),
    )
    .map_err(|e| e.to_string())
}

#[test]
fn transparency_dev_inclusion_vectors() {
    let Some(dir) = vectors_dir() else { return };
    let files = json_files(&dir.join("inclusion"));
    assert!(
        files.len() > 50,
        "found only {} inclusion vectors",
        files.len()
    );
    let (mut accepted, mut rejected) = (0, 0);
    for file in &files {
        let v: InclusionVector = read_json(file);
        let result = run_inclusion(&v);
        assert_eq!(
            result.is_err(),
            v.want_err,
            "{}: {} -> {result:?}",
            file.display(),
            v.desc
        );
        if result.is_ok() {
            accepted += 1
        } else {
            rejected += 1
        }
    }
    eprintln!("inclusion vectors: {accepted} accepted, {rejected} rejected as expected");
    assert!(accepted > 0 && rejected > 0);
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConsistencyVector {
    size1: u64,
    size2: u64,
    root1: String,
    root2: String,
    proof: Option<Vec<String>>,
    desc: String,
    want_err: bool,
}

fn run_consistency(v: &ConsistencyVector) -> Result<(), ProofError> {
    let Some(proof) = proof(&v.proof) else {
        // A garbage proof hash cannot be decoded; report it like a wrong
        // proof (it is one).
        return Err(ProofError::WrongProofLength {
            expected: 0,
            got: 0,
        });
    };
    verify_consistency(
        TreeSize::new(v.size1),
        TreeSize::new(v.size2),
        &proof,
        &root(&v.root1),
        &root(&v.root2),
    )
}

/// Judges a consistency vector, allowing differences only where the old
/// size is 0: these vectors treat every proof from size 0 as an error (and
/// the subtree vectors treat an empty subtree as consistent with any tree),
/// while Scrutineer, like the C2SP witness protocol, accepts exactly an empty
/// proof from size 0 whose old root is the empty-tree hash and, between two
/// empty trees, equal roots (see the `tlog::proof` module documentation).
/// Vectors from size 0 must follow that policy; returns whether the vector's
/// verdict differs from it, for the caller to compare with the differences
/// it expects.
fn judge_consistency(file: &Path, v: &ConsistencyVector) -> bool {
    let result = run_consistency(v);
    if v.size1 == 0 {
        // Our policy, restated independently of the verifier's code.
        let policy_accepts = v.proof.as_ref().is_none_or(Vec::is_empty)
            && root(&v.root1) == empty_root()
            && (v.size2 > 0 || v.root1 == v.root2);
        assert_eq!(
            result.is_ok(),
            policy_accepts,
            "{}: {} -> {result:?}",
            file.display(),
            v.desc
        );
        // The vectors' verdict may differ from ours only here; the caller
        // lists the differences it expects.
        return result.is_err() != v.want_err;
    }
    assert_eq!(
        result.is_err(),
        v.want_err,
        "{}: {} -> {result:?}",
        file.display(),
        v.desc
    );
    false
}

#[test]
fn transparency_dev_consistency_vectors() {
    let Some(dir) = vectors_dir() else { return };
    let files = json_files(&dir.join("consistency"));
    assert!(
        files.len() > 50,
        "found only {} consistency vectors",
        files.len()
    );
    let mut policy_differences = Vec::new();
    for file in &files {
        let v: ConsistencyVector = read_json(file);
        if judge_consistency(file, &v) {
            policy_differences.push(file.strip_prefix(&dir).expect("under dir").to_path_buf());
        }
    }
    // Exactly one vector states the size-0 policy point: an empty proof from
    // the empty tree (with the empty-tree root) to size 1.
    assert_eq!(
        policy_differences,
        [PathBuf::from(
            "consistency/additional/size1-is-zero-and-size2-is-not-zero.json"
        )]
    );
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SubtreeInclusionVector {
    leaf_idx: u64,
    start: u64,
    end: u64,
    root: String,
    leaf_hash: String,
    proof: Option<Vec<String>>,
    desc: String,
    want_err: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SubtreeConsistencyVector {
    start: u64,
    end: u64,
    size: u64,
    root1: String,
    root2: String,
    proof: Option<Vec<String>>,
    desc: String,
    want_err: bool,
}

/// The subtree vectors are for arbitrary subtrees `[start, end)` as used by
/// Merkle Tree Certificates, which RFC 6962 does not define. A subtree that
/// starts at 0 is the RFC 6962 tree of size `end`, so those vectors are
/// ordinary inclusion (in size `end`) and consistency (from `end` to `size`)
/// vectors and are checked as such; the others are skipped.
#[test]
fn transparency_dev_subtree_vectors_starting_at_zero() {
    let Some(dir) = vectors_dir() else { return };
    let (mut used, mut skipped) = (0, 0);
    for file in json_files(&dir.join("subtreeinclusion")) {
        let s: SubtreeInclusionVector = read_json(&file);
        if s.start != 0 {
            skipped += 1;
            continue;
        }
        let v = InclusionVector {
            leaf_idx: s.leaf_idx,
            tree_size: s.end,
            root: s.root,
            leaf_hash: s.leaf_hash,
            proof: s.proof,
            desc: s.desc,
            want_err: s.want_err,
        };
        let result = run_inclusion(&v);
        assert_eq!(
            result.is_err(),
            v.want_err,
            "{}: {} -> {result:?}",
            file.display(),
            v.desc
        );
        used += 1;
    }
    let mut policy_differences = Vec::new();
    for file in json_files(&dir.join("subtreeconsistency")) {
        let s: SubtreeConsistencyVector = read_json(&file);
        if s.start != 0 {
            skipped += 1;
            continue;
        }
        let v = ConsistencyVector {
            size1: s.end,
            size2: s.size,
            root1: s.root1,
            root2: s.root2,
            proof: s.proof,
            desc: s.desc,
            want_err: s.want_err,
        };
        if judge_consistency(&file, &v) {
            policy_differences.push(file.strip_prefix(&dir).expect("under dir").to_path_buf());
        }
        used += 1;
    }
    eprintln!("subtree vectors: {used} used (start 0), {skipped} skipped");
    // An empty subtree says nothing about the tree in Merkle Tree
    // Certificates, so the vectors accept it next to a tree of size 0 with
    // any root; RFC 6962 has one empty tree, whose root is SHA-256 of
    // nothing, and we refuse two different roots for size 0.
    assert_eq!(
        policy_differences,
        [PathBuf::from(
            "subtreeconsistency/additional/subtree-is-empty-sizes-are-equal-zero-subtree-root-valid-tree-root-random-proof-is-empty.json"
        )]
    );
    assert!(used > 100 && skipped > 0);
}

#[derive(Deserialize)]
struct KnownRoots {
    leaf_inputs_hex: Vec<String>,
    root_hashes_hex_by_size: Vec<String>,
}

fn from_hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

#[test]
fn transparency_dev_known_roots() {
    let Some(dir) = vectors_dir() else { return };
    let known: KnownRoots = read_json(&dir.join("known-roots.json"));
    let leaves: Vec<Hash> = known
        .leaf_inputs_hex
        .iter()
        .map(|h| leaf_hash(&from_hex(h)))
        .collect();
    assert_eq!(known.root_hashes_hex_by_size.len(), leaves.len() + 1);
    let tree = MemoryHashes::from_leaf_hashes(&leaves);
    let mut appender = Appender::new();
    for (size, want) in known.root_hashes_hex_by_size.iter().enumerate() {
        let want = Hash::from_hex(want).expect("known root is hex");
        assert_eq!(
            root_of_leaves(&leaves[..size]),
            want,
            "reference, size {size}"
        );
        assert_eq!(
            tree_hash(TreeSize::new(size as u64), &tree).expect("stored"),
            want
        );
        assert_eq!(appender.root(), want, "appender, size {size}");
        if let Some(leaf) = leaves.get(size) {
            appender.append(*leaf).expect("small tree");
        }
    }
}

#[derive(Deserialize)]
struct Sth {
    tree_size: u64,
    sha256_root_hash: String,
}

#[derive(Deserialize)]
struct Entries {
    entries: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    leaf_input: String,
}

#[derive(Deserialize)]
struct AuditProof {
    leaf_index: u64,
    audit_path: Vec<String>,
}

#[derive(Deserialize)]
struct ConsistencyResponse {
    consistency: Vec<String>,
}

/// The old root of the Argon2020 consistency proof, as stated in
/// `../shared/vectors/README.md` (the response itself does not carry it).
const ARGON_OLD_ROOT: &str = "AuIZ5V6sDUj1vn3Y1K85oOaQ7y+FJJKtyRTl1edIKBQ=";
const ARGON_OLD_SIZE: u64 = 3_654_490;

fn hashes(list: &[String]) -> Vec<Hash> {
    list.iter()
        .map(|h| Hash::from_base64(h).expect("real log hashes are canonical"))
        .collect()
}

#[test]
fn argon2020_real_log_proofs() {
    let Some(dir) = common::shared("vectors/argon2020") else {
        return;
    };
    let sth: Sth = read_json(&dir.join("get-sth"));
    let root = Hash::from_base64(&sth.sha256_root_hash).expect("root");
    let size = TreeSize::new(sth.tree_size);

    // The entry's RFC 6962 leaf hash is the hash the proof was asked for
    // (URL-encoded in the file name).
    let entries: Entries = read_json(&dir.join("get-entries-start-10000-end-10000"));
    let input = STANDARD
        .decode(&entries.entries[0].leaf_input)
        .expect("base64");
    let leaf = leaf_hash(&input);
    let proof_file = fs::read_dir(&dir)
        .expect("readable")
        .map(|e| e.expect("entry").file_name().into_string().expect("ascii"))
        .find(|n| n.starts_with("get-proof-by-hash-"))
        .expect("proof file present");
    let asked = proof_file
        .rsplit("-hash-")
        .next()
        .expect("hash in name")
        .replace("-2B", "+")
        .replace("-2F", "/")
        .replace("-3D", "=");
    assert_eq!(leaf.to_base64(), asked);

    let audit: AuditProof = read_json(&dir.join(&proof_file));
    let path = hashes(&audit.audit_path);
    let index = LeafIndex::new(audit.leaf_index);
    assert_eq!(verify_inclusion(&leaf, index, size, &path, &root), Ok(()));
    // The same proof under a neighbouring index, a smaller size or a
    // shortened path is refused.
    let other = LeafIndex::new(audit.leaf_index ^ 1);
    assert!(verify_inclusion(&leaf, other, size, &path, &root).is_err());
    assert!(verify_inclusion(&leaf, index, TreeSize::new(1 << 20), &path, &root).is_err());
    assert!(verify_inclusion(&leaf, index, size, &path[1..], &root).is_err());

    let response: ConsistencyResponse =
        read_json(&dir.join("get-sth-consistency-first-3654490-second-961984011"));
    let proof = hashes(&response.consistency);
    let old_root = Hash::from_base64(ARGON_OLD_ROOT).expect("root");
    let old = TreeSize::new(ARGON_OLD_SIZE);
    assert_eq!(
        verify_consistency(old, size, &proof, &old_root, &root),
        Ok(())
    );
    assert!(
        verify_consistency(
            TreeSize::new(ARGON_OLD_SIZE + 1),
            size,
            &proof,
            &old_root,
            &root
        )
        .is_err()
    );
    assert!(verify_consistency(old, size, &proof, &root, &root).is_err());
    let mut tampered = proof.clone();
    tampered[7] = leaf;
    assert!(verify_consistency(old, size, &tampered, &old_root, &root).is_err());
}
