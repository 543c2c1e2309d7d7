//! `scrutineer keygen`: a new Ed25519 signing key in the C2SP private key
//! encoding, written to a file only its owner can read.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use scrutineer::note::key::{KeyName, SigningKey};

/// Arguments of `scrutineer keygen`.
#[derive(clap::Args)]
pub struct Args {
    /// The key name: a log's origin, or a person's id. It appears in every
    /// signature line made with the key.
    #[arg(long)]
    name: String,
    /// Where to write the private key. An existing file is never
    /// overwritten, so that a key cannot be lost by a typing mistake.
    #[arg(long)]
    out: PathBuf,
}

/// Generates the key, writes it with mode 0600, prints the verifier key.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let name = KeyName::new(args.name).context("invalid key name")?;
    let key = SigningKey::generate(name).context("cannot generate a key")?;
    let mut file = create_private(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let mut text = key.encode_private();
    text.push('\n');
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    println!("{}", key.verifier_key());
    Ok(ExitCode::SUCCESS)
}

/// Creates a new file readable and writable by its owner only.
fn create_private(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options.open(path)
}
