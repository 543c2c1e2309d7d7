//! Bundle archives (`audit::tar::read_tar`): the properties of
//! `scrutineer::fuzzing::tar_read`, which `tests/fuzz_regressions.rs`
//! also replays over the seeds and every past finding.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| scrutineer::fuzzing::tar_read(data));
