//! Announcements in the fold: the decision the server takes before
//! sequencing an announcement, and the fold's re-check of a logged one
//! (one function, [`BallotBook::check_announcement`]).

use std::collections::{BTreeMap, BTreeSet};

use crate::entry::Entry;
use crate::id::{BallotId, PersonId};
use crate::registry::GroupState;
use crate::rules::check_schedule;
use crate::time::Timestamp;
use crate::tlog::Hash;

use super::announcement::{AnnouncementNote, AnnouncementRecord, DocumentRef, SignedAnnouncement};
use super::book::{BallotBook, in_entry_or_beside};
use super::certification::certification_fits;
use super::lifecycle::{Announced, Lifecycle};
use super::records::{Notification, NotificationReason};
use super::refusal::{AnnounceRefusal, BallotRefusal};
use super::source::DocumentSource;
use super::statement::{SignatureFailure, verify_signer};
use crate::entry::codec::FormatError;
use crate::entry::codec::hash_text;

/// What the server sequences for a chair's announcement, in one batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnouncementDecision {
    /// The ballot announced.
    pub ballot: BallotId,
    /// Everybody on the membership list now, in id order: the persons the
    /// announcement goes to (Article 6.2).
    pub recipients: Vec<PersonId>,
    /// The `announcement` entry, then one `notification` entry owed to
    /// each recipient, all at the same time.
    pub entries: Vec<Entry>,
    /// The recipients document, when the list is too long for the entry
    /// and is stored beside the log ([`AnnouncementRecord`]).
    pub recipients_beside: Option<Vec<u8>>,
}

/// Checks that the documents sent with an announcement are exactly those
/// its note names (none for a version 1 note), each with the size named,
/// and none twice.
pub fn check_drafts(note: &AnnouncementNote, drafts: &[&[u8]]) -> Result<(), AnnounceRefusal> {
    let refuse = |why: String| Err(AnnounceRefusal::Documents(why));
    let named: &[DocumentRef] = note
        .subject
        .as_ref()
        .map_or(&[], |subject| subject.documents.as_slice());
    let mut sent = BTreeMap::new();
    for bytes in drafts {
        let sha256 = Hash::sha256(bytes);
        if sent.insert(sha256, bytes.len() as u64).is_some() {
            return refuse(format!("document {} is sent twice", hash_text(&sha256)));
        }
        if !named.iter().any(|d| d.sha256 == sha256) {
            return refuse(format!(
                "a document sent ({}, {} bytes) is not one the announcement names",
                hash_text(&sha256),
                bytes.len()
            ));
        }
    }
    for document in named {
        match sent.get(&document.sha256) {
            None => {
                return refuse(format!(
                    "the announcement names {} ({}) but it was not sent",
                    document.file_name,
                    hash_text(&document.sha256)
                ));
            }
            Some(&size) if size != document.size => {
                return refuse(format!(
                    "{} has {size} bytes, the announcement says {}",
                    document.file_name, document.size
                ));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

impl BallotBook {
    /// Decides the chair's signed announcement `note` received at `time`:
    /// the `announcement` entry to sequence, sent to everybody on the
    /// membership list now (Article 6.2), and the notification owed to
    /// each of them. A second announcement of a ballot not yet opened
    /// restarts its notice; the rules' schedule check, with the new
    /// announcement time, decides whether the notice is still long enough.
    /// `drafts` are the documents sent with it, which must be exactly
    /// those a version 2 note names ([`check_drafts`]); the caller stores
    /// them beside the log with the entry.
    pub fn decide_announcement(
        &self,
        registry: &GroupState,
        note: &[u8],
        drafts: &[&[u8]],
        time: Timestamp,
    ) -> Result<AnnouncementDecision, AnnounceRefusal> {
        registry
            .check_time(time)
            .map_err(|e| AnnounceRefusal::Registry(e.to_string()))?;
        let time = time.floor_micros();
        let signed = SignedAnnouncement::parse(note)
            .map_err(|e| AnnounceRefusal::Malformed(e.to_string()))?;
        check_drafts(&signed.note, drafts)?;
        let recipients: BTreeSet<PersonId> = registry.membership_list_at_now().cloned().collect();
        let record = AnnouncementRecord::new(&signed, recipients);
        self.check_announcement(registry, &record, time, registry.entries_applied())?;
        let ballot = record.ballot.clone();
        let mut entries = vec![record.to_entry(time)];
        entries.extend(record.recipients.iter().map(|person| {
            Notification {
                ballot: ballot.clone(),
                person: person.clone(),
                reason: NotificationReason::Announcement,
            }
            .to_entry(time)
        }));
        Ok(AnnouncementDecision {
            recipients_beside: record.document_beside(),
            recipients: record.recipients.into_iter().collect(),
            ballot,
            entries,
        })
    }

    /// Re-checks a logged `announcement` entry at log index `index`, with
    /// its recipients document if it is stored beside the log.
    pub(crate) fn check_announcement_entry(
        &self,
        registry: &GroupState,
        entry: &Entry,
        index: u64,
        notes: &dyn DocumentSource,
    ) -> Result<Announced, BallotRefusal> {
        let malformed =
            |e: FormatError| BallotRefusal::Announcement(AnnounceRefusal::Malformed(e.to_string()));
        let mut record = AnnouncementRecord::from_entry(entry).map_err(malformed)?;
        if let Some(named) = record.recipients_beside {
            let document = in_entry_or_beside(None, &named, notes)?;
            record.resolve(&document).map_err(malformed)?;
        }
        let announced = self
            .check_announcement(registry, &record, entry.time(), index)
            .map_err(BallotRefusal::Announcement)?;
        // The documents voted on are beside the log, each as named.
        let drafts = announced
            .subject
            .iter()
            .flat_map(|s| &s.documents)
            .map(|d| in_entry_or_beside(None, &d.sha256, notes))
            .collect::<Result<Vec<_>, _>>()?;
        let sent: Vec<&[u8]> = drafts.iter().map(AsRef::as_ref).collect();
        let signed = SignedAnnouncement::parse(&record.body)
            .map_err(|e| BallotRefusal::Announcement(AnnounceRefusal::Malformed(e.to_string())))?;
        check_drafts(&signed.note, &sent).map_err(BallotRefusal::Announcement)?;
        Ok(announced)
    }

    /// Judges an announcement record at `time`: its note, the chair's
    /// signature, the recipients, the ballot's state and its schedule.
    pub(crate) fn check_announcement(
        &self,
        registry: &GroupState,
        record: &AnnouncementRecord,
        time: Timestamp,
        index: u64,
    ) -> Result<Announced, AnnounceRefusal> {
        let signed = SignedAnnouncement::parse(&record.body)
            .map_err(|e| AnnounceRefusal::Malformed(e.to_string()))?;
        let note = &signed.note;
        if note.origin != self.origin {
            return Err(AnnounceRefusal::WrongOrigin);
        }
        if note.ballot != record.ballot {
            return Err(AnnounceRefusal::BallotMismatch);
        }
        if !certification_fits(&note.origin, &note.ballot, &note.questions) {
            return Err(AnnounceRefusal::TooManyQuestions(note.questions.len()));
        }
        let signer = signed
            .signer()
            .map_err(|e| AnnounceRefusal::Malformed(e.to_string()))?;
        // SPEC 2.1 item 10 and section 1: the chair in office (or the
        // acting chair) announces.
        if registry.chair_at(time) != Some(&signer) {
            return Err(AnnounceRefusal::NotChair(signer));
        }
        verify_signer(registry, &signed.signed, &signer, time).map_err(|f| match f {
            SignatureFailure::BadSignature => AnnounceRefusal::BadSignature,
            SignatureFailure::KeyRevoked => AnnounceRefusal::KeyRevoked,
        })?;
        let list: BTreeSet<PersonId> = registry.membership_list_at_now().cloned().collect();
        if record.recipients != list {
            return Err(AnnounceRefusal::Recipients);
        }
        // One encoding per announcement: the list in the entry exactly
        // when it fits.
        if *record != AnnouncementRecord::new(&signed, list) {
            return Err(AnnounceRefusal::Malformed(
                "the recipients are stored beside the log although the entry would fit, or \
                 listed although it would not"
                    .into(),
            ));
        }
        if let Some(tracked) = self.ballots.get(&note.ballot)
            && !matches!(tracked.lifecycle, Lifecycle::Announced(_))
        {
            return Err(AnnounceRefusal::NotAnnounced {
                ballot: note.ballot.clone(),
                state: tracked.lifecycle.state(),
            });
        }
        let ballot = note.to_ballot(time);
        let rules_registry = registry
            .to_rules_registry()
            .map_err(|e| AnnounceRefusal::Registry(e.to_string()))?;
        let scheduled = check_schedule(registry.parameters(), &rules_registry, &ballot)
            .map_err(AnnounceRefusal::Schedule)?;
        Ok(Announced {
            ballot,
            scheduled,
            note: Hash::sha256(&record.body),
            index,
            notified: record
                .recipients
                .iter()
                .filter_map(|p| registry.person(p.as_str()))
                .map(|p| p.organisation.clone())
                .collect(),
            recipients: record.recipients.clone(),
            subject: note.subject.clone().map(std::sync::Arc::new),
        })
    }
}
