//! SHA-256 hashes and the two RFC 6962 hash functions of the Merkle tree.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ring::digest;

use crate::contexts::{LEAF_PREFIX, NODE_PREFIX};

/// A SHA-256 digest: a leaf hash, a node hash or a tree root.
///
/// It is a newtype, not a `[u8; 32]`, so that a hash cannot be confused with a
/// key, a seed or a signature of the same length.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hash([u8; 32]);

/// The reason a byte string or text is not a hash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashError {
    /// The input was not 32 bytes long.
    #[error("a SHA-256 hash is 32 bytes, got {0}")]
    Length(usize),
    /// The input was not standard padded base64.
    #[error("a hash must be standard padded base64 of 32 bytes")]
    Base64,
    /// The input was not 64 lowercase hexadecimal digits.
    #[error("a hash must be 64 lowercase hexadecimal digits")]
    Hex,
}

impl Hash {
    /// The number of bytes in a hash.
    pub const LEN: usize = 32;

    /// Wraps 32 bytes that are already a SHA-256 digest.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Parses a 32-byte slice.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, HashError> {
        let array: [u8; 32] = bytes
            .try_into()
            .map_err(|_| HashError::Length(bytes.len()))?;
        Ok(Self(array))
    }

    /// The raw digest bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// SHA-256 of arbitrary bytes (no domain prefix: callers that hash tree
    /// material use [`leaf_hash`] or [`node_hash`]).
    pub fn sha256(data: &[u8]) -> Self {
        Self::sha256_parts(&[data])
    }

    /// SHA-256 of the concatenation of several byte strings.
    pub fn sha256_parts(parts: &[&[u8]]) -> Self {
        let mut ctx = digest::Context::new(&digest::SHA256);
        for part in parts {
            ctx.update(part);
        }
        let out = ctx.finish();
        Self::from_slice(out.as_ref()).expect("SHA-256 output is always 32 bytes")
    }

    /// Standard padded base64, as used in checkpoints and proofs.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    /// Parses standard padded base64 of exactly 32 bytes, refusing any
    /// non-canonical encoding (the text must re-encode to itself).
    pub fn from_base64(text: &str) -> Result<Self, HashError> {
        let bytes = STANDARD.decode(text).map_err(|_| HashError::Base64)?;
        let hash = Self::from_slice(&bytes)?;
        if hash.to_base64() != text {
            return Err(HashError::Base64);
        }
        Ok(hash)
    }

    /// 64 lowercase hexadecimal digits, as in `sha256:<hex>` references.
    pub fn to_hex(&self) -> String {
        let mut out = String::with_capacity(64);
        for byte in self.0 {
            out.push(char::from(b"0123456789abcdef"[usize::from(byte >> 4)]));
            out.push(char::from(b"0123456789abcdef"[usize::from(byte & 0x0f)]));
        }
        out
    }

    /// Parses exactly 64 lowercase hexadecimal digits.
    pub fn from_hex(text: &str) -> Result<Self, HashError> {
        let bytes = text.as_bytes();
        if bytes.len() != 64 {
            return Err(HashError::Hex);
        }
        let digit = |c: u8| match c {
            b'0'..=b'9' => Ok(c - b'0'),
            b'a'..=b'f' => Ok(c - b'a' + 10),
            _ => Err(HashError::Hex),
        };
        let mut out = [0u8; 32];
        for (i, pair) in bytes.chunks_exact(2).enumerate() {
            out[i] = (digit(pair[0])? << 4) | digit(pair[1])?;
        }
        Ok(Self(out))
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_base64())
    }
}

/// RFC 6962 section 2.1: the hash of an empty tree, SHA-256 of no bytes.
pub fn empty_root() -> Hash {
    Hash::sha256(b"")
}

/// RFC 6962 section 2.1: the leaf hash of an entry, SHA-256(0x00 ‖ entry).
pub fn leaf_hash(entry: &[u8]) -> Hash {
    Hash::sha256_parts(&[&[LEAF_PREFIX], entry])
}

/// RFC 6962 section 2.1: the hash of an interior node,
/// SHA-256(0x01 ‖ left ‖ right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    Hash::sha256_parts(&[&[NODE_PREFIX], left.as_bytes(), right.as_bytes()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_root_is_sha256_of_nothing() {
        // RFC 6962 section 2.1 / the well-known SHA-256 of the empty string.
        assert_eq!(
            empty_root().to_hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn hex_and_base64_round_trip_and_refuse_noncanonical_text() {
        let h = leaf_hash(b"scrutineer");
        assert_eq!(Hash::from_hex(&h.to_hex()), Ok(h));
        assert_eq!(Hash::from_base64(&h.to_base64()), Ok(h));
        assert_eq!(
            Hash::from_hex(&h.to_hex().to_uppercase()),
            Err(HashError::Hex)
        );
        assert!(Hash::from_base64(h.to_base64().trim_end_matches('=')).is_err());
        assert_eq!(Hash::from_slice(&[0u8; 31]), Err(HashError::Length(31)));
    }

    #[test]
    fn leaf_and_node_hashes_are_domain_separated() {
        let a = leaf_hash(b"");
        let b = leaf_hash(b"x");
        let mut concatenated = Vec::from(*a.as_bytes());
        concatenated.extend_from_slice(b.as_bytes());
        // The same 64 bytes hashed as a leaf and as a node differ.
        assert_ne!(leaf_hash(&concatenated), node_hash(&a, &b));
    }
}
