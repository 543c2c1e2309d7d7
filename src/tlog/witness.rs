//! C2SP tlog-witness `add-checkpoint`: the request body both sides write
//! and read, and the witness's decision on it, as pure functions.
//!
//! The witness's rules, in the order the specification gives them:
//! a malformed body is 400; an unknown origin 404; no valid signature by a
//! trusted key of that origin (or a failing one) 403; an old size above the
//! checkpoint's 400; an old size other than the latest cosigned size 409
//! (with that size); a bad consistency proof, a non-empty proof from size
//! zero, a size-zero tree whose root is not the empty tree's, or the same
//! size with another root 422. Only then is the checkpoint cosigned, and
//! the caller must persist it (atomically with reading the latest) before
//! answering.

use super::checkpoint::{Checkpoint, parse_decimal};
use super::{Hash, TreeSize, empty_root, verify_consistency};
use crate::note::{Limits, Note, VerifierKey};

/// tlog-witness: a client MUST NOT send more than 63 consistency proof lines.
pub const MAX_PROOF_LINES: usize = 63;

/// tlog-witness: the media type of a 409 answer's body (the witness's size).
pub const SIZE_CONTENT_TYPE: &str = "text/x.tlog.size";

/// The path of the call under a witness's submission prefix.
pub const ADD_CHECKPOINT_PATH: &str = "/add-checkpoint";

/// The largest request body a witness reads: 63 proof lines of 45 bytes,
/// the old size line and a checkpoint within [`Limits::CHECKPOINT`].
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;

/// An `add-checkpoint` request: the old size, the consistency proof from it,
/// and the signed checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddCheckpoint {
    /// The size of the latest checkpoint the client believes the witness
    /// cosigned (zero if none).
    pub old: TreeSize,
    /// The consistency proof from `old` to the checkpoint's size.
    pub proof: Vec<Hash>,
    /// The signed checkpoint note, as sent.
    pub checkpoint: String,
}

/// Why a witness refuses an `add-checkpoint` request; each maps to the
/// status the specification requires ([`Refusal::status`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// 400: the body is malformed, or the old size exceeds the checkpoint's.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// 404: the witness is not configured for this origin.
    #[error("unknown log origin {0:?}")]
    UnknownOrigin(String),
    /// 403: no valid signature by a trusted key of the origin.
    #[error("the checkpoint is not validly signed by the log: {0}")]
    Forbidden(String),
    /// 409: the old size is not the latest cosigned size, which this holds.
    #[error("the old size is not the witness's latest size {0}")]
    Conflict(TreeSize),
    /// 422: the checkpoint is not consistent with the latest cosigned one.
    #[error("inconsistent checkpoint: {0}")]
    Inconsistent(String),
}

impl Refusal {
    /// The HTTP status the specification requires.
    pub fn status(&self) -> u16 {
        match self {
            Self::BadRequest(_) => 400,
            Self::Forbidden(_) => 403,
            Self::UnknownOrigin(_) => 404,
            Self::Conflict(_) => 409,
            Self::Inconsistent(_) => 422,
        }
    }

    /// The response body: the witness's size and a newline for 409
    /// ([`SIZE_CONTENT_TYPE`]), else a line of plain text.
    pub fn body(&self) -> String {
        match self {
            Self::Conflict(size) => format!("{size}\n"),
            other => format!("{other}\n"),
        }
    }
}

/// The latest checkpoint a witness cosigned for a log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Latest {
    /// Its size.
    pub size: TreeSize,
    /// Its root hash.
    pub root: Hash,
}

/// A checkpoint the witness may cosign: its parsed head and its note text
/// (what the cosignature signs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accepted {
    /// The checkpoint.
    pub checkpoint: Checkpoint,
    /// The note text, without signature lines.
    pub text: String,
    /// The signature lines of the log's keys that verified, each with its
    /// newline (a witness serves them with its cosignature).
    pub log_signatures: Vec<String>,
}

impl AddCheckpoint {
    /// The request body: `old <size>`, one base64 hash per line, an empty
    /// line, the checkpoint.
    pub fn encode(&self) -> String {
        let mut body = format!("old {}\n", self.old);
        for hash in &self.proof {
            body.push_str(&hash.to_base64());
            body.push('\n');
        }
        body.push('\n');
        body.push_str(&self.checkpoint);
        body
    }

    /// Parses a request body strictly; every refusal is a 400.
    pub fn parse(body: &[u8]) -> Result<Self, Refusal> {
        let bad = |what: &str| Refusal::BadRequest(what.to_owned());
        let text = std::str::from_utf8(body).map_err(|_| bad("the body is not UTF-8"))?;
        let (head, checkpoint) = text
            .split_once("\n\n")
            .ok_or_else(|| bad("no empty line before the checkpoint"))?;
        let mut lines = head.split('\n');
        let old = lines
            .next()
            .and_then(|line| line.strip_prefix("old "))
            .and_then(parse_decimal)
            .map(TreeSize::new)
            .ok_or_else(|| bad("the first line must be `old <size>` in canonical decimal"))?;
        let proof = lines
            .map(|line| Hash::from_base64(line).map_err(|_| bad("a proof line is not a hash")))
            .collect::<Result<Vec<_>, _>>()?;
        if proof.len() > MAX_PROOF_LINES {
            return Err(bad("more than 63 consistency proof lines"));
        }
        Ok(Self {
            old,
            proof,
            checkpoint: checkpoint.to_owned(),
        })
    }

    /// The witness's decision, given the log keys it trusts (all of them:
    /// those named after the checkpoint's origin are used) and the latest
    /// checkpoint it cosigned for that origin.
    pub fn check(
        &self,
        logs: &[VerifierKey],
        latest: impl FnOnce(&str) -> Option<Latest>,
    ) -> Result<Accepted, Refusal> {
        let note = Note::parse(self.checkpoint.as_bytes(), Limits::CHECKPOINT)
            .map_err(|e| Refusal::BadRequest(format!("the checkpoint: {e}")))?;
        let checkpoint = Checkpoint::parse(note.text())
            .map_err(|e| Refusal::BadRequest(format!("the checkpoint: {e}")))?;
        let origin = checkpoint.origin().as_str();
        let keys: Vec<VerifierKey> = logs
            .iter()
            .filter(|k| k.name().as_str() == origin)
            .cloned()
            .collect();
        if keys.is_empty() {
            return Err(Refusal::UnknownOrigin(origin.to_owned()));
        }
        let text = note.text().to_owned();
        let verified = note
            .verify(&keys)
            .map_err(|e| Refusal::Forbidden(e.to_string()))?;
        let by = verified.verified_by();
        let log_signatures = verified
            .get()
            .signatures()
            .iter()
            .filter(|s| by.iter().any(|k| k.name() == s.name() && k.id() == s.id()))
            .map(|s| s.to_line())
            .collect();
        let size = checkpoint.size();
        if self.old > size {
            return Err(Refusal::BadRequest(format!(
                "the old size {} exceeds the checkpoint's size {size}",
                self.old
            )));
        }
        let latest = latest(origin).unwrap_or(Latest {
            size: TreeSize::new(0),
            root: empty_root(),
        });
        if self.old != latest.size {
            return Err(Refusal::Conflict(latest.size));
        }
        if size.get() == 0 && *checkpoint.root() != empty_root() {
            return Err(Refusal::Inconsistent(
                "a tree of size 0 must have the empty tree's root".to_owned(),
            ));
        }
        verify_consistency(
            latest.size,
            size,
            &self.proof,
            &latest.root,
            checkpoint.root(),
        )
        .map_err(|e| Refusal::Inconsistent(e.to_string()))?;
        Ok(Accepted {
            checkpoint,
            text,
            log_signatures,
        })
    }
}

/// Reads a 409 answer's body: the witness's size in canonical decimal and a
/// newline.
pub fn parse_conflict(body: &[u8]) -> Option<TreeSize> {
    let text = std::str::from_utf8(body).ok()?.strip_suffix('\n')?;
    parse_decimal(text).map(TreeSize::new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::note::{KeyName, SigningKey};
    use crate::tlog::checkpoint::{Origin, sign_checkpoint};
    use crate::tlog::proof::consistency_proof;
    use crate::tlog::{MemoryHashes, leaf_hash};

    const ORIGIN: &str = "example.com/log";

    fn log_key() -> SigningKey {
        SigningKey::from_seed(KeyName::new(ORIGIN).unwrap(), &[7; 32])
    }

    /// A tree of `n` leaves `b"leaf <i>"` (with its stored hashes).
    fn tree(n: u64) -> (MemoryHashes, Hash) {
        let mut hashes = MemoryHashes::new();
        for i in 0..n {
            hashes.push_leaf(leaf_hash(format!("leaf {i}").as_bytes()));
        }
        let root = hashes.root();
        (hashes, root)
    }

    fn signed(size: u64, root: Hash, key: &SigningKey) -> String {
        let origin = Origin::new(key.name().as_str()).unwrap();
        let checkpoint = Checkpoint::new(origin, TreeSize::new(size), root, vec![]).unwrap();
        String::from_utf8(sign_checkpoint(&checkpoint, key).unwrap()).unwrap()
    }

    fn request(old: u64, new: u64) -> AddCheckpoint {
        let (hashes, root) = tree(new);
        let proof = if old == 0 || old == new {
            vec![]
        } else {
            consistency_proof(TreeSize::new(old), TreeSize::new(new), &hashes).unwrap()
        };
        AddCheckpoint {
            old: TreeSize::new(old),
            proof,
            checkpoint: signed(new, root, &log_key()),
        }
    }

    fn latest(size: u64) -> Option<Latest> {
        Some(Latest {
            size: TreeSize::new(size),
            root: tree(size).1,
        })
    }

    #[test]
    fn the_body_round_trips_and_matches_the_specification_layout() {
        let r = request(3, 10);
        let body = r.encode();
        assert!(body.starts_with("old 3\n"));
        assert!(body.contains("=\n\nexample.com/log\n10\n"));
        assert_eq!(AddCheckpoint::parse(body.as_bytes()), Ok(r));
        let empty = request(0, 4).encode();
        assert!(empty.starts_with("old 0\n\nexample.com/log\n"));
        for bad in [
            "old 03\n\nx",
            "old -1\n\nx",
            "new 3\n\nx",
            "old 3\nnot a hash\n\nx",
            "old 3\n",
        ] {
            assert_eq!(
                AddCheckpoint::parse(bad.as_bytes()).unwrap_err().status(),
                400,
                "{bad}"
            );
        }
    }

    #[test]
    fn a_consistent_checkpoint_is_accepted() {
        let keys = [log_key().verifier_key()];
        let accepted = request(3, 10).check(&keys, |_| latest(3)).unwrap();
        assert_eq!(accepted.checkpoint.size(), TreeSize::new(10));
        assert!(accepted.text.starts_with("example.com/log\n10\n"));
        assert_eq!(accepted.log_signatures.len(), 1);
        assert!(accepted.log_signatures[0].starts_with("\u{2014} example.com/log "));
        // First contact, and the same tree again.
        assert!(request(0, 5).check(&keys, |_| None).is_ok());
        assert!(request(5, 5).check(&keys, |_| latest(5)).is_ok());
    }

    #[test]
    fn each_refusal_has_the_specifications_status() {
        let keys = [log_key().verifier_key()];
        let status = |r: &AddCheckpoint, l: Option<Latest>| r.check(&keys, |_| l).unwrap_err();
        // 404: another origin.
        let stranger = SigningKey::from_seed(KeyName::new("other.example/log").unwrap(), &[7; 32]);
        let mut r = request(0, 4);
        r.checkpoint = signed(4, tree(4).1, &stranger);
        assert_eq!(status(&r, None).status(), 404);
        // 403: the origin's name, another key; and a broken signature.
        let impostor = SigningKey::from_seed(KeyName::new(ORIGIN).unwrap(), &[8; 32]);
        r.checkpoint = signed(4, tree(4).1, &impostor);
        assert_eq!(status(&r, None).status(), 403);
        let mut r = request(0, 4);
        let at = r.checkpoint.rfind(' ').unwrap() + 10;
        let flipped = if &r.checkpoint[at..=at] == "A" {
            "B"
        } else {
            "A"
        };
        r.checkpoint.replace_range(at..=at, flipped);
        assert_eq!(status(&r, None).status(), 403);
        // 400: old size above the checkpoint's.
        let mut r = request(4, 4);
        r.old = TreeSize::new(5);
        assert_eq!(status(&r, latest(5)).status(), 400);
        // 409 with the witness's size: behind, ahead, and a rolled-back log.
        assert_eq!(
            status(&request(3, 10), latest(5)),
            Refusal::Conflict(TreeSize::new(5))
        );
        assert_eq!(status(&request(0, 10), latest(5)).body(), "5\n");
        assert_eq!(status(&request(3, 4), latest(6)).status(), 409);
        // 422: a bad proof, a proof from zero, a fork of the same size.
        let mut r = request(3, 10);
        r.proof[0] = leaf_hash(b"forged");
        assert_eq!(status(&r, latest(3)).status(), 422);
        let mut r = request(0, 10);
        r.proof = request(3, 10).proof;
        assert_eq!(status(&r, None).status(), 422);
        let mut fork = request(5, 5);
        fork.checkpoint = signed(5, leaf_hash(b"fork"), &log_key());
        assert_eq!(status(&fork, latest(5)).status(), 422);
        // A size-zero checkpoint must have the empty root.
        let mut r = request(0, 0);
        r.checkpoint = signed(0, leaf_hash(b"x"), &log_key());
        assert_eq!(status(&r, None).status(), 422);
    }

    #[test]
    fn the_conflict_body_is_parsed_strictly() {
        assert_eq!(parse_conflict(b"12\n"), Some(TreeSize::new(12)));
        assert_eq!(parse_conflict(b"0\n"), Some(TreeSize::new(0)));
        for bad in [&b"12"[..], b"012\n", b"x\n", b"12\n\n"] {
            assert_eq!(parse_conflict(bad), None);
        }
    }
}
