//! The audit bundle of a ballot and its independent verifier (SPEC
//! section 7): everything needed to re-check a ballot with no trust in the
//! server, only in the log key.
//!
//! # Layout
//!
//! - [`bundle`]: the bundle's directory layout (`docs/formats.md` section
//!   9), its writer, and what an exporter must fetch; [`pack`]: the file
//!   its documents are packed in.
//! - [`verify`]: the check, step by step, with an error per failure
//!   (`error`);
//!   `documents`: the bundle's documents, read, named and verified on
//!   other threads while the check runs.
//! - [`report`]: what a successful check found, readable and as JSON;
//!   `ballot_report`: a tallied ballot's report and its warnings, built
//!   from the replay.
//!
//! Architecture invariant: this module uses `std::fs` and nothing of the
//! server; `scrutineer verify` builds with `--no-default-features`.

mod ballot_report;
pub mod bundle;
mod documents;
mod error;
pub mod pack;
pub mod receipt;
pub mod report;
pub mod tar;
pub mod verify;
pub mod witnessed;

pub use bundle::{
    Bundle, BundleError, Manifest, Wanted, attachment_of, ballot_entries, in_replay_order,
    wanted_documents,
};
pub use report::AuditReport;
pub use verify::{
    AuditError, Witnesses, read_manifest, verify_bundle, verify_bundle_with_receipts,
    verify_bundle_with_witnesses,
};
