//! Registry facts: each change is one entry, decided on the registry at
//! the command's turn in the sequencer and checked there with the fold's
//! own check ([`GroupState::check`]), with the notices it owes.

use crate::id::PersonId;
use crate::note::key::{KeyError, VerifierKey};
use crate::registry::csv::{ImportError, import_attendance};
use crate::registry::organisation::PersonRecord;
use crate::registry::{
    AttendanceRemoved, ChairAppointed, ChairEnded, Fact, GroupState, KeyAdded, KeyRevoked, Refusal,
    ReviewerRecord,
};
use crate::rules::{Attendance, Meeting, Organisation};
use crate::server::sequencer::{Appended, Decided, Refused};
use crate::server::{AppState, Log};
use crate::store::Store;
use crate::time::Timestamp;

use super::{CommandError, first, registry_of};

/// A registry change in the log.
#[derive(Debug)]
pub struct Recorded {
    /// The fact's entry, durable, with the checkpoint that covers it.
    pub appended: Appended,
    /// Whether the change created the resource rather than changed or
    /// removed one.
    pub created: bool,
}

/// Records the fact that `decide` makes from the registry at the command's
/// turn, with whether it creates a resource. A person or key registered
/// for an organisation while a ballot runs is told to its representatives
/// by a `registry-change` notice in the same batch (the fold offers
/// exactly these, [`crate::ballot::BallotBook::registry_notices`]).
pub async fn record<F>(log: &Log, decide: F) -> Result<Recorded, CommandError>
where
    F: FnOnce(&GroupState, Timestamp) -> Result<(Fact, bool), Refused> + Send + 'static,
{
    let group = log.group.clone();
    let committed = log
        .submit(Box::new(move |loaded, time| {
            let registry = registry_of(loaded, &group)?;
            let (fact, created) = decide(registry, time)?;
            registry.check(&fact, time).map_err(|r| Refused::from(&r))?;
            let notices = loaded.book.registry_notices(registry, &fact);
            let entry = fact.to_entry(time);
            let at = entry.time();
            let mut entries = vec![entry];
            entries.extend(notices.iter().map(|n| n.to_entry(at)));
            Ok(Decided {
                entries,
                documents: Vec::new(),
                value: created,
                receipt: None,
            })
        }))
        .await?;
    Ok(Recorded {
        appended: first(committed.appended, "a registry change")?,
        created: committed.value,
    })
}

/// Why an attendance import wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportFailure {
    /// The file has faulty rows (every one is listed) or is not a
    /// registration export.
    #[error(transparent)]
    File(ImportError),
    /// The log refused or could not append the rows.
    #[error(transparent)]
    Command(#[from] CommandError),
}

/// Imports a registration export all or nothing: every row is validated
/// on the registry as it is now, for a full report of the faulty rows;
/// then, if all are valid, the rows are validated once more on the state
/// at the command's turn and appended in one batch, in order.
pub async fn import(log: &Log, csv: Vec<u8>) -> Result<Vec<Appended>, ImportFailure> {
    let group = log.group.clone();
    log.read(|loaded| {
        registry_of(&loaded.state, &group).map(|r| import_attendance(r, &csv).map(|_| ()))
    })
    .await
    .map_err(CommandError::from)?
    .map_err(CommandError::from)?
    .map_err(ImportFailure::File)?;
    let group = log.group.clone();
    let appended = log
        .append_all(move |loaded, time| {
            let registry = registry_of(loaded, &group)?;
            let rows = import_attendance(registry, &csv).map_err(|e| {
                Refused::conflict(e.code(), format!("the registry changed meanwhile: {e}"))
            })?;
            // The rows are upserts of distinct (meeting, person) pairs that
            // depend only on meetings, persons and organisations, so each
            // checked on this state is checked at its own turn.
            let facts: Vec<Fact> = rows.into_iter().map(Fact::Attendance).collect();
            for fact in &facts {
                registry.check(fact, time).map_err(|r| Refused::from(&r))?;
            }
            Ok(facts.iter().map(|f| f.to_entry(time)).collect())
        })
        .await
        .map_err(CommandError::from)?;
    if appended.is_empty() {
        return Err(
            CommandError::Internal("an import of valid rows appended no entry".into()).into(),
        );
    }
    Ok(appended)
}

/// Registers or changes an organisation (a full snapshot).
pub async fn put_organisation(
    log: &Log,
    organisation: Organisation,
) -> Result<Recorded, CommandError> {
    record(log, move |registry, _| {
        let new = registry.organisation(organisation.id.as_str()).is_none();
        Ok((Fact::Organisation(organisation), new))
    })
    .await
}

/// Registers or changes a person (a full snapshot). The person must have
/// an account (names and e-mail addresses live there, never in the log);
/// accounts are never deleted, so the check cannot go stale before the
/// entry is sequenced.
pub async fn put_person(
    store: &Store,
    log: &Log,
    person: PersonRecord,
) -> Result<Recorded, CommandError> {
    if store.account(person.id.as_str()).await?.is_none() {
        return Err(Refused::not_found(format!(
            "no account for person {:?}; create it first",
            person.id.as_str()
        ))
        .into());
    }
    record(log, move |registry, _| {
        let new = registry.person(person.id.as_str()).is_none();
        Ok((Fact::Person(person), new))
    })
    .await
}

/// Registers `key` (C2SP verifier-key text) for `person`: the one path by
/// which a key enters a registry (the API's `POST …/keys` and the approval
/// of a key request made in the browser). The parser refuses small-order
/// keys, wrong ids and non-canonical encodings; the registry's check, on
/// the state at the command's turn, refuses an unknown person, a key named
/// for someone else and a duplicate.
pub async fn register_key(
    log: &Log,
    person: PersonId,
    key: &str,
) -> Result<Recorded, CommandError> {
    let key = VerifierKey::parse(key).map_err(|e| {
        Refused::from(&match e {
            KeyError::WeakKey => Refusal::WeakKey,
            other => Refusal::BadKey(other),
        })
    })?;
    record(log, move |registry, _| {
        if registry.person(person.as_str()).is_none() {
            return Err(Refused::not_found(format!(
                "no person {:?} in the group; register the person first",
                person.as_str()
            )));
        }
        Ok((Fact::Key(KeyAdded { person, key }), true))
    })
    .await
}

/// Revokes the key of `person` whose id is `key_id` (8 lowercase hex
/// digits; any other spelling names no key).
pub async fn revoke_key(
    log: &Log,
    person: PersonId,
    key_id: String,
) -> Result<Recorded, CommandError> {
    record(log, move |registry, _| {
        let key = registry
            .keys_of(person.as_str())
            .iter()
            .find(|k| k.key.id().to_string() == key_id)
            .ok_or_else(|| {
                Refused::not_found(format!(
                    "person {:?} has no key with id {key_id:?}",
                    person.as_str()
                ))
            })?;
        let key_id = key.key.id();
        Ok((Fact::KeyRevoked(KeyRevoked { person, key_id }), false))
    })
    .await
}

/// Registers or changes a meeting (a full snapshot).
pub async fn put_meeting(log: &Log, meeting: Meeting) -> Result<Recorded, CommandError> {
    record(log, move |registry, _| {
        let new = registry.meeting(meeting.id.as_str()).is_none();
        Ok((Fact::Meeting(meeting), new))
    })
    .await
}

/// Records one person's attendance at one meeting (an upsert keyed by
/// meeting and person).
pub async fn put_attendance(log: &Log, attendance: Attendance) -> Result<Recorded, CommandError> {
    record(log, move |registry, _| {
        let new = registry
            .attendance_of(&attendance.meeting, &attendance.person)
            .is_none();
        Ok((Fact::Attendance(attendance), new))
    })
    .await
}

/// Removes a recorded attendance (404 if none is recorded).
pub async fn remove_attendance(
    log: &Log,
    removed: AttendanceRemoved,
) -> Result<Recorded, CommandError> {
    record(log, move |registry, _| {
        if registry
            .attendance_of(&removed.meeting, &removed.person)
            .is_none()
        {
            return Err(Refused::not_found(format!(
                "no attendance of {} at meeting {} is recorded",
                removed.person, removed.meeting
            )));
        }
        Ok((Fact::AttendanceRemoved(removed), false))
    })
    .await
}

/// Appoints a chair or an acting chair for a two-year term from `from`
/// (deviation #1), by default from the entry's time.
pub async fn appoint_chair(
    log: &Log,
    person: PersonId,
    from: Option<Timestamp>,
    acting: bool,
) -> Result<Recorded, CommandError> {
    record(log, move |_, time| {
        let from = from.unwrap_or_else(|| time.floor_micros());
        let term = ChairAppointed::two_year_term(person, from, acting)
            .ok_or_else(|| Refused::from(&Refusal::ChairTerm))?;
        Ok((Fact::Chair(term), true))
    })
    .await
}

/// Ends a running term early: of `person`, or by default of whoever holds
/// the running term of that kind at the entry's time.
pub async fn end_chair(
    log: &Log,
    person: Option<PersonId>,
    acting: bool,
) -> Result<Recorded, CommandError> {
    record(log, move |registry, time| {
        let person = match person {
            Some(person) => person,
            None => registry
                .chair_terms()
                .iter()
                .find(|t| t.acting == acting && t.contains(time.floor_micros()))
                .map(|t| t.person.clone())
                // The registry's code for ending a term that is not
                // running: a conflict with the state (409).
                .ok_or_else(|| {
                    Refused::conflict(
                        "not-chair",
                        format!(
                            "no {} term is running",
                            if acting { "acting" } else { "chair's" }
                        ),
                    )
                })?,
        };
        Ok((Fact::ChairEnded(ChairEnded { person, acting }), false))
    })
    .await
}

/// Appoints an appeal reviewer.
pub async fn appoint_reviewer(log: &Log, person: PersonId) -> Result<Recorded, CommandError> {
    record(log, move |registry, _| {
        let new = !registry.is_reviewer(person.as_str());
        let record = ReviewerRecord {
            person,
            appointed: true,
        };
        Ok((Fact::Reviewer(record), new))
    })
    .await
}

/// Releases an appeal reviewer. Releasing someone who is not a reviewer
/// would log a change that changes nothing: refused as not found.
pub async fn release_reviewer(log: &Log, person: PersonId) -> Result<Recorded, CommandError> {
    record(log, move |registry, _| {
        if !registry.is_reviewer(person.as_str()) {
            return Err(Refused::not_found(format!(
                "{} is not an appeal reviewer of the group",
                person.as_str()
            )));
        }
        let record = ReviewerRecord {
            person,
            appointed: false,
        };
        Ok((Fact::Reviewer(record), false))
    })
    .await
}

/// Approves the key request `id` of `log`'s group: registers its key
/// through [`register_key`], so that a request is judged by exactly the
/// registry's rules, then records the entry's index on the request.
pub async fn approve_key_request(
    state: &AppState,
    log: &Log,
    id: &str,
) -> Result<Recorded, CommandError> {
    let group = &log.group;
    let request =
        state.store.key_request(group, id).await?.ok_or_else(|| {
            Refused::not_found(format!("no key request {id:?} in group {group:?}"))
        })?;
    if request.approved_at.is_some() {
        return Err(Refused::conflict(
            "already-approved",
            format!("key request {id:?} was approved already"),
        )
        .into());
    }
    let person: PersonId = request.person.parse().map_err(|e| {
        CommandError::Internal(format!("key request {id:?} names an invalid person: {e}"))
    })?;
    let recorded = register_key(log, person, &request.verifier_key).await?;
    let now = state.clock.now().to_rfc3339_micros();
    // The key is registered whatever this records: a crash here leaves the
    // request pending, and approving it again is refused by the registry
    // as a duplicate key, which names the key already there.
    state
        .store
        .approve_key_request(group, id, &now, recorded.appended.index)
        .await?;
    Ok(recorded)
}
