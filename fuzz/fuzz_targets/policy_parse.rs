//! C2SP tlog-policy files (`Policy::parse`): the properties of
//! `scrutineer::fuzzing::policy_parse`, which `tests/fuzz_regressions.rs`
//! also replays over the seeds and every past finding.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| scrutineer::fuzzing::policy_parse(data));
