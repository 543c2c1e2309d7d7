//! Tile paths (`Tile::parse_path`) and tile data (`parse_tile_data`): the properties of
//! `scrutineer::fuzzing::tile_path`, which `tests/fuzz_regressions.rs`
//! also replays over the seeds and every past finding.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| scrutineer::fuzzing::tile_path(data));
