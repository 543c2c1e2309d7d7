//! What [`super::verify_bundle`] found, as data (serialised by
//! `scrutineer verify --json`) and as the readable report it prints.

use std::fmt;

use serde::Serialize;

use crate::ballot::TallyQuestion;

/// The report of a bundle that verified.
#[derive(Debug, Clone, Serialize)]
pub struct AuditReport {
    /// Always `true` (a failure is an error, not a report); kept so that a
    /// JSON reader need not infer success from the absence of an error.
    pub ok: bool,
    /// The log's origin.
    pub origin: String,
    /// Whether the origin is a simulated-clock server's
    /// (`simulated.invalid/`).
    pub simulated: bool,
    /// The size of the verified checkpoint.
    pub size: u64,
    /// Its root, base64.
    pub root: String,
    /// What was checked, one sentence each, in order.
    pub checks: Vec<String>,
    /// What this bundle alone cannot show, one sentence each: the limits
    /// of the check, said so that nobody reads more into it.
    pub not_checked: Vec<String>,
    /// What verified but deserves attention.
    pub warnings: Vec<String>,
    /// The ballot reported on.
    pub ballot: BallotReport,
    /// The vote receipts checked against the log, if any were given.
    pub receipts: Vec<super::receipt::ReceiptReport>,
    /// The log's other ballots and their states (each replayed too).
    pub other_ballots: Vec<(String, String)>,
    /// What the witnesses' cosignatures show (only with a witness policy).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub witnesses: Option<WitnessReport>,
}

/// What the witnesses' cosignatures show, under the policy given
/// (`super::witnessed`).
#[derive(Debug, Clone, Serialize)]
pub struct WitnessReport {
    /// When the policy's quorum had cosigned the bundle's checkpoint
    /// (RFC 3339), `null` if it has not (the check then fails unless the
    /// quorum is `none`).
    pub quorum_at_size: Option<String>,
    /// Each witness's view, in the policy's order.
    pub witnesses: Vec<WitnessView>,
    /// Per announced ballot: when a quorum had seen its announcement.
    pub announcements: Vec<NoticeEvidence>,
    /// The sizes of cosigned checkpoints beyond the bundle's checkpoint:
    /// the bundle stops before what the witnesses saw later.
    pub beyond: Vec<u64>,
}

/// One witness's view among the cosigned checkpoints given.
#[derive(Debug, Clone, Serialize)]
pub struct WitnessView {
    /// Its name in the policy.
    pub name: String,
    /// Its vkey.
    pub key: String,
    /// How many checkpoints of the verified log it cosigned.
    pub cosigned: usize,
    /// The largest of them.
    pub largest: Option<u64>,
    /// Its earliest and latest timestamps on them (RFC 3339).
    pub first: Option<String>,
    /// See `first`.
    pub last: Option<String>,
    /// How many checkpoints beyond the bundle's it cosigned.
    pub beyond: usize,
}

/// When the witnesses prove an announcement existed.
#[derive(Debug, Clone, Serialize)]
pub struct NoticeEvidence {
    /// The ballot.
    pub ballot: String,
    /// The log index of its (latest) announcement.
    pub index: u64,
    /// The announcement's time as the server logged it.
    pub announced: String,
    /// When the notice must have run by (the opening, or the meeting's
    /// start).
    pub deadline: String,
    /// The time by which a quorum had cosigned a checkpoint containing
    /// the announcement (the k-th smallest timestamp), if it did.
    pub witnessed_by: Option<String>,
    /// Whether the notice period, counted from `witnessed_by`, ends by
    /// the deadline: "notice proven by witnesses".
    pub proven: bool,
}

/// One tallied ballot, as the replay re-derived it.
#[derive(Debug, Clone, Serialize)]
pub struct BallotReport {
    /// Its id.
    pub id: String,
    /// When it was (last) announced.
    pub announced: String,
    /// When it opened.
    pub opens: String,
    /// When it closed.
    pub closes: String,
    /// Its questions.
    pub questions: Vec<String>,
    /// Its title, as the chair signed it (announcement version 2; `null`
    /// for a version 1 announcement).
    pub title: Option<String>,
    /// Each question's text, in the questions' order (version 2).
    pub question_texts: Option<Vec<String>>,
    /// The documents voted on (version 2), each checked against its
    /// SHA-256 by the replay.
    pub documents: Vec<DocumentReport>,
    /// How many persons the announcement went to.
    pub recipients: usize,
    /// The attendance window of the roll (meeting ids, oldest first).
    pub window: Vec<String>,
    /// `sha256:<hex>` of the frozen roll document.
    pub roll: String,
    /// How many vote entries the ballot received (the turnout).
    pub votes: u64,
    /// Every organisation on the roll.
    pub organisations: Vec<OrganisationReport>,
    /// The logged (and re-derived) result of each question.
    pub results: Vec<TallyQuestion>,
    /// Its state: `tallied` or `certified`.
    pub state: String,
    /// The chair's certification, if any.
    pub certification: Option<CertificationReport>,
    /// The appeals against the chair's decisions, in log order.
    pub appeals: Vec<AppealReport>,
    /// Whether a reviewer overturned the announcement or the certification.
    pub annulled: bool,
    /// How the announcement went out by e-mail, as the log's `delivery`
    /// entries say.
    pub mail: MailReport,
    /// The reminders before the close, as the log's `reminder` entries
    /// (logged after the close) and their `delivery` entries say, checked
    /// against the revealed votes.
    pub reminders: RemindersReport,
}

/// The reminders before the close of a ballot (SPEC section 9).
#[derive(Debug, Clone, Default, Serialize)]
pub struct RemindersReport {
    /// The group's offsets, hours before the close.
    pub offsets: Vec<u32>,
    /// Each logged reminder time, earliest first.
    pub logged: Vec<ReminderTimeReport>,
    /// The offsets whose reminder time fell in the voting window but that
    /// no `reminder` entry records (the server was not running then, or
    /// this checkpoint precedes the entry).
    pub not_logged: Vec<u32>,
}

/// One reminder time as logged and as re-derived.
#[derive(Debug, Clone, Serialize)]
pub struct ReminderTimeReport {
    /// The offset, hours before the close.
    pub hours: u32,
    /// The reminder time.
    pub at: String,
    /// The `reminder` entry's log index.
    pub index: u64,
    /// The organisations the entry names (no vote before `at`, it says).
    pub organisations: Vec<String>,
    /// The delegates reminded, with their delivery's outcome.
    pub reminded: Vec<RemindedReport>,
    /// Named organisations that HAD voted before `at` (a problem).
    pub had_voted: Vec<String>,
    /// Eligible organisations without a vote before `at` that the entry
    /// does not name (a problem).
    pub left_out: Vec<String>,
}

/// One delegate reminded.
#[derive(Debug, Clone, Serialize)]
pub struct RemindedReport {
    /// The organisation.
    pub organisation: String,
    /// The person, by id.
    pub person: String,
    /// `accepted`, `failed`, or `none` (no delivery logged).
    pub outcome: String,
    /// The relay's reply or the reason, as logged.
    pub reply: Option<String>,
}

/// How a ballot's announcement was delivered by e-mail, from the log's
/// `notification` and `delivery` entries (SPEC section 9). A relay's
/// acceptance proves that the relay took the message, not that anybody
/// read it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MailReport {
    /// Announcement notifications logged (one per recipient, per
    /// announcement).
    pub notified: usize,
    /// Of which a relay accepted the message.
    pub accepted: usize,
    /// Of which the delivery failed for good: the person and the reason.
    pub failed: Vec<FailedDelivery>,
    /// Persons whose delivery has no outcome in the log (still being
    /// tried, or cut off by this checkpoint).
    pub no_outcome: Vec<String>,
}

/// A delivery that failed for good.
#[derive(Debug, Clone, Serialize)]
pub struct FailedDelivery {
    /// The person, by id.
    pub person: String,
    /// The relay's reply or the reason, as logged.
    pub reason: String,
}

/// A document voted on, found in the bundle with the SHA-256 and size the
/// announcement names.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentReport {
    /// `sha256:<hex>` of its bytes.
    pub sha256: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its media type.
    pub media_type: String,
    /// The file name it is offered under.
    pub file_name: String,
}

/// The chair's certification, re-checked.
#[derive(Debug, Clone, Serialize)]
pub struct CertificationReport {
    /// The chair (or acting chair) who signed it.
    pub chair: String,
    /// Its log index.
    pub index: u64,
    /// Its time.
    pub time: String,
    /// The size of the tree head it binds.
    pub size: u64,
    /// That tree head's root, base64 (checked against the log).
    pub root: String,
}

/// An appeal, re-checked, with its decision.
#[derive(Debug, Clone, Serialize)]
pub struct AppealReport {
    /// `sha256:<hex>` of the appeal's note.
    pub id: String,
    /// Who appealed.
    pub appellant: String,
    /// For which organisation.
    pub organisation: String,
    /// The decision appealed.
    pub against: String,
    /// When.
    pub time: String,
    /// The grounds, one line each.
    pub grounds: Vec<String>,
    /// The reviewer's decision, if any.
    pub decision: Option<DecisionReport>,
}

/// A reviewer's decision.
#[derive(Debug, Clone, Serialize)]
pub struct DecisionReport {
    /// The reviewer.
    pub reviewer: String,
    /// `upheld` or `overturned`.
    pub outcome: String,
    /// When.
    pub time: String,
    /// The reasons, one line each.
    pub reasons: Vec<String>,
}

/// One line of the roll, with the vote that counted for it.
#[derive(Debug, Clone, Serialize)]
pub struct OrganisationReport {
    /// The organisation.
    pub organisation: String,
    /// Its class.
    pub class: String,
    /// Whether it was founding.
    pub founding: bool,
    /// Whether it could vote.
    pub eligible: bool,
    /// Why (the roll's reason code).
    pub reason: String,
    /// The window's meetings it attended physically.
    pub physical: Vec<String>,
    /// Whether somebody representing it was on the announcement's
    /// recipients.
    pub notified: bool,
    /// Its counted choice per question (empty: it did not vote).
    pub counted: Vec<CountedChoice>,
}

/// A counted vote.
#[derive(Debug, Clone, Serialize)]
pub struct CountedChoice {
    /// The question.
    pub question: String,
    /// The choice.
    pub choice: String,
    /// Who signed it.
    pub person: String,
    /// `sha256:<hex>` of the signed note.
    pub note: String,
    /// Set when the signer began representing the organisation, or the
    /// signing key was registered, after the announcement (what the
    /// secretariat, who keeps the registry, could have arranged): says
    /// which and when.
    pub registered_after_announcement: Option<String>,
}

impl fmt::Display for AuditReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.simulated {
            writeln!(
                f,
                "!!! SIMULATED CLOCK: {} is not a real log; nothing here is a real ballot !!!",
                self.origin
            )?;
        }
        writeln!(
            f,
            "Audit of ballot {} in {} (size {}, root {})",
            self.ballot.id, self.origin, self.size, self.root
        )?;
        writeln!(f, "\nChecked:")?;
        for check in &self.checks {
            writeln!(f, "  ok  {check}")?;
        }
        writeln!(f, "\nNot checked:")?;
        for limit in &self.not_checked {
            writeln!(f, "  --  {limit}")?;
        }
        let b = &self.ballot;
        writeln!(
            f,
            "\nBallot {}: announced {} to {} persons, open {} to {}, roll {}, {} vote entries",
            b.id, b.announced, b.recipients, b.opens, b.closes, b.roll, b.votes
        )?;
        if let Some(title) = &b.title {
            writeln!(f, "Title: {title}")?;
        }
        if let Some(texts) = &b.question_texts {
            for (question, text) in b.questions.iter().zip(texts) {
                writeln!(f, "Question {question}: {text}")?;
            }
        }
        for d in &b.documents {
            writeln!(
                f,
                "Document voted on: {} ({}, {} bytes, {}), found with that hash",
                d.file_name, d.media_type, d.size, d.sha256
            )?;
        }
        if !b.window.is_empty() {
            writeln!(f, "Attendance window: {}", b.window.join(", "))?;
        }
        let m = &b.mail;
        writeln!(
            f,
            "Announcement by e-mail: {} notices, {} accepted by a mail relay (not proof that \
             anyone read them), {} failed, {} without an outcome in the log",
            m.notified,
            m.accepted,
            m.failed.len(),
            m.no_outcome.len()
        )?;
        for failed in &m.failed {
            writeln!(
                f,
                "  !!! not delivered to {}: {}",
                failed.person, failed.reason
            )?;
        }
        if !m.no_outcome.is_empty() {
            writeln!(f, "  no outcome logged for: {}", m.no_outcome.join(", "))?;
        }
        let r = &b.reminders;
        let offsets: Vec<String> = r.offsets.iter().map(|h| format!("{h} h")).collect();
        writeln!(
            f,
            "Reminders before the close (offsets: {}): {} logged",
            if offsets.is_empty() {
                "none".to_owned()
            } else {
                offsets.join(", ")
            },
            r.logged.len()
        )?;
        for t in &r.logged {
            let accepted = t
                .reminded
                .iter()
                .filter(|d| d.outcome == "accepted")
                .count();
            writeln!(
                f,
                "  {} h before the close ({}, entry {}): {} organisation(s) without a vote ({}), \
                 {} delegate(s) reminded, {} accepted by a mail relay",
                t.hours,
                t.at,
                t.index,
                t.organisations.len(),
                t.organisations.join(", "),
                t.reminded.len(),
                accepted
            )?;
            for d in t.reminded.iter().filter(|d| d.outcome != "accepted") {
                writeln!(
                    f,
                    "    reminder to {} ({}): {}{}",
                    d.person,
                    d.organisation,
                    d.outcome,
                    d.reply
                        .as_ref()
                        .map(|r| format!(": {r}"))
                        .unwrap_or_default()
                )?;
            }
            for o in &t.had_voted {
                writeln!(f, "    !!! {o} had voted before this reminder time")?;
            }
            for o in &t.left_out {
                writeln!(f, "    !!! {o} had not voted and was not reminded")?;
            }
        }
        for h in &r.not_logged {
            writeln!(f, "  {h} h before the close: no reminder logged")?;
        }
        writeln!(f, "\nOrganisations:")?;
        for o in &b.organisations {
            let eligible = if o.eligible {
                "eligible"
            } else {
                "not eligible"
            };
            let founding = if o.founding { ", founding" } else { "" };
            write!(
                f,
                "  {} ({}{founding}): {eligible} ({})",
                o.organisation, o.class, o.reason
            )?;
            if !o.physical.is_empty() {
                write!(f, ", attended {}", o.physical.join(", "))?;
            }
            writeln!(f)?;
            if o.eligible && o.counted.is_empty() {
                writeln!(f, "      did not vote")?;
            }
            for c in &o.counted {
                writeln!(
                    f,
                    "      {}: {} (signed by {}, {})",
                    c.question, c.choice, c.person, c.note
                )?;
                if let Some(late) = &c.registered_after_announcement {
                    writeln!(
                        f,
                        "      !!! signed by {}, {late}, after the announcement",
                        c.person
                    )?;
                }
            }
        }
        writeln!(f, "\nResult:")?;
        for q in &b.results {
            writeln!(
                f,
                "  {}: {} — in favour {}, against {}, abstain {}, not voted {}, eligible {}",
                q.question, q.outcome, q.in_favour, q.against, q.abstain, q.not_voted, q.eligible
            )?;
        }
        match &b.certification {
            Some(c) => writeln!(
                f,
                "\nCertified by the chair {} at {} (entry {}), binding the log's tree head of \
                 size {} (root {})",
                c.chair, c.time, c.index, c.size, c.root
            )?,
            None => writeln!(f, "\nNot certified by the chair at this checkpoint.")?,
        }
        for a in &b.appeals {
            writeln!(
                f,
                "Appeal {} by {} ({}) against the {} at {}:",
                a.id, a.appellant, a.organisation, a.against, a.time
            )?;
            for line in &a.grounds {
                writeln!(f, "    | {line}")?;
            }
            match &a.decision {
                Some(d) => {
                    writeln!(
                        f,
                        "  {} by the reviewer {} at {}:",
                        d.outcome, d.reviewer, d.time
                    )?;
                    for line in &d.reasons {
                        writeln!(f, "    | {line}")?;
                    }
                }
                None => writeln!(f, "  not decided yet")?,
            }
        }
        if b.annulled {
            writeln!(
                f,
                "The result is ANNULLED on appeal: a new ballot is needed."
            )?;
        }
        for r in &self.receipts {
            writeln!(f, "\nReceipt {}: {}", r.name, r.summary)?;
            if let Some(w) = &r.witnessed {
                writeln!(f, "  witnesses: {}", w.summary)?;
            }
        }
        if !self.other_ballots.is_empty() {
            let others: Vec<String> = self
                .other_ballots
                .iter()
                .map(|(id, state)| format!("{id} ({state})"))
                .collect();
            writeln!(f, "\nOther ballots in the log: {}", others.join(", "))?;
        }
        if let Some(w) = &self.witnesses {
            write!(f, "{w}")?;
        }
        for warning in &self.warnings {
            writeln!(f, "\nwarning: {warning}")?;
        }
        writeln!(f, "\nok: the bundle verifies under the log key")
    }
}

impl fmt::Display for WitnessReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "\nWitnesses:")?;
        match &self.quorum_at_size {
            Some(t) => writeln!(f, "  the quorum had cosigned this checkpoint by {t}")?,
            None => writeln!(f, "  the quorum has NOT cosigned this checkpoint")?,
        }
        for w in &self.witnesses {
            match (&w.largest, &w.first, &w.last) {
                (Some(largest), Some(first), Some(last)) => writeln!(
                    f,
                    "  {}: cosigned {} checkpoints of this log, up to size {largest}, from {first} \
                     to {last}{}",
                    w.name,
                    w.cosigned,
                    if w.beyond > 0 {
                        format!(", and {} beyond this bundle", w.beyond)
                    } else {
                        String::new()
                    }
                )?,
                _ => writeln!(
                    f,
                    "  {}: cosigned no checkpoint of this log given here",
                    w.name
                )?,
            }
        }
        for a in &self.announcements {
            match &a.witnessed_by {
                Some(t) if a.proven => writeln!(
                    f,
                    "  ballot {}: announcement (entry {}) cosigned by a quorum by {t}, the notice \
                     period before {}: notice proven by witnesses",
                    a.ballot, a.index, a.deadline
                )?,
                Some(t) => writeln!(
                    f,
                    "  ballot {}: announcement (entry {}) cosigned by a quorum only by {t}, less \
                     than the notice period before {}: notice NOT proven by witnesses",
                    a.ballot, a.index, a.deadline
                )?,
                None => writeln!(
                    f,
                    "  ballot {}: no quorum cosigned a checkpoint containing its announcement \
                     (entry {}): notice NOT proven by witnesses",
                    a.ballot, a.index
                )?,
            }
        }
        Ok(())
    }
}
