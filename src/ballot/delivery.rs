//! The `delivery` entry: how the e-mail a `notification` entry owes went
//! out (SPEC section 9, `docs/formats.md` section 7.14), and the fold's
//! record of notifications and their deliveries, from which the verifier
//! reports how an announcement reached its recipients.
//!
//! A delivery of a reminder before the close names the `reminder` entry
//! (logged after the close) by its log index and one of the persons it
//! names.
//!
//! A delivery names the notification by its log index and the person by
//! id, never by address. `accepted` means an SMTP relay took the message
//! (a 250 to the end of its data), not that anyone read it; `failed` means
//! the relay refused it for good (5yz) or the server gave up retrying.

use std::collections::BTreeMap;

use crate::entry::Entry;
use crate::entry::codec::{FormatError, Headers, Times, bad, empty_body, parse_id, parse_word};
use crate::id::{BallotId, PersonId};
use crate::time::Timestamp;

use super::records::{Notification, NotificationReason};

/// The entry type of a delivery's outcome.
pub const DELIVERY_KIND: &str = "delivery";

/// The most bytes of a relay's reply kept in a `delivery` entry.
pub const MAX_REPLY_LEN: usize = 300;

/// How a delivery ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DeliveryOutcome {
    /// The relay accepted the message (SMTP 250 after the data).
    Accepted,
    /// The relay refused it for good (5yz), or every retry until the
    /// give-up time failed.
    Failed,
}

impl DeliveryOutcome {
    /// The header text.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryOutcome::Accepted => "accepted",
            DeliveryOutcome::Failed => "failed",
        }
    }
}

/// The `delivery` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The ballot of the notification.
    pub ballot: BallotId,
    /// The log index of the `notification` entry.
    pub notification: u64,
    /// The person notified (as the notification names them).
    pub person: PersonId,
    /// How it ended.
    pub outcome: DeliveryOutcome,
    /// The relay's reply, or why the delivery failed: printable ASCII, at
    /// most [`MAX_REPLY_LEN`] bytes, never empty ([`reply_text`]).
    pub reply: String,
}

/// A relay's reply as a `reply` header: every character outside printable
/// ASCII becomes a space, runs of spaces become one, the ends are trimmed,
/// at most [`MAX_REPLY_LEN`] bytes are kept, and an empty reply is `-`.
/// A relay's text may hold anything; the log keeps only this.
pub fn reply_text(reply: &str) -> String {
    let mut out = String::with_capacity(reply.len().min(MAX_REPLY_LEN));
    for ch in reply.chars() {
        let ch = if (' '..='~').contains(&ch) { ch } else { ' ' };
        if ch == ' ' && (out.is_empty() || out.ends_with(' ')) {
            continue;
        }
        if out.len() == MAX_REPLY_LEN {
            break;
        }
        out.push(ch);
    }
    let trimmed = out.trim_end().to_owned();
    if trimmed.is_empty() {
        "-".to_owned()
    } else {
        trimmed
    }
}

impl Delivery {
    /// The entry at `time`.
    pub fn to_entry(&self, time: Timestamp) -> Entry {
        Entry::new(DELIVERY_KIND, time)
            .header("ballot", &self.ballot)
            .header("notification", self.notification)
            .header("person", &self.person)
            .header("outcome", self.outcome.as_str())
            .header("reply", &self.reply)
    }

    /// Reads a `delivery` entry.
    pub fn from_entry(entry: &Entry) -> Result<Self, FormatError> {
        let h = Headers::new(
            entry,
            &[
                ("ballot", Times::One),
                ("notification", Times::One),
                ("person", Times::One),
                ("outcome", Times::One),
                ("reply", Times::One),
            ],
        )?;
        empty_body(entry, DELIVERY_KIND)?;
        let index = h.required("notification")?;
        let canonical = !index.is_empty()
            && index.bytes().all(|b| b.is_ascii_digit())
            && (index == "0" || !index.starts_with('0'));
        let notification = canonical
            .then(|| index.parse::<u64>().ok())
            .flatten()
            .ok_or_else(|| {
                bad(
                    "notification",
                    index,
                    "a log index (decimal, no leading zeros)",
                )
            })?;
        let reply = h.required("reply")?;
        if reply_text(reply) != reply {
            return Err(bad(
                "reply",
                reply,
                "printable ASCII, single spaces, trimmed, at most 300 bytes",
            ));
        }
        Ok(Self {
            ballot: parse_id("ballot", h.required("ballot")?)?,
            notification,
            person: parse_id("person", h.required("person")?)?,
            outcome: parse_word(
                "outcome",
                h.required("outcome")?,
                &[DeliveryOutcome::Accepted, DeliveryOutcome::Failed],
                DeliveryOutcome::as_str,
                "accepted|failed",
            )?,
            reply: reply.to_owned(),
        })
    }
}

/// Why the fold refuses a `delivery` entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryRefusal {
    /// The index names no `notification` entry of that ballot and person.
    #[error("entry {notification} is not a notification of ballot {ballot} to {person}")]
    NoSuchNotification {
        /// The index given.
        notification: u64,
        /// The ballot given.
        ballot: BallotId,
        /// The person given.
        person: PersonId,
    },
    /// The notification's delivery is already logged.
    #[error("the delivery of notification {0} is already logged")]
    AlreadyLogged(u64),
}

/// A notification as the fold remembers it, with its delivery if logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notified {
    /// The ballot.
    pub ballot: BallotId,
    /// The person.
    pub person: PersonId,
    /// Why.
    pub reason: NotificationReason,
    /// The logged delivery: its outcome, the reply, and its entry's index.
    pub delivery: Option<(DeliveryOutcome, String, u64)>,
}

/// Every notification of a log by index, with its delivery.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Deliveries {
    notified: BTreeMap<u64, Notified>,
    /// The delegates each `reminder` entry names, by its log index and
    /// the person, with the logged delivery (`reminders.rs`).
    reminded: BTreeMap<(u64, PersonId), (BallotId, Option<Logged>)>,
}

/// A logged delivery: its outcome, the reply, and its entry's index.
pub type Logged = (DeliveryOutcome, String, u64);

impl Deliveries {
    /// Records the notification logged at `index`.
    pub(crate) fn notified(&mut self, index: u64, n: &Notification) {
        self.notified.insert(
            index,
            Notified {
                ballot: n.ballot.clone(),
                person: n.person.clone(),
                reason: n.reason,
                delivery: None,
            },
        );
    }

    /// Records a delegate reminded by the `reminder` entry at `index`:
    /// a delivery may name that entry and the person.
    pub(crate) fn reminded(&mut self, index: u64, ballot: &BallotId, person: &PersonId) {
        self.reminded
            .insert((index, person.clone()), (ballot.clone(), None));
    }

    /// Checks a delivery without changing anything.
    pub(crate) fn check(&self, d: &Delivery) -> Result<(), DeliveryRefusal> {
        if let Some((ballot, delivered)) = self.reminded.get(&(d.notification, d.person.clone())) {
            return match (ballot == &d.ballot, delivered) {
                (true, Some(_)) => Err(DeliveryRefusal::AlreadyLogged(d.notification)),
                (true, None) => Ok(()),
                (false, _) => Err(DeliveryRefusal::NoSuchNotification {
                    notification: d.notification,
                    ballot: d.ballot.clone(),
                    person: d.person.clone(),
                }),
            };
        }
        match self.notified.get(&d.notification) {
            Some(n) if n.ballot == d.ballot && n.person == d.person => match n.delivery {
                Some(_) => Err(DeliveryRefusal::AlreadyLogged(d.notification)),
                None => Ok(()),
            },
            _ => Err(DeliveryRefusal::NoSuchNotification {
                notification: d.notification,
                ballot: d.ballot.clone(),
                person: d.person.clone(),
            }),
        }
    }

    /// Applies a delivery logged at `index`.
    pub(crate) fn apply(&mut self, d: Delivery, index: u64) -> Result<(), DeliveryRefusal> {
        self.check(&d)?;
        if let Some((_, delivered)) = self.reminded.get_mut(&(d.notification, d.person.clone())) {
            *delivered = Some((d.outcome, d.reply, index));
            return Ok(());
        }
        if let Some(n) = self.notified.get_mut(&d.notification) {
            n.delivery = Some((d.outcome, d.reply, index));
        }
        Ok(())
    }

    /// The notifications of `ballot`, by log index.
    pub fn of_ballot<'a>(
        &'a self,
        ballot: &'a BallotId,
    ) -> impl Iterator<Item = (u64, &'a Notified)> + 'a {
        self.notified
            .iter()
            .filter(move |(_, n)| &n.ballot == ballot)
            .map(|(i, n)| (*i, n))
    }

    /// The logged delivery of the reminder entry at `index` to `person`:
    /// `None` if the entry does not name the person, `Some(None)` while no
    /// delivery is logged.
    pub fn reminder_delivery(&self, index: u64, person: &PersonId) -> Option<Option<&Logged>> {
        self.reminded
            .get(&(index, person.clone()))
            .map(|(_, d)| d.as_ref())
    }

    /// The notification logged at `index`.
    pub fn get(&self, index: u64) -> Option<&Notified> {
        self.notified.get(&index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery() -> Delivery {
        Delivery {
            ballot: "B1".parse().expect("id"),
            notification: 17,
            person: "alice".parse().expect("id"),
            outcome: DeliveryOutcome::Accepted,
            reply: reply_text("250 2.0.0 Ok: queued as 1234"),
        }
    }

    #[test]
    fn a_delivery_entry_has_its_exact_bytes_and_reads_back() {
        let at = Timestamp::parse("2026-11-22T12:00:00Z").expect("time");
        let entry = delivery().to_entry(at);
        assert_eq!(
            entry.encode().expect("encodes"),
            b"scrutineer/entry/v1\ntype delivery\ntime 2026-11-22T12:00:00.000000Z\nballot B1\n\
              notification 17\nperson alice\noutcome accepted\nreply 250 2.0.0 Ok: queued as 1234\n\n"
                .to_vec()
        );
        assert_eq!(Delivery::from_entry(&entry), Ok(delivery()));
    }

    #[test]
    fn a_reply_is_kept_as_printable_ascii_only() {
        assert_eq!(
            reply_text(" 451\r\n4.3.0  try\tlater é "),
            "451 4.3.0 try later"
        );
        assert_eq!(reply_text("\r\n"), "-");
        assert_eq!(reply_text(&"x".repeat(400)).len(), MAX_REPLY_LEN);
        let at = Timestamp::parse("2026-11-22T12:00:00Z").expect("time");
        let entry = Entry::new(DELIVERY_KIND, at)
            .header("ballot", "B1")
            .header("notification", "017")
            .header("person", "alice")
            .header("outcome", "accepted")
            .header("reply", "ok");
        assert!(Delivery::from_entry(&entry).is_err(), "leading zero");
        let entry = Entry::new(DELIVERY_KIND, at)
            .header("ballot", "B1")
            .header("notification", "17")
            .header("person", "alice")
            .header("outcome", "accepted")
            .header("reply", "two  spaces");
        assert!(Delivery::from_entry(&entry).is_err(), "not canonical");
    }

    #[test]
    fn a_delivery_needs_its_notification_once() {
        let mut d = Deliveries::default();
        assert!(matches!(
            d.check(&delivery()),
            Err(DeliveryRefusal::NoSuchNotification { .. })
        ));
        d.notified(
            17,
            &Notification {
                ballot: "B1".parse().expect("id"),
                person: "alice".parse().expect("id"),
                reason: NotificationReason::Announcement,
            },
        );
        let mut other = delivery();
        other.person = "bob".parse().expect("id");
        assert!(d.check(&other).is_err(), "another person");
        d.apply(delivery(), 20).expect("applies");
        assert_eq!(
            d.apply(delivery(), 21),
            Err(DeliveryRefusal::AlreadyLogged(17))
        );
    }
}
