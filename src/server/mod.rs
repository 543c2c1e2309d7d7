//! The server: HTTP API, storage, sequencers and start-up checks around the
//! pure core (feature `server`).
//!
//! - [`launch`]: `scrutineer serve`: storage, the key, every log, the
//!   first account, tracing, signals.
//! - [`app`]: what every handler shares ([`AppState`]).
//! - [`fold`]: a group's state as a fold over its log ([`GroupLogState`]).
//! - [`commands`]: each action on a person's behalf, for every front end.
//! - [`config`]: flags and environment variables.
//! - [`clock`]: the one injectable clock.
//! - [`sequencer`]: each group log's group-commit sequencer and its
//!   in-memory fold.
//! - [`scheduler`]: opens, closes and tallies ballots at their times.
//! - [`mail`]: notices by e-mail: the outbox's dispatcher, the messages,
//!   the relay.
//! - [`startup`]: the check of every stored tree against its signed
//!   checkpoint and its high-water mark.
//! - [`checks`]: those checks run while the server already answers, each
//!   log unserved (503 `log-being-checked`) until its own has ended.
//! - [`high_water`]: the newest checkpoint published per log, in a file
//!   apart from the database, so that a restore cannot fork a log.
//! - [`auth`]: bearer tokens and the authorisation table.
//! - [`access`]: the accounts tables' answers, reused for a second.
//! - [`error`]: RFC 9457 problem details.
//! - [`rate_limit`]: write budgets per person and per client address.
//! - [`api`]: the routes, one file per resource.
//! - [`web`]: the web application at `/`, on the same listener.
//! - [`connections`]: the HTTP/1.1 connection loop, with or without TLS
//!   (also used by the load tool's floor server).
//! - [`tls`]: `--tls-cert`/`--tls-key`, reloaded on SIGHUP.
//! - [`forwarded`]: the client's address behind a `--trusted-proxy`.
//! - [`metrics`]: `/metrics` on `--metrics-listen`, and a request id on
//!   every request.

pub mod access;
pub mod api;
pub mod app;
pub mod auth;
pub mod bundle;
pub mod checks;
pub mod clock;
pub mod commands;
pub mod config;
pub mod connections;
pub mod error;
#[cfg(test)]
mod fault_injection;
pub mod fold;
pub mod forwarded;
pub mod high_water;
pub mod http_client;
pub mod launch;
pub mod mail;
pub mod metrics;
pub mod rate_limit;
pub mod reminders;
pub mod restore;
pub mod scheduler;
pub mod sequencer;
pub mod startup;
pub mod tls;
pub mod web;
pub mod witness;
pub mod witnessing;

pub use app::AppState;
pub use fold::{FoldRefusal, GroupLogState, Log, PublishedGroup};
pub use launch::{default_origin_prefix, open, serve};

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// Storage could not be opened or read.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// A file (data directory, log key) could not be used.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A setting is invalid.
    #[error("invalid setting: {0}")]
    Config(String),
}
