//! The `group` entry: a group's creation, its profile and its parameters.
//!
//! It is the first entry of every group log, exactly once (the genesis of
//! [`super::GroupState`]). The parameters are written out in full rather
//! than as overrides of the profile's defaults, so that a verifier reads
//! the group's threshold and notice from the log itself.

use std::fmt;
use std::str::FromStr;

use crate::entry::Entry;
use crate::entry::codec::{self, FormatError, Headers};
use crate::id::{Id, IdError};
use crate::registry::Record;
use crate::rules::{
    CorrespondenceWindow, KindTag, Notice, ParameterError, ParameterOverrides, Parameters, Profile,
};
use crate::time::Timestamp;

/// The id of a group (an ISG or a study group): the same syntax as every
/// id (SPEC section 3), but never to be confused with an organisation's.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GroupId(Id);

impl GroupId {
    /// Checks `text` against the id syntax and wraps it.
    pub fn new(text: &str) -> Result<Self, IdError> {
        Id::new(text).map(Self)
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Display for GroupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl FromStr for GroupId {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

/// The creation of a group: `type group`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRecord {
    /// The group's id.
    pub id: GroupId,
    /// Its rules profile.
    pub profile: Profile,
    /// The approval threshold in whole percent (TWP 1.7: 71; Res. 1
    /// §9.4.5: 70).
    pub threshold_percent: u32,
    /// The notice: exact days for `etsi-isg`, calendar months for
    /// `itu-t-tap`.
    pub notice: Notice,
    /// The correspondence-vote attendance window; present exactly for
    /// `etsi-isg` (SPEC 2.1 item 2), absent for `itu-t-tap`.
    pub correspondence_window: Option<CorrespondenceWindow>,
    /// The appeal deadline in exact days after certification, if the group
    /// sets one: none by default, the texts set none (SPEC 2.1 item 10).
    pub appeal_deadline_days: Option<u32>,
    /// When, before a ballot's close, the delegates of eligible
    /// organisations that have not voted are reminded by e-mail (SPEC
    /// section 9). Written (`reminder-hours`) only when not the default.
    pub reminders: Reminders,
}

/// The reminder offsets of a group: whole hours before a ballot's close,
/// distinct, largest first, at most [`Reminders::MAX`], each between 1 and
/// 8784 (a leap year). The default is 168 and 24 (seven days and one day);
/// none at all is allowed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reminders(Vec<u32>);

/// Why a list of reminder offsets is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RemindersError {
    /// Too many offsets.
    #[error("at most {} reminders", Reminders::MAX)]
    TooMany,
    /// An offset of zero hours or of more than a year.
    #[error("a reminder is between 1 and 8784 hours before the close, not {0}")]
    OutOfRange(u32),
    /// The same offset twice.
    #[error("the reminder {0} hours before the close is given twice")]
    Repeated(u32),
}

impl Default for Reminders {
    fn default() -> Self {
        Self(vec![168, 24])
    }
}

impl Reminders {
    /// The most offsets a group may set.
    pub const MAX: usize = 8;

    /// The offsets `hours`, in any order, checked and sorted largest first.
    pub fn new(hours: &[u32]) -> Result<Self, RemindersError> {
        if hours.len() > Self::MAX {
            return Err(RemindersError::TooMany);
        }
        let mut sorted = hours.to_vec();
        sorted.sort_unstable_by(|a, b| b.cmp(a));
        for pair in sorted.windows(2) {
            if pair[0] == pair[1] {
                return Err(RemindersError::Repeated(pair[0]));
            }
        }
        if let Some(&bad) = sorted.iter().find(|&&h| h == 0 || h > 8784) {
            return Err(RemindersError::OutOfRange(bad));
        }
        Ok(Self(sorted))
    }

    /// The offsets in hours, largest first (earliest reminder first).
    pub fn hours(&self) -> &[u32] {
        &self.0
    }

    /// The header value: the offsets largest first, separated by `,`, or
    /// `none`.
    pub fn to_header(&self) -> String {
        if self.0.is_empty() {
            return "none".to_owned();
        }
        self.0
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Reads a header value, refusing any other spelling than
    /// [`Reminders::to_header`]'s (canonical form).
    pub fn from_header(value: &str) -> Result<Self, FormatError> {
        let bad = || FormatError::BadValue {
            header: "reminder-hours",
            value: value.to_owned(),
            expected: "none, or distinct hours 1..8784 largest first, separated by commas",
        };
        if value == "none" {
            return Ok(Self(Vec::new()));
        }
        let hours = value
            .split(',')
            .map(|h| codec::parse_u32("reminder-hours", h))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| bad())?;
        let reminders = Self::new(&hours).map_err(|_| bad())?;
        if reminders.0 != hours {
            return Err(bad());
        }
        Ok(reminders)
    }
}

/// Why a group record cannot create a group.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GroupProblem {
    /// A parameter outside its range or not of the profile.
    #[error(transparent)]
    Parameter(#[from] ParameterError),
    /// `correspondence-window` is required for a profile with
    /// correspondence votes, and refused otherwise.
    #[error("correspondence-window must be given exactly for profile etsi-isg")]
    CorrespondenceWindow,
    /// An appeal deadline of zero days would forbid every appeal; omit the
    /// header for "no deadline".
    #[error("appeal-deadline-days must be at least 1 (omit it for no deadline)")]
    ZeroAppealDeadline,
}

impl GroupRecord {
    /// A group with its profile's default parameters and no appeal
    /// deadline.
    pub fn defaults(id: GroupId, profile: Profile) -> Self {
        Self::from_parameters(id, &Parameters::defaults(profile), None)
    }

    /// The record of a group whose parameters are `parameters`. Only the
    /// threshold, the notice and the correspondence window are recorded:
    /// everything else in [`Parameters`] follows from the profile.
    pub fn from_parameters(
        id: GroupId,
        parameters: &Parameters,
        appeal_deadline_days: Option<u32>,
    ) -> Self {
        let has_window = parameters.kinds.contains(&KindTag::Correspondence);
        Self {
            id,
            profile: parameters.profile,
            threshold_percent: parameters.threshold.get(),
            notice: parameters.notice,
            correspondence_window: has_window.then_some(parameters.correspondence_window),
            appeal_deadline_days,
            reminders: Reminders::default(),
        }
    }

    /// The rules' parameters of the group, refusing a record whose headers
    /// do not fit its profile.
    pub fn parameters(&self) -> Result<Parameters, GroupProblem> {
        let overrides = ParameterOverrides {
            threshold_percent: Some(self.threshold_percent),
            notice_days: match self.notice {
                Notice::ExactDays(days) => Some(days),
                Notice::CalendarMonths(_) => None,
            },
            notice_months: match self.notice {
                Notice::CalendarMonths(months) => Some(months),
                Notice::ExactDays(_) => None,
            },
            correspondence_window: self.correspondence_window,
        };
        let parameters = Parameters::with_overrides(self.profile, &overrides)?;
        // Written out in full: a profile with correspondence votes must
        // state its window, so that no default is implied by the log.
        let has_window = parameters.kinds.contains(&KindTag::Correspondence);
        if has_window != self.correspondence_window.is_some() {
            return Err(GroupProblem::CorrespondenceWindow);
        }
        if self.appeal_deadline_days == Some(0) {
            return Err(GroupProblem::ZeroAppealDeadline);
        }
        Ok(parameters)
    }
}

const PROFILES: [Profile; 2] = [Profile::EtsiIsg, Profile::ItuTTap];
const WINDOWS: [CorrespondenceWindow; 2] = [
    CorrespondenceWindow::Plenaries,
    CorrespondenceWindow::FaceToFacePlenaries,
];

impl Record for GroupRecord {
    const KIND: &'static str = "group";

    fn to_entry(&self, time: Timestamp) -> Entry {
        let mut entry = Entry::new(Self::KIND, time)
            .header("group", &self.id)
            .header("profile", self.profile)
            .header("threshold-percent", self.threshold_percent);
        entry = match self.notice {
            Notice::ExactDays(days) => entry.header("notice-days", days),
            Notice::CalendarMonths(months) => entry.header("notice-months", months),
        };
        if let Some(window) = self.correspondence_window {
            entry = entry.header("correspondence-window", window.as_str());
        }
        if let Some(days) = self.appeal_deadline_days {
            entry = entry.header("appeal-deadline-days", days);
        }
        if self.reminders != Reminders::default() {
            entry = entry.header("reminder-hours", self.reminders.to_header());
        }
        entry
    }

    fn from_entry(entry: &Entry) -> Result<Self, FormatError> {
        let h = Headers::without_body(
            entry,
            Self::KIND,
            &[
                "group",
                "profile",
                "threshold-percent",
                "notice-days",
                "notice-months",
                "correspondence-window",
                "appeal-deadline-days",
                "reminder-hours",
            ],
        )?;
        let profile = h.required("profile")?;
        let notice = match (h.optional("notice-days"), h.optional("notice-months")) {
            (Some(days), None) => Notice::ExactDays(codec::parse_u32("notice-days", days)?),
            (None, Some(months)) => {
                Notice::CalendarMonths(codec::parse_u32("notice-months", months)?)
            }
            (None, None) => return Err(FormatError::Missing("notice-days")),
            (Some(_), Some(_)) => {
                return Err(FormatError::Exclusive("notice-days", "notice-months"));
            }
        };
        Ok(Self {
            id: codec::parse_id("group", h.required("group")?)?,
            profile: codec::parse_word(
                "profile",
                profile,
                &PROFILES,
                Profile::as_str,
                "etsi-isg|itu-t-tap",
            )?,
            threshold_percent: codec::parse_u32(
                "threshold-percent",
                h.required("threshold-percent")?,
            )?,
            notice,
            correspondence_window: h
                .optional("correspondence-window")
                .map(|w| {
                    codec::parse_word(
                        "correspondence-window",
                        w,
                        &WINDOWS,
                        CorrespondenceWindow::as_str,
                        "plenaries|face-to-face-plenaries",
                    )
                })
                .transpose()?,
            appeal_deadline_days: h
                .optional("appeal-deadline-days")
                .map(|d| codec::parse_u32("appeal-deadline-days", d))
                .transpose()?,
            // Absent: the default (logs written before the header existed
            // read as they always did).
            reminders: h
                .optional("reminder-hours")
                .map(Reminders::from_header)
                .transpose()?
                .unwrap_or_default(),
        })
    }
}
