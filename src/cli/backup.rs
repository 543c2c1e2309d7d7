//! `scrutineer backup`: a consistent copy of the server's SQLite database,
//! made while it runs.

use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `scrutineer backup`.
#[derive(clap::Args)]
pub struct Args {
    /// The new file to write the copy to (refused if it exists).
    #[arg(long)]
    out: PathBuf,
    /// The server's data directory (its SQLite file is `scrutineer.db`).
    #[arg(long, env = "SCRUTINEER_DATA_DIR", default_value = "scrutineer-data")]
    data_dir: PathBuf,
    /// The server's database URL, if not the data directory's file.
    #[arg(long, env = "SCRUTINEER_DATABASE_URL")]
    database_url: Option<String>,
}

/// Copies the database, online.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let url = args
        .database_url
        .unwrap_or_else(|| format!("sqlite:{}", args.data_dir.join("scrutineer.db").display()));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(scrutineer::store::backup::sqlite_into(&url, &args.out))?;
    println!("copied the database to {}", args.out.display());
    println!(
        "keep the log key apart from this copy; restoring the copy alone never forks a log \
         (see the operations guide)"
    );
    Ok(ExitCode::SUCCESS)
}
