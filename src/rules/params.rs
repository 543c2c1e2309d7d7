//! The two rules profiles as data: who votes, with which choices, after
//! what notice, by what threshold.
//!
//! Every number and switch the rules use lives in [`Parameters`]; the rest
//! of [`crate::rules`] reads them and never asks which profile it runs, so
//! a new profile (or a group overriding a default) is a change of data.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A rules profile (SPEC section 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Profile {
    /// ETSI ISG under the ISG ETI Member Agreement, Annex 3 deviations over
    /// the ETSI TWP (SPEC 2.1).
    EtsiIsg,
    /// ITU-T Traditional Approval Procedure, WTSA Resolution 1 section 9
    /// (SPEC 2.2).
    ItuTTap,
}

impl Profile {
    /// The profile's name as written in scenarios and in the log.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::EtsiIsg => "etsi-isg",
            Profile::ItuTTap => "itu-t-tap",
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An organisation's membership class (SPEC section 3). Each class belongs
/// to exactly one profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OrgClass {
    /// ISG Member: the only ETSI class that votes (Article 6.4, SPEC 2.1
    /// item 1).
    Member,
    /// ISG Participant: never votes (SPEC 2.1 item 1), may appeal
    /// (deviation #6).
    Participant,
    /// Observer: never votes.
    Observer,
    /// Counsellor (e.g. the European Commission): never votes.
    Counsellor,
    /// ITU Member State: the only class that replies to a TAP consultation
    /// (WTSA Res. 1 §9.4.1).
    MemberState,
    /// ITU-T Sector Member.
    SectorMember,
    /// ITU-T Associate.
    Associate,
    /// ITU-T Academia member.
    Academia,
}

impl OrgClass {
    /// The profile this class belongs to.
    pub fn profile(self) -> Profile {
        match self {
            OrgClass::Member
            | OrgClass::Participant
            | OrgClass::Observer
            | OrgClass::Counsellor => Profile::EtsiIsg,
            OrgClass::MemberState
            | OrgClass::SectorMember
            | OrgClass::Associate
            | OrgClass::Academia => Profile::ItuTTap,
        }
    }

    /// The class's name as written in scenarios and in the log.
    pub fn as_str(self) -> &'static str {
        match self {
            OrgClass::Member => "member",
            OrgClass::Participant => "participant",
            OrgClass::Observer => "observer",
            OrgClass::Counsellor => "counsellor",
            OrgClass::MemberState => "member-state",
            OrgClass::SectorMember => "sector-member",
            OrgClass::Associate => "associate",
            OrgClass::Academia => "academia",
        }
    }
}

impl fmt::Display for OrgClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A choice a vote may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Choice {
    /// ETSI: approve.
    Yes,
    /// ETSI: reject.
    No,
    /// ETSI: abstain (not a vote cast, SPEC 2.1 item 9).
    Abstain,
    /// ITU-T: assign authority to the study group (§9.4.3).
    Assign,
    /// ITU-T: do not assign; reasons are required (§9.4.4).
    DoNotAssign,
}

/// How a choice counts in a tally: for, against, or neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stance {
    /// Counts in the numerator and the denominator.
    For,
    /// Counts in the denominator only.
    Against,
    /// Counts in neither (ETSI abstention).
    Abstain,
}

impl Choice {
    /// The choice as written in a vote.
    pub fn as_str(self) -> &'static str {
        match self {
            Choice::Yes => "yes",
            Choice::No => "no",
            Choice::Abstain => "abstain",
            Choice::Assign => "assign",
            Choice::DoNotAssign => "do-not-assign",
        }
    }

    /// How the choice counts: `yes`/`assign` for, `no`/`do-not-assign`
    /// against, `abstain` neither (TWP 1.7: abstentions are not votes cast;
    /// Res. 1 §9.4.5: the denominator is the replies).
    pub fn stance(self) -> Stance {
        match self {
            Choice::Yes | Choice::Assign => Stance::For,
            Choice::No | Choice::DoNotAssign => Stance::Against,
            Choice::Abstain => Stance::Abstain,
        }
    }
}

impl fmt::Display for Choice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A threshold in whole percent, 0 to 100. Kept as an integer so that the
/// comparison `100 × for ≥ threshold × (for + against)` is exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Percent(u8);

impl Percent {
    /// A percentage, if it is at most 100.
    pub fn new(value: u32) -> Result<Self, ParameterError> {
        u8::try_from(value)
            .ok()
            .filter(|v| *v <= 100)
            .map(Percent)
            .ok_or(ParameterError::ThresholdOutOfRange(value))
    }

    /// The value, 0 to 100.
    pub fn get(self) -> u32 {
        u32::from(self.0)
    }
}

/// The notice a ballot needs between its announcement and the moment it
/// concerns (the opening, or the meeting's start).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Notice {
    /// Exact days of 86 400 s (ISG ETI deviation #5 and Article 6.2: "at
    /// least 30 days").
    ExactDays(u32),
    /// Calendar months, day clamped to the month's end, time kept (WTSA
    /// Res. 1 §9.3.3: "at least three months").
    CalendarMonths(u32),
}

/// Which plenaries form the attendance window of a correspondence vote
/// (SPEC 2.1 item 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CorrespondenceWindow {
    /// Every plenary, online ones included: deviation #5, unlike #4, does
    /// not say "face-to-face" (the default).
    Plenaries,
    /// Only face-to-face and hybrid plenaries, as deviation #4 says for
    /// meeting votes.
    FaceToFacePlenaries,
}

impl CorrespondenceWindow {
    /// The parameter's value as written in scenarios.
    pub fn as_str(self) -> &'static str {
        match self {
            CorrespondenceWindow::Plenaries => "plenaries",
            CorrespondenceWindow::FaceToFacePlenaries => "face-to-face-plenaries",
        }
    }
}

/// The attendance rule of ISG ETI deviations #4 and #5: `required` physical
/// attendances among the `window` most recent plenaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AttendanceRule {
    /// How many of the most recent plenaries form the window (3).
    pub window: usize,
    /// How many of them must have been attended physically (2), even when
    /// fewer than `window` plenaries have been held (SPEC 2.1 item 2).
    pub required: usize,
}

/// The Kick-off Period rule of ISG ETI deviation #2: founding members vote
/// regardless of attendance from the KoM's start to the end of the
/// `plenaries_after_kick_off`-th face-to-face plenary after the KoM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct KickOffRule {
    /// The number of face-to-face plenaries after the KoM whose last one
    /// ends the period (2).
    pub plenaries_after_kick_off: usize,
}

/// Which ballot kinds a profile allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KindTag {
    /// An ETSI vote by correspondence.
    Correspondence,
    /// An ETSI vote during a meeting.
    Meeting,
    /// An ITU-T TAP consultation of Member States.
    Consultation,
}

impl KindTag {
    /// The kind's name as written in scenarios.
    pub fn as_str(self) -> &'static str {
        match self {
            KindTag::Correspondence => "correspondence",
            KindTag::Meeting => "meeting",
            KindTag::Consultation => "consultation",
        }
    }
}

/// Everything the rules need to know about a group's profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Parameters {
    /// The profile these parameters derive from.
    pub profile: Profile,
    /// Approval threshold over votes cast: 71 (ETSI TWP clause 1.7) or 70
    /// (WTSA Res. 1 §9.4.5).
    pub threshold: Percent,
    /// Whether a question with no vote cast (for + against = 0) passes:
    /// no for ETSI (SPEC 2.1 item 9, "votes cast > 0"), yes for ITU-T
    /// (§9.4.5, "no replies" proceeds).
    pub passes_without_votes: bool,
    /// The notice before opening (or before the meeting).
    pub notice: Notice,
    /// Which plenaries form a correspondence vote's attendance window.
    pub correspondence_window: CorrespondenceWindow,
    /// The attendance rule, if eligibility depends on attendance (ETSI).
    pub attendance: Option<AttendanceRule>,
    /// The Kick-off Period rule, if the profile has one (ETSI). A scenario
    /// of such a profile must name exactly one KoM.
    pub kick_off: Option<KickOffRule>,
    /// Classes whose organisations may vote; all others never do.
    pub voting_classes: &'static [OrgClass],
    /// The classes whose representatives may appeal a chair's decision
    /// (SPEC 2.1 item 10: "any ISG Member or Participant"; `docs/rules.md`
    /// D17 for ITU-T).
    pub appeal_classes: &'static [OrgClass],
    /// The choices a vote may carry.
    pub choices: &'static [Choice],
    /// Choices that must carry non-blank reasons (§9.4.4).
    pub reasons_required: &'static [Choice],
    /// Ballot kinds of the profile.
    pub kinds: &'static [KindTag],
    /// The words for a question that passed and one that did not
    /// (`approved`/`rejected`, `proceed`/`not-proceed`, SPEC section 5).
    pub outcome_words: [&'static str; 2],
}

/// A group's deviations from its profile's defaults (the `parameters`
/// member of a scenario, SPEC section 5).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParameterOverrides {
    /// Replaces [`Parameters::threshold`].
    #[serde(default)]
    pub threshold_percent: Option<u32>,
    /// Replaces the exact-days notice (ETSI only).
    #[serde(default)]
    pub notice_days: Option<u32>,
    /// Replaces the calendar-months notice (ITU-T only).
    #[serde(default)]
    pub notice_months: Option<u32>,
    /// Replaces [`Parameters::correspondence_window`] (ETSI only).
    #[serde(default)]
    pub correspondence_window: Option<CorrespondenceWindow>,
}

/// Why a parameter override cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParameterError {
    /// A threshold above 100%.
    #[error("threshold_percent must be between 0 and 100, not {0}")]
    ThresholdOutOfRange(u32),
    /// A parameter that the profile does not have.
    #[error("{parameter} is not a parameter of profile {profile}")]
    NotOfProfile {
        /// The parameter's name.
        parameter: &'static str,
        /// The profile.
        profile: Profile,
    },
}

impl ParameterError {
    /// The name of the parameter at fault, for error paths.
    pub fn parameter(&self) -> &'static str {
        match self {
            ParameterError::ThresholdOutOfRange(_) => "threshold_percent",
            ParameterError::NotOfProfile { parameter, .. } => parameter,
        }
    }
}

impl Parameters {
    /// The defaults of a profile (SPEC 2.1 and 2.2, SPEC section 5).
    pub fn defaults(profile: Profile) -> Self {
        match profile {
            Profile::EtsiIsg => Parameters {
                profile,
                // ETSI TWP clause 1.7: 71% of the votes cast.
                threshold: Percent(71),
                passes_without_votes: false,
                // Deviation #5 and Article 6.2: at least 30 days.
                notice: Notice::ExactDays(30),
                correspondence_window: CorrespondenceWindow::Plenaries,
                // Deviations #4 and #5: 2 of the previous 3 plenaries.
                attendance: Some(AttendanceRule {
                    window: 3,
                    required: 2,
                }),
                // Deviation #2: up to the end of the second face-to-face
                // plenary after the KoM.
                kick_off: Some(KickOffRule {
                    plenaries_after_kick_off: 2,
                }),
                // Article 6.4 and deviation #3: ISG Members only.
                voting_classes: &[OrgClass::Member],
                appeal_classes: &[OrgClass::Member, OrgClass::Participant],
                choices: &[Choice::Yes, Choice::No, Choice::Abstain],
                reasons_required: &[],
                kinds: &[KindTag::Correspondence, KindTag::Meeting],
                outcome_words: ["approved", "rejected"],
            },
            Profile::ItuTTap => Parameters {
                profile,
                // WTSA Res. 1 §9.4.5: 70% of the replies.
                threshold: Percent(70),
                passes_without_votes: true,
                // §9.3.3: at least three months before the meeting.
                notice: Notice::CalendarMonths(3),
                correspondence_window: CorrespondenceWindow::Plenaries,
                attendance: None,
                kick_off: None,
                // §9.4.1: Member States only.
                voting_classes: &[OrgClass::MemberState],
                appeal_classes: &[OrgClass::MemberState, OrgClass::SectorMember],
                choices: &[Choice::Assign, Choice::DoNotAssign],
                // §9.4.4: a negative reply states its reasons.
                reasons_required: &[Choice::DoNotAssign],
                kinds: &[KindTag::Consultation],
                outcome_words: ["proceed", "not-proceed"],
            },
        }
    }

    /// The defaults of `profile` with a group's overrides applied; an
    /// override the profile does not have is refused rather than ignored.
    pub fn with_overrides(
        profile: Profile,
        overrides: &ParameterOverrides,
    ) -> Result<Self, ParameterError> {
        let mut parameters = Self::defaults(profile);
        let not_of_profile = |parameter| ParameterError::NotOfProfile { parameter, profile };
        if let Some(percent) = overrides.threshold_percent {
            parameters.threshold = Percent::new(percent)?;
        }
        if let Some(days) = overrides.notice_days {
            match parameters.notice {
                Notice::ExactDays(_) => parameters.notice = Notice::ExactDays(days),
                Notice::CalendarMonths(_) => return Err(not_of_profile("notice_days")),
            }
        }
        if let Some(months) = overrides.notice_months {
            match parameters.notice {
                Notice::CalendarMonths(_) => parameters.notice = Notice::CalendarMonths(months),
                Notice::ExactDays(_) => return Err(not_of_profile("notice_months")),
            }
        }
        if let Some(window) = overrides.correspondence_window {
            if !parameters.kinds.contains(&KindTag::Correspondence) {
                return Err(not_of_profile("correspondence_window"));
            }
            parameters.correspondence_window = window;
        }
        Ok(parameters)
    }

    /// The choice named `text`, if the profile has it.
    pub fn choice(&self, text: &str) -> Option<Choice> {
        self.choices.iter().copied().find(|c| c.as_str() == text)
    }

    /// The word for an outcome: `approved` or `rejected` (ETSI), `proceed`
    /// or `not-proceed` (ITU-T).
    pub fn outcome_word(&self, passed: bool) -> &'static str {
        self.outcome_words[usize::from(!passed)]
    }

    /// Whether organisations of `class` may ever vote.
    pub fn class_votes(&self, class: OrgClass) -> bool {
        self.voting_classes.contains(&class)
    }

    /// Whether a question passes with these counts of votes for and
    /// against, in integer arithmetic: `100 × for ≥ threshold × (for +
    /// against)` (TWP 1.7, Res. 1 §9.4.5), or [`Self::passes_without_votes`]
    /// when nobody voted for or against.
    pub fn passes(&self, for_: u64, against: u64) -> bool {
        let cast = u128::from(for_) + u128::from(against);
        if cast == 0 {
            return self.passes_without_votes;
        }
        100 * u128::from(for_) >= u128::from(self.threshold.get()) * cast
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etsi_threshold_is_71_percent_of_votes_cast() {
        let p = Parameters::defaults(Profile::EtsiIsg);
        assert!(p.passes(71, 29));
        // 100 × 70 = 7000 < 71 × 99 = 7029.
        assert!(!p.passes(70, 29));
        assert!(!p.passes(7, 3));
        assert!(p.passes(5, 2));
        assert!(p.passes(1, 0));
        assert!(!p.passes(0, 1));
        assert!(!p.passes(0, 0), "no votes cast is a rejection");
    }

    #[test]
    fn itu_threshold_is_70_percent_of_replies() {
        let p = Parameters::defaults(Profile::ItuTTap);
        assert!(p.passes(7, 3));
        assert!(!p.passes(6, 3));
        assert!(p.passes(0, 0), "no replies proceeds");
    }

    #[test]
    fn overrides_apply_and_refuse_foreign_parameters() {
        let o = ParameterOverrides {
            threshold_percent: Some(50),
            notice_days: Some(10),
            correspondence_window: Some(CorrespondenceWindow::FaceToFacePlenaries),
            ..Default::default()
        };
        let p = Parameters::with_overrides(Profile::EtsiIsg, &o).expect("valid overrides");
        assert_eq!(p.threshold.get(), 50);
        assert_eq!(p.notice, Notice::ExactDays(10));
        assert_eq!(
            p.correspondence_window,
            CorrespondenceWindow::FaceToFacePlenaries
        );
        let err = Parameters::with_overrides(Profile::ItuTTap, &o).expect_err("foreign");
        assert_eq!(err.parameter(), "notice_days");
        let months = ParameterOverrides {
            notice_months: Some(2),
            ..Default::default()
        };
        assert_eq!(
            Parameters::with_overrides(Profile::ItuTTap, &months).map(|p| p.notice),
            Ok(Notice::CalendarMonths(2))
        );
        assert!(Parameters::with_overrides(Profile::EtsiIsg, &months).is_err());
        let too_high = ParameterOverrides {
            threshold_percent: Some(101),
            ..Default::default()
        };
        assert_eq!(
            Parameters::with_overrides(Profile::EtsiIsg, &too_high),
            Err(ParameterError::ThresholdOutOfRange(101))
        );
    }

    #[test]
    fn classes_belong_to_one_profile() {
        let p = Parameters::defaults(Profile::EtsiIsg);
        assert!(p.class_votes(OrgClass::Member));
        for c in [
            OrgClass::Participant,
            OrgClass::Observer,
            OrgClass::Counsellor,
        ] {
            assert!(!p.class_votes(c));
            assert_eq!(c.profile(), Profile::EtsiIsg);
        }
        assert_eq!(OrgClass::SectorMember.profile(), Profile::ItuTTap);
        assert_eq!(p.choice("yes"), Some(Choice::Yes));
        assert_eq!(p.choice("assign"), None);
        assert_eq!(p.choice("Yes"), None);
    }
}
