//! Signed vote notes (`SubmittedVote::parse`): the properties of
//! `scrutineer::fuzzing::vote_parse`, which `tests/fuzz_regressions.rs`
//! also replays over the seeds and every past finding.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| scrutineer::fuzzing::vote_parse(data));
