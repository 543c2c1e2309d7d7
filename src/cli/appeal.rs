//! `scrutineer appeal` and `scrutineer decide`: an appeal against a
//! chair's decision, and an appeal reviewer's decision on it, each signed
//! on this machine (SPEC 2.1 item 10, deviation #6). The grounds and the
//! reasons are read from a text file and become lines of the signed note.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use serde::Deserialize;
use serde_json::json;

use scrutineer::ballot::{
    APPEAL_KIND, Against, AppealNote, DECISION_KIND, DecisionNote, Ruling, StatementRecord,
    hash_text, split_free_text,
};
use scrutineer::id::BallotId;
use scrutineer::tlog::Hash;

use super::http::Client;
use super::remote::{GroupLog, LogAnswer, ServerArgs, SignerArgs};

/// The decision appealed, as the command line names it.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum AgainstArg {
    /// The ballot's announcement.
    Announcement,
    /// The ballot's cancellation.
    Cancellation,
    /// The certified result.
    Certification,
}

/// A reviewer's decision, as the command line names it.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum OutcomeArg {
    /// The chair's decision stands.
    Upheld,
    /// The chair's decision is annulled.
    Overturned,
}

/// Arguments of `scrutineer appeal`.
#[derive(clap::Args)]
pub struct AppealArgs {
    #[command(flatten)]
    signer: SignerArgs,
    /// The ballot concerned.
    #[arg(long)]
    ballot: BallotId,
    /// The chair's decision appealed.
    #[arg(long, value_enum)]
    against: AgainstArg,
    /// A UTF-8 text file with the grounds (each line becomes a `grounds`
    /// line of the signed note).
    #[arg(long, value_name = "FILE")]
    grounds: PathBuf,
}

/// Arguments of `scrutineer decide`.
#[derive(clap::Args)]
pub struct DecideArgs {
    #[command(flatten)]
    signer: SignerArgs,
    /// The ballot concerned.
    #[arg(long)]
    ballot: BallotId,
    /// The appeal decided: `sha256:<hex>` as `scrutineer appeal` printed it.
    #[arg(long)]
    appeal: String,
    /// The decision.
    #[arg(long, value_enum)]
    outcome: OutcomeArg,
    /// A UTF-8 text file with the reasons (each line becomes a `reasons`
    /// line of the signed note).
    #[arg(long, value_name = "FILE")]
    reasons: PathBuf,
}

/// Reads a free-text file into the lines of a note.
fn text_file(path: &Path) -> anyhow::Result<Vec<String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read {} as UTF-8 text", path.display()))?;
    let lines = split_free_text(&text);
    if lines.iter().all(|l| l.trim().is_empty()) {
        bail!("{} is empty", path.display());
    }
    Ok(lines)
}

/// Posts a signed statement and checks the answer: the entry of type
/// `kind`, in the log under the log key, carrying exactly `signed`.
fn submit(
    server: &ServerArgs,
    client: &Client,
    group: &GroupLog,
    path: &str,
    body: serde_json::Value,
    signed: &[u8],
    kind: &str,
) -> anyhow::Result<LogAnswer> {
    let answer: LogAnswer = client
        .post_json(path, &body)
        .and_then(|r| r.json())
        .with_context(|| format!("the {kind} was not accepted"))?;
    let (logged, _) = answer.check(server, client, &group.log_key)?;
    let record = StatementRecord::from_entry(&logged).map_err(|e| anyhow::anyhow!("{e}"))?;
    if logged.kind() != kind || record.body != signed {
        bail!("the logged {kind} is not the note signed here");
    }
    Ok(answer)
}

/// Runs `scrutineer appeal`.
pub fn appeal(args: AppealArgs) -> anyhow::Result<ExitCode> {
    let key = args.signer.signing_key()?;
    let grounds = text_file(&args.grounds)?;
    let (client, group) = args.signer.connect()?;
    let against = match args.against {
        AgainstArg::Announcement => Against::Announcement,
        AgainstArg::Cancellation => Against::Cancellation,
        AgainstArg::Certification => Against::Certification,
    };
    let note = AppealNote {
        origin: group.origin.clone(),
        ballot: args.ballot.clone(),
        against,
        grounds,
    };
    let signed = note
        .sign(&key)
        .map_err(|e| anyhow::anyhow!("cannot sign the appeal: {e}"))?;
    let body = json!({"appeal": String::from_utf8(signed.clone())
        .expect("invariant: a signed note is UTF-8")});
    let path = args
        .signer
        .server
        .group_path(&format!("/ballots/{}/appeals", args.ballot));
    let answer = submit(
        &args.signer.server,
        &client,
        &group,
        &path,
        body,
        &signed,
        APPEAL_KIND,
    )?;
    println!(
        "appealed the {} of {}: entry {}; the appeal's id is {}",
        against.as_str(),
        args.ballot,
        answer.index,
        hash_text(&Hash::sha256(&signed))
    );
    Ok(ExitCode::SUCCESS)
}

/// The fields of `GET …/ballots/{ballot}` `decide` reports.
#[derive(Deserialize)]
struct BallotView {
    annulled: bool,
}

/// Runs `scrutineer decide`.
pub fn decide(args: DecideArgs) -> anyhow::Result<ExitCode> {
    let key = args.signer.signing_key()?;
    let reasons = text_file(&args.reasons)?;
    let hex = args.appeal.strip_prefix("sha256:").unwrap_or(&args.appeal);
    let appeal = Hash::from_hex(hex)
        .ok()
        .filter(|h| h.to_hex() == hex)
        .context("--appeal is sha256: and 64 lowercase hexadecimal digits")?;
    let (client, group) = args.signer.connect()?;
    let outcome = match args.outcome {
        OutcomeArg::Upheld => Ruling::Upheld,
        OutcomeArg::Overturned => Ruling::Overturned,
    };
    let note = DecisionNote {
        origin: group.origin.clone(),
        ballot: args.ballot.clone(),
        appeal,
        outcome,
        reasons,
    };
    let signed = note
        .sign(&key)
        .map_err(|e| anyhow::anyhow!("cannot sign the decision: {e}"))?;
    let body = json!({"decision": String::from_utf8(signed.clone())
        .expect("invariant: a signed note is UTF-8")});
    let ballot_path = args
        .signer
        .server
        .group_path(&format!("/ballots/{}", args.ballot));
    let path = format!("{ballot_path}/appeals/{}/decision", appeal.to_hex());
    let answer = submit(
        &args.signer.server,
        &client,
        &group,
        &path,
        body,
        &signed,
        DECISION_KIND,
    )?;
    let view: BallotView = client
        .get(&ballot_path)
        .and_then(|r| r.json())
        .with_context(|| format!("cannot read ballot {}", args.ballot))?;
    println!(
        "decided appeal {}: {} (entry {}); the result of {} {}",
        hash_text(&appeal),
        outcome.as_str(),
        answer.index,
        args.ballot,
        if view.annulled {
            "is annulled"
        } else {
            "stands"
        }
    );
    Ok(ExitCode::SUCCESS)
}
