//! What if a ballot opened at a chosen instant: the explained roll the
//! rules would freeze then, on a registry as it stands, and the earliest
//! opening the notice allows for a ballot announced now (SPEC section 8,
//! the secretariat's what-if).
//!
//! Nothing new is decided here: the hypothetical ballot goes through the
//! very [`check_schedule`] and [`compute_roll`] that the ballot's fold runs
//! at a real opening, so the answer is the roll that opening would freeze
//! if the registry did not change meanwhile.

use crate::id::BallotId;
use crate::rules::params::{KindTag, Notice, Parameters};
use crate::rules::registry::RegistryView;
use crate::rules::roll::{Roll, compute_roll};
use crate::rules::schedule::{ScheduleError, check_schedule, notice_end};
use crate::rules::voting::{Ballot, BallotKind};
use crate::time::{Duration, Timestamp};

/// The id the hypothetical ballot's roll carries.
pub const WHAT_IF_BALLOT: &str = "what-if";

/// The roll of a ballot opening at `opens`, and when it must have been
/// announced to open then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhatIf {
    /// The roll the rules would freeze.
    pub roll: Roll,
    /// The latest announcement that gives the notice for this opening
    /// (for a consultation, which opens at its announcement: `opens`).
    pub announce_by: Option<Timestamp>,
}

/// The earliest opening (for a consultation: the earliest meeting start)
/// that the notice allows for a ballot announced at `now`; `None` past
/// year 9999.
pub fn earliest_opening(parameters: &Parameters, now: Timestamp) -> Option<Timestamp> {
    notice_end(parameters.notice, now)
}

/// The roll of the profile's usual ballot opening at `opens`: a
/// correspondence vote (`etsi-isg`), whose roll is taken at its opening;
/// or a consultation (`itu-t-tap`), which opens at its announcement and
/// whose roll is taken there, for a meeting as early as the notice allows.
/// The window is one day (or up to the meeting); the roll does not depend
/// on it.
pub fn roll_if_opened(
    parameters: &Parameters,
    registry: &RegistryView,
    opens: Timestamp,
) -> Result<WhatIf, ScheduleError> {
    let id = BallotId::new(WHAT_IF_BALLOT).expect("a valid id");
    let end = |t: Option<Timestamp>| {
        t.ok_or(ScheduleError::NoticePeriod {
            announced: opens,
            notice_until: crate::rules::schedule::NoticeEnd(None),
            deadline: opens,
        })
    };
    let (ballot, announce_by) = if parameters.kinds.contains(&KindTag::Correspondence) {
        let announced = match parameters.notice {
            Notice::ExactDays(days) => opens.checked_sub(Duration::days(i64::from(days))),
            // No profile combines correspondence votes with a notice in
            // months; the opening itself is then a safe lower bound.
            Notice::CalendarMonths(_) => None,
        };
        let ballot = Ballot {
            id,
            kind: BallotKind::Correspondence,
            questions: Vec::new(),
            announced: announced.unwrap_or(opens),
            opens,
            closes: end(opens.checked_add(Duration::days(1)))?,
        };
        (ballot, announced)
    } else {
        let meeting_start = end(notice_end(parameters.notice, opens))?;
        let ballot = Ballot {
            id,
            kind: BallotKind::Consultation { meeting_start },
            questions: Vec::new(),
            announced: opens,
            opens,
            closes: meeting_start,
        };
        (ballot, Some(opens))
    };
    let scheduled = check_schedule(parameters, registry, &ballot)?;
    Ok(WhatIf {
        roll: compute_roll(parameters, registry, &scheduled),
        announce_by,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::params::Profile;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).expect("a time")
    }

    #[test]
    fn an_etsi_opening_needs_thirty_days_of_notice_and_freezes_the_roll_there() {
        let parameters = Parameters::defaults(Profile::EtsiIsg);
        // An ETSI registry has its kick-off meeting.
        let kom = crate::rules::Meeting {
            id: crate::id::MeetingId::new("kom").expect("an id"),
            plenary: true,
            format: crate::rules::MeetingFormat::FaceToFace,
            start: at("2026-02-01T09:00:00Z"),
            end: at("2026-02-01T17:00:00Z"),
            kick_off: true,
        };
        let registry =
            RegistryView::new(&parameters, vec![], vec![], vec![kom], vec![]).expect("a KoM");
        let opens = at("2026-07-15T00:00:00Z");
        let what = roll_if_opened(&parameters, &registry, opens).expect("schedulable");
        assert_eq!(what.announce_by, Some(at("2026-06-15T00:00:00Z")));
        assert_eq!(what.roll.reference.at, opens);
        assert_eq!(
            earliest_opening(&parameters, at("2026-06-01T12:00:00Z")),
            Some(at("2026-07-01T12:00:00Z"))
        );
    }

    #[test]
    fn an_itu_consultation_opens_at_its_announcement() {
        let parameters = Parameters::defaults(Profile::ItuTTap);
        let registry =
            RegistryView::new(&parameters, vec![], vec![], vec![], vec![]).expect("empty");
        let opens = at("2026-07-15T00:00:00Z");
        let what = roll_if_opened(&parameters, &registry, opens).expect("schedulable");
        assert_eq!(what.announce_by, Some(opens));
        assert_eq!(what.roll.reference.at, opens);
        assert_eq!(
            earliest_opening(&parameters, opens),
            Some(at("2026-10-15T00:00:00Z"))
        );
    }
}
