//! Supersession and the tally, in integer arithmetic.
//!
//! SPEC 2.1 items 8 and 9, SPEC 2.2 items 4 and 5: per organisation and
//! question the latest accepted vote counts; the tally counts those final
//! votes among eligible organisations and applies the profile's threshold.

use crate::id::QuestionId;
use crate::rules::admission::{AdmissionRefusal, AdmittedVote};
use crate::rules::params::{Parameters, Stance};
use crate::rules::roll::Roll;
use crate::rules::voting::Ballot;

/// The counts of one question and its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionTally {
    /// The question.
    pub question: QuestionId,
    /// Final votes for (`yes`, `assign`).
    pub in_favour: u64,
    /// Final votes against (`no`, `do-not-assign`).
    pub against: u64,
    /// Final abstentions (ETSI only).
    pub abstain: u64,
    /// Eligible organisations on the roll.
    pub eligible: u64,
    /// Whether the question passed (approved, or proceeds).
    pub passed: bool,
}

impl QuestionTally {
    /// Votes cast (ETSI: yes + no) or replies (ITU-T: assign +
    /// do-not-assign).
    pub fn cast(&self) -> u64 {
        self.in_favour + self.against
    }

    /// Eligible organisations whose final vote is none of the three.
    pub fn not_voted(&self) -> u64 {
        // Each eligible organisation has at most one final vote per
        // question, so the counts never exceed `eligible`.
        self.eligible - (self.in_favour + self.against + self.abstain)
    }
}

/// Marks which accepted votes count: for each (organisation, question),
/// the latest by (time, sequence) (SPEC 2.1 item 8; SPEC section 5).
/// Refused votes change nothing. O(votes + roll × questions).
pub fn supersede(
    roll: &Roll,
    question_count: usize,
    admissions: &[Result<AdmittedVote, AdmissionRefusal>],
) -> Vec<bool> {
    let slots = roll.organisations.len() * question_count;
    let mut latest: Vec<Option<usize>> = vec![None; slots];
    for (i, admission) in admissions.iter().enumerate() {
        let Ok(vote) = admission else { continue };
        let slot = &mut latest[vote.roll_line * question_count + vote.question];
        let newer = match *slot {
            None => true,
            Some(j) => match &admissions[j] {
                Ok(held) => vote.recency_key() > held.recency_key(),
                // Only accepted votes are ever stored in a slot.
                Err(_) => true,
            },
        };
        if newer {
            *slot = Some(i);
        }
    }
    let mut counted = vec![false; admissions.len()];
    for i in latest.into_iter().flatten() {
        counted[i] = true;
    }
    counted
}

/// Counts the final votes of each question of `ballot` and applies the
/// threshold (TWP 1.7 / SPEC 2.1 item 9; Res. 1 §9.4.5 / SPEC 2.2 item 5).
pub fn tally(
    parameters: &Parameters,
    roll: &Roll,
    ballot: &Ballot,
    admissions: &[Result<AdmittedVote, AdmissionRefusal>],
    counted: &[bool],
) -> Vec<QuestionTally> {
    let eligible = roll.eligible_count() as u64;
    let mut tallies: Vec<QuestionTally> = ballot
        .questions
        .iter()
        .map(|q| QuestionTally {
            question: q.clone(),
            in_favour: 0,
            against: 0,
            abstain: 0,
            eligible,
            passed: false,
        })
        .collect();
    for (admission, &counts) in admissions.iter().zip(counted) {
        let (Ok(vote), true) = (admission, counts) else {
            continue;
        };
        // Admission only accepts votes of eligible organisations; a vote
        // that somehow is not eligible is not counted rather than trusted.
        if !roll.organisations[vote.roll_line].eligible {
            continue;
        }
        let t = &mut tallies[vote.question];
        match vote.choice.stance() {
            Stance::For => t.in_favour += 1,
            Stance::Against => t.against += 1,
            Stance::Abstain => t.abstain += 1,
        }
    }
    for t in &mut tallies {
        t.passed = parameters.passes(t.in_favour, t.against);
    }
    tallies
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::params::{Choice, OrgClass, Profile};
    use crate::rules::roll::{ROLL_VERSION, RollEntry, RollReason};
    use crate::rules::schedule::{PlenaryScope, RollReference};
    use crate::time::Timestamp;

    fn roll(eligible: &[bool]) -> Roll {
        let at = Timestamp::UNIX_EPOCH;
        Roll {
            version: ROLL_VERSION,
            profile: Profile::EtsiIsg,
            ballot: "B".parse().expect("valid id"),
            reference: RollReference {
                at,
                attendance_at: at,
                scope: PlenaryScope::Plenaries,
            },
            window: vec![],
            kick_off_period: None,
            organisations: eligible
                .iter()
                .enumerate()
                .map(|(i, &e)| RollEntry {
                    organisation: format!("o{i}").parse().expect("valid id"),
                    class: OrgClass::Member,
                    founding: false,
                    kick_off_period: false,
                    physical: vec![],
                    eligible: e,
                    reason: if e {
                        RollReason::Attendance
                    } else {
                        RollReason::InsufficientAttendance
                    },
                })
                .collect(),
        }
    }

    fn vote(
        line: usize,
        choice: Choice,
        seconds: i64,
        sequence: u64,
    ) -> Result<AdmittedVote, AdmissionRefusal> {
        Ok(AdmittedVote {
            roll_line: line,
            question: 0,
            choice,
            at: Timestamp::from_unix(seconds, 0).expect("in range"),
            sequence,
        })
    }

    #[test]
    fn the_latest_accepted_vote_counts() {
        let roll = roll(&[true, true]);
        let admissions = vec![
            vote(0, Choice::Yes, 10, 0),
            vote(0, Choice::No, 5, 1),
            Err(AdmissionRefusal::OutsideWindow),
            vote(1, Choice::No, 7, 3),
            vote(1, Choice::Abstain, 7, 4),
        ];
        let counted = supersede(&roll, 1, &admissions);
        assert_eq!(counted, [true, false, false, false, true]);
    }

    #[test]
    fn tally_counts_final_votes_against_the_threshold() {
        let roll = roll(&[true, true, true, false]);
        let ballot = Ballot {
            id: "B".parse().expect("valid id"),
            kind: crate::rules::voting::BallotKind::Correspondence,
            questions: vec!["main".parse().expect("valid id")],
            announced: Timestamp::UNIX_EPOCH,
            opens: Timestamp::UNIX_EPOCH,
            closes: Timestamp::MAX,
        };
        let admissions = vec![vote(0, Choice::Yes, 1, 0), vote(1, Choice::Abstain, 1, 1)];
        let counted = supersede(&roll, 1, &admissions);
        let parameters = Parameters::defaults(Profile::EtsiIsg);
        let t = &tally(&parameters, &roll, &ballot, &admissions, &counted)[0];
        assert_eq!(
            (t.in_favour, t.against, t.abstain, t.not_voted()),
            (1, 0, 1, 1)
        );
        assert!(t.passed);
        // Not counted if the roll says not eligible, even if admitted.
        let stray = vec![vote(3, Choice::Yes, 1, 0)];
        let t = &tally(&parameters, &roll, &ballot, &stray, &[true])[0];
        assert_eq!((t.in_favour, t.passed), (0, false));
    }
}
