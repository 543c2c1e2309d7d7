//! `scrutineer log build|prove|verify`: a static C2SP tlog-tiles log in a
//! directory, the archival format of a group's log.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use scrutineer::note::key::{SigningKey, VerifierKey};
use scrutineer::staticlog;
use scrutineer::tlog::checkpoint::Origin;
use scrutineer::tlog::receipt::Receipt;

/// `scrutineer log` subcommands.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Publish the lines of a file (one entry per line, the newline not part
    /// of the entry) as a static log in a directory, or extend the log
    /// already there.
    Build {
        /// The log's private key (from `scrutineer keygen`); its name must be
        /// the origin.
        #[arg(long)]
        key: PathBuf,
        /// The log's origin, the first line of its checkpoints.
        #[arg(long)]
        origin: String,
        /// The file whose lines are the entries.
        #[arg(long)]
        entries: PathBuf,
        /// The directory to publish into (created if absent).
        #[arg(long)]
        out: PathBuf,
    },
    /// Print a C2SP tlog-proof (receipt) for one entry against the
    /// directory's checkpoint.
    Prove {
        /// The log directory.
        #[arg(long)]
        dir: PathBuf,
        /// The zero-based index of the entry.
        #[arg(long)]
        index: u64,
    },
    /// Verify a log directory end to end, or a receipt for an entry.
    ///
    /// With `--dir` alone: the checkpoint's signature, every hash tile
    /// against the root and every entry bundle. With `--receipt` and
    /// `--entry`: the receipt's checkpoint signature and inclusion proof for
    /// those exact entry bytes; adding `--dir` also checks that the
    /// directory's checkpoint is consistent with the receipt's.
    Verify {
        /// The log's verifier key (`name+id+key`), or a file holding it.
        #[arg(long)]
        vkey: String,
        /// The log directory.
        #[arg(long, required_unless_present = "receipt")]
        dir: Option<PathBuf>,
        /// A receipt file (C2SP tlog-proof) to check.
        #[arg(long, requires = "entry")]
        receipt: Option<PathBuf>,
        /// The file holding the exact bytes of the entry the receipt is for.
        #[arg(long, requires = "receipt")]
        entry: Option<PathBuf>,
    },
}

/// Runs a `log` subcommand.
pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Build {
            key,
            origin,
            entries,
            out,
        } => build(&key, origin, &entries, &out),
        Command::Prove { dir, index } => {
            let receipt = staticlog::prove(&dir, index)?;
            print!("{}", receipt.to_text());
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify {
            vkey,
            dir,
            receipt,
            entry,
        } => {
            let vkey = read_verifier_key(&vkey)?;
            match (receipt, entry) {
                (Some(receipt), Some(entry)) => verify_receipt(&vkey, &receipt, &entry, dir),
                _ => {
                    let dir = dir.expect("clap: --dir is required without --receipt");
                    let report = staticlog::verify(&dir, &vkey)
                        .with_context(|| format!("{} does not verify", dir.display()))?;
                    println!(
                        "ok: {} size {} root {}: checkpoint signature, {} tiles and bundles verified",
                        report.origin, report.size, report.root, report.tiles
                    );
                    Ok(ExitCode::SUCCESS)
                }
            }
        }
    }
}

fn build(key: &Path, origin: String, entries: &Path, out: &Path) -> anyhow::Result<ExitCode> {
    let key = read_signing_key(key)?;
    let origin = Origin::new(origin).context("invalid origin")?;
    if key.name().as_str() != origin.as_str() {
        bail!(
            "the key is named {:?} but the origin is {:?}: a checkpoint's key name must be its origin",
            key.name().as_str(),
            origin.as_str()
        );
    }
    let bytes =
        std::fs::read(entries).with_context(|| format!("cannot read {}", entries.display()))?;
    let entries = staticlog::parse_entries(&bytes)?;
    let report = staticlog::build(out, &key, &origin, &entries)
        .with_context(|| format!("cannot publish into {}", out.display()))?;
    println!(
        "published {} size {} (was {}) root {}: {} files written",
        origin, report.size, report.previous_size, report.root, report.files_written
    );
    Ok(ExitCode::SUCCESS)
}

fn verify_receipt(
    vkey: &VerifierKey,
    receipt: &Path,
    entry: &Path,
    dir: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let bytes =
        std::fs::read(receipt).with_context(|| format!("cannot read {}", receipt.display()))?;
    let receipt = Receipt::parse(&bytes).context("malformed receipt")?;
    let entry = std::fs::read(entry).with_context(|| format!("cannot read {}", entry.display()))?;
    let checkpoint = receipt
        .verify(&entry, vkey)
        .context("the receipt does not verify")?
        .into_inner();
    println!(
        "ok: entry {} is in {} at size {} (root {})",
        receipt.index(),
        checkpoint.origin(),
        checkpoint.size(),
        checkpoint.root()
    );
    if let Some(dir) = dir {
        let current = staticlog::check_consistency(&dir, vkey, &checkpoint).with_context(|| {
            format!(
                "{} is not consistent with the receipt's checkpoint",
                dir.display()
            )
        })?;
        println!(
            "ok: {} at size {} is consistent with the receipt's checkpoint",
            dir.display(),
            current.size()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads a private key file, without its final newline.
pub(super) fn read_signing_key(path: &Path) -> anyhow::Result<SigningKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the key file {}", path.display()))?;
    SigningKey::parse(text.strip_suffix('\n').unwrap_or(&text))
        .with_context(|| format!("{} is not a C2SP private key", path.display()))
}

/// A verifier key given on the command line, or the path of a file holding
/// one.
pub(super) fn read_verifier_key(arg: &str) -> anyhow::Result<VerifierKey> {
    let path = Path::new(arg);
    let text = if !arg.contains('+') && path.exists() {
        std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the verifier key file {arg}"))?
    } else {
        arg.to_owned()
    };
    let text = text.trim_end_matches('\n');
    VerifierKey::parse(text).with_context(|| format!("{text:?} is not a C2SP verifier key"))
}
