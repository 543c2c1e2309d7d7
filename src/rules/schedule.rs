//! Scheduling checks: may this ballot run with these times?
//!
//! SPEC section 5 precedence: `window` first, then `notice-period`. A
//! ballot that passes gets a [`Scheduled`] token, which is the only way to
//! compute its roll: a roll for an unschedulable ballot cannot exist.

use serde::{Deserialize, Serialize};

use crate::id::MeetingId;
use crate::rules::params::{CorrespondenceWindow, KindTag, Notice, Parameters};
use crate::rules::registry::{MeetingFormat, RegistryView};
use crate::rules::voting::{Ballot, BallotKind};
use crate::time::{Duration, Timestamp};

/// Why a ballot's window is not acceptable (code `window`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WindowProblem {
    /// The kind is not one of the profile's.
    #[error("ballot kind {} is not a kind of this profile", .0.as_str())]
    KindNotOfProfile(KindTag),
    /// `closes ≤ opens`: an empty window (for a consultation, a due date
    /// not after the announcement, SPEC 2.2 item 6).
    #[error("the ballot closes at or before it opens")]
    ClosesNotAfterOpens,
    /// A meeting vote naming a meeting the registry does not have.
    #[error("unknown meeting {0}")]
    UnknownMeeting(MeetingId),
    /// A meeting vote at a meeting that is not a plenary (deviation #4
    /// concerns plenary meetings).
    #[error("meeting {0} is not a plenary")]
    NotPlenary(MeetingId),
    /// A meeting vote at an online meeting, where nobody can be physically
    /// present (deviation #4).
    #[error("meeting {0} is online")]
    OnlineMeeting(MeetingId),
    /// A meeting vote not inside its meeting: `start ≤ opens < closes ≤
    /// end` fails (SPEC 2.1 item 3).
    #[error("the vote does not run inside meeting {0}")]
    OutsideMeeting(MeetingId),
    /// A consultation whose due date is not before the meeting: `closes >
    /// meeting_start` (SPEC 2.2 item 6).
    #[error("the due date is not before the meeting")]
    DueNotBeforeMeeting,
}

impl WindowProblem {
    /// A short stable name of the problem, for pages that explain it in
    /// their own words (the chair's draft, `web/notice.rs`).
    pub fn code(&self) -> &'static str {
        match self {
            WindowProblem::KindNotOfProfile(_) => "kind",
            WindowProblem::ClosesNotAfterOpens => "closes-not-after-opens",
            WindowProblem::UnknownMeeting(_) => "unknown-meeting",
            WindowProblem::NotPlenary(_) => "not-plenary",
            WindowProblem::OnlineMeeting(_) => "online-meeting",
            WindowProblem::OutsideMeeting(_) => "outside-meeting",
            WindowProblem::DueNotBeforeMeeting => "due-not-before-meeting",
        }
    }
}

/// Why a ballot cannot be scheduled, with the SPEC section 5 code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// Code `window`.
    #[error("window: {0}")]
    Window(WindowProblem),
    /// Code `notice-period`: the announcement is too late.
    #[error(
        "notice-period: announced {announced}, which gives notice only up to {notice_until}, later than {deadline}"
    )]
    NoticePeriod {
        /// When the ballot was announced.
        announced: Timestamp,
        /// The announcement plus the notice (`None` past year 9999).
        notice_until: NoticeEnd,
        /// The instant the notice had to reach (opening or meeting start).
        deadline: Timestamp,
    },
}

/// The end of a notice period, which may lie beyond the representable
/// range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoticeEnd(pub Option<Timestamp>);

impl std::fmt::Display for NoticeEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(t) => t.fmt(f),
            None => f.write_str("beyond year 9999"),
        }
    }
}

impl ScheduleError {
    /// The code of SPEC section 5: `window` or `notice-period`.
    pub fn code(&self) -> &'static str {
        match self {
            ScheduleError::Window(_) => "window",
            ScheduleError::NoticePeriod { .. } => "notice-period",
        }
    }
}

/// Which plenaries enter an attendance window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlenaryScope {
    /// All plenaries, online ones included.
    Plenaries,
    /// Face-to-face and hybrid plenaries only.
    FaceToFacePlenaries,
}

impl PlenaryScope {
    /// Whether a meeting of this format enters the window.
    pub fn admits(self, format: MeetingFormat) -> bool {
        match self {
            PlenaryScope::Plenaries => true,
            PlenaryScope::FaceToFacePlenaries => format.is_face_to_face(),
        }
    }

    /// The scope's name, as in the roll.
    pub fn as_str(self) -> &'static str {
        match self {
            PlenaryScope::Plenaries => "plenaries",
            PlenaryScope::FaceToFacePlenaries => "face-to-face-plenaries",
        }
    }
}

/// The instants a ballot's roll is taken at (SPEC 2.1 item 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollReference {
    /// Membership and the Kick-off Period are judged here: the opening
    /// (ETSI), the announcement (ITU-T: "Member States active at the
    /// announcement", SPEC section 5).
    pub at: Timestamp,
    /// The attendance window is taken here: the opening for a
    /// correspondence vote, the meeting's start for a meeting vote
    /// (deviation #4).
    pub attendance_at: Timestamp,
    /// Which plenaries form the window.
    pub scope: PlenaryScope,
}

/// Proof that a ballot passed the scheduling checks; the roll and the
/// admission of votes require it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scheduled {
    ballot: Ballot,
    reference: RollReference,
    deadline: Timestamp,
}

impl Scheduled {
    /// The ballot.
    pub fn ballot(&self) -> &Ballot {
        &self.ballot
    }

    /// Where and when its roll is taken.
    pub fn reference(&self) -> RollReference {
        self.reference
    }

    /// The instant the notice must have run by: the opening of a
    /// correspondence ballot, the start of the meeting otherwise.
    pub fn deadline(&self) -> Timestamp {
        self.deadline
    }
}

/// The announcement plus the notice, or `None` past year 9999 (in which
/// case no deadline can be met).
pub fn notice_end(notice: Notice, announced: Timestamp) -> Option<Timestamp> {
    match notice {
        Notice::ExactDays(days) => announced.checked_add(Duration::days(i64::from(days))),
        Notice::CalendarMonths(months) => announced.checked_add_months(months),
    }
}

/// Checks a ballot's window, then its notice (SPEC section 5 order), and
/// returns the token its roll needs.
pub fn check_schedule(
    parameters: &Parameters,
    registry: &RegistryView,
    ballot: &Ballot,
) -> Result<Scheduled, ScheduleError> {
    let window = |problem| Err(ScheduleError::Window(problem));
    let tag = ballot.kind.tag();
    if !parameters.kinds.contains(&tag) {
        return window(WindowProblem::KindNotOfProfile(tag));
    }
    // A half-open window [opens, closes) must not be empty.
    if ballot.closes <= ballot.opens {
        return window(WindowProblem::ClosesNotAfterOpens);
    }
    let correspondence_scope = match parameters.correspondence_window {
        CorrespondenceWindow::Plenaries => PlenaryScope::Plenaries,
        CorrespondenceWindow::FaceToFacePlenaries => PlenaryScope::FaceToFacePlenaries,
    };
    let (deadline, reference) = match &ballot.kind {
        BallotKind::Correspondence => (
            // Deviation #5, Article 6.2: notice before the vote opens.
            ballot.opens,
            RollReference {
                at: ballot.opens,
                attendance_at: ballot.opens,
                scope: correspondence_scope,
            },
        ),
        BallotKind::Meeting { meeting: id } => {
            let Some(meeting) = registry.meeting(id.as_str()) else {
                return window(WindowProblem::UnknownMeeting(id.clone()));
            };
            if !meeting.is_plenary() {
                return window(WindowProblem::NotPlenary(id.clone()));
            }
            if meeting.format == MeetingFormat::Online {
                return window(WindowProblem::OnlineMeeting(id.clone()));
            }
            if !(meeting.start <= ballot.opens && ballot.closes <= meeting.end) {
                return window(WindowProblem::OutsideMeeting(id.clone()));
            }
            (
                // Deviation #5 (agenda): notice before the meeting starts.
                meeting.start,
                RollReference {
                    at: ballot.opens,
                    // Deviation #4: plenaries ended at or before the
                    // meeting's start, face-to-face ones only.
                    attendance_at: meeting.start,
                    scope: PlenaryScope::FaceToFacePlenaries,
                },
            )
        }
        BallotKind::Consultation { meeting_start } => {
            // The window [announced, closes) must end by the meeting: the
            // last instant of the due date is before `meeting_start`.
            if ballot.closes > *meeting_start {
                return window(WindowProblem::DueNotBeforeMeeting);
            }
            (
                // §9.3.3: announced at least three months before the
                // meeting.
                *meeting_start,
                RollReference {
                    at: ballot.announced,
                    attendance_at: ballot.announced,
                    scope: PlenaryScope::Plenaries,
                },
            )
        }
    };
    let notice_until = notice_end(parameters.notice, ballot.announced);
    if notice_until.is_none_or(|end| end > deadline) {
        return Err(ScheduleError::NoticePeriod {
            announced: ballot.announced,
            notice_until: NoticeEnd(notice_until),
            deadline,
        });
    }
    Ok(Scheduled {
        ballot: ballot.clone(),
        reference,
        deadline,
    })
}
