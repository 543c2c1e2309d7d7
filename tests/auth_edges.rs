//! Authentication and authorisation at their edges, through the real
//! binary (`tests/api_roles.rs` has the role matrix; this file has the
//! cases that sit between its rows):
//!
//! 1. A valid token of a person registered in another group is refused
//!    here (403) and writes nothing; tokens do not expire (the store has no
//!    expiry), so the only end of a token is its revocation (401), after
//!    which a new token works again.
//! 2. A signed vote note cannot be replayed: in another ballot of the same
//!    group (`malformed-note`: the request contradicts its note), in a
//!    ballot of the same id in another group (`wrong-origin`), on another
//!    server with its own log key and origin prefix (`wrong-origin`), also
//!    when neither server was given an origin prefix (each installation's
//!    default is its own), with the same nonce and other bytes (`replay`);
//!    byte-identical, it gets the original receipt back (200). A restarted
//!    data directory keeps its groups' origins, and a real-clock server
//!    without a configured prefix says so at start.
//! 3. One person's key or token cannot vote as another: another person's
//!    token (`token-mismatch`), a signature naming one person made with
//!    another's key (`bad-signature`), a key registered to one person
//!    registered to another (refused), a revoked key (`key-revoked`).
//! 4. Oversized bodies are 413 (declared, chunked, or just too long),
//!    never a 500, and the server goes on serving.
//! 5. A request whose body stalls after its headers is answered 504 at the
//!    request time limit, and meanwhile other clients are served, also
//!    while many connections sit on half-sent headers; those connections
//!    are closed once their headers are overdue.
//!
//! Every refusal is also checked to leave the log as it was. No assertion
//! is about timing.

#![cfg(feature = "server")]

mod common;

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::Duration;

use common::http::{self, Response};
use common::server::Server;
use scrutineer::ballot::AnnouncementNote;
use scrutineer::id::{BallotId, OrgId, QuestionId};
use scrutineer::note::key::{KeyName, SigningKey};
use scrutineer::rules::BallotKind;
use scrutineer::time::Timestamp;
use scrutineer::tlog::Hash;
use scrutineer::tlog::checkpoint::Origin;
use scrutineer::vote::{ChoiceWord, VoteNote};
use serde_json::{Value, json};

const START: &str = "2026-06-01T00:00:00Z";
const OPENS: &str = "2026-07-15T00:00:00Z";
const CLOSES: &str = "2026-08-15T00:00:00Z";

/// A deterministic key for a person (the seed is the SHA-256 of its id).
fn seed(person: &str) -> [u8; 32] {
    *Hash::sha256(person.as_bytes()).as_bytes()
}

fn key(person: &str) -> SigningKey {
    SigningKey::from_seed(KeyName::new(person).expect("a key name"), &seed(person))
}

fn t(text: &str) -> Timestamp {
    Timestamp::parse(text).expect("a time")
}

/// A server on a simulated clock with its secretariat token.
struct Api {
    server: Server,
    admin: String,
}

impl Api {
    fn start(dir: &std::path::Path, extra: &[&str]) -> Self {
        let mut flags = vec!["--simulated-clock", "--simulated-start", START];
        flags.extend_from_slice(extra);
        let server = Server::start(dir, &flags);
        let admin = server
            .token
            .clone()
            .expect("the first start prints a token");
        Self { server, admin }
    }

    /// Stops the server and serves its data directory again with `extra`
    /// (the simulated clock resumes where the log stopped).
    fn restart(self, extra: &[&str]) -> Self {
        let Self { server, admin } = self;
        let dir = server.data_dir.clone();
        server.stop();
        let mut flags = vec!["--simulated-clock"];
        flags.extend_from_slice(extra);
        Self {
            server: Server::start(&dir, &flags),
            admin,
        }
    }

    fn address(&self) -> &str {
        &self.server.address
    }

    fn admin(&self, method: &str, path: &str, body: Value) -> Value {
        let r = http::json(self.address(), method, path, Some(&self.admin), &body);
        assert!(r.status < 300, "{method} {path}: {} {}", r.status, r.text());
        r.json()
    }

    /// An account with a token; returns the token.
    fn account(&self, person: &str) -> String {
        self.admin(
            "POST",
            "/v1/persons",
            json!({"id": person, "name": person, "email": format!("{person}@example.org")}),
        );
        self.token(person)
    }

    fn token(&self, person: &str) -> String {
        self.admin(
            "POST",
            &format!("/v1/persons/{person}/tokens"),
            json!({"label": "t"}),
        )["token"]
            .as_str()
            .expect("a token")
            .to_owned()
    }

    /// Group `group` with founding members, each person registered for its
    /// organisation with its key, `chair` appointed (of a participant
    /// organisation), and ballots announced.
    fn group(&self, group: &str, persons: &[(&str, &str)], ballots: &[&str]) -> Origin {
        self.admin(
            "POST",
            "/v1/groups",
            json!({"id": group, "profile": "etsi-isg"}),
        );
        self.admin(
            "PUT",
            &format!("/v1/groups/{group}/organisations/chairco"),
            json!({"class": "participant", "from": "2026-01-01T00:00:00Z"}),
        );
        let mut orgs: Vec<&str> = persons.iter().map(|(_, o)| *o).collect();
        orgs.dedup();
        for org in orgs {
            self.admin(
                "PUT",
                &format!("/v1/groups/{group}/organisations/{org}"),
                json!({"class": "member", "founding": true, "from": "2026-01-01T00:00:00Z"}),
            );
        }
        self.admin(
            "PUT",
            &format!("/v1/groups/{group}/meetings/kom"),
            json!({"plenary": true, "format": "face-to-face", "kick_off": true,
                   "start": "2026-02-01T09:00:00Z", "end": "2026-02-01T17:00:00Z"}),
        );
        for (person, org) in persons.iter().chain(&[("chair", "chairco")]) {
            self.admin(
                "PUT",
                &format!("/v1/groups/{group}/persons/{person}"),
                json!({"organisation": org, "membership_list": true}),
            );
            self.admin(
                "POST",
                &format!("/v1/groups/{group}/persons/{person}/keys"),
                json!({"key": key(person).verifier_key().encode()}),
            );
        }
        self.admin(
            "POST",
            &format!("/v1/groups/{group}/chair"),
            json!({"person": "chair"}),
        );
        let info = self.read(&format!("/v1/groups/{group}"));
        let origin = Origin::new(info["origin"].as_str().expect("origin")).expect("an origin");
        let chair = self.token("chair");
        for ballot in ballots {
            let note = AnnouncementNote {
                origin: origin.clone(),
                ballot: BallotId::new(ballot).expect("a ballot id"),
                kind: BallotKind::Correspondence,
                questions: vec![QuestionId::new("main").expect("a question")],
                opens: Some(t(OPENS)),
                closes: t(CLOSES),
                subject: None,
            };
            let note = String::from_utf8(note.sign(&key("chair")).expect("sign")).expect("UTF-8");
            let r = http::json(
                self.address(),
                "POST",
                &format!("/v1/groups/{group}/ballots"),
                Some(&chair),
                &json!({ "announcement": note }),
            );
            assert_eq!(r.status, 201, "announce {group}/{ballot}: {}", r.text());
        }
        origin
    }

    fn read(&self, path: &str) -> Value {
        let r = http::get(self.address(), path, Some(&self.admin));
        assert_eq!(r.status, 200, "GET {path}: {}", r.text());
        r.json()
    }

    /// Opens every ballot: the clock to [`OPENS`], then waits for them.
    fn open(&self, ballots: &[(&str, &str)]) {
        self.admin("POST", "/v1/clock", json!({ "to": OPENS }));
        for (group, ballot) in ballots {
            let path = format!("/v1/groups/{group}/ballots/{ballot}");
            let deadline = std::time::Instant::now() + Duration::from_secs(30);
            while self.read(&path)["state"] != "open" {
                assert!(std::time::Instant::now() < deadline, "{path} did not open");
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }

    /// The size of a group's log.
    fn size(&self, group: &str) -> u64 {
        let r = http::get(
            self.address(),
            &format!("/v1/groups/{group}/log/checkpoint"),
            None,
        );
        assert_eq!(r.status, 200);
        r.text()
            .lines()
            .nth(1)
            .and_then(|l| l.parse().ok())
            .expect("a checkpoint's size line")
    }

    fn vote(&self, token: &str, group: &str, ballot: &str, note: &str) -> Response {
        http::json(
            self.address(),
            "POST",
            &format!("/v1/groups/{group}/ballots/{ballot}/votes"),
            Some(token),
            &json!({ "note": note }),
        )
    }

    /// A vote that must be refused with `status` and `code`, writing
    /// nothing to the group's log.
    fn refused(&self, token: &str, group: &str, ballot: &str, note: &str, status: u16, code: &str) {
        let before = self.size(group);
        let r = self.vote(token, group, ballot, note);
        assert_eq!(
            (r.status, problem_code(&r)),
            (status, Some(code.to_owned())),
            "{group}/{ballot}: {}",
            r.text()
        );
        assert_eq!(self.size(group), before, "a refusal writes nothing");
    }
}

/// The code of a problem answer (`urn:scrutineer:problem:<code>`).
fn problem_code(r: &Response) -> Option<String> {
    let body: Value = serde_json::from_slice(&r.body).ok()?;
    let kind = body["type"].as_str()?;
    Some(kind.rsplit(':').next()?.to_owned())
}

/// A vote note on `main`, signed by `signer`.
struct Note<'a> {
    origin: &'a Origin,
    ballot: &'a str,
    org: &'a str,
    choice: &'a str,
    nonce: u8,
}

impl Note<'_> {
    fn sign(&self, signer: &SigningKey) -> String {
        let vote = VoteNote {
            origin: self.origin.clone(),
            ballot: BallotId::new(self.ballot).expect("a ballot id"),
            question: QuestionId::new("main").expect("a question"),
            organisation: OrgId::new(self.org).expect("an organisation"),
            choice: ChoiceWord::new(self.choice).expect("a choice"),
            attachment: None,
            nonce: [self.nonce; 16],
        };
        String::from_utf8(vote.sign(signer).expect("sign")).expect("UTF-8")
    }
}

#[test]
fn a_token_works_only_in_its_persons_groups_and_until_revoked() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let api = Api::start(dir.path(), &[]);
    let bob = api.account("bob");
    let alice = api.account("alice");
    api.account("chair");
    api.group("g1", &[("alice", "acme"), ("bob", "beta")], &["B1"]);
    let g2 = api.group("g2", &[("alice", "acme")], &["B1"]);
    api.open(&[("g1", "B1"), ("g2", "B1")]);

    // Bob is registered in g1 only: his valid token and a note he signed
    // for g2's origin are refused there.
    let note = Note {
        origin: &g2,
        ballot: "B1",
        org: "beta",
        choice: "yes",
        nonce: 1,
    }
    .sign(&key("bob"));
    let before = api.size("g2");
    let r = api.vote(&bob, "g2", "B1", &note);
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(api.size("g2"), before);
    let tile = format!("/v1/groups/g2/log/tile/entries/000.p/{before}");
    let bundle = http::get(api.address(), &tile, Some(&bob));
    assert_eq!(
        bundle.status,
        403,
        "g2's entries are not bob's: {}",
        bundle.text()
    );
    let bundle = http::get(api.address(), &tile, Some(&alice));
    assert_eq!(bundle.status, 200, "alice is registered in g2");

    // Revocation ends every token of the person: 401 on the vote as on
    // any other request; a new token works.
    let g1 = Origin::new(
        api.read("/v1/groups/g1")["origin"]
            .as_str()
            .expect("origin"),
    )
    .expect("an origin");
    let note = Note {
        origin: &g1,
        ballot: "B1",
        org: "beta",
        choice: "no",
        nonce: 2,
    }
    .sign(&key("bob"));
    let revoked = api.admin("DELETE", "/v1/persons/bob/tokens", json!({}));
    assert_eq!(revoked["revoked"], 1);
    let before = api.size("g1");
    let r = api.vote(&bob, "g1", "B1", &note);
    assert_eq!(r.status, 401, "{}", r.text());
    assert_eq!(http::get(api.address(), "/v1/me", Some(&bob)).status, 401);
    assert_eq!(api.size("g1"), before);
    let fresh = api.token("bob");
    let r = api.vote(&fresh, "g1", "B1", &note);
    assert_eq!(r.status, 201, "a new token votes: {}", r.text());
}

#[test]
fn a_vote_note_does_not_replay_across_ballots_groups_or_servers() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let api = Api::start(dir.path(), &[]);
    let alice = api.account("alice");
    api.account("chair");
    let g1 = api.group("g1", &[("alice", "acme")], &["B1", "B2"]);
    api.group("g2", &[("alice", "acme")], &["B1"]);
    api.open(&[("g1", "B1"), ("g1", "B2"), ("g2", "B1")]);
    let note = |ballot, choice, nonce| {
        Note {
            origin: &g1,
            ballot,
            org: "acme",
            choice,
            nonce,
        }
        .sign(&key("alice"))
    };
    let b1 = note("B1", "yes", 1);

    // Another ballot of the same group: the path contradicts the note.
    api.refused(&alice, "g1", "B2", &b1, 422, "malformed-note");
    // A ballot of the same id in another group: another origin.
    api.refused(&alice, "g2", "B1", &b1, 422, "wrong-origin");
    // A ballot the group does not have.
    api.refused(
        &alice,
        "g1",
        "B9",
        &note("B9", "yes", 1),
        422,
        "unknown-ballot",
    );

    // Accepted once; byte-identical again is the original receipt; the
    // same nonce with other bytes is a replay.
    let first = api.vote(&alice, "g1", "B1", &b1);
    assert_eq!(first.status, 201, "{}", first.text());
    let again = api.vote(&alice, "g1", "B1", &b1);
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(again.json(), first.json(), "the original receipt");
    api.refused(&alice, "g1", "B1", &note("B1", "no", 1), 409, "replay");

    // Another server, with its own log key and origin prefix, and the same
    // group, ballot, person and key: the note names server A's log.
    let other_dir = tempfile::tempdir().expect("a temporary directory");
    let other = Api::start(
        other_dir.path(),
        &["--origin-prefix", "other.example/scrutineer"],
    );
    let other_alice = other.account("alice");
    other.account("chair");
    let other_g1 = other.group("g1", &[("alice", "acme")], &["B1"]);
    assert_ne!(other_g1, g1);
    other.open(&[("g1", "B1")]);
    other.refused(&other_alice, "g1", "B1", &b1, 422, "wrong-origin");
    let own = Note {
        origin: &other_g1,
        ballot: "B1",
        org: "acme",
        choice: "yes",
        nonce: 1,
    }
    .sign(&key("alice"));
    let r = other.vote(&other_alice, "g1", "B1", &own);
    assert_eq!(r.status, 201, "a note for B's own origin: {}", r.text());
}

#[test]
fn servers_without_an_origin_prefix_do_not_share_origins() {
    // Two installations started alike, with nothing configured: the same
    // group, ballot, person and key on each.
    let dirs = [(); 2].map(|()| tempfile::tempdir().expect("a temporary directory"));
    let [a, b] = [0, 1].map(|i| Api::start(dirs[i].path(), &[]));
    let [alice_a, alice_b] = [&a, &b].map(|api| {
        let alice = api.account("alice");
        api.account("chair");
        alice
    });
    let [g1_a, g1_b] = [&a, &b].map(|api| {
        let origin = api.group("g1", &[("alice", "acme")], &["B1"]);
        api.open(&[("g1", "B1")]);
        origin
    });
    assert_ne!(g1_a, g1_b, "each installation has its own default origin");

    // A note signed for A's log is refused by B, and counts on A.
    let for_a = Note {
        origin: &g1_a,
        ballot: "B1",
        org: "acme",
        choice: "yes",
        nonce: 1,
    }
    .sign(&key("alice"));
    b.refused(&alice_b, "g1", "B1", &for_a, 422, "wrong-origin");
    let r = a.vote(&alice_a, "g1", "B1", &for_a);
    assert_eq!(
        r.status,
        201,
        "the note counts where it was meant: {}",
        r.text()
    );
}

#[test]
fn a_restarted_data_directory_keeps_its_groups_origins() {
    // A data directory whose group was created under the former shared
    // default prefix, `localhost/scrutineer`.
    let dir = tempfile::tempdir().expect("a temporary directory");
    let api = Api::start(dir.path(), &["--origin-prefix", "localhost/scrutineer"]);
    let alice = api.account("alice");
    api.account("chair");
    let g1 = api.group("g1", &[("alice", "acme")], &["B1"]);
    assert_eq!(g1.as_str(), "simulated.invalid/localhost/scrutineer/g1");

    // Served again without the flag: g1 keeps its origin and takes votes
    // signed for it; a new group gets the installation's own default.
    let api = api.restart(&[]);
    let origin = |api: &Api, group: &str| {
        Origin::new(
            api.read(&format!("/v1/groups/{group}"))["origin"]
                .as_str()
                .expect("origin"),
        )
        .expect("an origin")
    };
    assert_eq!(origin(&api, "g1"), g1, "an existing group keeps its origin");
    api.open(&[("g1", "B1")]);
    let note = Note {
        origin: &g1,
        ballot: "B1",
        org: "acme",
        choice: "yes",
        nonce: 1,
    }
    .sign(&key("alice"));
    let r = api.vote(&alice, "g1", "B1", &note);
    assert_eq!(r.status, 201, "the restarted log takes votes: {}", r.text());
    api.admin(
        "POST",
        "/v1/groups",
        json!({"id": "g2", "profile": "etsi-isg"}),
    );
    let g2 = origin(&api, "g2");
    assert!(
        g2.as_str().starts_with("simulated.invalid/") && g2.as_str().ends_with("/g2"),
        "{g2}"
    );
    assert_ne!(
        g2.as_str(),
        "simulated.invalid/localhost/scrutineer/g2",
        "a new group does not get the former shared default"
    );

    // And again: both groups keep their origins.
    let api = api.restart(&[]);
    assert_eq!(origin(&api, "g1"), g1);
    assert_eq!(origin(&api, "g2"), g2);
    let again = Note {
        origin: &g1,
        ballot: "B1",
        org: "acme",
        choice: "no",
        nonce: 2,
    }
    .sign(&key("alice"));
    let r = api.vote(&alice, "g1", "B1", &again);
    assert_eq!(r.status, 201, "{}", r.text());
}

/// Starts a real-clock server, creates group `g1` and returns its origin
/// and the server's standard error up to then.
fn real_clock_origin(extra: &[&str]) -> (String, String) {
    use std::io::BufRead as _;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_scrutineer"))
        .arg("serve")
        .arg("--data-dir")
        .arg(dir.path())
        .args(["--listen", "127.0.0.1:0"])
        .args(extra)
        .env("RUST_LOG", "warn")
        .env_remove("SCRUTINEER_ORIGIN_PREFIX")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start scrutineer serve");
    let mut lines = std::io::BufReader::new(child.stdout.take().expect("piped")).lines();
    let mut token = String::new();
    let address = loop {
        let line = lines.next().expect("an address").expect("UTF-8");
        if let Some(t) = line.split("store it now): ").nth(1) {
            token = t.trim().to_owned();
        }
        if let Some(a) = line.strip_prefix("listening on http://") {
            break a.trim().to_owned();
        }
    };
    let r = http::json(
        &address,
        "POST",
        "/v1/groups",
        Some(&token),
        &json!({"id": "g1", "profile": "etsi-isg"}),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let group = http::get(&address, "/v1/groups/g1", Some(&token)).json();
    let _ = child.kill();
    let _ = child.wait();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("piped")
        .read_to_string(&mut stderr)
        .expect("stderr");
    let origin = group["origin"].as_str().expect("an origin").to_owned();
    (origin, stderr)
}

#[test]
fn a_real_clock_server_without_an_origin_prefix_warns_and_has_its_own() {
    let (first, first_log) = real_clock_origin(&[]);
    let (second, second_log) = real_clock_origin(&[]);
    assert_ne!(first, second, "two installations, two origins");
    for (origin, log) in [(&first, &first_log), (&second, &second_log)] {
        assert!(origin.ends_with("/g1") && !origin.starts_with("simulated.invalid/"));
        assert_eq!(
            log.lines()
                .filter(|l| l.contains("--origin-prefix"))
                .count(),
            1,
            "one line says what to set: {log}"
        );
    }
    let (configured, log) = real_clock_origin(&["--origin-prefix", "vote.example.org"]);
    assert_eq!(configured, "vote.example.org/g1");
    assert!(!log.contains("--origin-prefix"), "no warning: {log}");
}

#[test]
fn one_persons_key_or_token_cannot_vote_as_another() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let api = Api::start(dir.path(), &[]);
    let alice = api.account("alice");
    let bob = api.account("bob");
    api.account("chair");
    let g1 = api.group("g1", &[("alice", "acme"), ("bob", "beta")], &["B1"]);
    api.open(&[("g1", "B1")]);
    let note = |org, nonce, signer: &SigningKey| {
        Note {
            origin: &g1,
            ballot: "B1",
            org,
            choice: "yes",
            nonce,
        }
        .sign(signer)
    };

    // Alice's genuine note with bob's token.
    api.refused(
        &bob,
        "g1",
        "B1",
        &note("acme", 1, &key("alice")),
        403,
        "token-mismatch",
    );
    // A signature that names alice, made with bob's key: with alice's
    // token (stolen) it does not verify under her registered key; with
    // bob's it is not his token's person.
    let forged = SigningKey::from_seed(KeyName::new("alice").expect("a name"), &seed("bob"));
    api.refused(
        &alice,
        "g1",
        "B1",
        &note("acme", 2, &forged),
        422,
        "bad-signature",
    );
    api.refused(
        &bob,
        "g1",
        "B1",
        &note("acme", 3, &forged),
        403,
        "token-mismatch",
    );
    // Bob, with his own key and token, for alice's organisation.
    api.refused(
        &bob,
        "g1",
        "B1",
        &note("acme", 4, &key("bob")),
        422,
        "not-representative",
    );
    let before = api.size("g1");
    // Alice's key registered to bob as well: refused.
    let r = http::json(
        api.address(),
        "POST",
        "/v1/groups/g1/persons/bob/keys",
        Some(&api.admin),
        &json!({"key": key("alice").verifier_key().encode()}),
    );
    assert!(
        matches!(r.status, 409 | 422),
        "one key, two persons: {} {}",
        r.status,
        r.text()
    );
    assert_eq!(api.size("g1"), before);

    // A revoked key no longer votes.
    let keys = api.read("/v1/groups/g1/persons/alice/keys");
    let id = keys[0]["id"].as_str().expect("a key id").to_owned();
    let r = http::json(
        api.address(),
        "DELETE",
        &format!("/v1/groups/g1/persons/alice/keys/{id}"),
        Some(&api.admin),
        &json!({}),
    );
    assert!(r.status < 300, "revoke: {}", r.text());
    api.refused(
        &alice,
        "g1",
        "B1",
        &note("acme", 5, &key("alice")),
        422,
        "key-revoked",
    );
}

/// Sends raw bytes and reads the answer, or `None` if the server closed
/// the connection without one. The answer is read while the bytes are
/// sent: a server that refuses early closes a connection with unread data,
/// and the reset that follows could otherwise discard its answer.
fn raw(address: &str, bytes: &[u8]) -> Option<Response> {
    let mut stream = TcpStream::connect(address).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    let mut reading = stream.try_clone().expect("a second handle");
    let reader = std::thread::spawn(move || {
        let mut answer = Vec::new();
        let mut buffer = [0; 4096];
        while let Ok(n @ 1..) = reading.read(&mut buffer) {
            answer.extend_from_slice(&buffer[..n]);
        }
        answer
    });
    // The server may answer (and close) before reading everything.
    let _ = stream.write_all(bytes);
    let answer = reader.join().expect("the reader");
    parse_status(&answer)
}

/// A whole POST request with a declared length.
fn post(path: &str, token: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut bytes = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

fn parse_status(answer: &[u8]) -> Option<Response> {
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&answer[..split]).into_owned();
    let status = head.split(' ').nth(1)?.parse().ok()?;
    Some(Response {
        status,
        headers: Vec::new(),
        body: answer[split + 4..].to_vec(),
    })
}

#[test]
fn oversized_bodies_are_refused_with_413_never_500() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let api = Api::start(dir.path(), &[]);
    let alice = api.account("alice");
    api.account("chair");
    let g1 = api.group("g1", &[("alice", "acme")], &["B1"]);
    api.open(&[("g1", "B1")]);
    let path = "/v1/groups/g1/ballots/B1/votes";
    let before = api.size("g1");

    // Declared just too long (the default limit is 1 MiB) and sent;
    // exactly at the limit is read, and is not JSON.
    let mut big = vec![b'a'; 1 << 20];
    let r = raw(api.address(), &post(path, &alice, "application/json", &big)).expect("an answer");
    assert!(
        matches!(r.status, 400 | 422),
        "at the limit: {} {}",
        r.status,
        r.text()
    );
    big.push(b'a');
    let r = raw(api.address(), &post(path, &alice, "application/json", &big)).expect("an answer");
    assert_eq!(r.status, 413, "{}", r.text());
    // Chunked, without a declared length.
    let mut chunked = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {alice}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    .into_bytes();
    for _ in 0..40 {
        chunked.extend_from_slice(format!("{:x}\r\n", 32 * 1024).as_bytes());
        chunked.extend(std::iter::repeat_n(b'a', 32 * 1024));
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let r = raw(api.address(), &chunked).expect("an answer");
    assert_eq!(r.status, 413, "chunked: {}", r.text());
    // A declared length far beyond what is sent.
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {alice}\r\n\
         Content-Type: application/json\r\nContent-Length: 99999999999\r\n\r\n{{"
    );
    let r = raw(api.address(), head.as_bytes()).expect("an answer");
    assert_eq!(r.status, 413, "declared: {}", r.text());
    // Within the body limit, but a note beyond 8 KiB (SPEC section 4).
    let long = Note {
        origin: &g1,
        ballot: "B1",
        org: "acme",
        choice: "yes",
        nonce: 1,
    }
    .sign(&key("alice"))
    .replace(
        "scrutineer/vote/v1\n",
        &format!("scrutineer/vote/v1\n{}\n", "x".repeat(9000)),
    );
    api.refused(&alice, "g1", "B1", &long, 422, "malformed-note");
    // The same on a registry write.
    let import = post(
        "/v1/groups/g1/attendance/import",
        &api.admin,
        "text/csv",
        &big,
    );
    let r = raw(api.address(), &import).expect("an answer");
    assert_eq!(r.status, 413, "{}", r.text());
    assert_eq!(api.size("g1"), before);
    assert_eq!(http::get(api.address(), "/healthz", None).status, 200);
}

#[test]
fn a_stalled_request_times_out_while_others_are_served() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let api = Api::start(dir.path(), &["--request-timeout-secs", "2"]);
    let alice = api.account("alice");
    api.account("chair");
    let g1 = api.group("g1", &[("alice", "acme")], &["B1"]);
    api.open(&[("g1", "B1")]);

    // Many connections that never finish their headers.
    let half: Vec<TcpStream> = (0..50)
        .map(|_| {
            let mut s = TcpStream::connect(api.address()).expect("connect");
            s.write_all(b"POST /v1/groups/g1/ballots/B1/votes HTTP/1.1\r\nHost: x\r\n")
                .expect("half a head");
            s
        })
        .collect();
    // One whose headers are complete and whose body stalls.
    let mut stalled = TcpStream::connect(api.address()).expect("connect");
    stalled
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    let head = format!(
        "POST /v1/groups/g1/ballots/B1/votes HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
         Authorization: Bearer {alice}\r\nContent-Type: application/json\r\n\
         Content-Length: 100\r\n\r\n{{\"note\": "
    );
    stalled.write_all(head.as_bytes()).expect("send the head");

    // Meanwhile a vote and a read are served.
    let note = Note {
        origin: &g1,
        ballot: "B1",
        org: "acme",
        choice: "yes",
        nonce: 1,
    }
    .sign(&key("alice"));
    let r = api.vote(&alice, "g1", "B1", &note);
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(http::get(api.address(), "/healthz", None).status, 200);

    // The stalled request is answered at the time limit.
    let mut answer = Vec::new();
    let _ = stalled.read_to_end(&mut answer);
    let r = parse_status(&answer).expect("an answer to the stalled request");
    assert_eq!(
        (r.status, problem_code(&r).as_deref()),
        (504, Some("timeout")),
        "{}",
        r.text()
    );
    assert_eq!(http::get(api.address(), "/healthz", None).status, 200);

    // The half-sent heads are not kept for ever: the server closes each
    // connection once its headers are overdue (the same limit).
    for mut connection in half {
        connection
            .set_read_timeout(Some(Duration::from_secs(60)))
            .expect("timeout");
        let mut rest = Vec::new();
        if let Err(e) = connection.read_to_end(&mut rest) {
            assert!(
                !matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ),
                "a connection with half its headers is still open after 60 s"
            );
        }
    }
    assert_eq!(http::get(api.address(), "/healthz", None).status, 200);
}
