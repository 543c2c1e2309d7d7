//! The ballot fold end to end: every scenario (shared and inline) becomes a
//! real log — registry entries, the chair's signed announcement, the roll,
//! signed vote notes, the close and the tally — decided by the fold before
//! each append, with exactly the refusals, eligible list, counted flags and
//! outcomes of `simulate`; then the log replays from its bytes and the
//! revealed notes to the identical state.

mod common;

use std::collections::HashMap;

use scrutineer::ballot::{
    BallotRefusal, Decision, Lifecycle, NoDocuments, Notification, NotificationReason, ReplayError,
    Revealing,
};
use scrutineer::id::{BallotId, PersonId};
use scrutineer::note::{KeyName, SigningKey};
use scrutineer::registry::KeyRevoked;
use scrutineer::rules::Profile;
use scrutineer::simulate::{Scenario, simulate};
use scrutineer::time::{Duration, Timestamp};
use scrutineer::tlog::Hash;
use scrutineer::tlog::checkpoint::Origin;
use scrutineer::vote::{ChoiceWord, SubmittedVote, VoteNote};
use serde_json::{Value, json};

use common::ballotlog::{CHAIR, Log, announcement_of, key_of, origin, registry_log, vote_note};

/// Builds the log of a scenario and returns the report in `simulate`'s
/// shape, with the log for replay.
fn run(text: &str) -> (Value, Log) {
    let scenario = Scenario::parse(text).expect("valid scenario");
    let rules = &scenario.registry;
    let mut log = registry_log(&scenario);

    // Every event of every ballot on one time line; at equal times the
    // announcement, then the opening, then votes (in input order), then
    // the close and the tally.
    let mut events: Vec<(Timestamp, u8, usize, usize)> = Vec::new();
    for (i, b) in scenario.ballots.iter().enumerate() {
        events.push((b.ballot.announced, 0, i, 0));
        events.push((b.ballot.opens, 1, i, 0));
        for (j, v) in b.votes.iter().enumerate() {
            events.push((v.at, 2, i, j));
        }
        events.push((b.ballot.closes, 3, i, 0));
    }
    events.sort();
    let mut refused: HashMap<usize, String> = HashMap::new();
    let mut verdicts: HashMap<(usize, usize), Result<Hash, String>> = HashMap::new();
    for (at, step, i, j) in events {
        let b = &scenario.ballots[i].ballot;
        if refused.contains_key(&i) {
            continue;
        }
        match step {
            0 => {
                if let Err(code) = log.announce(&announcement_of(b), at) {
                    refused.insert(i, code);
                }
            }
            1 => log.open(&b.id, at),
            2 => {
                let v = &scenario.ballots[i].votes[j];
                let nonce = Hash::sha256(format!("{i}/{j}").as_bytes()).as_bytes()[..16]
                    .try_into()
                    .expect("16 bytes");
                let note = vote_note(&b.id, v, nonce)
                    .sign(&key_of(v.person.as_str()))
                    .expect("sign");
                let attachment = v.reasons.as_deref().map(str::as_bytes);
                let verdict = match log.vote(&note, attachment, at, v.person.as_str()) {
                    Ok(Decision::Accept { .. }) => Ok(Hash::sha256(&note)),
                    Ok(Decision::Duplicate { index }) => panic!("duplicate of {index}"),
                    Err(code) => Err(code),
                };
                // Persons the scenario does not know have no registered key:
                // their vote is refused before the rules (simulate says
                // `not-representative`).
                let verdict = match verdict {
                    Err(code) if rules.person(v.person.as_str()).is_none() => {
                        assert_eq!(code, "bad-signature");
                        Err("not-representative".to_owned())
                    }
                    other => other,
                };
                verdicts.insert((i, j), verdict);
            }
            _ => log.close_and_tally(&b.id, at),
        }
    }

    let profile = scenario.parameters.profile;
    let ballots: Vec<Value> = scenario
        .ballots
        .iter()
        .enumerate()
        .map(|(i, sb)| {
            let id = sb.ballot.id.as_str();
            if let Some(code) = refused.get(&i) {
                return json!({"id": id, "status": "refused", "error": code});
            }
            let tracked = log.book.ballot(id).expect("logged");
            let Lifecycle::Tallied(tallied) = &tracked.lifecycle else {
                panic!("ballot {id} is {}", tracked.lifecycle.state());
            };
            let roll = &tallied.closed.open.roll;
            let tally = &tallied.tally;
            let votes: Vec<Value> = (0..sb.votes.len())
                .map(|j| match &verdicts[&(i, j)] {
                    Ok(note) => json!({"index": j, "accepted": true,
                        "counted": tally.counted.contains(&scrutineer::ballot::hash_text(note))}),
                    Err(code) => json!({"index": j, "accepted": false, "counted": false,
                        "reason": code}),
                })
                .collect();
            let questions: Vec<Value> = tally
                .questions
                .iter()
                .map(|q| match profile {
                    Profile::EtsiIsg => json!({"id": q.question, "yes": q.in_favour,
                        "no": q.against, "abstain": q.abstain, "not_voted": q.not_voted,
                        "outcome": q.outcome}),
                    Profile::ItuTTap => json!({"id": q.question, "assign": q.in_favour,
                        "do_not_assign": q.against, "replies": q.in_favour + q.against,
                        "outcome": q.outcome}),
                })
                .collect();
            json!({"id": id, "status": "tallied", "eligible": roll.eligible().collect::<Vec<_>>(),
                "votes": votes, "questions": questions})
        })
        .collect();
    (json!({ "ballots": ballots }), log)
}

/// Runs a scenario through the log and compares with `simulate`, then
/// replays.
fn check_scenario(name: &str, text: &str) {
    let expected = serde_json::to_value(simulate(text).expect("simulates")).expect("json");
    let (report, log) = run(text);
    assert_eq!(report, expected, "{name}");
    log.assert_replays();
}

#[test]
fn every_shared_scenario_through_the_log_matches_simulate_and_replays() {
    let Some(dir) = common::shared("scenarios") else {
        return;
    };
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("readable")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty());
    for path in paths {
        let text = std::fs::read_to_string(&path).expect("readable");
        check_scenario(&path.display().to_string(), &text);
    }
}

/// An ETSI group whose three members all attended the KoM and P2: a
/// colleague supersedes a vote, votes at `opens` and at `closes`.
pub const ETSI_INLINE: &str = r#"{
  "profile": "etsi-isg",
  "organisations": [
    {"id": "acme", "class": "member"}, {"id": "cadzow", "class": "member"},
    {"id": "cis", "class": "member"}, {"id": "obs", "class": "observer"}],
  "persons": [
    {"id": "acme-1", "organisation": "acme", "on_membership_list": true},
    {"id": "acme-2", "organisation": "acme", "on_membership_list": true},
    {"id": "cadzow-1", "organisation": "cadzow", "on_membership_list": true},
    {"id": "cis-1", "organisation": "cis", "on_membership_list": false},
    {"id": "obs-1", "organisation": "obs", "on_membership_list": true}],
  "meetings": [
    {"id": "KoM", "plenary": true, "format": "face-to-face", "kick_off": true,
     "start": "2022-01-10T08:00:00Z", "end": "2022-01-11T17:00:00Z"},
    {"id": "P2", "plenary": true, "format": "hybrid",
     "start": "2022-03-10T08:00:00Z", "end": "2022-03-11T17:00:00Z"}],
  "attendance": [
    {"meeting": "KoM", "person": "acme-1", "organisation": "acme", "mode": "physical"},
    {"meeting": "P2", "person": "acme-2", "organisation": "acme", "mode": "physical"},
    {"meeting": "KoM", "person": "cadzow-1", "organisation": "cadzow", "mode": "physical"},
    {"meeting": "P2", "person": "cadzow-1", "organisation": "cadzow", "mode": "physical"},
    {"meeting": "KoM", "person": "cis-1", "organisation": "cis", "mode": "physical"},
    {"meeting": "P2", "person": "cis-1", "organisation": "cis", "mode": "physical"}],
  "ballots": [{"id": "B1", "kind": "correspondence", "questions": ["main", "second"],
    "announced": "2022-04-01T09:00:00Z", "opens": "2022-05-01T09:00:00Z",
    "closes": "2022-05-15T09:00:00Z",
    "votes": [
      {"person": "acme-1", "organisation": "acme", "choice": "yes", "at": "2022-05-01T09:00:00Z"},
      {"person": "acme-2", "organisation": "acme", "choice": "no", "at": "2022-05-02T09:00:00Z"},
      {"person": "acme-1", "organisation": "acme", "question": "second", "choice": "abstain", "at": "2022-05-02T10:00:00Z"},
      {"person": "cadzow-1", "organisation": "cadzow", "choice": "yes", "at": "2022-05-15T09:00:00Z"},
      {"person": "cadzow-1", "organisation": "cadzow", "choice": "yes", "at": "2022-05-15T08:59:59.999999Z"},
      {"person": "cis-1", "organisation": "cis", "choice": "yes", "at": "2022-05-03T09:00:00Z"},
      {"person": "obs-1", "organisation": "obs", "choice": "yes", "at": "2022-05-03T09:00:00Z"},
      {"person": "acme-1", "organisation": "acme", "choice": "yes", "at": "2022-04-30T09:00:00Z"}]}]
}"#;

/// An ITU-T consultation with reasons as attachments, blank reasons and a
/// non-Member State.
pub const ITU_INLINE: &str = r#"{
  "profile": "itu-t-tap",
  "organisations": [
    {"id": "CH", "class": "member-state"}, {"id": "JP", "class": "member-state"},
    {"id": "ZA", "class": "member-state"}, {"id": "sm", "class": "sector-member"}],
  "persons": [
    {"id": "CH-admin", "organisation": "CH"}, {"id": "JP-admin", "organisation": "JP"},
    {"id": "ZA-admin", "organisation": "ZA"}, {"id": "sm-admin", "organisation": "sm"}],
  "ballots": [{"id": "C1", "kind": "consultation", "questions": ["X.1", "X.2"],
    "announced": "2023-01-10T00:00:00Z", "closes": "2023-03-01T00:00:00Z",
    "meeting_start": "2023-04-20T08:00:00Z",
    "votes": [
      {"person": "CH-admin", "organisation": "CH", "question": "X.1", "choice": "assign", "at": "2023-01-10T00:00:00Z"},
      {"person": "JP-admin", "organisation": "JP", "question": "X.1", "choice": "do-not-assign", "reasons": "Clause 7.", "at": "2023-02-01T00:00:00Z"},
      {"person": "ZA-admin", "organisation": "ZA", "question": "X.2", "choice": "do-not-assign", "reasons": "  ", "at": "2023-02-01T00:00:00Z"},
      {"person": "sm-admin", "organisation": "sm", "question": "X.2", "choice": "assign", "at": "2023-02-01T00:00:00Z"},
      {"person": "ZA-admin", "organisation": "ZA", "question": "X.2", "choice": "assign", "at": "2023-03-01T00:00:00Z"}]}]
}"#;

#[test]
fn inline_scenarios_through_the_log_match_simulate_and_replay() {
    check_scenario("ETSI_INLINE", ETSI_INLINE);
    check_scenario("ITU_INLINE", ITU_INLINE);
}

#[test]
fn a_colleagues_vote_owes_a_notification_and_the_fold_checks_it() {
    let (_, log) = run(ETSI_INLINE);
    let notifications: Vec<_> = log
        .entries
        .iter()
        .filter(|e| e.kind() == "notification" && e.get("reason") == Some("superseded"))
        .map(|e| e.get("person").expect("person").to_owned())
        .collect();
    // acme-2's vote supersedes acme-1's on `main`; nothing else is a
    // colleague's supersession.
    assert_eq!(notifications, ["acme-1"]);
    // The notice comes right after the close, not beside the vote: before
    // the close the log shows the turnout and nothing more.
    let close = log
        .entries
        .iter()
        .position(|e| e.kind() == "close")
        .expect("the close");
    assert_eq!(log.entries[close + 1].get("reason"), Some("superseded"));
    // Nothing more is owed, so the same notification again is refused.
    let mut log = log;
    let again = Notification {
        ballot: BallotId::new("B1").expect("id"),
        person: PersonId::new("acme-1").expect("id"),
        reason: NotificationReason::Superseded,
    };
    let entry = again.to_entry(log.registry.last_time());
    log.registry.apply(&entry).expect("time order");
    let refusal = log.book.apply(&log.registry, &entry, &NoDocuments);
    assert!(refusal.is_err(), "{refusal:?}");
}

#[test]
fn without_the_notes_the_log_replays_up_to_the_tally() {
    let (_, log) = run(ETSI_INLINE);
    match log.replay_with(&NoDocuments) {
        Err(ReplayError::Ballot { refusal, .. }) => {
            assert!(refusal.to_string().contains("not revealed"), "{refusal}");
        }
        other => panic!("expected the tally to need the notes: {other:?}"),
    }
}

// ---- Refusals, duplicates and the lifecycle, on the inline ETSI group. ----

/// The inline ETSI group with ballot B1 announced (not opened).
fn announced_b1() -> (Log, scrutineer::rules::Ballot) {
    let scenario = Scenario::parse(ETSI_INLINE).expect("valid");
    let mut log = registry_log(&scenario);
    let b = scenario.ballots[0].ballot.clone();
    log.announce(&announcement_of(&b), b.announced)
        .expect("announced");
    (log, b)
}

/// The inline ETSI group with ballot B1 open since its `opens`.
fn open_b1() -> (Log, scrutineer::rules::Ballot) {
    let (mut log, b) = announced_b1();
    log.open(&b.id, b.opens);
    (log, b)
}

fn note(person_org: (&str, &str), choice: &str, nonce: u8) -> VoteNote {
    VoteNote {
        origin: origin(),
        ballot: BallotId::new("B1").expect("id"),
        question: "main".parse().expect("id"),
        organisation: person_org.1.parse().expect("id"),
        choice: ChoiceWord::new(choice).expect("word"),
        attachment: None,
        nonce: [nonce; 16],
    }
}

fn signed(note: &VoteNote, person: &str) -> Vec<u8> {
    note.sign(&key_of(person)).expect("sign")
}

fn after(t: Timestamp, seconds: i64) -> Timestamp {
    t.checked_add(Duration::seconds(seconds)).expect("in range")
}

#[test]
fn each_refusal_before_the_rules_has_its_code_in_spec_order() {
    let (mut log, b) = open_b1();
    let at = after(b.opens, 3600);
    let acme = ("acme-1", "acme");
    assert_eq!(
        SubmittedVote::parse(b"not a note")
            .map(|_| ())
            .map_err(|e| e.code()),
        Err("malformed-note")
    );
    let mut with_attachment = note(acme, "yes", 1);
    with_attachment.attachment = Some(Hash::sha256(b"reasons"));
    let bytes = signed(&with_attachment, "acme-1");
    assert_eq!(
        log.vote(&bytes, None, at, "acme-1"),
        Err("malformed-note".into())
    );
    assert_eq!(
        log.vote(&bytes, Some(b"other"), at, "acme-1"),
        Err("malformed-note".into())
    );

    let mut foreign = note(acme, "yes", 1);
    foreign.origin = Origin::new("other.example/log").expect("origin");
    foreign.ballot = BallotId::new("nope").expect("id");
    assert_eq!(
        log.vote(&signed(&foreign, "acme-1"), None, at, "acme-2"),
        Err("wrong-origin".into())
    );
    let mut unknown = note(acme, "yes", 1);
    unknown.ballot = BallotId::new("nope").expect("id");
    assert_eq!(
        log.vote(&signed(&unknown, "acme-1"), None, at, "acme-2"),
        Err("unknown-ballot".into())
    );
    let stranger = SigningKey::from_seed(KeyName::new("acme-1").expect("name"), &[9; 32]);
    let forged = note(acme, "yes", 1).sign(&stranger).expect("sign");
    assert_eq!(
        log.vote(&forged, None, at, "acme-2"),
        Err("token-mismatch".into())
    );
    assert_eq!(
        log.vote(&forged, None, at, "acme-1"),
        Err("bad-signature".into())
    );

    let revoked = KeyRevoked {
        person: PersonId::new("acme-2").expect("id"),
        key_id: key_of("acme-2").id(),
    };
    log.fact(revoked, at);
    let by_acme_2 = signed(&note(("acme-2", "acme"), "no", 2), "acme-2");
    assert_eq!(
        log.vote(&by_acme_2, None, at, "acme-2"),
        Err("key-revoked".into())
    );

    let first = signed(&note(acme, "yes", 3), "acme-1");
    let Ok(Decision::Accept { .. }) = log.vote(&first, None, at, "acme-1") else {
        panic!("the first vote is accepted");
    };
    let index = log.registry.entries_applied() - 1;
    let replayed = signed(&note(acme, "no", 3), "acme-1");
    assert_eq!(
        log.vote(&replayed, None, after(at, 1), "acme-1"),
        Err("replay".into())
    );
    // A byte-identical resubmission is not a refusal, even later.
    assert_eq!(
        log.vote(&first, None, after(at, 2), "acme-1"),
        Ok(Decision::Duplicate { index })
    );
    // Then the rules' codes.
    let observer = signed(&note(("obs-1", "obs"), "yes", 4), "obs-1");
    assert_eq!(
        log.vote(&observer, None, at, "obs-1"),
        Err("not-eligible".into())
    );
    log.assert_replays();
}

#[test]
fn the_fold_refuses_logged_votes_the_decision_refuses() {
    let (mut log, b) = open_b1();
    let at = after(b.opens, 60);
    let observer = signed(&note(("obs-1", "obs"), "yes", 4), "obs-1");
    let entry = scrutineer::vote::vote_entry(at, &b.id, &observer);
    log.registry.apply(&entry).expect("time order");
    let refusal = log
        .book
        .apply(
            &log.registry,
            &entry,
            &Revealing::new(&[&observer], &NoDocuments),
        )
        .expect_err("never logged");
    assert!(
        matches!(refusal, BallotRefusal::Vote(ref v) if v.code() == "not-eligible"),
        "{refusal}"
    );

    let (mut log, _) = open_b1();
    let good = signed(&note(("acme-1", "acme"), "yes", 5), "acme-1");
    log.vote(&good, None, at, "acme-1").expect("accepted");
    let again = scrutineer::vote::vote_entry(after(at, 1), &b.id, &good);
    log.registry.apply(&again).expect("time order");
    let refusal = log
        .book
        .apply(&log.registry, &again, &log.blobs)
        .expect_err("twice");
    assert!(
        matches!(refusal, BallotRefusal::DuplicateVote { .. }),
        "{refusal}"
    );
}

#[test]
fn a_ballot_may_be_cancelled_or_re_announced_only_before_opening() {
    let (log, b) = open_b1();
    let refusal = log
        .book
        .decide_cancel(&b.id, after(b.opens, 1))
        .expect_err("opened");
    assert!(matches!(
        refusal,
        BallotRefusal::WrongState { state: "open", .. }
    ));
    let again = log
        .book
        .decide_announcement(
            &log.registry,
            &announcement_of(&b).sign(&key_of(CHAIR)).expect("sign"),
            &[],
            after(b.opens, 1),
        )
        .expect_err("opened");
    assert_eq!(again.code(), "already-opened");

    // Re-announcing restarts the notice: the same dates are now too short,
    // later ones are fine.
    let (mut log, b) = announced_b1();
    let later = after(b.announced, 86_400);
    let mut note = announcement_of(&b);
    assert_eq!(log.announce(&note, later), Err("notice-period".into()));
    note.opens = Some(after(b.opens, 86_400));
    note.closes = after(b.closes, 86_400);
    log.announce(&note, later).expect("re-announced");
    let tracked = log.book.ballot("B1").expect("known");
    assert_eq!(tracked.lifecycle.ballot().announced, later);

    let cancel = log
        .book
        .decide_cancel(&b.id, after(later, 1))
        .expect("not opened");
    log.append(cancel, &[]);
    assert_eq!(
        log.book.ballot("B1").map(|t| t.lifecycle.state()),
        Some("cancelled")
    );
    let vote = signed(&note_for_b1(), "acme-1");
    assert_eq!(
        log.vote(&vote, None, after(later, 2), "acme-1"),
        Err("unknown-ballot".into())
    );
    assert_eq!(
        log.announce(&note, after(later, 3)),
        Err("already-opened".into())
    );
    log.assert_replays();
}

fn note_for_b1() -> VoteNote {
    note(("acme-1", "acme"), "yes", 7)
}

#[test]
fn the_window_is_half_open_and_the_close_blocks_later_votes() {
    let (mut log, b) = announced_b1();
    let early = log
        .book
        .decide_open(&log.registry, &b.id, after(b.opens, -1));
    assert!(
        matches!(early, Err(BallotRefusal::OpensLater { .. })),
        "{early:?}"
    );
    // A vote at `opens` before the roll is sequenced waits for the roll.
    let at_opens = signed(&note(("acme-1", "acme"), "yes", 1), "acme-1");
    assert_eq!(
        log.vote(&at_opens, None, b.opens, "acme-1"),
        Err("opening-due".into())
    );
    log.open(&b.id, b.opens);
    assert!(matches!(
        log.vote(&at_opens, None, b.opens, "acme-1"),
        Ok(Decision::Accept { .. })
    ));
    let last = signed(&note(("cadzow-1", "cadzow"), "yes", 2), "cadzow-1");
    let just_before = Timestamp::from_unix_nanos(b.closes.unix_nanos() - 1000).expect("in range");
    assert!(matches!(
        log.vote(&last, None, just_before, "cadzow-1"),
        Ok(Decision::Accept { .. })
    ));
    let early = log.book.decide_close(&b.id, just_before);
    assert!(
        matches!(early, Err(BallotRefusal::ClosesLater { .. })),
        "{early:?}"
    );
    let at_closes = signed(&note(("acme-2", "acme"), "no", 3), "acme-2");
    assert_eq!(
        log.vote(&at_closes, None, b.closes, "acme-2"),
        Err("outside-window".into())
    );
    log.close_and_tally(&b.id, b.closes);
    assert_eq!(
        log.vote(&at_closes, None, b.closes, "acme-2"),
        Err("outside-window".into())
    );
    // A vote entry after the close is refused by the fold.
    let entry = scrutineer::vote::vote_entry(b.closes, &b.id, &at_closes);
    log.registry.apply(&entry).expect("time order");
    let source = Revealing::new(&[&at_closes], &NoDocuments);
    let refusal = log
        .book
        .apply(&log.registry, &entry, &source)
        .expect_err("closed");
    assert!(
        matches!(
            refusal,
            BallotRefusal::WrongState {
                state: "tallied",
                ..
            }
        ),
        "{refusal}"
    );
    let tally = log
        .book
        .ballot("B1")
        .and_then(|t| t.lifecycle.tally())
        .expect("tallied");
    assert_eq!(tally.counted.len(), 2);
    assert_eq!(
        (
            tally.questions[0].in_favour,
            tally.questions[0].outcome.as_str()
        ),
        (2, "approved")
    );
}

#[test]
fn a_roll_too_large_for_an_entry_is_stored_beside_the_log() {
    let organisations: Vec<Value> = (0..700)
        .map(|i| json!({"id": format!("state-{i:04}"), "class": "member-state"}))
        .collect();
    let text = json!({
        "profile": "itu-t-tap",
        "organisations": organisations,
        "persons": [{"id": "admin", "organisation": "state-0000", "on_membership_list": true}],
        "ballots": [{"id": "C", "kind": "consultation", "announced": "2023-01-10T00:00:00Z",
                     "closes": "2023-03-01T00:00:00Z", "meeting_start": "2023-04-20T08:00:00Z"}]
    })
    .to_string();
    let scenario = Scenario::parse(&text).expect("valid");
    let mut log = registry_log(&scenario);
    let b = scenario.ballots[0].ballot.clone();
    log.announce(&announcement_of(&b), b.announced)
        .expect("announced");
    let opening = log
        .book
        .decide_open(&log.registry, &b.id, b.opens)
        .expect("opens");
    assert!(opening.stored_beside && opening.entry.body_bytes().is_empty());
    assert!(opening.document.len() > 65_535);
    log.open(&b.id, b.opens);
    let roll = log
        .book
        .ballot("C")
        .and_then(|t| t.lifecycle.roll())
        .expect("open");
    assert_eq!(roll.eligible_count(), 700);
    log.assert_replays();
    match log.replay_with(&NoDocuments) {
        Err(ReplayError::Ballot {
            refusal: BallotRefusal::MissingBlob(hash),
            ..
        }) => {
            assert_eq!(hash, Hash::sha256(&opening.document));
        }
        other => panic!("expected the roll document to be missing: {other:?}"),
    }
}

/// A consultation of `states` Member States, each with a delegate on the
/// membership list, announced with `questions` drafts.
fn consultation(states: usize, questions: &[&str]) -> (Log, scrutineer::rules::Ballot) {
    let organisations: Vec<Value> = (0..states)
        .map(|i| json!({"id": format!("state-{i:04}"), "class": "member-state"}))
        .collect();
    let persons: Vec<Value> = (0..states)
        .map(|i| {
            json!({"id": format!("delegate-{i:04}"), "organisation": format!("state-{i:04}"),
                   "on_membership_list": true})
        })
        .collect();
    let text = json!({
        "profile": "itu-t-tap",
        "organisations": organisations,
        "persons": persons,
        "ballots": [{"id": "C", "kind": "consultation", "announced": "2023-01-10T00:00:00Z",
                     "questions": questions,
                     "closes": "2023-03-01T00:00:00Z", "meeting_start": "2023-04-20T08:00:00Z"}]
    })
    .to_string();
    let scenario = Scenario::parse(&text).expect("valid");
    let log = registry_log(&scenario);
    (log, scenario.ballots[0].ballot.clone())
}

#[test]
fn a_membership_list_and_a_tally_too_large_for_their_entries_are_stored_beside_the_log() {
    // 3 000 persons on the membership list: their ids do not fit in the
    // announcement's headers; 1 200 replies: their notes' hashes do not
    // fit in the tally's body. Both go beside the log, named by hash, and
    // the ballot runs to its tally.
    let (mut log, b) = consultation(3000, &["X.1"]);
    log.announce(&announcement_of(&b), b.announced)
        .expect("announced");
    let announcement = log
        .entries
        .iter()
        .rev()
        .find(|e| e.kind() == "announcement")
        .expect("the announcement")
        .clone();
    assert!(announcement.get("recipient").is_none());
    let named = announcement.get("recipients").expect("a recipients header");
    let recipients = log
        .book
        .ballot("C")
        .expect("announced")
        .lifecycle
        .announced()
        .recipients
        .len();
    assert_eq!(recipients, 3000);
    log.open(&b.id, b.opens);
    for i in 0..1200u32 {
        let person = format!("delegate-{i:04}");
        let note = VoteNote {
            origin: origin(),
            ballot: b.id.clone(),
            question: "X.1".parse().expect("id"),
            organisation: format!("state-{i:04}").parse().expect("id"),
            choice: ChoiceWord::new("assign").expect("word"),
            attachment: None,
            nonce: Hash::sha256(&i.to_be_bytes()).as_bytes()[..16]
                .try_into()
                .expect("16 bytes"),
        };
        let at = after(b.announced, 60 + i64::from(i));
        assert!(matches!(
            log.vote(&signed(&note, &person), None, at, &person),
            Ok(Decision::Accept { .. })
        ));
    }
    log.close_and_tally(&b.id, b.closes);
    let tally = log.entries.last().expect("the tally");
    assert_eq!(tally.kind(), "tally");
    assert!(tally.body_bytes().is_empty() && tally.get("tally").is_some());
    let counted = log
        .book
        .ballot("C")
        .and_then(|t| t.lifecycle.tally())
        .expect("tallied");
    assert_eq!(counted.counted.len(), 1200);
    assert_eq!(counted.questions[0].in_favour, 1200);
    log.assert_replays();
    // Without the documents beside the log, the replay names the first
    // it misses: the recipients.
    match log.replay_with(&NoDocuments) {
        Err(ReplayError::Ballot {
            refusal: BallotRefusal::MissingBlob(hash),
            ..
        }) => assert_eq!(format!("sha256:{}", hash.to_hex()), named),
        other => panic!("expected the recipients document to be missing: {other:?}"),
    }
}

#[test]
fn recipients_go_beside_the_log_exactly_when_the_entry_would_not_fit() {
    use scrutineer::ballot::{AnnouncementRecord, SignedAnnouncement};
    let (_, b) = consultation(1, &["X.1"]);
    let signed = announcement_of(&b).sign(&key_of(CHAIR)).expect("sign");
    let signed = SignedAnnouncement::parse(&signed).expect("parses");
    let record = |n: usize| {
        let recipients = (0..n)
            .map(|i| PersonId::new(&format!("delegate-{i:05}")).expect("id"))
            .collect();
        AnnouncementRecord::new(&signed, recipients)
    };
    // The largest list that fits: found by bisection, then checked on
    // both sides of the limit.
    let (mut fits, mut overflows) = (0, 10_000);
    while overflows - fits > 1 {
        let mid = (fits + overflows) / 2;
        if record(mid).recipients_beside.is_none() {
            fits = mid;
        } else {
            overflows = mid;
        }
    }
    let at = b.announced;
    let listed = record(fits).to_entry(at);
    let encoded = listed.encode().expect("the largest listed entry fits");
    assert!(
        encoded.len() <= 65_535 && encoded.len() > 65_535 - 30,
        "{}",
        encoded.len()
    );
    let mut one_more = record(fits + 1);
    assert!(one_more.recipients_beside.is_some());
    one_more.recipients_beside = None;
    assert!(
        one_more.to_entry(at).encode().is_err(),
        "one more recipient does not fit in the headers"
    );
    let beside = record(fits + 1).to_entry(at);
    assert!(beside.encode().is_ok() && beside.get("recipients").is_some());
}

#[test]
fn a_ballot_whose_certification_could_not_fit_is_refused_at_its_announcement() {
    // The chair's certification note holds every question's counts; the
    // announcement refuses a ballot whose certification could exceed the
    // note's 32 KiB whatever the counts, and accepts one question fewer.
    let ids: Vec<String> = (0..400).map(|i| format!("Q{i:03}")).collect();
    let fits = |n: usize| {
        let questions: Vec<scrutineer::id::QuestionId> =
            ids[..n].iter().map(|q| q.parse().expect("id")).collect();
        scrutineer::ballot::certification_fits(
            &origin(),
            &BallotId::new("C").expect("id"),
            &questions,
        )
    };
    let limit = (1..=ids.len())
        .take_while(|n| fits(*n))
        .last()
        .expect("one fits");
    assert!(limit > 100 && limit < 400, "{limit}");
    for (n, accepted) in [(limit, true), (limit + 1, false)] {
        let refs: Vec<&str> = ids[..n].iter().map(String::as_str).collect();
        let (mut log, b) = consultation(3, &refs);
        let result = log.announce(&announcement_of(&b), b.announced);
        if accepted {
            assert_eq!(result, Ok(()), "{n} questions");
        } else {
            assert_eq!(result, Err("too-many-questions".into()), "{n} questions");
        }
    }
}

/// An attachment is text under the rule notes follow (SPEC section 4,
/// "Notes are text"): lines end with `\n` only, and no other control
/// character — NUL, tab, DEL, C1 — is accepted; each is refused
/// `malformed-note`, as an attachment that is not UTF-8 is.
#[test]
fn an_attachment_with_a_control_character_is_refused() {
    let (mut log, b) = open_b1();
    let at = after(b.opens, 3600);
    let acme = ("acme-1", "acme");
    let with = |text: &str, nonce: u8| {
        let mut vote = note(acme, "yes", nonce);
        vote.attachment = Some(Hash::sha256(text.as_bytes()));
        signed(&vote, "acme-1")
    };
    for (n, text) in [
        "reasons\0hidden",
        "line one\r\nline two\n",
        "a lone\rcarriage return",
        "a\ttab",
        "a DEL \u{7f}",
        "a C1 \u{85} next line",
        "\u{1b}[31mred",
    ]
    .into_iter()
    .enumerate()
    {
        let nonce = n as u8 + 1;
        assert_eq!(
            log.vote(&with(text, nonce), Some(text.as_bytes()), at, "acme-1")
                .map(|_| ()),
            Err("malformed-note".into()),
            "{text:?}"
        );
    }
    let text = "Our reasons, on two lines.\nThe second line.\n";
    let accepted = log.vote(&with(text, 99), Some(text.as_bytes()), at, "acme-1");
    assert!(
        matches!(accepted, Ok(Decision::Accept { .. })),
        "{accepted:?}"
    );
}

#[test]
fn a_log_with_the_notice_beside_the_vote_as_before_still_replays() {
    // Logs written before the notices waited for the close carry each
    // `superseded` notice right after the vote that owed it: the fold
    // takes it as the notice it is, and the close owes nothing more.
    let (mut log, b) = open_b1();
    let at = after(b.opens, 60);
    let first = signed(&note(("acme-1", "acme"), "yes", 1), "acme-1");
    let second = signed(&note(("acme-2", "acme"), "no", 2), "acme-2");
    assert!(matches!(
        log.vote(&first, None, at, "acme-1"),
        Ok(Decision::Accept { .. })
    ));
    assert!(matches!(
        log.vote(&second, None, after(at, 1), "acme-2"),
        Ok(Decision::Accept { .. })
    ));
    let notice = Notification {
        ballot: b.id.clone(),
        person: PersonId::new("acme-1").expect("id"),
        reason: NotificationReason::Superseded,
    };
    log.append(notice.to_entry(after(at, 1)), &[]);
    let closing = log
        .book
        .decide_close_with_notices(&b.id, b.closes)
        .expect("closes");
    assert_eq!(closing.len(), 1, "the close alone: {closing:?}");
    log.close_and_tally(&b.id, b.closes);
    log.assert_replays();
}
