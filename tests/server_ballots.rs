//! Ballots through the real binary on a simulated clock: the registry is
//! built over the API, the chair announces with a signed note, delegates
//! cast real signed votes and keep receipts, the scheduler opens, closes
//! and tallies at the ballot's times (also across restarts), and the
//! result equals `scrutineer simulate` on the equivalent scenario.

#![cfg(feature = "server")]

mod common;

use common::http::{Response, get, json};
use common::server::Server;
use scrutineer::ballot::AnnouncementNote;
use scrutineer::id::{BallotId, OrgId, QuestionId};
use scrutineer::note::key::{KeyName, SigningKey, VerifierKey};
use scrutineer::rules::BallotKind;
use scrutineer::time::Timestamp;
use scrutineer::tlog::Hash;
use scrutineer::tlog::checkpoint::Origin;
use scrutineer::tlog::receipt::Receipt;
use scrutineer::vote::{ChoiceWord, VoteNote};
use serde_json::{Value, json};

const START: &str = "2026-01-01T00:00:00Z";
const OPENS: &str = "2026-02-01T00:00:00Z";
const CLOSES: &str = "2026-02-15T00:00:00Z";

/// A deterministic key for a person (`seed` varies the key).
fn key(person: &str, seed: u8) -> SigningKey {
    let mut bytes = [seed; 32];
    bytes[..person.len().min(32)].copy_from_slice(&person.as_bytes()[..person.len().min(32)]);
    SigningKey::from_seed(KeyName::new(person).expect("a valid name"), &bytes)
}

fn t(text: &str) -> Timestamp {
    Timestamp::parse(text).expect("a valid time")
}

/// A server with the secretariat's token and the persons' tokens.
struct World {
    server: Server,
    admin: String,
    tokens: std::collections::BTreeMap<String, String>,
}

impl World {
    fn address(&self) -> &str {
        &self.server.address
    }

    fn send(&self, method: &str, path: &str, token: Option<&str>, body: Value) -> Response {
        json(self.address(), method, path, token, &body)
    }

    fn admin(&self, method: &str, path: &str, body: Value) -> Value {
        let r = self.send(method, path, Some(&self.admin), body);
        assert!(r.status < 300, "{method} {path}: {} {}", r.status, r.text());
        r.json()
    }

    fn token(&self, person: &str) -> &str {
        &self.tokens[person]
    }

    fn clock(&self, to: &str) {
        self.admin("POST", "/v1/clock", json!({ "to": to }));
    }

    fn ballot(&self, token: &str, id: &str) -> Value {
        let r = get(
            self.address(),
            &format!("/v1/groups/g/ballots/{id}"),
            Some(token),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()
    }

    /// Waits until the scheduler has brought the ballot to `state`.
    fn wait_for(&self, id: &str, state: &str) -> Value {
        for _ in 0..100 {
            let ballot = self.ballot(&self.admin, id);
            if ballot["state"] == state {
                return ballot;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("ballot {id} never reached {state}");
    }

    fn group(&self) -> Value {
        let r = get(self.address(), "/v1/groups/g", Some(&self.admin));
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()
    }

    fn origin(&self) -> Origin {
        Origin::new(self.group()["origin"].as_str().expect("origin")).expect("an origin")
    }

    fn log_key(&self) -> VerifierKey {
        VerifierKey::parse(self.group()["log_key"].as_str().expect("log_key")).expect("a key")
    }

    fn size(&self) -> u64 {
        self.group()["size"].as_u64().expect("size")
    }
}

/// The ETSI scenario: `acme` (alice, alex), `beta` (bob), `gamma` (carol)
/// are ISG Members, `delta` (the chair's organisation) a Participant.
/// Three face-to-face plenaries in 2025: acme attended two, gamma three,
/// beta one (not eligible).
const ORGS: [(&str, &str); 4] = [
    ("acme", "member"),
    ("beta", "member"),
    ("gamma", "member"),
    ("delta", "participant"),
];
const PERSONS: [(&str, &str); 5] = [
    ("alice", "acme"),
    ("alex", "acme"),
    ("bob", "beta"),
    ("carol", "gamma"),
    ("chair", "delta"),
];
const MEETINGS: [(&str, &str, &str, bool); 3] = [
    ("kom", "2025-02-03T09:00:00Z", "2025-02-04T17:00:00Z", true),
    ("m2", "2025-05-05T09:00:00Z", "2025-05-06T17:00:00Z", false),
    ("m3", "2025-09-08T09:00:00Z", "2025-09-09T17:00:00Z", false),
];
const ATTENDANCE: [(&str, &str, &str); 6] = [
    ("kom", "alice", "acme"),
    ("m2", "alex", "acme"),
    ("m2", "bob", "beta"),
    ("kom", "carol", "gamma"),
    ("m2", "carol", "gamma"),
    ("m3", "carol", "gamma"),
];

fn world(dir: &std::path::Path) -> World {
    let server = Server::start(dir, &["--simulated-clock", "--simulated-start", START]);
    let admin = server.token.clone().expect("first start prints the token");
    let mut world = World {
        server,
        admin,
        tokens: Default::default(),
    };
    world.admin(
        "POST",
        "/v1/groups",
        json!({"id": "g", "profile": "etsi-isg"}),
    );
    for (org, class) in ORGS {
        world.admin(
            "PUT",
            &format!("/v1/groups/g/organisations/{org}"),
            json!({"class": class, "from": "2025-01-01T00:00:00Z"}),
        );
    }
    for (person, org) in PERSONS {
        world.admin(
            "POST",
            "/v1/persons",
            json!({"id": person, "name": person, "email": format!("{person}@example.org")}),
        );
        let token = world.admin(
            "POST",
            &format!("/v1/persons/{person}/tokens"),
            json!({"label": "t"}),
        )["token"]
            .as_str()
            .expect("token")
            .to_owned();
        world.tokens.insert(person.to_owned(), token);
        world.admin(
            "PUT",
            &format!("/v1/groups/g/persons/{person}"),
            json!({"organisation": org, "membership_list": true}),
        );
        world.admin(
            "POST",
            &format!("/v1/groups/g/persons/{person}/keys"),
            json!({"key": key(person, 1).verifier_key().encode()}),
        );
    }
    for (id, start, end, kick_off) in MEETINGS {
        world.admin(
            "PUT",
            &format!("/v1/groups/g/meetings/{id}"),
            json!({"plenary": true, "format": "face-to-face", "kick_off": kick_off,
                   "start": start, "end": end}),
        );
    }
    for (meeting, person, org) in ATTENDANCE {
        world.admin(
            "PUT",
            "/v1/groups/g/attendance",
            json!({"meeting": meeting, "person": person, "organisation": org, "mode": "physical"}),
        );
    }
    world.admin("POST", "/v1/groups/g/chair", json!({"person": "chair"}));
    world
}

/// The chair's signed announcement of `ballot`.
fn announcement(world: &World, ballot: &str) -> String {
    let note = AnnouncementNote {
        origin: world.origin(),
        ballot: BallotId::new(ballot).expect("id"),
        kind: BallotKind::Correspondence,
        questions: vec![QuestionId::new("main").expect("id")],
        opens: Some(t(OPENS)),
        closes: t(CLOSES),
        subject: None,
    };
    String::from_utf8(note.sign(&key("chair", 1)).expect("sign")).expect("UTF-8")
}

fn announce(world: &World, ballot: &str) -> Value {
    let r = world.send(
        "POST",
        "/v1/groups/g/ballots",
        Some(world.token("chair")),
        json!({"announcement": announcement(world, ballot)}),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()
}

/// A signed vote note.
fn note(
    origin: &Origin,
    ballot: &str,
    person: &str,
    org: &str,
    choice: &str,
    nonce: u8,
    seed: u8,
) -> String {
    let vote = VoteNote {
        origin: origin.clone(),
        ballot: BallotId::new(ballot).expect("id"),
        question: QuestionId::new("main").expect("id"),
        organisation: OrgId::new(org).expect("id"),
        choice: ChoiceWord::new(choice).expect("choice"),
        attachment: None,
        nonce: [nonce; 16],
    };
    String::from_utf8(vote.sign(&key(person, seed)).expect("sign")).expect("UTF-8")
}

fn cast(world: &World, token: &str, ballot: &str, note: &str) -> Response {
    world.send(
        "POST",
        &format!("/v1/groups/g/ballots/{ballot}/votes"),
        Some(token),
        json!({ "note": note }),
    )
}

/// Casts a vote that must be accepted; checks its receipt.
fn accepted(world: &World, person: &str, note: &str) -> (u64, String) {
    let r = cast(world, world.token(person), "B1", note);
    assert_eq!(r.status, 201, "{person}: {}", r.text());
    let body = r.json();
    let receipt = body["receipt"].as_str().expect("receipt").to_owned();
    check_receipt(world, &receipt, note);
    (body["index"].as_u64().expect("index"), receipt)
}

/// The receipt verifies against the log key, and its entry commits to the
/// note.
fn check_receipt(world: &World, text: &str, note: &str) {
    let receipt = Receipt::parse(text.as_bytes()).expect("a tlog-proof");
    let entry = receipt.extra().expect("the entry bytes").to_vec();
    receipt
        .verify(&entry, &world.log_key())
        .expect("the receipt verifies");
    let entry = String::from_utf8(entry).expect("UTF-8");
    let commitment = format!("note sha256:{}\n", Hash::sha256(note.as_bytes()).to_hex());
    assert!(entry.contains(&commitment), "{entry}");
}

fn refused(r: &Response, status: u16, code: &str) {
    assert_eq!(r.status, status, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    assert_eq!(
        r.json()["type"],
        format!("urn:scrutineer:problem:{code}"),
        "{}",
        r.text()
    );
}

/// The equivalent `simulate` scenario, with the accepted votes' times.
fn scenario(votes: &[(&str, &str, &str, &str)]) -> String {
    let organisations: Vec<Value> = ORGS
        .iter()
        .map(|(id, class)| json!({"id": id, "class": class, "from": "2025-01-01T00:00:00Z"}))
        .collect();
    let persons: Vec<Value> = PERSONS
        .iter()
        .map(|(id, org)| json!({"id": id, "organisation": org, "on_membership_list": true}))
        .collect();
    let meetings: Vec<Value> = MEETINGS
        .iter()
        .map(|(id, start, end, kick_off)| {
            json!({"id": id, "plenary": true, "format": "face-to-face",
                   "start": start, "end": end, "kick_off": kick_off})
        })
        .collect();
    let attendance: Vec<Value> = ATTENDANCE
        .iter()
        .map(|(m, p, o)| json!({"meeting": m, "person": p, "organisation": o, "mode": "physical"}))
        .collect();
    let votes: Vec<Value> = votes
        .iter()
        .map(|(p, o, c, at)| json!({"person": p, "organisation": o, "choice": c, "at": at}))
        .collect();
    json!({
        "profile": "etsi-isg",
        "organisations": organisations, "persons": persons, "meetings": meetings,
        "attendance": attendance,
        "ballots": [{"id": "B1", "kind": "correspondence", "meeting": null,
                     "announced": START, "opens": OPENS, "closes": CLOSES, "votes": votes}]
    })
    .to_string()
}

#[test]
fn a_ballot_from_announcement_to_tally_matches_simulate() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let world = world(dir.path());
    let origin = world.origin();

    // The announcement goes to the whole membership list, in one batch.
    let before = world.size();
    let announced = announce(&world, "B1");
    assert_eq!(announced["ballot"], "B1");
    assert_eq!(announced["recipients"].as_array().map(Vec::len), Some(5));
    assert_eq!(
        world.size(),
        before + 1 + 5,
        "announcement + 5 notifications"
    );
    let ballot = world.ballot(world.token("alice"), "B1");
    assert_eq!(ballot["state"], "announced");

    // A second ballot, cancelled before its opening (once only).
    announce(&world, "B2");
    let r = world.send(
        "POST",
        "/v1/groups/g/ballots/B2/cancel",
        Some(&world.admin),
        json!({}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let r = world.send(
        "POST",
        "/v1/groups/g/ballots/B2/cancel",
        Some(world.token("chair")),
        json!({}),
    );
    refused(&r, 409, "already-opened");
    let r = world.send(
        "POST",
        "/v1/groups/g/ballots/B2/cancel",
        Some(world.token("alice")),
        json!({}),
    );
    assert_eq!(r.status, 403, "{}", r.text());

    // Before the opening: outside the window.
    let early = note(&origin, "B1", "alice", "acme", "yes", 1, 1);
    refused(
        &cast(&world, world.token("alice"), "B1", &early),
        422,
        "outside-window",
    );

    // At `opens` exactly a vote counts (the roll is sequenced first).
    world.clock(OPENS);
    let alice_yes = note(&origin, "B1", "alice", "acme", "yes", 2, 1);
    let (_, _) = accepted(&world, "alice", &alice_yes);
    let ballot = world.wait_for("B1", "open");
    assert_eq!(ballot["eligible"], json!(["acme", "gamma"]));

    world.clock("2026-02-02T10:00:00Z");
    let alice_no = note(&origin, "B1", "alice", "acme", "no", 3, 1);
    accepted(&world, "alice", &alice_no);
    world.clock("2026-02-03T10:00:00Z");
    let alex_yes = note(&origin, "B1", "alex", "acme", "yes", 4, 1);
    let size = world.size();
    accepted(&world, "alex", &alex_yes);
    // Alex's vote supersedes his colleague alice's: she is notified at
    // the close, not now, so that nothing but the turnout shows before
    // it (SPEC section 4).
    assert_eq!(world.size(), size + 1, "the vote alone");
    world.clock("2026-02-04T10:00:00Z");
    let carol_no = note(&origin, "B1", "carol", "gamma", "no", 5, 1);
    let (carol_index, carol_receipt) = accepted(&world, "carol", &carol_no);

    // The same note again: the original receipt, nothing logged.
    let size = world.size();
    let again = cast(&world, world.token("carol"), "B1", &carol_no);
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(again.json()["index"], carol_index);
    assert_eq!(again.json()["receipt"], carol_receipt.as_str());
    assert_eq!(world.size(), size);

    // Refusals, each with its SPEC code, none logged.
    let replay = note(&origin, "B1", "carol", "gamma", "yes", 5, 1);
    refused(
        &cast(&world, world.token("carol"), "B1", &replay),
        409,
        "replay",
    );
    let bob = note(&origin, "B1", "bob", "beta", "yes", 6, 1);
    refused(
        &cast(&world, world.token("bob"), "B1", &bob),
        422,
        "not-eligible",
    );
    let alice_new = note(&origin, "B1", "alice", "acme", "yes", 7, 1);
    refused(
        &cast(&world, world.token("carol"), "B1", &alice_new),
        403,
        "token-mismatch",
    );
    let elsewhere = Origin::new("simulated.invalid/other").expect("origin");
    let foreign = note(&elsewhere, "B1", "alice", "acme", "yes", 8, 1);
    refused(
        &cast(&world, world.token("alice"), "B1", &foreign),
        422,
        "wrong-origin",
    );
    let unknown = note(&origin, "B9", "alice", "acme", "yes", 9, 1);
    refused(
        &cast(&world, world.token("alice"), "B9", &unknown),
        422,
        "unknown-ballot",
    );
    refused(
        &cast(&world, world.token("alice"), "B1", &unknown),
        422,
        "unknown-ballot",
    );
    let cancelled = note(&origin, "B2", "alice", "acme", "yes", 12, 1);
    refused(
        &cast(&world, world.token("alice"), "B1", &cancelled),
        422,
        "unknown-ballot",
    );
    // A key registered and revoked before the vote.
    world.admin(
        "POST",
        "/v1/groups/g/persons/carol/keys",
        json!({"key": key("carol", 2).verifier_key().encode()}),
    );
    let id = key("carol", 2).verifier_key().id();
    let r = world.send(
        "DELETE",
        &format!("/v1/groups/g/persons/carol/keys/{id}"),
        Some(&world.admin),
        json!({}),
    );
    assert!(r.status < 300, "{}", r.text());
    let revoked = note(&origin, "B1", "carol", "gamma", "yes", 10, 2);
    refused(
        &cast(&world, world.token("carol"), "B1", &revoked),
        422,
        "key-revoked",
    );
    assert_eq!(
        world.size(),
        size + 3,
        "only the key, carol's notice of it (a key registered while the ballot runs), and \
         its revocation"
    );

    // Turnout is visible; no count and no choice before the close, and no
    // note either.
    let ballot = world.ballot(world.token("bob"), "B1");
    assert_eq!(ballot["turnout"], 4);
    assert_eq!(ballot["results"], Value::Null);
    assert_eq!(ballot["counted"], Value::Null);
    let note_hash = Hash::sha256(carol_no.as_bytes()).to_hex();
    let document = format!("/v1/groups/g/ballots/B1/documents/{note_hash}");
    // Before the close a note is answered as a hash nobody sent (no
    // oracle of which notes exist).
    assert_eq!(
        get(world.address(), &document, Some(world.token("bob"))).status,
        404
    );

    // At `closes` a vote is refused; the scheduler closes and tallies.
    world.clock(CLOSES);
    let late = note(&origin, "B1", "carol", "gamma", "yes", 11, 1);
    refused(
        &cast(&world, world.token("carol"), "B1", &late),
        422,
        "outside-window",
    );
    let ballot = world.wait_for("B1", "tallied");
    let r = get(world.address(), &document, Some(world.token("bob")));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.body, carol_no.as_bytes());
    // Right after the close entry: alice's notice that a colleague's
    // vote superseded hers; no such notice anywhere before it.
    let entries = common::logview::read_verified(world.address(), &world.admin, "g").entries;
    let text = |e: &Vec<u8>| String::from_utf8_lossy(e).into_owned();
    let close = entries
        .iter()
        .position(|e| text(e).contains("\ntype close\n"))
        .expect("the close");
    let notice = text(&entries[close + 1]);
    assert!(
        notice.contains("\ntype notification\n")
            && notice.contains("\nperson alice\n")
            && notice.contains("\nreason superseded\n"),
        "{notice}"
    );
    assert!(
        !entries[..close]
            .iter()
            .any(|e| text(e).contains("\nreason superseded\n")),
        "a superseded notice before the close"
    );

    // The same result as `simulate` on the equivalent scenario.
    let expected = scrutineer::simulate::simulate(&scenario(&[
        ("alice", "acme", "yes", OPENS),
        ("alice", "acme", "no", "2026-02-02T10:00:00Z"),
        ("alex", "acme", "yes", "2026-02-03T10:00:00Z"),
        ("carol", "gamma", "no", "2026-02-04T10:00:00Z"),
    ]))
    .expect("a valid scenario");
    let expected = serde_json::to_value(&expected).expect("JSON");
    let expected = &expected["ballots"][0];
    assert_eq!(ballot["eligible"], expected["eligible"]);
    let q = &expected["questions"][0];
    let r = &ballot["results"][0];
    assert_eq!(r["in_favour"], q["yes"]);
    assert_eq!(r["against"], q["no"]);
    assert_eq!(r["abstain"], q["abstain"]);
    assert_eq!(r["not_voted"], q["not_voted"]);
    assert_eq!(r["outcome"], q["outcome"]);
    let counted: Vec<(String, String)> = ballot["counted"]
        .as_array()
        .expect("counted")
        .iter()
        .map(|c| {
            (
                c["organisation"].as_str().expect("org").to_owned(),
                c["choice"].as_str().expect("choice").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        counted,
        vec![
            ("acme".to_owned(), "yes".to_owned()),
            ("gamma".to_owned(), "no".to_owned())
        ]
    );
    let flags: Vec<bool> = expected["votes"]
        .as_array()
        .expect("votes")
        .iter()
        .map(|v| v["counted"].as_bool().expect("counted"))
        .collect();
    assert_eq!(flags, [false, false, true, true]);
}

#[test]
fn the_scheduler_opens_and_closes_once_across_restarts() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let world = world(dir.path());
    announce(&world, "B1");
    let World {
        server,
        admin,
        tokens,
    } = world;
    server.stop();

    // Restarted between the announcement and the opening (the simulated
    // clock restarts where the test says; entry times never go back), and
    // the scheduler opens at `opens`.
    let restart = |tokens, start: &str| World {
        server: Server::start(
            dir.path(),
            &["--simulated-clock", "--simulated-start", start],
        ),
        admin: admin.clone(),
        tokens,
    };
    let world = restart(tokens, "2026-01-02T00:00:00Z");
    assert_eq!(world.ballot(&world.admin, "B1")["state"], "announced");
    world.clock(OPENS);
    world.wait_for("B1", "open");
    let opened = world.size();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert_eq!(world.size(), opened, "the roll is sequenced once");
    let origin = world.origin();
    accepted(
        &world,
        "carol",
        &note(&origin, "B1", "carol", "gamma", "yes", 1, 1),
    );
    let World { server, tokens, .. } = world;
    server.kill();

    // Restarted (after a crash) between the opening and the close.
    let world = restart(tokens, "2026-02-02T00:00:00Z");
    let ballot = world.ballot(&world.admin, "B1");
    assert_eq!(ballot["state"], "open");
    assert_eq!(ballot["turnout"], 1);
    world.clock("2026-03-01T00:00:00Z");
    let ballot = world.wait_for("B1", "tallied");
    assert_eq!(ballot["results"][0]["in_favour"], 1);
    assert_eq!(ballot["results"][0]["outcome"], "approved");
    let tallied = world.size();
    let World { server, tokens, .. } = world;
    server.stop();

    // After another restart nothing more is due.
    let world = restart(tokens, "2026-03-01T12:00:00Z");
    world.clock("2026-03-02T00:00:00Z");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert_eq!(world.size(), tallied, "close and tally are sequenced once");
    assert_eq!(world.ballot(&world.admin, "B1")["state"], "tallied");
    world.clock("2026-03-03T00:00:00Z");
    world.admin(
        "PUT",
        "/v1/groups/g/organisations/epsilon",
        json!({"class": "member", "from": "2026-03-01T00:00:00Z"}),
    );
    let World { server, .. } = world;
    server.stop();

    // Restarted without a start, the simulated clock resumes at the log's
    // latest entry time, not at the system time.
    let server = Server::start(dir.path(), &["--simulated-clock"]);
    let clock = get(&server.address, "/v1/clock", None).json();
    assert_eq!(clock["simulated"], true);
    assert_eq!(clock["now"], "2026-03-03T00:00:00.000000Z", "{clock}");
    server.stop();
}

/// Two ballots' votes name the same attachment (the same reasons, word for
/// word): the server stores it beside each ballot's vote, and after the
/// close each ballot serves it, and its note, to a member; before the
/// close neither does (404, as for a hash nobody sent).
#[test]
fn an_attachment_two_ballots_share_is_served_for_each() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let world = world(dir.path());
    announce(&world, "B1");
    announce(&world, "B3");
    world.clock(OPENS);
    world.wait_for("B1", "open");
    world.wait_for("B3", "open");
    let origin = world.origin();
    let reasons = "The same reasons, sent to both ballots.";
    let shared = Hash::sha256(reasons.as_bytes()).to_hex();
    let mut notes = Vec::new();
    for (ballot, person, org) in [("B1", "alice", "acme"), ("B3", "carol", "gamma")] {
        let vote = VoteNote {
            origin: origin.clone(),
            ballot: BallotId::new(ballot).expect("id"),
            question: QuestionId::new("main").expect("id"),
            organisation: OrgId::new(org).expect("id"),
            choice: ChoiceWord::new("no").expect("choice"),
            attachment: Some(Hash::sha256(reasons.as_bytes())),
            nonce: [7; 16],
        };
        let note = String::from_utf8(vote.sign(&key(person, 1)).expect("sign")).expect("UTF-8");
        let r = world.send(
            "POST",
            &format!("/v1/groups/g/ballots/{ballot}/votes"),
            Some(world.token(person)),
            json!({ "note": note, "attachment": reasons }),
        );
        assert_eq!(r.status, 201, "{ballot}: {}", r.text());
        notes.push((ballot, note));
    }
    let document = |ballot: &str, hash: &str| {
        get(
            world.address(),
            &format!("/v1/groups/g/ballots/{ballot}/documents/{hash}"),
            Some(world.token("bob")),
        )
    };
    for (ballot, _) in &notes {
        assert_eq!(document(ballot, &shared).status, 404, "before the close");
    }

    world.clock(CLOSES);
    world.wait_for("B1", "tallied");
    world.wait_for("B3", "tallied");
    for (ballot, note) in &notes {
        let r = document(ballot, &shared);
        assert_eq!(r.status, 200, "{ballot}: {}", r.text());
        assert_eq!(r.body, reasons.as_bytes(), "{ballot}");
        let r = document(ballot, &Hash::sha256(note.as_bytes()).to_hex());
        assert_eq!(r.status, 200, "{ballot}: {}", r.text());
        assert_eq!(r.body, note.as_bytes(), "{ballot}");
    }
    // A note is served only for its own ballot.
    let (_, b3_note) = &notes[1];
    let r = document("B1", &Hash::sha256(b3_note.as_bytes()).to_hex());
    assert_eq!(r.status, 404, "{}", r.text());
}

/// Before the close, a member asking for a vote's attachment or note gets
/// exactly the answer a wrong guess gets (status and body): the answer
/// must not tell that an attachment with that text was sent, which would
/// let a member test guesses of another organisation's reasons.
#[test]
fn before_the_close_an_attachment_is_answered_as_a_wrong_guess() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let world = world(dir.path());
    announce(&world, "B1");
    world.clock(OPENS);
    world.wait_for("B1", "open");
    let reasons = "We cannot support the draft as it stands.";
    let vote = VoteNote {
        origin: world.origin(),
        ballot: BallotId::new("B1").expect("id"),
        question: QuestionId::new("main").expect("id"),
        organisation: OrgId::new("acme").expect("id"),
        choice: ChoiceWord::new("no").expect("choice"),
        attachment: Some(Hash::sha256(reasons.as_bytes())),
        nonce: [3; 16],
    };
    let note = String::from_utf8(vote.sign(&key("alice", 1)).expect("sign")).expect("UTF-8");
    let r = world.send(
        "POST",
        "/v1/groups/g/ballots/B1/votes",
        Some(world.token("alice")),
        json!({ "note": note, "attachment": reasons }),
    );
    assert_eq!(r.status, 201, "{}", r.text());

    let document = |hash: &Hash| {
        get(
            world.address(),
            &format!("/v1/groups/g/ballots/B1/documents/{}", hash.to_hex()),
            Some(world.token("bob")),
        )
    };
    let guess = Hash::sha256(b"We support the draft.");
    let wrong = document(&guess);
    assert_eq!(wrong.status, 404, "{}", wrong.text());
    // The guess's hash is in the detail; the same detail for each hash.
    let same = |r: &Response, hash: &Hash| {
        r.text()
            .replace(&hash.to_hex(), "<hash>")
            .replace(&guess.to_hex(), "<hash>")
    };
    for hash in [
        Hash::sha256(reasons.as_bytes()),
        Hash::sha256(note.as_bytes()),
    ] {
        let r = document(&hash);
        assert_eq!(r.status, wrong.status, "{}", r.text());
        assert_eq!(r.header("content-type"), wrong.header("content-type"));
        assert_eq!(same(&r, &hash), same(&wrong, &guess));
    }
}
