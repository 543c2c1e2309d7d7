//! The rules at the scale of a very large group: 10 000 organisations, 60
//! meetings (200 000 attendance records) and 1 000 000 votes. Measures the
//! roll (schedule check and explained roll), the admission of every vote,
//! supersession with the tally, and the whole ballot run.
//!
//! Run: `cargo bench --bench rules` (`-- --quick` shortens it).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use scrutineer::rules::{
    Admission, AdmissionRefusal, AdmittedVote, Attendance, AttendanceMode, Ballot, BallotKind,
    Meeting, MeetingFormat, Membership, OrgClass, Organisation, Parameters, Person, Profile,
    RegistryView, Vote, check_schedule, compute_roll, run_ballot, supersede, tally,
};
use scrutineer::time::Timestamp;

const ORGANISATIONS: usize = 10_000;
const MEETINGS: usize = 60;
/// Physical or remote attendances per organisation.
const ATTENDANCES_PER_ORG: usize = 20;
const VOTES: usize = 1_000_000;
const DAY: i64 = 86_400;

/// A small deterministic generator (xorshift64).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

fn at(seconds: i64) -> Timestamp {
    // From 2020-01-01T00:00:00Z.
    Timestamp::from_unix(1_577_836_800 + seconds, 0).expect("in range")
}

fn id<T: std::str::FromStr>(text: String) -> T
where
    T::Err: std::fmt::Debug,
{
    text.parse().expect("bench ids are valid")
}

struct Fixture {
    parameters: Parameters,
    registry: RegistryView,
    ballot: Ballot,
    votes: Vec<Vote>,
}

fn fixture() -> Fixture {
    let parameters = Parameters::defaults(Profile::EtsiIsg);
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    let organisations = (0..ORGANISATIONS)
        .map(|i| Organisation {
            id: id(format!("org{i:05}")),
            class: if i % 10 == 0 {
                OrgClass::Participant
            } else {
                OrgClass::Member
            },
            founding: i % 7 == 0,
            membership: Membership::default(),
        })
        .collect();
    let persons = (0..ORGANISATIONS)
        .map(|i| Person {
            id: id(format!("p{i:05}")),
            organisation: id(format!("org{i:05}")),
            on_membership_list: i % 13 != 0,
        })
        .collect();
    let meetings: Vec<Meeting> = (0..MEETINGS)
        .map(|m| Meeting {
            id: id(format!("M{m:02}")),
            plenary: m % 3 != 2,
            format: [
                MeetingFormat::FaceToFace,
                MeetingFormat::Hybrid,
                MeetingFormat::Online,
            ][m % 3],
            start: at(m as i64 * 30 * DAY),
            end: at(m as i64 * 30 * DAY + 2 * DAY),
            kick_off: m == 0,
        })
        .collect();
    let mut attendance = Vec::with_capacity(ORGANISATIONS * ATTENDANCES_PER_ORG);
    for o in 0..ORGANISATIONS {
        for k in 0..ATTENDANCES_PER_ORG {
            // Half the records fall on the last six meetings, so that most
            // members are eligible and most votes go through every check.
            let m = if k % 2 == 0 {
                rng.below(MEETINGS)
            } else {
                MEETINGS - 1 - rng.below(6)
            };
            let physical = meetings[m].format != MeetingFormat::Online && rng.below(4) != 0;
            attendance.push(Attendance {
                meeting: meetings[m].id.clone(),
                person: id(format!("p{o:05}")),
                organisation: id(format!("org{o:05}")),
                mode: if physical {
                    AttendanceMode::Physical
                } else {
                    AttendanceMode::Remote
                },
            });
        }
    }
    let registry = RegistryView::new(&parameters, organisations, persons, meetings, attendance)
        .expect("the bench registry is valid");
    let opens = at(MEETINGS as i64 * 30 * DAY + 30 * DAY);
    let ballot = Ballot {
        id: id("B".to_string()),
        kind: BallotKind::Correspondence,
        questions: vec![id("main".to_string())],
        announced: at(MEETINGS as i64 * 30 * DAY),
        opens,
        closes: at(MEETINGS as i64 * 30 * DAY + 44 * DAY),
    };
    let choices = ["yes", "no", "abstain", "yes", "maybe"];
    let votes = (0..VOTES)
        .map(|i| {
            let o = rng.below(ORGANISATIONS);
            Vote {
                person: id(format!("p{o:05}")),
                organisation: id(format!("org{o:05}")),
                question: id("main".to_string()),
                choice: choices[rng.below(choices.len())].to_string(),
                reasons: None,
                at: at(MEETINGS as i64 * 30 * DAY + 30 * DAY + rng.below(14 * DAY as usize) as i64),
                sequence: i as u64,
            }
        })
        .collect();
    Fixture {
        parameters,
        registry,
        ballot,
        votes,
    }
}

fn rules(c: &mut Criterion) {
    let f = fixture();
    let mut group = c.benchmark_group("rules");
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(8));

    group.bench_function("roll_10k_orgs_60_meetings", |b| {
        b.iter(|| {
            let scheduled =
                check_schedule(&f.parameters, &f.registry, &f.ballot).expect("schedulable");
            black_box(compute_roll(&f.parameters, &f.registry, &scheduled))
        })
    });

    let scheduled = check_schedule(&f.parameters, &f.registry, &f.ballot).expect("schedulable");
    let roll = compute_roll(&f.parameters, &f.registry, &scheduled);
    group.bench_function("admit_1m_votes", |b| {
        b.iter(|| {
            let admission = Admission::new(&f.parameters, &f.registry, &scheduled, &roll);
            black_box(
                f.votes
                    .iter()
                    .map(|v| admission.judge(v))
                    .collect::<Vec<_>>(),
            )
        })
    });

    let admission = Admission::new(&f.parameters, &f.registry, &scheduled, &roll);
    let admissions: Vec<Result<AdmittedVote, AdmissionRefusal>> =
        f.votes.iter().map(|v| admission.judge(v)).collect();
    group.bench_function("supersede_and_tally_1m_votes", |b| {
        b.iter(|| {
            let counted = supersede(&roll, 1, &admissions);
            black_box(tally(
                &f.parameters,
                &roll,
                &f.ballot,
                &admissions,
                &counted,
            ))
        })
    });

    group.bench_function("run_ballot_10k_orgs_1m_votes", |b| {
        b.iter(|| {
            black_box(run_ballot(&f.parameters, &f.registry, &f.ballot, &f.votes).expect("runs"))
        })
    });
    group.finish();

    let run = run_ballot(&f.parameters, &f.registry, &f.ballot, &f.votes).expect("runs");
    eprintln!(
        "eligible {} of {}; accepted {} of {}; {:?}",
        run.roll.eligible_count(),
        ORGANISATIONS,
        run.verdicts.iter().filter(|v| v.admission.is_ok()).count(),
        VOTES,
        run.questions[0]
    );
}

criterion_group!(benches, rules);
criterion_main!(benches);
