//! Ballot entries (the ballot records' `from_entry`s) and the ballot fold: the properties of
//! `scrutineer::fuzzing::ballot_entry`, which `tests/fuzz_regressions.rs`
//! also replays over the seeds and every past finding.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| scrutineer::fuzzing::ballot_entry(data));
