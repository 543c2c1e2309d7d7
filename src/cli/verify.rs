//! `scrutineer verify DIR --log-key VKEY|FILE [--receipt FILE]... [--json]`: the independent
//! check of a ballot's audit bundle (SPEC section 7), trusting only the log
//! key given on the command line. Builds with `--no-default-features`.

use std::path::PathBuf;
use std::process::ExitCode;

use super::log::read_verifier_key;
use anyhow::Context as _;
use scrutineer::audit::verify_bundle_with_receipts;

/// Arguments of `scrutineer verify`.
#[derive(clap::Args)]
pub struct Args {
    /// The audit bundle (from `scrutineer export`).
    dir: PathBuf,
    /// The group log's verifier key (`origin+id+key`), or a file holding
    /// it: the only thing trusted. Never taken from the bundle.
    #[arg(long, value_name = "VKEY|FILE")]
    log_key: String,
    /// The ballot to report on [default: the one `bundle.json` names].
    #[arg(long)]
    ballot: Option<String>,
    /// A vote receipt (from `scrutineer vote`) to check against the
    /// verified log: the vote is in it, and it counted or a later vote
    /// superseded it. Repeat for several.
    #[arg(long = "receipt", value_name = "FILE")]
    receipts: Vec<PathBuf>,
    /// Print the report (or the failure) as JSON on standard output.
    #[arg(long)]
    json: bool,
}

/// Runs `scrutineer verify`. A failure prints what failed and exits 1.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let log_key = read_verifier_key(&args.log_key)?;
    let mut receipts = Vec::new();
    for path in &args.receipts {
        let bytes = std::fs::read(path)
            .with_context(|| format!("cannot read the receipt {}", path.display()))?;
        receipts.push((path.display().to_string(), bytes));
    }
    match verify_bundle_with_receipts(&args.dir, &log_key, args.ballot.as_deref(), &receipts) {
        Ok(report) => {
            if args.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report)
                        .expect("invariant: a report (strings, numbers, lists) serialises")
                );
                // The simulated origin is said loudly even in JSON mode.
                if report.simulated {
                    eprintln!(
                        "warning: SIMULATED CLOCK: {} is not a real log",
                        report.origin
                    );
                }
            } else {
                print!("{report}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            if args.json {
                println!(
                    "{}",
                    serde_json::json!({"ok": false, "failure": error.to_string()})
                );
            }
            eprintln!(
                "scrutineer: FAILED: {} does not verify: {error}",
                args.dir.display()
            );
            Ok(ExitCode::FAILURE)
        }
    }
}
