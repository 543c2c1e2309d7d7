//! Reminders before the close (SPEC section 9): at each of the group's
//! reminder times of an open ballot, the eligible organisations of its
//! frozen roll that have no vote logged before that time are reminded.
//!
//! One pure rule for both sides: the server asks it which organisations
//! to remind ([`BallotBook::reminders_due`]), and the verifier, once the
//! votes are revealed, asks it which organisations it should have
//! reminded ([`not_voted_at`]) to check what the log says was sent.

use crate::entry::Entry;
use crate::entry::codec::{
    FormatError, Headers, Times, bad, empty_body, parse_id, parse_time, parse_u32,
};
use crate::id::{BallotId, OrgId, PersonId};
use crate::registry::group::Reminders;
use crate::time::{Duration, Timestamp};

use super::BallotBook;
use super::lifecycle::{Lifecycle, Open};

/// One reminder time of an open ballot that has come.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueReminder {
    /// The ballot.
    pub ballot: BallotId,
    /// The offset, whole hours before the close.
    pub hours: u32,
    /// The reminder time: the close minus the offset.
    pub at: Timestamp,
    /// The eligible organisations with no vote logged before `at`, sorted.
    pub organisations: Vec<OrgId>,
}

/// The reminder time `hours` before `closes`, if it is representable.
pub fn reminder_time(closes: Timestamp, hours: u32) -> Option<Timestamp> {
    closes.checked_sub(Duration::seconds(i64::from(hours) * 3600))
}

/// Whether a reminder at `at` belongs to the ballot `open`: at or after its
/// opening (the roll entry's time) and before its close. A reminder time
/// before the opening is never sent (the announcement was the notice).
pub fn in_window(open: &Open, at: Timestamp) -> bool {
    open.opened_at <= at && at < open.announced.ballot.closes
}

/// The eligible organisations of `open`'s roll that have no vote logged
/// strictly before `at`, sorted by id. Needs the votes revealed (the
/// server's fold always has them; the verifier's after the close); an
/// unrevealed vote counts as cast by nobody.
pub fn not_voted_at(open: &Open, at: Timestamp) -> Vec<OrgId> {
    let voted: std::collections::BTreeSet<u32> = open
        .votes
        .iter()
        .filter(|v| v.time() < at)
        .filter_map(|v| v.revealed.map(|r| r.roll_line))
        .collect();
    open.roll
        .organisations
        .iter()
        .enumerate()
        .filter(|(line, entry)| {
            entry.eligible && !u32::try_from(*line).is_ok_and(|l| voted.contains(&l))
        })
        .map(|(_, entry)| entry.organisation.clone())
        .collect()
}

impl BallotBook {
    /// The reminder times of every open ballot that have come at `now`
    /// (and lie within the ballot's window), with the organisations to
    /// remind, except those `done` says were processed already (whose
    /// organisations are not computed: that reads every vote).
    pub fn reminders_due(
        &self,
        now: Timestamp,
        reminders: &Reminders,
        done: impl Fn(&BallotId, u32) -> bool,
    ) -> Vec<DueReminder> {
        let mut due = Vec::new();
        for (id, tracked) in self.ballots() {
            let Lifecycle::Open(open) = &tracked.lifecycle else {
                continue;
            };
            for &hours in reminders.hours() {
                let Some(at) = reminder_time(open.announced.ballot.closes, hours) else {
                    continue;
                };
                if at <= now && in_window(open, at) && !done(id, hours) {
                    due.push(DueReminder {
                        ballot: id.clone(),
                        hours,
                        at,
                        organisations: not_voted_at(open, at),
                    });
                }
            }
        }
        due
    }
}

/// The entry type that publishes, after the close, one reminder time of a
/// ballot: which organisations had not voted then, and which delegates
/// were reminded (`docs/formats.md` section 7.16).
pub const REMINDER_KIND: &str = "reminder";

/// The `reminder` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderRecord {
    /// The ballot.
    pub ballot: BallotId,
    /// The group's offset, whole hours before the close.
    pub hours: u32,
    /// The reminder time: the close minus the offset.
    pub at: Timestamp,
    /// The eligible organisations with no vote logged before `at`, sorted
    /// and distinct.
    pub organisations: Vec<OrgId>,
    /// The delegates reminded, each with the organisation, sorted and
    /// distinct; each organisation one of `organisations`.
    pub reminded: Vec<(OrgId, PersonId)>,
}

impl ReminderRecord {
    /// The entry at `time`.
    pub fn to_entry(&self, time: Timestamp) -> Entry {
        let mut entry = Entry::new(REMINDER_KIND, time)
            .header("ballot", &self.ballot)
            .header("hours", self.hours)
            .header("at", self.at.to_rfc3339_micros());
        for organisation in &self.organisations {
            entry = entry.header("organisation", organisation);
        }
        for (organisation, person) in &self.reminded {
            entry = entry.header("reminded", format!("{organisation} {person}"));
        }
        entry
    }

    /// Reads a `reminder` entry, refusing lists out of order or repeated
    /// (one byte string per fact).
    pub fn from_entry(entry: &Entry) -> Result<Self, FormatError> {
        let h = Headers::new(
            entry,
            &[
                ("ballot", Times::One),
                ("hours", Times::One),
                ("at", Times::One),
                ("organisation", Times::Many),
                ("reminded", Times::Many),
            ],
        )?;
        empty_body(entry, REMINDER_KIND)?;
        let organisations = h
            .many("organisation")
            .map(|o| parse_id("organisation", o))
            .collect::<Result<Vec<OrgId>, _>>()?;
        if !organisations.windows(2).all(|w| w[0] < w[1]) {
            return Err(bad(
                "organisation",
                h.many("organisation")
                    .collect::<Vec<_>>()
                    .join(" ")
                    .as_str(),
                "distinct organisation ids in ascending order",
            ));
        }
        let reminded = h
            .many("reminded")
            .map(|line| {
                let expected = "an organisation id, one space and a person id";
                let (o, p) = line
                    .split_once(' ')
                    .ok_or_else(|| bad("reminded", line, expected))?;
                let o: OrgId = parse_id("reminded", o)?;
                let p: PersonId = parse_id("reminded", p)?;
                if organisations.binary_search(&o).is_err() {
                    return Err(bad(
                        "reminded",
                        line,
                        "a delegate of an organisation the entry names",
                    ));
                }
                Ok((o, p))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if !reminded.windows(2).all(|w| w[0] < w[1]) {
            return Err(bad(
                "reminded",
                h.many("reminded").collect::<Vec<_>>().join(", ").as_str(),
                "distinct lines in ascending order",
            ));
        }
        Ok(Self {
            ballot: parse_id("ballot", h.required("ballot")?)?,
            hours: parse_u32("hours", h.required("hours")?)?,
            at: parse_time("at", h.required("at")?)?,
            organisations,
            reminded,
        })
    }
}

/// Why the fold refuses a `reminder` entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReminderRefusal {
    /// The ballot is not closed yet (or was never opened): before the
    /// close, reminders stay out of the log.
    #[error("ballot {0} is not closed: its reminders are logged after the close")]
    NotClosed(BallotId),
    /// The offset is not one of the group's.
    #[error("the group sets no reminder {0} hours before the close")]
    NotAnOffset(u32),
    /// `at` is not the close minus the offset, or lies outside the voting
    /// window.
    #[error("{at} is not the reminder time {hours} hours before the close of ballot {ballot}")]
    WrongTime {
        /// The ballot.
        ballot: BallotId,
        /// The offset.
        hours: u32,
        /// The time given.
        at: Timestamp,
    },
    /// This reminder time of this ballot is logged already.
    #[error("the reminder {hours} hours before the close of ballot {ballot} is logged already")]
    AlreadyLogged {
        /// The ballot.
        ballot: BallotId,
        /// The offset.
        hours: u32,
    },
}

/// A `reminder` entry as the fold keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedReminder {
    /// The entry's log index.
    pub index: u64,
    /// The entry.
    pub record: ReminderRecord,
}

impl BallotBook {
    /// Checks a `reminder` entry against the ballot and the group's
    /// offsets, without changing anything. Whether the organisations are
    /// the right ones is the verifier's to report ([`not_voted_at`]), not
    /// a refusal: the log shows what the server did.
    pub fn check_reminder(
        &self,
        record: &ReminderRecord,
        reminders: &Reminders,
    ) -> Result<(), ReminderRefusal> {
        let open = self
            .ballot(record.ballot.as_str())
            .and_then(|t| match &t.lifecycle {
                Lifecycle::Announced(_) | Lifecycle::Open(_) | Lifecycle::Cancelled(_) => None,
                other => other.opened(),
            })
            .ok_or_else(|| ReminderRefusal::NotClosed(record.ballot.clone()))?;
        if !reminders.hours().contains(&record.hours) {
            return Err(ReminderRefusal::NotAnOffset(record.hours));
        }
        if reminder_time(open.announced.ballot.closes, record.hours) != Some(record.at)
            || !in_window(open, record.at)
        {
            return Err(ReminderRefusal::WrongTime {
                ballot: record.ballot.clone(),
                hours: record.hours,
                at: record.at,
            });
        }
        if self
            .reminders_of(&record.ballot)
            .any(|r| r.record.hours == record.hours)
        {
            return Err(ReminderRefusal::AlreadyLogged {
                ballot: record.ballot.clone(),
                hours: record.hours,
            });
        }
        Ok(())
    }

    /// The `reminder` entries of `ballot`, in log order.
    pub fn reminders_of<'a>(
        &'a self,
        ballot: &'a BallotId,
    ) -> impl Iterator<Item = &'a LoggedReminder> + 'a {
        self.reminders
            .iter()
            .filter(move |r| &r.record.ballot == ballot)
    }

    /// Applies a `reminder` entry logged at `index`.
    pub(crate) fn apply_reminder(
        &mut self,
        record: ReminderRecord,
        reminders: &Reminders,
        index: u64,
    ) -> Result<(), ReminderRefusal> {
        self.check_reminder(&record, reminders)?;
        for (_, person) in &record.reminded {
            self.deliveries.reminded(index, &record.ballot, person);
        }
        self.reminders.push(LoggedReminder { index, record });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str) -> Timestamp {
        Timestamp::parse(text).expect("time")
    }

    fn record() -> ReminderRecord {
        ReminderRecord {
            ballot: "B1".parse().expect("id"),
            hours: 168,
            at: t("2026-08-08T00:00:00Z"),
            organisations: vec!["dorset".parse().expect("id"), "essex".parse().expect("id")],
            reminded: vec![
                ("dorset".parse().expect("id"), "dave".parse().expect("id")),
                ("dorset".parse().expect("id"), "erin".parse().expect("id")),
            ],
        }
    }

    #[test]
    fn a_reminder_entry_has_its_exact_bytes_and_reads_back() {
        let entry = record().to_entry(t("2026-08-15T00:00:01Z"));
        assert_eq!(
            String::from_utf8(entry.encode().expect("encodes")).expect("UTF-8"),
            "scrutineer/entry/v1\ntype reminder\ntime 2026-08-15T00:00:01.000000Z\nballot B1\n\
             hours 168\nat 2026-08-08T00:00:00.000000Z\norganisation dorset\n\
             organisation essex\nreminded dorset dave\nreminded dorset erin\n\n"
        );
        assert_eq!(ReminderRecord::from_entry(&entry), Ok(record()));
        assert_eq!(
            reminder_time(t("2026-08-15T00:00:00Z"), 168),
            Some(record().at)
        );
    }

    #[test]
    fn a_reminder_entry_has_one_spelling() {
        let at = t("2026-08-15T00:00:01Z");
        let mut unsorted = record();
        unsorted.organisations.reverse();
        assert!(ReminderRecord::from_entry(&unsorted.to_entry(at)).is_err());
        let mut repeated = record();
        repeated.reminded.push(repeated.reminded[1].clone());
        assert!(ReminderRecord::from_entry(&repeated.to_entry(at)).is_err());
        let mut stranger = record();
        stranger.reminded = vec![("kent".parse().expect("id"), "kim".parse().expect("id"))];
        assert!(
            ReminderRecord::from_entry(&stranger.to_entry(at)).is_err(),
            "a delegate of an organisation not named"
        );
        let mut empty = record();
        empty.organisations.clear();
        empty.reminded.clear();
        assert_eq!(
            ReminderRecord::from_entry(&empty.to_entry(at)),
            Ok(empty),
            "nobody to remind is a fact too"
        );
    }
}
