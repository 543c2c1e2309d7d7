//! The attendance import (`import_attendance`) against a fixed group: the properties of
//! `scrutineer::fuzzing::csv_import`, which `tests/fuzz_regressions.rs`
//! also replays over the seeds and every past finding.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| scrutineer::fuzzing::csv_import(data));
