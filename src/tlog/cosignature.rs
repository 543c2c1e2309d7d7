//! C2SP tlog-cosignature, Ed25519 `cosignature/v1`: a witness's timestamped
//! statement that a checkpoint is the largest consistent tree it has seen
//! of that log.
//!
//! A cosignature is a note signature line whose bytes after the key id are
//! a `timestamped_signature`: the 8-byte big-endian POSIX timestamp, then a
//! 64-byte Ed25519 signature over `cosignature/v1\ntime <timestamp>\n`
//! followed by the checkpoint's note text. The key id is computed with
//! signature type 0x04, so a witness's key never produces a line a plain
//! note verifier would accept, nor the reverse.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::contexts::{COSIGNATURE_HEADER, COSIGNATURE_SIGNATURE_TYPE, NOTE_SIGNATURE_PREFIX};
use crate::note::key::decode_canonical;
use crate::note::{KeyError, KeyId, KeyName, NoteSignature, SigningKey, VerifierKey};

/// The largest timestamp a cosignature may carry (2^63 - 1, tlog-cosignature
/// "Format").
pub const MAX_TIMESTAMP: u64 = i64::MAX as u64;

/// The length of a `timestamped_signature` with an Ed25519 signature.
const TIMESTAMPED_LEN: usize = 8 + 64;

/// Why a cosignature is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CosignatureError {
    /// The bytes after the key id are not 8 + 64 long.
    #[error("a cosignature is 72 bytes after the key id (timestamp and signature), not {0}")]
    Length(usize),
    /// The timestamp exceeds 2^63 - 1.
    #[error("the cosignature timestamp {0} exceeds 2^63 - 1")]
    TimestampRange(u64),
    /// The Ed25519 signature does not verify (strictly).
    #[error("the cosignature does not verify")]
    Signature,
}

/// The message an Ed25519 cosigner signs: `cosignature/v1`, `time <t>` and
/// the whole note text (with its final newline, without signature lines).
pub fn signed_message(text: &str, timestamp: u64) -> String {
    format!("{COSIGNATURE_HEADER}\ntime {timestamp}\n{text}")
}

/// An Ed25519 cosigner's public key (vkey signature type 0x04).
#[derive(Clone, PartialEq, Eq)]
pub struct WitnessKey {
    /// The key name, which signature lines carry.
    name: KeyName,
    /// `SHA-256(name || "\n" || 0x04 || key)[:4]`.
    id: KeyId,
    /// The same public key, validated (canonical, not weak) and used for
    /// strict verification; its own id (of type 0x01) is never used.
    key: VerifierKey,
}

impl WitnessKey {
    /// The cosigner key of a name and an Ed25519 public key (refused if the
    /// point is not canonical or is weak).
    pub fn new(name: KeyName, public: &[u8; 32]) -> Result<Self, KeyError> {
        let key = VerifierKey::new(name.clone(), public)?;
        let id = KeyId::compute(&name, COSIGNATURE_SIGNATURE_TYPE, public);
        Ok(Self { name, id, key })
    }

    /// Parses `<name>+<hex id>+<base64(0x04 || key)>` (signed-note,
    /// "Verifier keys"), checking the id. Another type byte is refused as
    /// [`KeyError::SignatureType`] with the byte given.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let mut parts = text.splitn(3, '+');
        let (Some(name), Some(id), Some(material)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(KeyError::Format);
        };
        let name = KeyName::new(name)?;
        let lower_hex = |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
        let stated = Some(id)
            .filter(|id| id.len() == 8 && id.bytes().all(lower_hex))
            .and_then(|id| u32::from_str_radix(id, 16).ok())
            .ok_or_else(|| KeyError::KeyIdFormat(id.to_owned()))?;
        let stated = KeyId::from_be_bytes(stated.to_be_bytes());
        let bytes = decode_canonical(material)?;
        // The type byte first, so an ML-DSA-44 key is reported as such.
        match bytes.first() {
            Some(&COSIGNATURE_SIGNATURE_TYPE) => {}
            Some(&other) => return Err(KeyError::SignatureType(other)),
            None => return Err(KeyError::Length { found: 0 }),
        }
        let public: [u8; 32] = bytes[1..]
            .try_into()
            .map_err(|_| KeyError::Length { found: bytes.len() })?;
        let key = Self::new(name, &public)?;
        if key.id != stated {
            return Err(KeyError::IdMismatch {
                stated,
                computed: key.id,
            });
        }
        Ok(key)
    }

    /// The key name.
    pub fn name(&self) -> &KeyName {
        &self.name
    }

    /// The key id (computed with signature type 0x04).
    pub fn id(&self) -> KeyId {
        self.id
    }

    /// The 32 bytes of the Ed25519 public key.
    pub fn public_key(&self) -> &[u8; 32] {
        self.key.public_key()
    }

    /// The vkey text, `<name>+<hex id>+<base64(0x04 || key)>`.
    pub fn encode(&self) -> String {
        let mut material = [COSIGNATURE_SIGNATURE_TYPE; 33];
        material[1..].copy_from_slice(self.public_key());
        format!("{}+{}+{}", self.name, self.id, STANDARD.encode(material))
    }

    /// The signature line of this key among `signatures` (same key name and
    /// id), if any. A well-formed note has at most one.
    pub fn find<'a>(&self, signatures: &'a [NoteSignature]) -> Option<&'a NoteSignature> {
        signatures
            .iter()
            .find(|s| *s.name() == self.name && s.id() == self.id)
    }

    /// Verifies a `timestamped_signature` (the bytes of a signature line
    /// after the key id) over the note `text`, strictly, and returns its
    /// timestamp.
    pub fn verify(&self, text: &str, signature: &[u8]) -> Result<u64, CosignatureError> {
        let (timestamp, signature) = signature
            .split_first_chunk::<8>()
            .filter(|_| signature.len() == TIMESTAMPED_LEN)
            .ok_or(CosignatureError::Length(signature.len()))?;
        let timestamp = u64::from_be_bytes(*timestamp);
        if timestamp > MAX_TIMESTAMP {
            return Err(CosignatureError::TimestampRange(timestamp));
        }
        let message = signed_message(text, timestamp);
        if self.key.verify(message.as_bytes(), signature) {
            Ok(timestamp)
        } else {
            Err(CosignatureError::Signature)
        }
    }
}

impl FromStr for WitnessKey {
    type Err = KeyError;

    fn from_str(text: &str) -> Result<Self, KeyError> {
        Self::parse(text)
    }
}

impl fmt::Display for WitnessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encode())
    }
}

impl fmt::Debug for WitnessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WitnessKey({})", self.encode())
    }
}

/// A witness's signing side: an Ed25519 secret key under the witness's
/// name, cosigning with key ids of type 0x04.
///
/// The secret is kept in the usual private key encoding (type 0x01, as
/// `scrutineer keygen` writes it); only the key id of what it signs differs,
/// so one file format serves log keys and witness keys. tlog-cosignature
/// requires distinct keys for distinct cosigners: never give a witness the
/// key of a log.
pub struct Cosigner {
    /// The secret key; its name is the witness's name.
    key: SigningKey,
    /// The public side, with the type 0x04 key id.
    public: WitnessKey,
}

impl Cosigner {
    /// The cosigner of a signing key, under the key's name.
    pub fn new(key: SigningKey) -> Self {
        let verifier = key.verifier_key();
        let public = WitnessKey::new(key.name().clone(), verifier.public_key())
            .expect("invariant: a key derived from a seed is canonical and not weak");
        Self { key, public }
    }

    /// The witness key others put in their policies.
    pub fn witness_key(&self) -> &WitnessKey {
        &self.public
    }

    /// Cosigns a checkpoint's note `text` at `timestamp` (POSIX seconds).
    pub fn cosign(&self, text: &str, timestamp: u64) -> Result<Cosignature, CosignatureError> {
        if timestamp > MAX_TIMESTAMP {
            return Err(CosignatureError::TimestampRange(timestamp));
        }
        let signature = self.key.sign(signed_message(text, timestamp).as_bytes());
        Ok(Cosignature {
            name: self.public.name.clone(),
            id: self.public.id,
            timestamp,
            signature,
        })
    }
}

impl fmt::Debug for Cosigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cosigner({})", self.public.encode())
    }
}

/// One Ed25519 cosignature, as a witness returns it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cosignature {
    name: KeyName,
    id: KeyId,
    timestamp: u64,
    signature: [u8; 64],
}

impl Cosignature {
    /// The time the witness states it cosigned at (POSIX seconds).
    pub fn timestamp(&self) -> u64 {
        self.timestamp
    }

    /// The note signature line, `— <name> base64(id || timestamp || sig)`,
    /// with its final newline.
    pub fn to_line(&self) -> String {
        let mut bytes = Vec::with_capacity(4 + TIMESTAMPED_LEN);
        bytes.extend_from_slice(&self.id.to_be_bytes());
        bytes.extend_from_slice(&self.timestamp.to_be_bytes());
        bytes.extend_from_slice(&self.signature);
        format!(
            "{NOTE_SIGNATURE_PREFIX}{} {}\n",
            self.name,
            STANDARD.encode(bytes)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::note::{Limits, Note};

    const TEXT: &str = "example.com/log\n5\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n";

    fn cosigner(seed: u8) -> Cosigner {
        let name = KeyName::new("witness.example/w1").unwrap();
        Cosigner::new(SigningKey::from_seed(name, &[seed; 32]))
    }

    fn line_bytes(line: &str) -> Vec<u8> {
        let note = Note::parse(format!("{TEXT}\n{line}").as_bytes(), Limits::CHECKPOINT).unwrap();
        let signature = &note.signatures()[0];
        signature.signature().to_vec()
    }

    #[test]
    fn a_cosignature_round_trips_and_binds_text_time_and_key() {
        let w = cosigner(1);
        let line = w.cosign(TEXT, 1_700_000_000).unwrap().to_line();
        let key = WitnessKey::parse(&w.witness_key().encode()).unwrap();
        assert_eq!(key, *w.witness_key());
        let bytes = line_bytes(&line);
        assert_eq!(key.verify(TEXT, &bytes), Ok(1_700_000_000));
        // Another text, another timestamp, another key: refused.
        let other = TEXT.replace('5', "6");
        assert_eq!(key.verify(&other, &bytes), Err(CosignatureError::Signature));
        let mut later = bytes.clone();
        later[7] ^= 1;
        assert_eq!(key.verify(TEXT, &later), Err(CosignatureError::Signature));
        let stranger = cosigner(2).witness_key().clone();
        assert_eq!(
            stranger.verify(TEXT, &bytes),
            Err(CosignatureError::Signature)
        );
        assert_eq!(
            key.verify(TEXT, &bytes[..71]),
            Err(CosignatureError::Length(71))
        );
    }

    #[test]
    fn the_key_id_uses_type_0x04_not_the_note_type() {
        let w = cosigner(3);
        let note_key = SigningKey::from_seed(KeyName::new("witness.example/w1").unwrap(), &[3; 32]);
        assert_ne!(w.witness_key().id(), note_key.id());
        let expected = KeyId::compute(note_key.name(), 0x04, note_key.verifier_key().public_key());
        assert_eq!(w.witness_key().id(), expected);
        // A note vkey (type 0x01) is not a witness key.
        assert_eq!(
            WitnessKey::parse(&note_key.verifier_key().encode()),
            Err(KeyError::SignatureType(0x01))
        );
    }

    #[test]
    fn timestamps_above_2_63_are_refused() {
        let w = cosigner(4);
        assert_eq!(
            w.cosign(TEXT, MAX_TIMESTAMP + 1),
            Err(CosignatureError::TimestampRange(MAX_TIMESTAMP + 1))
        );
        let line = w.cosign(TEXT, MAX_TIMESTAMP).unwrap().to_line();
        let mut bytes = line_bytes(&line);
        bytes[0] = 0x80;
        assert_eq!(
            w.witness_key().verify(TEXT, &bytes),
            Err(CosignatureError::TimestampRange(u64::from_be_bytes(
                bytes[..8].try_into().unwrap()
            )))
        );
    }

    #[test]
    fn the_signed_message_is_the_specifications_example() {
        let text =
            "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
        assert_eq!(
            signed_message(text, 1679315147),
            "cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n\
             CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
        );
    }
}
