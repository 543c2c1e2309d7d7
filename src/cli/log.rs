//! (being written)

use std::process::ExitCode;

/// `scrutineer log` subcommands (being written).
#[derive(clap::Subcommand)]
pub enum Command {}

/// Runs the command.
pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {}
}
