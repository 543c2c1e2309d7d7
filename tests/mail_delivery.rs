//! Notices by e-mail against a real SMTP server on loopback (SPEC section
//! 9): `aiosmtpd` from PyPI (`tests/mail/relay.py`), an independent SMTP
//! implementation, and Python's e-mail parser with `icalendar`
//! (`tests/mail/parse.py`), an independent reading of what was sent.
//!
//! Both come from a virtual environment `mail-venv` in the target
//! directory (`.ci/run` makes it; override with `SCRUTINEER_MAIL_VENV`).
//! Without it these tests skip with a note, unless
//! `SCRUTINEER_REQUIRE_SMTP` is set (CI sets it).

#![cfg(feature = "server")]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::backups::{backup, restore, restore_tail};
use common::logview::read_verified;
use common::server::Server;
use common::world::{World, ok, strings};
use scrutineer::ballot::{DELIVERY_KIND, Delivery, DeliveryOutcome};
use scrutineer::entry::Entry;
use serde_json::{Value, json};

/// No write limits, for set-ups making several writes per member.
const UNLIMITED: [&str; 4] = [
    "--write-rate-per-person",
    "0",
    "--write-rate-per-address",
    "0",
];

/// The simulated clock's start: the announcement's time.
const START: &str = "2026-06-01T00:00:00Z";
const OPENS: &str = "2026-07-15T00:00:00Z";
const CLOSES: &str = "2026-08-15T00:00:00Z";

/// The Python interpreter of the venv with aiosmtpd and icalendar, or
/// `None` (with a note) when it is absent and not required.
fn python() -> Option<PathBuf> {
    let venv = std::env::var_os("SCRUTINEER_MAIL_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            // target/debug/scrutineer → target/mail-venv
            Path::new(env!("CARGO_BIN_EXE_scrutineer"))
                .parent()
                .and_then(Path::parent)
                .expect("the binary is in the target directory")
                .join("mail-venv")
        });
    let python = venv.join("bin/python");
    let usable = Command::new(&python)
        .args(["-c", "import aiosmtpd, icalendar"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if usable {
        return Some(python);
    }
    assert!(
        std::env::var_os("SCRUTINEER_REQUIRE_SMTP").is_none(),
        "SCRUTINEER_REQUIRE_SMTP is set but {} has no aiosmtpd and icalendar \
         (python3 -m venv {0}/.. && pip install aiosmtpd==1.4.6 icalendar==6.1.3)",
        python.display()
    );
    eprintln!(
        "note: skipped: no Python venv with aiosmtpd and icalendar at {}",
        venv.display()
    );
    None
}

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/mail")
        .join(name)
}

/// The relay, stopped when dropped.
struct Relay {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Relay {
    fn start(python: &Path, dir: &Path, port: u16) -> Self {
        Self::start_with(python, dir, port, &[])
    }

    /// A relay offering STARTTLS with `cert` and `key`, and refusing mail
    /// before it.
    fn start_tls(python: &Path, dir: &Path, cert: &Path, key: &Path) -> Self {
        Self::start_with(python, dir, 0, &[cert, key])
    }

    fn start_with(python: &Path, dir: &Path, port: u16, tls: &[&Path]) -> Self {
        let mut child = Command::new(python)
            .arg(script("relay.py"))
            .arg(dir)
            .arg(port.to_string())
            .args(tls)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the relay");
        let stdout = child.stdout.take().expect("piped");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the relay's first line");
        let port = line
            .trim()
            .strip_prefix("ready ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("the relay said {line:?}"));
        Self {
            child,
            port,
            dir: dir.to_owned(),
        }
    }

    fn url(&self) -> String {
        format!("smtp+plain://127.0.0.1:{}", self.port)
    }

    /// The messages received, as the independent parser reads them.
    fn messages(&self, python: &Path) -> Vec<Value> {
        let out = Command::new(python)
            .arg(script("parse.py"))
            .arg(&self.dir)
            .output()
            .expect("run parse.py");
        assert!(
            out.status.success(),
            "parse.py: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .expect("UTF-8")
            .lines()
            .map(|l| serde_json::from_str(l).expect("JSON"))
            .collect()
    }

    fn count(&self) -> usize {
        std::fs::read_dir(&self.dir)
            .map(|d| {
                d.filter(|e| {
                    e.as_ref()
                        .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".eml"))
                })
                .count()
            })
            .unwrap_or(0)
    }

    fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.halt();
    }
}

/// A server on a simulated clock (from [`START`]) sending through
/// `smtp_url`.
fn server(data: &Path, smtp_url: &str, extra: &[&str]) -> Server {
    Server::start(data, &server_flags(smtp_url, true, extra))
}

/// The flags of [`server`]; without `--simulated-start` when `fresh` is
/// false (a restart resumes the simulated clock from the log).
fn server_flags<'a>(smtp_url: &'a str, fresh: bool, extra: &[&'a str]) -> Vec<&'a str> {
    let mut flags = vec!["--simulated-clock"];
    if fresh {
        flags.extend(["--simulated-start", START]);
    }
    flags.extend([
        "--smtp-url",
        smtp_url,
        "--mail-from",
        "Scrutineer <vote@scrutineer.test>",
        "--public-url",
        "https://vote.example.org",
    ]);
    flags.extend_from_slice(extra);
    flags
}

/// What most tests here run on, on fresh directories: the relay (in
/// `work/relay`), a [`server`] sending through it with `extra` flags, and
/// group ETI ([`world`]) with `others` of dorset. Fields drop in order:
/// the server, then the relay, then the directories.
struct Mail {
    w: World,
    relay: Relay,
    python: PathBuf,
    extra: Vec<String>,
    data: tempfile::TempDir,
    _work: tempfile::TempDir,
}

impl Mail {
    /// The set-up, or `None` when the venv is absent (the test skips,
    /// with the note of [`python`]).
    fn start(others: &[&str], extra: &[&str]) -> Option<Self> {
        let python = python()?;
        let data = tempfile::tempdir().expect("temporary directory");
        let work = tempfile::tempdir().expect("temporary directory");
        let relay = Relay::start(&python, &work.path().join("relay"), 0);
        let w = world(
            server(data.path(), &relay.url(), extra),
            work.path(),
            others,
        );
        Some(Self {
            w,
            relay,
            python,
            extra: strings(extra),
            data,
            _work: work,
        })
    }

    /// The messages the relay received, as the independent parser reads
    /// them.
    fn messages(&self) -> Vec<Value> {
        self.relay.messages(&self.python)
    }

    /// SIGKILLs the server and starts it again on the same data, with the
    /// same flags, its simulated clock resumed.
    fn killed_and_restarted(self) -> Self {
        self.killed_and_started_with(Server::start)
    }

    /// [`Mail::killed_and_restarted`], the server started by `start` with
    /// the data directory and the flags.
    fn killed_and_started_with(self, start: impl FnOnce(&Path, &[&str]) -> Server) -> Self {
        let Self {
            w,
            relay,
            python,
            extra,
            data,
            _work,
        } = self;
        let World {
            server: killed,
            token,
            work,
        } = w;
        killed.kill();
        let url = relay.url();
        let extra_flags: Vec<&str> = extra.iter().map(String::as_str).collect();
        let server = start(data.path(), &server_flags(&url, false, &extra_flags));
        Self {
            w: World {
                server,
                token,
                work,
            },
            relay,
            python,
            extra,
            data,
            _work,
        }
    }

    /// Stops the relay (the server's attempts are refused).
    fn relay_down(&mut self) {
        self.relay.halt();
    }

    /// Starts the relay again on the same port and directory.
    fn relay_up(&mut self) {
        let (port, dir) = (self.relay.port, self.relay.dir.clone());
        self.relay = Relay::start(&self.python, &dir, port);
    }
}

/// Group ETI with organisations cadzow and dorset; alice and carol (the
/// chair) of cadzow from `World::eti_group`, and `others` of dorset, all
/// on the membership list.
fn world(server: Server, work: &Path, others: &[&str]) -> World {
    let token = server.token.clone().expect("first start prints the token");
    let w = World {
        server,
        token,
        work: work.to_owned(),
    };
    w.eti_group(&["cadzow", "dorset"]);
    for person in others {
        w.account(person);
        w.send(
            "PUT",
            &format!("/v1/groups/ETI/persons/{person}"),
            json!({"organisation": "dorset", "membership_list": true}),
        );
    }
    w
}

/// The chair announces ballot `ballot`.
fn announce(w: &World, ballot: &str) {
    let mut args = strings(&["announce"]);
    args.extend(w.server_flags());
    args.extend(strings(&[
        "--log-key",
        &w.path_str("log.vkey"),
        "--token-file",
        &w.path_str("carol.token"),
        "--key",
        &w.path_str("carol.key"),
        "--ballot",
        ballot,
        "--kind",
        "correspondence",
        "--opens",
        OPENS,
        "--closes",
        CLOSES,
    ]));
    let out = ok(&args);
    assert!(out.contains(&format!("announced {ballot}")), "{out}");
}

/// The `delivery` entries of the log, by notification index, and the
/// notifications' persons by index.
fn deliveries(w: &World) -> (BTreeMap<u64, Delivery>, BTreeMap<u64, String>) {
    let view = read_verified(&w.server.address, &w.token, "ETI");
    let mut delivered = BTreeMap::new();
    let mut notified = BTreeMap::new();
    for (index, bytes) in view.entries.iter().enumerate() {
        let entry = Entry::parse(bytes).expect("entry");
        if entry.kind() == DELIVERY_KIND {
            let d = Delivery::from_entry(&entry).expect("delivery");
            let bytes = String::from_utf8_lossy(bytes);
            assert!(!bytes.contains('@'), "no address in the log: {bytes}");
            assert!(
                delivered.insert(d.notification, d).is_none(),
                "one delivery per notification"
            );
        } else if entry.kind() == "notification" {
            notified.insert(
                index as u64,
                entry.get("person").expect("person").to_owned(),
            );
        }
    }
    (delivered, notified)
}

/// Asserts that every delivery logged was accepted by the relay.
fn every_accepted(delivered: &BTreeMap<u64, Delivery>) {
    assert!(
        delivered
            .values()
            .all(|d| d.outcome == DeliveryOutcome::Accepted),
        "{delivered:?}"
    );
}

/// How many notices of ETI's outbox are retrying (tried and failed,
/// to be tried again).
fn retrying(w: &World) -> usize {
    let r = common::http::get(
        &w.server.address,
        "/v1/groups/ETI/outbox?state=retrying",
        Some(&w.token),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["deliveries"].as_array().map_or(0, Vec::len)
}

/// Waits (bounded) until `done` holds.
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The announcement reaches every person on the membership list, with a
/// calendar part an independent parser reads back; a 550 address fails at
/// once; each outcome is a `delivery` entry naming the notification and
/// the person, without the address; the secretariat sees the outbox.
#[test]
fn an_announcement_reaches_every_member_with_its_calendar_and_is_logged() {
    let Some(m) = Mail::start(&["dave", "erin", "bounce1"], &[]) else {
        return;
    };
    let (w, relay, python) = (&m.w, &m.relay, &m.python);
    announce(w, "B1");
    wait_until("five delivery entries", || deliveries(w).0.len() == 5);
    let (delivered, notified) = deliveries(w);
    assert_eq!(notified.len(), 5, "one notification per member");
    let mut accepted = BTreeSet::new();
    for (index, d) in &delivered {
        assert_eq!(
            notified[index],
            d.person.as_str(),
            "the notification's person"
        );
        match d.outcome {
            DeliveryOutcome::Accepted => {
                assert!(d.reply.starts_with("250 "), "{}", d.reply);
                accepted.insert(d.person.to_string());
            }
            DeliveryOutcome::Failed => {
                assert_eq!(d.person.as_str(), "bounce1");
                assert!(d.reply.contains("550"), "{}", d.reply);
            }
        }
    }
    let expected: BTreeSet<String> = ["alice", "carol", "dave", "erin"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    assert_eq!(accepted, expected);

    // What the relay received, read by Python's parsers.
    let messages = relay.messages(python);
    assert_eq!(messages.len(), 4, "{messages:?}");
    let mut to = BTreeSet::new();
    let mut uids = BTreeSet::new();
    let mut ids = BTreeSet::new();
    for m in &messages {
        to.insert(m["to"].as_str().expect("To").to_owned());
        ids.insert(m["message_id"].as_str().expect("Message-ID").to_owned());
        assert!(
            m["subject"]
                .as_str()
                .expect("Subject")
                .contains("Ballot B1 announced"),
            "{m}"
        );
        let text = m["text"].as_str().expect("a text part");
        assert!(
            text.contains("https://vote.example.org/groups/ETI/ballots/B1"),
            "{text}"
        );
        let c = &m["calendar"];
        assert_eq!(c["method"], "PUBLISH", "{m}");
        assert_eq!(c["content_type_method"], "PUBLISH", "{m}");
        assert_eq!(c["crlf"], true, "{m}");
        assert!(c["longest_line"].as_u64().expect("n") <= 75, "{m}");
        assert_eq!(c["sequence"], 0);
        assert_eq!(c["dtstart"], "2026-07-15T00:00:00+00:00");
        assert_eq!(c["dtend"], "2026-08-15T00:00:00+00:00");
        assert!(
            c["dtstamp"]
                .as_str()
                .expect("stamp")
                .starts_with("2026-06-01T"),
            "the notification's time: {m}"
        );
        assert_eq!(c["url"], "https://vote.example.org/groups/ETI/ballots/B1");
        uids.insert(c["uid"].as_str().expect("UID").to_owned());
    }
    assert_eq!(uids.len(), 1, "one UID per ballot");
    assert_eq!(ids.len(), 4, "one Message-ID per notice");
    for person in &expected {
        assert!(
            to.iter()
                .any(|t| t.contains(&format!("<{person}@example.org>"))),
            "{person} in {to:?}"
        );
    }

    // The secretariat's view of the outbox.
    let r = common::http::get(
        &w.server.address,
        "/v1/groups/ETI/outbox?state=failed",
        Some(&w.token),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let body = r.json();
    let failed = body["deliveries"].as_array().expect("deliveries");
    assert_eq!(failed.len(), 1, "{body}");
    assert_eq!(failed[0]["person"], "bounce1");
    assert_eq!(body["counts"]["accepted"], 4, "{body}");
    let alice = common::http::get(
        &w.server.address,
        "/v1/groups/ETI/outbox",
        Some(&read_token(w, "alice")),
    );
    assert_eq!(alice.status, 403, "a delegate does not see the outbox");

    // The same rows on the secretariat's deliveries page.
    let secretariat = web_session(w, &w.token);
    let page = common::http::with_headers(
        &w.server.address,
        "GET",
        "/groups/ETI/deliveries?state=failed",
        &[("Cookie", &secretariat)],
        b"",
    );
    assert_eq!(page.status, 200, "{}", page.text());
    let text = page.text();
    assert!(
        text.contains("<td>bounce1</td>") && text.contains("550"),
        "{text}"
    );
    assert!(!text.contains("not-sending"), "a relay is configured");
    assert!(!text.contains("@example.org"), "no address on the page");
    let delegate = web_session(w, &read_token(w, "alice"));
    let refused = common::http::with_headers(
        &w.server.address,
        "GET",
        "/groups/ETI/deliveries",
        &[("Cookie", &delegate)],
        b"",
    );
    assert_eq!(refused.status, 403, "a delegate does not see the page");
}

/// Signs in on the web with `token`; the session cookie pair.
fn web_session(w: &World, token: &str) -> String {
    let page = common::http::request(&w.server.address, "GET", "/sign-in", None, None, b"");
    let cookie = page.cookie_pair("scrutineer_sign_in").expect("cookie");
    let csrf = page.hidden("csrf").expect("csrf");
    let r = common::http::post_form(
        &w.server.address,
        "/sign-in",
        &cookie,
        &[("csrf", &csrf), ("token", token)],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    r.cookie_pair("scrutineer_session").expect("a session")
}

fn read_token(w: &World, person: &str) -> String {
    std::fs::read_to_string(w.path(&format!("{person}.token")))
        .expect("token file")
        .trim()
        .to_owned()
}

/// A relay that answers 451 twice, then 250: the notice is retried with
/// back-off on the server's clock (moved forward here) and logged once,
/// accepted.
#[test]
fn a_temporary_failure_is_retried_until_the_relay_accepts() {
    let Some(m) = Mail::start(&[], &[]) else {
        return;
    };
    let (w, relay) = (&m.w, &m.relay);
    let dir = &relay.dir;
    std::fs::write(dir.join("tempfail"), "2").expect("write");
    announce(w, "B1");
    // Two notices (alice, carol): the first two attempts get 451.
    wait_until("the 451s", || {
        std::fs::read_to_string(dir.join("tempfail")).is_ok_and(|t| t.trim() == "0")
    });
    let mut rounds = 0;
    wait_until("two accepted deliveries", || {
        let (delivered, _) = deliveries(w);
        if delivered.len() == 2 {
            return true;
        }
        // The back-off runs on the server's (simulated) clock.
        w.send("POST", "/v1/clock", json!({"advance_seconds": 600}));
        rounds += 1;
        false
    });
    assert!(rounds > 0, "the retries waited for the clock");
    let (delivered, _) = deliveries(w);
    every_accepted(&delivered);
    assert_eq!(relay.count(), 2, "each accepted once");
}

/// The relay is down when the ballot is announced, then comes back on the
/// same port: the notices wait, are retried, and all get through.
#[test]
fn notices_wait_for_a_relay_that_is_down() {
    let Some(mut m) = Mail::start(&["dave"], &[]) else {
        return;
    };
    m.relay_down();
    let w = &m.w;
    announce(w, "B1");
    // Attempts fail (connection refused) while it is down.
    wait_until("a failed attempt", || retrying(w) > 0);
    m.relay_up();
    let w = &m.w;
    wait_until("three accepted deliveries", || {
        if deliveries(w).0.len() == 3 {
            return true;
        }
        w.send("POST", "/v1/clock", json!({"advance_seconds": 600}));
        false
    });
    assert_eq!(m.relay.count(), 3);
}

/// Notices due while their log is not served (refused at start-up, here
/// after a database restore) wait for it: not counted as attempts, never
/// given up on for it, and nothing of the server's error (it names the
/// server's files) reaches the rows or the log. When the restore is
/// completed from a bundle, long past their give-up time, they are sent
/// and accepted.
#[test]
fn notices_wait_for_a_refused_log_and_are_not_given_up_on_for_it() {
    let Some(mut m) = Mail::start(&[], &[]) else {
        return;
    };
    m.relay_down();
    announce(&m.w, "B1");
    let w = &m.w;
    wait_until("the two notices retrying", || retrying(w) == 2);
    // A backup, one entry more, and the bundle that holds it.
    let old = m.data.path().join("old.db");
    backup(m.data.path(), &old);
    let r = common::http::put_organisation(&w.server.address, &w.token, "ETI", "later");
    assert_eq!(r.status, 201, "{}", r.text());
    let bundle = w.export("alice", "B1", "bundle");

    // The backup restored: the log is refused, and the notices, due past
    // their give-up time (96 hours after the notification), wait.
    m.relay_up();
    let log = m.data.path().join("server.log");
    let m = m.killed_and_started_with(|data, flags| {
        restore(data, &old);
        Server::start_logging_to(data, flags, &log)
    });
    let w = &m.w;
    let r = common::http::get(&w.server.address, "/v1/groups/ETI/log/checkpoint", None);
    assert_eq!(r.status, 503, "refused: {}", r.text());
    w.send("POST", "/v1/clock", json!({"to": "2026-06-08T00:00:00Z"}));
    wait_until("the dispatcher waiting for the log", || {
        std::fs::read_to_string(&log).is_ok_and(|l| l.contains("notices wait"))
    });
    assert_eq!(m.relay.count(), 0, "nothing sent for a refused log");

    // The tail put back from the bundle: served, the notices still owed,
    // still at their one attempt, saying only that they waited.
    let m = m.killed_and_started_with(|data, flags| {
        let output = restore_tail(data, &["--group", "ETI", "--bundle", &bundle]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        Server::start(data, flags)
    });
    let w = &m.w;
    let r = common::http::get(&w.server.address, "/v1/groups/ETI/outbox", Some(&w.token));
    assert_eq!(r.status, 200, "{}", r.text());
    let owed = r.json();
    let rows = owed["deliveries"].as_array().expect("deliveries");
    assert_eq!(rows.len(), 2, "{owed}");
    for row in rows {
        assert_eq!(row["attempts"], 1, "waiting is no attempt: {owed}");
        assert_eq!(
            row["last_reply"], "waiting for the group's log to be served",
            "{owed}"
        );
    }
    // The restarted clock resumed at the log's last entry: the time the
    // refused server had reached, and a little more.
    w.send("POST", "/v1/clock", json!({"to": "2026-06-08T00:01:00Z"}));
    wait_until("two accepted deliveries", || deliveries(w).0.len() == 2);
    let (delivered, _) = deliveries(w);
    every_accepted(&delivered);
    assert_eq!(m.relay.count(), 2);
}

/// SIGKILL while a batch of notices is being delivered, then a restart:
/// every notice is delivered and logged once; a message the relay got
/// twice carries the same Message-ID both times.
#[test]
fn a_killed_server_loses_no_notice() {
    let others: Vec<String> = (0..40).map(|i| format!("m{i:02}")).collect();
    let others: Vec<&str> = others.iter().map(String::as_str).collect();
    let Some(m) = Mail::start(&others, &["--mail-lease-seconds", "2"]) else {
        return;
    };
    announce(&m.w, "B1");
    // Kill as soon as the first messages arrive.
    wait_until("the first messages", || m.relay.count() >= 3);
    let m = m.killed_and_restarted();
    let before = m.relay.count();
    let (w, relay, python) = (&m.w, &m.relay, &m.python);
    wait_until("42 delivery entries", || deliveries(w).0.len() == 42);
    let (delivered, notified) = deliveries(w);
    assert_eq!(notified.len(), 42);
    every_accepted(&delivered);
    let messages = relay.messages(python);
    let mut by_id: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for m in &messages {
        by_id
            .entry(m["message_id"].as_str().expect("id").to_owned())
            .or_default()
            .insert(m["to"].as_str().expect("to").to_owned());
    }
    assert_eq!(by_id.len(), 42, "every notice arrived");
    assert!(
        by_id.values().all(|to| to.len() == 1),
        "a Message-ID names one notice"
    );
    eprintln!(
        "{} messages before the kill, {} in all for 42 notices ({} duplicates)",
        before,
        messages.len(),
        messages.len() - 42
    );
}

/// The bytes of an attachment as `parse.py` gives them (hexadecimal).
fn attached_bytes(attachment: &Value) -> Vec<u8> {
    let hex = attachment["hex"].as_str().expect("the attachment's bytes");
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hexadecimal"))
        .collect()
}

/// The receipts the relay received, by voter (the `To` address) and then
/// by Message-ID, with how many copies of each.
fn receipts_by_voter(messages: &[Value]) -> BTreeMap<String, BTreeMap<String, usize>> {
    let mut by_voter: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for m in with_subject(messages, "Your vote on ballot B1 is recorded") {
        *by_voter
            .entry(m["to"].as_str().expect("To").to_owned())
            .or_default()
            .entry(m["message_id"].as_str().expect("Message-ID").to_owned())
            .or_default() += 1;
    }
    by_voter
}

/// Checks the receipt mailed to `person`: attached byte for byte as the
/// CLI wrote it from the vote's answer (in `dir`), and accepted by
/// `scrutineer receipt verify` against the server's current log.
fn check_mailed_receipt(
    w: &World,
    messages: &[Value],
    person: &str,
    dir: &str,
    organisation: &str,
) {
    let receipts = with_subject(messages, "Your vote on ballot B1 is recorded");
    let m = addressed_to(&receipts, person);
    let stem = format!("B1-main-{organisation}");
    let attached = &m["attachments"][0];
    assert_eq!(attached["filename"], format!("{stem}.tlog-proof"), "{m}");
    let mailed = attached_bytes(attached);
    let answered =
        std::fs::read(w.path(dir).join(format!("{stem}.tlog-proof"))).expect("the CLI's receipt");
    assert_eq!(mailed, answered, "the receipt the vote's answer carried");
    let file = w.path(&format!("{person}-mailed.tlog-proof"));
    std::fs::write(&file, &mailed).expect("write");
    let mut args = strings(&["receipt", "verify", file.to_str().expect("UTF-8")]);
    args.extend(w.server_flags());
    args.extend(strings(&[
        "--log-key",
        &w.path_str("log.vkey"),
        "--vote",
        w.path(dir)
            .join(format!("{stem}.vote"))
            .to_str()
            .expect("UTF-8"),
    ]));
    let out = ok(&args);
    assert!(out.contains("ok: the entry is the vote entry for"), "{out}");
}

/// A vote's receipt is queued by the vote's own append transaction:
/// twelve votes sent at once while the relay is down, the server
/// SIGKILLed as soon as the first is acknowledged (before it could send
/// anything, and while the others' answers are going out), then restarted
/// with the relay back: every acknowledged vote's receipt arrives, once,
/// attached byte for byte as the vote's answer carried it, and
/// `scrutineer receipt verify` accepts it. (Twelve: fewer than the 16
/// receipts the server once queued at most at a time, so that only a
/// receipt written after its vote's commit, not that cap, fails this.)
#[test]
fn receipts_are_mailed_after_a_kill_right_after_their_votes() {
    let voters: Vec<String> = (0..12).map(|i| format!("v{i:02}")).collect();
    let voters: Vec<&str> = voters.iter().map(String::as_str).collect();
    let mut extra = vec!["--mail-lease-seconds", "2"];
    extra.extend(UNLIMITED);
    let Some(mut m) = Mail::start(&voters, &extra) else {
        return;
    };
    for voter in &voters {
        m.w.key(voter);
    }
    announce(&m.w, "B1");
    wait_until("the announcement's deliveries", || {
        deliveries(&m.w).0.len() == voters.len() + 2
    });
    m.w.advance_days(45);
    m.w.wait_for("B1", "open");
    m.relay_down();
    let w = &m.w;
    let pid = w.server.pid().to_string();
    let acknowledged: Vec<&str> = std::thread::scope(|scope| {
        let (done, results) = std::sync::mpsc::channel();
        for voter in &voters {
            let done = done.clone();
            scope.spawn(move || {
                let args = w.vote_args(
                    voter,
                    &format!("{voter}.key"),
                    "B1",
                    "dorset",
                    "yes",
                    &format!("{voter}-votes"),
                );
                let out = common::world::scrutineer(&args);
                let _ = done.send((*voter, out.status.success()));
            });
        }
        drop(done);
        let mut acknowledged = Vec::new();
        for (voter, success) in results {
            if success {
                if acknowledged.is_empty() {
                    // The server this test started, by its id.
                    let killed = Command::new("kill")
                        .args(["-KILL", &pid])
                        .status()
                        .expect("kill");
                    assert!(killed.success());
                }
                acknowledged.push(voter);
            }
        }
        acknowledged
    });
    assert!(!acknowledged.is_empty(), "a vote was acknowledged");
    let mut m = m.killed_and_restarted();
    m.relay_up();
    let w = &m.w;
    let has_receipt = |receipts: &BTreeMap<String, BTreeMap<String, usize>>, voter: &str| {
        receipts.keys().any(|to| to.contains(&format!("<{voter}@")))
    };
    wait_until("every acknowledged vote's receipt", || {
        let receipts = receipts_by_voter(&m.messages());
        if acknowledged.iter().all(|v| has_receipt(&receipts, v)) {
            return true;
        }
        // An attempt refused while the relay was down waits for its
        // back-off, on the simulated clock.
        w.send("POST", "/v1/clock", json!({"advance_seconds": 600}));
        false
    });
    // A copy still in flight would arrive within the lease.
    std::thread::sleep(Duration::from_secs(3));
    let messages = m.messages();
    let receipts = receipts_by_voter(&messages);
    for (to, ids) in &receipts {
        assert_eq!(
            ids.len(),
            1,
            "copies only with one Message-ID: {to} {ids:?}"
        );
    }
    for voter in &acknowledged {
        check_mailed_receipt(w, &messages, voter, &format!("{voter}-votes"), "dorset");
    }
    eprintln!(
        "{} of {} votes acknowledged before the kill; {} receipts mailed",
        acknowledged.len(),
        voters.len(),
        receipts.len()
    );
}

/// Many votes at once (60 voters, well beyond what the sequencer takes in
/// one batch at a time and beyond the 16 receipts once queued at most):
/// every voter's receipt arrives, exactly once per vote (copies only with
/// the same Message-ID), each the receipt of that voter's vote.
#[test]
fn every_receipt_of_a_burst_of_votes_is_mailed_once() {
    let voters: Vec<String> = (0..60).map(|i| format!("v{i:02}")).collect();
    let voters: Vec<&str> = voters.iter().map(String::as_str).collect();
    let Some(m) = Mail::start(&voters, &UNLIMITED) else {
        return;
    };
    let w = &m.w;
    for voter in &voters {
        w.key(voter);
    }
    announce(w, "B1");
    w.advance_days(45);
    w.wait_for("B1", "open");
    std::thread::scope(|scope| {
        for voter in &voters {
            scope.spawn(move || {
                w.vote(
                    voter,
                    &format!("{voter}.key"),
                    "B1",
                    "dorset",
                    "yes",
                    &format!("{voter}-votes"),
                )
            });
        }
    });
    wait_until("every receipt", || {
        receipts_by_voter(&m.messages()).len() == voters.len()
    });
    std::thread::sleep(Duration::from_secs(2));
    let messages = m.messages();
    let receipts = receipts_by_voter(&messages);
    assert_eq!(receipts.len(), voters.len(), "{receipts:?}");
    for (to, ids) in &receipts {
        assert_eq!(ids.len(), 1, "one vote, one Message-ID for {to}: {ids:?}");
    }
    let copies: usize = receipts.values().flat_map(BTreeMap::values).sum();
    assert_eq!(copies, voters.len(), "no copy without a crash");
    for voter in &voters {
        check_mailed_receipt(w, &messages, voter, &format!("{voter}-votes"), "dorset");
    }
}

/// The message of `messages` addressed to `person` (`<person@…>`).
fn addressed_to<'a>(messages: &[&'a Value], person: &str) -> &'a Value {
    messages
        .iter()
        .find(|m| {
            m["to"]
                .as_str()
                .is_some_and(|t| t.contains(&format!("<{person}@")))
        })
        .copied()
        .unwrap_or_else(|| panic!("{person}'s message in {messages:?}"))
}

/// The messages of `relay` whose subject contains `subject`.
fn with_subject<'a>(messages: &'a [Value], subject: &str) -> Vec<&'a Value> {
    messages
        .iter()
        .filter(|m| m["subject"].as_str().is_some_and(|s| s.contains(subject)))
        .collect()
}

/// The supersession notice (to the earlier voter, at the close), the
/// result at the tally and at the certification (to the membership list),
/// the appeal (to the chair) and the decision (to the appellant) each go
/// out with their own text, through the real relay, and are logged.
#[test]
fn supersession_result_appeal_and_decision_notices_each_have_their_own_text() {
    let Some(m) = Mail::start(&[], &[]) else {
        return;
    };
    let (w, relay, python) = (&m.w, &m.relay, &m.python);
    // dora, an appeal reviewer off the membership list, registered before
    // the announcement (so that no registry-change notice is owed).
    w.account("dora");
    w.send(
        "PUT",
        "/v1/groups/ETI/persons/dora",
        json!({"organisation": "dorset", "membership_list": false}),
    );
    w.key("dora");
    w.send("PUT", "/v1/groups/ETI/reviewers/dora", json!({}));
    announce(w, "B1");
    w.advance_days(45);
    w.wait_for("B1", "open");
    // alice votes, then her colleague carol for the same organisation.
    w.vote("alice", "alice.key", "B1", "cadzow", "no", "alice-votes");
    w.vote("carol", "carol.key", "B1", "cadzow", "yes", "carol-votes");
    w.advance_days(32);
    w.wait_for("B1", "tallied");
    w.run_signed("certify", "carol", &["--ballot", "B1"]);
    let appeal = w.appeal_certification("alice", "B1", "Dorset was given no notice.\n");
    std::fs::write(w.path("reasons.txt"), "Article 6.2 was followed.\n").expect("write");
    w.run_signed(
        "decide",
        "dora",
        &[
            "--ballot",
            "B1",
            "--appeal",
            &appeal,
            "--outcome",
            "upheld",
            "--reasons",
            &w.path_str("reasons.txt"),
        ],
    );
    wait_until("every notice delivered", || {
        let (delivered, notified) = deliveries(w);
        !notified.is_empty() && delivered.len() == notified.len()
    });
    let (delivered, notified) = deliveries(w);
    every_accepted(&delivered);
    wait_until("the two receipts", || {
        with_subject(&relay.messages(python), "is recorded").len() == 2
    });
    let messages = relay.messages(python);
    let receipts = with_subject(&messages, "Your vote on ballot B1 is recorded");
    assert_eq!(
        messages.len(),
        notified.len() + receipts.len(),
        "{messages:?}"
    );
    // Each voter's receipt, attached byte for byte as the CLI wrote it.
    for (person, dir) in [("alice", "alice-votes"), ("carol", "carol-votes")] {
        let m = addressed_to(&receipts, person);
        let written = std::fs::read(w.path(dir).join("B1-main-cadzow.tlog-proof"))
            .expect("the CLI's receipt");
        let attached = &m["attachments"][0];
        assert_eq!(attached["filename"], "B1-main-cadzow.tlog-proof", "{m}");
        let hex: String = written.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(attached["hex"], hex.as_str(), "the same bytes");
    }

    let superseded = with_subject(
        &messages,
        "Your organisation's vote on ballot B1 was changed",
    );
    assert_eq!(superseded.len(), 1, "{messages:?}");
    let m = superseded[0];
    assert!(
        m["to"]
            .as_str()
            .expect("To")
            .contains("<alice@example.org>"),
        "{m}"
    );
    let text = m["text"].as_str().expect("text");
    assert!(
        text.contains("a colleague cast a\nlater vote for your organisation"),
        "{text}"
    );
    assert!(!text.contains("yes"), "no choice is named: {text}");
    assert!(m["calendar"].is_null(), "{m}");

    let appealed = with_subject(&messages, "An appeal was filed on ballot B1");
    assert_eq!(appealed.len(), 1, "{messages:?}");
    let m = appealed[0];
    assert!(
        m["to"]
            .as_str()
            .expect("To")
            .contains("<carol@example.org>"),
        "{m}"
    );
    let text = m["text"].as_str().expect("text");
    assert!(text.contains(&format!("Appeal:      {appeal}")), "{text}");
    assert!(text.contains("Against:     the certification"), "{text}");
    assert!(text.contains("Filed by:    alice (cadzow)"), "{text}");

    let decided = with_subject(&messages, "Your appeal on ballot B1 was decided");
    assert_eq!(decided.len(), 1, "{messages:?}");
    let m = decided[0];
    assert!(
        m["to"]
            .as_str()
            .expect("To")
            .contains("<alice@example.org>"),
        "{m}"
    );
    let text = m["text"].as_str().expect("text");
    assert!(text.contains(&format!("Appeal:      {appeal}")), "{text}");
    assert!(text.contains("Decision:    upheld"), "{text}");
    assert!(text.contains("Reviewer:    dora"), "{text}");
    assert!(
        text.contains("https://vote.example.org/groups/ETI/ballots/B1"),
        "{text}"
    );

    // The result, at the tally and at the certification, to alice and
    // carol (the membership list; dora is not on it).
    for (subject, extra) in [
        ("Result of ballot B1: ", "not yet certified"),
        (
            "Result of ballot B1 certified: ",
            "The chair of ETI (carol) certified",
        ),
    ] {
        let results = with_subject(&messages, subject);
        let to: BTreeSet<&str> = results
            .iter()
            .map(|m| m["to"].as_str().expect("To"))
            .collect();
        assert_eq!(to.len(), 2, "{subject}: {to:?}");
        assert!(to.iter().all(|t| !t.contains("dora")), "{to:?}");
        for m in results {
            let text = m["text"].as_str().expect("text");
            assert!(
                text.contains(
                    "  main: approved (in favour 1, against 0, abstaining 0; \
                     1 of 2 eligible organisations without a vote)"
                ),
                "{text}"
            );
            assert!(text.contains(extra), "{text}");
        }
    }
}

/// A cancelled ballot's notice goes to everybody the announcement went
/// to, with a calendar part that cancels the event: METHOD:CANCEL, the
/// announcement's UID, a higher SEQUENCE, read by an independent parser.
#[test]
fn a_cancellation_cancels_the_calendar_event_of_every_recipient() {
    let Some(m) = Mail::start(&["dave"], &[]) else {
        return;
    };
    let (w, relay, python) = (&m.w, &m.relay, &m.python);
    announce(w, "B1");
    w.send("POST", "/v1/groups/ETI/ballots/B1/cancel", json!({}));
    wait_until("six delivery entries", || deliveries(w).0.len() == 6);
    let (_, notified) = deliveries(w);
    assert_eq!(notified.len(), 6, "three announced, three cancelled");
    let messages = relay.messages(python);
    let published = with_subject(&messages, "Ballot B1 announced");
    let cancelled = with_subject(&messages, "Ballot B1 is cancelled");
    assert_eq!((published.len(), cancelled.len()), (3, 3), "{messages:?}");
    let uid = published[0]["calendar"]["uid"].clone();
    for m in &cancelled {
        let c = &m["calendar"];
        assert_eq!(c["method"], "CANCEL", "{m}");
        assert_eq!(c["content_type_method"], "CANCEL", "{m}");
        assert_eq!(c["uid"], uid, "the announcement's UID: {m}");
        assert_eq!(c["sequence"], 1, "above the PUBLISH's 0: {m}");
        assert_eq!(c["dtstart"], "2026-07-15T00:00:00+00:00");
        let text = m["text"].as_str().expect("text");
        assert!(text.contains("was cancelled before its opening"), "{text}");
    }
    let to: BTreeSet<&str> = cancelled
        .iter()
        .map(|m| m["to"].as_str().expect("To"))
        .collect();
    assert_eq!(to.len(), 3, "{to:?}");
}

/// The sign-in link in the message `m`.
fn link_in(m: &Value) -> String {
    let text = m["text"].as_str().expect("text");
    let at = text
        .find("https://vote.example.org/sign-in/link?link=")
        .unwrap_or_else(|| panic!("a link in {text}"));
    text[at..]
        .split_whitespace()
        .next()
        .expect("the link")
        .to_owned()
}

/// Opens a link's page (which must not use it) and presses its button;
/// the answer.
fn press(w: &World, link: &str) -> common::http::Response {
    let path = link
        .strip_prefix("https://vote.example.org")
        .expect("the public URL");
    let page = common::http::request(&w.server.address, "GET", path, None, None, b"");
    assert_eq!(page.status, 200, "{}", page.text());
    assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(page.header("cache-control"), Some("no-store"));
    let cookie = page
        .cookie_pair("scrutineer_sign_in")
        .expect("a sign-in cookie");
    let csrf = page.hidden("csrf").expect("a CSRF field");
    let posted = page.hidden("link").expect("the link, in the form");
    common::http::post_form(
        &w.server.address,
        "/sign-in/link",
        &cookie,
        &[("csrf", &csrf), ("link", &posted)],
    )
}

/// A sign-in link issued by the secretariat goes through the real relay;
/// its page (fetched twice, as a mail scanner would) does not use it; its
/// button signs in once, and the session works; a second use, a forged
/// secret and an expired link are refused.
#[test]
fn a_sign_in_link_signs_in_once_and_expires() {
    let Some(m) = Mail::start(&[], &["--sign-in-link-seconds", "3"]) else {
        return;
    };
    let (w, relay, python) = (&m.w, &m.relay, &m.python);
    let r = w.send("POST", "/v1/persons/alice/sign-in-links", json!({}));
    assert_eq!(r.status, 202, "{}", r.text());
    assert!(!r.text().contains("link="), "the link is not in the answer");
    wait_until("the link's message", || relay.count() == 1);
    let messages = relay.messages(python);
    let m = &messages[0];
    assert!(
        m["to"]
            .as_str()
            .expect("To")
            .contains("<alice@example.org>")
    );
    assert_eq!(m["subject"], "Your sign-in link for Scrutineer");
    let link = link_in(m);
    // A scanner's prefetch: GET alone, twice, uses nothing.
    let path = link.strip_prefix("https://vote.example.org").expect("URL");
    for _ in 0..2 {
        let r = common::http::request(&w.server.address, "GET", path, None, None, b"");
        assert_eq!(r.status, 200);
        assert!(r.cookie_pair("scrutineer_session").is_none());
    }
    let signed = press(w, &link);
    assert_eq!(signed.status, 303, "{}", signed.text());
    assert_eq!(signed.header("location"), Some("/"));
    let session = signed
        .cookie_pair("scrutineer_session")
        .expect("a session cookie");
    let home =
        common::http::with_headers(&w.server.address, "GET", "/", &[("Cookie", &session)], b"");
    assert!(
        home.text().contains("Signed in as <strong>alice</strong>"),
        "{}",
        home.text()
    );
    // Once only.
    let again = press(w, &link);
    assert_eq!(again.status, 410, "{}", again.text());
    assert!(again.cookie_pair("scrutineer_session").is_none());
    assert!(
        again
            .text()
            .contains("unknown, has expired or was already used")
    );
    // A forged secret with a real id is refused the same way.
    let (base, secret) = link.rsplit_once('.').expect("id.secret");
    let forged = format!("{base}.{}", "A".repeat(secret.len()));
    assert_eq!(press(w, &forged).status, 410);

    // Expired: a second link, pressed after its three seconds.
    w.send("POST", "/v1/persons/alice/sign-in-links", json!({}));
    wait_until("the second message", || relay.count() == 2);
    let second = relay
        .messages(python)
        .iter()
        .map(link_in)
        .find(|l| *l != link)
        .expect("a new link");
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(press(w, &second).status, 410, "expired");
}

/// "Send me a link": the same answer for a known and an unknown address;
/// only the known one gets a message.
#[test]
fn asking_for_a_link_answers_alike_for_known_and_unknown_addresses() {
    let Some(m) = Mail::start(&[], &[]) else {
        return;
    };
    let (w, relay, python) = (&m.w, &m.relay, &m.python);
    let mut answers = Vec::new();
    for email in ["nobody@example.org", "ALICE@example.org"] {
        let page = common::http::request(&w.server.address, "GET", "/sign-in", None, None, b"");
        assert!(page.text().contains("Send me a link"), "{}", page.text());
        let cookie = page.cookie_pair("scrutineer_sign_in").expect("cookie");
        let csrf = page.hidden("csrf").expect("csrf");
        let r = common::http::post_form(
            &w.server.address,
            "/sign-in/request-link",
            &cookie,
            &[("csrf", &csrf), ("email", email)],
        );
        assert_eq!(r.status, 200, "{}", r.text());
        let fresh = r.hidden("csrf").expect("csrf");
        answers.push(r.text().replace(&fresh, "CSRF"));
    }
    assert_eq!(answers[0], answers[1], "the same page either way");
    assert!(answers[0].contains("If this address belongs to an account"));
    wait_until("alice's message", || relay.count() == 1);
    std::thread::sleep(Duration::from_secs(1));
    let messages = relay.messages(python);
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(
        messages[0]["to"]
            .as_str()
            .expect("To")
            .contains("<alice@example.org>")
    );
}

/// STARTTLS (`smtp://`, required) against a relay whose certificate a
/// test CA issued: trusted through `--smtp-ca-file`, the notices go
/// through; a server trusting another CA delivers nothing and keeps
/// retrying, and the relay refuses mail in clear.
#[test]
fn notices_go_through_starttls_with_a_trusted_certificate_only() {
    let Some(python) = python() else { return };
    let certs = tempfile::tempdir().expect("temporary directory");
    let (ca, cert, key) = common::certs::make_ca(certs.path(), "relay");
    let (other_ca, _, _) = common::certs::make_ca(certs.path(), "other");
    let work = tempfile::tempdir().expect("temporary directory");
    let relay = Relay::start_tls(&python, &work.path().join("relay"), &cert, &key);
    let url = format!("smtp://127.0.0.1:{}", relay.port);

    // Trusting another CA: the handshake fails, nothing is delivered.
    let data = tempfile::tempdir().expect("temporary directory");
    let other = tempfile::tempdir().expect("temporary directory");
    let w = world(
        server(
            data.path(),
            &url,
            &["--smtp-ca-file", other_ca.to_str().expect("UTF-8")],
        ),
        other.path(),
        &[],
    );
    announce(&w, "B1");
    wait_until("a failed attempt", || retrying(&w) > 0);
    assert_eq!(relay.count(), 0);
    assert!(
        deliveries(&w).0.is_empty(),
        "nothing logged: still retrying"
    );
    w.server.stop();

    // Trusting the relay's CA: both notices go through.
    let data = tempfile::tempdir().expect("temporary directory");
    let w = world(
        server(
            data.path(),
            &url,
            &["--smtp-ca-file", ca.to_str().expect("UTF-8")],
        ),
        work.path(),
        &[],
    );
    announce(&w, "B1");
    wait_until("two delivery entries", || deliveries(&w).0.len() == 2);
    let (delivered, _) = deliveries(&w);
    every_accepted(&delivered);
    assert_eq!(relay.count(), 2);
    relay.stop();
}

/// Two server processes on one PostgreSQL database, both sending: every
/// notice of an announcement to 30 members goes out exactly once (the
/// claim's `FOR UPDATE SKIP LOCKED` and lease), and is logged once.
#[test]
fn two_servers_on_one_postgres_send_each_notice_once() {
    if python().is_none() {
        return;
    }
    let Some(pg) = common::pg::TempPostgres::shared() else {
        return;
    };
    let url = pg.create_database(&common::pg::TempPostgres::unique_name("mail"));
    let others: Vec<String> = (0..28).map(|i| format!("m{i:02}")).collect();
    let others: Vec<&str> = others.iter().map(String::as_str).collect();
    let Some(m) = Mail::start(&others, &["--database-url", &url]) else {
        return;
    };
    let (w, relay, python) = (&m.w, &m.relay, &m.python);
    let dir_b = tempfile::tempdir().expect("temporary directory");
    let key_file = m.data.path().join("log.key");
    let b = server(
        dir_b.path(),
        &relay.url(),
        &[
            "--database-url",
            &url,
            "--log-key",
            key_file.to_str().expect("UTF-8"),
        ],
    );
    assert!(b.token.is_none(), "B finds the bootstrap account");
    announce(w, "B1");
    wait_until("30 delivery entries", || deliveries(w).0.len() == 30);
    // Whatever either process still had in hand would have been sent by
    // now; the relay has each notice once.
    std::thread::sleep(Duration::from_secs(2));
    let (delivered, notified) = deliveries(w);
    assert_eq!(notified.len(), 30);
    every_accepted(&delivered);
    let messages = relay.messages(python);
    let ids: BTreeSet<&str> = messages
        .iter()
        .map(|m| m["message_id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids.len(), 30, "every notice arrived");
    assert_eq!(messages.len(), 30, "each once");
    b.stop();
}

/// Not a check: the figure of docs/performance.md ("Notices by e-mail"),
/// deliveries per second to the loopback relay for an announcement to
/// `SCRUTINEER_MAIL_MEMBERS` members (default 500), from the announcement
/// to the last `delivery` entry. Run with `--ignored --nocapture`.
#[test]
#[ignore = "a measurement, printed; run it alone"]
fn measure_deliveries_per_second() {
    let members: usize = std::env::var("SCRUTINEER_MAIL_MEMBERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(500);
    let others: Vec<String> = (0..members).map(|i| format!("m{i:04}")).collect();
    let others: Vec<&str> = others.iter().map(String::as_str).collect();
    // No write limits: the set-up makes two writes per member.
    let Some(m) = Mail::start(&others, &UNLIMITED) else {
        return;
    };
    let (w, relay) = (&m.w, &m.relay);
    let total = members + 2;
    let started = Instant::now();
    announce(w, "B1");
    let deadline = Instant::now() + Duration::from_secs(600);
    while relay.count() < total {
        assert!(Instant::now() < deadline, "timed out");
        std::thread::sleep(Duration::from_millis(20));
    }
    let sent = started.elapsed();
    wait_until("every delivery entry", || deliveries(w).0.len() == total);
    let logged = started.elapsed();
    println!(
        "measure: {total} notices; relay had all after {:.2} s ({:.0}/s); \
         all delivery entries logged after {:.2} s ({:.0}/s)",
        sent.as_secs_f64(),
        total as f64 / sent.as_secs_f64(),
        logged.as_secs_f64(),
        total as f64 / logged.as_secs_f64()
    );
}

/// The reminders received, as `(to, text, Message-ID)`, sorted.
fn reminders_received(relay: &Relay, python: &Path) -> Vec<(String, String, String)> {
    let mut out: Vec<_> = with_subject(&relay.messages(python), "closes soon")
        .iter()
        .map(|m| {
            (
                m["to"].as_str().expect("To").to_owned(),
                m["text"].as_str().expect("text").to_owned(),
                m["message_id"].as_str().expect("Message-ID").to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Reminders before the close (the default offsets, 7 days and 1 day):
/// cadzow votes before the first, so only dorset's delegates are
/// reminded, at both times, with a text that names only their
/// organisation. Before the close the log shows nothing of them (a
/// `notification` would tell who has not voted); a restart does not
/// queue a reminder time again; after the close the log records each
/// reminder time and each delivery, and `scrutineer verify` reports them
/// and finds them right.
#[test]
fn reminders_go_only_to_organisations_without_a_vote_and_are_logged_after_the_close() {
    let Some(m) = Mail::start(&["dave", "erin"], &[]) else {
        return;
    };
    let (w, relay, python) = (&m.w, &m.relay, &m.python);
    let group = common::http::get(&w.server.address, "/v1/groups/ETI", Some(&w.token)).json();
    assert_eq!(
        group["parameters"]["reminder_hours"],
        json!([168, 24]),
        "{group}"
    );
    announce(w, "B1");
    w.advance_days(45);
    w.wait_for("B1", "open");
    w.vote("alice", "alice.key", "B1", "cadzow", "yes", "alice-votes");
    // 2026-08-08T00:00Z: seven days before the close.
    w.advance_days(23);
    wait_until("the seven-day reminders", || {
        reminders_received(relay, python).len() == 2
    });
    let first = reminders_received(relay, python);
    for (to, text, _) in &first {
        assert!(
            to.contains("<dave@example.org>") || to.contains("<erin@example.org>"),
            "only dorset's delegates: {to}"
        );
        assert!(
            text.contains("dorset has not voted yet on ballot B1"),
            "{text}"
        );
        assert!(text.contains("2026-08-15T00:00:00.000000Z"), "{text}");
        assert!(
            text.contains("https://vote.example.org/groups/ETI/ballots/B1"),
            "{text}"
        );
        assert!(!text.contains("cadzow"), "nothing of others: {text}");
    }
    // Before the close: nothing in the log; the secretariat sees the rows.
    let view = read_verified(&w.server.address, &w.token, "ETI");
    let mut notifications = 0;
    for bytes in &view.entries {
        let entry = Entry::parse(bytes).expect("entry");
        assert_ne!(
            entry.kind(),
            "reminder",
            "no reminder logged before the close"
        );
        if entry.kind() == "notification" {
            notifications += 1;
        }
    }
    assert_eq!(notifications, 4, "the announcement's only");
    let outbox = common::http::get(
        &w.server.address,
        "/v1/groups/ETI/outbox?state=accepted",
        Some(&w.token),
    )
    .json();
    let rows = outbox["reminders"].as_array().expect("reminders");
    assert_eq!(rows.len(), 2, "{outbox}");
    assert!(
        rows.iter()
            .all(|r| r["organisation"] == "dorset" && r["hours"] == 168)
    );
    let secretariat = web_session(w, &w.token);
    let page = common::http::with_headers(
        &w.server.address,
        "GET",
        "/groups/ETI/deliveries?state=accepted",
        &[("Cookie", &secretariat)],
        b"",
    );
    assert_eq!(page.status, 200, "{}", page.text());
    let text = page.text();
    assert!(
        text.contains("<td>dorset</td><td>dave</td>") && text.contains("<td>168</td>"),
        "{text}"
    );

    // A crash and restart (SIGKILL, every reminder answered) does not
    // process the seven-day time again.
    let m = m.killed_and_restarted();
    let (w, relay, python) = (&m.w, &m.relay, &m.python);
    // 2026-08-14T00:00Z: one day before the close.
    w.advance_days(6);
    wait_until("the one-day reminders", || {
        reminders_received(relay, python).len() >= 4
    });
    let all = reminders_received(relay, python);
    let ids: BTreeSet<&str> = all.iter().map(|(_, _, id)| id.as_str()).collect();
    assert_eq!(all.len(), 4, "two delegates, two times, once each: {all:?}");
    assert_eq!(ids.len(), 4, "one Message-ID per reminder");

    // After the close: two `reminder` entries and four deliveries.
    w.advance_days(2);
    w.wait_for("B1", "tallied");
    let mut reminders = Vec::new();
    wait_until("the reminders and their deliveries logged", || {
        let view = read_verified(&w.server.address, &w.token, "ETI");
        reminders.clear();
        let mut delivered = 0;
        for (index, bytes) in view.entries.iter().enumerate() {
            let entry = Entry::parse(bytes).expect("entry");
            if entry.kind() == "reminder" {
                reminders.push((index as u64, String::from_utf8_lossy(bytes).into_owned()));
            } else if entry.kind() == DELIVERY_KIND {
                let d = Delivery::from_entry(&entry).expect("delivery");
                if reminders.iter().any(|(i, _)| *i == d.notification) {
                    delivered += 1;
                }
            }
        }
        reminders.len() == 2 && delivered == 4
    });
    let texts: Vec<&str> = reminders.iter().map(|(_, t)| t.as_str()).collect();
    assert!(
        texts[0].contains("\nhours 168\nat 2026-08-08T00:00:00.000000Z\n"),
        "{}",
        texts[0]
    );
    assert!(
        texts[1].contains("\nhours 24\nat 2026-08-14T00:00:00.000000Z\n"),
        "{}",
        texts[1]
    );
    for text in texts {
        assert!(
            text.contains("\norganisation dorset\nreminded dorset dave\nreminded dorset erin\n"),
            "{text}"
        );
        assert!(!text.contains("cadzow"), "{text}");
        assert!(!text.contains('@'), "no address in the log: {text}");
    }

    // The verifier reports them, and finds nothing wrong.
    let bundle = w.export("carol", "B1", "B1-bundle");
    let out = ok(&[
        "verify",
        &bundle,
        "--log-key",
        &w.path_str("log.vkey"),
        "--json",
    ]);
    let report: Value = serde_json::from_str(&out).expect("JSON");
    let r = &report["ballot"]["reminders"];
    assert_eq!(r["offsets"], json!([168, 24]), "{r}");
    let logged = r["logged"].as_array().expect("logged");
    assert_eq!(logged.len(), 2, "{r}");
    for t in logged {
        assert_eq!(t["organisations"], json!(["dorset"]), "{t}");
        assert_eq!(t["had_voted"], json!([]), "{t}");
        assert_eq!(t["left_out"], json!([]), "{t}");
        let reminded = t["reminded"].as_array().expect("reminded");
        assert_eq!(reminded.len(), 2, "{t}");
        assert!(reminded.iter().all(|d| d["outcome"] == "accepted"), "{t}");
    }
    assert_eq!(r["not_logged"], json!([]), "{r}");
    let warnings = report["warnings"].to_string();
    assert!(!warnings.contains("reminder"), "{warnings}");
    let text = ok(&["verify", &bundle, "--log-key", &w.path_str("log.vkey")]);
    assert!(
        text.contains("Reminders before the close (offsets: 168 h, 24 h): 2 logged"),
        "{text}"
    );
}

/// A sign-in link's secret never reaches the server's log output, even at
/// `RUST_LOG=debug`: not when it is issued, not when its page is fetched
/// (the secret is in the URL's query), not when it is used.
#[test]
fn a_sign_in_links_secret_never_appears_in_the_servers_log() {
    let Some(python) = python() else { return };
    let data = tempfile::tempdir().expect("temporary directory");
    let work = tempfile::tempdir().expect("temporary directory");
    let relay = Relay::start(&python, &work.path().join("relay"), 0);
    let log = work.path().join("server.log");
    let url = relay.url();
    let server = Server::start_logging_to(
        data.path(),
        &[
            "--simulated-clock",
            "--simulated-start",
            START,
            "--smtp-url",
            &url,
            "--mail-from",
            "Scrutineer <vote@scrutineer.test>",
            "--public-url",
            "https://vote.example.org",
        ],
        &log,
    );
    let w = world(server, work.path(), &[]);
    let r = w.send("POST", "/v1/persons/alice/sign-in-links", json!({}));
    assert_eq!(r.status, 202, "{}", r.text());
    wait_until("the link's message", || relay.count() == 1);
    let link = link_in(&relay.messages(&python)[0]);
    let signed = press(&w, &link);
    assert_eq!(signed.status, 303, "{}", signed.text());
    let session = signed.cookie_pair("scrutineer_session").expect("a session");
    let home =
        common::http::with_headers(&w.server.address, "GET", "/", &[("Cookie", &session)], b"");
    assert_eq!(home.status, 200);
    w.server.stop();
    let text = std::fs::read_to_string(&log).expect("the server's log");
    assert!(
        text.contains("sign-in link sent") && text.contains("DEBUG"),
        "debug lines were captured: {text}"
    );
    let value = link.split("link=").nth(1).expect("the link's value");
    let (_, secret) = value.split_once('.').expect("id.secret");
    assert_eq!(secret.len(), 43, "{value}");
    assert!(!text.contains(secret), "the secret is in the log");
    assert!(!text.contains(value), "the link is in the log");
    relay.stop();
}
