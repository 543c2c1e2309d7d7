//! tlog-proof receipt parsing: never panics, a parsed receipt re-encodes to
//! the exact input, and verifying it (with its own extra data as the entry)
//! never panics.

#![no_main]

use libfuzzer_sys::fuzz_target;
use scrutineer::note::{KeyName, SigningKey};
use scrutineer::tlog::receipt::Receipt;

fuzz_target!(|data: &[u8]| {
    let Ok(receipt) = Receipt::parse(data) else {
        return;
    };
    assert_eq!(
        receipt.to_text().as_bytes(),
        data,
        "a parsed receipt re-encodes exactly"
    );
    let key = SigningKey::from_seed(KeyName::new("fuzz.example").expect("valid"), &[1; 32]);
    let _ = receipt.verify(receipt.extra().unwrap_or_default(), &key.verifier_key());
});
