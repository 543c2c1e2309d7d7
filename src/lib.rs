//! Scrutineer: a secure electronic voting server for standards bodies, with
//! ballots that anyone entitled to can audit.
//!
//! # Layout
//!
//! The crate is a pure core wrapped in an effectful shell (see
//! `docs/ARCHITECTURE.md`). Read it in this order:
//!
//! - [`contexts`]: every domain-separation constant, with its source.
//! - [`tlog`]: the RFC 6962 Merkle tree, inclusion and consistency proofs,
//!   the C2SP tlog-tiles layout, checkpoints and receipts (`tlog-proof`).
//! - [`note`]: C2SP signed notes with Ed25519 keys, strictly verified.
//! - [`id`] and [`time`]: the identifiers and UTC instants every rule and
//!   every log entry is written in.
//! - [`rules`]: the voting rules of both profiles (`etsi-isg`, `itu-t-tap`)
//!   as pure functions over data: the explained roll, notice and window
//!   checks, vote admission, supersession and the tally.
//! - [`entry`]: the log entry envelope (typed header lines and a body).
//! - [`registry`]: a group's registry as a pure, strict fold over its log entries.
//! - [`ballot`]: a group's ballots (announcement, roll, votes, close, tally)
//!   as a pure fold beside the registry's, and the decisions the server
//!   takes before sequencing a ballot entry.
//! - [`simulate`]: the JSON scenario format of `scrutineer simulate`.
//! - [`staticlog`]: a log published as static files in the tlog-tiles
//!   layout, built, proved and verified from a directory (the archival
//!   format of a ballot's log).
//! - [`audit`]: a ballot's audit bundle (the static log, its checkpoints
//!   and documents) and the independent verifier behind `scrutineer
//!   verify`.
//!
//! Behind the `fuzzing` feature, [`fuzzing`] holds the properties the fuzz
//! targets check (`fuzz/`), which `tests/fuzz_regressions.rs` replays; it
//! is not part of the library a user of the crate builds.
//!
//! None of these modules imports tokio, axum or sqlx; the verifier and the
//! log tooling build with `--no-default-features`.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

/// Implements equality (always equal) and, with a name, a debug output
/// (the name only) for a memo kept inside a value: derived data that is not
/// part of the value, so two values that differ only in what they have
/// memoised are equal and print alike.
macro_rules! memo_is_not_value {
    ($memo:ty) => {
        impl PartialEq for $memo {
            fn eq(&self, _: &Self) -> bool {
                true
            }
        }

        impl Eq for $memo {}
    };
    ($memo:ty, $name:literal) => {
        memo_is_not_value!($memo);

        impl std::fmt::Debug for $memo {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str($name)
            }
        }
    };
}

pub mod audit;
pub mod ballot;
pub mod contexts;
pub mod entry;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod id;
pub mod note;
pub mod registry;
pub mod rules;
#[cfg(feature = "server")]
pub mod server;
pub mod simulate;
pub mod staticlog;
#[cfg(feature = "server")]
pub mod store;
pub mod time;
pub mod tlog;
pub mod vote;
