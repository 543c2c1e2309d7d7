//! The registry fold end to end: a log folded into a `GroupState` gives the
//! rules the same registry, hence the same roll and tally, as `simulate`
//! computes for the equivalent scenario; and the fold is deterministic and
//! leaves the state untouched on a refusal (proptest).

mod common;

use proptest::prelude::*;
use scrutineer::entry::Entry;
use scrutineer::id::{MeetingId, OrgId, PersonId};
use scrutineer::note::{KeyName, SigningKey};
use scrutineer::registry::{
    Applied, ChairAppointed, ChairEnded, Fact, GroupId, GroupRecord, GroupState, KeyAdded,
    KeyRevoked, PersonRecord, Record, ReviewerRecord,
};
use scrutineer::rules::registry::RegistryProblem;
use scrutineer::rules::{
    Attendance, AttendanceMode, Meeting, MeetingFormat, Membership, OrgClass, Organisation,
    Profile, run_ballot,
};
use scrutineer::simulate::{BallotResult, Scenario, report, simulate};
use scrutineer::time::{Duration, Timestamp};
use serde_json::{Value, json};

fn t(text: &str) -> Timestamp {
    Timestamp::parse(text).expect("valid test time")
}

/// Folds entry bytes exactly as the verifier will: parse each envelope,
/// then replay.
fn fold(log: &[Vec<u8>]) -> GroupState {
    let entries: Vec<Entry> = log
        .iter()
        .map(|bytes| Entry::parse(bytes).expect("a logged entry parses"))
        .collect();
    GroupState::replay(&entries).expect("the log folds")
}

/// The log of a scenario's registry: the group, then organisations,
/// persons, meetings and attendance, one second apart.
fn log_of(scenario: &Scenario) -> Vec<Vec<u8>> {
    let registry = &scenario.registry;
    let group = GroupRecord::from_parameters(
        GroupId::new("scenario").expect("id"),
        &scenario.parameters,
        None,
    );
    let mut facts: Vec<Fact> = vec![group.into()];
    facts.extend(registry.organisations().iter().cloned().map(Fact::from));
    facts.extend(registry.persons().iter().map(|p| {
        Fact::from(PersonRecord {
            id: p.id.clone(),
            organisation: p.organisation.clone(),
            on_membership_list: p.on_membership_list,
            reconfirmed: None,
        })
    }));
    facts.extend(registry.meetings().iter().cloned().map(Fact::from));
    facts.extend(registry.attendance().iter().cloned().map(Fact::from));
    let start = t("2019-01-01T00:00:00Z");
    facts
        .iter()
        .enumerate()
        .map(|(i, fact)| {
            let time = start
                .checked_add(Duration::seconds(i as i64))
                .expect("in range");
            fact.to_entry(time).encode().expect("small entry")
        })
        .collect()
}

/// The `simulate` report of a scenario whose registry comes from the fold.
fn report_from_fold(text: &str) -> Value {
    let scenario = Scenario::parse(text).expect("a valid scenario");
    let state = fold(&log_of(&scenario));
    assert_eq!(state.parameters(), &scenario.parameters);
    let registry = state.to_rules_registry().expect("a complete registry");
    let results: Vec<BallotResult> = scenario
        .ballots
        .iter()
        .map(|b| BallotResult {
            id: b.ballot.id.clone(),
            kind: b.ballot.kind.tag(),
            run: run_ballot(state.parameters(), &registry, &b.ballot, &b.votes),
        })
        .collect();
    serde_json::to_value(report(state.parameters(), &results)).expect("serialises")
}

#[test]
fn shared_scenarios_give_the_same_result_through_the_log() {
    let Some(dir) = common::shared("scenarios") else {
        return;
    };
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("readable")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no scenario in {}", dir.display());
    for path in paths {
        let text = std::fs::read_to_string(&path).expect("readable");
        let direct = serde_json::to_value(simulate(&text).expect("valid")).expect("serialises");
        let expect = serde_json::from_str::<Value>(&text).expect("JSON")["expect"].clone();
        assert_eq!(report_from_fold(&text), direct, "{}", path.display());
        assert_eq!(direct, expect, "{}", path.display());
    }
}

/// A small ISG written out entry by entry, with an upsert, a removal, a
/// key and a ballot entry the registry passes through.
const LOG: &[&str] = &[
    "type group\ntime 2026-01-05T09:00:00.000000Z\ngroup ISG-T\nprofile etsi-isg\n\
     threshold-percent 71\nnotice-days 30\ncorrespondence-window plenaries\n",
    "type organisation\ntime 2026-01-05T09:00:01.000000Z\norganisation acme\nclass member\n\
     founding true\nfrom 2026-01-01T00:00:00.000000Z\n",
    "type organisation\ntime 2026-01-05T09:00:02.000000Z\norganisation beta\nclass participant\n\
     founding false\n",
    "type organisation\ntime 2026-01-05T09:00:03.000000Z\norganisation delta\nclass member\n\
     founding true\n",
    "type organisation\ntime 2026-01-05T09:00:04.000000Z\norganisation beta\nclass member\n\
     founding false\n",
    "type person\ntime 2026-01-05T09:01:00.000000Z\nperson a1\norganisation acme\n\
     membership-list true\n",
    "type person\ntime 2026-01-05T09:01:00.000000Z\nperson b1\norganisation beta\n\
     membership-list true\n",
    "type person\ntime 2026-01-05T09:01:00.000000Z\nperson d1\norganisation delta\n\
     membership-list false\n",
    "type meeting\ntime 2026-01-06T00:00:00.000000Z\nmeeting KoM\nplenary true\n\
     format face-to-face\nstart 2026-02-02T08:00:00.000000Z\nend 2026-02-03T17:00:00.000000Z\n\
     kick-off true\n",
    "type meeting\ntime 2026-01-06T00:00:00.000000Z\nmeeting P2\nplenary true\n\
     format face-to-face\nstart 2026-04-07T08:00:00.000000Z\nend 2026-04-09T17:00:00.000000Z\n\
     kick-off false\n",
    "type meeting\ntime 2026-01-06T00:00:00.000000Z\nmeeting P3\nplenary true\nformat hybrid\n\
     start 2026-06-09T08:00:00.000000Z\nend 2026-06-11T17:00:00.000000Z\nkick-off false\n",
    "type meeting\ntime 2026-01-06T00:00:00.000000Z\nmeeting P4\nplenary true\nformat online\n\
     start 2026-09-01T08:00:00.000000Z\nend 2026-09-02T17:00:00.000000Z\nkick-off false\n",
    "type attendance\ntime 2026-09-03T00:00:00.000000Z\nmeeting KoM\nperson d1\n\
     organisation delta\nmode physical\n",
    "type attendance\ntime 2026-09-03T00:00:00.000000Z\nmeeting P2\nperson a1\n\
     organisation acme\nmode physical\n",
    "type attendance\ntime 2026-09-03T00:00:00.000000Z\nmeeting P3\nperson a1\n\
     organisation acme\nmode remote\n",
    "type attendance\ntime 2026-09-03T00:00:00.000000Z\nmeeting P3\nperson a1\n\
     organisation acme\nmode physical\n",
    "type attendance\ntime 2026-09-03T00:00:00.000000Z\nmeeting P2\nperson b1\n\
     organisation beta\nmode physical\n",
    "type attendance\ntime 2026-09-03T00:00:00.000000Z\nmeeting P3\nperson b1\n\
     organisation beta\nmode physical\n",
    "type attendance\ntime 2026-09-03T00:00:00.000000Z\nmeeting P4\nperson b1\n\
     organisation beta\nmode remote\n",
    "type attendance-removed\ntime 2026-09-04T00:00:00.000000Z\nmeeting P2\nperson b1\n",
    "type key\ntime 2026-09-05T00:00:00.000000Z\nperson a1\n\
     key a1+ed1204d5+Ae1JKMYo0cLG6ukDOJBZlWEpWSc6XGP5NjbBRhSshzfR\n",
    "type vote\ntime 2026-10-02T00:00:00.000000Z\nballot B1\n\
     note sha256:65218b5aadccf3cb185c80898da7537c1cf02dbe715b82b140d720856f77e9b5\n",
];

/// The same ISG as a `simulate` scenario.
fn equivalent_scenario() -> Value {
    let org = |id, class, founding, from: Option<&str>| json!({"id": id, "class": class, "founding": founding, "from": from});
    let attend = |meeting, person, organisation, mode| json!({"meeting": meeting, "person": person, "organisation": organisation, "mode": mode});
    let meeting = |id, format, start, end, kick_off| {
        json!({"id": id, "plenary": true, "format": format, "start": start, "end": end,
               "kick_off": kick_off})
    };
    json!({
        "profile": "etsi-isg",
        "organisations": [
            org("acme", "member", true, Some("2026-01-01T00:00:00Z")),
            org("beta", "member", false, None),
            org("delta", "member", true, None),
        ],
        "persons": [
            {"id": "a1", "organisation": "acme", "on_membership_list": true},
            {"id": "b1", "organisation": "beta", "on_membership_list": true},
            {"id": "d1", "organisation": "delta"},
        ],
        "meetings": [
            meeting("KoM", "face-to-face", "2026-02-02T08:00:00Z", "2026-02-03T17:00:00Z", true),
            meeting("P2", "face-to-face", "2026-04-07T08:00:00Z", "2026-04-09T17:00:00Z", false),
            meeting("P3", "hybrid", "2026-06-09T08:00:00Z", "2026-06-11T17:00:00Z", false),
            meeting("P4", "online", "2026-09-01T08:00:00Z", "2026-09-02T17:00:00Z", false),
        ],
        "attendance": [
            attend("KoM", "d1", "delta", "physical"),
            attend("P2", "a1", "acme", "physical"),
            attend("P3", "a1", "acme", "physical"),
            attend("P3", "b1", "beta", "physical"),
            attend("P4", "b1", "beta", "remote"),
        ],
        "ballots": [{
            "id": "B1", "kind": "correspondence", "meeting": null,
            "announced": "2026-08-25T09:00:00Z", "opens": "2026-10-01T09:00:00Z",
            "closes": "2026-10-15T09:00:00Z",
            "votes": [
                {"person": "a1", "organisation": "acme", "choice": "yes",
                 "at": "2026-10-02T10:00:00Z"},
                {"person": "b1", "organisation": "beta", "choice": "no",
                 "at": "2026-10-03T10:00:00Z"},
                {"person": "d1", "organisation": "delta", "choice": "no",
                 "at": "2026-10-03T11:00:00Z"},
            ],
        }],
    })
}

#[test]
fn a_hand_written_log_gives_the_roll_of_its_scenario() {
    let log: Vec<Vec<u8>> = LOG
        .iter()
        .map(|e| format!("scrutineer/entry/v1\n{e}\n").into_bytes())
        .collect();
    let state = fold(&log);
    assert_eq!(state.entries_applied(), LOG.len() as u64);
    assert_eq!(state.attendance().count(), 5);
    assert_eq!(
        state.organisation("beta").map(|o| o.class),
        Some(OrgClass::Member)
    );
    let on_list: Vec<&str> = state.membership_list_at_now().map(|p| p.as_str()).collect();
    assert_eq!(on_list, ["a1", "b1"]);
    let key = &state.keys_of("a1")[0];
    assert_eq!(key.added, t("2026-09-05T00:00:00Z"));

    let scenario = equivalent_scenario();
    let direct =
        serde_json::to_value(simulate(&scenario.to_string()).expect("valid")).expect("serialises");
    // Known answer: after the Kick-off Period (ended with P3), only acme
    // attended 2 of P2, P3, P4 physically; delta's founding right is over.
    assert_eq!(
        direct,
        json!({"ballots": [{"id": "B1", "status": "tallied", "eligible": ["acme"],
            "votes": [
                {"index": 0, "accepted": true, "counted": true},
                {"index": 1, "accepted": false, "counted": false, "reason": "not-eligible"},
                {"index": 2, "accepted": false, "counted": false, "reason": "not-eligible"}],
            "questions": [{"id": "main", "yes": 1, "no": 0, "abstain": 0, "not_voted": 0,
                           "outcome": "approved"}]}]})
    );
    let parsed = Scenario::parse(&scenario.to_string()).expect("valid");
    let registry = state.to_rules_registry().expect("complete");
    let b = &parsed.ballots[0];
    let run = run_ballot(state.parameters(), &registry, &b.ballot, &b.votes).expect("scheduled");
    let results = [BallotResult {
        id: b.ballot.id.clone(),
        kind: b.ballot.kind.tag(),
        run: Ok(run),
    }];
    assert_eq!(
        serde_json::to_value(report(state.parameters(), &results)).expect("serialises"),
        direct
    );
}

#[test]
fn non_registry_entries_pass_through_in_time_order() {
    let group = GroupRecord::defaults(GroupId::new("G").expect("id"), Profile::EtsiIsg);
    let mut state = GroupState::genesis(&group.to_entry(t("2026-01-01T00:00:00Z"))).expect("ok");
    let vote = Entry::new("vote", t("2026-01-02T00:00:00Z")).header("ballot", "B");
    assert_eq!(state.apply(&vote), Ok(Applied::NotRegistry(&vote)));
    assert_eq!(state.entries_applied(), 2);
    let late = Entry::new("tally", t("2026-01-01T12:00:00Z")).header("ballot", "B");
    assert_eq!(
        state.apply(&late).map_err(|r| r.code()),
        Err("time-went-backwards")
    );
    assert_eq!(
        GroupState::replay(std::iter::empty()).map_err(|e| e.refusal.code()),
        Err("empty-log")
    );
}

// ---- Properties over random sequences of entries. ----

/// One generated step: an operation over a small universe of ids, and a
/// time step in hours (negative steps test the time order).
#[derive(Debug, Clone)]
enum Op {
    Org(u8, u8, bool, Option<(u8, u8)>),
    Person(u8, u8, bool),
    Key(u8, u8, u8),
    Revoke(u8, u8),
    Meeting(u8, u8, bool, u8, u8),
    Attend(u8, u8, u8, bool),
    Unattend(u8, u8),
    Chair(u8, u16, u16, bool),
    ChairEnd(u8, bool),
    Reviewer(u8, bool),
    Other,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (
            0u8..3,
            0u8..5,
            any::<bool>(),
            proptest::option::of((0u8..20, 0u8..20))
        )
            .prop_map(|(a, b, c, d)| Op::Org(a, b, c, d)),
        (0u8..3, 0u8..4, any::<bool>()).prop_map(|(a, b, c)| Op::Person(a, b, c)),
        (0u8..3, 0u8..3, 1u8..4).prop_map(|(a, b, c)| Op::Key(a, b, c)),
        (0u8..3, 1u8..4).prop_map(|(a, b)| Op::Revoke(a, b)),
        (0u8..3, 0u8..3, any::<bool>(), 0u8..20, 0u8..3)
            .prop_map(|(a, b, c, d, e)| Op::Meeting(a, b, c, d, e)),
        (0u8..4, 0u8..4, 0u8..4, any::<bool>()).prop_map(|(a, b, c, d)| Op::Attend(a, b, c, d)),
        (0u8..3, 0u8..3).prop_map(|(a, b)| Op::Unattend(a, b)),
        (0u8..4, 0u16..800, 0u16..800, any::<bool>())
            .prop_map(|(a, b, c, d)| Op::Chair(a, b, c, d)),
        (0u8..3, any::<bool>()).prop_map(|(a, b)| Op::ChairEnd(a, b)),
        (0u8..4, any::<bool>()).prop_map(|(a, b)| Op::Reviewer(a, b)),
        Just(Op::Other),
    ]
}

fn day(n: u16) -> Timestamp {
    t("2026-01-01T00:00:00Z")
        .checked_add(Duration::days(i64::from(n)))
        .expect("in range")
}

fn entry_of(op: &Op, time: Timestamp) -> Entry {
    let o = |i: u8| OrgId::new(&format!("o{i}")).expect("id");
    let p = |i: u8| PersonId::new(&format!("p{i}")).expect("id");
    let m = |i: u8| MeetingId::new(&format!("m{i}")).expect("id");
    let classes = [
        OrgClass::Member,
        OrgClass::Participant,
        OrgClass::Observer,
        OrgClass::Counsellor,
        OrgClass::MemberState,
    ];
    let formats = [
        MeetingFormat::FaceToFace,
        MeetingFormat::Online,
        MeetingFormat::Hybrid,
    ];
    let key = |name: u8, seed: u8| {
        let name = KeyName::new(format!("p{name}")).expect("name");
        SigningKey::from_seed(name, &[seed; 32]).verifier_key()
    };
    let fact: Fact = match *op {
        Op::Org(id, class, founding, period) => Organisation {
            id: o(id),
            class: classes[usize::from(class)],
            founding,
            membership: Membership {
                from: period.map(|(a, _)| day(u16::from(a))),
                to: period.map(|(_, b)| day(u16::from(b))),
            },
        }
        .into(),
        Op::Person(id, org, list) => PersonRecord {
            id: p(id),
            organisation: o(org),
            on_membership_list: list,
            reconfirmed: None,
        }
        .into(),
        Op::Key(person, name, seed) => KeyAdded {
            person: p(person),
            key: key(name, seed),
        }
        .into(),
        Op::Revoke(person, seed) => KeyRevoked {
            person: p(person),
            key_id: key(person, seed).id(),
        }
        .into(),
        Op::Meeting(id, format, kick_off, start, length) => Meeting {
            id: m(id),
            plenary: true,
            format: formats[usize::from(format)],
            start: day(u16::from(start)),
            end: day(u16::from(start) + u16::from(length)),
            kick_off,
        }
        .into(),
        Op::Attend(meeting, person, org, physical) => Attendance {
            meeting: m(meeting),
            person: p(person),
            organisation: o(org),
            mode: if physical {
                AttendanceMode::Physical
            } else {
                AttendanceMode::Remote
            },
        }
        .into(),
        Op::Unattend(meeting, person) => scrutineer::registry::AttendanceRemoved {
            meeting: m(meeting),
            person: p(person),
        }
        .into(),
        Op::Chair(person, from, length, acting) => ChairAppointed {
            person: p(person),
            from: day(from),
            to: day(from + length),
            acting,
        }
        .into(),
        Op::ChairEnd(person, acting) => ChairEnded {
            person: p(person),
            acting,
        }
        .into(),
        Op::Reviewer(person, appointed) => ReviewerRecord {
            person: p(person),
            appointed,
        }
        .into(),
        Op::Other => return Entry::new("vote", time).header("ballot", "B"),
    };
    fact.to_entry(time)
}

/// The entries of a run: times move by the given hours (possibly back).
fn entries(ops: &[(Op, i8)]) -> Vec<Entry> {
    let mut time = day(0);
    let group = GroupRecord::defaults(GroupId::new("G").expect("id"), Profile::EtsiIsg);
    let mut out = vec![group.to_entry(time)];
    for (op, hours) in ops {
        time = time
            .checked_add(Duration::seconds(i64::from(*hours) * 3600))
            .expect("in range");
        out.push(entry_of(op, time));
    }
    out
}

/// Applies every entry, checking that a refusal leaves the state as it
/// was; returns the state and the outcome codes.
fn run(entries: &[Entry]) -> (GroupState, Vec<Result<(), &'static str>>) {
    let mut state = GroupState::genesis(&entries[0]).expect("a valid group");
    let mut outcomes = Vec::new();
    for entry in &entries[1..] {
        let before = state.clone();
        let outcome = state.apply(entry).map(|_| ()).map_err(|r| r.code());
        if outcome.is_err() {
            assert_eq!(state, before, "a refused entry changed the state");
        } else {
            assert_eq!(state.entries_applied(), before.entries_applied() + 1);
        }
        outcomes.push(outcome);
    }
    (state, outcomes)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn the_fold_is_deterministic_and_refusals_change_nothing(
        ops in prop::collection::vec((op(), -2i8..24), 0..60)
    ) {
        let entries = entries(&ops);
        let (first, outcomes) = run(&entries);
        // The same bytes, parsed again, give the same outcomes and state.
        let reparsed: Vec<Entry> = entries
            .iter()
            .map(|e| Entry::parse(&e.encode().expect("small")).expect("parses"))
            .collect();
        let (second, again) = run(&reparsed);
        prop_assert_eq!(&first, &second);
        prop_assert_eq!(outcomes, again);
        // Every registry entry reads back as the fact that wrote it.
        for entry in &entries {
            if let Some(fact) = Fact::from_entry(entry).expect("well-formed") {
                prop_assert_eq!(&fact.to_entry(entry.time()), entry);
            }
        }
        // What the fold accepts, the rules accept, but for the KoM count
        // that only a roll needs.
        if let Err(e) = first.to_rules_registry() {
            let kick_off_count = matches!(e.problem, RegistryProblem::KickOffCount { .. });
            prop_assert!(kick_off_count, "{}", e);
        }
    }
}
