//! `scrutineer receipt verify`: a delegate's later check of a vote receipt
//! (SPEC section 4, "Receipt").
//!
//! The receipt proves that the entry was in the log at the size of its own
//! checkpoint. What the delegate wants to know later is that it still is:
//! that the log the server serves now extends that checkpoint, with
//! nothing rewritten. So, in order:
//!
//! 1. the receipt's checkpoint is signed by the log key and its inclusion
//!    proof leads from the entry to that checkpoint's root;
//! 2. the entry is a vote entry committing to the signed note the delegate
//!    kept (the `.vote` file), if there is one;
//! 3. the server's current checkpoint is signed by the log key, and a
//!    consistency proof shows that it extends the receipt's checkpoint.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use scrutineer::entry::Entry;
use scrutineer::tlog::Hash;
use scrutineer::tlog::receipt::Receipt;
use scrutineer::vote::{SubmittedVote, VOTE_ENTRY_KIND, vote_entry};

use super::remote::{ServerArgs, TokenArgs, check_consistency, current_checkpoint, log_key_for};

/// `scrutineer receipt` subcommands.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Verify a vote receipt against the log key and the server's current
    /// log: inclusion at the receipt's checkpoint, the entry's commitment
    /// to your signed note, and consistency of the current log with the
    /// receipt's checkpoint (the log only grew).
    Verify(VerifyArgs),
}

/// Arguments of `scrutineer receipt verify`.
#[derive(clap::Args)]
pub struct VerifyArgs {
    /// The receipt (a C2SP tlog-proof), e.g. `B1-main-cadzow.tlog-proof`.
    receipt: PathBuf,
    #[command(flatten)]
    server: ServerArgs,
    /// Only needed to read the log key from the group when it is not
    /// pinned with `--log-key`.
    #[command(flatten)]
    token: TokenArgs,
    /// The signed vote note the entry must commit to [default: the `.vote`
    /// file beside the receipt, if there is one].
    #[arg(long, value_name = "FILE")]
    vote: Option<PathBuf>,
    /// The exact bytes of the entry the receipt is for: needed when the
    /// receipt has no `extra` line, and otherwise must equal it.
    #[arg(long, value_name = "FILE")]
    entry_file: Option<PathBuf>,
}

/// Runs a `receipt` subcommand.
pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Verify(args) => verify(&args),
    }
}

fn verify(args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let path = &args.receipt;
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let receipt = Receipt::parse(&bytes)
        .with_context(|| format!("{} is not a receipt (C2SP tlog-proof)", path.display()))?;
    let entry = entry_bytes(&receipt, args.entry_file.as_deref())?;

    let token = args.token.optional()?;
    let has_token = token.is_some();
    let client = args.server.client(token)?;
    let log_key = log_key_for(&args.server, &client, has_token)?;

    // 1. Inclusion at the receipt's own checkpoint.
    let at_receipt = receipt
        .verify(&entry, &log_key)
        .context("the receipt does not verify under the log key")?
        .into_inner();
    println!(
        "ok: entry {} is in {} at size {}: the checkpoint is signed by {} and the inclusion \
         proof leads to its root",
        receipt.index(),
        at_receipt.origin(),
        at_receipt.size(),
        log_key
    );

    // 2. The commitment to the delegate's own note.
    match vote_file(args) {
        Some(vote) => {
            let note = std::fs::read(&vote)
                .with_context(|| format!("cannot read the vote note {}", vote.display()))?;
            check_commitment(&entry, &note)
                .with_context(|| format!("the entry does not commit to {}", vote.display()))?;
            println!(
                "ok: the entry is the vote entry for {} (sha256:{})",
                vote.display(),
                Hash::sha256(&note).to_hex()
            );
        }
        None => println!(
            "note: no .vote file given or found beside the receipt: the entry's commitment \
             was not compared with a signed note"
        ),
    }

    // 3. The log only grew since.
    let current = current_checkpoint(&args.server, &client, &log_key)?.into_inner();
    let hashes = check_consistency(&args.server, &client, &at_receipt, &current)?;
    println!(
        "ok: the server's current checkpoint (size {}) is signed by the log key and \
         consistent with the receipt's (size {}; {hashes} proof hashes): the log only grew",
        current.size(),
        at_receipt.size()
    );
    Ok(ExitCode::SUCCESS)
}

/// The entry the receipt is for: its `extra` line, or the given file, or
/// both if they agree.
fn entry_bytes(receipt: &Receipt, entry_file: Option<&Path>) -> anyhow::Result<Vec<u8>> {
    let file = entry_file
        .map(|p| std::fs::read(p).with_context(|| format!("cannot read {}", p.display())))
        .transpose()?;
    match (receipt.extra(), file) {
        (Some(extra), Some(file)) if extra != file.as_slice() => {
            bail!("the receipt's extra line is not the entry in --entry-file")
        }
        (Some(extra), _) => Ok(extra.to_vec()),
        (None, Some(file)) => Ok(file),
        (None, None) => bail!(
            "the receipt has no extra line naming its entry: give the entry's bytes with \
             --entry-file"
        ),
    }
}

/// The `.vote` file to check: the one given, or the one beside the receipt
/// (same name, extension `.vote`) if it exists.
fn vote_file(args: &VerifyArgs) -> Option<PathBuf> {
    if let Some(vote) = &args.vote {
        return Some(vote.clone());
    }
    let beside = args.receipt.with_extension("vote");
    (beside != args.receipt && beside.is_file()).then_some(beside)
}

/// Checks that `entry` is exactly the vote entry (SPEC section 4) that
/// commits to the signed note `note`: type `vote`, the note's ballot, the
/// SHA-256 of the note's exact bytes, no other header and no body.
pub(super) fn check_commitment(entry: &[u8], note: &[u8]) -> anyhow::Result<()> {
    let vote = SubmittedVote::parse(note).context("the note is not a signed vote note")?;
    let parsed = Entry::parse(entry).context("the receipt's entry is not a log entry")?;
    if parsed.kind() != VOTE_ENTRY_KIND {
        bail!("the entry is of type {:?}, not a vote", parsed.kind());
    }
    let ballot = vote.vote.ballot.as_str();
    if parsed.get("ballot") != Some(ballot) {
        bail!(
            "the entry is for ballot {:?}, not {ballot:?}",
            parsed.get("ballot").unwrap_or("")
        );
    }
    let commitment = format!("sha256:{}", Hash::sha256(note).to_hex());
    if parsed.get("note") != Some(commitment.as_str()) {
        bail!(
            "the entry commits to note {:?}, not to the SHA-256 of the signed note ({commitment})",
            parsed.get("note").unwrap_or("")
        );
    }
    // Byte for byte: the entry is what `vote_entry` writes, and nothing more.
    let expected = vote_entry(parsed.time(), &vote.vote.ballot, note)
        .encode()
        .context("a vote entry encodes")?;
    if expected != entry {
        bail!("the entry has other header lines or a body than a vote entry may have");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use scrutineer::id::{BallotId, OrgId, QuestionId};
    use scrutineer::note::{KeyName, SigningKey};
    use scrutineer::time::Timestamp;
    use scrutineer::tlog::checkpoint::Origin;
    use scrutineer::vote::{ChoiceWord, VoteNote};

    fn note(ballot: &str) -> Vec<u8> {
        let key = SigningKey::from_seed(KeyName::new("alice").expect("name"), &[7; 32]);
        VoteNote {
            origin: Origin::new("example.org/ETI").expect("origin"),
            ballot: BallotId::new(ballot).expect("id"),
            question: QuestionId::new("main").expect("id"),
            organisation: OrgId::new("cadzow").expect("id"),
            choice: ChoiceWord::new("yes").expect("choice"),
            attachment: None,
            nonce: [3; 16],
        }
        .sign(&key)
        .expect("sign")
    }

    #[test]
    fn only_the_exact_vote_entry_of_the_note_passes() {
        let time = Timestamp::parse("2026-07-01T12:00:00.000001Z").expect("time");
        let ballot = BallotId::new("B1").expect("id");
        let signed = note("B1");
        let entry = vote_entry(time, &ballot, &signed).encode().expect("encode");
        check_commitment(&entry, &signed).expect("the entry commits to the note");

        let other_note = note("B2");
        let err = check_commitment(&entry, &other_note).expect_err("another ballot");
        assert!(err.to_string().contains("not \"B2\""), "{err}");
        let mut changed = signed.clone();
        changed.extend_from_slice(b"x");
        assert!(check_commitment(&entry, &changed).is_err(), "other bytes");
        let with_body = vote_entry(time, &ballot, &signed)
            .body(b"the choice".to_vec())
            .encode()
            .expect("encode");
        let err = check_commitment(&with_body, &signed).expect_err("a body");
        assert!(err.to_string().contains("other header lines"), "{err}");
    }
}
