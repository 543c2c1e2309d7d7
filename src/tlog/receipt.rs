//! Receipts (C2SP tlog-proof): an offline-verifiable proof that an entry is
//! in the log, as the server returns it for a vote (SPEC section 4,
//! "Receipt").
//!
//! ```text
//! c2sp.org/tlog-proof@v1
//! extra <base64 of the entry bytes>      (optional)
//! index <decimal>
//! <base64 proof hash, leaf's sibling first>...
//!
//! <signed checkpoint, verbatim>
//! ```

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::contexts::{INCLUSION_PROOF_MAX_HASHES, RECEIPT_MAX_BYTES, TLOG_PROOF_HEADER};
use crate::note::{Limits, Note, Verified, VerifierKey};
use crate::tlog::checkpoint::{Checkpoint, CheckpointError, open_checkpoint, parse_decimal};
use crate::tlog::proof::{ProofError, verify_inclusion};
use crate::tlog::{Hash, LeafIndex, leaf_hash};

/// The prefix of the optional line that carries the extra data.
const EXTRA_PREFIX: &str = "extra ";

/// The prefix of the index line.
const INDEX_PREFIX: &str = "index ";

/// The reason a receipt is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptError {
    /// The receipt is larger than [`RECEIPT_MAX_BYTES`].
    #[error("the receipt is {len} bytes, more than the limit of {max}")]
    TooLarge {
        /// The receipt's size.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The receipt is not UTF-8 text.
    #[error("the receipt is not valid UTF-8 (first bad byte at offset {0})")]
    NotUtf8(usize),
    /// The first line is not `c2sp.org/tlog-proof@v1`.
    #[error("the first line must be \"{TLOG_PROOF_HEADER}\"")]
    Header,
    /// The extra data is empty or not canonical standard padded base64
    /// (tlog-proof: without extra data the line is omitted).
    #[error("the extra line must hold non-empty, canonical standard padded base64")]
    Extra,
    /// The index line is missing or not `index <decimal, no leading zeros>`.
    #[error("expected the line \"index <decimal without leading zeros>\"")]
    Index,
    /// A proof line is not canonical base64 of a 32-byte hash.
    #[error("line {line}: a proof line must be a canonical base64 SHA-256 hash")]
    ProofHash {
        /// The 1-based line number in the receipt.
        line: usize,
    },
    /// More proof hashes than any tree can need.
    #[error("the proof has more than {max} hashes")]
    TooManyProofHashes {
        /// The limit ([`INCLUSION_PROOF_MAX_HASHES`]).
        max: usize,
    },
    /// No empty line separates the proof from the checkpoint.
    #[error("the proof must be followed by an empty line and the signed checkpoint")]
    MissingCheckpoint,
    /// The checkpoint is malformed, of another origin, or not signed by the
    /// log's key.
    #[error("checkpoint: {0}")]
    Checkpoint(#[from] CheckpointError),
    /// The inclusion proof does not bind the entry to the checkpoint's root.
    #[error("inclusion: {0}")]
    Inclusion(ProofError),
}

/// A parsed tlog-proof. Building or parsing one checks its form only;
/// [`Receipt::verify`] checks the signature and the inclusion.
#[derive(Clone, PartialEq, Eq)]
pub struct Receipt {
    /// Unauthenticated extra data; in Scrutineer's receipts, the exact entry
    /// bytes (SPEC section 4), which the client compares with what it sent.
    extra: Option<Vec<u8>>,
    /// The entry's zero-based position in the log.
    index: LeafIndex,
    /// The RFC 6962 audit path, from the leaf's sibling to the root's child.
    proof: Vec<Hash>,
    /// The signed checkpoint, verbatim, cosignatures included: re-encoding
    /// it could drop signatures a verifier's policy needs.
    checkpoint: Vec<u8>,
}

impl Receipt {
    /// Builds a receipt, checking the form of each part: non-empty extra
    /// data, at most 64 proof hashes, a well-formed signed checkpoint, and
    /// an encoding within [`RECEIPT_MAX_BYTES`] (so that whatever is built
    /// here also parses).
    pub fn new(
        extra: Option<Vec<u8>>,
        index: LeafIndex,
        proof: Vec<Hash>,
        signed_checkpoint: Vec<u8>,
    ) -> Result<Self, ReceiptError> {
        check_checkpoint_form(&signed_checkpoint)?;
        Self::assemble(extra, index, proof, signed_checkpoint)
    }

    /// [`Receipt::new`] for a checkpoint this process has just signed with
    /// [`sign_checkpoint`](crate::tlog::checkpoint::sign_checkpoint), which
    /// is well formed by construction: its form is not parsed again for
    /// every receipt of the batch (debug builds still check it).
    pub fn with_own_checkpoint(
        extra: Option<Vec<u8>>,
        index: LeafIndex,
        proof: Vec<Hash>,
        signed_checkpoint: Vec<u8>,
    ) -> Result<Self, ReceiptError> {
        debug_assert!(
            check_checkpoint_form(&signed_checkpoint).is_ok(),
            "invariant: a checkpoint signed here is well formed"
        );
        Self::assemble(extra, index, proof, signed_checkpoint)
    }

    /// The checks of [`Receipt::new`] but the checkpoint's form.
    fn assemble(
        extra: Option<Vec<u8>>,
        index: LeafIndex,
        proof: Vec<Hash>,
        checkpoint: Vec<u8>,
    ) -> Result<Self, ReceiptError> {
        if extra.as_ref().is_some_and(Vec::is_empty) {
            return Err(ReceiptError::Extra);
        }
        if proof.len() > INCLUSION_PROOF_MAX_HASHES {
            return Err(ReceiptError::TooManyProofHashes {
                max: INCLUSION_PROOF_MAX_HASHES,
            });
        }
        let receipt = Self {
            extra,
            index,
            proof,
            checkpoint,
        };
        let len = receipt.encoded_len();
        if len > RECEIPT_MAX_BYTES {
            return Err(ReceiptError::TooLarge {
                len,
                max: RECEIPT_MAX_BYTES,
            });
        }
        Ok(receipt)
    }

    /// The extra data, not authenticated by the receipt itself (tlog-proof:
    /// applications MUST NOT implicitly trust it). Passing it to
    /// [`Receipt::verify`] as the entry is what authenticates it.
    pub fn extra(&self) -> Option<&[u8]> {
        self.extra.as_deref()
    }

    /// The entry's index.
    pub fn index(&self) -> LeafIndex {
        self.index
    }

    /// The inclusion proof.
    pub fn proof(&self) -> &[Hash] {
        &self.proof
    }

    /// The signed checkpoint, verbatim.
    pub fn signed_checkpoint(&self) -> &[u8] {
        &self.checkpoint
    }

    /// The receipt's text (tlog-proof, "Format").
    pub fn to_text(&self) -> String {
        let mut out = String::with_capacity(self.encoded_len());
        out.push_str(TLOG_PROOF_HEADER);
        out.push('\n');
        if let Some(extra) = &self.extra {
            out.push_str(EXTRA_PREFIX);
            out.push_str(&STANDARD.encode(extra));
            out.push('\n');
        }
        out.push_str(INDEX_PREFIX);
        out.push_str(&self.index.to_string());
        out.push('\n');
        for hash in &self.proof {
            out.push_str(&hash.to_base64());
            out.push('\n');
        }
        out.push('\n');
        // `new` and `parse` checked that the checkpoint is a signed note,
        // which is UTF-8; the lossy conversion never replaces anything.
        out.push_str(&String::from_utf8_lossy(&self.checkpoint));
        out
    }

    /// Parses a receipt strictly: `parse(b)?.to_text() == b` whenever it
    /// succeeds.
    pub fn parse(bytes: &[u8]) -> Result<Self, ReceiptError> {
        if bytes.len() > RECEIPT_MAX_BYTES {
            return Err(ReceiptError::TooLarge {
                len: bytes.len(),
                max: RECEIPT_MAX_BYTES,
            });
        }
        let text =
            std::str::from_utf8(bytes).map_err(|e| ReceiptError::NotUtf8(e.valid_up_to()))?;
        let mut lines = Lines {
            rest: text,
            number: 0,
        };
        if lines.next() != Some(TLOG_PROOF_HEADER) {
            return Err(ReceiptError::Header);
        }
        let mut line = lines.next().ok_or(ReceiptError::Index)?;
        let extra = match line.strip_prefix(EXTRA_PREFIX) {
            Some(encoded) => {
                line = lines.next().ok_or(ReceiptError::Index)?;
                Some(decode_extra(encoded)?)
            }
            None => None,
        };
        let index = line
            .strip_prefix(INDEX_PREFIX)
            .and_then(parse_decimal)
            .map(LeafIndex::new)
            .ok_or(ReceiptError::Index)?;
        let mut proof = Vec::new();
        loop {
            let line = lines.next().ok_or(ReceiptError::MissingCheckpoint)?;
            if line.is_empty() {
                break;
            }
            if proof.len() == INCLUSION_PROOF_MAX_HASHES {
                return Err(ReceiptError::TooManyProofHashes {
                    max: INCLUSION_PROOF_MAX_HASHES,
                });
            }
            let hash = Hash::from_base64(line)
                .map_err(|_| ReceiptError::ProofHash { line: lines.number })?;
            proof.push(hash);
        }
        let checkpoint = lines.rest.as_bytes().to_vec();
        check_checkpoint_form(&checkpoint)?;
        Ok(Self {
            extra,
            index,
            proof,
            checkpoint,
        })
    }

    /// Verifies that `entry` is in the log whose key is `log_key`
    /// (tlog-proof, "Verifying a tlog proof"): step 1, the leaf hash is the
    /// RFC 6962 leaf hash of the entry bytes; step 2, the checkpoint's
    /// origin is the key's name and the key's signature verifies; step 4,
    /// the inclusion proof leads from the leaf to the checkpoint's root.
    /// Step 3, witness cosignatures, is a policy applied to the returned
    /// checkpoint's note by the caller.
    pub fn verify(
        &self,
        entry: &[u8],
        log_key: &VerifierKey,
    ) -> Result<Verified<Checkpoint>, ReceiptError> {
        self.verify_leaf_hash(&leaf_hash(entry), log_key)
    }

    /// [`Receipt::verify`] for a caller that already holds the leaf hash.
    pub fn verify_leaf_hash(
        &self,
        leaf: &Hash,
        log_key: &VerifierKey,
    ) -> Result<Verified<Checkpoint>, ReceiptError> {
        let checkpoint = open_checkpoint(&self.checkpoint, log_key)?;
        // The size and root come from the one checkpoint that verified, as
        // `proof::verify_inclusion` requires.
        verify_inclusion(
            leaf,
            self.index,
            checkpoint.size(),
            &self.proof,
            checkpoint.root(),
        )
        .map_err(ReceiptError::Inclusion)?;
        Ok(checkpoint)
    }

    /// The length of [`Receipt::to_text`], computed without building it.
    fn encoded_len(&self) -> usize {
        let extra = self
            .extra
            .as_ref()
            .map_or(0, |e| EXTRA_PREFIX.len() + e.len().div_ceil(3) * 4 + 1);
        TLOG_PROOF_HEADER.len()
            + 1
            + extra
            + INDEX_PREFIX.len()
            + self.index.to_string().len()
            + 1
            + self.proof.len() * 45
            + 1
            + self.checkpoint.len()
    }
}

impl fmt::Debug for Receipt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receipt")
            .field("extra_len", &self.extra.as_ref().map(Vec::len))
            .field("index", &self.index)
            .field("proof", &self.proof)
            .field("checkpoint", &String::from_utf8_lossy(&self.checkpoint))
            .finish()
    }
}

/// Newline-terminated lines with their 1-based numbers; what follows the
/// last line read stays in `rest`.
struct Lines<'a> {
    /// The text not yet read.
    rest: &'a str,
    /// The number of the line last returned.
    number: usize,
}

impl<'a> Lines<'a> {
    /// The next line without its newline, or `None` if no complete line is
    /// left (a line must end with `\n`).
    fn next(&mut self) -> Option<&'a str> {
        let (line, rest) = self.rest.split_once('\n')?;
        self.rest = rest;
        self.number += 1;
        Some(line)
    }
}

/// Decodes the extra data: non-empty canonical standard padded base64.
fn decode_extra(encoded: &str) -> Result<Vec<u8>, ReceiptError> {
    let bytes = STANDARD.decode(encoded).map_err(|_| ReceiptError::Extra)?;
    if bytes.is_empty() || STANDARD.encode(&bytes) != encoded {
        return Err(ReceiptError::Extra);
    }
    Ok(bytes)
}

/// Checks that bytes are a well-formed signed checkpoint, without verifying
/// any signature.
fn check_checkpoint_form(bytes: &[u8]) -> Result<(), ReceiptError> {
    let note = Note::parse(bytes, Limits::CHECKPOINT).map_err(CheckpointError::Note)?;
    Checkpoint::parse(note.text())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::note::{KeyName, NoteError, SigningKey};
    use crate::tlog::checkpoint::{Origin, sign_checkpoint};
    use crate::tlog::{TreeSize, node_hash};

    const ORIGIN: &str = "example.com/log";

    fn log_key() -> SigningKey {
        SigningKey::from_seed(KeyName::new(ORIGIN).expect("valid"), &[42u8; 32])
    }

    fn entries() -> Vec<Vec<u8>> {
        (0..5)
            .map(|i| format!("entry {i}\n").into_bytes())
            .collect()
    }

    /// A tree of five entries, built by hand from RFC 6962 section 2.1
    /// (independently of `tlog::tree`): the split is at 4, so the root is
    /// `node(node(node(l0, l1), node(l2, l3)), l4)` and the audit path of
    /// entry 2 is `[l3, node(l0, l1), l4]`.
    fn receipt_for_entry_2(key: &SigningKey) -> Receipt {
        let l: Vec<Hash> = entries().iter().map(|e| leaf_hash(e)).collect();
        let left = node_hash(&node_hash(&l[0], &l[1]), &node_hash(&l[2], &l[3]));
        let root = node_hash(&left, &l[4]);
        let checkpoint = Checkpoint::new(
            Origin::new(ORIGIN).expect("valid"),
            TreeSize::new(5),
            root,
            vec![],
        )
        .expect("valid");
        let signed = sign_checkpoint(&checkpoint, key).expect("key named after the origin");
        let proof = vec![l[3], node_hash(&l[0], &l[1]), l[4]];
        Receipt::new(Some(entries()[2].clone()), LeafIndex::new(2), proof, signed)
            .expect("well-formed")
    }

    #[test]
    fn receipt_round_trips_and_verifies() {
        let key = log_key();
        let receipt = receipt_for_entry_2(&key);
        let text = receipt.to_text();
        assert!(text.starts_with("c2sp.org/tlog-proof@v1\nextra ZW50cnkgMgo=\nindex 2\n"));
        let parsed = Receipt::parse(text.as_bytes()).expect("parses");
        assert_eq!(parsed, receipt);
        assert_eq!(parsed.to_text(), text);
        assert_eq!(receipt.encoded_len(), text.len());
        let entry = parsed.extra().expect("extra present").to_vec();
        let checkpoint = parsed
            .verify(&entry, &key.verifier_key())
            .expect("verifies");
        assert_eq!(checkpoint.size(), TreeSize::new(5));
        // Without the extra line too.
        let bare = Receipt::new(
            None,
            receipt.index(),
            receipt.proof().to_vec(),
            receipt.signed_checkpoint().to_vec(),
        )
        .expect("valid");
        let text = bare.to_text();
        assert!(text.starts_with("c2sp.org/tlog-proof@v1\nindex 2\n"));
        assert_eq!(Receipt::parse(text.as_bytes()), Ok(bare.clone()));
        assert!(bare.verify(&entries()[2], &key.verifier_key()).is_ok());
    }

    #[test]
    fn tampering_is_detected() {
        let key = log_key();
        let vkey = key.verifier_key();
        let receipt = receipt_for_entry_2(&key);
        let entry = &entries()[2];
        // Another entry.
        assert_eq!(
            receipt.verify(&entries()[3], &vkey),
            Err(ReceiptError::Inclusion(ProofError::RootMismatch))
        );
        // Another index.
        let mut moved = receipt.clone();
        moved.index = LeafIndex::new(3);
        assert_eq!(
            moved.verify(entry, &vkey),
            Err(ReceiptError::Inclusion(ProofError::RootMismatch))
        );
        moved.index = LeafIndex::new(5);
        assert!(matches!(
            moved.verify(entry, &vkey),
            Err(ReceiptError::Inclusion(ProofError::IndexOutOfRange { .. }))
        ));
        // A proof hash changed, dropped or added.
        let mut bent = receipt.clone();
        bent.proof[1] = leaf_hash(b"x");
        assert_eq!(
            bent.verify(entry, &vkey),
            Err(ReceiptError::Inclusion(ProofError::RootMismatch))
        );
        bent.proof.pop();
        assert!(matches!(
            bent.verify(entry, &vkey),
            Err(ReceiptError::Inclusion(ProofError::WrongProofLength { .. }))
        ));
        // The checkpoint's root changed: its signature fails.
        let text = receipt.to_text();
        let root_line = text.lines().nth(9).expect("root line").to_owned();
        let forged = text.replacen(&root_line, &leaf_hash(b"x").to_base64(), 1);
        assert_eq!(
            Receipt::parse(forged.as_bytes())
                .expect("well-formed")
                .verify(entry, &vkey),
            Err(ReceiptError::Checkpoint(CheckpointError::Note(
                NoteError::BadSignature {
                    name: vkey.name().clone(),
                    id: vkey.id()
                }
            )))
        );
        // Another log's key.
        let other = SigningKey::from_seed(KeyName::new("other.example").expect("v"), &[1; 32]);
        assert!(matches!(
            receipt.verify(entry, &other.verifier_key()),
            Err(ReceiptError::Checkpoint(
                CheckpointError::KeyNotOrigin { .. }
            ))
        ));
    }

    #[test]
    fn malformed_receipts_are_refused() {
        let receipt = receipt_for_entry_2(&log_key());
        let text = receipt.to_text();
        let parse = |t: &str| Receipt::parse(t.as_bytes());
        let replace = |from: &str, to: &str| parse(&text.replacen(from, to, 1));
        assert_eq!(
            replace("tlog-proof@v1", "tlog-proof@v2"),
            Err(ReceiptError::Header)
        );
        assert_eq!(replace("index 2", "index 02"), Err(ReceiptError::Index));
        assert_eq!(replace("index 2", "index +2"), Err(ReceiptError::Index));
        assert_eq!(replace("index 2", "index  2"), Err(ReceiptError::Index));
        assert_eq!(replace("index 2", "Index 2"), Err(ReceiptError::Index));
        assert_eq!(replace("index 2\n", ""), Err(ReceiptError::Index));
        assert_eq!(
            replace("ZW50cnkgMgo=", "ZW50cnkgMgo"),
            Err(ReceiptError::Extra)
        );
        assert_eq!(
            replace("ZW50cnkgMgo=", "ZW50cnkgMgp="),
            Err(ReceiptError::Extra)
        );
        assert_eq!(
            replace("extra ZW50cnkgMgo=", "extra "),
            Err(ReceiptError::Extra)
        );
        assert_eq!(
            replace("index 2\n", "index 2\r\n"),
            Err(ReceiptError::Index)
        );
        let first_hash = receipt.proof()[0].to_base64();
        assert_eq!(
            replace(&first_hash, first_hash.trim_end_matches('=')),
            Err(ReceiptError::ProofHash { line: 4 })
        );
        assert_eq!(
            replace(&first_hash, &receipt.proof()[0].to_hex()),
            Err(ReceiptError::ProofHash { line: 4 })
        );
        // No empty line before the checkpoint: the checkpoint's lines are
        // read as proof hashes and the origin line is refused.
        let squashed = text.replacen("\n\nexample.com", "\nexample.com", 1);
        assert_eq!(parse(&squashed), Err(ReceiptError::ProofHash { line: 7 }));
        assert_eq!(
            parse("c2sp.org/tlog-proof@v1\nindex 2\n"),
            Err(ReceiptError::MissingCheckpoint)
        );
        assert_eq!(parse(""), Err(ReceiptError::Header));
        assert_eq!(Receipt::parse(b"\xff"), Err(ReceiptError::NotUtf8(0)));
        // A checkpoint that is not a signed note, or not a checkpoint.
        let (head, _) = text.split_once("\n\nexample.com").expect("separator");
        assert!(matches!(
            parse(&format!("{head}\n\nexample.com/log\n5\n")),
            Err(ReceiptError::Checkpoint(CheckpointError::Note(_)))
        ));
        let note = Note::sign("not\na checkpoint\n", &[&log_key()]).expect("valid");
        assert!(matches!(
            parse(&format!("{head}\n\n{note}")),
            Err(ReceiptError::Checkpoint(CheckpointError::MissingLines))
        ));
        // Trailing bytes after the checkpoint make it malformed.
        assert!(matches!(
            parse(&format!("{text}x")),
            Err(ReceiptError::Checkpoint(_))
        ));
    }

    #[test]
    fn bounds_are_enforced() {
        let receipt = receipt_for_entry_2(&log_key());
        let checkpoint = receipt.signed_checkpoint().to_vec();
        let proof_of_64 = || vec![leaf_hash(b"p"); INCLUSION_PROOF_MAX_HASHES];
        let proof = proof_of_64();
        let full = Receipt::new(None, LeafIndex::new(0), proof.clone(), checkpoint.clone())
            .expect("64 hashes are allowed");
        let text = full.to_text();
        assert_eq!(Receipt::parse(text.as_bytes()), Ok(full.clone()));
        let mut more = proof;
        more.push(leaf_hash(b"p"));
        let too_many = ReceiptError::TooManyProofHashes {
            max: INCLUSION_PROOF_MAX_HASHES,
        };
        assert_eq!(
            Receipt::new(None, LeafIndex::new(0), more, checkpoint.clone()),
            Err(too_many.clone())
        );
        let hash_line = format!("{}\n", leaf_hash(b"p").to_base64());
        let over = text.replacen("index 0\n", &format!("index 0\n{hash_line}"), 1);
        assert_eq!(Receipt::parse(over.as_bytes()), Err(too_many));
        assert_eq!(
            Receipt::new(Some(vec![]), LeafIndex::new(0), vec![], checkpoint.clone()),
            Err(ReceiptError::Extra)
        );
        // The same bounds for a receipt against this process's checkpoint.
        assert_eq!(
            Receipt::with_own_checkpoint(
                None,
                LeafIndex::new(0),
                proof_of_64(),
                checkpoint.clone()
            ),
            Ok(full)
        );
        assert_eq!(
            Receipt::with_own_checkpoint(
                Some(vec![]),
                LeafIndex::new(0),
                vec![],
                checkpoint.clone()
            ),
            Err(ReceiptError::Extra)
        );
        let huge = vec![b'x'; RECEIPT_MAX_BYTES];
        assert!(matches!(
            Receipt::with_own_checkpoint(
                Some(huge.clone()),
                LeafIndex::new(0),
                vec![],
                checkpoint.clone()
            ),
            Err(ReceiptError::TooLarge { .. })
        ));
        assert!(matches!(
            Receipt::new(Some(huge), LeafIndex::new(0), vec![], checkpoint),
            Err(ReceiptError::TooLarge { .. })
        ));
        let oversize = vec![b'x'; RECEIPT_MAX_BYTES + 1];
        assert!(matches!(
            Receipt::parse(&oversize),
            Err(ReceiptError::TooLarge { .. })
        ));
        // The largest entry SPEC section 4 allows fits in a receipt.
        let entry = vec![b'e'; crate::contexts::ENTRY_MAX_BYTES];
        let sig = receipt.signed_checkpoint().to_vec();
        let big = Receipt::new(
            Some(entry),
            LeafIndex::new(u64::MAX - 1),
            vec![leaf_hash(b"p"); 64],
            sig,
        )
        .expect("fits");
        assert_eq!(Receipt::parse(big.to_text().as_bytes()), Ok(big));
    }
}
