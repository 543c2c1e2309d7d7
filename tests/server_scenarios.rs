//! Every shared scenario (`../shared/scenarios/*.json`) end to end through
//! the running server, on a simulated clock: the registry is built over the
//! API (attendance through the CSV import), the chair announces each ballot
//! with a signed note, every scenario vote is cast as a real signed vote
//! note with the person's bearer token at its own time, the scheduler
//! opens, closes and tallies, and the server's answers — refused
//! announcements, each vote's acceptance and refusal code, the eligible
//! list, the counts, the outcomes and the counted flags — equal the
//! scenario's `expect`. Every receipt verifies against the group's log key,
//! and the whole log verifies over HTTP at the end.
//!
//! # Choices and mappings
//!
//! - **One server per scenario**, started a day before the scenario's first
//!   event: scenarios live in different years and a simulated clock only
//!   moves forward.
//! - **The chair** is an extra person, `x-chair`, of an extra organisation,
//!   `x-chair-org`, of a class that never votes (`counsellor` for
//!   `etsi-isg`, `sector-member` for `itu-t-tap`), registered with a key,
//!   off the membership list, and with no attendance. The test checks that
//!   it changes nothing: `simulate` on the scenario with that organisation
//!   and person added gives exactly the scenario's `expect`.
//! - **Parameters** have the same names in the scenario format and in the
//!   API (`threshold_percent`, `notice_days`, `notice_months`,
//!   `correspondence_window`); they are passed through as they are.
//! - **Refused announcements**: the server's codes are simulate's (`window`,
//!   `notice-period`), status 422. The votes of a refused ballot are cast
//!   anyway and must be refused `unknown-ballot` (no such ballot exists).
//! - **Persons the scenario does not know** (a vote's `person` not among
//!   its `persons`) get an account and a token but no registration in the
//!   group. The server refuses their vote before deciding it: 403
//!   `forbidden` (the token's person has no role in the group), which is
//!   `simulate`'s `not-representative`. (The pure fold, with no tokens,
//!   says `bad-signature`; see `tests/ballot_fold.rs`.) Every other code is
//!   the server's own, compared as is.
//! - **Attachments**: an ITU-T reply's `reasons` (also blank ones, which
//!   the server must refuse as no reasons) or else its `comments` are sent
//!   as the vote's `attachment`, and the note names their SHA-256.
//! - **Order**: every announcement, vote and close of a scenario on one
//!   time line; at equal times the announcement, then the votes in input
//!   order, then the close. Before each the clock moves to the event's time
//!   (never back). A ballot opens when the scheduler (or the first vote at
//!   `opens`) sequences its roll. At a close the clock moves to `closes`
//!   (the first late instant, when the close falls due) and the test waits,
//!   at most 15 s, for the scheduler's close and tally.
//! - **Counted** means: the vote's note hash is in the tally's counted list
//!   (`GET …/ballots/{b}`, `counted[].note`).
//! - A second test gives the server a scenario whose `expect` is wrong in
//!   one refusal code, then in one counted flag, and checks that both fail
//!   with a message naming the scenario, the ballot and the vote.

#![cfg(feature = "server")]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::http::{self, Response, get};
use common::logview;
use common::server::Server;
use scrutineer::ballot::AnnouncementNote;
use scrutineer::id::{BallotId, MeetingId, OrgId, QuestionId};
use scrutineer::note::key::{KeyName, SigningKey, VerifierKey};
use scrutineer::rules::BallotKind;
use scrutineer::time::{Duration, Timestamp};
use scrutineer::tlog::Hash;
use scrutineer::tlog::checkpoint::Origin;
use scrutineer::tlog::receipt::Receipt;
use scrutineer::vote::{ChoiceWord, VoteNote};
use serde_json::{Value, json};

/// The extra chair and the organisation it represents.
const CHAIR: &str = "x-chair";
const CHAIR_ORG: &str = "x-chair-org";
const GROUP: &str = "g";
const PROBLEM: &str = "urn:scrutineer:problem:";

/// A deterministic key for a person (the seed is the SHA-256 of its id).
fn key_of(person: &str) -> SigningKey {
    let seed = Hash::sha256(person.as_bytes());
    SigningKey::from_seed(
        KeyName::new(person).expect("person ids are key names"),
        seed.as_bytes(),
    )
}

fn t(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap_or_else(|e| panic!("time {text:?}: {e}"))
}

fn text<'a>(v: &'a Value, what: &str) -> &'a str {
    v.as_str()
        .unwrap_or_else(|| panic!("{what} is not a string: {v}"))
}

fn array(v: &Value) -> &[Value] {
    v.as_array().map_or(&[], Vec::as_slice)
}

/// The problem code of a refusal (`type` without its URN prefix).
fn problem_code(r: &Response) -> String {
    assert_eq!(
        r.header("content-type"),
        Some("application/problem+json"),
        "a refusal is a problem: {} {}",
        r.status,
        r.text()
    );
    let body = r.json();
    let kind = body["type"].as_str().unwrap_or_default();
    kind.strip_prefix(PROBLEM)
        .unwrap_or_else(|| panic!("problem type {kind:?} is not a scrutineer code"))
        .to_owned()
}

/// A scenario's questions (default `["main"]`).
fn questions(ballot: &Value) -> Vec<String> {
    match ballot["questions"].as_array() {
        Some(q) => q.iter().map(|q| text(q, "question").to_owned()).collect(),
        None => vec!["main".to_owned()],
    }
}

/// The scenario with the chair's organisation and person added.
fn with_chair(scenario: &Value) -> Value {
    let mut s = scenario.clone();
    let class = chair_class(text(&scenario["profile"], "profile"));
    s["organisations"]
        .as_array_mut()
        .expect("organisations")
        .push(json!({"id": CHAIR_ORG, "class": class}));
    if s["persons"].is_null() {
        s["persons"] = json!([]);
    }
    s["persons"]
        .as_array_mut()
        .expect("persons")
        .push(json!({"id": CHAIR, "organisation": CHAIR_ORG, "on_membership_list": false}));
    s
}

/// A class that never votes in `profile`.
fn chair_class(profile: &str) -> &'static str {
    match profile {
        "etsi-isg" => "counsellor",
        "itu-t-tap" => "sector-member",
        other => panic!("unknown profile {other}"),
    }
}

/// A server for one scenario, with the secretariat's and persons' tokens.
struct World {
    name: String,
    server: Server,
    admin: String,
    tokens: BTreeMap<String, String>,
    now: Timestamp,
}

impl World {
    fn address(&self) -> &str {
        &self.server.address
    }

    fn send(&self, method: &str, path: &str, token: Option<&str>, body: &Value) -> Response {
        http::json(self.address(), method, path, token, body)
    }

    /// A secretariat request that must succeed.
    fn admin(&self, method: &str, path: &str, body: Value) -> Value {
        let r = self.send(method, path, Some(&self.admin), &body);
        assert!(
            r.status < 300,
            "{}: {method} {path} {body}: {} {}",
            self.name,
            r.status,
            r.text()
        );
        r.json()
    }

    fn read(&self, path: &str) -> Value {
        let r = get(self.address(), path, Some(&self.admin));
        assert_eq!(r.status, 200, "{}: GET {path}: {}", self.name, r.text());
        r.json()
    }

    /// Moves the simulated clock to `to` (if it is not there already).
    fn clock(&mut self, to: Timestamp) {
        assert!(
            to >= self.now,
            "{}: events are in time order ({to} < {})",
            self.name,
            self.now
        );
        if to > self.now {
            let body = self.admin("POST", "/v1/clock", json!({ "to": to.to_rfc3339_micros() }));
            assert_eq!(body["now"], to.to_rfc3339_micros(), "{}", self.name);
            self.now = to;
        }
    }

    /// An account with a token.
    fn account(&mut self, person: &str) {
        self.admin(
            "POST",
            "/v1/persons",
            json!({"id": person, "name": person, "email": format!("{person}@example.org")}),
        );
        let token = self.admin(
            "POST",
            &format!("/v1/persons/{person}/tokens"),
            json!({"label": "scenario"}),
        );
        let token = text(&token["token"], "token").to_owned();
        self.tokens.insert(person.to_owned(), token);
    }

    /// A registered person with an account, a token and a key.
    fn person(&mut self, person: &str, organisation: &str, membership_list: bool) {
        self.account(person);
        self.admin(
            "PUT",
            &format!("/v1/groups/{GROUP}/persons/{person}"),
            json!({"organisation": organisation, "membership_list": membership_list}),
        );
        self.admin(
            "POST",
            &format!("/v1/groups/{GROUP}/persons/{person}/keys"),
            json!({"key": key_of(person).verifier_key().encode()}),
        );
    }

    fn origin(&self) -> Origin {
        let group = self.read(&format!("/v1/groups/{GROUP}"));
        Origin::new(text(&group["origin"], "origin")).expect("an origin")
    }

    fn log_key(&self) -> VerifierKey {
        let group = self.read(&format!("/v1/groups/{GROUP}"));
        VerifierKey::parse(text(&group["log_key"], "log_key")).expect("a verifier key")
    }

    /// Appoints the chair for a two-year term from now if nobody chairs.
    fn ensure_chair(&self) {
        let chair = self.read(&format!("/v1/groups/{GROUP}/chair"));
        if chair["current"].is_null() {
            self.admin(
                "POST",
                &format!("/v1/groups/{GROUP}/chair"),
                json!({ "person": CHAIR }),
            );
        }
        let chair = self.read(&format!("/v1/groups/{GROUP}/chair"));
        assert_eq!(chair["current"], CHAIR, "{}", self.name);
    }

    /// Waits (bounded) until the scheduler has tallied `ballot`.
    fn wait_for_tally(&self, ballot: &str) -> Value {
        let path = format!("/v1/groups/{GROUP}/ballots/{ballot}");
        let mut last = Value::Null;
        for _ in 0..300 {
            last = self.read(&path);
            if last["state"] == "tallied" {
                return last;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!(
            "{}: ballot {ballot} was not tallied within 15 s of its close: {last}",
            self.name
        );
    }
}

/// Builds the group and its registry for `scenario` on a fresh server.
fn world(name: &str, scenario: &Value, dir: &std::path::Path) -> World {
    let profile = text(&scenario["profile"], "profile");
    // A day before every announcement and vote.
    let first = array(&scenario["ballots"])
        .iter()
        .flat_map(|b| {
            std::iter::once(t(text(&b["announced"], "announced")))
                .chain(array(&b["votes"]).iter().map(|v| t(text(&v["at"], "at"))))
        })
        .min()
        .unwrap_or_else(|| t("2020-01-01T00:00:00Z"));
    let start = first.checked_sub(Duration::days(1)).expect("in range");
    let server = Server::start(
        dir,
        &[
            "--simulated-clock",
            "--simulated-start",
            &start.to_rfc3339_micros(),
            // A scenario's registry is hundreds of the secretariat's
            // writes in a second or two, beyond the default per-person
            // write budget (`tests/rate_limits.rs` tests the limits).
            "--write-rate-per-person",
            "0",
        ],
    );
    let admin = server.token.clone().expect("first start prints the token");
    let mut world = World {
        name: name.to_owned(),
        server,
        admin,
        tokens: BTreeMap::new(),
        now: start,
    };

    // The group, with the scenario's parameters under the same names.
    let mut parameters = serde_json::Map::new();
    if let Some(given) = scenario["parameters"].as_object() {
        for (k, v) in given {
            assert!(
                [
                    "threshold_percent",
                    "notice_days",
                    "notice_months",
                    "correspondence_window"
                ]
                .contains(&k.as_str()),
                "{name}: unknown parameter {k}"
            );
            parameters.insert(k.clone(), v.clone());
        }
    }
    world.admin(
        "POST",
        "/v1/groups",
        json!({"id": GROUP, "profile": profile, "parameters": parameters}),
    );
    let group = world.read(&format!("/v1/groups/{GROUP}"));
    for (k, v) in &parameters {
        assert_eq!(&group["parameters"][k], v, "{name}: parameter {k}");
    }

    // Organisations, and the chair's.
    let organisations = array(&scenario["organisations"])
        .iter()
        .cloned()
        .chain([json!({"id": CHAIR_ORG, "class": chair_class(profile)})]);
    for o in organisations {
        let id = text(&o["id"], "organisation id");
        let mut body = json!({"class": o["class"]});
        if o["founding"] == true {
            body["founding"] = json!(true);
        }
        for bound in ["from", "to"] {
            if let Some(at) = o[bound].as_str() {
                body[bound] = json!(at);
            }
        }
        world.admin(
            "PUT",
            &format!("/v1/groups/{GROUP}/organisations/{id}"),
            body,
        );
    }

    // Persons with accounts, tokens and keys; the chair, off the list.
    let mut known = BTreeSet::new();
    for p in array(&scenario["persons"]) {
        let id = text(&p["id"], "person id");
        known.insert(id.to_owned());
        world.person(
            id,
            text(&p["organisation"], "organisation"),
            p["on_membership_list"] == true,
        );
    }
    assert!(
        !known.contains(CHAIR),
        "{name}: the scenario has a person {CHAIR}"
    );
    world.person(CHAIR, CHAIR_ORG, false);
    // Persons only votes name: an account and a token, nothing in the group.
    for b in array(&scenario["ballots"]) {
        for v in array(&b["votes"]) {
            let person = text(&v["person"], "person");
            if !world.tokens.contains_key(person) {
                world.account(person);
            }
        }
    }

    for m in array(&scenario["meetings"]) {
        let id = text(&m["id"], "meeting id");
        world.admin(
            "PUT",
            &format!("/v1/groups/{GROUP}/meetings/{id}"),
            json!({"plenary": m["plenary"], "format": m["format"], "start": m["start"],
                   "end": m["end"], "kick_off": m["kick_off"] == true}),
        );
    }

    // Attendance through the registration-export import, in one batch.
    let attendance = array(&scenario["attendance"]);
    if !attendance.is_empty() {
        let mut csv = String::from("name,meeting,person,organisation,mode\r\n");
        let mut expected = BTreeSet::new();
        for a in attendance {
            let row = [
                text(&a["meeting"], "meeting"),
                text(&a["person"], "person"),
                text(&a["organisation"], "organisation"),
                text(&a["mode"], "mode"),
            ];
            csv.push_str(&format!("\"Someone, {}\",{}\r\n", row[1], row.join(",")));
            expected.insert(row.map(str::to_owned));
        }
        let r = http::request(
            world.address(),
            "POST",
            &format!("/v1/groups/{GROUP}/attendance/import"),
            Some(&world.admin),
            Some("text/csv"),
            csv.as_bytes(),
        );
        assert_eq!(r.status, 201, "{name}: attendance import: {}", r.text());
        assert_eq!(r.json()["imported"], attendance.len(), "{name}");
        let listed: BTreeSet<[String; 4]> =
            array(&world.read(&format!("/v1/groups/{GROUP}/attendance")))
                .iter()
                .map(|a| {
                    ["meeting", "person", "organisation", "mode"].map(|f| text(&a[f], f).to_owned())
                })
                .collect();
        assert_eq!(listed, expected, "{name}: the imported attendance");
    }

    world.ensure_chair();
    world
}

/// The chair's signed announcement of a scenario ballot.
fn announcement(origin: &Origin, ballot: &Value) -> String {
    let id = text(&ballot["id"], "ballot id");
    let kind = match text(&ballot["kind"], "kind") {
        "correspondence" => BallotKind::Correspondence,
        "meeting" => BallotKind::Meeting {
            meeting: MeetingId::new(text(&ballot["meeting"], "meeting")).expect("id"),
        },
        "consultation" => BallotKind::Consultation {
            meeting_start: t(text(&ballot["meeting_start"], "meeting_start")),
        },
        other => panic!("unknown kind {other}"),
    };
    let opens = match kind {
        BallotKind::Consultation { .. } => None,
        _ => Some(t(text(&ballot["opens"], "opens"))),
    };
    let note = AnnouncementNote {
        origin: origin.clone(),
        ballot: BallotId::new(id).expect("id"),
        kind,
        questions: questions(ballot)
            .iter()
            .map(|q| QuestionId::new(q).expect("id"))
            .collect(),
        opens,
        closes: t(text(&ballot["closes"], "closes")),
        subject: None,
    };
    String::from_utf8(note.sign(&key_of(CHAIR)).expect("sign")).expect("UTF-8")
}

/// A scenario vote as a signed note, with its attachment.
fn vote_note(origin: &Origin, ballot: &str, index: usize, v: &Value) -> (String, Option<String>) {
    let attachment = v["reasons"]
        .as_str()
        .or_else(|| v["comments"].as_str())
        .map(str::to_owned);
    let nonce: [u8; 16] = Hash::sha256(format!("{ballot}/{index}").as_bytes()).as_bytes()[..16]
        .try_into()
        .expect("16 bytes");
    let choice = text(&v["choice"], "choice");
    let note = VoteNote {
        origin: origin.clone(),
        ballot: BallotId::new(ballot).expect("id"),
        question: QuestionId::new(v["question"].as_str().unwrap_or("main")).expect("id"),
        organisation: OrgId::new(text(&v["organisation"], "organisation")).expect("id"),
        choice: ChoiceWord::new(choice)
            .unwrap_or_else(|e| panic!("choice {choice:?} is not a choice word: {e}")),
        attachment: attachment.as_deref().map(|a| Hash::sha256(a.as_bytes())),
        nonce,
    };
    let person = text(&v["person"], "person");
    let signed = note.sign(&key_of(person)).expect("sign");
    (String::from_utf8(signed).expect("UTF-8"), attachment)
}

/// What the server answered to one vote.
enum Verdict {
    Accepted { note: Hash, receipt: Receipt },
    Refused(String),
}

/// One event of a scenario's time line.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    Announce,
    Vote(usize),
    Close,
}

/// The scenario's `expect` is `simulate`'s answer, and the chair added for
/// the server changes nothing: not the eligible lists, not a count.
fn check_simulate(name: &str, source: &str) {
    let scenario: Value = serde_json::from_str(source).expect("JSON");
    let expect = &scenario["expect"];
    let simulated =
        serde_json::to_value(scrutineer::simulate::simulate(source).expect("valid")).expect("JSON");
    assert_eq!(&simulated, expect, "{name}: simulate and expect differ");
    let augmented = with_chair(&scenario).to_string();
    let augmented = serde_json::to_value(
        scrutineer::simulate::simulate(&augmented).expect("valid with the chair"),
    )
    .expect("JSON");
    assert_eq!(
        &augmented, expect,
        "{name}: the extra chair changes the outcome"
    );
}

/// Runs one scenario against a fresh server and compares every answer with
/// its `expect`; panics on any difference, naming the scenario, the ballot
/// and the vote.
fn run_scenario(name: &str, source: &str) -> String {
    let scenario: Value = serde_json::from_str(source).expect("JSON");
    let expect = &scenario["expect"];
    let profile = text(&scenario["profile"], "profile");

    let dir = tempfile::tempdir().expect("temporary directory");
    let mut world = world(name, &scenario, dir.path());
    let origin = world.origin();
    assert!(
        origin.as_str().starts_with("simulated.invalid/"),
        "{name}: a simulated server's origin: {}",
        origin.as_str()
    );
    let log_key = world.log_key();
    let ballots = array(&scenario["ballots"]);
    let expected: Vec<&Value> = array(&expect["ballots"]).iter().collect();
    assert_eq!(ballots.len(), expected.len(), "{name}");
    let known: BTreeSet<&str> = array(&scenario["persons"])
        .iter()
        .map(|p| text(&p["id"], "person"))
        .collect();
    let membership_list: Vec<&str> = {
        let mut list: Vec<&str> = array(&scenario["persons"])
            .iter()
            .filter(|p| p["on_membership_list"] == true)
            .map(|p| text(&p["id"], "person"))
            .collect();
        list.sort_unstable();
        list
    };

    let mut timeline: Vec<(Timestamp, usize, Step)> = Vec::new();
    for (i, b) in ballots.iter().enumerate() {
        timeline.push((t(text(&b["announced"], "announced")), i, Step::Announce));
        for (j, v) in array(&b["votes"]).iter().enumerate() {
            timeline.push((t(text(&v["at"], "at")), i, Step::Vote(j)));
        }
        timeline.push((t(text(&b["closes"], "closes")), i, Step::Close));
    }
    // Time, then announcement < votes (input order) < close; the ballot
    // index breaks remaining ties (votes of two ballots at one instant in
    // ballot order, as input order).
    timeline.sort_by(|a, b| {
        let rank = |s: &Step| match s {
            Step::Announce => (0, 0),
            Step::Vote(j) => (1, *j),
            Step::Close => (2, 0),
        };
        (a.0, rank(&a.2).0, a.1, rank(&a.2).1).cmp(&(b.0, rank(&b.2).0, b.1, rank(&b.2).1))
    });

    let mut verdicts: BTreeMap<(usize, usize), Verdict> = BTreeMap::new();
    let mut tallies: BTreeMap<usize, Value> = BTreeMap::new();
    for (at, i, step) in timeline {
        let b = &ballots[i];
        let id = text(&b["id"], "ballot id");
        let want = expected[i];
        let refused_ballot = want["status"] == "refused";
        world.clock(at);
        match step {
            Step::Announce => {
                world.ensure_chair();
                let r = world.send(
                    "POST",
                    &format!("/v1/groups/{GROUP}/ballots"),
                    Some(&world.tokens[CHAIR]),
                    &json!({"announcement": announcement(&origin, b)}),
                );
                if refused_ballot {
                    let code = text(&want["error"], "error");
                    assert_eq!(
                        (r.status, problem_code(&r)),
                        (422, code.to_owned()),
                        "{name}: ballot {id}: the announcement must be refused: {}",
                        r.text()
                    );
                    let r = get(
                        world.address(),
                        &format!("/v1/groups/{GROUP}/ballots/{id}"),
                        Some(&world.admin),
                    );
                    assert_eq!(r.status, 404, "{name}: ballot {id} exists: {}", r.text());
                } else {
                    assert_eq!(
                        r.status,
                        201,
                        "{name}: ballot {id}: announcement: {}",
                        r.text()
                    );
                    let body = r.json();
                    assert_eq!(body["ballot"], id, "{name}");
                    assert_eq!(
                        body["recipients"],
                        json!(membership_list),
                        "{name}: ballot {id}: the announcement goes to the membership list"
                    );
                }
            }
            Step::Vote(j) => {
                let v = &array(&b["votes"])[j];
                let person = text(&v["person"], "person");
                let (note, attachment) = vote_note(&origin, id, j, v);
                let mut body = json!({ "note": note });
                if let Some(a) = &attachment {
                    body["attachment"] = json!(a);
                }
                let r = world.send(
                    "POST",
                    &format!("/v1/groups/{GROUP}/ballots/{id}/votes"),
                    Some(&world.tokens[person]),
                    &body,
                );
                let whom = format!(
                    "{name}: ballot {id}, vote #{j} ({person} for {} on {} at {at})",
                    text(&v["organisation"], "organisation"),
                    v["question"].as_str().unwrap_or("main")
                );
                let verdict = match r.status {
                    201 => {
                        let answer = r.json();
                        let receipt =
                            Receipt::parse(text(&answer["receipt"], "receipt").as_bytes())
                                .unwrap_or_else(|e| panic!("{whom}: receipt: {e}"));
                        let entry = receipt.extra().expect("the entry bytes").to_vec();
                        receipt
                            .verify(&entry, &log_key)
                            .unwrap_or_else(|e| panic!("{whom}: the receipt does not verify: {e}"));
                        assert_eq!(
                            receipt.index().get(),
                            answer["index"].as_u64().expect("index"),
                            "{whom}"
                        );
                        let hash = Hash::sha256(note.as_bytes());
                        let commitment = format!("\nnote sha256:{}\n", hash.to_hex());
                        assert!(
                            String::from_utf8_lossy(&entry).contains(&commitment),
                            "{whom}: the receipt's entry does not commit to the note"
                        );
                        Verdict::Accepted {
                            note: hash,
                            receipt,
                        }
                    }
                    403 if !known.contains(person) => {
                        // Not registered in the group: no role to vote.
                        let code = problem_code(&r);
                        assert_eq!(code, "forbidden", "{whom}: {}", r.text());
                        Verdict::Refused("not-representative".to_owned())
                    }
                    status @ (403 | 409 | 422) => {
                        let code = problem_code(&r);
                        let expected_status = match code.as_str() {
                            "token-mismatch" => 403,
                            "replay" => 409,
                            _ => 422,
                        };
                        assert_eq!(status, expected_status, "{whom}: {}", r.text());
                        Verdict::Refused(code)
                    }
                    other => panic!("{whom}: unexpected answer {other}: {}", r.text()),
                };
                if refused_ballot {
                    assert!(
                        matches!(&verdict, Verdict::Refused(c)
                            if c == "unknown-ballot" || (c == "not-representative" && !known.contains(person))),
                        "{whom}: the ballot was refused, so must be the vote: {}",
                        r.text()
                    );
                    continue;
                }
                let wanted = &array(&want["votes"])[j];
                assert_eq!(wanted["index"], j, "{name}");
                match (&verdict, wanted["accepted"] == true) {
                    (Verdict::Accepted { .. }, true) => {}
                    (Verdict::Accepted { .. }, false) => panic!(
                        "{whom}: accepted, expected refused with {}",
                        wanted["reason"]
                    ),
                    (Verdict::Refused(code), true) => {
                        panic!(
                            "{whom}: refused with {code} ({}), expected accepted",
                            r.text()
                        )
                    }
                    (Verdict::Refused(code), false) => assert_eq!(
                        code,
                        text(&wanted["reason"], "reason"),
                        "{whom}: the refusal code ({})",
                        r.text()
                    ),
                }
                verdicts.insert((i, j), verdict);
            }
            Step::Close => {
                if refused_ballot {
                    continue;
                }
                tallies.insert(i, world.wait_for_tally(id));
            }
        }
    }

    // Each ballot in simulate's shape, from the server's answers.
    let mut summary = Vec::new();
    for (i, b) in ballots.iter().enumerate() {
        let id = text(&b["id"], "ballot id");
        let want = expected[i];
        if want["status"] == "refused" {
            summary.push(format!("{id}: refused {}", want["error"]));
            continue;
        }
        // Read again at the end: a later ballot changes nothing here.
        let tallied = world.read(&format!("/v1/groups/{GROUP}/ballots/{id}"));
        assert_eq!(
            tallied, tallies[&i],
            "{name}: ballot {id} changed after its tally"
        );
        let counted: BTreeSet<&str> = array(&tallied["counted"])
            .iter()
            .map(|c| text(&c["note"], "note"))
            .collect();
        let votes: Vec<Value> = (0..array(&b["votes"]).len())
            .map(|j| match &verdicts[&(i, j)] {
                Verdict::Accepted { note, .. } => json!({"index": j, "accepted": true,
                    "counted": counted.contains(format!("sha256:{}", note.to_hex()).as_str())}),
                Verdict::Refused(code) => {
                    json!({"index": j, "accepted": false, "counted": false, "reason": code})
                }
            })
            .collect();
        let accepted_notes = verdicts
            .iter()
            .filter(|((bi, _), v)| *bi == i && matches!(v, Verdict::Accepted { .. }))
            .count();
        assert_eq!(
            tallied["turnout"], accepted_notes,
            "{name}: ballot {id}: turnout"
        );
        assert!(
            counted.len() == votes.iter().filter(|v| v["counted"] == true).count(),
            "{name}: ballot {id}: a counted note is not one of the scenario's votes: {}",
            tallied["counted"]
        );
        let results: Vec<Value> = array(&tallied["results"])
            .iter()
            .map(|q| {
                let n = |f: &str| q[f].as_u64().unwrap_or_else(|| panic!("{f}: {q}"));
                match profile {
                    "etsi-isg" => json!({"id": q["question"], "yes": n("in_favour"),
                        "no": n("against"), "abstain": n("abstain"),
                        "not_voted": n("not_voted"), "outcome": q["outcome"]}),
                    _ => json!({"id": q["question"], "assign": n("in_favour"),
                        "do_not_assign": n("against"),
                        "replies": n("in_favour") + n("against"), "outcome": q["outcome"]}),
                }
            })
            .collect();
        let got = json!({"id": id, "status": "tallied", "eligible": tallied["eligible"],
            "votes": votes, "questions": results});
        assert_eq!(
            got["eligible"], want["eligible"],
            "{name}: ballot {id}: eligible"
        );
        for (j, (g, w)) in array(&got["votes"])
            .iter()
            .zip(array(&want["votes"]))
            .enumerate()
        {
            assert_eq!(g, w, "{name}: ballot {id}, vote #{j}");
        }
        assert_eq!(
            got["questions"], want["questions"],
            "{name}: ballot {id}: counts and outcomes"
        );
        assert_eq!(&got, want, "{name}: ballot {id}");
        summary.push(format!(
            "{id}: {} eligible, {} votes, {}",
            array(&got["eligible"]).len(),
            array(&got["votes"]).len(),
            array(&got["questions"])
                .iter()
                .map(|q| format!("{} {}", text(&q["id"], "id"), text(&q["outcome"], "o")))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }

    // The whole log over HTTP, as a mirror reads it; every receipt's entry
    // at its index, its checkpoint consistent with the log's.
    let view = logview::read_verified(world.address(), &world.admin, GROUP);
    for ((i, j), verdict) in &verdicts {
        if let Verdict::Accepted { receipt, .. } = verdict {
            let index = receipt.index().get();
            assert_eq!(
                Some(&view.entries[index as usize][..]),
                receipt.extra(),
                "{name}: ballot #{i}, vote #{j}: the entry at {index}"
            );
            view.verify_consistent_with(world.address(), receipt.signed_checkpoint());
        }
    }
    let tallies_logged = view
        .entries
        .iter()
        .filter(|e| e.starts_with(b"scrutineer/entry/v1\ntype tally\n"))
        .count();
    assert_eq!(
        tallies_logged,
        tallies.len(),
        "{name}: one tally per ballot"
    );
    world.server.stop();
    format!("{name}: {} entries; {}", view.size, summary.join("; "))
}

/// One server at a time: the tests of this file run scenarios
/// sequentially.
static SEQUENTIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn sequential() -> std::sync::MutexGuard<'static, ()> {
    SEQUENTIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// The shared scenarios, `(file name, text)`, sorted; `None` (with a note)
/// when `../shared` is absent.
fn shared_scenarios() -> Option<Vec<(String, String)>> {
    let dir = common::shared("scenarios")?;
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("readable")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    Some(
        paths
            .iter()
            .map(|path| {
                let name = path.file_name().expect("a file name");
                let source = std::fs::read_to_string(path).expect("readable");
                (name.to_string_lossy().into_owned(), source)
            })
            .collect(),
    )
}

#[test]
fn every_shared_scenario_through_the_server_matches_its_expectation() {
    let Some(scenarios) = shared_scenarios() else {
        return;
    };
    let _one = sequential();
    let mut ran = 0;
    for (name, source) in &scenarios {
        check_simulate(name, source);
        let started = std::time::Instant::now();
        let summary = run_scenario(name, source);
        eprintln!("{summary} ({:.1} s)", started.elapsed().as_secs_f64());
        ran += 1;
    }
    assert!(ran > 0, "no scenario ran");
}

/// The comparison can fail: a scenario whose `expect` is wrong in one
/// refusal code, or in one counted flag, fails with a message naming the
/// scenario, the ballot and the vote.
#[test]
fn a_wrong_expectation_fails_naming_the_scenario_ballot_and_vote() {
    let Some(scenarios) = shared_scenarios() else {
        return;
    };
    let _one = sequential();
    // The first scenario with a refused vote and a counted one.
    let (name, mut scenario) = scenarios
        .iter()
        .map(|(n, s)| (n, serde_json::from_str::<Value>(s).expect("JSON")))
        .find(|(_, s)| {
            let votes: Vec<&Value> = array(&s["expect"]["ballots"])
                .iter()
                .flat_map(|b| array(&b["votes"]))
                .collect();
            votes.iter().any(|v| v["accepted"] == false)
                && votes.iter().any(|v| v["counted"] == true)
        })
        .expect("a scenario with a refused and a counted vote");
    let find = |scenario: &Value, refused: bool| -> (usize, String, usize) {
        for (i, b) in array(&scenario["expect"]["ballots"]).iter().enumerate() {
            for (j, v) in array(&b["votes"]).iter().enumerate() {
                if (refused && v["accepted"] == false) || (!refused && v["counted"] == true) {
                    return (i, text(&b["id"], "id").to_owned(), j);
                }
            }
        }
        unreachable!("checked above")
    };
    let fails = |scenario: &Value| -> String {
        let source = scenario.to_string();
        let outcome =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_scenario(name, &source)));
        let payload = outcome.expect_err("a wrong expectation must fail");
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_default()
    };
    eprintln!("note: the two panics below are expected (wrong expectations, caught)");

    // A refusal code the server does not give.
    let (i, ballot, j) = find(&scenario, true);
    let original = scenario["expect"]["ballots"][i]["votes"][j].clone();
    scenario["expect"]["ballots"][i]["votes"][j]["reason"] = json!("not-a-code");
    let message = fails(&scenario);
    let wanted = format!("{name}: ballot {ballot}, vote #{j} (");
    assert!(
        message.contains(&wanted) && message.contains("the refusal code"),
        "{message}"
    );
    scenario["expect"]["ballots"][i]["votes"][j] = original;

    // A counted vote expected superseded.
    let (i, ballot, j) = find(&scenario, false);
    scenario["expect"]["ballots"][i]["votes"][j]["counted"] = json!(false);
    let message = fails(&scenario);
    let wanted = format!("{name}: ballot {ballot}, vote #{j}");
    assert!(message.contains(&wanted), "{message}");
}
