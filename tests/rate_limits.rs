//! Write rate limits, through the real binary (`src/server/rate_limit.rs`):
//!
//! 1. Each authenticated person has a budget of writes: the write after a
//!    burst is answered 429 with `Retry-After` and a problem
//!    (`urn:scrutineer:problem:rate-limited`), and writes nothing; reads go
//!    on; another person's budget is untouched; after `Retry-After`, the
//!    person writes again.
//! 2. Each client address has a budget of its own, shared by every person
//!    (and by requests without a token) from it.
//! 3. At most `--max-connections` connections are open at once.
//!
//! Each test sets up its group without limits, then serves the same data
//! directory again with a small budget refilled at one write a second, so
//! that a burst is refused and a wait of a second is enough.

#![cfg(feature = "server")]

mod common;

use std::time::{Duration, Instant};

use common::http::{self, Response};
use common::server::Server;
use serde_json::{Value, json};

/// A data directory with group `g1`, and persons `alice` and `bob`, each
/// the group's secretariat with a token.
struct Setup {
    dir: tempfile::TempDir,
    alice: String,
    bob: String,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let server = Server::start(dir.path(), &["--simulated-clock"]);
    let admin = server
        .token
        .clone()
        .expect("the first start prints a token");
    let write = |method: &str, path: &str, body: Value| -> Value {
        let r = http::json(&server.address, method, path, Some(&admin), &body);
        assert!(r.status < 300, "{method} {path}: {} {}", r.status, r.text());
        if r.body.is_empty() {
            Value::Null
        } else {
            r.json()
        }
    };
    write(
        "POST",
        "/v1/groups",
        json!({"id": "g1", "profile": "etsi-isg"}),
    );
    let [alice, bob] = ["alice", "bob"].map(|person| {
        write(
            "POST",
            "/v1/persons",
            json!({"id": person, "name": person, "email": format!("{person}@example.org")}),
        );
        write(
            "POST",
            "/v1/groups/g1/secretariat",
            json!({ "person": person }),
        );
        write(
            "POST",
            &format!("/v1/persons/{person}/tokens"),
            json!({"label": "t"}),
        )["token"]
            .as_str()
            .expect("a token")
            .to_owned()
    });
    server.stop();
    Setup { dir, alice, bob }
}

/// Serves the set-up data directory again with `limits`.
fn serve(setup: &Setup, limits: &[&str]) -> Server {
    let mut flags = vec!["--simulated-clock"];
    flags.extend_from_slice(limits);
    Server::start(setup.dir.path(), &flags)
}

/// A registry write: organisation `org` joins `g1` (one log entry).
fn join(server: &Server, token: Option<&str>, org: &str) -> Response {
    http::json(
        &server.address,
        "PUT",
        &format!("/v1/groups/g1/organisations/{org}"),
        token,
        &json!({"class": "member", "founding": true, "from": "2026-01-01T00:00:00Z"}),
    )
}

/// The size of `g1`'s log.
fn size(server: &Server) -> u64 {
    let r = http::get(&server.address, "/v1/groups/g1/log/checkpoint", None);
    assert_eq!(r.status, 200, "{}", r.text());
    r.text()
        .lines()
        .nth(1)
        .and_then(|l| l.parse().ok())
        .expect("a checkpoint's size line")
}

/// Checks a 429 answer and returns its `Retry-After` in seconds.
fn rate_limited(r: &Response) -> u64 {
    assert_eq!(r.status, 429, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    let problem = r.json();
    assert_eq!(problem["type"], "urn:scrutineer:problem:rate-limited");
    assert_eq!(problem["status"], 429);
    let seconds: u64 = r
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("a Retry-After in whole seconds");
    // One write a second: the next is allowed within a second.
    assert_eq!(seconds, 1, "{problem}");
    seconds
}

#[test]
fn a_persons_writes_beyond_the_budget_are_refused_and_write_nothing() {
    let setup = setup();
    let server = serve(
        &setup,
        &[
            "--write-rate-per-person",
            "1",
            "--write-burst-per-person",
            "3",
        ],
    );
    let started = Instant::now();
    for org in ["o1", "o2", "o3"] {
        let r = join(&server, Some(&setup.alice), org);
        assert_eq!(r.status, 201, "{}", r.text());
    }
    let before = size(&server);
    let retry_after = rate_limited(&join(&server, Some(&setup.alice), "o4"));
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "the burst took longer than the refill of one write; the test cannot judge"
    );
    assert_eq!(size(&server), before, "a refused write writes nothing");
    let r = http::get(
        &server.address,
        "/v1/groups/g1/organisations/o4",
        Some(&setup.alice),
    );
    assert_eq!(r.status, 404, "o4 was not written: {}", r.text());
    let r = http::get(&server.address, "/v1/groups/g1", Some(&setup.alice));
    assert_eq!(r.status, 200, "reads are not limited: {}", r.text());

    // Bob's budget is his own.
    for org in ["b1", "b2", "b3"] {
        let r = join(&server, Some(&setup.bob), org);
        assert_eq!(r.status, 201, "{}", r.text());
    }

    // Once Retry-After has passed, alice writes again.
    std::thread::sleep(Duration::from_secs(retry_after));
    let r = join(&server, Some(&setup.alice), "o4");
    assert_eq!(r.status, 201, "after Retry-After: {}", r.text());
    assert_eq!(size(&server), before + 4);
}

#[test]
fn an_addresss_writes_share_one_budget() {
    let setup = setup();
    let server = serve(
        &setup,
        &[
            "--write-rate-per-address",
            "1",
            "--write-burst-per-address",
            "3",
        ],
    );
    for org in ["o1", "o2", "o3"] {
        let r = join(&server, Some(&setup.alice), org);
        assert_eq!(r.status, 201, "{}", r.text());
    }
    // Everything from 127.0.0.1 has now spent the budget: bob, and a
    // request without a token (which is counted before it is read).
    let before = size(&server);
    rate_limited(&join(&server, Some(&setup.bob), "b1"));
    rate_limited(&join(&server, None, "b1"));
    assert_eq!(size(&server), before);
    let r = http::get(&server.address, "/v1/groups/g1", Some(&setup.bob));
    assert_eq!(r.status, 200, "reads are not limited: {}", r.text());
}

/// A write `join` sent with an `X-Forwarded-For` header, as a reverse
/// proxy in front of the server would.
fn join_via_proxy(server: &Server, token: &str, org: &str, client: &str) -> Response {
    let body =
        json!({"class": "member", "founding": true, "from": "2026-01-01T00:00:00Z"}).to_string();
    let authorization = format!("Bearer {token}");
    http::with_headers(
        &server.address,
        "PUT",
        &format!("/v1/groups/g1/organisations/{org}"),
        &[
            ("Authorization", &authorization),
            ("Content-Type", "application/json"),
            ("X-Forwarded-For", client),
        ],
        body.as_bytes(),
    )
}

#[test]
fn forwarded_addresses_count_only_from_a_trusted_proxy() {
    let setup = setup();
    let limits = [
        "--write-rate-per-address",
        "1",
        "--write-burst-per-address",
        "1",
    ];
    // Not trusted: the header is ignored, every client is 127.0.0.1.
    let server = serve(&setup, &limits);
    let r = join_via_proxy(&server, &setup.alice, "o1", "203.0.113.1");
    assert_eq!(r.status, 201, "{}", r.text());
    rate_limited(&join_via_proxy(&server, &setup.bob, "o2", "203.0.113.2"));
    server.stop();

    // Trusted: each forwarded client has its own budget, and an address a
    // client wrote itself before the proxy's own is not believed.
    let mut flags = limits.to_vec();
    flags.extend_from_slice(&["--trusted-proxy", "127.0.0.1"]);
    let server = serve(&setup, &flags);
    let r = join_via_proxy(&server, &setup.alice, "o3", "203.0.113.1");
    assert_eq!(r.status, 201, "{}", r.text());
    let r = join_via_proxy(&server, &setup.bob, "o4", "203.0.113.2");
    assert_eq!(r.status, 201, "another client's budget: {}", r.text());
    rate_limited(&join_via_proxy(
        &server,
        &setup.bob,
        "o5",
        "203.0.113.2, 203.0.113.1",
    ));
    server.stop();
}

/// `--max-connections`: with two idle connections open (headers never
/// sent) and a cap of two, a third client's request waits in the listen
/// queue; once one idle connection closes, it is answered.
#[test]
fn connections_beyond_the_cap_wait_for_one_to_close() {
    use std::io::{Read as _, Write as _};
    let dir = tempfile::tempdir().expect("a temporary directory");
    let server = Server::start(dir.path(), &["--max-connections", "2"]);
    let first = std::net::TcpStream::connect(&server.address).expect("connect");
    let second = std::net::TcpStream::connect(&server.address).expect("connect");
    // Both are accepted (each holds a place) before the third arrives.
    std::thread::sleep(Duration::from_millis(300));
    let mut third = std::net::TcpStream::connect(&server.address).expect("connect");
    third
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .expect("send");
    third
        .set_read_timeout(Some(Duration::from_millis(700)))
        .expect("timeout");
    let mut byte = [0u8; 1];
    assert!(
        third.read(&mut byte).is_err(),
        "no answer while two connections fill the cap"
    );
    drop(first);
    third
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let mut answer = Vec::new();
    third
        .read_to_end(&mut answer)
        .expect("an answer once a place is free");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    drop(second);
    server.stop();
}
