//! Vote admission: is this vote accepted, and if not, why?
//!
//! The reasons and their precedence are those of SPEC section 5; the first
//! that applies is reported. The server applies them after its own checks
//! (signature, key, replay; SPEC section 4), and a logged admission is
//! final.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::rules::params::{Choice, Parameters};
use crate::rules::registry::RegistryView;
use crate::rules::roll::Roll;
use crate::rules::schedule::Scheduled;
use crate::rules::voting::{BallotKind, Vote};
use crate::time::Timestamp;

/// Why a vote is refused, in order of precedence (SPEC section 5).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    thiserror::Error,
)]
#[serde(rename_all = "kebab-case")]
pub enum AdmissionRefusal {
    /// Unknown person, or a person who does not represent that
    /// organisation (Article 6.4: no proxies).
    #[error("not-representative")]
    NotRepresentative,
    /// The question is not one of the ballot's.
    #[error("unknown-question")]
    UnknownQuestion,
    /// The choice is not one of the profile's.
    #[error("bad-choice")]
    BadChoice,
    /// A choice that needs reasons, without non-blank reasons (Res. 1
    /// §9.4.4).
    #[error("reasons-required")]
    ReasonsRequired,
    /// Outside `[opens, closes)` (ITU-T: after the due date, §9.4.6).
    #[error("outside-window")]
    OutsideWindow,
    /// The organisation is not on the roll as eligible (ITU-T: not a Member
    /// State, §9.4.1).
    #[error("not-eligible")]
    NotEligible,
    /// The organisation's membership had ended when the vote was cast
    /// (SPEC 2.1 item 7; Article 12.2 keeps earlier votes).
    #[error("membership-ended")]
    MembershipEnded,
    /// Correspondence vote by a person not on the membership list (SPEC
    /// 2.1 item 7).
    #[error("not-on-membership-list")]
    NotOnMembershipList,
    /// Meeting vote by a person not physically present (deviation #4).
    #[error("not-present")]
    NotPresent,
}

impl AdmissionRefusal {
    /// The code of SPEC section 5.
    pub fn code(self) -> &'static str {
        match self {
            AdmissionRefusal::NotRepresentative => "not-representative",
            AdmissionRefusal::UnknownQuestion => "unknown-question",
            AdmissionRefusal::BadChoice => "bad-choice",
            AdmissionRefusal::ReasonsRequired => "reasons-required",
            AdmissionRefusal::OutsideWindow => "outside-window",
            AdmissionRefusal::NotEligible => "not-eligible",
            AdmissionRefusal::MembershipEnded => "membership-ended",
            AdmissionRefusal::NotOnMembershipList => "not-on-membership-list",
            AdmissionRefusal::NotPresent => "not-present",
        }
    }
}

/// An accepted vote, reduced to what the tally needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdmittedVote {
    /// The position of the organisation's line in the roll.
    pub roll_line: usize,
    /// The position of the question in the ballot.
    pub question: usize,
    /// The choice.
    pub choice: Choice,
    /// When it was received.
    pub at: Timestamp,
    /// Its place in the order of receipt.
    pub sequence: u64,
}

impl AdmittedVote {
    /// The order of supersession: later time, then later sequence.
    pub fn recency_key(&self) -> (Timestamp, u64) {
        (self.at, self.sequence)
    }
}

/// For each organisation of `registry`, in its order, its line in `roll`
/// (`None` for one that joined the registry after the roll was frozen).
pub fn roll_lines(registry: &RegistryView, roll: &Roll) -> Vec<Option<usize>> {
    let mut lines = vec![None; registry.organisations().len()];
    for (line, entry) in roll.organisations.iter().enumerate() {
        if let Some(o) = registry.org_position(entry.organisation.as_str()) {
            lines[o] = Some(line);
        }
    }
    lines
}

/// The admission context of one ballot: built once, then judges any
/// number of votes in O(1) hash lookups each.
#[derive(Debug)]
pub struct Admission<'a> {
    parameters: &'a Parameters,
    registry: &'a RegistryView,
    scheduled: &'a Scheduled,
    roll: &'a Roll,
    /// For each registry organisation, its line in the roll (`None` if it
    /// joined the registry after the roll was frozen): [`roll_lines`].
    roll_line_of_org: Arc<[Option<usize>]>,
    /// For a meeting vote, the meeting's position in the registry.
    meeting: Option<usize>,
}

impl<'a> Admission<'a> {
    /// Prepares to judge the votes of a scheduled ballot against its
    /// frozen roll. `registry` is the registry at the time of voting (the
    /// server's may have grown since the roll was frozen).
    pub fn new(
        parameters: &'a Parameters,
        registry: &'a RegistryView,
        scheduled: &'a Scheduled,
        roll: &'a Roll,
    ) -> Self {
        let lines = roll_lines(registry, roll).into();
        Self::with_roll_lines(parameters, registry, scheduled, roll, lines)
    }

    /// [`Admission::new`] with the roll's lines already computed by
    /// [`roll_lines`] for this very `registry` and `roll` (a server judges
    /// every vote of a ballot against the same ones; building them is
    /// linear in the roll).
    ///
    /// # Panics
    ///
    /// If `roll_line_of_org` does not have one line per organisation of
    /// `registry` (it was computed for another registry).
    pub fn with_roll_lines(
        parameters: &'a Parameters,
        registry: &'a RegistryView,
        scheduled: &'a Scheduled,
        roll: &'a Roll,
        roll_line_of_org: Arc<[Option<usize>]>,
    ) -> Self {
        assert_eq!(
            roll_line_of_org.len(),
            registry.organisations().len(),
            "roll lines computed for another registry"
        );
        let meeting = match &scheduled.ballot().kind {
            BallotKind::Meeting { meeting } => registry.meeting_position(meeting.as_str()),
            _ => None,
        };
        Admission {
            parameters,
            registry,
            scheduled,
            roll,
            roll_line_of_org,
            meeting,
        }
    }

    /// The roll votes are judged against.
    pub fn roll(&self) -> &Roll {
        self.roll
    }

    /// Judges one vote (SPEC section 5 precedence; SPEC 2.1 item 7; SPEC
    /// 2.2 items 2 to 4).
    pub fn judge(&self, vote: &Vote) -> Result<AdmittedVote, AdmissionRefusal> {
        let ballot = self.scheduled.ballot();
        let registry = self.registry;

        // Article 6.4: a person casts only for the organisation it
        // represents.
        let person = registry
            .person_position(vote.person.as_str())
            .ok_or(AdmissionRefusal::NotRepresentative)?;
        // Comparing the ids is cheaper than a second hash lookup; an
        // unknown organisation cannot be the person's, so it is refused
        // here too.
        if registry.persons()[person].organisation != vote.organisation {
            return Err(AdmissionRefusal::NotRepresentative);
        }
        let org = registry.person_org_position(person);

        let question = ballot
            .question_position(&vote.question)
            .ok_or(AdmissionRefusal::UnknownQuestion)?;
        let choice = self
            .parameters
            .choice(&vote.choice)
            .ok_or(AdmissionRefusal::BadChoice)?;
        // §9.4.4: a negative reply carries its reasons; whitespace is none.
        if self.parameters.reasons_required.contains(&choice) && !vote.has_reasons() {
            return Err(AdmissionRefusal::ReasonsRequired);
        }
        // Half-open window (SPEC section 2); §9.4.6 for late replies.
        if !(ballot.opens <= vote.at && vote.at < ballot.closes) {
            return Err(AdmissionRefusal::OutsideWindow);
        }
        let roll_line = self.roll_line_of_org[org]
            .filter(|&line| self.roll.organisations[line].eligible)
            .ok_or(AdmissionRefusal::NotEligible)?;
        // Article 12.2: a vote cast before termination stands; one cast at
        // or after it is refused.
        if registry.organisations()[org].membership.ended_by(vote.at) {
            return Err(AdmissionRefusal::MembershipEnded);
        }
        match ballot.kind {
            BallotKind::Correspondence if !registry.persons()[person].on_membership_list => {
                return Err(AdmissionRefusal::NotOnMembershipList);
            }
            // Deviation #4: the caster is physically present at the
            // meeting (founding members too).
            BallotKind::Meeting { .. }
                if !self
                    .meeting
                    .is_some_and(|m| registry.physically_present(m, person)) =>
            {
                return Err(AdmissionRefusal::NotPresent);
            }
            _ => {}
        }
        Ok(AdmittedVote {
            roll_line,
            question,
            choice,
            at: vote.at,
            sequence: vote.sequence,
        })
    }
}
