//! Checkpoint parsing, as text and as a signed note: never panics, and a
//! parsed checkpoint text re-encodes to itself.

#![no_main]

use libfuzzer_sys::fuzz_target;
use scrutineer::note::{KeyName, SigningKey};
use scrutineer::tlog::checkpoint::{Checkpoint, open_checkpoint};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(checkpoint) = Checkpoint::parse(text) {
            assert_eq!(
                checkpoint.to_text(),
                text,
                "a parsed checkpoint re-encodes exactly"
            );
        }
    }
    let key = SigningKey::from_seed(KeyName::new("fuzz.example").expect("valid"), &[1; 32]);
    let _ = open_checkpoint(data, &key.verifier_key());
});
