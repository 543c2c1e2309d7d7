//! Helpers shared by the integration tests.

#![allow(dead_code)]

pub mod backups;
pub mod ballotlog;
pub mod bundles;
pub mod certs;
pub mod http;
pub mod logview;
pub mod pg;
pub mod server;
pub mod witness;
pub mod world;

use std::path::PathBuf;

/// The path of `../shared/<sub>` beside the repository, or `None` with a
/// printed note when the shared folder is absent (a bare checkout must still
/// pass its tests; the self-contained tests cover the same ground).
pub fn shared(sub: &str) -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("shared")
        .join(sub);
    if path.exists() {
        Some(path)
    } else {
        eprintln!(
            "note: skipping: {} is absent (../shared is not beside this checkout)",
            path.display()
        );
        None
    }
}
