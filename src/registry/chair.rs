//! The `chair`, `chair-ended` and `reviewer` entries: who may certify a
//! tally and who may decide an appeal.
//!
//! The chair in office, or an acting chair the secretariat appoints,
//! certifies the tally; an appeal goes to the Director-General, whose
//! office holds the appeal-reviewer role (ISG ETI Annex 3, deviation #6;
//! SPEC 2.1 item 10). Both are logged because the verifier must know, from
//! the log alone, whose signature certifies and who may decide.

use crate::entry::Entry;
use crate::entry::codec::{self, FormatError, Headers};
use crate::id::PersonId;
use crate::registry::Record;
use crate::time::Timestamp;

/// The length of a chair's term in calendar months: two years (ISG ETI
/// Annex 3, deviation #1).
pub const CHAIR_TERM_MONTHS: u32 = 24;

/// A chair's appointment: `type chair`. The term is `[from, to)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChairAppointed {
    /// The person appointed.
    pub person: PersonId,
    /// The first instant of the term.
    pub from: Timestamp,
    /// The first instant after the term; always explicit in the log, at
    /// most two years after `from` (deviation #1).
    pub to: Timestamp,
    /// An acting chair, appointed by the secretariat (SPEC 2.1 item 10);
    /// while an acting term runs it takes precedence over the chair's.
    pub acting: bool,
}

impl ChairAppointed {
    /// A full two-year term from `from` (deviation #1: `to` is `from` plus
    /// 24 calendar months, day clamped to the month's end), or `None` past
    /// the year 9999.
    pub fn two_year_term(person: PersonId, from: Timestamp, acting: bool) -> Option<Self> {
        Some(Self {
            person,
            from,
            to: from.checked_add_months(CHAIR_TERM_MONTHS)?,
            acting,
        })
    }

    /// Whether the term contains `t` (`from ≤ t < to`).
    pub fn contains(&self, t: Timestamp) -> bool {
        self.from <= t && t < self.to
    }
}

impl Record for ChairAppointed {
    const KIND: &'static str = "chair";

    fn to_entry(&self, time: Timestamp) -> Entry {
        Entry::new(Self::KIND, time)
            .header("person", &self.person)
            .header("from", self.from.to_rfc3339_micros())
            .header("to", self.to.to_rfc3339_micros())
            .header("acting", codec::bool_text(self.acting))
    }

    fn from_entry(entry: &Entry) -> Result<Self, FormatError> {
        let h = Headers::without_body(entry, Self::KIND, &["person", "from", "to", "acting"])?;
        Ok(Self {
            person: codec::parse_id("person", h.required("person")?)?,
            from: codec::parse_time("from", h.required("from")?)?,
            to: codec::parse_time("to", h.required("to")?)?,
            acting: codec::parse_bool("acting", h.required("acting")?)?,
        })
    }
}

/// The early end of a running term: `type chair-ended`. The term of
/// `person` (acting or not) that contains the entry's time ends at that
/// time (a resignation, or an acting chair no longer needed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChairEnded {
    /// The chair whose term ends.
    pub person: PersonId,
    /// Whether it is an acting term.
    pub acting: bool,
}

impl Record for ChairEnded {
    const KIND: &'static str = "chair-ended";

    fn to_entry(&self, time: Timestamp) -> Entry {
        Entry::new(Self::KIND, time)
            .header("person", &self.person)
            .header("acting", codec::bool_text(self.acting))
    }

    fn from_entry(entry: &Entry) -> Result<Self, FormatError> {
        let h = Headers::without_body(entry, Self::KIND, &["person", "acting"])?;
        Ok(Self {
            person: codec::parse_id("person", h.required("person")?)?,
            acting: codec::parse_bool("acting", h.required("acting")?)?,
        })
    }
}

/// The appointment or release of an appeal reviewer: `type reviewer`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewerRecord {
    /// The person (of the Director-General's office).
    pub person: PersonId,
    /// `true` to appoint, `false` to release.
    pub appointed: bool,
}

impl Record for ReviewerRecord {
    const KIND: &'static str = "reviewer";

    fn to_entry(&self, time: Timestamp) -> Entry {
        Entry::new(Self::KIND, time)
            .header("person", &self.person)
            .header("appointed", codec::bool_text(self.appointed))
    }

    fn from_entry(entry: &Entry) -> Result<Self, FormatError> {
        let h = Headers::without_body(entry, Self::KIND, &["person", "appointed"])?;
        Ok(Self {
            person: codec::parse_id("person", h.required("person")?)?,
            appointed: codec::parse_bool("appointed", h.required("appointed")?)?,
        })
    }
}
