//! `scrutineer certify`: the chair certifies a tallied ballot with a note
//! signed on this machine (SPEC 2.1 item 10).
//!
//! Nothing the server says is signed blindly: the tally is read from the
//! log's entry bundle and proved included in the newest checkpoint signed
//! by the log key, and the note binds that checkpoint's tree head, the
//! frozen roll's hash, the tally document's hash and each question's
//! counts and outcome. The answer is checked as `announce` checks its own.

use std::process::ExitCode;

use anyhow::{Context as _, bail};
use serde::Deserialize;
use serde_json::json;

use scrutineer::ballot::{
    CERTIFICATION_KIND, CertificationNote, StatementRecord, TALLY_KIND, TallyDocument, TallyRecord,
};
use scrutineer::entry::Entry;
use scrutineer::id::BallotId;
use scrutineer::tlog::Hash;

use super::remote::{LogAnswer, SignerArgs, current_checkpoint, fetch_entry};

/// Arguments of `scrutineer certify`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    signer: SignerArgs,
    /// The tallied ballot to certify.
    #[arg(long)]
    ballot: BallotId,
}

/// The fields of `GET …/ballots/{ballot}` this command uses.
#[derive(Deserialize)]
struct BallotView {
    state: String,
    tally_index: Option<u64>,
}

/// Reads and checks the tally, signs the certification, submits it and
/// checks the answer.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let key = args.signer.signing_key()?;
    let (client, group) = args.signer.connect()?;
    let path = args
        .signer
        .server
        .group_path(&format!("/ballots/{}", args.ballot));
    let view: BallotView = client
        .get(&path)
        .and_then(|r| r.json())
        .with_context(|| format!("cannot read ballot {}", args.ballot))?;
    let Some(tally_index) = view.tally_index else {
        bail!(
            "ballot {} is {}: only a tallied ballot can be certified",
            args.ballot,
            view.state
        );
    };

    // The tally as logged, proved to be in the newest signed checkpoint.
    let checkpoint = current_checkpoint(&args.signer.server, &client, &group.log_key)?.into_inner();
    let bytes = fetch_entry(&args.signer.server, &client, tally_index, &checkpoint)?;
    let entry = Entry::parse(&bytes).map_err(|e| anyhow::anyhow!("entry {tally_index}: {e}"))?;
    if entry.kind() != TALLY_KIND {
        bail!(
            "entry {tally_index} is a {} entry, not the tally",
            entry.kind()
        );
    }
    let record = TallyRecord::from_entry(&entry)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("the logged tally does not parse")?;
    // A tally too large for its entry is stored beside the log: fetched,
    // and held to the hash the proved entry names.
    let bytes = match record.body {
        Some(body) => body,
        None => {
            let hex = record.tally.to_hex();
            let document = client
                .get(
                    &args
                        .signer
                        .server
                        .group_path(&format!("/ballots/{}/documents/{hex}", args.ballot)),
                )
                .map(|r| r.body)
                .with_context(|| format!("cannot read the tally document sha256:{hex}"))?;
            if Hash::sha256(&document) != record.tally {
                bail!("the server's tally document is not the one entry {tally_index} names");
            }
            document
        }
    };
    let tally = TallyDocument::from_bytes(&bytes, &record.ballot)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("the logged tally does not parse")?;
    if tally.ballot != args.ballot {
        bail!(
            "entry {tally_index} is the tally of ballot {}",
            tally.ballot
        );
    }

    let note = CertificationNote::from_tally(
        group.origin.clone(),
        &tally,
        checkpoint.size().get(),
        *checkpoint.root(),
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let signed = note
        .sign(&key)
        .map_err(|e| anyhow::anyhow!("cannot sign the certification: {e}"))?;
    let body = json!({
        "certification": String::from_utf8(signed.clone())
            .expect("invariant: a signed note is UTF-8"),
    });
    let answer: LogAnswer = client
        .post_json(&format!("{path}/certification"), &body)
        .and_then(|r| r.json())
        .with_context(|| format!("the certification of {} was not accepted", args.ballot))?;
    let (logged, _) = answer.check(&args.signer.server, &client, &group.log_key)?;
    let record = StatementRecord::from_entry(&logged).map_err(|e| anyhow::anyhow!("{e}"))?;
    if logged.kind() != CERTIFICATION_KIND || record.body != signed {
        bail!("the logged certification is not the note signed here");
    }

    println!(
        "certified {} in {}: entry {}, binding the tree head of size {} (root {})",
        args.ballot,
        group.origin,
        answer.index,
        note.size,
        note.root.to_base64()
    );
    for q in &note.questions {
        println!(
            "  {}: {} (in favour {}, against {}, abstain {}, not voted {}, eligible {})",
            q.question, q.outcome, q.in_favour, q.against, q.abstain, q.not_voted, q.eligible
        );
    }
    Ok(ExitCode::SUCCESS)
}
