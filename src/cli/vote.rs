//! `scrutineer vote`: cast a vote signed on this machine, and check its
//! receipt before believing it (SPEC sections 4 and 6).
//!
//! The private key never leaves the machine: the note is built and signed
//! here, and the server receives only the signed note (with the bearer
//! token, which says who is calling; the signature says who votes). The
//! receipt is then verified on the spot — its entry must be the vote entry
//! that commits to the exact bytes signed, and its inclusion proof must
//! lead to a checkpoint signed by the log key — and kept, with the note,
//! for later checks (`scrutineer receipt verify`) and for the audit.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, anyhow, bail};
use serde::Deserialize;
use serde_json::json;

use scrutineer::ballot::ATTACHMENT_MAX_BYTES;
use scrutineer::id::{BallotId, OrgId, PersonId, QuestionId};
use scrutineer::tlog::Hash;
use scrutineer::tlog::receipt::Receipt;
use scrutineer::vote::{ChoiceWord, NONCE_LEN, SubmittedVote, VoteNote};

use super::receipt::check_commitment;
use super::remote::SignerArgs;

/// Arguments of `scrutineer vote`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    signer: SignerArgs,
    /// The ballot.
    #[arg(long)]
    ballot: BallotId,
    /// The question (a draft Recommendation in a consultation).
    #[arg(long, default_value = "main")]
    question: QuestionId,
    /// The organisation you vote for (the one you represent).
    #[arg(long)]
    organisation: OrgId,
    /// The choice: `yes`, `no`, `abstain`, `assign`, `do-not-assign`…, as
    /// the ballot's rules allow.
    #[arg(long, value_parser = ChoiceWord::new)]
    choice: ChoiceWord,
    /// A UTF-8 text file sent with the vote (ITU-T comments, or the reasons
    /// that `do-not-assign` requires); the note carries its SHA-256.
    #[arg(long, value_name = "FILE")]
    attachment: Option<PathBuf>,
    /// Where to store the signed note and its receipt, as
    /// `<ballot>-<question>-<organisation>.vote` and `.tlog-proof`. A new
    /// vote for the same question replaces them, as it replaces the vote.
    #[arg(long, value_name = "DIR", default_value = ".")]
    out: PathBuf,
}

/// What `POST /v1/groups/{group}/ballots/{ballot}/votes` answers.
#[derive(Deserialize)]
struct VoteAnswer {
    /// The vote entry's index in the log.
    index: u64,
    /// The C2SP tlog-proof whose `extra` line is the vote entry.
    receipt: String,
}

/// Signs, submits, verifies the receipt, stores note and receipt.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    // Everything local is checked before anything is sent: a vote must not
    // be cast when its note or receipt could not be kept.
    let key = args.signer.signing_key()?;
    let person = PersonId::new(key.name().as_str()).with_context(|| {
        format!(
            "the key in {} is named {:?}, which is not a person id",
            args.signer.key.display(),
            key.name().as_str()
        )
    })?;
    let attachment = args
        .attachment
        .as_deref()
        .map(read_attachment)
        .transpose()?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let stem = format!("{}-{}-{}", args.ballot, args.question, args.organisation);
    let note_path = args.out.join(format!("{stem}.vote"));
    let receipt_path = args.out.join(format!("{stem}.tlog-proof"));

    let (client, group) = args.signer.connect()?;

    // SPEC section 4: 16 fresh random bytes make every note unique, so a
    // replayed note is recognisable as such.
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::fill(&mut nonce).map_err(|e| anyhow!("cannot draw a nonce: {e}"))?;
    let note = VoteNote {
        origin: group.origin.clone(),
        ballot: args.ballot.clone(),
        question: args.question.clone(),
        organisation: args.organisation.clone(),
        choice: args.choice.clone(),
        attachment: attachment.as_ref().map(|(_, hash)| *hash),
        nonce,
    };
    let signed = note.sign(&key).context("cannot sign the vote")?;
    // The server's first checks, made here: a note this tool cannot parse
    // back and verify would only be refused.
    SubmittedVote::parse(&signed)
        .and_then(|v| v.verify(&key.verifier_key()))
        .context("the signed note does not check out locally")?;

    let mut body = json!({
        "note": String::from_utf8(signed.clone()).expect("invariant: a signed note is UTF-8"),
    });
    if let Some((text, _)) = &attachment {
        body["attachment"] = json!(text);
    }
    let path = args
        .signer
        .server
        .group_path(&format!("/ballots/{}/votes", args.ballot));
    let response = client
        .post_json(&path, &body)
        .with_context(|| format!("the vote of {person} was not accepted"))?;
    let resubmission = response.status == 200;
    let answer: VoteAnswer = response.json()?;

    // The receipt, checked before it is believed. Whatever the outcome,
    // note and receipt are kept: a receipt that does not verify is
    // evidence against the server.
    let verified = verify_receipt(&answer, &signed, &group.log_key);
    let receipt_path = match &verified {
        Ok(_) => receipt_path,
        Err(_) => receipt_path.with_extension("tlog-proof.invalid"),
    };
    keep_earlier(&args.out, &stem, &signed)?;
    write_atomically(&note_path, &signed)?;
    write_atomically(&receipt_path, answer.receipt.as_bytes())?;
    let size = verified.with_context(|| {
        format!(
            "the server accepted the vote but its receipt does not verify; the note and the \
             receipt are kept as evidence in {} and {}",
            note_path.display(),
            receipt_path.display()
        )
    })?;

    println!(
        "vote cast by {person} for {}: ballot {}, question {}, choice {}{}",
        args.organisation,
        args.ballot,
        args.question,
        args.choice.as_str(),
        if resubmission {
            " (the server already held this exact note: its original receipt)"
        } else {
            ""
        }
    );
    println!(
        "receipt verified: entry {} of {}, in the signed checkpoint of size {size}; the entry \
         commits to sha256:{}",
        answer.index,
        group.origin,
        Hash::sha256(&signed).to_hex()
    );
    println!(
        "stored {} and {}",
        note_path.display(),
        receipt_path.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Verifies a vote's receipt: the entry in `extra` is the vote entry for
/// exactly `signed`, at the index the server announced, included in a
/// checkpoint signed by the log key. Returns that checkpoint's size.
fn verify_receipt(
    answer: &VoteAnswer,
    signed: &[u8],
    log_key: &scrutineer::note::VerifierKey,
) -> anyhow::Result<u64> {
    let receipt =
        Receipt::parse(answer.receipt.as_bytes()).context("the receipt is not a tlog-proof")?;
    let entry = receipt
        .extra()
        .context("the receipt has no extra line, so it does not say which entry it proves")?;
    check_commitment(entry, signed)?;
    if receipt.index().get() != answer.index {
        bail!(
            "the receipt is for entry {} but the server said {}",
            receipt.index(),
            answer.index
        );
    }
    let checkpoint = receipt
        .verify(entry, log_key)
        .context("the receipt's inclusion proof or checkpoint signature does not verify")?;
    Ok(checkpoint.size().get())
}

/// Reads an attachment: UTF-8 text of at most 64 KiB (SPEC section 4), and
/// its SHA-256, which the note carries.
fn read_attachment(path: &Path) -> anyhow::Result<(String, Hash)> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read the attachment {}", path.display()))?;
    if bytes.len() > ATTACHMENT_MAX_BYTES {
        bail!(
            "the attachment {} is {} bytes, more than the {ATTACHMENT_MAX_BYTES} allowed",
            path.display(),
            bytes.len()
        );
    }
    let hash = Hash::sha256(&bytes);
    let text = String::from_utf8(bytes)
        .map_err(|_| anyhow!("the attachment {} is not UTF-8 text", path.display()))?;
    Ok((text, hash))
}

/// Writes a file so that it is either absent, the old version, or complete
/// (a temporary file, synced, renamed over the target).
fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = path.with_file_name(format!(".{name}.tmp"));
    let write = || -> std::io::Result<()> {
        let mut file = std::fs::File::create(&temporary)?;
        std::io::Write::write_all(&mut file, bytes)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    };
    write().with_context(|| format!("cannot write {}", path.display()))
}

/// Keeps an earlier vote of the same ballot, question and organisation
/// stored in `out` (a changed vote): its note and receipt are renamed
/// `<stem>.<log index>.vote` and `.tlog-proof`, so that the delegate can
/// later check what became of it (`scrutineer verify --receipt`: superseded
/// by a later vote).
fn keep_earlier(out: &Path, stem: &str, signed: &[u8]) -> anyhow::Result<()> {
    let note = out.join(format!("{stem}.vote"));
    let Ok(earlier) = std::fs::read(&note) else {
        return Ok(());
    };
    if earlier == signed {
        return Ok(());
    }
    let receipt = out.join(format!("{stem}.tlog-proof"));
    let tag = std::fs::read(&receipt)
        .ok()
        .and_then(|r| Receipt::parse(&r).ok())
        .map_or_else(
            || format!("earlier-{}", Hash::sha256(&earlier).to_hex()),
            |r| r.index().get().to_string(),
        );
    for (from, extension) in [(&note, "vote"), (&receipt, "tlog-proof")] {
        if from.exists() {
            let to = out.join(format!("{stem}.{tag}.{extension}"));
            std::fs::rename(from, &to)
                .with_context(|| format!("cannot keep {} as {}", from.display(), to.display()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use scrutineer::note::{KeyName, SigningKey};
    use scrutineer::time::Timestamp;
    use scrutineer::tlog::checkpoint::{Checkpoint, Origin, sign_checkpoint};
    use scrutineer::tlog::{LeafIndex, TreeSize, leaf_hash};
    use scrutineer::vote::vote_entry;

    const ORIGIN: &str = "example.org/ETI";

    fn signed_note(choice: &str) -> Vec<u8> {
        let key = SigningKey::from_seed(KeyName::new("alice").expect("name"), &[7; 32]);
        VoteNote {
            origin: Origin::new(ORIGIN).expect("origin"),
            ballot: BallotId::new("B1").expect("id"),
            question: QuestionId::new("main").expect("id"),
            organisation: OrgId::new("cadzow").expect("id"),
            choice: ChoiceWord::new(choice).expect("choice"),
            attachment: None,
            nonce: [5; NONCE_LEN],
        }
        .sign(&key)
        .expect("sign")
    }

    /// The answer of a log holding one entry, the vote entry of `note`.
    fn answer(log: &SigningKey, note: &[u8], index: u64) -> VoteAnswer {
        let time = Timestamp::parse("2026-07-16T00:00:00.000000Z").expect("time");
        let ballot = BallotId::new("B1").expect("id");
        let entry = vote_entry(time, &ballot, note).encode().expect("encode");
        let checkpoint = Checkpoint::new(
            Origin::new(ORIGIN).expect("origin"),
            TreeSize::new(1),
            leaf_hash(&entry),
            vec![],
        )
        .expect("checkpoint");
        let signed = sign_checkpoint(&checkpoint, log).expect("sign");
        let receipt =
            Receipt::new(Some(entry), LeafIndex::new(0), vec![], signed).expect("receipt");
        VoteAnswer {
            index,
            receipt: receipt.to_text(),
        }
    }

    #[test]
    fn a_receipt_is_believed_only_for_the_note_signed_at_its_index_under_the_log_key() {
        let log = SigningKey::from_seed(KeyName::new(ORIGIN).expect("name"), &[1; 32]);
        let note = signed_note("yes");
        let key = log.verifier_key();
        assert_eq!(
            verify_receipt(&answer(&log, &note, 0), &note, &key).ok(),
            Some(1)
        );
        // The server logged another note (say, another choice).
        let other = signed_note("no");
        let err = verify_receipt(&answer(&log, &other, 0), &note, &key).expect_err("other");
        assert!(err.to_string().contains("commits to note"), "{err}");
        // The server announced another index than the receipt's.
        let err = verify_receipt(&answer(&log, &note, 3), &note, &key).expect_err("index");
        assert!(err.to_string().contains("the server said 3"), "{err}");
        // A checkpoint signed by another key of the same name.
        let forged = SigningKey::from_seed(KeyName::new(ORIGIN).expect("name"), &[2; 32]);
        assert!(verify_receipt(&answer(&forged, &note, 0), &note, &key).is_err());
    }
}
