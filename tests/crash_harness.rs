//! The crash harness: the real `scrutineer serve` binary, killed with
//! SIGKILL at random moments while many organisations' delegates vote, and
//! restarted, cycle after cycle, on SQLite and on PostgreSQL.
//!
//! The world: group `g` (ETSI ISG profile) with [`ORGANISATIONS`] founding
//! members, each with [`DELEGATES`] delegates holding registered keys, and
//! one correspondence ballot, open for the whole run. Voter threads cast
//! real SPEC section 4 vote notes, signed with the delegates' keys, each
//! with a fresh nonce: a delegate votes again and again, and two delegates
//! of one organisation overwrite each other, so supersession happens all
//! the time.
//!
//! Each cycle starts the server on the same storage, then:
//!
//! 1. checks the log it serves: not halted, every tile and entry bundle
//!    verifies against the signed checkpoint; every receipt ever issued
//!    still names its entry at its index; every checkpoint ever seen (in a
//!    receipt or as the head) has the root of the same-size prefix of the
//!    newest log, i.e. is consistent with the newest; and the server's own
//!    consistency proof from the previous head verifies;
//! 2. sends again every vote whose answer the last crash swallowed: it is
//!    answered 200 with the original receipt if it landed (at the index the
//!    log holds it) or 201 with a new one if it did not;
//! 3. lets the voters run and kills the server after a random delay.
//!
//! Every receipt is checked when it arrives (the tlog-proof verifies under
//! the log key: inclusion against its own signed checkpoint; its entry
//! commits to the note sent). At the end the ballot closes and is tallied
//! by the scheduler: no organisation is counted twice, each counts with its
//! vote of the highest log index, every vote in the log is one the harness
//! sent, no note is in the log twice; then `scrutineer export` and
//! `scrutineer verify` check the whole log independently.
//!
//! `SCRUTINEER_CRASH_CYCLES` sets the number of kills per database (a few
//! by default, to keep CI fast), `SCRUTINEER_CRASH_MAX_KILL_MS` the longest
//! a cycle runs before its kill (400 ms by default);
//! `SCRUTINEER_CRASH_SEED` replays a seed (the seed fixes the kill delays,
//! the voters' choices and nonces; the operating system's scheduling is
//! not reproducible). The PostgreSQL run
//! skips with a note when PostgreSQL is not installed, unless
//! `SCRUTINEER_REQUIRE_POSTGRES` is set. No assertion is about timing.

#![cfg(feature = "server")]

mod common;

use common::ballotlog::key_of as key;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::http;
use common::logview::{self, LogView};
use common::pg::TempPostgres;
use common::server::Server;
use common::world::{scrutineer, text};
use scrutineer::ballot::AnnouncementNote;
use scrutineer::entry::Entry;
use scrutineer::id::{BallotId, OrgId, QuestionId};
use scrutineer::note::key::VerifierKey;
use scrutineer::rules::BallotKind;
use scrutineer::time::Timestamp;
use scrutineer::tlog::checkpoint::Origin;
use scrutineer::tlog::receipt::Receipt;
use scrutineer::tlog::{Appender, Hash, leaf_hash};
use scrutineer::vote::{ChoiceWord, VoteNote};
use serde_json::{Value, json};

const GROUP: &str = "g";
const BALLOT: &str = "B1";
/// The simulated clock's first start; the ballot gets 44 days of notice
/// (ETSI: at least 30) and a month of voting.
const START: &str = "2026-06-01T00:00:00Z";
const OPENS: &str = "2026-07-15T00:00:00Z";
const CLOSES: &str = "2026-08-15T00:00:00Z";
const ORGANISATIONS: usize = 8;
const DELEGATES: usize = 2;
/// Voter threads; each one votes for every organisation, so that votes of
/// one organisation race each other.
const VOTERS: usize = 6;
/// The longest a cycle lets the voters run before the kill, unless
/// `SCRUTINEER_CRASH_MAX_KILL_MS` says otherwise: a shorter window writes
/// fewer votes per cycle, so that the long runs (1 000 kills) keep a log
/// whose re-verification at each restart stays affordable.
const MAX_KILL_DELAY_MS: u64 = 400;
const CHOICES: [&str; 3] = ["yes", "no", "abstain"];
const CHAIR: &str = "chair";
const CHAIR_ORG: &str = "chairco";

/// A tiny seeded generator (xorshift64*): enough for kill delays, choices
/// and nonces, without a dependency.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        // Never zero, the one state xorshift cannot leave.
        Self(seed ^ 0x9e37_79b9_7f4a_7c15 | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(text) => text
            .parse()
            .unwrap_or_else(|e| panic!("{name}={text:?} is not a number: {e}")),
        Err(_) => default,
    }
}

fn seed() -> u64 {
    match std::env::var("SCRUTINEER_CRASH_SEED") {
        Ok(_) => env_number("SCRUTINEER_CRASH_SEED", 0),
        Err(_) => {
            let mut bytes = [0; 8];
            getrandom::fill(&mut bytes).expect("entropy for the seed");
            u64::from_le_bytes(bytes)
        }
    }
}

fn t(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap_or_else(|e| panic!("time {text:?}: {e}"))
}

fn note_hash(note: &str) -> String {
    format!("sha256:{}", Hash::sha256(note.as_bytes()).to_hex())
}

fn delegate(org: usize, k: usize) -> String {
    format!("d{org:02}x{k}")
}

fn organisation(org: usize) -> String {
    format!("o{org:02}")
}

/// One HTTP request that may meet a dead server: `None` when the
/// connection fails or the answer is cut short (the answers this harness
/// reads carry a `content-length`).
fn try_request(address: &str, method: &str, path: &str, token: &str, body: &Value) -> Option<Sent> {
    let body = serde_json::to_vec(body).expect("serialise");
    let mut stream = TcpStream::connect(address).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .ok()?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\
         Authorization: Bearer {token}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).ok()?;
    stream.write_all(&body).ok()?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).ok()?;
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status: u16 = head.split(' ').nth(1)?.parse().ok()?;
    let length: usize = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(n, _)| n.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())?;
    let body = raw[split + 4..].to_vec();
    (body.len() == length).then_some(Sent { status, body })
}

/// A complete answer.
struct Sent {
    status: u16,
    body: Vec<u8>,
}

/// A vote the harness sent, by its note's hash.
#[derive(Clone)]
struct Cast {
    org: usize,
    person: String,
    note: String,
}

/// An accepted vote: the receipt's parts, checked when it arrived.
#[derive(Clone)]
struct Ack {
    note: String,
    index: u64,
    entry: Vec<u8>,
    checkpoint: Vec<u8>,
}

/// What a run saw, shared by the voter threads.
#[derive(Default)]
struct Seen {
    /// Every vote sent, by note hash.
    cast: BTreeMap<String, Cast>,
    /// Every receipt received (201, and 200 for a vote sent again).
    acks: Vec<Ack>,
    /// Votes sent whose answer never came (the server died).
    in_doubt: Vec<String>,
    /// Answers 503 (the server could not say): sent again later too.
    unavailable: usize,
}

/// Reads and checks an accepted vote's answer: the receipt verifies under
/// the log key (inclusion against its own signed checkpoint) and its entry
/// is a vote entry committing to `note`.
fn check_receipt(body: &[u8], log_key: &VerifierKey, note: &str) -> Ack {
    let body: Value = serde_json::from_slice(body).expect("a JSON receipt");
    let index = body["index"].as_u64().expect("an index");
    let text = body["receipt"].as_str().expect("a receipt");
    let receipt = Receipt::parse(text.as_bytes()).expect("a tlog-proof receipt");
    assert_eq!(receipt.index().get(), index, "the receipt's index");
    let entry = receipt
        .extra()
        .expect("the receipt carries its entry")
        .to_vec();
    let checkpoint = receipt
        .verify(&entry, log_key)
        .unwrap_or_else(|e| panic!("receipt {index} does not verify: {e}"));
    assert!(index < checkpoint.size().get());
    let parsed = Entry::parse(&entry).expect("a vote entry");
    assert_eq!(parsed.kind(), "vote");
    assert_eq!(parsed.get("note"), Some(note_hash(note).as_str()));
    Ack {
        note: note.to_owned(),
        index,
        entry,
        checkpoint: receipt.signed_checkpoint().to_vec(),
    }
}

/// One run of the harness on one database.
struct Harness {
    name: &'static str,
    data_dir: std::path::PathBuf,
    flags: Vec<String>,
    /// The longest a cycle lets the voters run before the kill.
    max_kill_ms: u64,
    admin: String,
    tokens: BTreeMap<String, String>,
    origin: Origin,
    log_key: VerifierKey,
    seen: Arc<Mutex<Seen>>,
    /// The newest head checked, to check the next one against.
    head: Option<Vec<u8>>,
    /// Every signed checkpoint seen, by size (a second root at one size
    /// would be a split view), with its root: its signature is verified
    /// once, when first seen; later sightings are compared byte for byte.
    checkpoints: BTreeMap<u64, (Vec<u8>, Hash)>,
    /// How many of `seen.acks` had their checkpoint remembered: a receipt
    /// never changes, so its checkpoint is opened once, while its entry is
    /// compared with the log's at every restart.
    acks_remembered: usize,
    receipts_checked: usize,
    resent_landed: usize,
    resent_new: usize,
}

impl Harness {
    fn start(&self) -> Server {
        let flags: Vec<&str> = self.flags.iter().map(String::as_str).collect();
        Server::start(&self.data_dir, &flags)
    }

    fn admin_send(&self, server: &Server, method: &str, path: &str, body: Value) -> Value {
        let r = http::json(&server.address, method, path, Some(&self.admin), &body);
        assert!(
            r.status < 300,
            "{}: {method} {path} {body}: {} {}",
            self.name,
            r.status,
            r.text()
        );
        r.json()
    }

    fn ballot(&self, server: &Server) -> Value {
        let path = format!("/v1/groups/{GROUP}/ballots/{BALLOT}");
        let r = http::get(&server.address, &path, Some(&self.admin));
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()
    }

    fn wait_for(&self, server: &Server, state: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let ballot = self.ballot(server);
            if ballot["state"] == state {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{}: the ballot did not become {state}: {ballot}",
                self.name
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Step 1 of a cycle: the log as served, against everything seen.
    fn check_log(&mut self, server: &Server) -> LogView {
        let view = logview::read_verified(&server.address, &self.admin, GROUP);
        let seen = Arc::clone(&self.seen);
        let seen = seen.lock().expect("seen");
        for (k, ack) in seen.acks.iter().enumerate() {
            assert!(
                ack.index < view.size,
                "{}: acknowledged vote at {} is beyond the log's {} entries: lost",
                self.name,
                ack.index,
                view.size
            );
            assert_eq!(
                view.entries[ack.index as usize], ack.entry,
                "{}: the acknowledged entry at {} is not in the log",
                self.name, ack.index
            );
            if k >= self.acks_remembered {
                let size = logview::open(&self.log_key, &ack.checkpoint).size().get();
                self.remember(size, &ack.checkpoint);
            }
        }
        self.acks_remembered = seen.acks.len();
        self.receipts_checked += seen.acks.len();
        drop(seen);
        self.remember(view.size, &view.checkpoint);
        // Every checkpoint seen has the root of the prefix of the newest
        // log of its size: the newest log only grew from it.
        let mut appender = Appender::new();
        let mut sizes = self.checkpoints.iter().peekable();
        for (k, entry) in view.entries.iter().enumerate() {
            while let Some(&(&size, (_, root))) = sizes.peek() {
                if size != k as u64 {
                    break;
                }
                self.check_prefix(size, root, &appender);
                sizes.next();
            }
            appender
                .append(leaf_hash(entry))
                .expect("a small log fits the appender");
        }
        for (&size, (_, root)) in sizes {
            assert_eq!(
                size, view.size,
                "{}: a checkpoint of {size} entries was seen but the log has {}",
                self.name, view.size
            );
            self.check_prefix(size, root, &appender);
        }
        if let Some(previous) = &self.head {
            view.verify_consistent_with(&server.address, previous);
        }
        self.head = Some(view.checkpoint.clone());
        view
    }

    /// Records a signed checkpoint; one of a size already seen must be the
    /// same bytes (signatures are deterministic, so another one would sign
    /// another root: a split view).
    fn remember(&mut self, size: u64, signed: &[u8]) {
        let log_key = &self.log_key;
        let (known, _) = self.checkpoints.entry(size).or_insert_with(|| {
            let root = *logview::open(log_key, signed).root();
            (signed.to_vec(), root)
        });
        assert_eq!(
            known.as_slice(),
            signed,
            "{}: two different checkpoints of {size} entries",
            self.name
        );
    }

    /// The checkpoint of `size` entries, whose verified root is `root`,
    /// against the newest log's prefix of that size.
    fn check_prefix(&self, size: u64, root: &Hash, prefix: &Appender) {
        assert_eq!(
            *root,
            prefix.root(),
            "{}: the checkpoint of {size} entries is not consistent with the newest log",
            self.name
        );
    }

    /// Step 2 of a cycle: every vote whose answer was lost, sent again.
    fn resend(&mut self, server: &Server, view: &LogView) {
        let in_doubt = std::mem::take(&mut self.seen.lock().expect("seen").in_doubt);
        let logged: BTreeMap<String, u64> = vote_entries(view)
            .into_iter()
            .map(|(index, hash)| (hash, index))
            .collect();
        for note in in_doubt {
            let cast = self.seen.lock().expect("seen").cast[&note_hash(&note)].clone();
            let r = try_request(
                &server.address,
                "POST",
                &format!("/v1/groups/{GROUP}/ballots/{BALLOT}/votes"),
                &self.tokens[&cast.person],
                &json!({ "note": cast.note }),
            )
            .expect("the restarted server answers");
            let landed = logged.get(&note_hash(&note));
            let ack = match (r.status, landed) {
                (200, Some(&index)) => {
                    let ack = check_receipt(&r.body, &self.log_key, &note);
                    assert_eq!(ack.index, index, "{}: the original receipt", self.name);
                    self.resent_landed += 1;
                    ack
                }
                (201, None) => {
                    self.resent_new += 1;
                    check_receipt(&r.body, &self.log_key, &note)
                }
                (status, landed) => panic!(
                    "{}: a vote sent again answered {status} (in the log: {landed:?}): {}",
                    self.name,
                    String::from_utf8_lossy(&r.body)
                ),
            };
            self.seen.lock().expect("seen").acks.push(ack);
        }
    }

    /// Step 3 of a cycle: voters until the kill.
    fn vote_and_kill(&self, server: Server, rng: &mut Rng) {
        let stop = Arc::new(AtomicBool::new(false));
        let voters: Vec<_> = (0..VOTERS)
            .map(|_| {
                let seed = rng.next();
                let (address, stop) = (server.address.clone(), Arc::clone(&stop));
                let (seen, tokens) = (Arc::clone(&self.seen), self.tokens.clone());
                let (origin, log_key) = (self.origin.clone(), self.log_key.clone());
                std::thread::spawn(move || {
                    voter(&address, &tokens, &origin, &log_key, &seen, &stop, seed);
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(rng.below(self.max_kill_ms + 1)));
        server.kill();
        stop.store(true, Ordering::SeqCst);
        for voter in voters {
            if let Err(panic) = voter.join() {
                std::panic::resume_unwind(panic);
            }
        }
    }
}

/// `(index, note hash)` of every vote entry of the ballot.
fn vote_entries(view: &LogView) -> Vec<(u64, String)> {
    view.entries
        .iter()
        .enumerate()
        .filter_map(|(index, bytes)| {
            let entry = Entry::parse(bytes).expect("a log entry");
            (entry.kind() == "vote" && entry.get("ballot") == Some(BALLOT))
                .then(|| (index as u64, entry.get("note").expect("a note").to_owned()))
        })
        .collect()
}

/// One voter thread: random organisation, delegate and choice, fresh nonce,
/// until the server dies or the cycle ends.
fn voter(
    address: &str,
    tokens: &BTreeMap<String, String>,
    origin: &Origin,
    log_key: &VerifierKey,
    seen: &Mutex<Seen>,
    stop: &AtomicBool,
    seed: u64,
) {
    let mut rng = Rng::new(seed);
    while !stop.load(Ordering::SeqCst) {
        let org = rng.below(ORGANISATIONS as u64) as usize;
        let person = delegate(org, rng.below(DELEGATES as u64) as usize);
        let mut nonce = [0; 16];
        nonce[..8].copy_from_slice(&rng.next().to_le_bytes());
        nonce[8..].copy_from_slice(&rng.next().to_le_bytes());
        let vote = VoteNote {
            origin: origin.clone(),
            ballot: BallotId::new(BALLOT).expect("a ballot id"),
            question: QuestionId::new("main").expect("a question id"),
            organisation: OrgId::new(&organisation(org)).expect("an organisation id"),
            choice: ChoiceWord::new(CHOICES[rng.below(3) as usize]).expect("a choice"),
            attachment: None,
            nonce,
        };
        let note = String::from_utf8(vote.sign(&key(&person)).expect("sign")).expect("UTF-8");
        seen.lock().expect("seen").cast.insert(
            note_hash(&note),
            Cast {
                org,
                person: person.clone(),
                note: note.clone(),
            },
        );
        let answer = try_request(
            address,
            "POST",
            &format!("/v1/groups/{GROUP}/ballots/{BALLOT}/votes"),
            &tokens[&person],
            &json!({ "note": note }),
        );
        match answer {
            None => {
                seen.lock().expect("seen").in_doubt.push(note);
                return;
            }
            Some(Sent { status: 201, body }) => {
                let ack = check_receipt(&body, log_key, &note);
                seen.lock().expect("seen").acks.push(ack);
            }
            Some(Sent { status: 503, .. }) => {
                let mut seen = seen.lock().expect("seen");
                seen.unavailable += 1;
                seen.in_doubt.push(note);
            }
            Some(Sent { status, body }) => panic!(
                "a fresh vote by {person} answered {status}: {}",
                String::from_utf8_lossy(&body)
            ),
        }
    }
}

/// Builds the group and the ballot on a first start; returns the delegates'
/// and the chair's tokens.
fn build(server: &Server, admin: &str) -> BTreeMap<String, String> {
    let send = |method: &str, path: &str, body: Value| {
        let r = http::json(&server.address, method, path, Some(admin), &body);
        assert!(r.status < 300, "{method} {path}: {} {}", r.status, r.text());
        r.json()
    };
    send(
        "POST",
        "/v1/groups",
        json!({"id": GROUP, "profile": "etsi-isg"}),
    );
    let mut persons = vec![(CHAIR.to_owned(), CHAIR_ORG.to_owned())];
    send(
        "PUT",
        &format!("/v1/groups/{GROUP}/organisations/{CHAIR_ORG}"),
        json!({"class": "participant", "from": "2026-01-01T00:00:00Z"}),
    );
    for org in 0..ORGANISATIONS {
        send(
            "PUT",
            &format!("/v1/groups/{GROUP}/organisations/{}", organisation(org)),
            json!({"class": "member", "founding": true, "from": "2026-01-01T00:00:00Z"}),
        );
        for k in 0..DELEGATES {
            persons.push((delegate(org, k), organisation(org)));
        }
    }
    send(
        "PUT",
        &format!("/v1/groups/{GROUP}/meetings/kom"),
        json!({"plenary": true, "format": "face-to-face", "kick_off": true,
               "start": "2026-02-01T09:00:00Z", "end": "2026-02-01T17:00:00Z"}),
    );
    let mut tokens = BTreeMap::new();
    for (person, org) in persons {
        send(
            "POST",
            "/v1/persons",
            json!({"id": person, "name": person, "email": format!("{person}@example.org")}),
        );
        let token = send(
            "POST",
            &format!("/v1/persons/{person}/tokens"),
            json!({"label": "t"}),
        )["token"]
            .as_str()
            .expect("a token")
            .to_owned();
        send(
            "PUT",
            &format!("/v1/groups/{GROUP}/persons/{person}"),
            json!({"organisation": org, "membership_list": true}),
        );
        send(
            "POST",
            &format!("/v1/groups/{GROUP}/persons/{person}/keys"),
            json!({"key": key(&person).verifier_key().encode()}),
        );
        tokens.insert(person, token);
    }
    send(
        "POST",
        &format!("/v1/groups/{GROUP}/chair"),
        json!({ "person": CHAIR }),
    );
    tokens
}

fn announce(server: &Server, chair_token: &str, origin: &Origin) {
    let note = AnnouncementNote {
        origin: origin.clone(),
        ballot: BallotId::new(BALLOT).expect("a ballot id"),
        kind: BallotKind::Correspondence,
        questions: vec![QuestionId::new("main").expect("a question id")],
        opens: Some(t(OPENS)),
        closes: t(CLOSES),
        subject: None,
    };
    let note = String::from_utf8(note.sign(&key(CHAIR)).expect("sign")).expect("UTF-8");
    let r = http::json(
        &server.address,
        "POST",
        &format!("/v1/groups/{GROUP}/ballots"),
        Some(chair_token),
        &json!({ "announcement": note }),
    );
    assert_eq!(r.status, 201, "announce: {}", r.text());
}

/// The whole run on one database: `extra` selects it (`--database-url`).
fn run(name: &'static str, data_dir: &Path, extra: &[String]) {
    let seed = seed();
    let cycles = env_number("SCRUTINEER_CRASH_CYCLES", 5);
    let max_kill_ms = env_number("SCRUTINEER_CRASH_MAX_KILL_MS", MAX_KILL_DELAY_MS);
    eprintln!(
        "crash harness ({name}): seed {seed}, {cycles} cycles, kills within {max_kill_ms} ms \
         (replay with SCRUTINEER_CRASH_SEED={seed} SCRUTINEER_CRASH_CYCLES={cycles} \
         SCRUTINEER_CRASH_MAX_KILL_MS={max_kill_ms})"
    );
    let mut rng = Rng::new(seed);
    let mut first = vec![
        "--simulated-clock".to_owned(),
        "--simulated-start".to_owned(),
        START.to_owned(),
    ];
    first.extend_from_slice(extra);
    let first: Vec<&str> = first.iter().map(String::as_str).collect();
    let server = Server::start(data_dir, &first);
    let admin = server
        .token
        .clone()
        .expect("the first start prints a token");
    let tokens = build(&server, &admin);
    let info = logview::group_info(&server.address, &admin, GROUP);
    let origin = Origin::new(info["origin"].as_str().expect("origin")).expect("an origin");
    let log_key = VerifierKey::parse(info["log_key"].as_str().expect("key")).expect("a key");
    announce(&server, &tokens[CHAIR], &origin);
    // Restarts put the simulated clock back at the opening: without
    // `--simulated-start` it would resume at the later of the log's last
    // entry time and the system time, which may be past the close. Entry
    // times never decrease whatever the clock says.
    let mut flags = vec![
        "--simulated-clock".to_owned(),
        "--simulated-start".to_owned(),
        OPENS.to_owned(),
    ];
    flags.extend_from_slice(extra);
    let mut harness = Harness {
        name,
        data_dir: data_dir.to_owned(),
        flags,
        max_kill_ms,
        admin,
        tokens,
        origin,
        log_key,
        seen: Arc::default(),
        head: None,
        checkpoints: BTreeMap::new(),
        acks_remembered: 0,
        receipts_checked: 0,
        resent_landed: 0,
        resent_new: 0,
    };
    harness.admin_send(&server, "POST", "/v1/clock", json!({ "to": OPENS }));
    harness.wait_for(&server, "open");
    let mut server = server;
    for cycle in 0..cycles {
        if cycle > 0 && cycle % 100 == 0 {
            eprintln!("crash harness ({name}): {cycle} of {cycles} cycles done");
        }
        let view = harness.check_log(&server);
        harness.resend(&server, &view);
        harness.vote_and_kill(server, &mut rng);
        server = harness.start();
    }
    let view = harness.check_log(&server);
    harness.resend(&server, &view);
    finish(&mut harness, &server);
    server.stop();
}

/// After the last restart: close, tally, and check the count and the
/// whole log independently.
fn finish(harness: &mut Harness, server: &Server) {
    harness.admin_send(server, "POST", "/v1/clock", json!({ "to": CLOSES }));
    harness.wait_for(server, "tallied");
    let view = harness.check_log(server);
    let seen = harness.seen.lock().expect("seen");
    let votes = vote_entries(&view);
    let mut latest: BTreeMap<usize, (u64, String)> = BTreeMap::new();
    let mut logged = BTreeSet::new();
    for (index, hash) in &votes {
        assert!(
            logged.insert(hash.clone()),
            "note {hash} is in the log twice"
        );
        let cast = seen
            .cast
            .get(hash)
            .unwrap_or_else(|| panic!("vote entry {index} commits to a note nobody sent"));
        latest.insert(cast.org, (*index, hash.clone()));
    }
    for ack in &seen.acks {
        assert!(
            logged.contains(&note_hash(&ack.note)),
            "acknowledged note at {} is not in the log",
            ack.index
        );
    }
    let ballot = harness.ballot(server);
    let counted = ballot["counted"].as_array().expect("counted, once tallied");
    let mut counted_orgs = BTreeSet::new();
    for c in counted {
        let org = c["organisation"].as_str().expect("an organisation");
        assert!(
            counted_orgs.insert(org.to_owned()),
            "{org} is counted twice: {counted:?}"
        );
    }
    let counted_notes: BTreeSet<&str> = counted
        .iter()
        .map(|c| c["note"].as_str().expect("a note"))
        .collect();
    let expected: BTreeSet<&str> = latest.values().map(|(_, h)| h.as_str()).collect();
    assert_eq!(
        counted_notes, expected,
        "each organisation counts with its vote of the highest log index"
    );
    let superseded = view
        .entries
        .iter()
        .filter(|bytes| {
            let entry = Entry::parse(bytes).expect("a log entry");
            entry.kind() == "notification" && entry.get("reason") == Some("superseded")
        })
        .count();
    assert!(
        superseded > 0 || votes.len() <= ORGANISATIONS,
        "{} votes for {ORGANISATIONS} organisations, and nobody was superseded",
        votes.len()
    );
    let summary = format!(
        "crash harness ({}): {} votes sent, {} acknowledged, {} vote entries in the log \
         ({} entries), {} in doubt after a kill (sent again: {} had landed, {} had not), \
         {} answered 503, {} `superseded` notifications, {} receipt checks, {} checkpoints \
         checked, {} organisations counted once each, 0 acknowledged votes lost",
        harness.name,
        seen.cast.len(),
        seen.acks.len(),
        votes.len(),
        view.size,
        harness.resent_landed + harness.resent_new,
        harness.resent_landed,
        harness.resent_new,
        seen.unavailable,
        superseded,
        harness.receipts_checked,
        harness.checkpoints.len(),
        counted_orgs.len()
    );
    drop(seen);
    export_and_verify(harness, server);
    eprintln!("{summary}");
}

/// `scrutineer export` of the ballot, then `scrutineer verify` of the
/// bundle with the pinned log key.
fn export_and_verify(harness: &Harness, server: &Server) {
    let work = tempfile::tempdir().expect("a temporary directory");
    let token_file = work.path().join("admin.token");
    std::fs::write(&token_file, format!("{}\n", harness.admin)).expect("write the token");
    let bundle = work.path().join("bundle");
    let log_key = harness.log_key.encode();
    let url = format!("http://{}", server.address);
    let path = |p: &Path| p.to_str().expect("a UTF-8 path").to_owned();
    let args = [
        "export".to_owned(),
        "--server".to_owned(),
        url,
        "--group".to_owned(),
        GROUP.to_owned(),
        "--log-key".to_owned(),
        log_key.clone(),
        "--token-file".to_owned(),
        path(&token_file),
        "--ballot".to_owned(),
        BALLOT.to_owned(),
        "--out".to_owned(),
        path(&bundle),
    ];
    let out = scrutineer(&args);
    assert!(
        out.status.success(),
        "export failed: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let out = scrutineer(&["verify", &path(&bundle), "--log-key", &log_key]);
    assert!(
        out.status.success(),
        "the exported bundle does not verify: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

#[test]
fn sqlite_survives_sigkill_at_random_moments() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    run("sqlite", dir.path(), &[]);
}

#[test]
fn postgres_survives_sigkill_at_random_moments() {
    let Some(pg) = TempPostgres::shared() else {
        return;
    };
    let url = pg.create_database(&TempPostgres::unique_name("crash"));
    let dir = tempfile::tempdir().expect("a temporary directory");
    run("postgres", dir.path(), &["--database-url".to_owned(), url]);
}
