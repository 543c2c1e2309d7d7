//! `scrutineer simulate FILE.json [--explain]`: runs the voting rules alone
//! over a JSON scenario (SPEC section 5) and prints the outcome.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use scrutineer::simulate::{Scenario, explain, report};

/// Arguments of `scrutineer simulate`.
#[derive(clap::Args)]
pub struct Args {
    /// The scenario file (JSON, SPEC section 5).
    file: PathBuf,
    /// Instead of the JSON outcome, print for each ballot a Markdown table
    /// deriving its roll (organisation, class, founding and Kick-off Period,
    /// meetings in the attendance window, physical attendances, eligibility
    /// and reason), then its votes and tally: ready to paste into a report.
    #[arg(long)]
    explain: bool,
}

/// Runs the command: exit status 0 with the outcome on stdout, or an error
/// naming the JSON path of the problem and nothing on stdout.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let scenario = Scenario::parse(&text)
        .with_context(|| format!("invalid scenario {}", args.file.display()))?;
    let results = scenario.run();
    // Everything is computed before anything is printed, so a failure never
    // leaves partial output.
    let output = if args.explain {
        explain(&scenario, &results)
    } else {
        let mut json = serde_json::to_string_pretty(&report(&scenario.parameters, &results))
            .context("cannot serialise the report")?;
        json.push('\n');
        json
    };
    print!("{output}");
    Ok(ExitCode::SUCCESS)
}
