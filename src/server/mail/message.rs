//! The e-mail a notice becomes: its text from the template of its kind
//! (`templates/mail/<reason>.txt`), an iCalendar part for an announcement
//! ([`super::ical`]), and headers derived from the log only, so that the
//! same notice always gives the same message: the `Message-ID` is a hash
//! of the log's origin, the notification's index and the person, and the
//! `Date` is the notification entry's time.

use askama::Template;
use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};

use super::ical::{self, Method, VotingWindow};
use crate::time::Timestamp;
use crate::tlog::Hash;

/// Domain separation of the Message-ID and UID hashes.
const MESSAGE_ID_CONTEXT: &[u8] = b"scrutineer/mail/message-id/v1\n";
const UID_CONTEXT: &[u8] = b"scrutineer/mail/calendar-uid/v1\n";
const SIGN_IN_CONTEXT: &[u8] = b"scrutineer/mail/sign-in-link/v1\n";
const RECEIPT_CONTEXT: &[u8] = b"scrutineer/mail/receipt/v1\n";
const REMINDER_CONTEXT: &[u8] = b"scrutineer/mail/reminder/v1\n";

/// What a notice's message says, read from the log.
#[derive(Debug, Clone)]
pub struct NoticeFacts {
    /// The log's origin.
    pub origin: String,
    /// The group.
    pub group: String,
    /// The notification entry's log index.
    pub index: u64,
    /// Its time.
    pub time: Timestamp,
    /// The person notified, by id.
    pub person: String,
    /// Its reason, as the entry spells it.
    pub reason: String,
    /// The ballot.
    pub ballot: String,
    /// The ballot's title as the chair signed it (its id if none).
    pub title: String,
    /// The voting window.
    pub opens: Timestamp,
    /// The first instant a vote no longer counts.
    pub closes: Timestamp,
    /// The announcements of this ballot to this person before this one
    /// (the calendar's SEQUENCE).
    pub sequence: u32,
    /// The ballot's page.
    pub url: String,
    /// The appeal an `appeal` or `decision` notice is about.
    pub appeal: Option<AppealFacts>,
    /// The result per question, for a `tally` or `certification` notice.
    pub results: Vec<ResultLine>,
    /// The chair who certified, for a `certification` notice.
    pub certified_by: Option<String>,
}

/// One question's result as the logged tally has it.
#[derive(Debug, Clone)]
pub struct ResultLine {
    /// The question.
    pub question: String,
    /// The profile's outcome word (`approved`, `rejected`, …).
    pub outcome: String,
    /// Final votes for.
    pub in_favour: u64,
    /// Final votes against.
    pub against: u64,
    /// Final abstentions.
    pub abstain: u64,
    /// Eligible organisations without a final vote.
    pub not_voted: u64,
    /// Eligible organisations.
    pub eligible: u64,
}

/// The appeal an `appeal` (to the chair) or `decision` (to the appellant)
/// notice is about, as the log has it.
#[derive(Debug, Clone)]
pub struct AppealFacts {
    /// The appeal's id: `sha256:` and the hash of the appellant's note.
    pub id: String,
    /// The appellant, by id.
    pub appellant: String,
    /// The organisation the appellant represents.
    pub organisation: String,
    /// The decision appealed (`announcement`, `cancellation`,
    /// `certification`).
    pub against: &'static str,
    /// The reviewer's decision, for a `decision` notice.
    pub decision: Option<DecisionFacts>,
}

/// A reviewer's decision on an appeal.
#[derive(Debug, Clone)]
pub struct DecisionFacts {
    /// The reviewer, by id.
    pub reviewer: String,
    /// `upheld` or `overturned`.
    pub outcome: &'static str,
}

/// What every notice's template reads (as `n`).
struct Fields<'a> {
    group: &'a str,
    ballot: &'a str,
    title: &'a str,
    opens: String,
    closes: String,
    url: &'a str,
    name: &'a str,
    appeal: Option<&'a AppealFacts>,
    results: &'a [ResultLine],
    certified_by: Option<&'a str>,
}

/// One template per kind of notice, all over the same [`Fields`].
macro_rules! notice_templates {
    ($($name:ident => $path:literal),* $(,)?) => {$(
        #[derive(Template)]
        #[template(path = $path)]
        struct $name<'a> {
            n: &'a Fields<'a>,
        }
    )*};
}

notice_templates! {
    AnnouncementText => "mail/announcement.txt",
    SupersededText => "mail/superseded.txt",
    AppealText => "mail/appeal.txt",
    DecisionText => "mail/decision.txt",
    RegistryChangeText => "mail/registry-change.txt",
    CancellationText => "mail/cancellation.txt",
    TallyText => "mail/tally.txt",
    CertificationText => "mail/certification.txt",
}

/// The subject line and body of the notice `reason` (as the entry spells
/// it) with `fields`.
fn render(reason: &str, fields: &Fields<'_>) -> Result<String, MessageError> {
    let n = fields;
    let rendered = match reason {
        "announcement" => AnnouncementText { n }.render(),
        "superseded" => SupersededText { n }.render(),
        "appeal" => AppealText { n }.render(),
        "decision" => DecisionText { n }.render(),
        "registry-change" => RegistryChangeText { n }.render(),
        "cancellation" => CancellationText { n }.render(),
        "tally" => TallyText { n }.render(),
        "certification" => CertificationText { n }.render(),
        other => {
            return Err(MessageError::Build(format!(
                "no template for the notice {other:?}"
            )));
        }
    };
    rendered.map_err(|e| MessageError::Build(e.to_string()))
}

/// Why a message could not be built.
#[derive(Debug, thiserror::Error)]
pub enum MessageError {
    /// The person's address is not one (a permanent failure).
    #[error("the account's e-mail address {0:?} is not a valid address")]
    Address(String),
    /// The template or the builder failed: a bug.
    #[error("cannot build the message: {0}")]
    Build(String),
}

#[derive(Template)]
#[template(path = "mail/sign-in-link.txt")]
struct SignInLinkText<'a> {
    name: &'a str,
    url: &'a str,
    expires: String,
    minutes: i64,
}

/// The message carrying a sign-in link to `to` (whose name is `name`):
/// the link `url` works once, until `expires`. Its `Message-ID` is derived
/// from the link's id (`link_id`, not a secret).
pub fn sign_in_link(
    from: &Mailbox,
    name: &str,
    to: &str,
    url: &str,
    link_id: &str,
    expires: Timestamp,
    lifetime_seconds: i64,
) -> Result<Message, MessageError> {
    let to = mailbox(name, to)?;
    let text = SignInLinkText {
        name,
        url,
        expires: expires.to_rfc3339_micros(),
        minutes: lifetime_seconds / 60,
    }
    .render()
    .map_err(|e| MessageError::Build(e.to_string()))?;
    let (subject, body) = text.split_once("\n\n").unwrap_or((text.as_str(), ""));
    let hash = Hash::sha256_parts(&[SIGN_IN_CONTEXT, link_id.as_bytes()]);
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(subject.trim())
        .message_id(Some(format!(
            "<{}@{}>",
            &hash.to_hex()[..32],
            from.email.domain()
        )))
        .singlepart(SinglePart::plain(format!("{}\n", body.trim_end())))
        .map_err(|e| MessageError::Build(e.to_string()))
}

#[derive(Template)]
#[template(path = "mail/receipt.txt")]
struct ReceiptText<'a> {
    name: &'a str,
    group: &'a str,
    ballot: &'a str,
    question: &'a str,
    organisation: &'a str,
    index: u64,
    file: &'a str,
    url: &'a str,
}

/// What a vote's receipt message says.
#[derive(Debug, Clone)]
pub struct ReceiptFacts {
    /// The log's origin (for the `Message-ID`).
    pub origin: String,
    /// The group.
    pub group: String,
    /// The ballot.
    pub ballot: String,
    /// The question.
    pub question: String,
    /// The organisation voted for.
    pub organisation: String,
    /// The vote entry's log index.
    pub index: u64,
    /// The ballot's page.
    pub url: String,
    /// The receipt, byte for byte as the API answered it.
    pub receipt: String,
}

/// The mailbox `name <to>`, or why `to` is not an address.
fn mailbox(name: &str, to: &str) -> Result<Mailbox, MessageError> {
    to.parse::<lettre::Address>()
        .map(|address| Mailbox::new(Some(name.to_owned()), address))
        .map_err(|_| MessageError::Address(to.to_owned()))
}

/// The message carrying a vote's receipt to the voter `to` (whose name is
/// `name`), the receipt attached as `<ballot>-<question>-<organisation>.tlog-proof`
/// (the CLI's file name), base64-encoded so that its bytes arrive exactly.
pub fn receipt(
    facts: &ReceiptFacts,
    from: &Mailbox,
    name: &str,
    to: &str,
) -> Result<Message, MessageError> {
    let to = mailbox(name, to)?;
    let file = format!(
        "{}-{}-{}.tlog-proof",
        facts.ballot, facts.question, facts.organisation
    );
    let text = ReceiptText {
        name,
        group: &facts.group,
        ballot: &facts.ballot,
        question: &facts.question,
        organisation: &facts.organisation,
        index: facts.index,
        file: &file,
        url: &facts.url,
    }
    .render()
    .map_err(|e| MessageError::Build(e.to_string()))?;
    let (subject, body) = text.split_once("\n\n").unwrap_or((text.as_str(), ""));
    let hash = Hash::sha256_parts(&[
        RECEIPT_CONTEXT,
        facts.origin.as_bytes(),
        b"\n",
        facts.index.to_string().as_bytes(),
    ]);
    let attachment = SinglePart::builder()
        .header(
            ContentType::parse("text/plain; charset=utf-8")
                .map_err(|e| MessageError::Build(e.to_string()))?,
        )
        .header(lettre::message::header::ContentDisposition::attachment(
            &file,
        ))
        .body(
            lettre::message::Body::new_with_encoding(
                facts.receipt.clone().into_bytes(),
                lettre::message::header::ContentTransferEncoding::Base64,
            )
            .map_err(|_| MessageError::Build("the receipt cannot be encoded".to_owned()))?,
        );
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(subject.trim())
        .message_id(Some(format!(
            "<{}@{}>",
            &hash.to_hex()[..32],
            from.email.domain()
        )))
        .multipart(
            MultiPart::mixed()
                .singlepart(SinglePart::plain(format!("{}\n", body.trim_end())))
                .singlepart(attachment),
        )
        .map_err(|e| MessageError::Build(e.to_string()))
}

#[derive(Template)]
#[template(path = "mail/reminder.txt")]
struct ReminderText<'a> {
    name: &'a str,
    group: &'a str,
    ballot: &'a str,
    title: &'a str,
    organisation: &'a str,
    closes: String,
    url: &'a str,
}

/// What a reminder before the close says.
#[derive(Debug, Clone)]
pub struct ReminderFacts {
    /// The log's origin (for the `Message-ID`).
    pub origin: String,
    /// The group.
    pub group: String,
    /// The ballot.
    pub ballot: String,
    /// The ballot's title as the chair signed it (its id if none).
    pub title: String,
    /// The organisation that has not voted.
    pub organisation: String,
    /// The offset, hours before the close (for the `Message-ID`).
    pub hours: u32,
    /// The reminder time (the message's `Date`).
    pub at: Timestamp,
    /// The close.
    pub closes: Timestamp,
    /// The ballot's page.
    pub url: String,
    /// The person reminded, by id (for the `Message-ID`).
    pub person: String,
}

/// The reminder of `facts` to `to` (whose name is `name`). Its
/// `Message-ID` is a hash of the log's origin, the ballot, the offset and
/// the person: the same for every attempt, in every process.
pub fn reminder(
    facts: &ReminderFacts,
    from: &Mailbox,
    name: &str,
    to: &str,
) -> Result<Message, MessageError> {
    let to = mailbox(name, to)?;
    let text = ReminderText {
        name,
        group: &facts.group,
        ballot: &facts.ballot,
        title: &facts.title,
        organisation: &facts.organisation,
        closes: facts.closes.to_rfc3339_micros(),
        url: &facts.url,
    }
    .render()
    .map_err(|e| MessageError::Build(e.to_string()))?;
    let (subject, body) = text.split_once("\n\n").unwrap_or((text.as_str(), ""));
    let hash = Hash::sha256_parts(&[
        REMINDER_CONTEXT,
        facts.origin.as_bytes(),
        b"\n",
        facts.ballot.as_bytes(),
        b"\n",
        facts.hours.to_string().as_bytes(),
        b"\n",
        facts.person.as_bytes(),
    ]);
    let date = std::time::UNIX_EPOCH
        + std::time::Duration::from_secs(u64::try_from(facts.at.unix_seconds()).unwrap_or(0));
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(subject.trim())
        .date(date)
        .message_id(Some(format!(
            "<{}@{}>",
            &hash.to_hex()[..32],
            from.email.domain()
        )))
        .singlepart(SinglePart::plain(format!("{}\n", body.trim_end())))
        .map_err(|e| MessageError::Build(e.to_string()))
}

/// The `Message-ID` of the notice at `index` of the log `origin` to
/// `person`: the same for every attempt, in every process.
pub fn message_id(origin: &str, index: u64, person: &str, domain: &str) -> String {
    let hash = Hash::sha256_parts(&[
        MESSAGE_ID_CONTEXT,
        origin.as_bytes(),
        b"\n",
        index.to_string().as_bytes(),
        b"\n",
        person.as_bytes(),
    ]);
    format!("<{}@{domain}>", &hash.to_hex()[..32])
}

/// The calendar UID of a ballot: the same in every message about it.
pub fn calendar_uid(origin: &str, ballot: &str, domain: &str) -> String {
    let hash = Hash::sha256_parts(&[UID_CONTEXT, origin.as_bytes(), b"\n", ballot.as_bytes()]);
    format!("{}@{domain}", &hash.to_hex()[..32])
}

/// The message of `facts` from `from` to `to` (whose name is `name`).
pub fn build(
    facts: &NoticeFacts,
    from: &Mailbox,
    name: &str,
    to: &str,
) -> Result<Message, MessageError> {
    let to = mailbox(name, to)?;
    let domain = from.email.domain().to_owned();
    let text = render(
        &facts.reason,
        &Fields {
            group: &facts.group,
            ballot: &facts.ballot,
            title: &facts.title,
            opens: facts.opens.to_rfc3339_micros(),
            closes: facts.closes.to_rfc3339_micros(),
            url: &facts.url,
            name,
            appeal: facts.appeal.as_ref(),
            results: &facts.results,
            certified_by: facts.certified_by.as_deref(),
        },
    )?;
    let (subject, body) = text.split_once("\n\n").unwrap_or((text.as_str(), ""));
    let body = format!("{}\n", body.trim_end());
    let date = std::time::UNIX_EPOCH
        + std::time::Duration::from_secs(u64::try_from(facts.time.unix_seconds()).unwrap_or(0));
    let builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(subject.trim())
        .date(date)
        .message_id(Some(message_id(
            &facts.origin,
            facts.index,
            &facts.person,
            &domain,
        )));
    let method = match facts.reason.as_str() {
        "announcement" => Some(Method::Publish),
        // Same UID, SEQUENCE above the last PUBLISH: calendars drop it.
        "cancellation" => Some(Method::Cancel),
        _ => None,
    };
    let message = if let Some(method) = method {
        let uid = calendar_uid(&facts.origin, &facts.ballot, &domain);
        let summary = format!("Vote: {}", facts.title);
        let description = format!(
            "Ballot {} of {}. Votes count from the start of this event until its end.\n{}",
            facts.ballot, facts.group, facts.url
        );
        let calendar = ical::calendar(
            method,
            &VotingWindow {
                uid: &uid,
                sequence: facts.sequence,
                stamp: facts.time,
                opens: facts.opens,
                closes: facts.closes,
                summary: &summary,
                description: &description,
                url: &facts.url,
            },
        );
        let calendar_type = ContentType::parse(&format!(
            "text/calendar; charset=utf-8; method={}",
            method.as_str()
        ))
        .map_err(|e| MessageError::Build(e.to_string()))?;
        builder.multipart(
            MultiPart::mixed()
                .singlepart(SinglePart::plain(body))
                .singlepart(
                    SinglePart::builder()
                        .header(calendar_type)
                        .header(lettre::message::header::ContentDisposition::attachment(
                            "invite.ics",
                        ))
                        // Base64 keeps the CRLF line endings and the
                        // folding byte for byte (RFC 5545 3.1).
                        .body(
                            lettre::message::Body::new_with_encoding(
                                calendar.into_bytes(),
                                lettre::message::header::ContentTransferEncoding::Base64,
                            )
                            .map_err(|_| {
                                MessageError::Build("the calendar cannot be encoded".to_owned())
                            })?,
                        ),
                ),
        )
    } else {
        builder.singlepart(SinglePart::plain(body))
    };
    message.map_err(|e| MessageError::Build(e.to_string()))
}
