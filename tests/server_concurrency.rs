//! Concurrency through the real binary on a simulated clock, with real
//! signed votes:
//!
//! 1. Two delegates of one organisation vote on the same ballot and
//!    question at the same moment, from two threads, twenty times (one
//!    ballot per round, the choices differ within each pair): both are
//!    accepted with receipts that verify under the group's log key; after
//!    the tally exactly one counts, the one with the higher log index (SPEC
//!    2.1 item 8: "latest" is the highest log index); the other is
//!    superseded and a `notification` entry with reason `superseded` for
//!    its voter is in the log; the organisation is counted once.
//! 2. Thirty organisations' delegates vote at once, at the opening instant
//!    (the votes race the scheduler to sequence the roll), some sending
//!    the same note twice at once: every acknowledged vote is in the log
//!    exactly once, at its acknowledged index, and in the tally; the
//!    turnout is the number of accepted votes; the roll is logged once.
//! 3. Two `serve` processes on one PostgreSQL database, each with its own
//!    simulated clock (same start, same log key): both clocks are moved
//!    past the opening, then past the close, at the same moment; the log
//!    holds exactly one `roll`, one `close` and one `tally` entry for the
//!    ballot, and votes cast through the second server are counted (one of
//!    them supersedes a colleague's vote cast through the first; another is
//!    sent through both servers at once and recorded once). A token
//!    revoked through one is refused by the other within its access
//!    cache's second.
//!
//! The PostgreSQL test skips with a note when PostgreSQL is not installed,
//! unless `SCRUTINEER_REQUIRE_POSTGRES` is set. No assertion is about
//! timing: waits are bounded polls that fail with the last state seen.

#![cfg(feature = "server")]

mod common;

use common::ballotlog::key_of as key;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Barrier};
use std::time::{Duration as StdDuration, Instant};

use common::http::{self, Response};
use common::logview;
use common::pg::TempPostgres;
use common::server::Server;
use scrutineer::ballot::AnnouncementNote;
use scrutineer::entry::Entry;
use scrutineer::id::{BallotId, OrgId, QuestionId};
use scrutineer::note::key::VerifierKey;
use scrutineer::rules::BallotKind;
use scrutineer::time::Timestamp;
use scrutineer::tlog::Hash;
use scrutineer::tlog::checkpoint::Origin;
use scrutineer::tlog::receipt::Receipt;
use scrutineer::vote::{ChoiceWord, VoteNote};
use serde_json::{Value, json};

const GROUP: &str = "g";
const START: &str = "2026-01-01T00:00:00Z";
const OPENS: &str = "2026-02-01T00:00:00Z";
const CLOSES: &str = "2026-02-15T00:00:00Z";
/// The three plenaries of 2025: an organisation that attended `kom` and
/// `m2` is eligible (ETSI ISG, two of the last three, the kick-off among
/// them).
const MEETINGS: [(&str, &str, &str, bool); 3] = [
    ("kom", "2025-02-03T09:00:00Z", "2025-02-04T17:00:00Z", true),
    ("m2", "2025-05-05T09:00:00Z", "2025-05-06T17:00:00Z", false),
    ("m3", "2025-09-08T09:00:00Z", "2025-09-09T17:00:00Z", false),
];
/// The chair, of an organisation of a class that never votes.
const CHAIR: &str = "chair";
const CHAIR_ORG: &str = "delta";

fn t(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap_or_else(|e| panic!("time {text:?}: {e}"))
}

/// `sha256:<hex>` of a note, as entries and tallies name it.
fn hash_text(note: &str) -> String {
    format!("sha256:{}", Hash::sha256(note.as_bytes()).to_hex())
}

/// A client of one server, with the secretariat's token.
#[derive(Clone)]
struct Client {
    address: String,
    admin: String,
    /// A name for messages (`A`, `B`).
    name: &'static str,
}

impl Client {
    fn send(&self, method: &str, path: &str, token: Option<&str>, body: &Value) -> Response {
        http::json(&self.address, method, path, token, body)
    }

    /// A secretariat request that must succeed.
    fn admin(&self, method: &str, path: &str, body: Value) -> Value {
        let r = self.send(method, path, Some(&self.admin), &body);
        assert!(
            r.status < 300,
            "server {}: {method} {path} {body}: {} {}",
            self.name,
            r.status,
            r.text()
        );
        r.json()
    }

    fn read(&self, path: &str) -> Value {
        let r = http::get(&self.address, path, Some(&self.admin));
        assert_eq!(
            r.status,
            200,
            "server {}: GET {path}: {}",
            self.name,
            r.text()
        );
        r.json()
    }

    /// Moves this server's simulated clock to `to`.
    fn clock(&self, to: &str) {
        let body = self.admin("POST", "/v1/clock", json!({ "to": to }));
        assert_eq!(
            body["now"].as_str().map(t),
            Some(t(to)),
            "server {}: the clock moved: {body}",
            self.name
        );
    }

    fn ballot(&self, id: &str) -> Value {
        self.read(&format!("/v1/groups/{GROUP}/ballots/{id}"))
    }

    /// Waits (at most 20 s) until the scheduler has brought `id` to
    /// `state`.
    fn wait_for(&self, id: &str, state: &str) -> Value {
        let deadline = Instant::now() + StdDuration::from_secs(20);
        loop {
            let ballot = self.ballot(id);
            if ballot["state"] == state {
                return ballot;
            }
            assert!(
                Instant::now() < deadline,
                "server {}: ballot {id} did not reach {state} within 20 s: {ballot}",
                self.name
            );
            std::thread::sleep(StdDuration::from_millis(50));
        }
    }

    fn origin(&self) -> Origin {
        let group = self.read(&format!("/v1/groups/{GROUP}"));
        Origin::new(group["origin"].as_str().expect("origin")).expect("an origin")
    }

    fn log_key(&self) -> VerifierKey {
        let group = self.read(&format!("/v1/groups/{GROUP}"));
        VerifierKey::parse(group["log_key"].as_str().expect("log_key")).expect("a verifier key")
    }

    /// The whole log, read tile by tile and verified against the signed
    /// checkpoint, parsed.
    fn log(&self) -> Log {
        let view = logview::read_verified(&self.address, &self.admin, GROUP);
        let entries = view
            .entries
            .iter()
            .enumerate()
            .map(|(i, bytes)| {
                Entry::parse(bytes)
                    .unwrap_or_else(|e| panic!("server {}: log entry {i}: {e}", self.name))
            })
            .collect();
        Log {
            checkpoint: view.checkpoint,
            entries,
        }
    }
}

/// A verified log's entries.
struct Log {
    checkpoint: Vec<u8>,
    entries: Vec<Entry>,
}

impl Log {
    /// The indexes of the entries of `kind` for `ballot`.
    fn of(&self, kind: &str, ballot: &str) -> Vec<usize> {
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.kind() == kind && e.get("ballot") == Some(ballot))
            .map(|(i, _)| i)
            .collect()
    }

    /// The indexes of the vote entries committing to `note`.
    fn votes_for(&self, note: &str) -> Vec<usize> {
        let hash = hash_text(note);
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.kind() == "vote" && e.get("note") == Some(hash.as_str()))
            .map(|(i, _)| i)
            .collect()
    }

    /// The `superseded` notifications of `ballot`: (index, person).
    fn superseded(&self, ballot: &str) -> Vec<(usize, String)> {
        self.of("notification", ballot)
            .into_iter()
            .filter(|&i| self.entries[i].get("reason") == Some("superseded"))
            .map(|i| {
                let person = self.entries[i].get("person").expect("a person header");
                (i, person.to_owned())
            })
            .collect()
    }

    /// The body of the one `tally` entry of `ballot`.
    fn tally(&self, ballot: &str) -> Value {
        let tallies = self.of("tally", ballot);
        assert_eq!(
            tallies.len(),
            1,
            "one tally entry for {ballot}: {tallies:?}"
        );
        serde_json::from_slice(self.entries[tallies[0]].body_bytes()).expect("a JSON tally")
    }

    /// Exactly one `roll`, one `close` and one `tally` entry for `ballot`.
    fn transitions_once(&self, ballot: &str, context: &str) {
        for kind in ["roll", "close", "tally"] {
            let found = self.of(kind, ballot);
            assert_eq!(
                found.len(),
                1,
                "{context}: exactly one {kind} entry for {ballot}, found at {found:?}"
            );
        }
    }
}

/// A group's registry: organisations with their classes, persons with
/// their organisation (all on the membership list), and attendance.
struct Registry {
    organisations: Vec<(String, &'static str)>,
    persons: Vec<(String, String)>,
    attendance: Vec<(&'static str, String, String)>,
}

impl Registry {
    /// `voters` delegates (person, organisation) of member organisations,
    /// each of which attended `kom` and `m2` through one of them, and the
    /// chair.
    fn new(voters: &[(&str, &str)]) -> Self {
        let mut organisations: Vec<(String, &'static str)> = Vec::new();
        let mut attendance = Vec::new();
        for (person, org) in voters {
            if !organisations.iter().any(|(o, _)| o == org) {
                organisations.push(((*org).to_owned(), "member"));
                for meeting in ["kom", "m2"] {
                    attendance.push((meeting, (*person).to_owned(), (*org).to_owned()));
                }
            }
        }
        organisations.push((CHAIR_ORG.to_owned(), "participant"));
        let persons = voters
            .iter()
            .map(|(p, o)| ((*p).to_owned(), (*o).to_owned()))
            .chain([(CHAIR.to_owned(), CHAIR_ORG.to_owned())])
            .collect();
        Self {
            organisations,
            persons,
            attendance,
        }
    }
}

/// Builds group `g` with `registry` through `client` and appoints the
/// chair; returns each person's bearer token. Persons are registered from
/// four threads at once.
fn build(client: &Client, registry: &Registry) -> BTreeMap<String, String> {
    client.admin(
        "POST",
        "/v1/groups",
        json!({"id": GROUP, "profile": "etsi-isg"}),
    );
    for (org, class) in &registry.organisations {
        client.admin(
            "PUT",
            &format!("/v1/groups/{GROUP}/organisations/{org}"),
            json!({"class": class, "from": "2025-01-01T00:00:00Z"}),
        );
    }
    let chunks: Vec<Vec<(String, String)>> = registry
        .persons
        .chunks(registry.persons.len().div_ceil(4))
        .map(<[_]>::to_vec)
        .collect();
    let workers: Vec<_> = chunks
        .into_iter()
        .map(|chunk| {
            let client = client.clone();
            std::thread::spawn(move || {
                chunk
                    .into_iter()
                    .map(|(person, org)| {
                        let token = register(&client, &person, &org);
                        (person, token)
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let tokens = workers
        .into_iter()
        .flat_map(|w| w.join().expect("a registration thread"))
        .collect();
    for (id, start, end, kick_off) in MEETINGS {
        client.admin(
            "PUT",
            &format!("/v1/groups/{GROUP}/meetings/{id}"),
            json!({"plenary": true, "format": "face-to-face", "kick_off": kick_off,
                   "start": start, "end": end}),
        );
    }
    let mut csv = String::from("name,meeting,person,organisation,mode\r\n");
    for (meeting, person, org) in &registry.attendance {
        csv.push_str(&format!(
            "\"Someone, {person}\",{meeting},{person},{org},physical\r\n"
        ));
    }
    let r = http::request(
        &client.address,
        "POST",
        &format!("/v1/groups/{GROUP}/attendance/import"),
        Some(&client.admin),
        Some("text/csv"),
        csv.as_bytes(),
    );
    assert_eq!(r.status, 201, "attendance import: {}", r.text());
    assert_eq!(r.json()["imported"], registry.attendance.len());
    client.admin(
        "POST",
        &format!("/v1/groups/{GROUP}/chair"),
        json!({ "person": CHAIR }),
    );
    tokens
}

/// An account with a token, registered in the group on the membership
/// list with its key; returns the token.
fn register(client: &Client, person: &str, org: &str) -> String {
    client.admin(
        "POST",
        "/v1/persons",
        json!({"id": person, "name": person, "email": format!("{person}@example.org")}),
    );
    let token = client.admin(
        "POST",
        &format!("/v1/persons/{person}/tokens"),
        json!({"label": "t"}),
    )["token"]
        .as_str()
        .expect("a token")
        .to_owned();
    client.admin(
        "PUT",
        &format!("/v1/groups/{GROUP}/persons/{person}"),
        json!({"organisation": org, "membership_list": true}),
    );
    client.admin(
        "POST",
        &format!("/v1/groups/{GROUP}/persons/{person}/keys"),
        json!({"key": key(person).verifier_key().encode()}),
    );
    token
}

/// The chair announces a correspondence ballot on `main`, open from
/// [`OPENS`] to [`CLOSES`].
fn announce(client: &Client, chair_token: &str, origin: &Origin, ballot: &str) {
    let note = AnnouncementNote {
        origin: origin.clone(),
        ballot: BallotId::new(ballot).expect("a ballot id"),
        kind: BallotKind::Correspondence,
        questions: vec![QuestionId::new("main").expect("a question id")],
        opens: Some(t(OPENS)),
        closes: t(CLOSES),
        subject: None,
    };
    let note = String::from_utf8(note.sign(&key(CHAIR)).expect("sign")).expect("UTF-8");
    let r = client.send(
        "POST",
        &format!("/v1/groups/{GROUP}/ballots"),
        Some(chair_token),
        &json!({ "announcement": note }),
    );
    assert_eq!(r.status, 201, "announce {ballot}: {}", r.text());
}

/// A signed vote note on `main`; the nonce is derived from `tag`, which
/// must differ between the notes of one ballot.
fn vote_note(
    origin: &Origin,
    ballot: &str,
    person: &str,
    org: &str,
    choice: &str,
    tag: &str,
) -> String {
    let seed = Hash::sha256(format!("{ballot}/{person}/{tag}").as_bytes());
    let mut nonce = [0; 16];
    nonce.copy_from_slice(&seed.as_bytes()[..16]);
    let vote = VoteNote {
        origin: origin.clone(),
        ballot: BallotId::new(ballot).expect("a ballot id"),
        question: QuestionId::new("main").expect("a question id"),
        organisation: OrgId::new(org).expect("an organisation id"),
        choice: ChoiceWord::new(choice).expect("a choice"),
        attachment: None,
        nonce,
    };
    String::from_utf8(vote.sign(&key(person)).expect("sign")).expect("UTF-8")
}

fn cast(address: &str, token: &str, ballot: &str, note: &str) -> Response {
    http::json(
        address,
        "POST",
        &format!("/v1/groups/{GROUP}/ballots/{ballot}/votes"),
        Some(token),
        &json!({ "note": note }),
    )
}

/// An accepted vote's answer: its index and receipt text.
struct Ack {
    index: u64,
    receipt: String,
}

/// Reads an accepted vote's answer (`status` 201, or 200 for a
/// resubmission) and checks its receipt: it verifies under the log key,
/// and its entry is the vote entry committing to `note`, at its index.
fn ack(r: &Response, status: u16, key: &VerifierKey, note: &str, what: &str) -> Ack {
    assert_eq!(r.status, status, "{what}: {}", r.text());
    let body = r.json();
    let index = body["index"]
        .as_u64()
        .unwrap_or_else(|| panic!("{what}: no index: {body}"));
    let text = body["receipt"]
        .as_str()
        .unwrap_or_else(|| panic!("{what}: no receipt: {body}"))
        .to_owned();
    let receipt = Receipt::parse(text.as_bytes())
        .unwrap_or_else(|e| panic!("{what}: the receipt is not a tlog-proof: {e}"));
    assert_eq!(
        receipt.index().get(),
        index,
        "{what}: the receipt's index is the answer's"
    );
    let entry = receipt
        .extra()
        .unwrap_or_else(|| panic!("{what}: the receipt carries no entry"))
        .to_vec();
    receipt
        .verify(&entry, key)
        .unwrap_or_else(|e| panic!("{what}: the receipt does not verify under the log key: {e}"));
    let entry = Entry::parse(&entry).unwrap_or_else(|e| panic!("{what}: receipt entry: {e}"));
    assert_eq!(entry.kind(), "vote", "{what}: the receipt's entry");
    assert_eq!(
        entry.get("note"),
        Some(hash_text(note).as_str()),
        "{what}: the receipt's entry commits to the note"
    );
    Ack {
        index,
        receipt: text,
    }
}

/// A server on a simulated clock at [`START`], with its client.
fn start(dir: &std::path::Path, extra: &[&str], name: &'static str) -> (Server, Client) {
    let mut flags = vec!["--simulated-clock", "--simulated-start", START];
    flags.extend_from_slice(extra);
    let server = Server::start(dir, &flags);
    let client = Client {
        address: server.address.clone(),
        admin: server.token.clone().unwrap_or_default(),
        name,
    };
    (server, client)
}

/// Moves the clocks of every client to `to` at the same moment, from one
/// thread each.
fn move_clocks(clients: &[&Client], to: &'static str) {
    let barrier = Arc::new(Barrier::new(clients.len()));
    let movers: Vec<_> = clients
        .iter()
        .map(|&client| {
            let (client, barrier) = (client.clone(), Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                client.clock(to);
            })
        })
        .collect();
    for mover in movers {
        mover.join().expect("a clock mover");
    }
}

/// Choices of the two delegates in each round: always different.
const PAIRS: [(&str, &str); 3] = [("yes", "no"), ("no", "abstain"), ("abstain", "yes")];
const ROUNDS: usize = 20;

#[test]
fn two_delegates_of_one_organisation_vote_at_the_same_moment() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (_server, client) = start(dir.path(), &[], "A");
    let tokens = build(
        &client,
        &Registry::new(&[("alice", "acme"), ("alex", "acme")]),
    );
    let origin = client.origin();
    let log_key = client.log_key();
    let ballots: Vec<String> = (1..=ROUNDS).map(|k| format!("R{k:02}")).collect();
    for ballot in &ballots {
        announce(&client, &tokens[CHAIR], &origin, ballot);
    }
    client.clock(OPENS);
    for ballot in &ballots {
        let open = client.wait_for(ballot, "open");
        assert_eq!(open["eligible"], json!(["acme"]), "{ballot}: the roll");
    }

    // Each round: both delegates at once, on the round's ballot.
    struct Cast {
        person: &'static str,
        choice: &'static str,
        note: String,
        index: u64,
        /// The signed checkpoint of its receipt: equal for two votes
        /// committed in one batch.
        checkpoint: Vec<u8>,
    }
    let mut rounds: Vec<(Cast, Cast)> = Vec::new();
    for (k, ballot) in ballots.iter().enumerate() {
        let (alice_choice, alex_choice) = PAIRS[k % PAIRS.len()];
        let barrier = Arc::new(Barrier::new(2));
        let racers: Vec<_> = [("alice", alice_choice), ("alex", alex_choice)]
            .into_iter()
            .map(|(person, choice)| {
                let note = vote_note(&origin, ballot, person, "acme", choice, "race");
                let (address, token) = (client.address.clone(), tokens[person].clone());
                let (ballot, barrier) = (ballot.clone(), Arc::clone(&barrier));
                std::thread::spawn(move || {
                    barrier.wait();
                    let r = cast(&address, &token, &ballot, &note);
                    (person, choice, note, r)
                })
            })
            .collect();
        let mut casts: Vec<Cast> = racers
            .into_iter()
            .map(|racer| {
                let (person, choice, note, r) = racer.join().expect("a voter thread");
                let what = format!("{ballot}: {person}'s vote ({choice})");
                let Ack { index, receipt } = ack(&r, 201, &log_key, &note, &what);
                let checkpoint = Receipt::parse(receipt.as_bytes())
                    .expect("checked")
                    .signed_checkpoint()
                    .to_vec();
                Cast {
                    person,
                    choice,
                    note,
                    index,
                    checkpoint,
                }
            })
            .collect();
        casts.sort_by_key(|c| c.index);
        let later = casts.pop().expect("two votes");
        let earlier = casts.pop().expect("two votes");
        assert_ne!(
            earlier.index, later.index,
            "{ballot}: two accepted votes at one index"
        );
        rounds.push((earlier, later));
    }
    let persons: BTreeSet<&str> = rounds.iter().map(|(_, later)| later.person).collect();
    let batched = rounds
        .iter()
        .filter(|(earlier, later)| earlier.checkpoint == later.checkpoint)
        .count();
    eprintln!(
        "note: of {ROUNDS} racing pairs, {batched} were committed in one batch; the later \
         vote came from {persons:?}"
    );

    // Before the close: two vote entries per ballot, no count.
    for ballot in &ballots {
        let read = client.ballot(ballot);
        assert_eq!(read["turnout"], 2, "{ballot}: turnout before the close");
        assert_eq!(read["counted"], Value::Null, "{ballot}: no count yet");
    }

    client.clock(CLOSES);
    let tallied: Vec<Value> = ballots
        .iter()
        .map(|b| client.wait_for(b, "tallied"))
        .collect();
    let log = client.log();
    for (ballot, ((earlier, later), read)) in ballots.iter().zip(rounds.iter().zip(&tallied)) {
        // The log: each vote once at its acknowledged index; the later
        // one followed by the earlier voter's notification.
        for cast in [earlier, later] {
            assert_eq!(
                log.votes_for(&cast.note),
                [cast.index as usize],
                "{ballot}: {}'s vote is in the log once, at its acknowledged index",
                cast.person
            );
        }
        let superseded = log.superseded(ballot);
        assert_eq!(
            superseded
                .iter()
                .map(|(_, p)| p.as_str())
                .collect::<Vec<_>>(),
            [earlier.person],
            "{ballot}: one `superseded` notification, for the earlier voter {} \
                 (index {}; the later vote, {}'s, is at {}): {superseded:?}",
            earlier.person,
            earlier.index,
            later.person,
            later.index
        );
        assert!(
            superseded[0].0 > later.index as usize,
            "{ballot}: the notification (at {}) follows the superseding vote (at {})",
            superseded[0].0,
            later.index
        );
        log.transitions_once(ballot, "one server");

        // The tally: the later vote counts, once, for acme.
        let counted = read["counted"].as_array().expect("counted, once tallied");
        assert_eq!(
            counted.len(),
            1,
            "{ballot}: acme is counted once: {counted:?}"
        );
        let winner = &counted[0];
        assert_eq!(
            (
                winner["note"].as_str(),
                winner["person"].as_str(),
                winner["organisation"].as_str(),
                winner["choice"].as_str(),
            ),
            (
                Some(hash_text(&later.note).as_str()),
                Some(later.person),
                Some("acme"),
                Some(later.choice),
            ),
            "{ballot}: the vote with the higher log index ({}, {} at {}) counts, not {}'s at {}",
            later.person,
            later.choice,
            later.index,
            earlier.person,
            earlier.index
        );
        let result = &read["results"][0];
        let expected = |choice: &str| u64::from(later.choice == choice);
        assert_eq!(
            (
                result["in_favour"].as_u64(),
                result["against"].as_u64(),
                result["abstain"].as_u64(),
                result["not_voted"].as_u64(),
                result["eligible"].as_u64(),
            ),
            (
                Some(expected("yes")),
                Some(expected("no")),
                Some(expected("abstain")),
                Some(0),
                Some(1),
            ),
            "{ballot}: the counts of one final vote, {}: {result}",
            later.choice
        );
        assert_eq!(read["turnout"], 2, "{ballot}: turnout");
        let tally = log.tally(ballot);
        assert_eq!(
            tally["counted"],
            json!([hash_text(&later.note)]),
            "{ballot}: the logged tally counts the later note only"
        );
        assert_eq!(tally["votes"], 2, "{ballot}: the logged tally's turnout");
    }
}

const ORGANISATIONS: usize = 30;
/// Every third organisation sends its note twice at the same moment.
const RESENT_EVERY: usize = 3;
const CHOICES: [&str; 3] = ["yes", "no", "abstain"];

#[test]
fn thirty_organisations_vote_at_once() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (_server, client) = start(dir.path(), &[], "A");
    let voters: Vec<(String, String)> = (1..=ORGANISATIONS)
        .map(|k| (format!("d{k:02}"), format!("o{k:02}")))
        .collect();
    let pairs: Vec<(&str, &str)> = voters
        .iter()
        .map(|(p, o)| (p.as_str(), o.as_str()))
        .collect();
    let tokens = build(&client, &Registry::new(&pairs));
    let origin = client.origin();
    let log_key = client.log_key();
    announce(&client, &tokens[CHAIR], &origin, "B1");

    // At the opening instant, without waiting for the scheduler: the first
    // votes find the roll due and sequence it, racing the scheduler.
    client.clock(OPENS);
    let notes: Vec<(String, String, &'static str, String)> = voters
        .iter()
        .enumerate()
        .map(|(k, (person, org))| {
            let choice = CHOICES[k % CHOICES.len()];
            let note = vote_note(&origin, "B1", person, org, choice, "once");
            (person.clone(), org.clone(), choice, note)
        })
        .collect();
    let senders: Vec<(usize, String)> = notes
        .iter()
        .enumerate()
        .flat_map(|(k, (person, ..))| {
            let times = if k % RESENT_EVERY == 0 { 2 } else { 1 };
            std::iter::repeat_n((k, person.clone()), times)
        })
        .collect();
    let barrier = Arc::new(Barrier::new(senders.len()));
    let threads: Vec<_> = senders
        .into_iter()
        .map(|(k, person)| {
            let (address, token) = (client.address.clone(), tokens[&person].clone());
            let (note, barrier) = (notes[k].3.clone(), Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                (k, cast(&address, &token, "B1", &note))
            })
        })
        .collect();
    let mut answers: BTreeMap<usize, Vec<Response>> = BTreeMap::new();
    for thread in threads {
        let (k, r) = thread.join().expect("a voter thread");
        answers.entry(k).or_default().push(r);
    }

    // Every vote accepted once: 201, and 200 with the same receipt for the
    // note sent twice.
    let mut acks: BTreeMap<usize, u64> = BTreeMap::new();
    for (k, responses) in &answers {
        let (person, org, choice, note) = &notes[*k];
        let what = format!("{person} for {org} ({choice})");
        let mut statuses: Vec<u16> = responses.iter().map(|r| r.status).collect();
        statuses.sort_unstable();
        let expected: &[u16] = if responses.len() == 2 {
            &[200, 201]
        } else {
            &[201]
        };
        assert_eq!(
            statuses,
            expected,
            "{what}: answers {:?}",
            responses.iter().map(Response::text).collect::<Vec<_>>()
        );
        let receipts: Vec<Ack> = responses
            .iter()
            .map(|r| {
                ack(
                    r,
                    r.status,
                    &log_key,
                    note,
                    &format!("{what}, {}", r.status),
                )
            })
            .collect();
        for other in &receipts[1..] {
            assert_eq!(
                (other.index, &other.receipt),
                (receipts[0].index, &receipts[0].receipt),
                "{what}: the resubmission answers the original index and receipt"
            );
        }
        acks.insert(*k, receipts[0].index);
    }
    let accepted = acks.len();
    assert_eq!(accepted, ORGANISATIONS, "every organisation's vote");
    let indexes: BTreeSet<u64> = acks.values().copied().collect();
    assert_eq!(indexes.len(), accepted, "distinct indexes: {acks:?}");

    let read = client.ballot("B1");
    assert_eq!(read["state"], "open");
    assert_eq!(
        read["turnout"], accepted,
        "turnout is the number of accepted votes"
    );
    let log = client.log();
    assert_eq!(
        log.of("roll", "B1").len(),
        1,
        "the roll is sequenced once although the votes raced to open the ballot"
    );
    assert_eq!(
        log.of("vote", "B1").len(),
        accepted,
        "the log holds the accepted votes and nothing else"
    );
    for (k, index) in &acks {
        let (person, ..) = &notes[*k];
        assert_eq!(
            log.votes_for(&notes[*k].3),
            [*index as usize],
            "{person}'s vote is in the log exactly once, at its acknowledged index"
        );
    }
    assert!(
        log.superseded("B1").is_empty(),
        "one delegate per organisation: nobody is superseded"
    );

    client.clock(CLOSES);
    let read = client.wait_for("B1", "tallied");
    let log = client.log();
    log.transitions_once("B1", "one server");
    assert_eq!(read["turnout"], accepted, "turnout after the tally");
    let counted: BTreeSet<&str> = read["counted"]
        .as_array()
        .expect("counted")
        .iter()
        .map(|c| c["note"].as_str().expect("a note hash"))
        .collect();
    let expected: BTreeSet<String> = notes.iter().map(|n| hash_text(&n.3)).collect();
    assert_eq!(
        counted,
        expected.iter().map(String::as_str).collect(),
        "every accepted vote is counted"
    );
    let tally = log.tally("B1");
    assert_eq!(tally["votes"], accepted, "the logged tally's turnout");
    let per_choice = |choice: &str| notes.iter().filter(|n| n.2 == choice).count() as u64;
    let result = &read["results"][0];
    assert_eq!(
        (
            result["in_favour"].as_u64(),
            result["against"].as_u64(),
            result["abstain"].as_u64(),
            result["not_voted"].as_u64(),
            result["eligible"].as_u64(),
        ),
        (
            Some(per_choice("yes")),
            Some(per_choice("no")),
            Some(per_choice("abstain")),
            Some(0),
            Some(ORGANISATIONS as u64),
        ),
        "the counts: {result}"
    );
}

#[test]
fn two_servers_on_one_postgres_database_schedule_each_transition_once() {
    let Some(pg) = TempPostgres::shared() else {
        return;
    };
    let url = pg.create_database(&TempPostgres::unique_name("concurrency"));
    let (dir_a, dir_b) = (
        tempfile::tempdir().expect("a temporary directory"),
        tempfile::tempdir().expect("a temporary directory"),
    );
    let (_a, a) = start(dir_a.path(), &["--database-url", &url], "A");
    assert!(!a.admin.is_empty(), "the first server prints the token");
    let key_file = dir_a.path().join("log.key");
    let key_file = key_file.to_str().expect("a UTF-8 path");
    let (_b, mut b) = start(
        dir_b.path(),
        &["--database-url", &url, "--log-key", key_file],
        "B",
    );
    assert!(
        b.admin.is_empty(),
        "the second server finds the bootstrap account"
    );
    b.admin = a.admin.clone();

    // The group and the ballot, through A.
    let tokens = build(
        &a,
        &Registry::new(&[("alice", "acme"), ("alex", "acme"), ("carol", "gamma")]),
    );
    let origin = a.origin();
    announce(&a, &tokens[CHAIR], &origin, "B1");
    assert_eq!(
        b.ballot("B1")["state"],
        "announced",
        "B serves the group A created"
    );
    assert_eq!(b.origin(), origin, "one origin through either server");
    let log_key = a.log_key();
    assert_eq!(
        b.log_key().encode(),
        log_key.encode(),
        "one log key through either server"
    );

    // Both clocks past the opening at the same moment: both schedulers
    // find the roll due.
    move_clocks(&[&a, &b], OPENS);
    for client in [&a, &b] {
        let open = client.wait_for("B1", "open");
        assert_eq!(open["eligible"], json!(["acme", "gamma"]), "the roll");
    }

    // Alex votes through A; alice, his colleague, supersedes him through
    // B (B must have folded A's vote with its note to know), and carol
    // votes through B.
    let alex = vote_note(&origin, "B1", "alex", "acme", "yes", "a");
    let r = cast(&a.address, &tokens["alex"], "B1", &alex);
    let alex_ack = ack(&r, 201, &log_key, &alex, "alex through A");
    let alice = vote_note(&origin, "B1", "alice", "acme", "no", "b");
    let r = cast(&b.address, &tokens["alice"], "B1", &alice);
    let alice_ack = ack(&r, 201, &log_key, &alice, "alice through B");
    // Carol sends her note through both servers at the same moment: one
    // records it (201), the other answers with the original (200).
    let carol = vote_note(&origin, "B1", "carol", "gamma", "yes", "b");
    let barrier = Arc::new(Barrier::new(2));
    let senders: Vec<_> = [&a, &b]
        .into_iter()
        .map(|client| {
            let (address, name) = (client.address.clone(), client.name);
            let (token, note) = (tokens["carol"].clone(), carol.clone());
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                (name, cast(&address, &token, "B1", &note))
            })
        })
        .collect();
    let answers: Vec<(&str, Response)> = senders
        .into_iter()
        .map(|s| s.join().expect("a voter thread"))
        .collect();
    let mut statuses: Vec<u16> = answers.iter().map(|(_, r)| r.status).collect();
    statuses.sort_unstable();
    assert_eq!(
        statuses,
        [200, 201],
        "carol's note through A and B at once: {:?}",
        answers
            .iter()
            .map(|(name, r)| format!("{name}: {} {}", r.status, r.text()))
            .collect::<Vec<_>>()
    );
    let carol_acks: Vec<Ack> = answers
        .iter()
        .map(|(name, r)| {
            ack(
                r,
                r.status,
                &log_key,
                &carol,
                &format!("carol through {name}"),
            )
        })
        .collect();
    assert_eq!(
        (carol_acks[0].index, &carol_acks[0].receipt),
        (carol_acks[1].index, &carol_acks[1].receipt),
        "both servers answer carol's note with the same index and receipt"
    );
    assert!(alice_ack.index > alex_ack.index);
    for client in [&a, &b] {
        assert_eq!(client.ballot("B1")["turnout"], 3, "server {}", client.name);
    }

    // Both clocks past the close at the same moment: both schedulers find
    // the close due, then the tally.
    move_clocks(&[&a, &b], CLOSES);
    let tallied: Vec<Value> = [&a, &b]
        .into_iter()
        .map(|client| client.wait_for("B1", "tallied"))
        .collect();
    // Two more scheduler periods on both servers: a transition sequenced
    // twice would show by now.
    std::thread::sleep(StdDuration::from_millis(2500));

    let (via_a, via_b) = (a.log(), b.log());
    assert_eq!(
        via_a.checkpoint, via_b.checkpoint,
        "both servers serve the same head"
    );
    for (log, name) in [(&via_a, "read through A"), (&via_b, "read through B")] {
        log.transitions_once("B1", name);
    }
    for (note, index, who) in [
        (&alex, alex_ack.index, "alex"),
        (&alice, alice_ack.index, "alice"),
        (&carol, carol_acks[0].index, "carol"),
    ] {
        assert_eq!(
            via_a.votes_for(note),
            [index as usize],
            "{who}'s vote is in the log once, at its acknowledged index"
        );
    }
    let superseded = via_a.superseded("B1");
    assert_eq!(
        superseded
            .iter()
            .map(|(_, p)| p.as_str())
            .collect::<Vec<_>>(),
        ["alex"],
        "alice's vote through B supersedes alex's through A: {superseded:?}"
    );
    for read in &tallied {
        let counted: BTreeSet<&str> = read["counted"]
            .as_array()
            .expect("counted")
            .iter()
            .map(|c| c["note"].as_str().expect("a note hash"))
            .collect();
        let expected: BTreeSet<String> = [&alice, &carol].map(|n| hash_text(n)).into();
        assert_eq!(
            counted,
            expected.iter().map(String::as_str).collect(),
            "the votes cast through B count, alex's superseded one does not"
        );
        let result = &read["results"][0];
        assert_eq!(
            (
                result["in_favour"].as_u64(),
                result["against"].as_u64(),
                result["not_voted"].as_u64()
            ),
            (Some(1), Some(1), Some(0)),
            "carol yes, alice no: {result}"
        );
    }
    assert_eq!(
        via_a.tally("B1")["counted"].as_array().map(Vec::len),
        Some(2),
        "the logged tally counts two notes"
    );

    // Carol's tokens revoked through A: A refuses her token at once; B,
    // which may have read it within the last second (its access cache,
    // docs/threat-model.md), refuses it within that second. Both servers
    // are polled, never timed.
    let me = |client: &Client| http::get(&client.address, "/v1/me", Some(&tokens["carol"])).status;
    assert_eq!((me(&a), me(&b)), (200, 200), "carol's token works on both");
    a.admin("DELETE", "/v1/persons/carol/tokens", json!({}));
    assert_eq!(me(&a), 401, "A refuses a token it revoked at once");
    let deadline = Instant::now() + StdDuration::from_secs(20);
    while me(&b) != 401 {
        assert!(
            Instant::now() < deadline,
            "B still accepts carol's revoked token after 20 s"
        );
        std::thread::sleep(StdDuration::from_millis(100));
    }
}
