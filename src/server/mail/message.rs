//! The e-mail a notice becomes: its text from the one template
//! (`templates/mail/notice.txt`), an iCalendar part for an announcement
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
}

#[derive(Template)]
#[template(path = "mail/notice.txt")]
struct NoticeText<'a> {
    reason: &'a str,
    group: &'a str,
    ballot: &'a str,
    title: &'a str,
    opens: String,
    closes: String,
    url: &'a str,
    name: &'a str,
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
    let to: Mailbox = to
        .parse::<lettre::Address>()
        .map(|address| Mailbox::new(Some(name.to_owned()), address))
        .map_err(|_| MessageError::Address(to.to_owned()))?;
    let domain = from.email.domain().to_owned();
    let text = NoticeText {
        reason: &facts.reason,
        group: &facts.group,
        ballot: &facts.ballot,
        title: &facts.title,
        opens: facts.opens.to_rfc3339_micros(),
        closes: facts.closes.to_rfc3339_micros(),
        url: &facts.url,
        name,
    }
    .render()
    .map_err(|e| MessageError::Build(e.to_string()))?;
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
    let message = if facts.reason == "announcement" {
        let uid = calendar_uid(&facts.origin, &facts.ballot, &domain);
        let summary = format!("Vote: {}", facts.title);
        let description = format!(
            "Ballot {} of {}. Votes count from the start of this event until its end.\n{}",
            facts.ballot, facts.group, facts.url
        );
        let calendar = ical::calendar(
            Method::Publish,
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
        let calendar_type = ContentType::parse("text/calendar; charset=utf-8; method=PUBLISH")
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
