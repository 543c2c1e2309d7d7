//! Subcommands of the `scrutineer` binary. Each file is one command; they
//! parse arguments, call the library, and print.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod announce;
mod appeal;
#[cfg(feature = "server")]
mod backup;
mod certify;
mod export;
mod http;
mod keygen;
#[cfg(feature = "server")]
mod loadtest;
mod log;
mod receipt;
mod remote;
#[cfg(feature = "server")]
mod restore;
#[cfg(feature = "server")]
mod serve;
mod simulate;
mod verify;
mod vote;
#[cfg(feature = "server")]
mod witness;

/// Scrutineer: secure, auditable voting for standards bodies.
#[derive(Parser)]
#[command(name = "scrutineer", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate an Ed25519 signing key for a C2SP signed-note key name.
    Keygen(keygen::Args),
    /// Build, prove and verify a static C2SP tlog-tiles log in a directory.
    #[command(subcommand)]
    Log(log::Command),
    /// Run the voting rules alone over a JSON scenario (SPEC section 5).
    Simulate(simulate::Args),
    /// Announce a ballot as its chair, with a note signed on this machine.
    Announce(announce::Args),
    /// Cast a vote signed on this machine, verify its receipt, keep both.
    Vote(vote::Args),
    /// Check a vote receipt against the log key and the server's log.
    #[command(subcommand)]
    Receipt(receipt::Command),
    /// Certify a tallied ballot as its chair, with a note signed on this
    /// machine that binds the log's tree head, the roll and the tally.
    Certify(certify::Args),
    /// Appeal a chair's decision on a ballot, with a note signed on this
    /// machine.
    Appeal(appeal::AppealArgs),
    /// Decide an appeal as an appeal reviewer, with a note signed on this
    /// machine.
    Decide(appeal::DecideArgs),
    /// Export a ballot's audit bundle (its log, checkpoints and documents)
    /// from the server into a directory.
    Export(export::Args),
    /// Verify a ballot's audit bundle, trusting only the log key: every
    /// signature, tile and document, and the replay of the whole log.
    Verify(verify::Args),
    /// Run the server (on an embedded SQLite database unless told
    /// otherwise).
    #[cfg(feature = "server")]
    Serve(serve::Args),
    /// Copy the server's SQLite database consistently, while it runs.
    #[cfg(feature = "server")]
    Backup(backup::Args),
    /// Put back the entries a restored database lacks, from an audit
    /// bundle exported after them, so that a log refused for being behind
    /// its high-water mark is served again with the same roots.
    #[cfg(feature = "server")]
    RestoreTail(restore::Args),
    /// Load the server (started here, on a simulated clock) with signed
    /// votes, and measure the machine's limits for the same work.
    #[cfg(feature = "server")]
    Loadtest(loadtest::Args),
    /// Run a C2SP tlog-witness: cosign the checkpoints of the configured
    /// logs after checking their consistency with what it cosigned before.
    #[cfg(feature = "server")]
    Witness(witness::Args),
}

/// Runs the command line and maps any error to a message and exit status 1.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Keygen(args) => keygen::run(args),
        Command::Log(command) => log::run(command),
        Command::Simulate(args) => simulate::run(args),
        Command::Announce(args) => announce::run(args),
        Command::Vote(args) => vote::run(args),
        Command::Receipt(command) => receipt::run(command),
        Command::Certify(args) => certify::run(args),
        Command::Appeal(args) => appeal::appeal(args),
        Command::Decide(args) => appeal::decide(args),
        Command::Export(args) => export::run(args),
        Command::Verify(args) => verify::run(args),
        #[cfg(feature = "server")]
        Command::Serve(args) => serve::run(args),
        #[cfg(feature = "server")]
        Command::Backup(args) => backup::run(args),
        #[cfg(feature = "server")]
        Command::RestoreTail(args) => restore::run(args),
        #[cfg(feature = "server")]
        Command::Loadtest(args) => loadtest::run(args),
        #[cfg(feature = "server")]
        Command::Witness(args) => witness::run(args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("scrutineer: {error:#}");
            ExitCode::FAILURE
        }
    }
}
