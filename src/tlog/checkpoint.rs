//! Checkpoints (C2SP tlog-checkpoint): the signed statement of a log's tree
//! size and root hash, a signed note whose key name is the log's origin
//! (SPEC section 4).
//!
//! ```text
//! <origin>
//! <tree size, decimal, no leading zeros>
//! <root hash, base64>
//! [extension lines]
//! ```

use std::fmt;

use crate::note::signed::check_text;
use crate::note::{KeyError, KeyName, Limits, Note, NoteError, SigningKey, Verified, VerifierKey};
use crate::tlog::{Hash, HashError, TreeSize};

/// The reason a checkpoint is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// The origin is not usable as a key name (see [`Origin`]).
    #[error("invalid origin: {0}")]
    Origin(KeyError),
    /// The text has fewer than the three mandatory lines
    /// (tlog-checkpoint, "Note text").
    #[error("a checkpoint needs an origin, a tree size and a root hash line")]
    MissingLines,
    /// The size line is not a canonical decimal `u64` (tlog-checkpoint,
    /// "Note text": ASCII decimal with no leading zeroes).
    #[error("the tree size {0:?} is not a decimal number without leading zeros")]
    Size(String),
    /// The root hash line is not canonical base64 of 32 bytes.
    #[error("the root hash line: {0}")]
    Root(HashError),
    /// An extension line is empty or not a single line of note text
    /// (tlog-checkpoint: extension lines MUST be non-empty).
    #[error("extension line {0} (1-based among extensions) is empty or holds a control character")]
    Extension(usize),
    /// The checkpoint text or the signed note around it is not valid.
    #[error("{0}")]
    Note(#[from] NoteError),
    /// The key's name is not the checkpoint's origin: SPEC section 4 requires
    /// a log to sign with a key named after its origin, so a checkpoint of
    /// another log (or a key of another log) is refused.
    #[error("the key {key} is not the key of origin {origin}")]
    KeyNotOrigin {
        /// The key's name.
        key: KeyName,
        /// The checkpoint's origin.
        origin: Origin,
    },
}

/// The identity of a log, the first line of its checkpoints.
///
/// tlog-checkpoint only requires it non-empty (and recommends a schema-less
/// URL without spaces or `+`), but SPEC section 4 makes the log's key name
/// equal to its origin, so an origin here must also be a valid [`KeyName`]:
/// non-empty, no Unicode spaces, no `+`, no control characters.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Origin(KeyName);

impl Origin {
    /// Checks an origin.
    pub fn new(origin: impl Into<String>) -> Result<Self, CheckpointError> {
        KeyName::new(origin)
            .map(Self)
            .map_err(CheckpointError::Origin)
    }

    /// The origin as text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The name the log's key must carry.
    pub fn key_name(&self) -> &KeyName {
        &self.0
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Origin({:?})", self.as_str())
    }
}

/// The head of a log's tree at one size, as a checkpoint states it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Checkpoint {
    /// The log that states it.
    origin: Origin,
    /// The number of entries in the tree.
    size: TreeSize,
    /// The RFC 6962 root hash of the tree at that size.
    root: Hash,
    /// Opaque extension lines, each non-empty (tlog-checkpoint discourages
    /// them; Scrutineer writes none, but keeps those it reads so that the
    /// text re-encodes exactly).
    extensions: Vec<String>,
}

impl Checkpoint {
    /// Builds a checkpoint, refusing extension lines that are empty or are
    /// not one line of valid note text.
    pub fn new(
        origin: Origin,
        size: TreeSize,
        root: Hash,
        extensions: Vec<String>,
    ) -> Result<Self, CheckpointError> {
        for (i, line) in extensions.iter().enumerate() {
            if line.is_empty() || line.chars().any(char::is_control) {
                return Err(CheckpointError::Extension(i + 1));
            }
        }
        Ok(Self {
            origin,
            size,
            root,
            extensions,
        })
    }

    /// The log's origin.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// The tree size.
    pub fn size(&self) -> TreeSize {
        self.size
    }

    /// The root hash.
    pub fn root(&self) -> &Hash {
        &self.root
    }

    /// The extension lines, without newlines.
    pub fn extensions(&self) -> &[String] {
        &self.extensions
    }

    /// The note text: origin, size, root and extension lines, each ending
    /// with a newline.
    pub fn to_text(&self) -> String {
        let mut text = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            self.root.to_base64()
        );
        for line in &self.extensions {
            text.push_str(line);
            text.push('\n');
        }
        text
    }

    /// Parses a checkpoint's note text, refusing every non-canonical form:
    /// `parse(t)?.to_text() == t` whenever it succeeds.
    pub fn parse(text: &str) -> Result<Self, CheckpointError> {
        check_text(text)?;
        // `check_text` guarantees the final newline; every line then ends
        // with one, so splitting the text without it gives the lines.
        let body = &text[..text.len() - 1];
        let mut lines = body.split('\n');
        let (Some(origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next())
        else {
            return Err(CheckpointError::MissingLines);
        };
        let origin = Origin::new(origin)?;
        let size = parse_decimal(size)
            .map(TreeSize::new)
            .ok_or_else(|| CheckpointError::Size(size.to_owned()))?;
        let root = Hash::from_base64(root).map_err(CheckpointError::Root)?;
        Self::new(origin, size, root, lines.map(str::to_owned).collect())
    }
}

/// Signs a checkpoint with the log's key, whose name must be the origin
/// (SPEC section 4), and returns the signed note.
pub fn sign_checkpoint(
    checkpoint: &Checkpoint,
    key: &SigningKey,
) -> Result<Vec<u8>, CheckpointError> {
    if key.name() != checkpoint.origin.key_name() {
        return Err(CheckpointError::KeyNotOrigin {
            key: key.name().clone(),
            origin: checkpoint.origin.clone(),
        });
    }
    Ok(Note::sign(&checkpoint.to_text(), &[key])?.into_bytes())
}

/// Parses and verifies a signed checkpoint (tlog-proof, "Verifying", step
/// 2): the origin must be the log key's name, and that key's signature must
/// verify. Other signatures, such as witness cosignatures, are ignored here
/// (signed-note: unknown keys MUST be ignored); a policy on them is a
/// separate step.
pub fn open_checkpoint(
    bytes: &[u8],
    log_key: &VerifierKey,
) -> Result<Verified<Checkpoint>, CheckpointError> {
    let note = Note::parse(bytes, Limits::CHECKPOINT)?;
    // Parsing the unverified text only decides how to refuse: a checkpoint
    // of another origin gets an error that names both, rather than "no
    // known signature". Nothing from it is returned unless verified.
    let checkpoint = Checkpoint::parse(note.text())?;
    if checkpoint.origin.key_name() != log_key.name() {
        return Err(CheckpointError::KeyNotOrigin {
            key: log_key.name().clone(),
            origin: checkpoint.origin,
        });
    }
    let verified = note.verify(std::slice::from_ref(log_key))?;
    // The checkpoint was parsed from exactly the text that verified.
    verified.try_map(|_| Ok(checkpoint))
}

/// Parses an ASCII decimal `u64` with no sign and no leading zeros (unless
/// it is `0`): the canonical form tlog-checkpoint and tlog-proof require.
pub(crate) fn parse_decimal(text: &str) -> Option<u64> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    // `u64::from_str` would also accept a leading '+'; the digit check above
    // has excluded it, and overflow is refused here.
    canonical.then(|| text.parse().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlog::{empty_root, leaf_hash};

    /// The note text of the example in C2SP tlog-checkpoint.
    const C2SP_TEXT: &str =
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

    fn log_key() -> SigningKey {
        SigningKey::from_seed(KeyName::new("example.com/log").expect("valid"), &[42u8; 32])
    }

    fn checkpoint(size: u64) -> Checkpoint {
        Checkpoint::new(
            Origin::new("example.com/log").expect("valid"),
            TreeSize::new(size),
            leaf_hash(b"root"),
            vec![],
        )
        .expect("valid")
    }

    #[test]
    fn c2sp_example_text_parses_and_round_trips() {
        let cp = Checkpoint::parse(C2SP_TEXT).expect("the C2SP example parses");
        assert_eq!(cp.origin().as_str(), "example.com/behind-the-sofa");
        assert_eq!(cp.size(), TreeSize::new(20_852_163));
        assert_eq!(
            cp.root().to_base64(),
            "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="
        );
        assert!(cp.extensions().is_empty());
        assert_eq!(cp.to_text(), C2SP_TEXT);
        let with_ext = format!("{C2SP_TEXT}ext one\nx\n");
        let cp = Checkpoint::parse(&with_ext).expect("extensions are allowed");
        assert_eq!(cp.extensions(), ["ext one", "x"]);
        assert_eq!(cp.to_text(), with_ext);
    }

    #[test]
    fn signed_checkpoint_round_trips() {
        let key = log_key();
        let cp = checkpoint(7);
        let signed = sign_checkpoint(&cp, &key).expect("key named after the origin");
        // The exact layout: text, blank line, one signature line naming the
        // origin with the key id (4 bytes) and a 64-byte signature.
        let text = String::from_utf8(signed.clone()).expect("UTF-8");
        let (body, sigline) = text.split_once("\n\n").expect("blank line");
        assert_eq!(format!("{body}\n"), cp.to_text());
        assert!(sigline.starts_with("\u{2014} example.com/log "));
        assert_eq!(sigline.len(), "\u{2014} example.com/log ".len() + 92 + 1);
        let opened = open_checkpoint(&signed, &key.verifier_key()).expect("verifies");
        assert_eq!(*opened.get(), cp);
        assert_eq!(opened.verified_by(), &[key.verifier_key()]);
        // Ed25519 is deterministic: signing again gives the same bytes.
        assert_eq!(sign_checkpoint(&cp, &key).expect("same"), signed);
        // The empty tree too.
        let empty = Checkpoint::new(cp.origin().clone(), TreeSize::ZERO, empty_root(), vec![])
            .expect("valid");
        let signed = sign_checkpoint(&empty, &key).expect("valid");
        assert_eq!(
            *open_checkpoint(&signed, &key.verifier_key()).expect("ok"),
            empty
        );
    }

    #[test]
    fn cosignatures_and_unknown_signatures_are_ignored() {
        let key = log_key();
        let witness = SigningKey::from_seed(KeyName::new("witness.example").expect("v"), &[5; 32]);
        let cp = checkpoint(3);
        let signed = Note::sign(&cp.to_text(), &[&key, &witness]).expect("valid");
        let opened = open_checkpoint(signed.as_bytes(), &key.verifier_key()).expect("ok");
        assert_eq!(opened.verified_by(), &[key.verifier_key()]);
        // Signed by the witness only: the log's signature is missing.
        let signed = Note::sign(&cp.to_text(), &[&witness]).expect("valid");
        assert_eq!(
            open_checkpoint(signed.as_bytes(), &key.verifier_key()),
            Err(CheckpointError::Note(NoteError::NoKnownSignature))
        );
    }

    #[test]
    fn origin_must_be_the_key_name() {
        let other = SigningKey::from_seed(KeyName::new("other.example").expect("v"), &[42; 32]);
        let cp = checkpoint(1);
        assert!(matches!(
            sign_checkpoint(&cp, &other),
            Err(CheckpointError::KeyNotOrigin { .. })
        ));
        // A checkpoint by `other` for its own origin, opened with our key.
        let theirs = Checkpoint::new(
            Origin::new("other.example").expect("v"),
            TreeSize::new(1),
            leaf_hash(b"root"),
            vec![],
        )
        .expect("valid");
        let signed = sign_checkpoint(&theirs, &other).expect("valid");
        assert!(matches!(
            open_checkpoint(&signed, &log_key().verifier_key()),
            Err(CheckpointError::KeyNotOrigin { .. })
        ));
        // A note claiming our origin but signed by a key named otherwise.
        let signed = Note::sign(&cp.to_text(), &[&other]).expect("valid");
        assert!(matches!(
            open_checkpoint(signed.as_bytes(), &other.verifier_key()),
            Err(CheckpointError::KeyNotOrigin { .. })
        ));
    }

    #[test]
    fn tampering_is_detected() {
        let key = log_key();
        let signed = sign_checkpoint(&checkpoint(7), &key).expect("valid");
        let text = String::from_utf8(signed).expect("UTF-8");
        let vkey = key.verifier_key();
        // Another size, another root, an added extension line.
        let bigger = text.replacen("\n7\n", "\n8\n", 1);
        let root = leaf_hash(b"root").to_base64();
        let other_root = text.replacen(&root, &leaf_hash(b"toor").to_base64(), 1);
        let extended = text.replacen("\n\n", "\nextra\n\n", 1);
        for tampered in [bigger, other_root, extended] {
            assert!(matches!(
                open_checkpoint(tampered.as_bytes(), &vkey),
                Err(CheckpointError::Note(NoteError::BadSignature { .. }))
            ));
        }
        // The key's id must match: a key of the same name with another seed
        // leaves the signature unknown.
        let rotated = SigningKey::from_seed(KeyName::new("example.com/log").expect("v"), &[1; 32]);
        assert_ne!(rotated.id(), key.id());
        assert_eq!(
            open_checkpoint(text.as_bytes(), &rotated.verifier_key()),
            Err(CheckpointError::Note(NoteError::NoKnownSignature))
        );
    }

    #[test]
    fn non_canonical_text_is_refused() {
        let root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
        let bad_sizes = [
            "007",
            "+7",
            "-7",
            " 7",
            "7 ",
            "",
            "0x7",
            "18446744073709551616",
            "1e3",
        ];
        for size in bad_sizes {
            assert!(
                matches!(
                    Checkpoint::parse(&format!("o.example\n{size}\n{root}\n")),
                    Err(CheckpointError::Size(_)) | Err(CheckpointError::Note(_))
                ),
                "size {size:?}"
            );
        }
        assert!(Checkpoint::parse(&format!("o.example\n0\n{root}\n")).is_ok());
        assert!(Checkpoint::parse(&format!("o.example\n18446744073709551615\n{root}\n")).is_ok());
        let unpadded = root.trim_end_matches('=');
        assert!(matches!(
            Checkpoint::parse(&format!("o.example\n1\n{unpadded}\n")),
            Err(CheckpointError::Root(_))
        ));
        assert!(matches!(
            Checkpoint::parse(&format!("o.example\n1\n{}\n", Hash::sha256(b"").to_hex())),
            Err(CheckpointError::Root(_))
        ));
        assert_eq!(
            Checkpoint::parse("o.example\n1\n"),
            Err(CheckpointError::MissingLines)
        );
        assert_eq!(
            Checkpoint::parse(&format!("o.example\n1\n{root}")),
            Err(CheckpointError::Note(NoteError::MissingFinalNewline))
        );
        assert_eq!(
            Checkpoint::parse(&format!("o.example\n1\n{root}\n\nx\n")),
            Err(CheckpointError::Extension(1))
        );
        assert_eq!(
            Checkpoint::parse(&format!("o.example\r\n1\n{root}\n")),
            Err(CheckpointError::Note(NoteError::CarriageReturn(9)))
        );
        assert!(matches!(
            Checkpoint::parse(&format!("\n1\n{root}\n")),
            Err(CheckpointError::Origin(KeyError::NameEmpty))
        ));
        assert!(matches!(
            Checkpoint::parse(&format!("a b\n1\n{root}\n")),
            Err(CheckpointError::Origin(KeyError::NameSpace(_)))
        ));
        assert!(matches!(
            Checkpoint::new(
                Origin::new("o").expect("v"),
                TreeSize::ZERO,
                empty_root(),
                vec!["a\nb".into()]
            ),
            Err(CheckpointError::Extension(1))
        ));
    }

    #[test]
    fn decimal_parsing_is_canonical() {
        assert_eq!(parse_decimal("0"), Some(0));
        assert_eq!(parse_decimal("10"), Some(10));
        assert_eq!(parse_decimal("18446744073709551615"), Some(u64::MAX));
        for bad in [
            "",
            "00",
            "01",
            "+1",
            "-0",
            "1_000",
            "18446744073709551616",
            "١",
        ] {
            assert_eq!(parse_decimal(bad), None, "{bad:?}");
        }
    }
}
