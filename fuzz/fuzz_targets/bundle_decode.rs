//! Entry bundles (`decode_bundle`) and entries files (`staticlog::parse_entries`): the properties of
//! `scrutineer::fuzzing::bundle_decode`, which `tests/fuzz_regressions.rs`
//! also replays over the seeds and every past finding.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| scrutineer::fuzzing::bundle_decode(data));
