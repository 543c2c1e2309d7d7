//! Verifier and private key parsing: never panics, and a parsed key
//! re-encodes to the exact input.

#![no_main]

use libfuzzer_sys::fuzz_target;
use scrutineer::note::{SigningKey, VerifierKey};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(key) = VerifierKey::parse(text) {
        assert_eq!(
            key.encode(),
            text,
            "a parsed verifier key re-encodes exactly"
        );
    }
    if let Ok(key) = SigningKey::parse(text) {
        assert_eq!(
            key.encode_private(),
            text,
            "a parsed private key re-encodes exactly"
        );
    }
});
