//! Properties of the rules over random registries and votes (proptest):
//! the tally never exceeds the roll, the result ignores the input order of
//! votes with distinct times, a `yes` never hurts, and the roll is a pure
//! function of its inputs.

use proptest::prelude::*;
use scrutineer::id::{BallotId, OrgId, PersonId, QuestionId};
use scrutineer::rules::{
    Attendance, AttendanceMode, Ballot, BallotKind, BallotRun, Meeting, MeetingFormat, Membership,
    OrgClass, Organisation, Parameters, Person, Profile, RegistryView, Vote, check_schedule,
    compute_roll, run_ballot,
};
use scrutineer::time::Timestamp;

const DAY: i64 = 86_400;

fn t(days: i64, seconds: i64) -> Timestamp {
    // 2030-01-01T00:00:00Z plus an offset; well inside the range.
    Timestamp::from_unix(1_893_456_000 + days * DAY + seconds, 0).expect("in range")
}

fn id<T: std::str::FromStr>(text: String) -> T
where
    T::Err: std::fmt::Debug,
{
    text.parse().expect("generated ids are valid")
}

/// A random ISG, in primitive form so that proptest can shrink it.
#[derive(Debug, Clone)]
struct World {
    /// Per organisation: class selector, founding, membership end (days
    /// after the start of the ballot, none if ≥ 20).
    orgs: Vec<(u8, bool, u8)>,
    /// Per plenary after the KoM: format selector.
    meetings: Vec<u8>,
    /// Attendance: (organisation, meeting including KoM at 0, physical).
    attendance: Vec<(usize, usize, bool)>,
    /// Votes: (organisation, choice selector, seconds into the ballot).
    votes: Vec<(usize, u8, u32)>,
    /// A shuffle seed.
    seed: u64,
}

fn world() -> impl Strategy<Value = World> {
    (1usize..10, 0usize..6).prop_flat_map(|(orgs, meetings)| {
        (
            prop::collection::vec((0u8..5, any::<bool>(), 0u8..30), orgs),
            prop::collection::vec(0u8..3, meetings),
            prop::collection::vec((0..orgs, 0..=meetings, any::<bool>()), 0..40),
            prop::collection::vec((0..orgs, 0u8..4, 0u32..1_000_000), 0..40),
            any::<u64>(),
        )
            .prop_map(|(orgs, meetings, attendance, votes, seed)| World {
                orgs,
                meetings,
                attendance,
                votes,
                seed,
            })
    })
}

/// Fisher–Yates with a xorshift generator: a deterministic permutation.
fn shuffle<T>(items: &mut [T], seed: u64) {
    let mut state = seed | 1;
    for i in (1..items.len()).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        items.swap(i, (state % (i as u64 + 1)) as usize);
    }
}

struct Built {
    parameters: Parameters,
    organisations: Vec<Organisation>,
    persons: Vec<Person>,
    meetings: Vec<Meeting>,
    attendance: Vec<Attendance>,
    ballot: Ballot,
    votes: Vec<Vote>,
}

/// The ballot opens on day 400 (after every meeting) and runs 14 days.
const OPENS: i64 = 400;

fn build(w: &World) -> Built {
    let parameters = Parameters::defaults(Profile::EtsiIsg);
    let organisations = w
        .orgs
        .iter()
        .enumerate()
        .map(|(i, &(class, founding, end))| Organisation {
            id: id(format!("o{i}")),
            class: match class {
                0 => OrgClass::Participant,
                _ => OrgClass::Member,
            },
            founding,
            membership: Membership {
                from: None,
                to: (end < 20).then(|| t(OPENS, i64::from(end) * 50_000)),
            },
        })
        .collect();
    let persons = (0..w.orgs.len())
        .map(|i| Person {
            id: id(format!("p{i}")),
            organisation: id(format!("o{i}")),
            on_membership_list: true,
        })
        .collect();
    let mut meetings = vec![Meeting {
        id: id("KoM".to_string()),
        plenary: true,
        format: MeetingFormat::FaceToFace,
        start: t(0, 0),
        end: t(1, 0),
        kick_off: true,
    }];
    for (i, &format) in w.meetings.iter().enumerate() {
        let day = 60 * (i as i64 + 1);
        meetings.push(Meeting {
            id: id(format!("P{}", i + 2)),
            plenary: true,
            format: [
                MeetingFormat::FaceToFace,
                MeetingFormat::Online,
                MeetingFormat::Hybrid,
            ][usize::from(format)],
            start: t(day, 0),
            end: t(day + 1, 0),
            kick_off: false,
        });
    }
    let attendance = w
        .attendance
        .iter()
        .map(|&(org, meeting, physical)| Attendance {
            meeting: meetings[meeting].id.clone(),
            person: id(format!("p{org}")),
            organisation: id(format!("o{org}")),
            // Physical attendance at an online meeting is invalid: remote.
            mode: if physical && meetings[meeting].format != MeetingFormat::Online {
                AttendanceMode::Physical
            } else {
                AttendanceMode::Remote
            },
        })
        .collect();
    let ballot = Ballot {
        id: id::<BallotId>("B".to_string()),
        kind: BallotKind::Correspondence,
        questions: vec![id::<QuestionId>("main".to_string())],
        announced: t(OPENS - 30, 0),
        opens: t(OPENS, 0),
        closes: t(OPENS + 14, 0),
    };
    let votes = w
        .votes
        .iter()
        .enumerate()
        .map(|(i, &(org, choice, at))| Vote {
            person: id::<PersonId>(format!("p{org}")),
            organisation: id::<OrgId>(format!("o{org}")),
            question: id("main".to_string()),
            choice: ["yes", "no", "abstain", "maybe"][usize::from(choice)].to_string(),
            reasons: None,
            at: t(OPENS, i64::from(at)),
            sequence: i as u64,
        })
        .collect();
    Built {
        parameters,
        organisations,
        persons,
        meetings,
        attendance,
        ballot,
        votes,
    }
}

impl Built {
    fn registry(&self) -> RegistryView {
        RegistryView::new(
            &self.parameters,
            self.organisations.clone(),
            self.persons.clone(),
            self.meetings.clone(),
            self.attendance.clone(),
        )
        .expect("generated registries are valid")
    }

    fn run(&self, votes: &[Vote]) -> BallotRun {
        run_ballot(&self.parameters, &self.registry(), &self.ballot, votes)
            .expect("the ballot is schedulable")
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn the_tally_never_counts_more_than_the_eligible(w in world()) {
        let built = build(&w);
        let run = built.run(&built.votes);
        let eligible = run.roll.eligible_count() as u64;
        let counted = run.verdicts.iter().filter(|v| v.counted).count() as u64;
        prop_assert!(counted <= eligible);
        for q in &run.questions {
            prop_assert!(q.in_favour + q.against + q.abstain <= eligible);
            prop_assert_eq!(q.in_favour + q.against + q.abstain + q.not_voted(), eligible);
        }
        // Every counted vote is accepted and from an eligible organisation.
        for v in &run.verdicts {
            if v.counted {
                let admitted = v.admission.as_ref().expect("counted votes are accepted");
                prop_assert!(run.roll.organisations[admitted.roll_line].eligible);
            }
        }
    }

    #[test]
    fn the_result_ignores_the_order_of_votes_with_distinct_times(w in world()) {
        let built = build(&w);
        // Keep one vote per time: the property concerns distinct times.
        let mut votes = built.votes.clone();
        votes.sort_by_key(|v| v.at);
        votes.dedup_by_key(|v| v.at);
        let run = built.run(&votes);
        let mut shuffled = votes.clone();
        shuffle(&mut shuffled, w.seed);
        for (i, v) in shuffled.iter_mut().enumerate() {
            v.sequence = i as u64;
        }
        let again = built.run(&shuffled);
        prop_assert_eq!(&run.questions, &again.questions);
        prop_assert_eq!(&run.roll, &again.roll);
        // The same vote gets the same verdict wherever it stands.
        for (v, verdict) in shuffled.iter().zip(&again.verdicts) {
            let original = votes.iter().position(|o| o.at == v.at).expect("the same votes");
            prop_assert_eq!(run.verdicts[original].counted, verdict.counted);
            prop_assert_eq!(run.verdicts[original].admission.is_ok(), verdict.admission.is_ok());
        }
    }

    #[test]
    fn adding_a_yes_never_turns_an_approval_into_a_rejection(w in world(), pick in any::<prop::sample::Index>()) {
        let built = build(&w);
        let run = built.run(&built.votes);
        let eligible: Vec<&OrgId> = run.roll.eligible().collect();
        prop_assume!(!eligible.is_empty());
        let org = eligible[pick.index(eligible.len())];
        let person = built
            .persons
            .iter()
            .find(|p| &p.organisation == org)
            .expect("every organisation has a person");
        // Cast early enough that no membership has ended (ends are at or
        // after the opening; the earliest is the opening itself, which
        // would make the organisation ineligible in the first place).
        let mut votes = built.votes.clone();
        votes.push(Vote {
            person: person.id.clone(),
            organisation: org.clone(),
            question: id("main".to_string()),
            choice: "yes".to_string(),
            reasons: None,
            at: t(OPENS, 0),
            sequence: votes.len() as u64,
        });
        let after = built.run(&votes);
        let added = after.verdicts.last().expect("the added vote");
        if added.admission.is_ok() && run.questions[0].passed {
            prop_assert!(after.questions[0].passed, "{:?} then {:?}", run.questions, after.questions);
        }
        // A counted `yes` replaces at most one final vote of its own
        // organisation, so the `yes` count never goes down.
        if added.counted {
            prop_assert!(after.questions[0].in_favour >= run.questions[0].in_favour);
        }
    }

    #[test]
    fn the_roll_is_a_pure_function_of_its_inputs(w in world()) {
        let built = build(&w);
        let registry = built.registry();
        let scheduled = check_schedule(&built.parameters, &registry, &built.ballot).expect("schedulable");
        let roll = compute_roll(&built.parameters, &registry, &scheduled);
        prop_assert_eq!(&roll, &compute_roll(&built.parameters, &registry, &scheduled));

        let mut organisations = built.organisations.clone();
        let mut persons = built.persons.clone();
        let mut meetings = built.meetings.clone();
        let mut attendance = built.attendance.clone();
        shuffle(&mut organisations, w.seed);
        shuffle(&mut persons, w.seed ^ 1);
        shuffle(&mut meetings, w.seed ^ 2);
        shuffle(&mut attendance, w.seed ^ 3);
        let shuffled = RegistryView::new(&built.parameters, organisations, persons, meetings, attendance)
            .expect("still valid");
        let scheduled = check_schedule(&built.parameters, &shuffled, &built.ballot).expect("schedulable");
        prop_assert_eq!(&roll, &compute_roll(&built.parameters, &shuffled, &scheduled));
        prop_assert_eq!(roll.organisations.len(), built.organisations.len());
    }
}
