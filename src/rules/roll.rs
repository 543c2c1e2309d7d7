//! The explained roll: who may vote in a ballot, and why each
//! organisation may or may not.
//!
//! SPEC 2.1 item 5: eligibility is computed once, at the ballot's opening,
//! for the whole ballot; the roll — every organisation, eligible or not,
//! with the meetings considered, its attendance and the reason — is frozen
//! and committed to the log. It is therefore a stable, versioned, serde
//! value, sorted by organisation id, and a pure function of the registry,
//! the parameters and the ballot's schedule.

use serde::{Deserialize, Serialize};

use crate::id::{BallotId, MeetingId, OrgId};
use crate::rules::params::{OrgClass, Parameters, Profile};
use crate::rules::registry::{Meeting, RegistryView};
use crate::rules::schedule::{RollReference, Scheduled};
use crate::time::Timestamp;

/// The version of the roll's serialised form. Bump it on any change to
/// the members or their meaning: frozen rolls in old logs keep theirs.
pub const ROLL_VERSION: u32 = 1;

/// Why an organisation is or is not eligible, in the order the rules are
/// applied (the first that decides is reported).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RollReason {
    /// Not eligible: its class never votes (ETSI participants, observers,
    /// counsellors, Article 6.4; ITU-T non-Member States, §9.4.1).
    ClassDoesNotVote,
    /// Not eligible: its membership begins after the reference time.
    MembershipNotStarted,
    /// Not eligible: its membership ended at or before the reference time.
    MembershipEnded,
    /// Eligible: a founding member during the Kick-off Period, regardless
    /// of attendance (deviation #2).
    FoundingMemberInKickOffPeriod,
    /// Eligible: enough physical attendances in the window (deviations #4
    /// and #5).
    Attendance,
    /// Not eligible: too few physical attendances in the window.
    InsufficientAttendance,
    /// Eligible: an active organisation of a voting class, where the
    /// profile has no attendance rule (ITU-T Member States, §9.4.1).
    VotingClass,
}

impl RollReason {
    /// Whether the reason makes the organisation eligible.
    pub fn is_eligible(self) -> bool {
        matches!(
            self,
            RollReason::FoundingMemberInKickOffPeriod
                | RollReason::Attendance
                | RollReason::VotingClass
        )
    }

    /// The reason's code, as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            RollReason::ClassDoesNotVote => "class-does-not-vote",
            RollReason::MembershipNotStarted => "membership-not-started",
            RollReason::MembershipEnded => "membership-ended",
            RollReason::FoundingMemberInKickOffPeriod => "founding-member-in-kick-off-period",
            RollReason::Attendance => "attendance",
            RollReason::InsufficientAttendance => "insufficient-attendance",
            RollReason::VotingClass => "voting-class",
        }
    }
}

/// The Kick-off Period as derived from the registry (deviation #2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KickOffPeriod {
    /// The KoM.
    pub kick_off_meeting: MeetingId,
    /// The KoM's start: before it, founding members have no special right.
    pub start: Timestamp,
    /// The end of the second face-to-face plenary after the KoM, or `None`
    /// while fewer than two are in the registry (the period has not ended).
    pub end: Option<Timestamp>,
    /// Whether the reference time lies in `[start, end]` (end inclusive:
    /// "during and up to the end of the KoP").
    pub running: bool,
}

impl KickOffPeriod {
    /// Whether `t` lies in the period, end instant included.
    pub fn contains(&self, t: Timestamp) -> bool {
        self.start <= t && self.end.is_none_or(|end| t <= end)
    }
}

/// One organisation's line of the roll.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollEntry {
    /// The organisation.
    pub organisation: OrgId,
    /// Its class.
    pub class: OrgClass,
    /// Whether it is a founding member (Annex 2).
    pub founding: bool,
    /// Whether its founding right applies: founding and the Kick-off
    /// Period running at the reference time.
    pub kick_off_period: bool,
    /// The meetings of the roll's window it attended physically, oldest
    /// first.
    pub physical: Vec<MeetingId>,
    /// Whether it may vote in this ballot.
    pub eligible: bool,
    /// Why.
    pub reason: RollReason,
}

/// The frozen, explained roll of one ballot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roll {
    /// [`ROLL_VERSION`].
    pub version: u32,
    /// The profile whose rules produced it.
    pub profile: Profile,
    /// The ballot it belongs to.
    pub ballot: BallotId,
    /// The reference times and the window's scope.
    pub reference: RollReference,
    /// The attendance window: the most recent plenaries (of the scope)
    /// ended at or before `reference.attendance_at`, oldest first. The same
    /// for every organisation; empty where the profile has no attendance
    /// rule.
    pub window: Vec<MeetingId>,
    /// The Kick-off Period, where the profile has one.
    pub kick_off_period: Option<KickOffPeriod>,
    /// Every organisation of the registry, eligible or not, sorted by id.
    pub organisations: Vec<RollEntry>,
}

impl Roll {
    /// The line of organisation `id`, found by binary search (the lines are
    /// sorted by id).
    pub fn entry(&self, id: &str) -> Option<&RollEntry> {
        self.organisations
            .binary_search_by(|e| e.organisation.as_str().cmp(id))
            .ok()
            .map(|i| &self.organisations[i])
    }

    /// Whether organisation `id` is on the roll as eligible.
    pub fn is_eligible(&self, id: &str) -> bool {
        self.entry(id).is_some_and(|e| e.eligible)
    }

    /// The eligible organisations, in byte order of their ids.
    pub fn eligible(&self) -> impl Iterator<Item = &OrgId> {
        self.organisations
            .iter()
            .filter(|e| e.eligible)
            .map(|e| &e.organisation)
    }

    /// How many organisations are eligible.
    pub fn eligible_count(&self) -> usize {
        self.organisations.iter().filter(|e| e.eligible).count()
    }
}

/// The Kick-off Period of deviation #2, if the profile has one and the
/// registry names a KoM.
pub fn kick_off_period(
    parameters: &Parameters,
    registry: &RegistryView,
    at: Timestamp,
) -> Option<KickOffPeriod> {
    let rule = parameters.kick_off?;
    let kom = registry.kick_off_meeting()?;
    // "After the KoM": later in the recency order (end, start, id) of SPEC
    // 2.1 item 3, so ties are broken the same way everywhere.
    let mut after: Vec<&Meeting> = registry
        .meetings()
        .iter()
        .filter(|m| {
            !m.kick_off
                && m.is_plenary()
                && m.format.is_face_to_face()
                && m.recency_key() > kom.recency_key()
        })
        .collect();
    after.sort_by(|a, b| a.recency_key().cmp(&b.recency_key()));
    let end = match rule.plenaries_after_kick_off.checked_sub(1) {
        Some(last) => after.get(last).map(|m| m.end),
        // A rule of zero plenaries would end the period with the KoM.
        None => Some(kom.end),
    };
    let mut period = KickOffPeriod {
        kick_off_meeting: kom.id.clone(),
        start: kom.start,
        end,
        running: false,
    };
    period.running = period.contains(at);
    Some(period)
}

/// The attendance window: positions of the `size` most recent plenaries
/// of `reference.scope` ended at or before `reference.attendance_at`,
/// oldest first (deviations #4 and #5, SPEC 2.1 items 2 and 3).
fn attendance_window(
    registry: &RegistryView,
    reference: &RollReference,
    size: usize,
) -> Vec<usize> {
    let meetings = registry.meetings();
    let mut held: Vec<usize> = (0..meetings.len())
        .filter(|&i| {
            let m = &meetings[i];
            m.is_plenary() && reference.scope.admits(m.format) && m.end <= reference.attendance_at
        })
        .collect();
    held.sort_by(|&a, &b| meetings[a].recency_key().cmp(&meetings[b].recency_key()));
    let keep_from = held.len().saturating_sub(size);
    held.split_off(keep_from)
}

/// Computes the explained roll of a scheduled ballot (SPEC 2.1 items 1 to
/// 5; SPEC 2.2 item 2).
pub fn compute_roll(
    parameters: &Parameters,
    registry: &RegistryView,
    scheduled: &Scheduled,
) -> Roll {
    let reference = scheduled.reference();
    let window = match parameters.attendance {
        Some(rule) => attendance_window(registry, &reference, rule.window),
        None => Vec::new(),
    };
    let kick_off = kick_off_period(parameters, registry, reference.at);
    let kick_off_running = kick_off.as_ref().is_some_and(|k| k.running);
    let meetings = registry.meetings();

    let organisations = registry.organisations();
    let mut order: Vec<usize> = (0..organisations.len()).collect();
    order.sort_unstable_by(|&a, &b| organisations[a].id.cmp(&organisations[b].id));

    let entries = order
        .into_iter()
        .map(|o| {
            let org = &organisations[o];
            let attended = registry.physical_meetings_of(o);
            let physical: Vec<MeetingId> = window
                .iter()
                .filter(|m| attended.binary_search(m).is_ok())
                .map(|&m| meetings[m].id.clone())
                .collect();
            let founding_right = org.founding && kick_off_running;
            let reason = if !parameters.class_votes(org.class) {
                RollReason::ClassDoesNotVote
            } else if org.membership.from.is_some_and(|from| reference.at < from) {
                RollReason::MembershipNotStarted
            } else if org.membership.ended_by(reference.at) {
                RollReason::MembershipEnded
            } else if founding_right {
                RollReason::FoundingMemberInKickOffPeriod
            } else if let Some(rule) = parameters.attendance {
                if physical.len() >= rule.required {
                    RollReason::Attendance
                } else {
                    RollReason::InsufficientAttendance
                }
            } else {
                RollReason::VotingClass
            };
            RollEntry {
                organisation: org.id.clone(),
                class: org.class,
                founding: org.founding,
                kick_off_period: founding_right,
                physical,
                eligible: reason.is_eligible(),
                reason,
            }
        })
        .collect();

    Roll {
        version: ROLL_VERSION,
        profile: parameters.profile,
        ballot: scheduled.ballot().id.clone(),
        reference,
        window: window.iter().map(|&m| meetings[m].id.clone()).collect(),
        kick_off_period: kick_off,
        organisations: entries,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::registry::{
        Attendance, AttendanceMode, MeetingFormat, Membership, Organisation, Person,
    };
    use crate::rules::schedule::check_schedule;
    use crate::rules::voting::{Ballot, BallotKind};

    fn t(text: &str) -> Timestamp {
        Timestamp::parse(text).expect("valid test time")
    }

    fn meeting(id: &str, format: MeetingFormat, start: &str, end: &str, kick_off: bool) -> Meeting {
        Meeting {
            id: MeetingId::new(id).expect("valid id"),
            plenary: true,
            format,
            start: t(start),
            end: t(end),
            kick_off,
        }
    }

    /// One member `m` that attended `attended` physically, and a ballot
    /// opening at `opens`.
    fn roll_of(meetings: Vec<Meeting>, attended: &[&str], opens: &str) -> Roll {
        let parameters = Parameters::defaults(Profile::EtsiIsg);
        let org = |id: &str| OrgId::new(id).expect("valid id");
        let registry = RegistryView::new(
            &parameters,
            vec![Organisation {
                id: org("m"),
                class: OrgClass::Member,
                founding: false,
                membership: Membership::default(),
            }],
            vec![Person {
                id: "m1".parse().expect("valid id"),
                organisation: org("m"),
                on_membership_list: true,
            }],
            meetings,
            attended
                .iter()
                .map(|m| Attendance {
                    meeting: MeetingId::new(m).expect("valid id"),
                    person: "m1".parse().expect("valid id"),
                    organisation: org("m"),
                    mode: AttendanceMode::Physical,
                })
                .collect(),
        )
        .expect("valid registry");
        let opens = t(opens);
        let ballot = Ballot {
            id: "B".parse().expect("valid id"),
            kind: BallotKind::Correspondence,
            questions: vec!["main".parse().expect("valid id")],
            announced: t("2000-01-01T00:00:00Z"),
            opens,
            closes: t("2099-01-01T00:00:00Z"),
        };
        let scheduled = check_schedule(&parameters, &registry, &ballot).expect("schedulable");
        compute_roll(&parameters, &registry, &scheduled)
    }

    fn window(roll: &Roll) -> Vec<&str> {
        roll.window.iter().map(|m| m.as_str()).collect()
    }

    #[test]
    fn recency_orders_by_end_then_start_then_id() {
        use MeetingFormat::FaceToFace as F;
        let meetings = vec![
            meeting(
                "KoM",
                F,
                "2020-01-01T00:00:00Z",
                "2020-01-02T00:00:00Z",
                true,
            ),
            // Same end: the later start is more recent.
            meeting(
                "late-start",
                F,
                "2020-03-01T12:00:00Z",
                "2020-03-02T00:00:00Z",
                false,
            ),
            meeting(
                "early-start",
                F,
                "2020-03-01T00:00:00Z",
                "2020-03-02T00:00:00Z",
                false,
            ),
            // Same end and start: the larger id is more recent.
            meeting(
                "b",
                F,
                "2020-02-01T00:00:00Z",
                "2020-02-02T00:00:00Z",
                false,
            ),
            meeting(
                "a",
                F,
                "2020-02-01T00:00:00Z",
                "2020-02-02T00:00:00Z",
                false,
            ),
        ];
        let roll = roll_of(meetings, &[], "2020-06-01T00:00:00Z");
        assert_eq!(window(&roll), ["b", "early-start", "late-start"]);
    }

    #[test]
    fn a_meeting_enters_the_window_once_it_has_ended() {
        use MeetingFormat::FaceToFace as F;
        let meetings = vec![
            meeting(
                "KoM",
                F,
                "2020-01-01T00:00:00Z",
                "2020-01-02T00:00:00Z",
                true,
            ),
            meeting(
                "P2",
                F,
                "2020-02-01T00:00:00Z",
                "2020-02-02T00:00:00Z",
                false,
            ),
        ];
        let at_end = roll_of(meetings.clone(), &["KoM", "P2"], "2020-02-02T00:00:00Z");
        assert_eq!(window(&at_end), ["KoM", "P2"]);
        assert!(at_end.is_eligible("m"));
        let before_end = roll_of(meetings, &["KoM", "P2"], "2020-02-01T23:59:59.999999999Z");
        assert_eq!(window(&before_end), ["KoM"]);
        assert_eq!(
            before_end.entry("m").map(|e| e.reason),
            Some(RollReason::InsufficientAttendance)
        );
    }

    #[test]
    fn non_plenary_meetings_never_enter_the_window() {
        use MeetingFormat::FaceToFace as F;
        let mut wg = meeting(
            "WG",
            F,
            "2020-03-01T00:00:00Z",
            "2020-03-02T00:00:00Z",
            false,
        );
        wg.plenary = false;
        let meetings = vec![
            meeting(
                "KoM",
                F,
                "2020-01-01T00:00:00Z",
                "2020-01-02T00:00:00Z",
                true,
            ),
            wg,
        ];
        let roll = roll_of(meetings, &["KoM", "WG"], "2020-06-01T00:00:00Z");
        assert_eq!(window(&roll), ["KoM"]);
        assert!(!roll.is_eligible("m"));
    }
}
