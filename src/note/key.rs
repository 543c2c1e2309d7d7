//! Key names, key ids, and the text encodings of Ed25519 verifier and
//! signing keys (C2SP signed-note, "Verifier keys").
//!
//! Every type here fails closed: a [`KeyName`] cannot hold a name the
//! signature lines could not carry, a [`VerifierKey`] cannot hold a weak
//! (small-order) or non-canonically encoded Ed25519 point, and an id that
//! disagrees with the name and key it claims to identify is refused.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ring::digest::{self, SHA256};

use crate::contexts::{ED25519_SIGNATURE_TYPE, PRIVATE_KEY_PREFIX};

/// The length of an Ed25519 public key and of its seed (RFC 8032 section 5.1.5).
const KEY_LEN: usize = 32;

/// The length of an encoded key: the signature type byte, then the key.
const TYPED_KEY_LEN: usize = 1 + KEY_LEN;

/// The length of an Ed25519 signature (RFC 8032 section 5.1.6).
pub(crate) const SIGNATURE_LEN: usize = 64;

/// The reason a key name, a verifier key or a private key is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The key name was empty (signed-note: names MUST be non-empty).
    #[error("a key name must not be empty")]
    NameEmpty,
    /// The key name contained a Unicode space, which would split a signature
    /// line (signed-note: names MUST NOT contain Unicode spaces).
    #[error("the key name {0:?} contains a space; use a schema-less URL such as example.com/log")]
    NameSpace(String),
    /// The key name contained `+`, the separator of the key encodings
    /// (signed-note: names MUST NOT contain U+002B).
    #[error("the key name {0:?} contains '+', the separator of encoded keys")]
    NamePlus(String),
    /// The key name contained a control character, which no note may carry
    /// (signed-note, "Format").
    #[error("the key name {0:?} contains a control character")]
    NameControl(String),
    /// The encoded key did not have the form `name+hexid+base64`.
    #[error("an encoded key must have the form <name>+<8 hex digits>+<base64>")]
    Format,
    /// The encoded private key did not begin with `PRIVATE+KEY+`.
    #[error("a private key must begin with \"PRIVATE+KEY+\"")]
    NotPrivateKey,
    /// The key id was not exactly 8 lowercase hexadecimal digits.
    #[error("the key id {0:?} is not 8 lowercase hexadecimal digits")]
    KeyIdFormat(String),
    /// The key material was not canonical standard padded base64.
    #[error("the key material is not canonical standard padded base64")]
    Base64,
    /// The key material had the wrong length for an Ed25519 key.
    #[error("the key material is {found} bytes; an Ed25519 key is 1 type byte and 32 key bytes")]
    Length {
        /// The number of decoded bytes.
        found: usize,
    },
    /// The key material's signature type byte was not Ed25519 (0x01), the
    /// only type Scrutineer accepts (SPEC section 4).
    #[error("signature type 0x{0:02x} is not supported; only Ed25519 (0x01) is")]
    SignatureType(u8),
    /// The stated key id is not the one computed from the name and key.
    #[error("the key id {stated} does not match {computed}, the id of this name and key")]
    IdMismatch {
        /// The id written in the encoding.
        stated: KeyId,
        /// The id the name and key actually have.
        computed: KeyId,
    },
    /// The 32 bytes are not a canonical encoding of a point on the curve.
    #[error("the public key is not a canonically encoded Ed25519 point")]
    InvalidPoint,
    /// The public key has small order: it would accept forged signatures, so
    /// SPEC section 4 refuses it at registration.
    #[error("the public key has small order (a weak key) and is refused")]
    WeakKey,
    /// The operating system's random number generator failed.
    #[error("could not draw a random seed: {0}")]
    Entropy(getrandom::Error),
}

/// The name of a key, as written in signature lines and key encodings.
///
/// C2SP signed-note: non-empty, without Unicode spaces or `+`. We also refuse
/// control characters, which no signed note may contain.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyName(String);

impl KeyName {
    /// Checks a key name against signed-note's rules.
    pub fn new(name: impl Into<String>) -> Result<Self, KeyError> {
        let name = name.into();
        if name.is_empty() {
            return Err(KeyError::NameEmpty);
        }
        // `char::is_whitespace` is the Unicode White_Space property, the same
        // set as Go's `unicode.IsSpace` that the reference implementation uses.
        if name.chars().any(char::is_whitespace) {
            return Err(KeyError::NameSpace(name));
        }
        if name.contains('+') {
            return Err(KeyError::NamePlus(name));
        }
        if name.chars().any(char::is_control) {
            return Err(KeyError::NameControl(name));
        }
        Ok(Self(name))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for KeyName {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl fmt::Display for KeyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for KeyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyName({:?})", self.0)
    }
}

/// The 32-bit id that, with the key name, tells which key made a signature
/// (C2SP signed-note, "Signatures").
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(u32);

impl KeyId {
    /// C2SP signed-note, "Signatures":
    /// `key ID = SHA-256(key name || 0x0A || signature type || public key)[:4]`,
    /// read as a big-endian integer.
    pub fn compute(name: &KeyName, signature_type: u8, public_key: &[u8]) -> Self {
        // SHA-256 directly rather than through `tlog::Hash`: signed notes
        // sit below the log, which signs its checkpoints with them.
        let mut context = digest::Context::new(&SHA256);
        let parts: [&[u8]; 4] = [
            name.as_str().as_bytes(),
            b"\n",
            &[signature_type],
            public_key,
        ];
        for part in parts {
            context.update(part);
        }
        let d = context.finish();
        let d = d.as_ref();
        Self(u32::from_be_bytes([d[0], d[1], d[2], d[3]]))
    }

    /// Wraps the four bytes at the start of an encoded signature.
    pub const fn from_be_bytes(bytes: [u8; 4]) -> Self {
        Self(u32::from_be_bytes(bytes))
    }

    /// The four big-endian bytes that begin an encoded signature.
    pub const fn to_be_bytes(self) -> [u8; 4] {
        self.0.to_be_bytes()
    }

    /// Parses exactly 8 lowercase hexadecimal digits (signed-note,
    /// "Conventions": fixed-length lowercase base 16).
    fn from_hex(text: &str) -> Result<Self, KeyError> {
        let canonical = text.len() == 8
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !canonical {
            return Err(KeyError::KeyIdFormat(text.to_owned()));
        }
        u32::from_str_radix(text, 16)
            .map(Self)
            .map_err(|_| KeyError::KeyIdFormat(text.to_owned()))
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:08x}", self.0)
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({:08x})", self.0)
    }
}

/// An Ed25519 public key with its name and id: what a verifier is configured
/// with, encoded as `<name>+<hex id>+<base64(0x01 ‖ key)>`.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifierKey {
    /// The name signature lines must carry.
    name: KeyName,
    /// The id computed from the name and key; signature lines must carry it.
    id: KeyId,
    /// The public key: canonically encoded, not of small order.
    key: ed25519_dalek::VerifyingKey,
}

impl VerifierKey {
    /// Builds a verifier key from a name and the 32 bytes of an Ed25519
    /// public key, refusing non-canonical encodings and weak keys.
    pub fn new(name: KeyName, public_key: &[u8; 32]) -> Result<Self, KeyError> {
        let key = ed25519_dalek::VerifyingKey::from_bytes(public_key)
            .map_err(|_| KeyError::InvalidPoint)?;
        // dalek decodes by ZIP-215 rules, which accept some non-canonical
        // encodings; the key id is computed over the bytes, so one point
        // could otherwise have two ids. Re-encoding must give the input back.
        if ed25519_dalek::VerifyingKey::from(key.to_edwards()).as_bytes() != public_key {
            return Err(KeyError::InvalidPoint);
        }
        // SPEC section 4: keys of small order are refused at registration
        // (a small-order key "verifies" signatures on many messages).
        if key.is_weak() {
            return Err(KeyError::WeakKey);
        }
        let id = KeyId::compute(&name, ED25519_SIGNATURE_TYPE, public_key);
        Ok(Self { name, id, key })
    }

    /// Parses `<name>+<hex id>+<base64(0x01 ‖ key)>` (signed-note,
    /// "Verifier keys"), refusing a wrong id, a type other than Ed25519, a
    /// wrong length, non-canonical base64 and weak keys.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        // Names contain no '+', ids are hex: the first two '+' are the
        // separators, and any later one belongs to the base64.
        let mut parts = text.splitn(3, '+');
        let (Some(name), Some(id), Some(material)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(KeyError::Format);
        };
        let name = KeyName::new(name)?;
        let stated = KeyId::from_hex(id)?;
        let bytes = decode_canonical(material)?;
        let public_key = typed_key(&bytes)?;
        let key = Self::new(name, &public_key)?;
        if key.id != stated {
            return Err(KeyError::IdMismatch {
                stated,
                computed: key.id,
            });
        }
        Ok(key)
    }

    /// The text encoding, `<name>+<hex id>+<base64(0x01 ‖ key)>`.
    pub fn encode(&self) -> String {
        let mut material = [0u8; TYPED_KEY_LEN];
        material[0] = ED25519_SIGNATURE_TYPE;
        material[1..].copy_from_slice(self.key.as_bytes());
        format!("{}+{}+{}", self.name, self.id, STANDARD.encode(material))
    }

    /// The key's name.
    pub fn name(&self) -> &KeyName {
        &self.name
    }

    /// The key's id.
    pub fn id(&self) -> KeyId {
        self.id
    }

    /// The 32 bytes of the Ed25519 public key.
    pub fn public_key(&self) -> &[u8; 32] {
        self.key.as_bytes()
    }

    /// Strict RFC 8032 verification (dalek's `verify_strict`, SPEC section
    /// 4): `true` only if `signature` is 64 bytes and valid for `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        let Ok(bytes) = <&[u8; SIGNATURE_LEN]>::try_from(signature) else {
            return false;
        };
        let signature = ed25519_dalek::Signature::from_bytes(bytes);
        self.key.verify_strict(message, &signature).is_ok()
    }
}

impl FromStr for VerifierKey {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encode())
    }
}

impl fmt::Debug for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerifierKey({})", self.encode())
    }
}

/// An Ed25519 signing key with its name and id, encoded as
/// `PRIVATE+KEY+<name>+<hex id>+<base64(0x01 ‖ seed)>` (the format of Go's
/// `note.GenerateKey`).
///
/// The seed is wiped when the key is dropped (dalek's `ZeroizeOnDrop`), and
/// `Debug` never prints it.
pub struct SigningKey {
    /// The name the signature lines carry.
    name: KeyName,
    /// The id of the name and public key; the signature lines carry it.
    id: KeyId,
    /// The secret key, which also holds its public key.
    key: ed25519_dalek::SigningKey,
}

impl SigningKey {
    /// Builds a signing key from a name and a 32-byte RFC 8032 seed.
    pub fn from_seed(name: KeyName, seed: &[u8; 32]) -> Self {
        let key = ed25519_dalek::SigningKey::from_bytes(seed);
        // A public key derived from a seed is never weak: its clamped scalar
        // is a multiple of 8 in [2^254, 2^255), hence never a multiple of the
        // prime group order, so the point has full order.
        let id = KeyId::compute(
            &name,
            ED25519_SIGNATURE_TYPE,
            key.verifying_key().as_bytes(),
        );
        Self { name, id, key }
    }

    /// Generates a new key from the operating system's random number
    /// generator.
    pub fn generate(name: KeyName) -> Result<Self, KeyError> {
        let mut seed = [0u8; KEY_LEN];
        getrandom::fill(&mut seed).map_err(KeyError::Entropy)?;
        let key = Self::from_seed(name, &seed);
        wipe(&mut seed);
        Ok(key)
    }

    /// Parses `PRIVATE+KEY+<name>+<hex id>+<base64(0x01 ‖ seed)>`, refusing
    /// an id that is not the one of the derived public key.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let rest = text
            .strip_prefix(PRIVATE_KEY_PREFIX)
            .ok_or(KeyError::NotPrivateKey)?;
        let mut parts = rest.splitn(3, '+');
        let (Some(name), Some(id), Some(material)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(KeyError::Format);
        };
        let name = KeyName::new(name)?;
        let stated = KeyId::from_hex(id)?;
        // Decode into a stack buffer rather than a Vec, so that the only copy
        // of the seed outside dalek's key is one we can wipe.
        let mut buffer = [0u8; TYPED_KEY_LEN];
        let decoded = decode_canonical_into(material, &mut buffer);
        let result = decoded.and_then(|len| {
            let mut seed = typed_key(&buffer[..len])?;
            let key = Self::from_seed(name, &seed);
            wipe(&mut seed);
            Ok(key)
        });
        wipe(&mut buffer);
        let key = result?;
        if key.id != stated {
            return Err(KeyError::IdMismatch {
                stated,
                computed: key.id,
            });
        }
        Ok(key)
    }

    /// The same secret key under another name (and hence another key id).
    ///
    /// The server signs every group's checkpoints with one Ed25519 key, and
    /// C2SP tlog-checkpoint names the key by the log's origin, so each log
    /// gets the key under its own origin.
    pub fn renamed(&self, name: KeyName) -> Self {
        Self::from_seed(name, self.key.as_bytes())
    }

    /// The private key encoding. It contains the secret seed: write it only
    /// where the secret belongs, and drop the string soon.
    pub fn encode_private(&self) -> String {
        let mut material = [0u8; TYPED_KEY_LEN];
        material[0] = ED25519_SIGNATURE_TYPE;
        material[1..].copy_from_slice(self.key.as_bytes());
        let text = format!(
            "{PRIVATE_KEY_PREFIX}{}+{}+{}",
            self.name,
            self.id,
            STANDARD.encode(material)
        );
        wipe(&mut material);
        text
    }

    /// The key's name.
    pub fn name(&self) -> &KeyName {
        &self.name
    }

    /// The key's id.
    pub fn id(&self) -> KeyId {
        self.id
    }

    /// The verifier key of this signing key.
    pub fn verifier_key(&self) -> VerifierKey {
        VerifierKey {
            name: self.name.clone(),
            id: self.id,
            key: self.key.verifying_key(),
        }
    }

    /// An RFC 8032 Ed25519 signature of `message` (deterministic).
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        use ed25519_dalek::Signer as _;
        self.key.sign(message).to_bytes()
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("name", &self.name)
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// Decodes standard padded base64 and refuses any text that does not
/// re-encode to itself (signed-note, "Conventions": RFC 4648 section 4).
pub(crate) fn decode_canonical(text: &str) -> Result<Vec<u8>, KeyError> {
    let bytes = STANDARD.decode(text).map_err(|_| KeyError::Base64)?;
    if STANDARD.encode(&bytes) != text {
        return Err(KeyError::Base64);
    }
    Ok(bytes)
}

/// [`decode_canonical`] into a fixed buffer, for secrets. Input that would
/// not fit is reported as a length error.
fn decode_canonical_into(text: &str, out: &mut [u8; TYPED_KEY_LEN]) -> Result<usize, KeyError> {
    // Base64 of 33 bytes is exactly 44 characters; anything else is the
    // wrong length (if it is base64 at all), and is refused before decoding.
    if text.len() != 44 {
        let found = STANDARD.decode(text).map_err(|_| KeyError::Base64)?.len();
        return Err(KeyError::Length { found });
    }
    let len = STANDARD
        .decode_slice(text, out)
        .map_err(|_| KeyError::Base64)?;
    // The standard engine refuses missing padding and non-zero trailing bits,
    // so a 44-character text it accepts is canonical; check it regardless.
    if STANDARD.encode(&out[..len]) != text {
        return Err(KeyError::Base64);
    }
    Ok(len)
}

/// Splits `0x01 ‖ 32 bytes` into the key bytes, refusing other types and
/// lengths.
fn typed_key(bytes: &[u8]) -> Result<[u8; KEY_LEN], KeyError> {
    if bytes.len() != TYPED_KEY_LEN {
        return Err(KeyError::Length { found: bytes.len() });
    }
    if bytes[0] != ED25519_SIGNATURE_TYPE {
        return Err(KeyError::SignatureType(bytes[0]));
    }
    let mut key = [0u8; KEY_LEN];
    key.copy_from_slice(&bytes[1..]);
    Ok(key)
}

/// Best-effort wiping of a temporary copy of secret bytes. Without `unsafe`
/// (forbidden crate-wide) a volatile write is out of reach; `black_box`
/// keeps the compiler from removing the writes as dead stores.
fn wipe(bytes: &mut [u8]) {
    bytes.fill(0);
    std::hint::black_box(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The verifier key of the example in C2SP signed-note, "Verifier keys".
    const C2SP_EXAMPLE_VKEY: &str =
        "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";

    fn name(s: &str) -> KeyName {
        KeyName::new(s).expect("test names are valid")
    }

    #[test]
    fn key_names_follow_signed_note() {
        assert!(KeyName::new("example.com/log42").is_ok());
        assert!(KeyName::new("alice.cadzow").is_ok());
        assert_eq!(KeyName::new(""), Err(KeyError::NameEmpty));
        assert!(matches!(KeyName::new("a b"), Err(KeyError::NameSpace(_))));
        // U+00A0 and U+3000 are Unicode spaces too.
        assert!(matches!(
            KeyName::new("a\u{a0}b"),
            Err(KeyError::NameSpace(_))
        ));
        assert!(matches!(
            KeyName::new("a\u{3000}b"),
            Err(KeyError::NameSpace(_))
        ));
        assert!(matches!(KeyName::new("a\tb"), Err(KeyError::NameSpace(_))));
        assert!(matches!(KeyName::new("a+b"), Err(KeyError::NamePlus(_))));
        assert!(matches!(
            KeyName::new("a\u{7}b"),
            Err(KeyError::NameControl(_))
        ));
        assert!(matches!(
            KeyName::new("a\u{7f}"),
            Err(KeyError::NameControl(_))
        ));
        assert!(matches!(
            KeyName::new("a\u{85}"),
            Err(KeyError::NameSpace(_))
        ));
    }

    #[test]
    fn c2sp_example_verifier_key_parses_and_round_trips() {
        let key = VerifierKey::parse(C2SP_EXAMPLE_VKEY).expect("the C2SP example is valid");
        assert_eq!(key.name().as_str(), "example.com/foo");
        assert_eq!(key.id().to_string(), "530d903a");
        assert_eq!(key.encode(), C2SP_EXAMPLE_VKEY);
        // The id is the formula's, recomputed independently of `parse`.
        assert_eq!(
            KeyId::compute(key.name(), 0x01, key.public_key()).to_be_bytes(),
            [0x53, 0x0d, 0x90, 0x3a]
        );
    }

    #[test]
    fn key_id_is_the_first_four_bytes_of_the_sha256_formula() {
        // Known answer computed by hand from the formula:
        // SHA-256("n" ‖ 0x0a ‖ 0x01 ‖ 32 zero bytes)[:4].
        let mut input = b"n\n\x01".to_vec();
        input.extend_from_slice(&[0u8; 32]);
        let digest = digest::digest(&SHA256, &input);
        let expected = u32::from_be_bytes(digest.as_ref()[..4].try_into().expect("4 bytes"));
        assert_eq!(
            KeyId::compute(&name("n"), 0x01, &[0u8; 32]),
            KeyId(expected)
        );
        // The type byte and the name both enter the id.
        assert_ne!(
            KeyId::compute(&name("n"), 0x01, &[0u8; 32]),
            KeyId::compute(&name("n"), 0x04, &[0u8; 32])
        );
        assert_ne!(
            KeyId::compute(&name("n"), 0x01, &[0u8; 32]),
            KeyId::compute(&name("m"), 0x01, &[0u8; 32])
        );
    }

    #[test]
    fn verifier_key_refusals() {
        let good = VerifierKey::parse(C2SP_EXAMPLE_VKEY).expect("valid");
        let material = &C2SP_EXAMPLE_VKEY["example.com/foo+530d903a+".len()..];
        // Wrong id.
        assert!(matches!(
            VerifierKey::parse(&format!("example.com/foo+530d903b+{material}")),
            Err(KeyError::IdMismatch { .. })
        ));
        // Same key under another name: the id no longer matches.
        assert!(matches!(
            VerifierKey::parse(&format!("example.com/bar+530d903a+{material}")),
            Err(KeyError::IdMismatch { .. })
        ));
        // Upper-case or short ids.
        assert!(matches!(
            VerifierKey::parse(&format!("example.com/foo+530D903A+{material}")),
            Err(KeyError::KeyIdFormat(_))
        ));
        assert!(matches!(
            VerifierKey::parse(&format!("example.com/foo+530d903+{material}")),
            Err(KeyError::KeyIdFormat(_))
        ));
        // Missing parts.
        assert_eq!(VerifierKey::parse("example.com/foo"), Err(KeyError::Format));
        assert_eq!(
            VerifierKey::parse("example.com/foo+530d903a"),
            Err(KeyError::Format)
        );
        // Wrong type byte.
        let mut typed = vec![0x04];
        typed.extend_from_slice(good.public_key());
        assert_eq!(
            VerifierKey::parse(&format!(
                "example.com/foo+530d903a+{}",
                STANDARD.encode(&typed)
            )),
            Err(KeyError::SignatureType(0x04))
        );
        // Wrong length.
        typed[0] = 0x01;
        typed.push(0);
        assert_eq!(
            VerifierKey::parse(&format!(
                "example.com/foo+530d903a+{}",
                STANDARD.encode(&typed)
            )),
            Err(KeyError::Length { found: 34 })
        );
        // Not canonical base64: 33 bytes encode to exactly 44 characters
        // with no padding and no spare bits, so any extra character, a
        // padding character or a line break is refused.
        for bad in [
            format!("{material}="),
            format!("{material}\n"),
            format!("{material}AA=="),
        ] {
            assert!(VerifierKey::parse(&format!("example.com/foo+530d903a+{bad}")).is_err());
        }
        assert_eq!(
            VerifierKey::parse(&format!("example.com/foo+530d903a+{material}=")),
            Err(KeyError::Base64)
        );
    }

    #[test]
    fn weak_and_non_canonical_keys_are_refused() {
        // The identity point (y = 1) has order 1.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(
            VerifierKey::new(name("n"), &identity),
            Err(KeyError::WeakKey)
        );
        // y = 0 (with x = sqrt(-1)) has order 4.
        assert_eq!(
            VerifierKey::new(name("n"), &[0u8; 32]),
            Err(KeyError::WeakKey)
        );
        // y = p + 1 = 2^255 - 18 is a non-canonical encoding of the identity.
        let mut non_canonical = [0xffu8; 32];
        non_canonical[0] = 0xee;
        non_canonical[31] = 0x7f;
        assert_eq!(
            VerifierKey::new(name("n"), &non_canonical),
            Err(KeyError::InvalidPoint)
        );
        // An encoded weak key is refused by `parse` too.
        let mut typed = vec![0x01];
        typed.extend_from_slice(&identity);
        let id = KeyId::compute(&name("n"), 0x01, &identity);
        assert_eq!(
            VerifierKey::parse(&format!("n+{id}+{}", STANDARD.encode(&typed))),
            Err(KeyError::WeakKey)
        );
    }

    #[test]
    fn signing_key_round_trips_and_hides_its_seed() {
        let key = SigningKey::from_seed(name("example.com/log"), &[7u8; 32]);
        let text = key.encode_private();
        assert!(text.starts_with("PRIVATE+KEY+example.com/log+"));
        let again = SigningKey::parse(&text).expect("round trip");
        assert_eq!(again.verifier_key(), key.verifier_key());
        assert_eq!(again.encode_private(), text);
        let debug = format!("{key:?}");
        assert!(!debug.contains(&STANDARD.encode([7u8; 32])[..8]));
        assert!(debug.contains("example.com/log"));
        // The derived verifier key parses back to itself.
        let vkey = key.verifier_key();
        assert_eq!(VerifierKey::parse(&vkey.encode()), Ok(vkey.clone()));
        // Ed25519 signatures verify strictly, and only for their message.
        let sig = key.sign(b"message");
        assert!(vkey.verify(b"message", &sig));
        assert!(!vkey.verify(b"massage", &sig));
        assert!(!vkey.verify(b"message", &sig[..63]));
    }

    #[test]
    fn signing_key_refusals() {
        let key = SigningKey::from_seed(name("n"), &[1u8; 32]);
        let text = key.encode_private();
        let without_prefix = &text[PRIVATE_KEY_PREFIX.len()..];
        assert!(matches!(
            SigningKey::parse(without_prefix),
            Err(KeyError::NotPrivateKey)
        ));
        // Wrong id.
        let (head, material) = text.rsplit_once('+').expect("three separators");
        let (prefix, _) = head.rsplit_once('+').expect("id separator");
        assert!(matches!(
            SigningKey::parse(&format!("{prefix}+00000000+{material}")),
            Err(KeyError::IdMismatch { .. })
        ));
        // Wrong type, wrong length.
        let mut typed = [1u8; 33];
        typed[0] = 0x02;
        assert!(matches!(
            SigningKey::parse(&format!("{head}+{}", STANDARD.encode(typed))),
            Err(KeyError::SignatureType(0x02))
        ));
        assert!(matches!(
            SigningKey::parse(&format!("{head}+{}", STANDARD.encode([1u8; 34]))),
            Err(KeyError::Length { found: 34 })
        ));
        assert!(matches!(
            SigningKey::parse(&format!("{head}+{}", &material[..43])),
            Err(KeyError::Base64)
        ));
    }

    #[test]
    fn generated_keys_differ() {
        let a = SigningKey::generate(name("n")).expect("the OS has entropy");
        let b = SigningKey::generate(name("n")).expect("the OS has entropy");
        assert_ne!(a.verifier_key(), b.verifier_key());
    }
}
