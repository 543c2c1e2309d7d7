//! C2SP signed notes with Ed25519 signatures: key names, key ids, verifier
//! and private key encodings, signing and strict verification.

pub mod key;
pub mod signed;

pub use key::{KeyError, KeyId, KeyName, SigningKey, VerifierKey};
pub use signed::{Limits, Note, NoteError, NoteSignature, Verified};
