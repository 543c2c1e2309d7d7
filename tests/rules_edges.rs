//! Each rule of SPEC sections 2 and 5 at its edges, on small inline
//! scenarios run through the library (`scrutineer::simulate`), plus the
//! explained roll through the rules API.

use scrutineer::rules::{Roll, RollReason};
use scrutineer::simulate::{Scenario, simulate};
use serde_json::{Value, json};

fn run(scenario: &Value) -> Value {
    let report = simulate(&scenario.to_string()).unwrap_or_else(|e| panic!("valid scenario: {e}"));
    serde_json::to_value(report).expect("a report serialises")
}

fn rolls(scenario: &Value) -> Vec<Roll> {
    let parsed = Scenario::parse(&scenario.to_string()).expect("valid scenario");
    parsed
        .run()
        .into_iter()
        .map(|r| r.run.expect("the ballot is scheduled").roll)
        .collect()
}

/// The first ballot's report.
fn first(scenario: &Value) -> Value {
    run(scenario)["ballots"][0].clone()
}

fn reasons(ballot: &Value) -> Vec<String> {
    ballot["votes"]
        .as_array()
        .expect("votes")
        .iter()
        .map(|v| {
            v.get("reason")
                .and_then(Value::as_str)
                .unwrap_or("accepted")
                .to_string()
        })
        .collect()
}

/// An ISG: KoM (Jan), P2 (Apr, face-to-face), P3 (Jul, face-to-face): the
/// Kick-off Period ends at P3's end, 2030-07-11T17:00:00Z. Organisations:
/// `f` founding member who never attended; `m` member who attended P2 and
/// P3 physically; `r` member who attended remotely; `p` participant,
/// `o` observer, `c` counsellor who all attended physically.
fn isg() -> Value {
    let mut attendance = vec![];
    for meeting in ["P2", "P3"] {
        for (person, org) in [("m1", "m"), ("p1", "p"), ("o1", "o"), ("c1", "c")] {
            attendance.push(json!({"meeting": meeting, "person": person, "organisation": org, "mode": "physical"}));
        }
        attendance.push(
            json!({"meeting": meeting, "person": "r1", "organisation": "r", "mode": "remote"}),
        );
    }
    json!({
        "profile": "etsi-isg",
        "organisations": [
            {"id": "f", "class": "member", "founding": true},
            {"id": "m", "class": "member"},
            {"id": "r", "class": "member"},
            {"id": "p", "class": "participant"},
            {"id": "o", "class": "observer"},
            {"id": "c", "class": "counsellor"}
        ],
        "persons": [
            {"id": "f1", "organisation": "f", "on_membership_list": true},
            {"id": "m1", "organisation": "m", "on_membership_list": true},
            {"id": "m2", "organisation": "m"},
            {"id": "r1", "organisation": "r", "on_membership_list": true},
            {"id": "p1", "organisation": "p", "on_membership_list": true},
            {"id": "o1", "organisation": "o", "on_membership_list": true},
            {"id": "c1", "organisation": "c", "on_membership_list": true}
        ],
        "meetings": [
            {"id": "KoM", "plenary": true, "format": "face-to-face", "kick_off": true,
             "start": "2030-01-10T08:00:00Z", "end": "2030-01-11T17:00:00Z"},
            {"id": "P2", "plenary": true, "format": "face-to-face",
             "start": "2030-04-10T08:00:00Z", "end": "2030-04-11T17:00:00Z"},
            {"id": "P3", "plenary": true, "format": "face-to-face",
             "start": "2030-07-10T08:00:00Z", "end": "2030-07-11T17:00:00Z"}
        ],
        "attendance": attendance,
        "ballots": []
    })
}

fn correspondence(announced: &str, opens: &str, closes: &str, votes: Value) -> Value {
    json!({"id": "B", "kind": "correspondence", "announced": announced, "opens": opens,
           "closes": closes, "votes": votes})
}

fn vote(person: &str, org: &str, choice: &str, at: &str) -> Value {
    json!({"person": person, "organisation": org, "choice": choice, "at": at})
}

fn with_ballot(mut scenario: Value, ballot: Value) -> Value {
    scenario["ballots"] = json!([ballot]);
    scenario
}

#[test]
fn notice_is_exactly_thirty_days() {
    let exact = correspondence(
        "2030-08-01T09:00:00Z",
        "2030-08-31T09:00:00Z",
        "2030-09-14T00:00:00Z",
        json!([]),
    );
    assert_eq!(first(&with_ballot(isg(), exact))["status"], "tallied");
    for opens in ["2030-08-31T08:59:59Z", "2030-08-31T08:59:59.999999999Z"] {
        let short = correspondence(
            "2030-08-01T09:00:00Z",
            opens,
            "2030-09-14T00:00:00Z",
            json!([]),
        );
        assert_eq!(
            first(&with_ballot(isg(), short)),
            json!({"id": "B", "status": "refused", "error": "notice-period"}),
            "{opens}"
        );
    }
}

#[test]
fn notice_days_is_a_parameter() {
    let mut scenario = with_ballot(
        isg(),
        correspondence(
            "2030-08-01T09:00:00Z",
            "2030-08-11T09:00:00Z",
            "2030-09-14T00:00:00Z",
            json!([]),
        ),
    );
    assert_eq!(first(&scenario)["error"], "notice-period");
    scenario["parameters"] = json!({"notice_days": 10});
    assert_eq!(first(&scenario)["status"], "tallied");
}

#[test]
fn window_is_half_open_and_checked_before_notice() {
    let votes = json!([
        vote("m1", "m", "yes", "2030-08-31T08:59:59.999999999Z"),
        vote("m1", "m", "no", "2030-08-31T09:00:00Z"),
        vote("m1", "m", "abstain", "2030-09-14T08:59:59.999999999Z"),
        vote("m1", "m", "yes", "2030-09-14T09:00:00Z")
    ]);
    let b = first(&with_ballot(
        isg(),
        correspondence(
            "2030-08-01T09:00:00Z",
            "2030-08-31T09:00:00Z",
            "2030-09-14T09:00:00Z",
            votes,
        ),
    ));
    assert_eq!(
        reasons(&b),
        ["outside-window", "accepted", "accepted", "outside-window"]
    );
    assert_eq!(b["questions"][0]["abstain"], 1);
    // closes = opens, and closes < opens with too short a notice: window.
    for closes in ["2030-08-31T09:00:00Z", "2030-08-02T09:00:00Z"] {
        let empty = correspondence(
            "2030-08-01T09:00:00Z",
            "2030-08-31T09:00:00Z",
            closes,
            json!([]),
        );
        assert_eq!(
            first(&with_ballot(isg(), empty))["error"],
            "window",
            "{closes}"
        );
    }
    let both = correspondence(
        "2030-08-01T09:00:00Z",
        "2030-08-02T09:00:00Z",
        "2030-08-02T09:00:00Z",
        json!([]),
    );
    assert_eq!(first(&with_ballot(isg(), both))["error"], "window");
}

fn kick_off_ballot(opens: &str) -> Value {
    // 30 days' notice before `opens`, computed by hand for each case below.
    let announced = match opens {
        "2030-07-11T17:00:00Z" | "2030-07-11T17:00:00.000000001Z" => "2030-06-11T17:00:00Z",
        _ => "2029-01-01T00:00:00Z",
    };
    correspondence(announced, opens, "2030-12-31T00:00:00Z", json!([]))
}

#[test]
fn kick_off_period_includes_its_end_instant_only() {
    let at_end = rolls(&with_ballot(isg(), kick_off_ballot("2030-07-11T17:00:00Z")));
    let f = at_end[0].entry("f").expect("f is on the roll");
    assert_eq!(
        (f.eligible, f.reason),
        (true, RollReason::FoundingMemberInKickOffPeriod)
    );
    assert!(f.kick_off_period);
    let kop = at_end[0]
        .kick_off_period
        .as_ref()
        .expect("a Kick-off Period");
    assert_eq!(
        kop.end.map(|t| t.to_string()).as_deref(),
        Some("2030-07-11T17:00:00Z")
    );
    assert!(kop.running);

    let after = rolls(&with_ballot(
        isg(),
        kick_off_ballot("2030-07-11T17:00:00.000000001Z"),
    ));
    let f = after[0].entry("f").expect("f is on the roll");
    assert_eq!(
        (f.eligible, f.reason),
        (false, RollReason::InsufficientAttendance)
    );
    assert!(
        !after[0]
            .kick_off_period
            .as_ref()
            .expect("a Kick-off Period")
            .running
    );
}

#[test]
fn kick_off_period_starts_at_the_kom_and_needs_two_face_to_face_plenaries() {
    // Before the KoM's start: no founding right.
    let before = rolls(&with_ballot(isg(), kick_off_ballot("2030-01-10T07:59:59Z")));
    assert_eq!(
        before[0].entry("f").map(|e| e.reason),
        Some(RollReason::InsufficientAttendance)
    );
    // At the KoM's start: the right applies.
    let at_start = rolls(&with_ballot(isg(), kick_off_ballot("2030-01-10T08:00:00Z")));
    assert_eq!(
        at_start[0].entry("f").map(|e| e.reason),
        Some(RollReason::FoundingMemberInKickOffPeriod)
    );
    // With P3 online, only one face-to-face plenary followed the KoM: the
    // period has not ended, long after P3.
    let mut scenario = with_ballot(isg(), kick_off_ballot("2030-11-01T00:00:00Z"));
    scenario["meetings"][2]["format"] = json!("online");
    let attendance: Vec<Value> = scenario["attendance"]
        .as_array()
        .expect("attendance")
        .iter()
        .filter(|a| a["meeting"] != "P3" || a["mode"] == "remote")
        .cloned()
        .collect();
    scenario["attendance"] = json!(attendance);
    let roll = &rolls(&scenario)[0];
    assert_eq!(roll.kick_off_period.as_ref().and_then(|k| k.end), None);
    assert_eq!(roll.entry("f").map(|e| e.eligible), Some(true));
    // A hybrid P3 counts as face-to-face and ends the period.
    scenario["meetings"][2]["format"] = json!("hybrid");
    let roll = &rolls(&scenario)[0];
    assert_eq!(roll.entry("f").map(|e| e.eligible), Some(false));
}

#[test]
fn fewer_than_three_plenaries_still_need_two_physical_attendances() {
    // Opening after P2, before P3: the window is KoM and P2.
    let mut scenario = with_ballot(isg(), kick_off_ballot("2030-05-01T00:00:00Z"));
    let roll = &rolls(&scenario)[0];
    assert_eq!(
        roll.window.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
        ["KoM", "P2"]
    );
    assert_eq!(
        roll.entry("m").map(|e| (e.eligible, e.physical.len())),
        Some((false, 1))
    );
    // With KoM attended too, two of two: eligible.
    scenario["attendance"]
        .as_array_mut()
        .expect("attendance")
        .push(json!({"meeting": "KoM", "person": "m2", "organisation": "m", "mode": "physical"}));
    let roll = &rolls(&scenario)[0];
    assert_eq!(
        roll.entry("m").map(|e| (e.eligible, e.reason)),
        Some((true, RollReason::Attendance))
    );
    // Only the KoM held: one attendance can never be enough.
    let early = with_ballot(scenario.clone(), kick_off_ballot("2030-02-01T00:00:00Z"));
    assert_eq!(rolls(&early)[0].entry("m").map(|e| e.eligible), Some(false));
}

/// `isg()` plus an online plenary P4 in October; `m` attended KoM and P2
/// physically only, P3 is hybrid.
fn with_online_plenary() -> Value {
    let mut s = isg();
    s["meetings"][2]["format"] = json!("hybrid");
    s["meetings"].as_array_mut().expect("meetings").push(json!(
        {"id": "P4", "plenary": true, "format": "online",
         "start": "2030-10-10T08:00:00Z", "end": "2030-10-10T17:00:00Z"}));
    s["attendance"] = json!([
        {"meeting": "KoM", "person": "m1", "organisation": "m", "mode": "physical"},
        {"meeting": "P2", "person": "m1", "organisation": "m", "mode": "physical"},
        {"meeting": "P3", "person": "r1", "organisation": "r", "mode": "physical"},
        {"meeting": "P2", "person": "r1", "organisation": "r", "mode": "physical"},
        {"meeting": "P4", "person": "r1", "organisation": "r", "mode": "remote"}
    ]);
    s
}

#[test]
fn online_plenaries_enter_the_correspondence_window_unless_the_group_says_otherwise() {
    let ballot = correspondence(
        "2030-10-15T00:00:00Z",
        "2030-11-14T00:00:00Z",
        "2030-11-28T00:00:00Z",
        json!([]),
    );
    let mut scenario = with_ballot(with_online_plenary(), ballot);
    let roll = &rolls(&scenario)[0];
    assert_eq!(
        roll.window.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
        ["P2", "P3", "P4"]
    );
    assert_eq!(first(&scenario)["eligible"], json!(["r"]));

    scenario["parameters"] = json!({"correspondence_window": "face-to-face-plenaries"});
    let roll = &rolls(&scenario)[0];
    // The hybrid P3 counts as face-to-face; the online P4 does not.
    assert_eq!(
        roll.window.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
        ["KoM", "P2", "P3"]
    );
    assert_eq!(first(&scenario)["eligible"], json!(["m", "r"]));
}

/// A meeting vote at a P5 in December, announced 30 days before its start.
fn meeting_vote(scenario: &mut Value, votes: Value) {
    scenario["meetings"]
        .as_array_mut()
        .expect("meetings")
        .push(json!(
        {"id": "P5", "plenary": true, "format": "hybrid",
         "start": "2030-12-10T08:00:00Z", "end": "2030-12-11T17:00:00Z"}));
    scenario["ballots"] = json!([{"id": "MV", "kind": "meeting", "meeting": "P5",
        "announced": "2030-11-10T08:00:00Z",
        "opens": "2030-12-10T08:00:00Z", "closes": "2030-12-11T17:00:00Z", "votes": votes}]);
}

#[test]
fn meeting_votes_use_face_to_face_plenaries_and_physical_presence() {
    let mut scenario = with_online_plenary();
    scenario["attendance"]
        .as_array_mut()
        .expect("attendance")
        .extend([
            json!({"meeting": "P5", "person": "m2", "organisation": "m", "mode": "physical"}),
            json!({"meeting": "P5", "person": "r1", "organisation": "r", "mode": "remote"}),
        ]);
    let votes = json!([
        vote("m2", "m", "yes", "2030-12-10T09:00:00Z"),
        vote("m1", "m", "no", "2030-12-10T10:00:00Z"),
        vote("r1", "r", "yes", "2030-12-10T09:00:00Z")
    ]);
    meeting_vote(&mut scenario, votes);
    let roll = &rolls(&scenario)[0];
    // Window at the meeting's start, face-to-face (and hybrid) only.
    assert_eq!(
        roll.window.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
        ["KoM", "P2", "P3"]
    );
    let b = first(&scenario);
    assert_eq!(b["eligible"], json!(["m", "r"]));
    // m2 is not on the membership list, which a meeting vote does not need.
    assert_eq!(reasons(&b), ["accepted", "not-present", "not-present"]);
    assert_eq!(b["questions"][0]["yes"], 1);

    // The notice runs to the meeting's start: one second short is refused.
    scenario["ballots"][0]["announced"] = json!("2030-11-10T08:00:01Z");
    assert_eq!(first(&scenario)["error"], "notice-period");
}

#[test]
fn meeting_votes_run_inside_a_plenary_that_is_not_online() {
    type Change = fn(&mut Value);
    let cases: [(Change, &str); 5] = [
        (
            |s| s["ballots"][0]["opens"] = json!("2030-12-10T07:59:59Z"),
            "window",
        ),
        (
            |s| s["ballots"][0]["closes"] = json!("2030-12-11T17:00:01Z"),
            "window",
        ),
        (|s| s["meetings"][3]["plenary"] = json!(false), "window"),
        (|s| s["meetings"][3]["format"] = json!("online"), "window"),
        (
            |s| s["meetings"][3]["format"] = json!("face-to-face"),
            "tallied",
        ),
    ];
    for (change, expected) in cases {
        let mut scenario = isg();
        meeting_vote(&mut scenario, json!([]));
        change(&mut scenario);
        let b = first(&scenario);
        let got = b.get("error").unwrap_or(&b["status"]);
        assert_eq!(got, expected, "{scenario}");
    }
}

#[test]
fn founding_members_in_the_kick_off_period_must_be_present_at_a_meeting_vote() {
    let mut scenario = isg();
    scenario["meetings"]
        .as_array_mut()
        .expect("meetings")
        .push(json!(
        {"id": "P2b", "plenary": true, "format": "face-to-face",
         "start": "2030-05-10T08:00:00Z", "end": "2030-05-11T17:00:00Z"}));
    scenario["attendance"]
        .as_array_mut()
        .expect("attendance")
        .push(json!({"meeting": "P2b", "person": "m1", "organisation": "m", "mode": "physical"}));
    scenario["ballots"] = json!([{"id": "MV", "kind": "meeting", "meeting": "P2b",
        "announced": "2030-04-01T00:00:00Z", "opens": "2030-05-10T09:00:00Z",
        "closes": "2030-05-10T10:00:00Z",
        "votes": [vote("f1", "f", "yes", "2030-05-10T09:30:00Z")]}]);
    let b = first(&scenario);
    assert_eq!(b["eligible"], json!(["f"]));
    assert_eq!(reasons(&b), ["not-present"]);
}

#[test]
fn membership_ending_or_starting_mid_ballot() {
    let mut scenario = with_ballot(
        isg(),
        correspondence(
            "2030-08-01T00:00:00Z",
            "2030-09-01T00:00:00Z",
            "2030-09-15T00:00:00Z",
            json!([
                vote("m1", "m", "yes", "2030-09-09T23:59:59Z"),
                vote("m1", "m", "no", "2030-09-10T00:00:00Z"),
                vote("r1", "r", "yes", "2030-09-02T00:00:00Z")
            ]),
        ),
    );
    scenario["organisations"][1]["to"] = json!("2030-09-10T00:00:00Z");
    // r joins after the opening (it attended nothing physically anyway, so
    // the roll says why it is not eligible by its membership first).
    scenario["organisations"][2]["from"] = json!("2030-09-01T00:00:00.000001Z");
    let b = first(&scenario);
    assert_eq!(
        reasons(&b),
        ["accepted", "membership-ended", "not-eligible"]
    );
    // Article 12.2: the vote before termination stays counted.
    assert_eq!(b["votes"][0]["counted"], true);
    assert_eq!(b["questions"][0]["yes"], 1);
    assert_eq!(
        rolls(&scenario)[0].entry("r").map(|e| e.reason),
        Some(RollReason::MembershipNotStarted)
    );
    // Ended at the opening: not on the roll.
    scenario["organisations"][1]["to"] = json!("2030-09-01T00:00:00Z");
    assert_eq!(
        rolls(&scenario)[0].entry("m").map(|e| e.reason),
        Some(RollReason::MembershipEnded)
    );
}

#[test]
fn classes_that_never_vote() {
    let votes = json!([
        vote("p1", "p", "yes", "2030-09-02T00:00:00Z"),
        vote("o1", "o", "yes", "2030-09-02T00:00:00Z"),
        vote("c1", "c", "yes", "2030-09-02T00:00:00Z")
    ]);
    let scenario = with_ballot(
        isg(),
        correspondence(
            "2030-08-01T00:00:00Z",
            "2030-09-01T00:00:00Z",
            "2030-09-15T00:00:00Z",
            votes,
        ),
    );
    let b = first(&scenario);
    assert_eq!(
        reasons(&b),
        ["not-eligible", "not-eligible", "not-eligible"]
    );
    let roll = &rolls(&scenario)[0];
    for org in ["p", "o", "c"] {
        let e = roll.entry(org).expect("on the roll");
        assert_eq!(
            (e.reason, e.physical.len()),
            (RollReason::ClassDoesNotVote, 2),
            "{org}"
        );
    }
}

#[test]
fn refusal_precedence() {
    let votes = json!([
        // Unknown person and unknown question: not-representative.
        {"person": "zz", "organisation": "m", "question": "x", "choice": "yes", "at": "2030-09-02T00:00:00Z"},
        // Proxy: m1 for f.
        vote("m1", "f", "yes", "2030-09-02T00:00:00Z"),
        // Unknown question and bad choice: unknown-question.
        {"person": "m1", "organisation": "m", "question": "x", "choice": "maybe", "at": "2030-09-02T00:00:00Z"},
        // Bad choice outside the window: bad-choice (ITU choices are bad here).
        vote("m1", "m", "assign", "2031-01-01T00:00:00Z"),
        // Outside the window and not eligible: outside-window.
        vote("p1", "p", "yes", "2031-01-01T00:00:00Z"),
        // Not eligible and not on the list: not-eligible.
        vote("f1", "f", "yes", "2030-09-02T00:00:00Z"),
        // Eligible, not on the membership list: not-on-membership-list.
        vote("m2", "m", "no", "2030-09-03T00:00:00Z"),
        vote("m1", "m", "yes", "2030-09-02T00:00:00Z")
    ]);
    let b = first(&with_ballot(
        isg(),
        correspondence(
            "2030-08-01T00:00:00Z",
            "2030-09-01T00:00:00Z",
            "2030-09-15T00:00:00Z",
            votes,
        ),
    ));
    assert_eq!(
        reasons(&b),
        [
            "not-representative",
            "not-representative",
            "unknown-question",
            "bad-choice",
            "outside-window",
            "not-eligible",
            "not-on-membership-list",
            "accepted"
        ]
    );
    // The refused later vote of m changed nothing.
    assert_eq!(b["votes"][7]["counted"], true);
    assert_eq!(
        b["questions"][0],
        json!({"id": "main", "yes": 1, "no": 0, "abstain": 0, "not_voted": 0, "outcome": "approved"})
    );
}

#[test]
fn supersession_latest_time_then_input_order() {
    let votes = json!([
        vote("m1", "m", "no", "2030-09-05T00:00:00Z"),
        vote("m2", "m", "abstain", "2030-09-04T00:00:00Z"),
        vote("m1", "m", "yes", "2030-09-05T00:00:00Z"),
        vote("m1", "m", "no", "2030-09-03T00:00:00Z")
    ]);
    let mut scenario = with_ballot(
        isg(),
        correspondence(
            "2030-08-01T00:00:00Z",
            "2030-09-01T00:00:00Z",
            "2030-09-15T00:00:00Z",
            votes,
        ),
    );
    scenario["persons"][2]["on_membership_list"] = json!(true);
    let b = first(&scenario);
    let counted: Vec<bool> = b["votes"]
        .as_array()
        .expect("votes")
        .iter()
        .map(|v| v["counted"] == true)
        .collect();
    assert_eq!(counted, [false, false, true, false]);
    assert_eq!(b["questions"][0]["yes"], 1);
}

#[test]
fn threshold_is_a_parameter() {
    let votes = json!([
        vote("m1", "m", "yes", "2030-09-02T00:00:00Z"),
        vote("r1", "r", "no", "2030-09-02T00:00:00Z")
    ]);
    let mut scenario = with_ballot(
        isg(),
        correspondence(
            "2030-08-01T00:00:00Z",
            "2030-09-01T00:00:00Z",
            "2030-09-15T00:00:00Z",
            votes,
        ),
    );
    // r is eligible only if it attended physically: make it so.
    scenario["attendance"] = json!(
        scenario["attendance"]
            .as_array()
            .expect("attendance")
            .iter()
            .map(|a| {
                let mut a = a.clone();
                a["mode"] = json!("physical");
                a
            })
            .collect::<Vec<_>>()
    );
    assert_eq!(first(&scenario)["questions"][0]["outcome"], "rejected");
    scenario["parameters"] = json!({"threshold_percent": 50});
    assert_eq!(first(&scenario)["questions"][0]["outcome"], "approved");
}

fn itu(announced: &str, closes: &str, meeting_start: &str, votes: Value) -> Value {
    json!({
        "profile": "itu-t-tap",
        "organisations": [
            {"id": "CH", "class": "member-state"},
            {"id": "FR", "class": "member-state", "to": "2017-06-01T00:00:00Z"},
            {"id": "sm", "class": "sector-member"},
            {"id": "ac", "class": "academia"}
        ],
        "persons": [
            {"id": "ch", "organisation": "CH"},
            {"id": "fr", "organisation": "FR"},
            {"id": "s", "organisation": "sm"},
            {"id": "a", "organisation": "ac"}
        ],
        "ballots": [{"id": "C", "kind": "consultation", "questions": ["X.1", "X.2"],
                     "announced": announced, "closes": closes, "meeting_start": meeting_start,
                     "votes": votes}]
    })
}

#[test]
fn itu_three_calendar_months_clamped() {
    for (announced, start, expected) in [
        ("2019-11-30T10:00:00Z", "2020-02-29T10:00:00Z", "tallied"),
        ("2019-11-30T10:00:00Z", "2020-02-29T09:59:59Z", "refused"),
        ("2018-11-30T10:00:00Z", "2019-02-28T10:00:00Z", "tallied"),
        ("2018-11-30T10:00:00Z", "2019-02-28T09:59:59Z", "refused"),
        ("2017-10-11T00:00:00Z", "2018-01-11T00:00:00Z", "tallied"),
        (
            "2017-10-11T00:00:00Z",
            "2018-01-10T23:59:59.999999999Z",
            "refused",
        ),
    ] {
        let b = first(&itu(announced, start, start, json!([])));
        assert_eq!(b["status"], expected, "{announced} → {start}");
        if expected == "refused" {
            assert_eq!(b["error"], "notice-period");
        }
    }
    let mut s = itu(
        "2019-11-30T10:00:00Z",
        "2020-02-01T00:00:00Z",
        "2020-02-29T10:00:00Z",
        json!([]),
    );
    s["parameters"] = json!({"notice_months": 2});
    assert_eq!(first(&s)["status"], "tallied");
}

#[test]
fn itu_due_date_between_announcement_and_meeting() {
    // Window before notice: a due date after the meeting, with short notice.
    let b = first(&itu(
        "2018-01-01T00:00:00Z",
        "2018-03-02T00:00:00Z",
        "2018-03-01T00:00:00Z",
        json!([]),
    ));
    assert_eq!(b["error"], "window");
    let b = first(&itu(
        "2018-01-01T00:00:00Z",
        "2018-01-01T00:00:00Z",
        "2018-06-01T00:00:00Z",
        json!([]),
    ));
    assert_eq!(b["error"], "window");
    // Due date's first late instant equal to the meeting start: accepted.
    let b = first(&itu(
        "2018-01-01T00:00:00Z",
        "2018-06-01T00:00:00Z",
        "2018-06-01T00:00:00Z",
        json!([]),
    ));
    assert_eq!(b["status"], "tallied");
}

#[test]
fn itu_replies() {
    let reply = |person: &str,
                 org: &str,
                 q: &str,
                 choice: &str,
                 at: &str,
                 reasons: Option<&str>| {
        let mut v = json!({"person": person, "organisation": org, "question": q, "choice": choice, "at": at});
        if let Some(r) = reasons {
            v["reasons"] = json!(r);
        }
        v
    };
    let votes = json!([
        reply(
            "ch",
            "CH",
            "X.1",
            "do-not-assign",
            "2018-02-01T00:00:00Z",
            Some("  \n")
        ),
        reply(
            "ch",
            "CH",
            "X.1",
            "do-not-assign",
            "2018-02-01T00:00:00Z",
            None
        ),
        reply(
            "ch",
            "CH",
            "X.1",
            "do-not-assign",
            "2018-02-01T00:00:00Z",
            Some("Clause 3.")
        ),
        reply("ch", "CH", "X.2", "assign", "2018-01-01T00:00:00Z", None),
        reply("ch", "CH", "X.2", "assign", "2017-12-31T23:59:59Z", None),
        reply("s", "sm", "X.2", "assign", "2018-02-01T00:00:00Z", None),
        reply(
            "a",
            "ac",
            "X.2",
            "do-not-assign",
            "2018-02-01T00:00:00Z",
            Some("r")
        ),
        reply("fr", "FR", "X.2", "assign", "2018-02-01T00:00:00Z", None),
        reply("ch", "CH", "X.2", "yes", "2018-02-01T00:00:00Z", None),
        reply("ch", "CH", "X.1", "assign", "2018-05-01T00:00:00Z", None)
    ]);
    let b = first(&itu(
        "2018-01-01T00:00:00Z",
        "2018-05-01T00:00:00Z",
        "2018-05-01T00:00:00Z",
        votes,
    ));
    assert_eq!(b["eligible"], json!(["CH"]));
    assert_eq!(
        reasons(&b),
        [
            "reasons-required",
            "reasons-required",
            "accepted",
            "accepted",
            "outside-window",
            "not-eligible",
            "not-eligible",
            "not-eligible",
            "bad-choice",
            "outside-window"
        ]
    );
    assert_eq!(
        b["questions"],
        json!([
            {"id": "X.1", "assign": 0, "do_not_assign": 1, "replies": 1, "outcome": "not-proceed"},
            {"id": "X.2", "assign": 1, "do_not_assign": 0, "replies": 1, "outcome": "proceed"}
        ])
    );
    let none = first(&itu(
        "2018-01-01T00:00:00Z",
        "2018-05-01T00:00:00Z",
        "2018-05-01T00:00:00Z",
        json!([]),
    ));
    assert_eq!(
        none["questions"][0]["outcome"], "proceed",
        "no replies proceeds"
    );
}

#[test]
fn the_roll_is_versioned_sorted_and_round_trips() {
    let scenario = with_ballot(
        isg(),
        correspondence(
            "2030-08-01T00:00:00Z",
            "2030-09-01T00:00:00Z",
            "2030-09-15T00:00:00Z",
            json!([]),
        ),
    );
    let roll = rolls(&scenario).remove(0);
    assert_eq!(roll.version, scrutineer::rules::ROLL_VERSION);
    let ids: Vec<&str> = roll
        .organisations
        .iter()
        .map(|e| e.organisation.as_str())
        .collect();
    assert_eq!(ids, ["c", "f", "m", "o", "p", "r"]);
    let text = serde_json::to_string(&roll).expect("serialises");
    let back: Roll = serde_json::from_str(&text).expect("deserialises");
    assert_eq!(back, roll);
    let value: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(value["organisations"][2]["reason"], "attendance");
    assert_eq!(value["reference"]["scope"], "plenaries");
    assert_eq!(value["window"], json!(["KoM", "P2", "P3"]));
}
