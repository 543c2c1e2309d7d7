//! `scrutineer witness --config FILE`: a C2SP tlog-witness.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use scrutineer::server::witness::config::WitnessConfig;
use scrutineer::server::witness::{WitnessClock, run as run_witness};

/// Arguments of `scrutineer witness`.
#[derive(clap::Args)]
pub struct Args {
    /// The configuration file (`listen`, `database`, `key` and `log` lines;
    /// see docs/formats.md).
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// TEST ONLY: take the time of each cosignature from this file (RFC
    /// 3339 UTC, rewritten by a test that follows a `--simulated-clock`
    /// server) instead of the system clock. A witness run this way states
    /// whatever time the file says, which defeats its purpose: never use it
    /// for real.
    #[arg(long, value_name = "FILE", hide = true)]
    test_clock_file: Option<PathBuf>,
}

/// Runs the witness until Ctrl-C or SIGTERM.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(&args.config)
        .with_context(|| format!("cannot read {}", args.config.display()))?;
    let base = args.config.parent().map(PathBuf::from).unwrap_or_default();
    let config = WitnessConfig::parse(&text, &base)
        .with_context(|| format!("the witness configuration {}", args.config.display()))?;
    let clock = match args.test_clock_file {
        Some(path) => {
            eprintln!(
                "scrutineer witness: TEST ONLY: taking the time from {}",
                path.display()
            );
            WitnessClock::TestFile(path)
        }
        None => WitnessClock::System,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run_witness(config, clock))?;
    Ok(ExitCode::SUCCESS)
}
