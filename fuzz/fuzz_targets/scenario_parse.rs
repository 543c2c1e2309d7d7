//! Simulation scenarios (`Scenario::parse`, run and report): the properties of
//! `scrutineer::fuzzing::scenario_parse`, which `tests/fuzz_regressions.rs`
//! also replays over the seeds and every past finding.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| scrutineer::fuzzing::scenario_parse(data));
