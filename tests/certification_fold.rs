//! Certification, appeals and reviewers' decisions in the fold (SPEC 2.1
//! item 10; `docs/formats.md` 7.11–7.13): each refusal with its code in
//! order, what is accepted, what a certified ballot still receives, and
//! that the log replays to the same state — and that a log carrying a
//! statement the decision refuses does not.

mod common;

use common::ballotlog::{CHAIR, Log, announcement_of, key_of, origin, registry_log_with};
use scrutineer::ballot::{
    APPEAL_KIND, Against, AppealNote, BallotRefusal, CERTIFICATION_KIND, CertificationNote,
    DECISION_KIND, DecisionNote, Lifecycle, ReplayError, RootAt, Ruling, StatementRecord,
};
use scrutineer::entry::Entry;
use scrutineer::id::{BallotId, PersonId};
use scrutineer::registry::ReviewerRecord;
use scrutineer::simulate::Scenario;
use scrutineer::time::{Duration, Timestamp};
use scrutineer::tlog::tree::root_of_leaves;
use scrutineer::tlog::{Hash, leaf_hash};
use scrutineer::vote::{ChoiceWord, VoteNote};

/// acme and cadzow are eligible members; `part` is an ISG Participant and
/// `obs` an observer; `dg` will be the appeal reviewer; `part-2` is a
/// colleague of `part-1`, off the membership list.
const GROUP: &str = r#"{
  "profile": "etsi-isg",
  "organisations": [
    {"id": "acme", "class": "member"}, {"id": "cadzow", "class": "member"},
    {"id": "part", "class": "participant"}, {"id": "obs", "class": "observer"}],
  "persons": [
    {"id": "acme-1", "organisation": "acme", "on_membership_list": true},
    {"id": "cadzow-1", "organisation": "cadzow", "on_membership_list": true},
    {"id": "part-1", "organisation": "part", "on_membership_list": true},
    {"id": "obs-1", "organisation": "obs", "on_membership_list": true},
    {"id": "part-2", "organisation": "part"},
    {"id": "dg", "organisation": "obs"}],
  "meetings": [
    {"id": "KoM", "plenary": true, "format": "face-to-face", "kick_off": true,
     "start": "2022-01-10T08:00:00Z", "end": "2022-01-11T17:00:00Z"},
    {"id": "P2", "plenary": true, "format": "face-to-face",
     "start": "2022-03-10T08:00:00Z", "end": "2022-03-11T17:00:00Z"}],
  "attendance": [
    {"meeting": "KoM", "person": "acme-1", "organisation": "acme", "mode": "physical"},
    {"meeting": "P2", "person": "acme-1", "organisation": "acme", "mode": "physical"},
    {"meeting": "KoM", "person": "cadzow-1", "organisation": "cadzow", "mode": "physical"},
    {"meeting": "P2", "person": "cadzow-1", "organisation": "cadzow", "mode": "physical"}],
  "ballots": [{"id": "B1", "kind": "correspondence", "questions": ["main"],
    "announced": "2022-04-01T09:00:00Z", "opens": "2022-05-01T09:00:00Z",
    "closes": "2022-05-15T09:00:00Z", "votes": []}]
}"#;

fn b1() -> BallotId {
    BallotId::new("B1").expect("id")
}

fn person(id: &str) -> PersonId {
    PersonId::new(id).expect("id")
}

fn after(t: Timestamp, seconds: i64) -> Timestamp {
    t.checked_add(Duration::seconds(seconds)).expect("in range")
}

/// The group's log with B1 announced and open, or also voted, closed and
/// tallied; and the ballot's close time.
fn ballot(tallied: bool, deadline: Option<u32>) -> (Log, Timestamp) {
    let scenario = Scenario::parse(GROUP).expect("valid");
    let mut log = registry_log_with(&scenario, deadline);
    let b = scenario.ballots[0].ballot.clone();
    log.announce(&announcement_of(&b), b.announced)
        .expect("announced");
    log.open(&b.id, b.opens);
    if tallied {
        for (n, (who, org, choice)) in [
            ("acme-1", "acme", "yes"),
            ("cadzow-1", "cadzow", "no"),
            ("acme-1", "acme", "abstain"),
        ]
        .into_iter()
        .enumerate()
        {
            let note = VoteNote {
                origin: origin(),
                ballot: b1(),
                question: "main".parse().expect("id"),
                organisation: org.parse().expect("id"),
                choice: ChoiceWord::new(choice).expect("word"),
                attachment: None,
                nonce: [n as u8; 16],
            }
            .sign(&key_of(who))
            .expect("sign");
            log.vote(&note, None, after(b.opens, 60 * n as i64), who)
                .expect("accepted");
        }
        log.close_and_tally(&b.id, b.closes);
    }
    (log, b.closes)
}

/// The root of the log's first `size` entries.
fn root(log: &Log, size: u64) -> Hash {
    let leaves: Vec<Hash> = log.entries[..size as usize]
        .iter()
        .map(|e| leaf_hash(&e.encode().expect("fits")))
        .collect();
    root_of_leaves(&leaves)
}

/// The roots of the log as it stands, as the server reads them from
/// storage.
struct Roots<'a>(&'a Log);

impl RootAt for Roots<'_> {
    fn root_at(&self, size: u64) -> Option<Hash> {
        (size > 0 && size <= self.0.entries.len() as u64).then(|| root(self.0, size))
    }
}

/// The certification note of B1's logged tally at the tree head that
/// ends with the tally entry.
fn certification(log: &Log) -> CertificationNote {
    let tallied = log
        .book
        .ballot("B1")
        .and_then(|t| t.lifecycle.tallied())
        .expect("tallied");
    let size = tallied.index + 1;
    CertificationNote::from_tally(origin(), &tallied.tally, size, root(log, size)).expect("note")
}

fn certify(
    log: &Log,
    note: &CertificationNote,
    signer: &str,
    bearer: &str,
    at: Timestamp,
) -> Result<Entry, String> {
    let signed = note.sign(&key_of(signer)).expect("sign");
    log.book
        .decide_certification(&log.registry, &signed, at, &person(bearer), &Roots(log))
        .map_err(|e| e.code().to_owned())
}

fn appeal_note(against: Against) -> AppealNote {
    AppealNote {
        origin: origin(),
        ballot: b1(),
        against,
        grounds: vec!["The roll left out one of our colleagues.".into()],
    }
}

fn appeal(log: &Log, note: &AppealNote, signer: &str, at: Timestamp) -> Result<Vec<Entry>, String> {
    let signed = note.sign(&key_of(signer)).expect("sign");
    log.book
        .decide_appeal(&log.registry, &signed, at, &person(signer))
        .map_err(|e| e.code().to_owned())
}

fn decide(
    log: &Log,
    appeal: Hash,
    outcome: Ruling,
    signer: &str,
    at: Timestamp,
) -> Result<Vec<Entry>, String> {
    let note = DecisionNote {
        origin: origin(),
        ballot: b1(),
        appeal,
        outcome,
        reasons: vec!["The roll is as the registry gives it.".into()],
    };
    let signed = note.sign(&key_of(signer)).expect("sign");
    log.book
        .decide_appeal_decision(&log.registry, &signed, at, &person(signer))
        .map_err(|e| e.code().to_owned())
}

fn append_all(log: &mut Log, entries: Vec<Entry>) {
    for entry in entries {
        log.append(entry, &[]);
    }
}

#[test]
fn a_certification_is_refused_with_its_code_in_order_then_accepted_once() {
    let (open, closes) = ballot(false, None);
    let (mut log, _) = ballot(true, None);
    let at = after(closes, 3600);
    let good = certification(&log);

    // Before the tally: the ballot is open.
    let early = CertificationNote {
        size: 3,
        root: root(&open, 3),
        ..good.clone()
    };
    assert_eq!(
        certify(&open, &early, CHAIR, CHAIR, at),
        Err("not-tallied".into())
    );

    let mut other_log = good.clone();
    other_log.origin =
        scrutineer::tlog::checkpoint::Origin::new("scrutineer.example/elsewhere").expect("origin");
    let mut smaller = good.clone();
    smaller.size -= 1;
    let mut later = good.clone();
    later.size = log.entries.len() as u64 + 1;
    let mut counts = good.clone();
    counts.questions[0].in_favour += 1;
    let mut outcome = good.clone();
    outcome.questions[0].outcome = "approved".into();
    let mut roll = good.clone();
    roll.roll = Hash::sha256(b"another roll");
    let mut tally = good.clone();
    tally.tally = Hash::sha256(b"another tally");
    let mut another_root = good.clone();
    another_root.root = Hash::sha256(b"another history");
    let cases: [(&CertificationNote, &str, &str, &str); 11] = [
        (&other_log, CHAIR, CHAIR, "wrong-origin"),
        (&good, CHAIR, "acme-1", "token-mismatch"),
        (&good, "acme-1", "acme-1", "not-chair"),
        (&smaller, CHAIR, CHAIR, "checkpoint-range"),
        (&later, CHAIR, CHAIR, "checkpoint-range"),
        (&counts, CHAIR, CHAIR, "tally-mismatch"),
        (&outcome, CHAIR, CHAIR, "tally-mismatch"),
        (&roll, CHAIR, CHAIR, "tally-mismatch"),
        (&tally, CHAIR, CHAIR, "tally-mismatch"),
        (&another_root, CHAIR, CHAIR, "checkpoint-mismatch"),
        (&good, CHAIR, CHAIR, "ok"),
    ];
    for (note, signer, bearer, code) in cases {
        let got = certify(&log, note, signer, bearer, at);
        match code {
            "ok" => assert!(got.is_ok(), "{got:?}"),
            code => assert_eq!(got, Err(code.to_owned()), "{}", note.text()),
        }
    }
    // A signature of the chair's name by another key.
    let forged = good
        .sign(&scrutineer::note::SigningKey::from_seed(
            scrutineer::note::KeyName::new(CHAIR).expect("name"),
            &[7; 32],
        ))
        .expect("sign");
    assert_eq!(
        log.book
            .decide_certification(&log.registry, &forged, at, &person(CHAIR), &Roots(&log))
            .map_err(|e| e.code()),
        Err("bad-signature")
    );
    assert_eq!(
        log.book
            .decide_certification(
                &log.registry,
                b"not a note",
                at,
                &person(CHAIR),
                &Roots(&log)
            )
            .map_err(|e| e.code()),
        Err("malformed-certification")
    );

    let entry = certify(&log, &good, CHAIR, CHAIR, at).expect("accepted");
    let index = log.append(entry, &[]);
    let tracked = log.book.ballot("B1").expect("ballot");
    let certified = tracked.lifecycle.certification().expect("certified");
    assert_eq!(tracked.lifecycle.state(), "certified");
    assert_eq!((certified.index, certified.size), (index, good.size));
    assert_eq!(certified.chair, person(CHAIR));
    assert_eq!(
        certify(&log, &good, CHAIR, CHAIR, after(at, 1)),
        Err("already-certified".into())
    );
    // Nothing but appeals, decisions and notifications after it.
    assert!(log.book.decide_close(&b1(), after(at, 2)).is_err());
    assert!(
        log.book
            .compute_tally(&log.registry, &b1(), after(at, 2))
            .is_err()
    );
    log.assert_replays();
}

#[test]
fn appeals_and_decisions_are_judged_and_an_overturned_certification_annuls_the_result() {
    let (mut log, closes) = ballot(true, None);
    let at = after(closes, 3600);
    let entry = certify(&log, &certification(&log), CHAIR, CHAIR, at).expect("certified");
    log.append(entry, &[]);

    // Who may appeal, and against what.
    let against = appeal_note(Against::Certification);
    let t = after(at, 60);
    assert_eq!(
        appeal(&log, &against, "obs-1", t),
        Err("not-entitled".into())
    );
    assert_eq!(
        appeal(&log, &appeal_note(Against::Cancellation), "part-1", t),
        Err("no-decision".into())
    );
    let signed = against.sign(&key_of("part-1")).expect("sign");
    assert_eq!(
        log.book
            .decide_appeal(&log.registry, &signed, t, &person("acme-1"))
            .map_err(|e| e.code()),
        Err("token-mismatch")
    );

    // An ISG Participant appeals the certified result: the chair is owed a
    // notification, logged with it.
    let entries = appeal(&log, &against, "part-1", t).expect("accepted");
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].kind(), APPEAL_KIND);
    assert_eq!(entries[1].get("person"), Some(CHAIR));
    assert_eq!(entries[1].get("reason"), Some("appeal"));
    append_all(&mut log, entries);
    assert_eq!(
        appeal(&log, &against, "part-1", after(t, 1)),
        Err("duplicate-appeal".into())
    );
    // A member appeals the announcement too.
    let entries = appeal(
        &log,
        &appeal_note(Against::Announcement),
        "acme-1",
        after(t, 2),
    )
    .expect("accepted");
    append_all(&mut log, entries);

    let id = Hash::sha256(&signed);
    let t = after(t, 3600);
    assert_eq!(
        decide(&log, id, Ruling::Overturned, "dg", t),
        Err("not-reviewer".into())
    );
    log.fact(
        ReviewerRecord {
            person: person("dg"),
            appointed: true,
        },
        t,
    );
    assert_eq!(
        decide(
            &log,
            Hash::sha256(b"no such appeal"),
            Ruling::Upheld,
            "dg",
            t
        ),
        Err("unknown-appeal".into())
    );
    let entries = decide(&log, id, Ruling::Overturned, "dg", t).expect("decided");
    assert_eq!(entries[1].get("person"), Some("part-1"));
    assert_eq!(entries[1].get("reason"), Some("decision"));
    append_all(&mut log, entries);
    assert_eq!(
        decide(&log, id, Ruling::Upheld, "dg", after(t, 1)),
        Err("already-decided".into())
    );
    assert_eq!(
        appeal(
            &log,
            &appeal_note(Against::Certification),
            "cadzow-1",
            after(t, 2)
        )
        .map(|_| ()),
        Err("already-overturned".into())
    );

    let tracked = log.book.ballot("B1").expect("ballot");
    assert!(tracked.annulled());
    assert_eq!(tracked.appeals.len(), 2);
    let decision = tracked.appeals[0].decision.as_ref().expect("decided");
    assert_eq!(decision.outcome, Ruling::Overturned);
    assert_eq!(tracked.appeals[1].decision, None);
    assert!(tracked.outbox.owed.is_empty(), "{:?}", tracked.outbox);
    log.assert_replays();
}

#[test]
fn the_group_deadline_closes_appeals() {
    let (mut log, closes) = ballot(true, Some(10));
    let at = after(closes, 3600);
    let entry = certify(&log, &certification(&log), CHAIR, CHAIR, at).expect("certified");
    log.append(entry, &[]);
    let note = appeal_note(Against::Certification);
    let deadline = at.checked_add(Duration::days(10)).expect("in range");
    assert_eq!(
        appeal(&log, &note, "part-1", after(deadline, 1)).map(|_| ()),
        Err("appeal-deadline".into())
    );
    assert!(appeal(&log, &note, "part-1", deadline).is_ok());
    // Without a deadline (the default), an appeal a year later is heard.
    let (mut log, _) = ballot(true, None);
    let entry = certify(&log, &certification(&log), CHAIR, CHAIR, at).expect("certified");
    log.append(entry, &[]);
    let year = at.checked_add(Duration::days(365)).expect("in range");
    assert!(appeal(&log, &note, "part-1", year).is_ok());
}

#[test]
fn a_log_with_a_statement_the_decision_refuses_does_not_replay() {
    let (mut log, closes) = ballot(true, None);
    let at = after(closes, 3600);
    // A certification signed by a member, not the chair, slipped into the
    // log, and a notification nobody owes.
    let note = certification(&log);
    let forged = note.sign(&key_of("acme-1")).expect("sign");
    let entry = StatementRecord::new(b1(), forged).to_entry(CERTIFICATION_KIND, at);
    let mut entries = log.entries.clone();
    entries.push(entry);
    let replayed = scrutineer::ballot::replay(origin(), &entries, &log.blobs);
    match replayed {
        Err(ReplayError::Ballot {
            refusal: BallotRefusal::Statement { kind, refusal },
            ..
        }) => {
            assert_eq!(kind, CERTIFICATION_KIND);
            assert_eq!(refusal.code(), "not-chair");
        }
        other => panic!("expected a refused certification: {other:?}"),
    }
    // The valid one replays; an appeal notification nobody owes does not.
    let entry = certify(&log, &note, CHAIR, CHAIR, at).expect("certified");
    log.append(entry, &[]);
    log.assert_replays();
    let mut entries = log.entries.clone();
    entries.push(
        scrutineer::ballot::Notification {
            ballot: b1(),
            person: person(CHAIR),
            reason: scrutineer::ballot::NotificationReason::Appeal,
        }
        .to_entry(at),
    );
    assert!(matches!(
        scrutineer::ballot::replay(origin(), &entries, &log.blobs),
        Err(ReplayError::Ballot {
            refusal: BallotRefusal::NotificationNotOwed { .. },
            ..
        })
    ));
    assert!(matches!(
        log.book.ballot("B1").map(|t| &t.lifecycle),
        Some(Lifecycle::Certified(_))
    ));
}

/// Nobody decides an appeal of his or her own organisation (docs/rules.md
/// D19): neither the appellant, appointed reviewer after filing it, nor a
/// colleague of the appellant's organisation; a reviewer of another
/// organisation may. A log carrying the appellant's own decision does not
/// replay, so the verifier refuses it too.
#[test]
fn a_reviewer_decides_neither_his_own_appeal_nor_his_colleagues() {
    let (mut log, closes) = ballot(true, None);
    let at = after(closes, 3600);
    let entry = certify(&log, &certification(&log), CHAIR, CHAIR, at).expect("certified");
    log.append(entry, &[]);
    let note = appeal_note(Against::Certification);
    let t = after(at, 60);
    let entries = appeal(&log, &note, "part-1", t).expect("accepted");
    append_all(&mut log, entries);
    let id = Hash::sha256(&note.sign(&key_of("part-1")).expect("sign"));
    let t = after(t, 60);
    for reviewer in ["part-1", "part-2", "dg"] {
        log.fact(
            ReviewerRecord {
                person: person(reviewer),
                appointed: true,
            },
            t,
        );
    }
    let t = after(t, 60);
    for reviewer in ["part-1", "part-2"] {
        assert_eq!(
            decide(&log, id, Ruling::Overturned, reviewer, t).map(|_| ()),
            Err("reviewer-conflict".into()),
            "{reviewer}"
        );
    }

    // The appellant's own decision, slipped into the log.
    let own = DecisionNote {
        origin: origin(),
        ballot: b1(),
        appeal: id,
        outcome: Ruling::Overturned,
        reasons: vec!["I agree with myself.".into()],
    }
    .sign(&key_of("part-1"))
    .expect("sign");
    let mut entries = log.entries.clone();
    entries.push(StatementRecord::new(b1(), own).to_entry(DECISION_KIND, t));
    match scrutineer::ballot::replay(origin(), &entries, &log.blobs) {
        Err(ReplayError::Ballot {
            refusal: BallotRefusal::Statement { kind, refusal },
            ..
        }) => {
            assert_eq!(kind, DECISION_KIND);
            assert_eq!(refusal.code(), "reviewer-conflict");
        }
        other => panic!("expected a refused decision: {other:?}"),
    }

    let entries = decide(&log, id, Ruling::Upheld, "dg", t).expect("decided");
    append_all(&mut log, entries);
    log.assert_replays();
}
