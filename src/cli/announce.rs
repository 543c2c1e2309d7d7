//! `scrutineer announce`: the chair announces a ballot with a note signed
//! on this machine (SPEC 2.1 item 6, 2.2 item 6).
//!
//! The chair signs what is announced, so that the server cannot announce
//! in the chair's name; the server logs the signed note in an
//! `announcement` entry with the persons it went to, and the entry's time
//! starts the notice. The answer is checked before it is believed: the
//! checkpoint is signed by the log key, the entry is included in it, and
//! the entry carries exactly the note signed here.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use serde_json::json;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use scrutineer::ballot::{
    AnnouncementNote, AnnouncementRecord, DocumentRef, SignedAnnouncement, Subject,
};
use scrutineer::id::{BallotId, MeetingId, QuestionId};
use scrutineer::rules::BallotKind;
use scrutineer::time::Timestamp;

use super::remote::{LogAnswer, SignerArgs};

/// The kind of a ballot, as the command line names it.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum Kind {
    /// ETSI vote by correspondence: needs `--opens`.
    Correspondence,
    /// ETSI vote during a meeting: needs `--meeting` and `--opens`.
    Meeting,
    /// ITU-T consultation: opens at the announcement; needs
    /// `--meeting-start`.
    Consultation,
}

/// Arguments of `scrutineer announce`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    signer: SignerArgs,
    /// The ballot's id.
    #[arg(long)]
    ballot: BallotId,
    /// The ballot's kind.
    #[arg(long, value_enum)]
    kind: Kind,
    /// The meeting a `meeting` vote is held at.
    #[arg(long)]
    meeting: Option<MeetingId>,
    /// A question, in order; repeat for several.
    #[arg(long = "question", value_name = "QUESTION", default_value = "main")]
    questions: Vec<QuestionId>,
    /// The first instant a vote counts (RFC 3339 UTC); not for a
    /// consultation, which opens at its announcement.
    #[arg(long, value_name = "TIME")]
    opens: Option<Timestamp>,
    /// The first instant a vote no longer counts (RFC 3339 UTC).
    #[arg(long, value_name = "TIME")]
    closes: Timestamp,
    /// The start of the study-group meeting a consultation prepares.
    #[arg(long, value_name = "TIME")]
    meeting_start: Option<Timestamp>,
    /// The ballot's title, e.g. "Approval of GS ETI 001 V1.1.1": the
    /// announcement then says what is voted on (note version 2) and
    /// needs one --question-text per --question.
    #[arg(long, value_name = "TEXT")]
    title: Option<String>,
    /// A question's text, in the order of the questions; repeat for each.
    #[arg(long = "question-text", value_name = "TEXT")]
    question_texts: Vec<String>,
    /// A document voted on (the draft, an annex), uploaded with the
    /// announcement and named in it by SHA-256; repeat for several. Its
    /// media type comes from its extension (pdf, docx, doc, odt, txt, md,
    /// html, xml, zip; anything else is application/octet-stream). Needs
    /// --title.
    #[arg(long = "document", value_name = "FILE")]
    documents: Vec<PathBuf>,
}

/// The media type of a document, from its file name's extension.
fn media_type(path: &std::path::Path) -> &'static str {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("pdf") => "application/pdf",
        Some("docx") => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        Some("doc") => "application/msword",
        Some("odt") => "application/vnd.oasis.opendocument.text",
        Some("txt") => "text/plain",
        Some("md") => "text/markdown",
        Some("html" | "htm") => "text/html",
        Some("xml") => "application/xml",
        Some("zip") => "application/zip",
        _ => "application/octet-stream",
    }
}

/// What is voted on, from the flags: the title, the questions' texts and
/// the documents (read here), or nothing for a version 1 announcement.
fn subject(args: &Args) -> anyhow::Result<(Option<Subject>, Vec<Vec<u8>>)> {
    let Some(title) = &args.title else {
        if !args.question_texts.is_empty() || !args.documents.is_empty() {
            bail!(
                "--question-text and --document need --title (an announcement that says what is voted on)"
            );
        }
        return Ok((None, Vec::new()));
    };
    if args.question_texts.len() != args.questions.len() {
        bail!(
            "{} --question-text for {} questions: give one text per --question, in order",
            args.question_texts.len(),
            args.questions.len()
        );
    }
    let mut documents = Vec::new();
    let mut bytes = Vec::new();
    for path in &args.documents {
        let content =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .with_context(|| format!("{} has no file name in UTF-8", path.display()))?;
        documents.push(DocumentRef::of(&content, media_type(path), name));
        bytes.push(content);
    }
    let subject = Subject {
        title: title.clone(),
        questions: args.question_texts.clone(),
        documents,
    };
    Ok((Some(subject), bytes))
}

/// Builds the ballot's kind and opening from the flags, refusing flags
/// that do not belong to the kind (rather than silently ignoring them).
fn kind_and_opening(args: &Args) -> anyhow::Result<(BallotKind, Option<Timestamp>)> {
    let (meeting, start, opens) = (&args.meeting, args.meeting_start, args.opens);
    Ok(match args.kind {
        Kind::Correspondence => {
            if meeting.is_some() || start.is_some() {
                bail!("a correspondence ballot takes neither --meeting nor --meeting-start");
            }
            let opens = opens.context("a correspondence ballot needs --opens")?;
            (BallotKind::Correspondence, Some(opens))
        }
        Kind::Meeting => {
            if start.is_some() {
                bail!("a meeting ballot does not take --meeting-start");
            }
            let meeting = meeting
                .clone()
                .context("a meeting ballot needs --meeting")?;
            let opens = opens.context("a meeting ballot needs --opens")?;
            (BallotKind::Meeting { meeting }, Some(opens))
        }
        Kind::Consultation => {
            if meeting.is_some() || opens.is_some() {
                bail!(
                    "a consultation opens at its announcement: it takes neither --opens nor \
                     --meeting"
                );
            }
            let meeting_start = start.context("a consultation needs --meeting-start")?;
            (BallotKind::Consultation { meeting_start }, None)
        }
    })
}

/// Signs, submits, checks the answer, prints the entry and its recipients.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let key = args.signer.signing_key()?;
    let (kind, opens) = kind_and_opening(&args)?;
    let (subject, drafts) = subject(&args)?;
    let (client, group) = args.signer.connect()?;

    let note = AnnouncementNote {
        origin: group.origin.clone(),
        ballot: args.ballot.clone(),
        kind,
        questions: args.questions.clone(),
        opens,
        closes: args.closes,
        subject,
    };
    let signed = note.sign(&key).context("cannot sign the announcement")?;
    // What the server parses first, checked here (repeated questions, size).
    let parsed = SignedAnnouncement::parse(&signed).context("the announcement is not valid")?;
    if parsed.note != note {
        bail!("the signed announcement does not read back as written");
    }

    let body = json!({
        "announcement": String::from_utf8(signed.clone())
            .expect("invariant: a signed note is UTF-8"),
        "documents": drafts.iter().map(|d| STANDARD.encode(d)).collect::<Vec<_>>(),
    });
    let answer: LogAnswer = client
        .post_json(&args.signer.server.group_path("/ballots"), &body)
        .and_then(|r| r.json())
        .with_context(|| format!("the announcement of {} was not accepted", args.ballot))?;

    // The answer, checked: a signed checkpoint, the entry in it, and the
    // entry carrying exactly the note signed here.
    let (entry, checkpoint) = answer.check(&args.signer.server, &client, &group.log_key)?;
    let mut record = AnnouncementRecord::from_entry(&entry)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("the logged entry is not an announcement")?;
    // A membership list too long for the entry is stored beside the log:
    // fetched, and held to the hash the proved entry names.
    if let Some(named) = record.recipients_beside {
        let document = client
            .get(&args.signer.server.group_path(&format!(
                "/ballots/{}/documents/{}",
                args.ballot,
                named.to_hex()
            )))
            .map(|r| r.body)
            .context("cannot read the announcement's recipients")?;
        record
            .resolve(&document)
            .map_err(|e| anyhow::anyhow!("{e}"))
            .context("the announcement's recipients document")?;
    }
    if record.body != signed || record.ballot != args.ballot {
        bail!("the logged announcement is not the note signed here");
    }

    println!(
        "announced {} in {}: entry {} (checkpoint size {}), verified in the log",
        args.ballot,
        group.origin,
        answer.index,
        checkpoint.size()
    );
    let names: Vec<&str> = record.recipients.iter().map(|p| p.as_str()).collect();
    println!(
        "sent to {} persons on the membership list: {}",
        record.recipients.len(),
        names.join(", ")
    );
    Ok(ExitCode::SUCCESS)
}
