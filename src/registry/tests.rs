//! Known answers for every registry entry type (bytes written out by hand
//! from `docs/formats.md`), format refusals, and one test per rule of the
//! fold.

use super::*;
use crate::id::{MeetingId, OrgId, PersonId};
use crate::note::{KeyName, SigningKey, VerifierKey};
use crate::registry::group::Reminders;
use crate::rules::{AttendanceMode, MeetingFormat, Membership, OrgClass, Profile};

pub(crate) fn t(text: &str) -> Timestamp {
    Timestamp::parse(text).expect("valid test time")
}

fn org(id: &str) -> OrgId {
    OrgId::new(id).expect("valid test id")
}

fn person(id: &str) -> PersonId {
    PersonId::new(id).expect("valid test id")
}

fn meeting(id: &str) -> MeetingId {
    MeetingId::new(id).expect("valid test id")
}

fn key(name: &str, seed: u8) -> VerifierKey {
    SigningKey::from_seed(KeyName::new(name).expect("valid name"), &[seed; 32]).verifier_key()
}

const ALICE_KEY: &str = "alice+4124365a+AYqI4910CfGV/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29c";

/// Asserts the exact bytes of `fact` at `time` and that they parse back.
fn known(fact: Fact, time: &str, headers: &str) {
    let expected = format!(
        "scrutineer/entry/v1\ntype {}\ntime {time}\n{headers}\n",
        fact.kind()
    );
    let entry = fact.to_entry(t(time));
    let bytes = entry.encode().expect("small entry");
    assert_eq!(String::from_utf8(bytes).expect("UTF-8"), expected);
    let parsed = Entry::parse(expected.as_bytes()).expect("an envelope");
    assert_eq!(Fact::from_entry(&parsed), Ok(Some(fact)));
}

fn kom() -> Meeting {
    Meeting {
        id: meeting("KoM"),
        plenary: true,
        format: MeetingFormat::FaceToFace,
        start: t("2020-06-02T08:00:00Z"),
        end: t("2020-06-03T17:00:00Z"),
        kick_off: true,
    }
}

fn cadzow() -> Organisation {
    Organisation {
        id: org("cadzow"),
        class: OrgClass::Member,
        founding: true,
        membership: Membership {
            from: Some(t("2020-04-06T00:00:00Z")),
            to: None,
        },
    }
}

fn alice() -> PersonRecord {
    PersonRecord {
        id: person("alice"),
        organisation: org("cadzow"),
        on_membership_list: true,
        reconfirmed: Some(t("2026-01-02T00:00:00Z")),
    }
}

#[test]
fn known_answers_for_every_entry_type() {
    let time = "2026-01-05T09:00:00.250000Z";
    let group = GroupRecord::defaults(GroupId::new("ISG-ETI").expect("id"), Profile::EtsiIsg);
    known(
        group.into(),
        time,
        "group ISG-ETI\nprofile etsi-isg\nthreshold-percent 71\nnotice-days 30\n\
         correspondence-window plenaries\n",
    );
    let mut itu = GroupRecord::defaults(GroupId::new("SG17").expect("id"), Profile::ItuTTap);
    itu.appeal_deadline_days = Some(60);
    known(
        itu.into(),
        time,
        "group SG17\nprofile itu-t-tap\nthreshold-percent 70\nnotice-months 3\n\
         appeal-deadline-days 60\n",
    );
    let mut reminded = GroupRecord::defaults(GroupId::new("SG17").expect("id"), Profile::ItuTTap);
    reminded.reminders = Reminders::new(&[1, 72]).expect("offsets");
    known(
        reminded.into(),
        time,
        "group SG17\nprofile itu-t-tap\nthreshold-percent 70\nnotice-months 3\n\
         reminder-hours 72,1\n",
    );
    let mut none = GroupRecord::defaults(GroupId::new("SG17").expect("id"), Profile::ItuTTap);
    none.reminders = Reminders::new(&[]).expect("no offsets");
    known(
        none.into(),
        time,
        "group SG17\nprofile itu-t-tap\nthreshold-percent 70\nnotice-months 3\n\
         reminder-hours none\n",
    );
    known(
        cadzow().into(),
        time,
        "organisation cadzow\nclass member\nfounding true\nfrom 2020-04-06T00:00:00.000000Z\n",
    );
    let mut ended = cadzow();
    ended.membership = Membership {
        from: None,
        to: Some(t("2027-01-01T00:00:00Z")),
    };
    known(
        ended.into(),
        time,
        "organisation cadzow\nclass member\nfounding true\nto 2027-01-01T00:00:00.000000Z\n",
    );
    known(
        alice().into(),
        time,
        "person alice\norganisation cadzow\nmembership-list true\n\
         reconfirmed 2026-01-02T00:00:00.000000Z\n",
    );
    let added = KeyAdded {
        person: person("alice"),
        key: VerifierKey::parse(ALICE_KEY).expect("valid key"),
    };
    assert_eq!(added.key, key("alice", 1));
    known(
        added.into(),
        time,
        &format!("person alice\nkey {ALICE_KEY}\n"),
    );
    let revoked = KeyRevoked {
        person: person("alice"),
        key_id: key("alice", 1).id(),
    };
    known(revoked.into(), time, "person alice\nkey-id 4124365a\n");
    known(
        kom().into(),
        time,
        "meeting KoM\nplenary true\nformat face-to-face\nstart 2020-06-02T08:00:00.000000Z\n\
         end 2020-06-03T17:00:00.000000Z\nkick-off true\n",
    );
    let attendance = Attendance {
        meeting: meeting("KoM"),
        person: person("alice"),
        organisation: org("cadzow"),
        mode: AttendanceMode::Physical,
    };
    known(
        attendance.into(),
        time,
        "meeting KoM\nperson alice\norganisation cadzow\nmode physical\n",
    );
    let removed = AttendanceRemoved {
        meeting: meeting("KoM"),
        person: person("alice"),
    };
    known(removed.into(), time, "meeting KoM\nperson alice\n");
    let chair = ChairAppointed::two_year_term(person("alice"), t("2024-02-29T10:00:00Z"), false)
        .expect("in range");
    known(
        chair.into(),
        time,
        "person alice\nfrom 2024-02-29T10:00:00.000000Z\nto 2026-02-28T10:00:00.000000Z\n\
         acting false\n",
    );
    let ended = ChairEnded {
        person: person("alice"),
        acting: true,
    };
    known(ended.into(), time, "person alice\nacting true\n");
    let reviewer = ReviewerRecord {
        person: person("dg-1"),
        appointed: true,
    };
    known(reviewer.into(), time, "person dg-1\nappointed true\n");
}

fn parse_entry(kind: &str, headers: &str) -> Entry {
    let text =
        format!("scrutineer/entry/v1\ntype {kind}\ntime 2026-01-05T09:00:00.000000Z\n{headers}\n");
    Entry::parse(text.as_bytes()).expect("an envelope")
}

fn format_error(kind: &str, headers: &str) -> FormatError {
    match Fact::from_entry(&parse_entry(kind, headers)) {
        Err(Refusal::Malformed { error, .. }) => error,
        other => panic!("{kind} {headers:?}: expected a format error, got {other:?}"),
    }
}

#[test]
fn formats_are_strict() {
    use FormatError as F;
    let bad = |header: &'static str, value: &str, expected| F::BadValue {
        header,
        value: value.to_owned(),
        expected,
    };
    let reviewer = "person dg-1\nappointed true\n";
    assert!(Fact::from_entry(&parse_entry("reviewer", reviewer)).is_ok());
    assert_eq!(
        format_error("reviewer", "person dg-1\n"),
        F::Missing("appointed")
    );
    assert_eq!(
        format_error("reviewer", "appointed true\nperson dg-1\n"),
        F::OutOfOrder("person".into())
    );
    assert_eq!(
        format_error("reviewer", "person dg-1\nperson dg-2\nappointed true\n"),
        F::Duplicate("person".into())
    );
    assert_eq!(
        format_error("reviewer", "person dg-1\nappointed true\nname Ann\n"),
        F::Unknown("name".into())
    );
    assert_eq!(
        format_error("reviewer", "person dg-1\nappointed yes\n"),
        bad("appointed", "yes", "true|false")
    );
    assert!(matches!(
        format_error("reviewer", "person dg 1\nappointed true\n"),
        F::BadValue {
            header: "person",
            ..
        }
    ));
    assert!(matches!(
        format_error(
            "chair",
            "person a\nfrom 2024-01-01T00:00:00Z\nto 2025-01-01T00:00:00.000000Z\nacting false\n"
        ),
        F::BadValue { header: "from", .. }
    ));
    assert!(matches!(
        format_error(
            "organisation",
            "organisation a\nclass Member\nfounding false\n"
        ),
        F::BadValue {
            header: "class",
            ..
        }
    ));
    assert!(matches!(
        format_error(
            "attendance",
            "meeting m\nperson p\norganisation o\nmode in-person\n"
        ),
        F::BadValue { header: "mode", .. }
    ));
    assert!(matches!(
        format_error(
            "group",
            "group g\nprofile etsi-isg\nthreshold-percent 071\nnotice-days 30\ncorrespondence-window plenaries\n"
        ),
        F::BadValue {
            header: "threshold-percent",
            ..
        }
    ));
    assert_eq!(
        format_error("group", "group g\nprofile etsi-isg\nthreshold-percent 71\n"),
        F::Missing("notice-days")
    );
    assert_eq!(
        format_error(
            "group",
            "group g\nprofile etsi-isg\nthreshold-percent 71\nnotice-days 30\nnotice-months 3\n"
        ),
        F::Exclusive("notice-days", "notice-months")
    );
    let with_body = parse_entry("reviewer", reviewer).body(b"x".to_vec());
    assert_eq!(
        Fact::from_entry(&with_body),
        Err(Refusal::Malformed {
            kind: "reviewer",
            error: F::Body { kind: "reviewer" }
        })
    );
    // Not a registry type: handed back for the caller to dispatch.
    assert_eq!(
        Fact::from_entry(&parse_entry("vote", "ballot B\n")),
        Ok(None)
    );
}

#[test]
fn weak_and_bad_keys_have_their_own_codes() {
    // The identity point (y = 1) has small order.
    let weak = "alice+00000000+AQEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let refusal = Fact::from_entry(&parse_entry("key", &format!("person alice\nkey {weak}\n")))
        .expect_err("weak key");
    assert_eq!(refusal.code(), "weak-key");
    let wrong_id = ALICE_KEY.replace("4124365a", "4124365b");
    let refusal = Fact::from_entry(&parse_entry(
        "key",
        &format!("person alice\nkey {wrong_id}\n"),
    ))
    .expect_err("wrong id");
    assert_eq!(refusal.code(), "bad-key");
}

/// An `etsi-isg` group with cadzow, alice and the KoM.
pub(crate) fn etsi_state() -> GroupState {
    let group = GroupRecord::defaults(GroupId::new("ISG-ETI").expect("id"), Profile::EtsiIsg);
    let mut state =
        GroupState::genesis(&group.to_entry(t("2026-01-05T00:00:00Z"))).expect("valid group");
    let at = t("2026-01-05T00:00:00Z");
    for fact in [Fact::from(cadzow()), alice().into(), kom().into()] {
        state.apply(&fact.to_entry(at)).expect("valid fact");
    }
    state
}

/// The code of the refusal of `fact` at `time`, checking that the state
/// did not change.
fn refused(state: &mut GroupState, fact: impl Into<Fact>, time: &str) -> &'static str {
    let before = state.clone();
    let refusal = state
        .apply(&fact.into().to_entry(t(time)))
        .expect_err("refused");
    assert_eq!(*state, before, "a refused entry changed the state");
    refusal.code()
}

#[test]
fn the_fold_refuses_what_breaks_a_rule() {
    let mut s = etsi_state();
    let at = "2026-02-01T00:00:00Z";
    let group = GroupRecord::defaults(GroupId::new("other").expect("id"), Profile::EtsiIsg);
    assert_eq!(refused(&mut s, group, at), "group-exists");
    assert_eq!(
        refused(&mut s, cadzow(), "2026-01-04T00:00:00Z"),
        "time-went-backwards"
    );
    let mut o = cadzow();
    o.class = OrgClass::MemberState;
    assert_eq!(refused(&mut s, o, at), "class-not-in-profile");
    let mut o = cadzow();
    o.membership.to = Some(t("2020-04-05T00:00:00Z"));
    assert_eq!(refused(&mut s, o, at), "membership-period");
    let mut p = alice();
    p.organisation = org("nobody");
    assert_eq!(refused(&mut s, p, at), "unknown-organisation");
    let mut p = alice();
    p.reconfirmed = Some(t("2026-03-01T00:00:00Z"));
    assert_eq!(refused(&mut s, p, at), "future-reconfirmation");
    let mut m = kom();
    m.id = meeting("KoM-2");
    assert_eq!(refused(&mut s, m, at), "second-kick-off");
    let mut m = kom();
    m.end = m.start;
    assert_eq!(refused(&mut s, m, at), "meeting-period");
    let attendance = |m: &str, p: &str, o: &str, mode| Attendance {
        meeting: meeting(m),
        person: person(p),
        organisation: org(o),
        mode,
    };
    let physical = AttendanceMode::Physical;
    assert_eq!(
        refused(&mut s, attendance("nope", "alice", "cadzow", physical), at),
        "unknown-meeting"
    );
    assert_eq!(
        refused(&mut s, attendance("KoM", "bob", "cadzow", physical), at),
        "unknown-person"
    );
    assert_eq!(
        refused(&mut s, attendance("KoM", "alice", "x", physical), at),
        "unknown-organisation"
    );
    let mut online = kom();
    online.id = meeting("call");
    online.kick_off = false;
    online.format = MeetingFormat::Online;
    s.apply(&Fact::from(online.clone()).to_entry(t(at)))
        .expect("valid meeting");
    assert_eq!(
        refused(&mut s, attendance("call", "alice", "cadzow", physical), at),
        "physical-at-online-meeting"
    );
    s.apply(&Fact::from(attendance("KoM", "alice", "cadzow", physical)).to_entry(t(at)))
        .expect("valid attendance");
    let mut kom_online = kom();
    kom_online.format = MeetingFormat::Online;
    assert_eq!(
        refused(&mut s, kom_online, at),
        "physical-attendance-exists"
    );
    let removed = AttendanceRemoved {
        meeting: meeting("call"),
        person: person("alice"),
    };
    assert_eq!(refused(&mut s, removed, at), "unknown-attendance");
    let mut precise = kom();
    precise.start = t("2020-06-02T08:00:00.0000001Z");
    assert_eq!(
        s.check(&precise.into(), t(at)).map_err(|r| r.code()),
        Err("time-precision")
    );
}

#[test]
fn profile_rules_of_itu_t_tap() {
    let group = GroupRecord::defaults(GroupId::new("SG17").expect("id"), Profile::ItuTTap);
    let mut s = GroupState::genesis(&group.to_entry(t("2026-01-01T00:00:00Z"))).expect("valid");
    let at = "2026-01-02T00:00:00Z";
    assert_eq!(refused(&mut s, cadzow(), at), "class-not-in-profile");
    let mut o = cadzow();
    o.class = OrgClass::MemberState;
    assert_eq!(refused(&mut s, o, at), "founding-not-in-profile");
    assert_eq!(refused(&mut s, kom(), at), "kick-off-not-in-profile");
    let mut bad = GroupRecord::defaults(GroupId::new("SG17").expect("id"), Profile::ItuTTap);
    bad.notice = crate::rules::Notice::ExactDays(30);
    let genesis = GroupState::genesis(&bad.to_entry(t(at)));
    assert_eq!(
        genesis.map(|_| ()).map_err(|r| r.code()),
        Err("bad-parameters")
    );
    let not_first = GroupState::genesis(&cadzow().to_entry(t(at)));
    assert_eq!(
        not_first.map(|_| ()).map_err(|r| r.code()),
        Err("group-first")
    );
}

#[test]
fn keys_are_valid_from_their_entry_until_their_revocation() {
    let mut s = etsi_state();
    let mut bob = alice();
    bob.id = person("bob");
    s.apply(&Fact::from(bob).to_entry(t("2026-01-06T00:00:00Z")))
        .expect("valid person");
    let added = KeyAdded {
        person: person("alice"),
        key: key("alice", 1),
    };
    let id = added.key.id();
    s.apply(&Fact::from(added.clone()).to_entry(t("2026-01-10T00:00:00Z")))
        .expect("valid key");
    assert_eq!(
        refused(&mut s, added.clone(), "2026-01-11T00:00:00Z"),
        "duplicate-key"
    );
    let for_bob = KeyAdded {
        person: person("bob"),
        key: key("alice", 2),
    };
    assert_eq!(
        refused(&mut s, for_bob, "2026-01-11T00:00:00Z"),
        "key-name-mismatch"
    );
    let revoke = KeyRevoked {
        person: person("alice"),
        key_id: id,
    };
    s.apply(&Fact::from(revoke.clone()).to_entry(t("2026-01-20T00:00:00Z")))
        .expect("valid revocation");
    assert_eq!(
        refused(&mut s, revoke, "2026-01-21T00:00:00Z"),
        "key-already-revoked"
    );
    assert_eq!(
        refused(&mut s, added, "2026-01-21T00:00:00Z"),
        "duplicate-key"
    );
    let unknown = KeyRevoked {
        person: person("alice"),
        key_id: key("alice", 2).id(),
    };
    assert_eq!(
        refused(&mut s, unknown, "2026-01-21T00:00:00Z"),
        "unknown-key"
    );
    assert!(
        s.key_valid_at("alice", id, t("2026-01-09T23:59:59Z"))
            .is_none()
    );
    assert!(
        s.key_valid_at("alice", id, t("2026-01-10T00:00:00Z"))
            .is_some()
    );
    assert!(
        s.key_valid_at("alice", id, t("2026-01-19T23:59:59.999999Z"))
            .is_some()
    );
    assert!(
        s.key_valid_at("alice", id, t("2026-01-20T00:00:00Z"))
            .is_none()
    );
    assert_eq!(s.keys_of("alice").len(), 1);
    assert_eq!(
        s.keys_of("alice")[0].revoked,
        Some(t("2026-01-20T00:00:00Z"))
    );
}

#[test]
fn chairs_serve_two_years_and_acting_chairs_take_precedence() {
    let mut s = etsi_state();
    let at = "2026-01-06T00:00:00Z";
    let chair = ChairAppointed::two_year_term(person("alice"), t("2026-01-05T00:00:00Z"), false)
        .expect("in range");
    let mut long = chair.clone();
    long.to = t("2028-01-05T00:00:00.000001Z");
    assert_eq!(refused(&mut s, long, at), "chair-term");
    let mut empty = chair.clone();
    empty.to = empty.from;
    assert_eq!(refused(&mut s, empty, at), "chair-term");
    s.apply(&Fact::from(chair.clone()).to_entry(t(at)))
        .expect("valid chair");
    assert_eq!(refused(&mut s, chair, at), "chair-term-overlap");
    let acting = ChairAppointed {
        person: person("alice"),
        from: t("2026-03-01T00:00:00Z"),
        to: t("2026-04-01T00:00:00Z"),
        acting: true,
    };
    s.apply(&Fact::from(acting).to_entry(t(at)))
        .expect("valid acting chair");
    assert_eq!(
        s.chair_at(t("2026-03-15T00:00:00Z")),
        Some(&person("alice"))
    );
    assert_eq!(s.chair_at(t("2028-01-05T00:00:00Z")), None);
    let end = ChairEnded {
        person: person("alice"),
        acting: false,
    };
    assert_eq!(
        refused(&mut s, end.clone(), "2026-01-01T00:00:00Z"),
        "time-went-backwards"
    );
    s.apply(&Fact::from(end.clone()).to_entry(t("2026-06-01T00:00:00Z")))
        .expect("a running term ends");
    assert_eq!(s.chair_at(t("2026-06-01T00:00:00Z")), None);
    assert_eq!(
        s.chair_at(t("2026-05-31T00:00:00Z")),
        Some(&person("alice"))
    );
    assert_eq!(refused(&mut s, end, "2026-06-02T00:00:00Z"), "not-chair");
    let reviewer = ReviewerRecord {
        person: person("dg"),
        appointed: true,
    };
    assert_eq!(
        refused(&mut s, reviewer, "2026-06-02T00:00:00Z"),
        "unknown-person"
    );
}

/// Reminder offsets: the default is not written (old logs read as before),
/// any other list is, in one spelling only.
#[test]
fn reminder_offsets_have_one_spelling() {
    assert_eq!(Reminders::default().hours(), &[168, 24]);
    assert_eq!(Reminders::new(&[24, 168]), Ok(Reminders::default()));
    assert!(Reminders::new(&[0]).is_err());
    assert!(Reminders::new(&[8785]).is_err());
    assert!(Reminders::new(&[24, 24]).is_err());
    assert!(Reminders::new(&[1, 2, 3, 4, 5, 6, 7, 8, 9]).is_err());
    assert_eq!(
        Reminders::from_header("72,1").map(|r| r.hours().to_vec()),
        Ok(vec![72, 1])
    );
    assert_eq!(
        Reminders::from_header("none").ok(),
        Reminders::new(&[]).ok()
    );
    for bad in ["", "1,72", "72, 1", "072,1", "72,72", "0", "none,1", "72,"] {
        assert!(Reminders::from_header(bad).is_err(), "{bad:?}");
    }
}
