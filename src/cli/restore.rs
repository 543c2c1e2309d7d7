//! `scrutineer restore-tail`: puts back the entries a restored database
//! lacks, from an audit bundle exported after them, so that a log refused
//! at start-up (behind its high-water mark) is served again with the same
//! roots. The checks are in `scrutineer::server::restore`.

use std::path::PathBuf;
use std::process::ExitCode;

use scrutineer::note::key::SigningKey;
use scrutineer::server::high_water::HighWater;
use scrutineer::server::restore::{TailSource, restore_tail};
use scrutineer::store::Store;

/// Arguments of `scrutineer restore-tail`.
#[derive(clap::Args)]
pub struct Args {
    /// The group whose log is behind.
    #[arg(long)]
    group: String,
    /// An audit bundle of this log, exported after the entries the
    /// database lacks: its directory (`scrutineer export`) or its archive
    /// (a `.tar` file, as `GET …/ballots/{ballot}/bundle` serves it).
    #[arg(long, value_name = "DIR|FILE")]
    bundle: PathBuf,
    /// A directory of further documents the tail names, used if their
    /// SHA-256 matches: the voters' `.vote` files of ballots still open.
    /// Repeatable.
    #[arg(long, value_name = "DIR")]
    documents: Vec<PathBuf>,
    /// The server's data directory (its SQLite file, log key and
    /// high-water marks).
    #[arg(long, env = "SCRUTINEER_DATA_DIR", default_value = "scrutineer-data")]
    data_dir: PathBuf,
    /// The server's database URL, if not the data directory's file.
    #[arg(long, env = "SCRUTINEER_DATABASE_URL")]
    database_url: Option<String>,
    /// The log key, if not `log.key` in the data directory.
    #[arg(long, env = "SCRUTINEER_LOG_KEY")]
    log_key: Option<PathBuf>,
}

/// Puts the tail back, with every server process stopped.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let url = args
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite:{}", args.data_dir.join("scrutineer.db").display()));
    let key_path = args
        .log_key
        .clone()
        .unwrap_or_else(|| args.data_dir.join("log.key"));
    let text = std::fs::read_to_string(&key_path)
        .map_err(|e| anyhow::anyhow!("cannot read the log key {}: {e}", key_path.display()))?;
    let key = SigningKey::parse(text.trim_end_matches('\n'))
        .map_err(|e| anyhow::anyhow!("{}: {e}", key_path.display()))?;
    let marks = HighWater::open(&args.data_dir)?;
    // An archive is unpacked into a temporary directory (removed when
    // done) and checked there exactly as a directory would be.
    let unpacked = if args.bundle.is_file() {
        Some(super::verify::unpack(&args.bundle)?)
    } else {
        None
    };
    let bundle = unpacked
        .as_ref()
        .map_or(args.bundle.as_path(), |u| u.0.as_path());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let restored = runtime.block_on(async {
        let store = Store::open(&url).await?;
        let source = TailSource {
            bundle,
            documents: &args.documents,
        };
        let restored = restore_tail(&store, &key, &marks, &args.group, &source).await;
        store.close().await;
        anyhow::Ok(restored?)
    })?;
    println!(
        "put back entries {} to {} of {}'s log ({} documents); its head is now the bundle's \
         checkpoint, root {}",
        restored.from,
        restored.to - 1,
        args.group,
        restored.documents,
        restored.root
    );
    if let Some(mark) = restored.mark {
        println!("it reaches the newest checkpoint this server published (size {mark})");
    }
    println!(
        "start the server: it checks the whole log again; accounts, tokens and contact \
         details written after the backup are not in any bundle and must be entered again"
    );
    Ok(ExitCode::SUCCESS)
}
