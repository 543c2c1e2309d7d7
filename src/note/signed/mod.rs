//! Signed notes (C2SP signed-note): parsing with bounded sizes, signing, and
//! strict Ed25519 verification that returns a [`Verified`] proof token.
//!
//! A signed note is its text (ending in a newline), a blank line, then one
//! or more signature lines `— <key name> <base64(key id ‖ signature)>`.
//! Parsing is strict: what [`Note::parse`] accepts, [`Note::to_text`] writes
//! back byte for byte.

use std::fmt;
use std::ops::Deref;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::contexts::{
    CHECKPOINT_MAX_BYTES, NOTE_MAX_SIGNATURES, NOTE_SIGNATURE_PREFIX, VOTE_NOTE_MAX_BYTES,
};
use crate::note::key::{KeyError, KeyId, KeyName, SigningKey, VerifierKey, decode_canonical};

/// The bounds a parser applies to a note before looking inside it
/// (signed-note, "Format": verifiers SHOULD limit the number of signatures
/// or the size of a note).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest note accepted, in bytes, signatures included.
    pub max_bytes: usize,
    /// The most signature lines accepted, known or not.
    pub max_signatures: usize,
}

impl Limits {
    /// A vote: at most 8 KiB (SPEC section 4). That a vote carries exactly
    /// one signature is a rule of votes, checked where votes are admitted.
    pub const VOTE: Self = Self {
        max_bytes: VOTE_NOTE_MAX_BYTES,
        max_signatures: NOTE_MAX_SIGNATURES,
    };

    /// A checkpoint with its cosignatures: at most 64 KiB and
    /// [`NOTE_MAX_SIGNATURES`] signatures (see `contexts`).
    pub const CHECKPOINT: Self = Self {
        max_bytes: CHECKPOINT_MAX_BYTES,
        max_signatures: NOTE_MAX_SIGNATURES,
    };
}

/// The reason a note could not be parsed, signed or verified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// The note is larger than the parser's bound.
    #[error("the note is {len} bytes, more than the limit of {max}")]
    TooLarge {
        /// The note's size.
        len: usize,
        /// The limit that applied.
        max: usize,
    },
    /// The note is not UTF-8 (signed-note, "Format": notes MUST be UTF-8).
    #[error("the note is not valid UTF-8 (first bad byte at offset {0})")]
    NotUtf8(usize),
    /// The note contains a carriage return: SPEC section 4 refuses `\r`
    /// anywhere, so that a note has one byte form across platforms.
    #[error("the note contains a carriage return at byte {0}; lines end with \\n only")]
    CarriageReturn(usize),
    /// The note contains a control character other than newline
    /// (signed-note, "Format"; SPEC section 4 also refuses DEL and C1).
    #[error("the note contains the control character U+{code:04X} at byte {offset}")]
    ControlCharacter {
        /// The byte offset of the character.
        offset: usize,
        /// Its code point.
        code: u32,
    },
    /// The note (or the text to sign) does not end with a newline.
    #[error("the note text must end with a newline")]
    MissingFinalNewline,
    /// The text to sign is empty.
    #[error("the note text must not be empty")]
    EmptyText,
    /// There is no blank line followed by signature lines.
    #[error("the note has no blank line followed by signature lines")]
    MissingSignatures,
    /// A signature line does not begin with an em dash and a space.
    #[error("line {line}: a signature line must begin with \"\u{2014} \" (em dash, space)")]
    SignaturePrefix {
        /// The 1-based line number in the note.
        line: usize,
    },
    /// A signature line is not `<name> <base64>` with exactly one space.
    #[error("line {line}: a signature line must be \"\u{2014} <key name> <base64>\"")]
    SignatureFormat {
        /// The 1-based line number in the note.
        line: usize,
    },
    /// A signature line carries an invalid key name.
    #[error("line {line}: {source}")]
    SignatureName {
        /// The 1-based line number in the note.
        line: usize,
        /// Why the name is invalid.
        source: KeyError,
    },
    /// A signature is not canonical standard padded base64.
    #[error("line {line}: the signature is not canonical standard padded base64")]
    SignatureBase64 {
        /// The 1-based line number in the note.
        line: usize,
    },
    /// A signature is shorter than a key id and one byte.
    #[error("line {line}: a signature must hold a 4-byte key id and at least one byte")]
    SignatureTooShort {
        /// The 1-based line number in the note.
        line: usize,
    },
    /// More signature lines than the parser's bound.
    #[error("the note has more than {max} signatures")]
    TooManySignatures {
        /// The limit that applied.
        max: usize,
    },
    /// Two signature lines, or two signers, share a key name and id.
    #[error("two signatures by {name} with key id {id}")]
    DuplicateSignature {
        /// The repeated key name.
        name: KeyName,
        /// The repeated key id.
        id: KeyId,
    },
    /// Signing was asked of no key at all.
    #[error("a note needs at least one signing key")]
    NoSigners,
    /// Two configured verifier keys share a name and id but differ: the
    /// configuration is ambiguous (signed-note, "Signatures").
    #[error("two different verifier keys are named {name} with key id {id}; fix the configuration")]
    AmbiguousVerifiers {
        /// The shared key name.
        name: KeyName,
        /// The shared key id.
        id: KeyId,
    },
    /// A signature by a known key (name and id match) does not verify. The
    /// whole note is refused (signed-note, "Signatures": clients SHOULD).
    #[error("the signature by {name} (key id {id}) does not verify")]
    BadSignature {
        /// The signer's key name.
        name: KeyName,
        /// The signer's key id.
        id: KeyId,
    },
    /// No signature is by a known key (signed-note, "Signatures": clients
    /// MUST reject such a note).
    #[error("the note is signed by none of the expected keys")]
    NoKnownSignature,
}

/// One signature line of a note: who claims to have signed, and the bytes.
///
/// A signature by an unknown key is kept, not verified: it may be a witness
/// cosignature that a later step checks with other keys.
#[derive(Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// The key name written in the line.
    name: KeyName,
    /// The key id, the first four bytes of the decoded signature.
    id: KeyId,
    /// The signature proper, after the key id (64 bytes for Ed25519; other
    /// lengths are kept for signature types we do not verify).
    signature: Vec<u8>,
}

impl NoteSignature {
    /// The key name of the line.
    pub fn name(&self) -> &KeyName {
        &self.name
    }

    /// The key id of the line.
    pub fn id(&self) -> KeyId {
        self.id
    }

    /// The signature bytes after the key id.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// The signature line, with its final newline.
    pub fn to_line(&self) -> String {
        let mut bytes = Vec::with_capacity(4 + self.signature.len());
        bytes.extend_from_slice(&self.id.to_be_bytes());
        bytes.extend_from_slice(&self.signature);
        format!(
            "{NOTE_SIGNATURE_PREFIX}{} {}\n",
            self.name,
            STANDARD.encode(bytes)
        )
    }

    /// Parses one signature line (without its newline); `line` numbers
    /// errors.
    fn parse(text: &str, line: usize) -> Result<Self, NoteError> {
        let rest = text
            .strip_prefix(NOTE_SIGNATURE_PREFIX)
            .ok_or(NoteError::SignaturePrefix { line })?;
        let (name, encoded) = rest
            .split_once(' ')
            .ok_or(NoteError::SignatureFormat { line })?;
        let name =
            KeyName::new(name).map_err(|source| NoteError::SignatureName { line, source })?;
        let bytes = decode_canonical(encoded).map_err(|_| NoteError::SignatureBase64 { line })?;
        // signed-note: "the base64 encoding of 4+n bytes", n at least one.
        let Some((id, signature)) = bytes
            .split_first_chunk::<4>()
            .filter(|(_, s)| !s.is_empty())
        else {
            return Err(NoteError::SignatureTooShort { line });
        };
        Ok(Self {
            name,
            id: KeyId::from_be_bytes(*id),
            signature: signature.to_vec(),
        })
    }
}

impl fmt::Debug for NoteSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NoteSignature({} {})", self.name, self.id)
    }
}

/// A parsed signed note. Its text is not yet authenticated: C2SP
/// signed-note says it MUST be ignored until [`Note::verify`] has returned
/// a [`Verified`] note (checks that only decide how to refuse, such as
/// SPEC section 4's `wrong-origin` before `bad-signature`, may read it).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Note {
    /// The text, ending in a newline, without the blank separator line.
    text: String,
    /// Every signature line, in order, known or not.
    signatures: Vec<NoteSignature>,
}

impl Note {
    /// Parses a signed note within `limits`, without verifying anything.
    pub fn parse(bytes: &[u8], limits: Limits) -> Result<Self, NoteError> {
        if bytes.len() > limits.max_bytes {
            return Err(NoteError::TooLarge {
                len: bytes.len(),
                max: limits.max_bytes,
            });
        }
        let all = std::str::from_utf8(bytes).map_err(|e| NoteError::NotUtf8(e.valid_up_to()))?;
        check_characters(all)?;
        if !all.ends_with('\n') {
            return Err(NoteError::MissingFinalNewline);
        }
        // signed-note, "Format": the text is separated from the signatures
        // by the *last* empty line; the text keeps its final newline.
        let split = all.rfind("\n\n").ok_or(NoteError::MissingSignatures)?;
        let (text, block) = (&all[..=split], &all[split + 2..]);
        if block.is_empty() {
            return Err(NoteError::MissingSignatures);
        }
        let first_line = text.matches('\n').count() + 2;
        let mut signatures: Vec<NoteSignature> = Vec::new();
        // `block` ends with '\n' and holds no empty line, so each piece is
        // one whole signature line.
        for (i, line) in block.split_terminator('\n').enumerate() {
            if i == limits.max_signatures {
                return Err(NoteError::TooManySignatures {
                    max: limits.max_signatures,
                });
            }
            let signature = NoteSignature::parse(line, first_line + i)?;
            // A repeated name and id is refused rather than ignored: it can
            // only come from a confused or hostile signer, and it would make
            // "which keys signed" ambiguous for cosignature policies.
            if signatures
                .iter()
                .any(|s| s.name == signature.name && s.id == signature.id)
            {
                return Err(NoteError::DuplicateSignature {
                    name: signature.name,
                    id: signature.id,
                });
            }
            signatures.push(signature);
        }
        Ok(Self {
            text: text.to_owned(),
            signatures,
        })
    }

    /// Parses and verifies a signed note: [`Note::parse`] then
    /// [`Note::verify`].
    pub fn open(
        bytes: &[u8],
        limits: Limits,
        verifiers: &[VerifierKey],
    ) -> Result<Verified<Self>, NoteError> {
        Self::parse(bytes, limits)?.verify(verifiers)
    }

    /// Verifies the note against the configured `verifiers` (C2SP
    /// signed-note, "Signatures"): a signature whose name and id match no
    /// verifier is ignored; one that matches is verified strictly, and if it
    /// fails the whole note is refused; at least one must verify.
    pub fn verify(self, verifiers: &[VerifierKey]) -> Result<Verified<Self>, NoteError> {
        let verified_by = self.verifying_keys(verifiers)?;
        Ok(Verified {
            value: self,
            verified_by,
        })
    }

    /// [`Note::verify`] by reference: if the note verifies, `value` with
    /// the proof. Crate-only, like [`Verified::try_map`]: `value` must be
    /// what this note says (a vote parsed from it), not an arbitrary value.
    pub(crate) fn vouch_for<T>(
        &self,
        verifiers: &[VerifierKey],
        value: T,
    ) -> Result<Verified<T>, NoteError> {
        let verified_by = self.verifying_keys(verifiers)?;
        Ok(Verified { value, verified_by })
    }

    /// The keys of `verifiers` whose signatures on this note verify, as
    /// [`Note::verify`] says.
    fn verifying_keys(&self, verifiers: &[VerifierKey]) -> Result<Vec<VerifierKey>, NoteError> {
        let mut verified_by = Vec::new();
        for signature in &self.signatures {
            let mut matching = verifiers
                .iter()
                .filter(|k| *k.name() == signature.name && k.id() == signature.id);
            let Some(key) = matching.next() else {
                continue;
            };
            if matching.any(|other| other != key) {
                return Err(NoteError::AmbiguousVerifiers {
                    name: signature.name.clone(),
                    id: signature.id,
                });
            }
            if !key.verify(self.text.as_bytes(), &signature.signature) {
                return Err(NoteError::BadSignature {
                    name: signature.name.clone(),
                    id: signature.id,
                });
            }
            verified_by.push(key.clone());
        }
        if verified_by.is_empty() {
            return Err(NoteError::NoKnownSignature);
        }
        Ok(verified_by)
    }

    /// Signs `text` with each of `signers`, in order, and returns the signed
    /// note. The text must be a valid note text: UTF-8 ending in a newline,
    /// without `\r` or other control characters (SPEC section 4).
    pub fn sign(text: &str, signers: &[&SigningKey]) -> Result<String, NoteError> {
        check_text(text)?;
        if signers.is_empty() {
            return Err(NoteError::NoSigners);
        }
        if signers.len() > NOTE_MAX_SIGNATURES {
            return Err(NoteError::TooManySignatures {
                max: NOTE_MAX_SIGNATURES,
            });
        }
        let mut note = Self {
            text: text.to_owned(),
            signatures: Vec::with_capacity(signers.len()),
        };
        for key in signers {
            if note
                .signatures
                .iter()
                .any(|s| s.name == *key.name() && s.id == key.id())
            {
                return Err(NoteError::DuplicateSignature {
                    name: key.name().clone(),
                    id: key.id(),
                });
            }
            note.signatures.push(NoteSignature {
                name: key.name().clone(),
                id: key.id(),
                signature: key.sign(text.as_bytes()).to_vec(),
            });
        }
        Ok(note.to_text())
    }

    /// The note's text, ending in a newline. Unauthenticated unless this
    /// note came out of a [`Verified`].
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Every signature line, in order, including those of unknown keys.
    pub fn signatures(&self) -> &[NoteSignature] {
        &self.signatures
    }

    /// The signed note: the text, a blank line, the signature lines. For a
    /// parsed note this is exactly the parsed bytes.
    pub fn to_text(&self) -> String {
        let mut out = String::with_capacity(self.text.len() + 1 + 128 * self.signatures.len());
        out.push_str(&self.text);
        out.push('\n');
        for signature in &self.signatures {
            out.push_str(&signature.to_line());
        }
        out
    }
}

/// A value whose signature has been verified, with the keys that verified
/// it (STYLE.md, practice 2: the next step takes a `Verified<T>`, so
/// nothing unverified can reach it).
///
/// Only this crate's verification functions construct one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified<T> {
    /// The verified value.
    value: T,
    /// The configured keys whose signatures verified, in signature order;
    /// never empty.
    verified_by: Vec<VerifierKey>,
}

impl<T> Verified<T> {
    /// The verified value.
    pub fn get(&self) -> &T {
        &self.value
    }

    /// The keys whose signatures verified (never empty).
    pub fn verified_by(&self) -> &[VerifierKey] {
        &self.verified_by
    }

    /// Gives the value up, and with it the proof of verification.
    pub fn into_inner(self) -> T {
        self.value
    }

    /// Carries the proof over to a value derived from the verified one (for
    /// example a checkpoint parsed from a verified note's text). Crate-only:
    /// outside code must not turn a verified note into an arbitrary
    /// verified value.
    pub(crate) fn try_map<U, E>(self, f: impl FnOnce(T) -> Result<U, E>) -> Result<Verified<U>, E> {
        Ok(Verified {
            value: f(self.value)?,
            verified_by: self.verified_by,
        })
    }
}

impl<T> Deref for Verified<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

/// Refuses `\r` and every other control character except `\n` (SPEC
/// section 4; signed-note, "Format", refuses C0 controls, and SPEC's "no
/// other control characters" also covers DEL and the C1 range).
fn check_characters(text: &str) -> Result<(), NoteError> {
    match forbidden_character(text) {
        None => Ok(()),
        Some((offset, '\r')) => Err(NoteError::CarriageReturn(offset)),
        Some((offset, c)) => Err(NoteError::ControlCharacter {
            offset,
            code: u32::from(c),
        }),
    }
}

/// The first character text may not hold, with its byte offset: `\r`, or
/// any other control character than `\n` (SPEC section 4, "Notes are
/// text"). Notes and vote attachments share this rule.
pub(crate) fn forbidden_character(text: &str) -> Option<(usize, char)> {
    text.char_indices()
        .find(|&(_, c)| c != '\n' && c.is_control())
}

/// Checks a note text before signing it: non-empty, valid characters,
/// ending in a newline.
pub(crate) fn check_text(text: &str) -> Result<(), NoteError> {
    if text.is_empty() {
        return Err(NoteError::EmptyText);
    }
    check_characters(text)?;
    if !text.ends_with('\n') {
        return Err(NoteError::MissingFinalNewline);
    }
    Ok(())
}

#[cfg(test)]
mod tests;
