//! Notices by e-mail (SPEC section 9): the dispatcher that sends what the
//! outbox holds and logs how each delivery went.
//!
//! Every `notification` entry has an outbox row, written in the entry's
//! own append transaction (`crate::store::outbox`). The dispatcher of each
//! server process claims due rows under a lease (one process per row, also
//! with several processes on one PostgreSQL database), builds each message
//! from the log ([`message`]), sends it, and then:
//!
//! - the relay accepted it (2yz) or refused it for good (5yz, or a person
//!   without a valid address): the answer is kept in the row
//!   (`recording`), then logged as a `delivery` entry, whose append
//!   transaction settles the row. A crash between the two logs it later
//!   without sending again;
//! - a transient failure (4yz, no connection, a time-out, TLS): retried
//!   with capped exponential back-off, until the give-up time counted
//!   from the notification (then logged as failed);
//! - the group's log is not served (refused at start-up after a restore,
//!   halted): the row waits for it, without an attempt counted and
//!   without a give-up time, and says only that it waits (the cause, which
//!   may name the server's files, goes to the server's log: a row's reply
//!   may become a `delivery` entry).
//!
//! At least once: a crash after the relay accepted a message and before
//! its row says so sends it again when the lease runs out, with the same
//! `Message-ID`. Retry times are on the server's clock (a simulated
//! clock retries when it is moved); leases are on real time.
//!
//! Without `--smtp-url`, each message is written as an `.eml` file under
//! the data directory instead, nothing is logged (nothing was delivered),
//! and the row stays pending, parked, until a relay is configured.

pub mod ical;
pub mod message;
mod private;
mod transport;

pub use transport::{Transport, TransportError};

use std::sync::Arc;
use std::time::Duration as StdDuration;

use lettre::message::Mailbox;

use super::AppState;
use super::clock::Clock;
use super::config::Config;
use super::fold::micros;
use crate::ballot::{Delivery, DeliveryOutcome, NotificationReason, reply_text};
use crate::store::Settlement;
use crate::store::outbox::{OutboxRow, OutboxState};
use message::NoticeFacts;

/// `next_at` of a row parked while no relay is configured.
pub const PARKED: i64 = i64::MAX;

/// How the dispatcher sends and retries.
pub struct Dispatcher {
    transport: Transport,
    from: Mailbox,
    public_url: String,
    give_up: i64,
    retry_base: i64,
    retry_cap: i64,
    lease: i64,
}

/// Why the mail settings are not usable.
#[derive(Debug, thiserror::Error)]
pub enum MailConfigError {
    /// `--mail-from` is not an address.
    #[error("--mail-from {0:?} is not an e-mail address")]
    From(String),
    /// `--smtp-url` without `--mail-from`.
    #[error("--smtp-url needs --mail-from (the sender's address)")]
    NoFrom,
    /// The relay's URL.
    #[error(transparent)]
    Transport(#[from] TransportError),
}

impl Dispatcher {
    /// The dispatcher `config` describes: SMTP with `--smtp-url`, `.eml`
    /// files under the data directory without it.
    pub fn from_config(config: &Config) -> Result<Self, MailConfigError> {
        let from_text = match (&config.mail_from, &config.smtp_url) {
            (Some(from), _) => from.clone(),
            (None, Some(_)) => return Err(MailConfigError::NoFrom),
            (None, None) => "scrutineer@localhost".to_owned(),
        };
        let from: Mailbox = from_text
            .parse()
            .map_err(|_| MailConfigError::From(from_text.clone()))?;
        let transport = match &config.smtp_url {
            Some(url) => {
                let ca = match &config.smtp_ca_file {
                    Some(path) => Some(
                        std::fs::read(path)
                            .map_err(|e| TransportError::Ca(format!("{}: {e}", path.display())))?,
                    ),
                    None => None,
                };
                Transport::smtp(url, from.email.domain(), ca.as_deref())?
            }
            None => Transport::Files(config.data_dir.join("mail")),
        };
        let public_url = config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", config.listen));
        Ok(Self {
            transport,
            from,
            public_url: public_url.trim_end_matches('/').to_owned(),
            give_up: i64::from(config.mail_give_up_hours) * 3_600_000_000,
            retry_base: i64::try_from(config.mail_retry_base_seconds.max(1))
                .unwrap_or(60)
                .saturating_mul(1_000_000),
            retry_cap: i64::try_from(config.mail_retry_cap_seconds.max(1))
                .unwrap_or(3600)
                .saturating_mul(1_000_000),
            lease: i64::try_from(config.mail_lease_seconds.max(1))
                .unwrap_or(300)
                .saturating_mul(1_000_000),
        })
    }

    /// What start-up says about mail.
    pub fn describe(&self) -> String {
        match &self.transport {
            Transport::Files(dir) => format!(
                "no --smtp-url: notices are NOT delivered; each is written as an .eml file in {}",
                dir.display()
            ),
            Transport::Smtp { describe, .. } => format!("notices are sent through {describe}"),
        }
    }

    /// Whether messages leave the server (a relay is configured), rather
    /// than being written as files.
    pub fn sends(&self) -> bool {
        matches!(self.transport, Transport::Smtp { .. })
    }

    /// Sends a sign-in link (`link`, the text after `?link=`) to `account`
    /// at once, not through the outbox: the link's secret is stored only
    /// hashed, so the message cannot be built again later, and a lost one
    /// is simply asked for again. Nothing is logged in any group's log,
    /// and the link never enters a log line.
    pub async fn send_sign_in_link(
        &self,
        account: &crate::store::accounts::Account,
        link_id: &str,
        link: &crate::server::commands::sign_in_links::LinkText,
        expires: crate::time::Timestamp,
        lifetime_seconds: i64,
    ) -> Result<(), String> {
        let url = format!("{}/sign-in/link?link={}", self.public_url, link.as_str());
        let message = message::sign_in_link(
            &self.from,
            &account.name,
            &account.email,
            &url,
            link_id,
            expires,
            lifetime_seconds,
        )
        .map_err(|e| e.to_string())?;
        let name = format!("sign-in-{link_id}.eml");
        match self.transport.send(&message, &name).await {
            Ok(_) => Ok(()),
            Err(
                transport::SendError::Permanent(reply) | transport::SendError::Transient(reply),
            ) => Err(reply_text(&reply)),
        }
    }

    /// The wait before attempt `attempts + 1`, after `attempts` failed:
    /// the base doubled each time, at most the cap.
    fn backoff(&self, attempts: u32) -> i64 {
        let doubled = self
            .retry_base
            .saturating_mul(1_i64 << attempts.saturating_sub(1).min(30));
        doubled.min(self.retry_cap)
    }
}

/// Real time in Unix microseconds (for leases).
fn real_micros() -> i64 {
    micros(Clock::System.now())
}

/// Runs the dispatcher until the task is aborted: the outbox's rows and
/// the private outbox's ([`private`]).
pub async fn run(state: Arc<AppState>, dispatcher: Arc<Dispatcher>) {
    if matches!(dispatcher.transport, Transport::Smtp { .. }) {
        // Rows parked while no relay was configured are due again.
        if let Err(e) = state.store.outbox_unpark(PARKED).await {
            tracing::warn!(error = %e, "cannot requeue the notices written as files");
        }
        if let Err(e) = state.store.private_unpark(PARKED).await {
            tracing::warn!(error = %e, "cannot requeue the reminders written as files");
        }
    }
    loop {
        let private = private::run_once(&state, &dispatcher).await;
        let claimed = state
            .store
            .claim_outbox(
                micros(state.clock.now()),
                real_micros(),
                real_micros().saturating_add(dispatcher.lease),
                64,
            )
            .await;
        let rows = match claimed {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the outbox");
                Vec::new()
            }
        };
        if rows.is_empty() {
            if private {
                continue;
            }
            tokio::time::sleep(StdDuration::from_millis(500)).await;
            continue;
        }
        // Several at once, on the connections lettre keeps to the relay;
        // their `delivery` entries share the sequencer's batches.
        let mut set = tokio::task::JoinSet::new();
        for row in rows {
            let state = Arc::clone(&state);
            let dispatcher = Arc::clone(&dispatcher);
            set.spawn(async move { handle(&state, &dispatcher, row).await });
            while set.len() >= 8 {
                let _ = set.join_next().await;
            }
        }
        while set.join_next().await.is_some() {}
    }
}

/// What became of one attempt.
pub(super) enum Attempt {
    /// Answered for good.
    Final { accepted: bool, reply: String },
    /// To be tried again.
    Transient(String),
    /// Written as a file (no relay).
    Written(String),
    /// Not attempted: the group's log is not served now (checked at
    /// start-up, refused after a restore, halted). Not counted as an
    /// attempt and never given up on: the notice waits for its log.
    Waiting,
}

/// How long a notice waits for its log before it is looked at again, in
/// microseconds of the server's clock.
const LOG_WAIT: i64 = 30_000_000;

/// What a row that waits for its log says in the outbox's view. The
/// cause (which may name the server's files) goes to the server's log,
/// never to the row, whose reply may be logged one day.
const WAITING: &str = "waiting for the group's log to be served";

/// The group's log, or [`Attempt::Waiting`] while it is not served
/// (said at `debug`: once per waiting row each [`LOG_WAIT`]; why the log
/// is not served was said when it was refused).
pub(super) async fn served_log(
    state: &AppState,
    group: &str,
) -> Result<Arc<super::fold::Log>, Attempt> {
    state.log(group).await.map_err(|e| {
        tracing::debug!(group, error = %e, "notices wait: the group's log is not served");
        Attempt::Waiting
    })
}

/// Reads the served log `log` of `group`, or [`Attempt::Waiting`].
pub(super) async fn read_served<T>(
    log: &super::fold::Log,
    group: &str,
    read: impl FnOnce(&super::sequencer::Loaded<super::fold::GroupLogState>) -> T,
) -> Result<T, Attempt> {
    log.read(read).await.map_err(|e| {
        tracing::debug!(group, error = %e, "notices wait: the group's log cannot be read");
        Attempt::Waiting
    })
}

/// The person's account with an address to write to: a store failure is
/// transient, no address is final.
pub(super) async fn recipient(
    state: &AppState,
    person: &str,
) -> Result<crate::store::accounts::Account, Attempt> {
    let account = state.store.account(person).await.map_err(|e| {
        // The store's words stay in the server's log: a reply may
        // become a `delivery` entry.
        tracing::warn!(person, error = %e, "cannot read the account of a notice");
        Attempt::Transient("the server could not read the account".to_owned())
    })?;
    account
        .filter(|a| !a.email.trim().is_empty())
        .ok_or_else(|| Attempt::Final {
            accepted: false,
            reply: "no e-mail address is registered for the person".to_owned(),
        })
}

/// Sends a built message once as the file or relay message `name`.
pub(super) async fn send(
    dispatcher: &Dispatcher,
    built: Result<lettre::Message, message::MessageError>,
    name: &str,
) -> Attempt {
    let message = match built {
        Ok(message) => message,
        Err(e @ message::MessageError::Address(_)) => {
            return Attempt::Final {
                accepted: false,
                reply: e.to_string(),
            };
        }
        Err(e) => return Attempt::Transient(e.to_string()),
    };
    match dispatcher.transport.send(&message, name).await {
        Ok(transport::Sent::Relay(reply)) => Attempt::Final {
            accepted: true,
            reply,
        },
        Ok(transport::Sent::File(path)) => Attempt::Written(path),
        Err(transport::SendError::Permanent(reply)) => Attempt::Final {
            accepted: false,
            reply,
        },
        Err(transport::SendError::Transient(reason)) => Attempt::Transient(reason),
    }
}

async fn handle(state: &AppState, dispatcher: &Dispatcher, row: OutboxRow) {
    let group = row.group.clone();
    let index = row.notice.index;
    if row.state == OutboxState::Recording {
        let accepted = row.accepted.unwrap_or(false);
        let reply = row.last_reply.clone().unwrap_or_default();
        log_outcome(state, &row, accepted, &reply).await;
        return;
    }
    let outcome = attempt(state, dispatcher, &row).await;
    let settled = settlement(
        dispatcher,
        &group,
        outcome,
        row.attempts,
        row.notice.created_at,
        micros(state.clock.now()),
    );
    let stored = match settled {
        Settlement::Answered {
            attempts,
            accepted,
            reply,
        } => {
            let stored = state
                .store
                .outbox_answered(&group, index, attempts, accepted, &reply)
                .await;
            if stored.is_ok() {
                log_outcome(state, &row, accepted, &reply).await;
            }
            stored
        }
        Settlement::Retry {
            attempts,
            next_at,
            reply,
        } => {
            state
                .store
                .outbox_retry(&group, index, attempts, next_at, &reply)
                .await
        }
    };
    if let Err(e) = stored {
        tracing::warn!(group = %group, index, error = %e, "cannot update the outbox");
    }
}

/// What becomes of a row of `group`, tried `attempts` times before and
/// owed since `created_at`, after `outcome` at `now` (server clock):
/// answered; given up on once transient failures reach the give-up time;
/// retried after the back-off; parked when written as a file; looked at
/// again later, the attempt not counted, while its log is not served.
pub(super) fn settlement(
    dispatcher: &Dispatcher,
    group: &str,
    outcome: Attempt,
    attempts: u32,
    created_at: i64,
    now: i64,
) -> Settlement {
    let tried = attempts.saturating_add(1);
    match outcome {
        Attempt::Final { accepted, reply } => Settlement::Answered {
            attempts: tried,
            accepted,
            reply: reply_text(&reply),
        },
        Attempt::Transient(reason) => {
            let reason = reply_text(&reason);
            if now >= created_at.saturating_add(dispatcher.give_up) {
                Settlement::Answered {
                    attempts: tried,
                    accepted: false,
                    reply: reply_text(&format!("gave up after {tried} attempts; last: {reason}")),
                }
            } else {
                tracing::info!(group, attempts = tried, %reason, "delivery deferred");
                Settlement::Retry {
                    attempts: tried,
                    next_at: now.saturating_add(dispatcher.backoff(tried)),
                    reply: reason,
                }
            }
        }
        Attempt::Written(file) => Settlement::Retry {
            attempts: tried,
            next_at: PARKED,
            reply: format!("not sent (no --smtp-url); written to {file}"),
        },
        Attempt::Waiting => Settlement::Retry {
            attempts,
            next_at: now.saturating_add(LOG_WAIT),
            reply: WAITING.to_owned(),
        },
    }
}

/// Builds the row's message and sends it once.
async fn attempt(state: &AppState, dispatcher: &Dispatcher, row: &OutboxRow) -> Attempt {
    let account = match recipient(state, &row.notice.person).await {
        Ok(account) => account,
        Err(attempt) => return attempt,
    };
    let facts = match facts_of(state, dispatcher, row).await {
        Ok(facts) => facts,
        Err(attempt) => return attempt,
    };
    let built = message::build(&facts, &dispatcher.from, &account.name, &account.email);
    let name = format!(
        "{}-{}-{}.eml",
        row.group, row.notice.index, row.notice.person
    );
    send(dispatcher, built, &name).await
}

/// What the message of `row` says, read from the group's log.
async fn facts_of(
    state: &AppState,
    dispatcher: &Dispatcher,
    row: &OutboxRow,
) -> Result<NoticeFacts, Attempt> {
    let log = served_log(state, &row.group).await?;
    let ballot = row.notice.ballot.clone();
    let person = row.notice.person.clone();
    let index = row.notice.index;
    let reason = row.notice.reason.clone();
    let found = read_served(&log, &row.group, move |loaded| {
        let book = &loaded.state.book;
        let tracked = book.ballot(&ballot)?;
        let announced = tracked.lifecycle.announced();
        let title = announced
            .subject
            .as_ref()
            .map_or_else(|| ballot.clone(), |s| s.title.clone());
        let sequence = book
            .deliveries()
            .of_ballot(&announced.ballot.id)
            .filter(|(i, n)| {
                *i < index
                    && n.reason == NotificationReason::Announcement
                    && n.person.as_str() == person
            })
            .count();
        let appeal = appeal_of(&tracked.appeals, &reason, &person, index);
        let (results, certified_by) = results_of(&tracked.lifecycle);
        Some((
            title,
            announced.ballot.opens,
            announced.ballot.closes,
            u32::try_from(sequence).unwrap_or(u32::MAX),
            appeal,
            results,
            certified_by,
        ))
    })
    .await?;
    let (title, opens, closes, sequence, appeal, results, certified_by) =
        found.ok_or_else(|| {
            Attempt::Transient(format!("ballot {} is not in the log", row.notice.ballot))
        })?;
    let time = crate::time::Timestamp::from_unix_nanos(i128::from(row.notice.created_at) * 1000)
        .ok_or_else(|| Attempt::Transient("the notification's time is out of range".to_owned()))?;
    Ok(NoticeFacts {
        origin: log.origin.as_str().to_owned(),
        group: row.group.clone(),
        index,
        time,
        person: row.notice.person.clone(),
        reason: row.notice.reason.clone(),
        url: format!(
            "{}/groups/{}/ballots/{}",
            dispatcher.public_url, row.group, row.notice.ballot
        ),
        ballot: row.notice.ballot.clone(),
        title,
        opens,
        closes,
        sequence,
        appeal,
        results,
        certified_by,
    })
}

/// The logged result per question of a tallied (or certified) ballot,
/// and the chair who certified it: nothing before the tally.
fn results_of(lifecycle: &crate::ballot::Lifecycle) -> (Vec<message::ResultLine>, Option<String>) {
    use crate::ballot::Lifecycle;
    let (tally, chair) = match lifecycle {
        Lifecycle::Tallied(t) => (&t.tally, None),
        Lifecycle::Certified(c) => (&c.tallied.tally, Some(c.certification.chair.to_string())),
        _ => return (Vec::new(), None),
    };
    let lines = tally
        .questions
        .iter()
        .map(|q| message::ResultLine {
            question: q.question.to_string(),
            outcome: q.outcome.clone(),
            in_favour: q.in_favour,
            against: q.against,
            abstain: q.abstain,
            not_voted: q.not_voted,
            eligible: q.eligible,
        })
        .collect();
    (lines, chair)
}

/// The appeal the notice `reason` to `person` at log index `index` is
/// about: for `appeal`, the last appeal logged before it (each is
/// notified right after its entry); for `decision`, the person's appeal
/// decided last before it.
fn appeal_of(
    appeals: &[crate::ballot::Appeal],
    reason: &str,
    person: &str,
    index: u64,
) -> Option<message::AppealFacts> {
    let found = match reason {
        "appeal" => appeals.iter().rev().find(|a| a.index < index),
        "decision" => appeals
            .iter()
            .filter(|a| a.appellant.as_str() == person)
            .filter(|a| a.decision.as_ref().is_some_and(|d| d.index < index))
            .max_by_key(|a| a.decision.as_ref().map(|d| d.index)),
        _ => None,
    }?;
    Some(message::AppealFacts {
        id: crate::entry::codec::hash_text(&found.note),
        appellant: found.appellant.to_string(),
        organisation: found.organisation.to_string(),
        against: found.against.as_str(),
        decision: found
            .decision
            .as_ref()
            .filter(|_| reason == "decision")
            .map(|d| message::DecisionFacts {
                reviewer: d.reviewer.to_string(),
                outcome: d.outcome.as_str(),
            }),
    })
}

/// Logs the outcome as a `delivery` entry (which settles the row); a
/// failure leaves the row `recording`, to be logged at the next claim.
async fn log_outcome(state: &AppState, row: &OutboxRow, accepted: bool, reply: &str) {
    let delivery = match (row.notice.ballot.parse(), row.notice.person.parse()) {
        (Ok(ballot), Ok(person)) => Delivery {
            ballot,
            notification: row.notice.index,
            person,
            outcome: if accepted {
                DeliveryOutcome::Accepted
            } else {
                DeliveryOutcome::Failed
            },
            reply: reply_text(reply),
        },
        _ => {
            tracing::warn!(group = %row.group, index = row.notice.index, "outbox row names no valid ids");
            return;
        }
    };
    let logged = match state.log(&row.group).await {
        Ok(log) => super::commands::deliveries::record(&log, delivery)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    if let Err(e) = logged {
        tracing::warn!(group = %row.group, index = row.notice.index, error = %e, "cannot log a delivery");
        let _ = state
            .store
            .outbox_release(&row.group, row.notice.index)
            .await;
    }
}
