//! A tallied ballot's report, built from the replay of its log: the
//! announcement and what was voted on, the roll with each organisation's
//! counted choice, the results, the certification, the appeals and how
//! the announcement went out by e-mail; with the warnings a reviewer must
//! read (no certification, an annulled result, a counted vote signed by a
//! person registered after the announcement, an eligible organisation
//! nobody was there to be told).

use std::collections::BTreeMap;

use crate::ballot::reminders::{in_window, not_voted_at, reminder_time};
use crate::ballot::{BallotBook, Open, hash_text};
use crate::registry::group::Reminders;

use super::report::{
    AppealReport, BallotReport, CertificationReport, CountedChoice, DecisionReport, DocumentReport,
    FailedDelivery, MailReport, OrganisationReport, RemindedReport, ReminderTimeReport,
    RemindersReport,
};
use super::verify::AuditError;

/// The report on `ballot`, which must be tallied, with its warnings.
pub(super) fn ballot_report(
    ballot: &str,
    book: &BallotBook,
    reminders: &Reminders,
    warnings: &mut Vec<String>,
) -> Result<BallotReport, AuditError> {
    let tracked = book
        .ballot(ballot)
        .ok_or_else(|| AuditError::UnknownBallot(ballot.to_owned()))?;
    let Some(tallied) = tracked.lifecycle.tallied() else {
        return Err(AuditError::NotTallied {
            ballot: ballot.to_owned(),
            state: tracked.lifecycle.state(),
        });
    };
    let certification = tracked.lifecycle.certification();
    if certification.is_none() {
        warnings.push(format!(
            "ballot {ballot} is tallied but not certified by the chair at this checkpoint: \
             its result has no authority yet (SPEC 2.1 item 10)"
        ));
    }
    if tracked.annulled() {
        warnings.push(format!(
            "ballot {ballot}: a reviewer overturned the chair's decision on appeal; the \
             result is annulled and a new ballot is needed"
        ));
    }
    let open = &tallied.closed.open;
    let announced = &open.announced;

    // Who the announcement reached, by organisation, as the fold recorded
    // it at the announcement (the registry changes after it).
    let notified = &announced.notified;

    let mut counted: BTreeMap<String, Vec<CountedChoice>> = BTreeMap::new();
    for note in &tallied.tally.counted {
        let Some(logged) = open.votes.by_note_text(note) else {
            continue;
        };
        let Some(revealed) = logged.revealed else {
            continue;
        };
        let late = open.late_signers.get(&logged.index);
        if let Some(late) = late {
            warnings.push(format!(
                "ballot {ballot}: the vote counted for {} ({}) was signed by {}, {late}, after \
                 the announcement ({}): the registry is the secretariat's, so check with the \
                 organisation that this person and key are its own",
                open.organisation_of(&revealed),
                open.question_of(&revealed),
                open.votes.signer(&revealed),
                announced.ballot.announced
            ));
        }
        counted
            .entry(open.organisation_of(&revealed).to_string())
            .or_default()
            .push(CountedChoice {
                question: open.question_of(&revealed).to_string(),
                choice: revealed.choice.to_string(),
                person: open.votes.signer(&revealed).to_string(),
                note: note.clone(),
                registered_after_announcement: late.map(ToString::to_string),
            });
    }
    let organisations = open
        .roll
        .organisations
        .iter()
        .map(|line| {
            let organisation = line.organisation.to_string();
            let reached = notified.contains(organisation.as_str());
            if line.eligible && !reached {
                warnings.push(format!(
                    "eligible organisation {organisation} had nobody on the membership list \
                     when ballot {ballot} was announced: it was not given notice \
                     (Article 6.2)"
                ));
            }
            OrganisationReport {
                eligible: line.eligible,
                reason: line.reason.as_str().to_owned(),
                class: serde_json::to_value(line.class)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                founding: line.founding,
                physical: line.physical.iter().map(ToString::to_string).collect(),
                notified: reached,
                counted: counted.remove(&organisation).unwrap_or_default(),
                organisation,
            }
        })
        .collect();
    let b = &announced.ballot;
    Ok(BallotReport {
        id: ballot.to_owned(),
        announced: b.announced.to_rfc3339_micros(),
        opens: b.opens.to_rfc3339_micros(),
        closes: b.closes.to_rfc3339_micros(),
        questions: b.questions.iter().map(ToString::to_string).collect(),
        title: announced.subject.as_ref().map(|s| s.title.clone()),
        question_texts: announced.subject.as_ref().map(|s| s.questions.clone()),
        documents: announced
            .subject
            .iter()
            .flat_map(|s| &s.documents)
            .map(|d| DocumentReport {
                sha256: hash_text(&d.sha256),
                size: d.size,
                media_type: d.media_type.clone(),
                file_name: d.file_name.clone(),
            })
            .collect(),
        recipients: announced.recipients.len(),
        window: open.roll.window.iter().map(ToString::to_string).collect(),
        roll: hash_text(&open.roll_hash),
        votes: open.votes.len() as u64,
        organisations,
        results: tallied.tally.questions.clone(),
        state: tracked.lifecycle.state().to_owned(),
        certification: certification.map(|c| CertificationReport {
            chair: c.chair.to_string(),
            index: c.index,
            time: c.at.to_rfc3339_micros(),
            size: c.size,
            root: c.root.to_base64(),
        }),
        appeals: tracked
            .appeals
            .iter()
            .map(|a| AppealReport {
                id: hash_text(&a.note),
                appellant: a.appellant.to_string(),
                organisation: a.organisation.to_string(),
                against: a.against.as_str().to_owned(),
                time: a.at.to_rfc3339_micros(),
                grounds: a.grounds.clone(),
                decision: a.decision.as_ref().map(|d| DecisionReport {
                    reviewer: d.reviewer.to_string(),
                    outcome: d.outcome.as_str().to_owned(),
                    time: d.at.to_rfc3339_micros(),
                    reasons: d.reasons.clone(),
                }),
            })
            .collect(),
        annulled: tracked.annulled(),
        mail: mail_report(book, &b.id),
        reminders: reminders_report(book, open, reminders, warnings),
    })
}

/// The reminders before the close of the ballot `open`, as its `reminder`
/// and `delivery` entries say, each checked against the votes (revealed
/// now): every organisation named had no vote logged before the reminder
/// time, and every eligible one without a vote is named. Each mismatch is
/// a warning.
fn reminders_report(
    book: &BallotBook,
    open: &Open,
    reminders: &Reminders,
    warnings: &mut Vec<String>,
) -> RemindersReport {
    let ballot = &open.announced.ballot.id;
    let mut report = RemindersReport {
        offsets: reminders.hours().to_vec(),
        ..RemindersReport::default()
    };
    for logged in book.reminders_of(ballot) {
        let r = &logged.record;
        let expected = not_voted_at(open, r.at);
        let had_voted: Vec<String> = r
            .organisations
            .iter()
            .filter(|o| !expected.contains(o))
            .map(ToString::to_string)
            .collect();
        let left_out: Vec<String> = expected
            .iter()
            .filter(|o| !r.organisations.contains(o))
            .map(ToString::to_string)
            .collect();
        for o in &had_voted {
            warnings.push(format!(
                "ballot {ballot}: the reminder {} hours before the close (entry {}) was sent to \
                 organisation {o}, which had voted before {}: a reminder must go only to \
                 organisations without a vote",
                r.hours, logged.index, r.at
            ));
        }
        for o in &left_out {
            warnings.push(format!(
                "ballot {ballot}: the reminder {} hours before the close (entry {}) left out \
                 eligible organisation {o}, which had not voted before {}",
                r.hours, logged.index, r.at
            ));
        }
        let reminded = r
            .reminded
            .iter()
            .map(|(organisation, person)| {
                let delivery = book
                    .deliveries()
                    .reminder_delivery(logged.index, person)
                    .flatten();
                RemindedReport {
                    organisation: organisation.to_string(),
                    person: person.to_string(),
                    outcome: delivery.map_or("none", |(o, _, _)| o.as_str()).to_owned(),
                    reply: delivery.map(|(_, reply, _)| reply.clone()),
                }
            })
            .collect();
        report.logged.push(ReminderTimeReport {
            hours: r.hours,
            at: r.at.to_rfc3339_micros(),
            index: logged.index,
            organisations: r.organisations.iter().map(ToString::to_string).collect(),
            reminded,
            had_voted,
            left_out,
        });
    }
    report.logged.sort_by(|a, b| a.at.cmp(&b.at));
    for &hours in reminders.hours() {
        let due = reminder_time(open.announced.ballot.closes, hours)
            .is_some_and(|at| in_window(open, at));
        if due && !report.logged.iter().any(|t| t.hours == hours) {
            report.not_logged.push(hours);
        }
    }
    report
}

/// How `ballot`'s announcement went out by e-mail, as the log's
/// `notification` and `delivery` entries say.
fn mail_report(book: &BallotBook, ballot: &crate::id::BallotId) -> MailReport {
    let mut report = MailReport::default();
    for (_, n) in book.deliveries().of_ballot(ballot) {
        if n.reason != crate::ballot::NotificationReason::Announcement {
            continue;
        }
        report.notified += 1;
        match &n.delivery {
            Some((crate::ballot::DeliveryOutcome::Accepted, _, _)) => report.accepted += 1,
            Some((crate::ballot::DeliveryOutcome::Failed, reply, _)) => {
                report.failed.push(FailedDelivery {
                    person: n.person.to_string(),
                    reason: reply.clone(),
                });
            }
            None => report.no_outcome.push(n.person.to_string()),
        }
    }
    report
}
