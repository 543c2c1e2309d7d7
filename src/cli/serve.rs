//! `scrutineer serve`: the server.

use std::process::ExitCode;

/// Arguments of `scrutineer serve`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    config: scrutineer::server::config::Config,
}

/// Runs the server until Ctrl-C or SIGTERM.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(scrutineer::server::serve(args.config))?;
    Ok(ExitCode::SUCCESS)
}
