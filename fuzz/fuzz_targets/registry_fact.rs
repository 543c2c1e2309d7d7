//! Registry entries (`Fact::from_entry`) and the registry fold: the properties of
//! `scrutineer::fuzzing::registry_fact`, which `tests/fuzz_regressions.rs`
//! also replays over the seeds and every past finding.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| scrutineer::fuzzing::registry_fact(data));
