//! Signed-note parsing: never panics, and whatever parses re-encodes to the
//! exact input bytes (the parser is strict). Verification against a fixed
//! key must not panic either.

#![no_main]

use libfuzzer_sys::fuzz_target;
use scrutineer::note::{KeyName, Limits, Note, SigningKey};

fuzz_target!(|data: &[u8]| {
    let Ok(note) = Note::parse(data, Limits::CHECKPOINT) else {
        return;
    };
    assert_eq!(
        note.to_text().as_bytes(),
        data,
        "a parsed note re-encodes exactly"
    );
    let key = SigningKey::from_seed(KeyName::new("fuzz.example").expect("valid"), &[1; 32]);
    let _ = note.verify(&[key.verifier_key()]);
});
