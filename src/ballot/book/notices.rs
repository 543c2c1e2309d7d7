//! The notices a ballot book owes and offers: the `notification` entries
//! an announcement, a close or a registry change makes owed or possible,
//! the ones a cancellation, tally or certification offers, and the check
//! that what follows an entry is what it owes (`docs/formats.md` 7.9).

use crate::ballot::certification::CERTIFICATION_KIND;
use crate::ballot::lifecycle::Lifecycle;
use crate::ballot::records::{
    CANCELLED_KIND, NOTIFICATION_KIND, Notification, NotificationReason, TALLY_KIND, TallyRecord,
    ballot_only,
};
use crate::ballot::refusal::BallotRefusal;
use crate::entry::Entry;
use crate::id::{BallotId, PersonId};
use crate::registry::{Fact, GroupState};

use super::{BallotBook, settle};

impl BallotBook {
    /// The `registry-change` notices the entry of `fact` offers if it is applied next
    /// to `registry` (as it is before the entry): a person registered
    /// for an organisation it did not represent, or a key registered for
    /// a person, while a ballot is announced or open, is told to every
    /// other person of that organisation (and a key, to its person too),
    /// once per such ballot. Whoever keeps the registry could vote with
    /// either; the verifier flags such a vote whatever was logged, so
    /// these notices are offered, not required (logs written before them
    /// have none). Empty for any other fact.
    pub fn registry_notices(&self, registry: &GroupState, fact: &Fact) -> Vec<Notification> {
        let (organisation, added) = match fact {
            Fact::Person(p) => {
                if registry
                    .person(p.id.as_str())
                    .is_some_and(|old| old.organisation == p.organisation)
                {
                    return Vec::new();
                }
                (&p.organisation, Some(&p.id))
            }
            Fact::Key(k) => match registry.person(k.person.as_str()) {
                Some(person) => (&person.organisation, None),
                None => return Vec::new(),
            },
            _ => return Vec::new(),
        };
        let running = self
            .ballots
            .iter()
            .filter(|(_, b)| matches!(b.lifecycle, Lifecycle::Announced(_) | Lifecycle::Open(_)));
        let mut notices = Vec::new();
        for (ballot, _) in running {
            for person in registry.persons() {
                if person.organisation == *organisation && Some(&person.id) != added {
                    notices.push(Notification {
                        ballot: ballot.clone(),
                        person: person.id.clone(),
                        reason: NotificationReason::RegistryChange,
                    });
                }
            }
        }
        notices
    }

    /// Records that an entry other than a notification was applied, with
    /// the notices it offers ([`Self::registry_notices`]); those of the
    /// entry before lapse.
    pub fn offer(&mut self, notices: Vec<Notification>) {
        self.offered = notices
            .into_iter()
            .map(|n| (n.reason, n.ballot, n.person))
            .collect();
    }

    /// The notices of `reason` (`cancellation`, `tally` or
    /// `certification`) that a cancellation, tally or certification of
    /// `ballot` offers, for the server to log right after it: a
    /// cancellation to everybody its announcement went to, a result to
    /// everybody on the membership list as `registry` has it. The same
    /// before the entry is applied (when the server decides it) and after
    /// (when the fold checks what follows). Empty for any other reason or
    /// an unknown ballot. Offered, not owed: logs written before these
    /// notices have none.
    pub fn outcome_notices(
        &self,
        registry: &GroupState,
        ballot: &BallotId,
        reason: NotificationReason,
    ) -> Vec<Notification> {
        let Some(tracked) = self.ballots.get(ballot) else {
            return Vec::new();
        };
        let persons: Vec<PersonId> = match reason {
            NotificationReason::Cancellation => tracked
                .lifecycle
                .announced()
                .recipients
                .iter()
                .cloned()
                .collect(),
            NotificationReason::Tally | NotificationReason::Certification => {
                registry.membership_list_at_now().cloned().collect()
            }
            _ => Vec::new(),
        };
        persons
            .into_iter()
            .map(|person| Notification {
                ballot: ballot.clone(),
                person,
                reason,
            })
            .collect()
    }

    /// `entry` (a cancellation, tally or certification the server
    /// decided) followed by the notices it offers, at its time
    /// ([`Self::outcome_notices`]); `entry` alone for any other kind.
    pub fn with_outcome_notices(&self, registry: &GroupState, entry: Entry) -> Vec<Entry> {
        let time = entry.time();
        let notices = match entry.kind() {
            kind @ (CANCELLED_KIND | TALLY_KIND | CERTIFICATION_KIND) => {
                self.offered_after(registry, kind, &entry)
            }
            _ => Vec::new(),
        };
        std::iter::once(entry)
            .chain(notices.iter().map(|n| n.to_entry(time)))
            .collect()
    }

    /// The notices the `entry` of `kind` offers.
    pub(super) fn offered_after(
        &self,
        registry: &GroupState,
        kind: &str,
        entry: &Entry,
    ) -> Vec<Notification> {
        let (ballot, reason) = match kind {
            CANCELLED_KIND => (
                ballot_only(entry, CANCELLED_KIND).ok(),
                NotificationReason::Cancellation,
            ),
            TALLY_KIND => (
                TallyRecord::from_entry(entry).ok().map(|r| r.ballot),
                NotificationReason::Tally,
            ),
            _ => (
                entry.get("ballot").and_then(|b| b.parse().ok()),
                NotificationReason::Certification,
            ),
        };
        ballot
            .map(|b| self.outcome_notices(registry, &b, reason))
            .unwrap_or_default()
    }

    /// Whether `entry` may come next: a notification always may; any
    /// other entry only once every notice owed has been logged (each is
    /// logged right after the entry that owes it). Called by every fold
    /// before the entry is applied, registry entries included, and with
    /// `None` at the end of a log.
    pub fn check_nothing_owed(&self, entry: Option<&Entry>) -> Result<(), BallotRefusal> {
        if entry.is_some_and(|e| e.kind() == NOTIFICATION_KIND) {
            return Ok(());
        }
        for (ballot, tracked) in &self.ballots {
            let outbox = &tracked.outbox;
            let owed = outbox
                .announcement
                .first()
                .map(|person| (NotificationReason::Announcement, person))
                .or_else(|| outbox.owed.keys().next().map(|(r, p)| (*r, p)));
            if let Some((reason, person)) = owed {
                return Err(BallotRefusal::NotificationMissing {
                    ballot: ballot.clone(),
                    person: person.clone(),
                    reason,
                });
            }
        }
        Ok(())
    }

    pub(super) fn apply_notification(&mut self, n: Notification) -> Result<(), BallotRefusal> {
        let tracked = self.tracked(&n.ballot)?;
        let unrevealed = tracked
            .lifecycle
            .votes()
            .is_some_and(|v| v.unrevealed() > 0);
        let key = (n.reason, n.person.clone());
        let owed = match n.reason {
            NotificationReason::Announcement => tracked.outbox.announcement.contains(&n.person),
            // Without every note, who is owed cannot be known: the
            // notification is taken as logged (the tally will need every
            // note anyway). Logs written before the notices waited for the
            // close carry each right after its vote: still accepted, as
            // the notice it is.
            NotificationReason::Superseded => {
                tracked.outbox.owed.contains_key(&key)
                    || tracked.outbox.at_close.contains_key(&n.person)
                    || unrevealed
            }
            NotificationReason::Appeal | NotificationReason::Decision => {
                tracked.outbox.owed.contains_key(&key)
            }
            NotificationReason::RegistryChange
            | NotificationReason::Cancellation
            | NotificationReason::Tally
            | NotificationReason::Certification => {
                self.offered
                    .contains(&(n.reason, n.ballot.clone(), n.person.clone()))
            }
        };
        if !owed {
            return Err(BallotRefusal::NotificationNotOwed {
                ballot: n.ballot,
                person: n.person,
                reason: n.reason,
            });
        }
        if n.reason.is_offered() {
            self.offered.remove(&(n.reason, n.ballot, n.person));
            return Ok(());
        }
        let outbox = &mut self.tracked_mut(&n.ballot).outbox;
        if n.reason == NotificationReason::Announcement {
            outbox.announcement.remove(&n.person);
        } else if !settle(&mut outbox.owed, key) && n.reason == NotificationReason::Superseded {
            settle(&mut outbox.at_close, n.person);
        }
        Ok(())
    }
}
